"""``publisher check``: every rule over every issue, one finding per line, like a linter.

Each rule has an id, a level and a message that says how to fix what it found. ``check``,
``build`` and ``preview`` share the loading code, so they agree on what is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from publisher import refs
from publisher.colours import CALLOUT_COLOURS, TINT, contrast, mix
from publisher.config import (
    SETTINGS_FILE,
    Colors,
    Config,
    key_line,
    load_config,
    no_header_problem,
    placeholder_problem,
    unchosen_service_problem,
)
from publisher.errors import Problem, PublisherError, closest, collecting, display_path
from publisher.images import shelf_of
from publisher.issue import Issue, load_folder
from publisher.refs import Ref, SiteIndex
from publisher.rendered import Rendered
from publisher.sanitize import absolute_url
from publisher.strings import has_catalogue, known_keys, languages
from publisher.theme import Theme

if TYPE_CHECKING:
    from markdown_it.token import Token

    from publisher.markdown import Document

ERROR, WARNING, INFO = "error", "warning", "info"
LEVELS = (ERROR, WARNING, INFO)

#: Every rule: id -> (level, what it finds). The README lists them.
RULES: dict[str, tuple[str, str]] = {
    "FM001": (ERROR, "front matter or file that cannot be read"),
    "FM002": (WARNING, "unknown front-matter key, or a character that was removed"),
    "FM003": (ERROR, "settings (newsletter.toml) that cannot be read"),
    "FM004": (WARNING, "unknown setting"),
    "ID001": (ERROR, "two issues with the same slug"),
    "ID002": (ERROR, "two issues with the same feed id"),
    "ID003": (WARNING, "a feed id that would change against the published site"),
    "IMG001": (WARNING, "image without alt text"),
    "IMG002": (WARNING, "image whose alt text says nothing (“image”, “photo”, its file name)"),
    "IMG003": (ERROR, "local image that does not exist"),
    "IMG004": (WARNING, "image still heavy in the email after resizing (over 200 KB)"),
    "IMG005": (INFO, "remote image of unknown size"),
    "IMG006": (ERROR, "image outside the issue's folder or the newsletter folder"),
    "IMG007": (
        ERROR,
        "image that cannot be published: empty, damaged, not an image (read by its content), "
        "an SVG drawing in the email, or over Pillow's decompression-bomb limit",
    ),
    "IMG008": (WARNING, "email over 1 MB with its images: slow to open on a phone"),
    "LNK001": (ERROR, "link to another issue that does not exist"),
    "LNK002": (ERROR, "empty link"),
    "LNK003": (WARNING, "http:// link"),
    "LNK004": (ERROR, "link to a local file that does not exist"),
    "LNK005": (ERROR, "link to a file outside the issue's folder or the newsletter folder"),
    "LNK006": (ERROR, "link to a draft or scheduled issue (readers would get a 404)"),
    "FN001": (ERROR, "footnote reference without a definition"),
    "FN002": (WARNING, "footnote defined but never referenced"),
    "HDG001": (WARNING, "heading that skips a level"),
    "HTML001": (WARNING, "script, iframe, form, event handler or javascript: URL (removed)"),
    "SIZE001": (WARNING, "email over 80 KB, close to Gmail's clipping"),
    "SIZE002": (ERROR, "email over 102 KB: Gmail clips it"),
    "SUM001": (INFO, "no summary: the first paragraph is the inbox preview"),
    "SUM002": (WARNING, "summary longer than an inbox shows"),
    "TPL001": (ERROR, "the theme cannot render the issue, or makes MJML that MJML does not know"),
    "TPL002": (WARNING, "a template's block that the template it extends does not have"),
    "SET001": (WARNING, "text colour below WCAG AA contrast on the background"),
    "SET002": (WARNING, "no postal address in the settings"),
    "SET003": (ERROR, "no unsubscribe link in the email"),
    "SET004": (WARNING, "base_url is a placeholder domain (example.com, .test, localhost...)"),
    "SET005": (WARNING, "no email service chosen: the unsubscribe link is a placeholder"),
    "SET006": (WARNING, "ready-to-send messages without a List-Unsubscribe header"),
    "SET007": (WARNING, "a language the theme has no words for: they stay in English"),
    "DATE001": (INFO, "dated in the future: scheduled"),
    "DRAFT001": (INFO, "draft: not published"),
    "SITE001": (
        ERROR,
        "a path of the site claimed twice: a slug the site uses, a static file or "
        "an issue's file over a generated one",
    ),
}

GMAIL_WARN = 80 * 1024
GMAIL_CLIP = 102 * 1024
#: One image file of the email over this is worth a look (a photo at 1200 px is ~100 KB).
HEAVY_IMAGE = 200 * 1024
#: The email with its images: about 5 s to load on a slow mobile link (1.6 Mbit/s, the "slow
#: 4G" profile of Chrome's Lighthouse).
HEAVY_EMAIL = 1024 * 1024
INBOX_PREVIEW = 140
GENERIC_ALT = {"image", "img", "photo", "picture", "pic", "graphic", "screenshot", "foto", "bild"}
UNSAFE_HTML = re.compile(
    r"<\s*(script|iframe|form|object|embed)\b|\son[a-z]+\s*=|javascript\s*:", re.IGNORECASE
)
UNDEFINED_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")


@dataclass(frozen=True, order=True)
class Finding:
    """One thing a rule found, with where it is and how to fix it."""

    file: str
    line: int
    column: int
    rule: str
    message: str

    @property
    def level(self) -> str:
        """Return the rule's level: error, warning or info."""
        return RULES[self.rule][0]

    def format(self) -> str:
        """Return ``file:line:col: level rule message``."""
        return f"{self.file}:{self.line}:{self.column}: {self.level} {self.rule} {self.message}"

    def as_dict(self) -> dict[str, object]:
        """Return the finding for JSON output."""
        return {**asdict(self), "level": self.level}


def _shown(path: Path | None, root: Path) -> str:
    return display_path(path, root) if path is not None else SETTINGS_FILE


def from_problem(rule: str, problem: Problem, root: Path) -> Finding:
    """Turn a loading problem into a finding."""
    message = problem.message + (f"; fix: {problem.hint}" if problem.hint else "")
    return Finding(_shown(problem.file, root), problem.line or 1, 1, rule, message)


# --- the issue's own rules ----------------------------------------------------------------------


class _Locator:
    """Finds the file line and column of something in an issue's body."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        self.lines = issue.body.split("\n")

    def find(self, token: Token | None, needle: str = "", skip: int = 0) -> tuple[int, int]:
        """Return (line, column) of ``needle`` (plus ``skip`` characters) in ``token``'s lines."""
        start, end = (token.map or [0, 1]) if token is not None else (0, len(self.lines))
        for n in range(start, max(end, start + 1)):
            if n < len(self.lines):
                column = self.lines[n].find(needle) if needle else 0
                if column >= 0:
                    return self.issue.body_line + n, column + 1 + (skip if needle else 0)
        return self.issue.body_line + start, 1

    def find_from(self, line: int, needle: str) -> tuple[int, int]:
        """Return (line, column) of ``needle`` at body line ``line`` or the few after it."""
        for n in range(line, min(line + 20, len(self.lines))):
            column = self.lines[n].find(needle)
            if column >= 0:
                return self.issue.body_line + n, column + 1
        return self.issue.body_line + line, 1


class Slugs:
    """Every issue's slug, and the file names authors may use for them, for link rules."""

    def __init__(self, issues: Iterable[Issue], now: dt.datetime) -> None:
        #: Each slug's status: published, draft or scheduled.
        self.slugs: dict[str, str] = {}
        #: File stems and folder names (``2025-07-08-grain``) -> slug.
        self.by_name: dict[str, str] = {}
        for issue in issues:
            self.slugs[issue.slug] = refs.status_of(issue, now)
            name = issue.source.parent.name if issue.folder else issue.source.stem
            self.by_name[name] = issue.slug

    def suggest(self, name: str) -> str | None:
        """Return the slug ``name`` most likely means, if any is close."""
        if name in self.by_name:
            return self.by_name[name]
        close = closest(name, [*self.slugs, *self.by_name], n=1, cutoff=0.75)
        return self.by_name.get(close[0], close[0]) if close else None


def issue_findings(
    issue: Issue,
    doc: Document,
    config: Config,
    slugs: Slugs | None,
    root: Path,
    now: dt.datetime,
) -> list[Finding]:
    """Run every rule that needs only the issue's source (``doc`` read by ``read_body``).

    Links to paths of the site (``../grain-corridor/``) are checked against ``slugs`` when it is
    given (``site_link_findings``).
    """
    file = _shown(issue.source, root)
    where = _Locator(issue)
    found: list[Finding] = []

    def add(rule: str, position: tuple[int, int], message: str) -> None:
        found.append(Finding(file, position[0], position[1], rule, message))

    if issue.draft:
        add(
            "DRAFT001",
            (issue.lines.get("draft", 1), 1),
            "draft: left out of site/ and the feeds; fix: remove `draft: true` to publish it",
        )
    elif issue.is_scheduled(now):
        add(
            "DATE001",
            (issue.lines.get("date", 1), 1),
            f"scheduled for {issue.date.date().isoformat()}: built once that day has come",
        )
    if issue.language != config.language and not has_catalogue(issue.language):
        add("SET007", (issue.lines.get("language", 1), 1), _no_catalogue(issue.language))
    if not issue.summary:
        add(
            "SUM001",
            (issue.lines.get("summary", 1), 1),
            "no `summary:`; the inbox shows the first paragraph instead"
            "; fix: add a one-sentence `summary:` of up to 140 characters",
        )
    elif len(issue.summary) > INBOX_PREVIEW:
        add(
            "SUM002",
            (issue.lines.get("summary", 1), 1),
            f"summary is {len(issue.summary)} characters; inboxes show about {INBOX_PREVIEW}"
            "; fix: shorten it",
        )

    level = 1  # the title is the page's h1
    for token in doc.tokens:
        if token.type == "heading_open":
            new = int(token.tag[1])
            if new > level + 1:
                add(
                    "HDG001",
                    where.find(token),
                    f"heading level {new} follows level {level}"
                    f"; fix: use {'#' * (level + 1)} (the title is level 1)",
                )
            level = new
        if token.type in ("html_block", "html_inline") and UNSAFE_HTML.search(token.content):
            add(
                "HTML001",
                where.find(token, token.content.strip()[:20]),
                "script, iframe, form, event handler or javascript: URL: it is removed from "
                "email and feeds; fix: delete it, or link to the page instead",
            )
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type == "image":
                found.extend(_image_findings(child, token, where, file))
            elif child.type == "link_open":
                found.extend(_link_findings(child, token, where, file))
            elif child.type == "html_inline" and UNSAFE_HTML.search(child.content):
                add(
                    "HTML001",
                    where.find(token, child.content[:20]),
                    "script, iframe, form, event handler or javascript: URL: it is removed"
                    "; fix: delete it",
                )
            elif child.type == "text":
                for match in UNDEFINED_FOOTNOTE.finditer(child.content):
                    add(
                        "FN001",
                        where.find(token, match.group()),
                        f"footnote [^{match.group(1)}] is never defined"
                        f"; fix: add a line `[^{match.group(1)}]: the note` at the end",
                    )
    for label, number in doc.env.get("footnotes", {}).get("refs", {}).items():
        if number == -1:
            name = label.lstrip(":")
            add(
                "FN002",
                where.find(None, f"[^{name}]:"),
                f"footnote [^{name}] is defined but never used, so it is not shown"
                f"; fix: cite it with [^{name}] in the text, or delete it",
            )
    for ref in doc.refs:
        found.extend(_ref_findings(ref, issue, where, file, slugs))
    if slugs is not None:
        found += site_link_findings(issue, doc.refs, config, slugs, root)
    return found


def _image_findings(image: Token, inline: Token, where: _Locator, file: str) -> Iterable[Finding]:
    src = str(image.attrGet("src") or "")
    position = where.find(inline, src) if src else where.find(inline, "![")
    alt = image.content.strip()
    name = PurePosixPath(urlsplit(src).path).name
    if not alt:
        yield Finding(
            file,
            *position,
            "IMG001",
            f"image {name or src!r} has no alt text; fix: "
            "describe what it shows inside ![...] for readers who cannot see it",
        )
    elif alt.casefold() in GENERIC_ALT or alt == name or alt == PurePosixPath(name).stem:
        yield Finding(
            file,
            *position,
            "IMG002",
            f"alt text {alt!r} says nothing about the image"
            "; fix: describe what it shows, e.g. ![Cranes unloading grain at dusk]",
        )
    if urlsplit(src).scheme in ("http", "https"):
        from publisher.email import CONTENT_WIDTH

        yield Finding(
            file,
            *position,
            "IMG005",
            f"remote image {src!r}: its size is unknown, so "
            f"it is shown {CONTENT_WIDTH} px wide; fix: save it in the issue's folder",
        )


def _link_findings(link: Token, inline: Token, where: _Locator, file: str) -> Iterable[Finding]:
    href = str(link.attrGet("href") or "").strip()
    position = where.find(inline, f"]({href}", skip=2) if href else where.find(inline, "]()")
    if not href:
        yield Finding(file, *position, "LNK002", "link has no address; fix: put the URL in (...)")
    elif urlsplit(href).scheme == "http":
        yield Finding(
            file,
            *position,
            "LNK003",
            f"{href} is not encrypted; fix: use https:// if the site supports it",
        )


def _ref_findings(
    ref: Ref, issue: Issue, where: _Locator, file: str, slugs: Slugs | None
) -> Iterable[Finding]:
    """Return the findings of one resolved link or image."""
    if ref.line < 0:  # the front matter's ``image:``
        position = (issue.body_line + ref.line, 1)
    else:
        position = where.find_from(ref.line, ref.href)
    href = ref.href
    if ref.role in ("image", refs.CARD):
        if ref.kind == refs.MISSING:
            yield Finding(
                file,
                *position,
                "IMG003",
                f"image {href!r} not found next to the issue"
                "; fix: check the file name, or put the image in the issue's folder",
            )
        elif ref.kind == refs.OUTSIDE:
            yield Finding(
                file,
                *position,
                "IMG006",
                f"image {href!r} is outside the issue's folder ({ref.name}); only files inside "
                "it are published; fix: copy the image into the issue's folder",
            )
        elif ref.kind == refs.NOT_IMAGE:
            yield Finding(
                file,
                *position,
                "IMG007",
                f"{href!r} cannot be published: {ref.problem}; fix: {ref.hint}",
            )
        return
    if ref.kind == refs.NOT_IMAGE:  # a linked image file
        yield Finding(
            file,
            *position,
            "IMG007",
            f"{href!r} cannot be published: {ref.problem}; fix: {ref.hint}",
        )
        return
    if ref.kind == refs.MISSING and ref.name.lower().endswith(".md"):
        stem = PurePosixPath(ref.name).stem
        if stem == "index":
            stem = PurePosixPath(ref.name).parent.name
        slug = slugs.suggest(stem) if slugs is not None else None
        hint = (
            f"link to that issue's file, or to its page ../{slug}/ (slug {slug!r})"
            if slug
            else "check the file name of the issue you mean"
        )
        yield Finding(
            file,
            *position,
            "LNK001",
            f"{href!r} links to {ref.name}, which is not an issue file; fix: {hint}",
        )
    elif ref.kind == refs.MISSING:
        yield Finding(
            file,
            *position,
            "LNK004",
            f"{href!r}: no file {ref.name!r} next to the issue"
            "; fix: check the name, or add the file to the issue's folder",
        )
    elif ref.kind == refs.OUTSIDE:
        yield Finding(
            file,
            *position,
            "LNK005",
            f"{href!r} leads to {ref.name}, outside the issue's folder; only files inside it "
            "are published; fix: copy the file into the issue's folder and link it there",
        )
    elif ref.kind == refs.ISSUE and ref.target is not None and ref.target.status != "published":
        yield _unpublished_link(file, position, href, ref.target)


def _unpublished_link(
    file: str, position: tuple[int, int], href: str, target: refs.Target
) -> Finding:
    return Finding(
        file,
        *position,
        "LNK006",
        f"{href!r} links to the {target.status} issue {target.slug!r}: readers would get a "
        "page that does not exist; fix: publish that issue first, or remove the link",
    )


def site_link_findings(
    issue: Issue, found: Iterable[Ref], config: Config, slugs: Slugs, root: Path
) -> list[Finding]:
    """Check links to paths of the site (``../grain-corridor/``) against the issues' slugs."""
    from publisher.site import SITE_NAMES

    file = _shown(issue.source, root)
    where: _Locator | None = None
    out = []
    base, site = issue.url(config), config.base_url
    for ref in found:
        if ref.kind != refs.SITE:
            continue
        url = absolute_url(ref.href, base)
        if not url.startswith(site):
            continue
        segments = [unquote(s) for s in url[len(site) :].split("#")[0].split("?")[0].split("/")]
        first = segments[0]
        if not first or first in SITE_NAMES or slugs.slugs.get(first) == "published":
            continue
        where = where or _Locator(issue)
        if first in slugs.slugs:
            target = refs.Target(first, slugs.slugs[first])
            out.append(
                _unpublished_link(file, where.find_from(ref.line, ref.href), ref.href, target)
            )
            continue
        slug = slugs.suggest(first)
        hint = (
            f"its slug is {slug!r}: ../{slug}/"
            if slug
            else "check the slug (the file name without its date), e.g. ../grain-corridor/"
        )
        out.append(
            Finding(
                file,
                *where.find_from(ref.line, ref.href),
                "LNK001",
                f"{ref.href!r} links to {first!r}, which is not an issue; fix: {hint}",
            )
        )
    return out


def _weight_findings(
    issue: Issue, rendered: Rendered, file: str, html_bytes: int, root: Path
) -> list[Finding]:
    """Warn about email images that stay heavy once resized, and an email too heavy to open
    quickly with its images."""
    shelf = shelf_of(root)
    found = []
    for image in rendered.images:
        size = shelf.size_of(image.shelf_name) if image.email else 0
        if size > HEAVY_IMAGE:
            source = image.name.rsplit("-", 1)[0]
            found.append(
                Finding(
                    file,
                    issue.body_line + image.line,
                    1,
                    "IMG004",
                    f"an image of {source!r} is still {size / 1024:.0f} KB in the email at the "
                    "size it is shown (an animation or a detailed drawing resizes badly); fix: "
                    "shorten the animation, or export a simpler picture",
                )
            )
    total = html_bytes + rendered.image_bytes
    if total > HEAVY_EMAIL:
        found.append(
            Finding(
                file,
                1,
                1,
                "IMG008",
                f"the email weighs {total / 1024:.0f} KB with its images (HTML "
                f"{html_bytes / 1024:.0f} KB, images {rendered.image_bytes / 1024:.0f} KB): "
                "about 5 s on a slow mobile link; fix: show fewer images, or link to them",
            )
        )
    return found


def email_findings(issue: Issue, rendered: Rendered, config: Config, root: Path) -> list[Finding]:
    """Run the rules that need the rendered email."""
    file = _shown(issue.source, root)
    size = len(rendered.html.encode("utf-8"))
    found = []
    if size >= GMAIL_CLIP:
        found.append(
            Finding(
                file,
                1,
                1,
                "SIZE002",
                f"the email is {size / 1024:.0f} KB; Gmail "
                "clips emails over 102 KB; fix: shorten it or split it in two",
            )
        )
    elif size >= GMAIL_WARN:
        found.append(
            Finding(
                file,
                1,
                1,
                "SIZE001",
                f"the email is {size / 1024:.0f} KB, close to "
                "Gmail's 102 KB clipping; fix: shorten it",
            )
        )
    found += _weight_findings(issue, rendered, file, size, root)
    link = config.unsubscribe.link
    if f'href="{link}"' not in rendered.html:
        found.append(
            Finding(
                file,
                1,
                1,
                "SET003",
                "the email has no unsubscribe link; fix: keep "
                "{{ unsubscribe_url }} in your email template's footer",
            )
        )
    return found


# --- settings ----------------------------------------------------------------------------------


def _no_catalogue(tag: str) -> str:
    from publisher.language import is_known

    dates = "its dates are localised, but " if is_known(tag) else "its dates and "
    return (
        f"language {tag!r}: {dates}the theme's words (View online, Unsubscribe...) stay in "
        f"English; fix: set them under [strings] (keys: {', '.join(known_keys())}), or use one "
        f"of {', '.join(languages())}"
    )


def colour_pairs(c: Colors) -> list[tuple[str, str, str, str]]:
    """Return every text colour the theme sets on a background: (setting, text, background,
    what), the tints of the components included."""
    pairs = [
        ("text", c.text, c.background, "text"),
        ("link", c.link, c.background, "links"),
        ("muted", c.muted, c.background, "captions and footer"),
        ("dark_text", c.dark_text, c.dark_background, "dark-mode text"),
        ("dark_link", c.dark_link, c.dark_background, "dark-mode links"),
        ("accent", c.background, c.accent, "a button's words"),
        ("dark_accent", c.dark_background, c.dark_accent, "a dark-mode button's words"),
    ]
    for variant, key in CALLOUT_COLOURS.items():
        tint = mix(getattr(c, key), c.background, 1 - TINT)
        dark = mix(getattr(c, f"dark_{key}"), c.dark_background, 0.85)
        pairs += [
            (key, c.text, tint, f"text in a {variant} box"),
            (key, c.muted, tint, f"the label of a {variant} box"),
            (f"dark_{key}", c.dark_text, dark, f"dark-mode text in a {variant} box"),
            (f"dark_{key}", c.dark_muted, dark, f"the dark-mode label of a {variant} box"),
        ]
    return pairs


def settings_findings(config: Config, root: Path) -> list[Finding]:
    """Run the rules on the settings."""
    file = SETTINGS_FILE
    text = config.path.read_text(encoding="utf-8-sig") if config.path else ""
    found = []
    for key, foreground, background, what in colour_pairs(config.colors):
        ratio = contrast(foreground, background)
        if ratio < 4.5:
            line = key_line(text, "colors", key) or 1 if text else 1
            found.append(
                Finding(
                    file,
                    line,
                    1,
                    "SET001",
                    f"{what} ({foreground} on {background}) have contrast {ratio:.1f}:1, under "
                    "WCAG AA's 4.5:1; fix: darken or lighten the colour",
                )
            )
    placeholder = placeholder_problem(config)
    if placeholder is not None:
        found.append(from_problem("SET004", placeholder, root))
    unchosen = unchosen_service_problem(config)
    if unchosen is not None:
        found.append(from_problem("SET005", unchosen, root))
    if not has_catalogue(config.language):
        line = key_line(text, None, "language") or 1 if text else 1
        found.append(Finding(file, line, 1, "SET007", _no_catalogue(config.language)))
    no_header = no_header_problem(config)
    if no_header is not None:
        found.append(from_problem("SET006", no_header, root))
    if not config.footer.address.strip():
        found.append(
            Finding(
                file,
                (key_line(text, "footer", None) or 1) if text else 1,
                1,
                "SET002",
                "no postal address; bulk-mail rules (CAN-SPAM and others) "
                "require one; fix: set address under [footer]",
            )
        )
    return found


# --- running it all ------------------------------------------------------------------------------


def run_checks(
    root: Path,
    paths: Sequence[Path] = (),
    now: dt.datetime | None = None,
    out: Path | None = None,
) -> list[Finding]:
    """Check the newsletter in ``root`` (or only the issue files in ``paths``) against the site
    in ``out`` (default ``site/``); sorted findings."""
    from publisher.manifest import changed_ids, read_manifest
    from publisher.render import read_body, render_issue
    from publisher.site import SITE_DIR, plan_for

    root = root.resolve()
    now = now or dt.datetime.now(dt.UTC)
    out = (out or root / SITE_DIR).resolve()
    findings: list[Finding] = []
    with collecting() as warnings:
        try:
            config = load_config(root)
        except PublisherError as exc:
            return sorted(from_problem("FM003", p, root) for p in exc.problems)
    findings += [from_problem("FM004", w, root) for w in warnings]
    findings += settings_findings(config, root)
    theme = Theme(root)

    loaded = load_folder(root, config)
    for _path, problems in loaded.failed.items():
        findings += [from_problem("FM001", p, root) for p in problems]
    for _path, problems in loaded.warnings.items():
        findings += [from_problem("FM002", w, root) for w in problems]
    for problem in loaded.clashes:
        rule = "ID001" if problem.message.startswith("slug") else "ID002"
        findings.append(from_problem(rule, problem, root))
    issues = loaded.issues
    published = sorted(
        (i for i in issues if i.is_published(now)), key=lambda i: (i.date, i.slug), reverse=True
    )
    findings += [
        from_problem("ID003", p, root)
        for p in changed_ids(
            read_manifest(out), published, urlsplit(config.base_url).hostname or ""
        )
    ]
    plan, problems = plan_for(root, config, theme, published, shelf_of(root))
    findings += [from_problem("SITE001", p, root) for p in problems]

    wanted = {p.resolve() for p in paths}
    checked: list[tuple[Issue, Rendered]] = []
    slugs = Slugs(issues, now)
    index = SiteIndex(root, now, issues)
    for issue in issues:
        if (
            wanted
            and issue.source.resolve() not in wanted
            and (issue.source.parent.resolve() not in wanted)
        ):
            continue
        doc = read_body(issue, root, index)
        findings += issue_findings(issue, doc, config, slugs, root, now)
        if issue.is_published(now):
            problems = plan.add_issue_files(issue, refs.file_lines(doc.refs, issue.body_line))
            findings += [from_problem("SITE001", p, root) for p in problems]
        try:
            rendered = render_issue(issue, config, theme, doc)
        except PublisherError as exc:
            findings += [from_problem("TPL001", p, root) for p in exc.problems]
            continue
        findings += email_findings(issue, rendered, config, root)
        checked.append((issue, rendered))
    findings += web_findings(theme, config, checked, root)
    findings += [from_problem("TPL002", p, root) for p in theme.block_problems()]
    if wanted:
        keep = {_shown(p, root) for p in wanted} | {SETTINGS_FILE}
        keep |= {f.file for f in findings if f.rule.startswith("TPL")}
        keep |= {_shown(p / "index.md", root) for p in wanted if p.is_dir()}
        findings = [f for f in findings if f.file in keep]
    return sorted(set(findings))


def web_findings(
    theme: Theme, config: Config, rendered: Sequence[tuple[Issue, Rendered]], root: Path
) -> list[Finding]:
    """Render the web pages of ``rendered`` through the code ``build`` uses; every template
    error is a finding at the template's line."""
    from publisher.pages import Pages

    found: list[Finding] = []
    newest = sorted(rendered, key=lambda pair: (pair[0].date, pair[0].slug), reverse=True)
    pages = Pages(theme, config, [(issue, r.view) for issue, r in newest])
    jobs: list[Callable[[], str]] = [pages.index, pages.style]
    jobs += [partial(pages.issue, r) for _, r in newest]
    jobs += [partial(pages.tag, tag) for tag in pages.tags.values()]
    for job in jobs:
        try:
            job()
        except PublisherError as exc:
            found += [from_problem("TPL001", p, root) for p in exc.problems]
    return found


def errors_of(
    issue: Issue, doc: Document, rendered: Rendered, config: Config, root: Path, now: dt.datetime
) -> list[Finding]:
    """Return the error-level findings of one rendered issue: what stops ``publisher build``.

    Links to paths of the site are checked apart, once every slug is known
    (``site_link_findings``).
    """
    found = issue_findings(issue, doc, config, None, root, now)
    found += email_findings(issue, rendered, config, root)
    return sorted({f for f in found if f.level == ERROR})


def exit_status(findings: Sequence[Finding], strict: bool) -> int:
    """Return 1 when there is an error (or, with ``strict``, a warning), else 0."""
    failing = {ERROR, WARNING} if strict else {ERROR}
    return 1 if any(f.level in failing for f in findings) else 0
