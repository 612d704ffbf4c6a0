"""An issue's front matter, declared once, and the Issue it becomes: the content model.

``Issue.FRONT_MATTER`` declares every key with the option kinds the settings use (its kind, its
doc, its check); ``issue_of`` checks a file's front matter against it, every problem at its
line, and builds the Issue; ``read_yaml`` reads its YAML, safely (no aliases, no number or
nesting too large to read). ``publisher.model.issue`` finds and reads the files.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from publisher.config import Config
from publisher.config.addresses import slug_problem
from publisher.config.options import (
    Date,
    Flag,
    Image,
    LanguageTag,
    OneLine,
    Point,
    Slug,
    Text,
    TextList,
)
from publisher.config.place import QUOTED, At, Invalid, Syntax, cut, shown
from publisher.config.tables import Table
from publisher.config.write import markdown_table
from publisher.errors import Problem, PublisherError, warn
from publisher.model.redirects import redirect_path
from publisher.typography import typeset

FOLDER_INDEX = "index.md"
FRONT_MATTER_HINT = "start the file with a line `---`, then `title:` and `date:`, then `---`"
DATED_NAME = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>.+)$")

#: How the front matter words a problem at one of its keys.
YAML = Syntax(
    error="`{label}` {message}",
    warning="`{label}` {message}",
    unknown="unknown front-matter key `{label}` is ignored",
    quote='quote the value: `{key}: "..."`',
    missing="add a line `{key}: ...` to the front matter",
    names={str: "text", bool: "true or false", list: "a list", dt.date: "a date"},
)


class OldAddresses(TextList):
    """The addresses an issue had before (one, or a list); each is checked against the base URL
    when the issue is loaded (``redirects.redirect_path``)."""

    types: ClassVar[tuple[type, ...]] = (list, str)
    KIND = "list of paths or URLs"

    def run_validation(self, value: list[Any] | str, at: At) -> tuple[str, ...]:
        return super().run_validation([value] if isinstance(value, str) else value, at)


class Tags(TextList):
    """An issue's tags: each names the folder of its page (``tags/<slug>/``), so its slug must
    be usable as one, as an issue's own slug is."""

    def run_validation(self, value: list[Any], at: At) -> tuple[str, ...]:
        tags = super().run_validation(value, at)
        for tag in tags:
            why = slug_problem(slugify(tag) or "tag")
            if why is not None:
                message = f"tag {shown(tag)} cannot name its page's folder: its slug {why}"
                raise Invalid(message, "shorten the tag", whole=True)
        return tags


@dataclass(frozen=True)
class Issue:
    """One issue: validated front matter plus the Markdown body and where it starts."""

    #: The front matter: each key once, with its kind, its doc and its check.
    FRONT_MATTER: ClassVar[Table[dict[str, Any]]] = Table(
        dict,
        "An issue's front matter.",
        options={
            "title": OneLine(
                "",
                "The issue's title; the email subject by default.",
                required=True,
                blank="write the issue's title after `title:`",
            ),
            "date": Date(
                None,
                "Publication date: YYYY-MM-DD or an ISO 8601 date-time; without a zone, the "
                "settings' timezone. An issue dated in the future is left out until then.",
                required=True,
            ),
            "subtitle": OneLine("", "The dek under the title."),
            "subject": OneLine("", "The email's subject line; else the title."),
            "summary": OneLine(
                "", "Preheader and feed summary; else the subtitle, else the first paragraph."
            ),
            "slug": Slug("", "URL slug; else the file name without its date prefix."),
            "author": OneLine("", "The issue's author; else the newsletter's."),
            "tags": Tags("Tags, e.g. [europe, energy].", item="tag", example="[europe, energy]"),
            "image": Image(
                "",
                "Lead image for social cards and feed media (URL, or path beside the issue); "
                "else the first image in the body.",
                hint="give an https:// address, or the path of an image file beside the issue",
            ),
            "image_focus": Point(
                (0.5, 0.5), "The point of the lead image that a social card's crop keeps."
            ),
            "language": LanguageTag(
                "", "Language tag (BCP 47); else the newsletter's.", optional=True
            ),
            "translation_of": OneLine(
                "",
                "The issue this one translates, by its slug (or its file name): their pages "
                "link each other. In another language than it and its other translations.",
            ),
            "draft": Flag(False, "true keeps it out of site/ and the feeds; preview shows it."),
            "updated": Date(None, "Date of a significant correction; feeds carry it."),
            "id": OneLine(
                "", "Permanent feed id; else derived once from the base URL's host, date and slug."
            ),
            "redirect_from": OldAddresses(
                "The issue's old addresses, each published as a page that sends readers on to "
                "this one: paths of the site (relative to the base URL), or URLs on its host, "
                "e.g. [/p/old-post/, old/post.html].",
                item="address",
                example="[/p/old-post/]",
            ),
            "signoff": Text("", "Closing line (Markdown) in place of the settings' signoff."),
        },
    )

    source: Path
    title: str
    date: dt.datetime
    slug: str
    id: str
    body: str
    #: 1-based line of the file where the body starts (Markdown line 0).
    body_line: int
    subtitle: str = ""
    subject: str = ""
    summary: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    image: str = ""
    #: The point of the card image to keep in the social card's crop (fractions across, down).
    image_focus: tuple[float, float] = (0.5, 0.5)
    #: Its language tag: front matter ``language:``, else the newsletter's.
    language: str = "en"
    #: The slug (or file name) of the issue it translates, or "".
    translation_of: str = ""
    draft: bool = False
    updated: dt.datetime | None = None
    signoff: str | None = None
    #: The files of the site that send readers on to this issue (``p/old/index.html``).
    redirect_from: tuple[str, ...] = ()
    #: The line of each front-matter key, for messages.
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def folder(self) -> Path | None:
        """Return the issue's own folder (for its images) when it is a folder issue."""
        return self.source.parent if self.source.name == FOLDER_INDEX else None

    @property
    def email_subject(self) -> str:
        """Return the subject line: front matter ``subject``, else the title."""
        return self.subject or self.title

    def url(self, config: Config) -> str:
        """Return the absolute URL of the issue's web page."""
        return f"{config.base_url}{quote(self.slug)}/"

    def is_scheduled(self, now: dt.datetime) -> bool:
        """Return whether the issue is dated after ``now``."""
        return self.date > now

    def is_published(self, now: dt.datetime) -> bool:
        """Return whether the issue belongs in ``site/`` and the feeds at ``now``."""
        return not self.draft and not self.is_scheduled(now)


def front_matter_reference() -> str:
    """Return the front-matter reference (Markdown): each key, whether it is required, its
    kind and its doc."""
    rows = [
        [f"`{key}`", "yes" if option.required else "no", option.kind(), option.doc]
        for key, option in Issue.FRONT_MATTER.options.items()
    ]
    lines = [
        "# Front matter reference",
        "",
        "<!-- Generated from publisher/frontmatter.py: PUBLISHER_UPDATE_GOLDEN=1 pytest "
        "tests/test_reference.py -->",
        "",
        "An issue file starts with its front matter: YAML between two `---` lines. A value that "
        "cannot be used is an error at its line, and a key publisher does not know a warning; "
        "all of them are reported at once.",
        "",
        *markdown_table(["key", "required", "kind", "meaning"], rows),
    ]
    return "\n".join(lines) + "\n"


#: The settings an issue's front matter is loaded with (defaults, its id, its time zone).
SETTINGS_READ = ("base_url", "language", "author", "timezone")


def issue_of(
    meta: dict[str, Any],
    key_lines: dict[str, int],
    body: str,
    body_line: int,
    path: Path,
    config: Config,
) -> Issue:
    """Check front matter against ``Issue.FRONT_MATTER`` and build the Issue it describes."""
    at = At(YAML)
    values = Issue.FRONT_MATTER.validate(meta, at)
    slug = values.get("slug") or slug_from_path(path)
    if not values.get("slug"):  # the file name's slug, checked the same way
        try:
            Issue.FRONT_MATTER.options["slug"].validate(slug, at.child("slug"))
        except Invalid as problem:
            problem.hint += " (the slug comes from the file name)"
            at.child("slug").fail(problem)
    redirects = _redirect_paths(values.get("redirect_from", ()), config, at)
    for remark in at.warnings:
        warn(Problem(remark.message, path, key_lines.get(remark.path[0]), remark.hint))
    if at.errors:
        problems = [
            Problem(r.message, path, key_lines.get(r.path[0], 1), r.hint) for r in at.errors
        ]
        raise PublisherError(sorted(problems, key=lambda p: p.line or 0))
    date, updated = _zoned(values["date"], config), values.get("updated")
    tag = values.get("language") or config.language
    return Issue(
        source=path,
        title=typeset(values["title"].strip(), tag),
        date=date,
        slug=slug,
        id=values.get("id") or derive_id(config, date, slug),
        body=body,
        body_line=body_line,
        subtitle=typeset(values.get("subtitle") or "", tag),
        subject=typeset(values.get("subject") or "", tag),
        summary=typeset(values.get("summary") or "", tag),
        author=values.get("author") or config.author.name,
        tags=values.get("tags", ()),
        image=values.get("image") or "",
        image_focus=values.get("image_focus", (0.5, 0.5)),
        language=tag,
        translation_of=values.get("translation_of") or "",
        draft=values.get("draft", False),
        updated=_zoned(updated, config) if updated is not None else None,
        signoff=values.get("signoff"),
        redirect_from=redirects,
        lines=key_lines,
    )


def _redirect_paths(addresses: tuple[str, ...], config: Config, at: At) -> tuple[str, ...]:
    """Return the files of the site the old ``addresses`` name, each once; a problem for any
    that cannot be one."""
    paths: dict[str, None] = {}
    for address in addresses:
        try:
            paths[redirect_path(address, config.base_url)] = None
        except Invalid as problem:
            at.child("redirect_from").fail(problem)
    return tuple(paths)


def _zoned(when: dt.datetime, config: Config) -> dt.datetime:
    """Return ``when``, in the settings' time zone when it names none."""
    return when if when.tzinfo else when.replace(tzinfo=config.tz)


def slug_from_path(path: Path) -> str:
    """Return the slug an issue file's name gives: the name without its date prefix."""
    stem = path.parent.name if path.name == FOLDER_INDEX else path.stem
    match = DATED_NAME.match(stem)
    return match.group("slug") if match else stem


def is_valid_slug(slug: str) -> bool:
    """Return whether ``slug`` is usable as one URL path segment and folder name."""
    return slug_problem(slug) is None


@lru_cache(maxsize=4096)  # the archive's few tags, over and over
def slugify(text: str) -> str:
    """Return a URL slug for any Unicode text: lower case, words joined by hyphens."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "-", normal).strip("-")


def title_slug(title: str) -> str:
    """Return the slug of a new issue's title: Latin letters in ASCII (``Crème brûlée`` →
    ``creme-brulee``, ``Straße`` → ``strasse``), other scripts as they are (``東京の朝`` →
    ``東京の朝``, ``Москва`` → ``москва``)."""
    from anyascii import anyascii

    text = unicodedata.normalize("NFC", title)
    latin = "".join(
        anyascii(ch) if ord(ch) > 127 and unicodedata.name(ch, "").startswith("LATIN") else ch
        for ch in text
    )
    return slugify(latin)


def derive_id(config: Config, date: dt.datetime, slug: str) -> str:
    """Return a tag URI (RFC 4151) from the base URL's host, the date and the slug."""
    host = urlsplit(config.base_url).hostname or "localhost"
    return f"tag:{host},{date.date().isoformat()}:/{quote(slug)}/"


# --- reading the YAML -----------------------------------------------------------------------


@lru_cache(maxsize=2)
def _loader(fast: bool = True) -> type[Any]:
    """Return YAML's safe loader (libyaml's, when PyYAML has it), leaving dates as text for our
    own checked parsing."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if fast else yaml.SafeLoader

    class FrontMatterLoader(base):  # type: ignore[valid-type,misc]
        def fetch_flow_collection_start(self, token_class: type[yaml.Token]) -> None:
            """Refuse [ or { nested past MAX_NESTING, as libyaml does past 1,000 (its own
            scanner does not call this): each costs the pure-Python scanner a look at every
            one still open, and [[[[...]]]] of a few thousand levels took seconds. (Front
            matter nested 100 to 1,000 deep is thus read by libyaml alone: no key takes it.)"""
            if self.flow_level >= MAX_NESTING:
                raise yaml.scanner.ScannerError(problem=NESTED, problem_mark=self.get_mark())
            super().fetch_flow_collection_start(token_class)

    def timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
        return str(loader.construct_scalar(node))

    def bounded_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
        if len(node.value) > MAX_NUMBER:  # (no key takes a number at all)
            problem = f"a number of {len(node.value)} characters is too long to read"
            raise yaml.constructor.ConstructorError(problem=problem, problem_mark=node.start_mark)
        return int(loader.construct_yaml_int(node))

    FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_text)
    FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", bounded_number)
    return FrontMatterLoader


#: The longest number front matter reads (Python refuses to make an int of 4,301 digits, and
#: takes seconds over a long 1:2:3... in base 60, which YAML 1.1 reads as one).
MAX_NUMBER = 64
#: The deepest [ or { front matter reads (a list of tags is one deep).
MAX_NESTING = 100
NESTED = "nested too deeply to read"
YAML_HINT = (
    "write one `key: value` per line; quote a value that contains `: ` or starts with "
    "[ { * & ! | > ' or \""
)
ALIAS_HINT = (
    "write the value out in full instead of the alias; a value that starts with * needs "
    'quotes: `title: "*Breaking* news"`'
)


def read_yaml(text: str, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse front matter, keeping each top-level key's line in the file.

    libyaml reads it when it can; a file it refuses is read again by the pure-Python loader, so
    every message (and line) is the same with or without libyaml.
    """

    if _loader() is not _loader(fast=False):
        try:
            return _parse_yaml(text, path, _loader())
        except PublisherError:
            pass
    return _parse_yaml(text, path, _loader(fast=False))


def _parse_yaml(
    text: str, path: Path, loader_class: type[Any]
) -> tuple[dict[str, Any], dict[str, int]]:
    import yaml

    if "*" in text:  # (no alias without one: most front matter is not scanned twice)
        _refuse_aliases(text, path, loader_class)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except RecursionError:  # the pure-Python parser recurses once a level (- - - - ...)
        raise PublisherError.at(
            f"front matter is not valid YAML: {NESTED}",
            path,
            getattr(loader, "line", 0) + 2,
            YAML_HINT,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else 1
        problem = cut(exc.problem or "invalid YAML", 2 * QUOTED)  # (it may quote a whole tag)
        raise PublisherError.at(
            f"front matter is not valid YAML: {problem}",
            path,
            line,
            YAML_HINT,
        ) from exc
    except yaml.YAMLError as exc:
        message = f"front matter is not valid YAML: {cut(str(exc))}"
        raise PublisherError.at(message, path, 1) from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise PublisherError.at(
            "front matter must be `key: value` lines", path, 2, FRONT_MATTER_HINT
        )
    lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            lines[str(key_node.value)] = key_node.start_mark.line + 2
    return data, lines


def _refuse_aliases(text: str, path: Path, loader_class: type[Any]) -> None:
    """Refuse front matter that holds a YAML alias (``*name``), at the alias's line.

    Each key takes one short value, so an alias can only repeat one written a few lines above:
    no front matter needs one. Refusing them all (rather than counting how far they expand)
    leaves no budget to tune, and no way for a few hundred bytes of nested aliases to grow to
    gigabytes when a value is checked or quoted (the "billion laughs"), or to loop (``&a [*a]``).
    Only the scanner reads the text here: nothing is built.
    """
    import yaml

    try:
        for token in yaml.scan(text, Loader=loader_class):
            if isinstance(token, yaml.AliasToken):
                raise PublisherError.at(
                    f"front matter cannot use YAML aliases (`*{cut(token.value, 40)}`)",
                    path,
                    token.start_mark.line + 2,
                    ALIAS_HINT,
                )
    except yaml.YAMLError:
        return  # not YAML at all: the parser says where
