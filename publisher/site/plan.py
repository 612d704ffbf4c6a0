"""The site plan: every path of the site and what produces it, decided before anything is written.

The plan is pure: it is computed from the settings, the published issues, the files each issue
publishes, the theme's assets and the folder's ``static/`` files; it reads no output and writes
nothing. ``publisher build`` executes it (``build.py``); ``publisher preview`` serves ``/site/``
from it; ``check`` and ``build`` report its problems (a slug the site uses itself, a static file
or an issue's file that would replace a generated page, an issue's old address that the site
has already) at their ``file:line``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from publisher.config import LOGOS, SETTINGS_FILE, Config, logo_file
from publisher.errors import Problem, PublisherError, display_path
from publisher.language import folder_name
from publisher.model.issue import Issue
from publisher.model.translations import language_folders
from publisher.render.channels import ARCHIVE_DIR, archive_folder, archive_years
from publisher.render.context import PAGE_DIR, page_count, page_path, tag_links
from publisher.render.feeds import ATOM_FILE, JSON_FILE, RSS_FILE, SITEMAP_FILE
from publisher.render.images import Variant
from publisher.render.shelf import Shelf
from publisher.render.theme import Theme

#: Where a build writes the site, unless told otherwise.
SITE_DIR = "site"
#: Every published issue's slug, permanent id and date, and every file the build wrote.
MANIFEST = "publisher.json"
ASSETS_DIR = "assets"
STYLE_FILE = f"{ASSETS_DIR}/style.css"
TAGS_DIR = "tags"
STATIC_DIR = "static"
INDEX = "index.html"
#: The search index (Pagefind's bundle), when ``[search]`` is enabled.
SEARCH_DIR = "pagefind"
#: Names at the site's root that the site uses itself: no issue may take them as its slug.
SITE_NAMES = (
    INDEX,
    ASSETS_DIR,
    TAGS_DIR,
    SEARCH_DIR,
    PAGE_DIR,
    ARCHIVE_DIR,
    RSS_FILE,
    ATOM_FILE,
    JSON_FILE,
    SITEMAP_FILE,
    MANIFEST,
)

# What produces a planned file.
ISSUE_PAGE, EMAIL_HTML, EMAIL_TEXT, EMAIL_EML = "issue page", "email", "plain text", "message"
INDEX_PAGE, TAG_PAGE, STYLE, FEED, SITEMAP, IDS = (
    "archive page",
    "tag page",
    "stylesheet",
    "feed",
    "sitemap",
    "manifest",
)
TAG_FEED, ARCHIVE_FEED = "tag feed", "archive feed"
LANGUAGE_PAGE, LANGUAGE_FEED = "language archive page", "language feed"
#: Each feed format: its file name and the name of the function that makes it (render/feeds.py).
FEED_FILES = ((RSS_FILE, "rss"), (ATOM_FILE, "atom"), (JSON_FILE, "json_feed"))
ASSET, LOGO, STATIC, ISSUE_FILE = "theme asset", "logo", "static file", "issue file"
IMAGE = "image"  # a variant of an image an issue shows, made by the image pipeline
REDIRECT = "redirect page"  # an old address of an issue (front matter ``redirect_from``)
SEARCH = "search index"  # a file of Pagefind's bundle, made from the issue pages as built
#: The files every issue gets, by name inside its folder of the site.
ISSUE_OUTPUTS = {
    INDEX: ISSUE_PAGE,
    "email.html": EMAIL_HTML,
    "email.txt": EMAIL_TEXT,
    "email.eml": EMAIL_EML,
}


@dataclass(frozen=True, slots=True)
class Planned:
    """One file of the site and what produces it."""

    kind: str
    #: The issue it belongs to (issue pages, emails and issue files), else "".
    slug: str = ""
    #: The tag slug of a tag page, or the feed's name (``rss``, ``atom``, ``json_feed``).
    name: str = ""
    #: The tag slug of a tag feed, the year of an archive feed, the number of an archive page,
    #: the folder of a language's feed (``fr``), that folder and the number of a language's
    #: archive page (``fr/2``).
    scope: str = ""
    #: The file copied as it is (assets, logo, static files, issue files); an image variant's
    #: made file as a plain path string (a build plans tens of thousands of them).
    source: Path | str | None = None
    #: Who claims the path, for messages: ``issues/x.md:12``, ``static/CNAME``.
    owner: str = ""


@dataclass
class SitePlan:
    """Every output path of the site, in the order the executor writes them."""

    root: Path
    outputs: dict[str, Planned] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: The email's logos that are files, to make on the image shelf (variant and file each).
    logos: list[tuple[Variant, Path]] = field(default_factory=list)

    def claim(self, path: str, planned: Planned, where: Path | None, line: int | None) -> bool:
        """Add ``path`` unless something else has it; a clash is a problem at ``where``."""
        had = self.outputs.get(path)
        if had is None:
            self.outputs[path] = planned
            return True
        if had != planned:
            self.problems.append(
                Problem(
                    f"{_who(planned)} would be published at {path}, which is "
                    f"already the {had.kind}" + (f" of {had.owner}" if had.owner else ""),
                    where,
                    line,
                    _hint(planned),
                )
            )
        return False

    def add_search(self, files: Iterable[tuple[str, Path]]) -> list[Problem]:
        """Plan the search index's files (name inside ``SEARCH_DIR``, the made file); return
        the problems met (a static file at one of its paths)."""
        before = len(self.problems)
        for name, made in files:
            planned = Planned(SEARCH, source=made, owner="the search index")
            self.claim(f"{SEARCH_DIR}/{name}", planned, None, None)
        return self.problems[before:]

    def issue_outputs(self, slug: str) -> list[tuple[str, Planned]]:
        """Return the pages and email files planned for the issue ``slug``."""
        paths = (f"{slug}/{name}" for name in ISSUE_OUTPUTS)
        return [(path, self.outputs[path]) for path in paths if path in self.outputs]

    def add_issue_files(
        self,
        issue: Issue,
        files: Iterable[tuple[str, int]],
        images: Iterable[tuple[str, int, Path | str]] = (),
    ) -> list[Problem]:
        """Plan the files an issue publishes beside its pages: files as they are (name, line
        in the issue's file) and image variants (name, line, the made file)."""
        return self.claim_all(issue, self.issue_claims(issue, files, images))

    def issue_claims(
        self,
        issue: Issue,
        files: Iterable[tuple[str, int]],
        images: Iterable[tuple[str, int, Path | str]] = (),
    ) -> list[Claim]:
        """Return the paths ``add_issue_files`` claims, without claiming them (yet)."""
        folder = issue.source.parent
        shown = display_path(issue.source, self.root)
        slug = issue.slug
        claims = [
            (
                f"{slug}/{name}",
                Planned(ISSUE_FILE, slug, source=folder / name, owner=f"{shown}:{line}"),
                line,
            )
            for name, line in files
        ]
        claims += [
            (f"{slug}/{name}", Planned(IMAGE, slug, source=made, owner=f"{shown}:{line}"), line)
            for name, line, made in images
        ]
        return claims

    def claim_all(self, issue: Issue, claims: Iterable[Claim]) -> list[Problem]:
        """Claim each path of ``claims`` for ``issue``; return the problems met."""
        before = len(self.problems)
        for path, planned, line in claims:
            self.claim(path, planned, issue.source, line)
        return self.problems[before:]


#: A path an issue's file claims, what it is, and the line of the issue's file that names it.
Claim = tuple[str, Planned, int]


def _who(planned: Planned) -> str:
    """Return what ``planned`` is, for a message about its path."""
    if planned.kind == REDIRECT:
        return "a redirect page (`redirect_from`)"
    return planned.owner or planned.kind


def _hint(planned: Planned) -> str:
    if planned.kind == REDIRECT:
        return "remove that address from `redirect_from:`: the site has that path already"
    if planned.kind == STATIC:
        return "rename or remove the file in static/; the site makes that path itself"
    if planned.kind == ISSUE_FILE:
        return "rename the file in the issue's folder (and the link or image that names it)"
    if planned.kind == LOGO:
        return "move the logo to another path in the folder, e.g. images/logo.png"
    return "choose another name"


def plan_site(
    root: Path,
    config: Config,
    issues: Sequence[Issue],
    tag_slugs: Iterable[str],
    assets: Sequence[tuple[str, Path]] = (),
    statics: Sequence[tuple[str, Path]] = (),
    logos: Sequence[tuple[str, Path]] = (),
) -> SitePlan:
    """Plan every path of the site for ``issues`` (published, newest first).

    The issues' own files are added as their references are known (``add_issue_files``).
    """
    plan = SitePlan(root)
    folders = language_folders(issues)
    taken = set(SITE_NAMES) | {name.split("/", 1)[0] for name, _ in statics}
    taken |= {name.split("/", 1)[0] for name, _ in logos} | set(folders)
    for issue in issues:
        if issue.slug in taken:
            plan.problems.append(_slug_taken(issue, folders))
            continue
        owner = display_path(issue.source, root)
        for name, kind in ISSUE_OUTPUTS.items():
            if kind != EMAIL_EML or config.author.email:
                plan.claim(f"{issue.slug}/{name}", Planned(kind, issue.slug, owner=owner), None, 1)
    _plan_archive(plan, config, issues, tag_slugs)
    _plan_languages(plan, config, issues, folders)
    plan.claim(SITEMAP_FILE, Planned(SITEMAP), None, None)
    plan.claim(MANIFEST, Planned(IDS), None, None)
    _plan_copies(plan, assets, statics, logos)
    plan_redirects(plan, [issue for issue in issues if issue.slug not in taken])
    return plan


def _slug_taken(issue: Issue, folders: Sequence[str]) -> Problem:
    """Return the problem of an issue whose slug is a name the site's root has already."""
    owner = (
        "the site"
        if issue.slug in SITE_NAMES
        else f"the archive of the issues in that language (the issues are in {len(folders)} "
        "languages)"
        if issue.slug in folders
        else f"{STATIC_DIR}/ or the logo"
    )
    return Problem(
        f"slug {issue.slug!r} is a name {owner} uses at the site's root",
        issue.source,
        issue.lines.get("slug", 1),
        "give the issue another `slug:`, e.g. "
        f"`slug: {issue.slug.replace('.', '-').strip('-')}-issue`",
    )


def _plan_archive(
    plan: SitePlan, config: Config, issues: Sequence[Issue], tag_slugs: Iterable[str]
) -> None:
    """Plan the archive's pages, the stylesheet, the tag pages and their feeds, the site's
    feeds and each year's archive documents."""
    for number in range(1, page_count(len(issues), config.archive.per_page) + 1):
        path = page_path(number) + INDEX
        plan.claim(path, Planned(INDEX_PAGE, scope=str(number)), None, None)
    plan.claim(STYLE_FILE, Planned(STYLE), None, None)
    for tag in tag_slugs:
        plan.claim(f"{TAGS_DIR}/{tag}/{INDEX}", Planned(TAG_PAGE, name=tag), None, None)
        for name, kind in FEED_FILES:
            planned = Planned(TAG_FEED, name=kind, scope=tag)
            plan.claim(f"{TAGS_DIR}/{tag}/{name}", planned, None, None)
    for name, kind in FEED_FILES:
        plan.claim(name, Planned(FEED, name=kind), None, None)
    for year in archive_years(issues) if config.feeds.archives else ():
        for name, kind in FEED_FILES:
            planned = Planned(ARCHIVE_FEED, name=kind, scope=str(year))
            plan.claim(archive_folder(year) + name, planned, None, None)


def _plan_copies(
    plan: SitePlan,
    assets: Sequence[tuple[str, Path]],
    statics: Sequence[tuple[str, Path]],
    logos: Sequence[tuple[str, Path]],
) -> None:
    """Plan the files copied as they are: the theme's assets, the logos, ``static/``."""
    settings = plan.root / SETTINGS_FILE
    for name, source in assets:
        path = f"{ASSETS_DIR}/{name}"
        if path not in plan.outputs:  # the stylesheet the theme renders wins over a copy
            plan.outputs[path] = Planned(ASSET, source=source, owner=str(source))
    for name, source in logos:
        shown = display_path(settings, plan.root)
        plan.claim(name, Planned(LOGO, source=source, owner=f"the logo ({shown})"), settings, None)
    for name, source in statics:
        shown = f"{STATIC_DIR}/{name}"
        plan.claim(name, Planned(STATIC, source=source, owner=shown), plan.root / shown, None)


def plan_redirects(plan: SitePlan, issues: Sequence[Issue]) -> None:
    """Claim the old addresses of ``issues`` (``redirect_from``), last: a path that anything
    else of the site has, or that a file of the site needs as its folder (or the other way
    round), is a problem at the issue's ``redirect_from`` line."""
    redirects = [issue for issue in issues if issue.redirect_from]
    if not redirects:
        return
    folders = {path.rsplit("/", 1)[0] + "/" for path in plan.outputs if "/" in path}
    for issue in redirects:
        line = issue.lines.get("redirect_from", 1)
        owner = f"{display_path(issue.source, plan.root)}:{line}"
        planned = Planned(REDIRECT, issue.slug, owner=owner)
        for path in issue.redirect_from:
            clash = _folder_clash(plan, folders, path)
            if clash is None:
                plan.claim(path, planned, issue.source, line)
                continue
            plan.problems.append(
                Problem(
                    f"{_who(planned)} would be published at {path}, which {clash}",
                    issue.source,
                    line,
                    _hint(planned),
                )
            )


def _folder_clash(plan: SitePlan, folders: set[str], path: str) -> str | None:
    """Return why ``path`` cannot be a file beside the planned ones (a folder of theirs is
    one of its parts, or it is one of their folders), or None."""
    parts = path.split("/")
    for n in range(1, len(parts)):
        had = plan.outputs.get("/".join(parts[:n]))
        if had is not None:
            return f"needs {'/'.join(parts[:n])} as a folder, but it is the {had.kind}" + (
                f" of {had.owner}" if had.owner else ""
            )
    if any(folder.startswith(path + "/") for folder in folders):
        return "is a folder of other files of the site"
    return None


def _plan_languages(
    plan: SitePlan, config: Config, issues: Sequence[Issue], folders: Sequence[str]
) -> None:
    """Plan each language's archive pages and feeds in its folder (``fr/``): only when the
    issues are in more than one language (``folders``)."""
    for folder in folders:
        count = sum(1 for issue in issues if folder_name(issue.language) == folder)
        for number in range(1, page_count(count, config.archive.per_page) + 1):
            path = f"{folder}/{page_path(number)}{INDEX}"
            plan.claim(path, Planned(LANGUAGE_PAGE, scope=f"{folder}/{number}"), None, None)
        for name, kind in FEED_FILES:
            planned = Planned(LANGUAGE_FEED, name=kind, scope=folder)
            plan.claim(f"{folder}/{name}", planned, None, None)


def plan_for(
    root: Path, config: Config, theme: Theme, published: Sequence[Issue], shelf: Shelf
) -> tuple[SitePlan, list[Problem]]:
    """Plan the site of ``published`` (newest first): every path but the issues' own files,
    and the problems met (static files or theme assets that lead out of the folder, paths
    claimed twice, a logo that is no usable image)."""
    logos: list[tuple[Variant, Path]] = []
    statics, problems = static_files(root)
    if any(logo_file(config, name) for name in LOGOS):  # only then is the renderer loaded
        from publisher.render.issue import logos_of

        try:
            logos = logos_of(config)
        except PublisherError as exc:
            problems += exc.problems
    assets, asset_problems = theme_assets(theme.search_path, root)
    tags = (tag.slug for tag in tag_links(published).values())
    made = [(variant.name, shelf.path(variant)) for variant, _ in logos]
    plan = plan_site(root, config, published, tags, assets, statics, made)
    plan.logos = logos
    return plan, problems + asset_problems + plan.problems


def static_files(root: Path) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """Return every file of the folder's ``static/`` (path under it, file), hidden ones too.

    A file whose real path lies outside the newsletter folder (a symbolic link out) is a problem,
    never published.
    """
    folder = root / STATIC_DIR
    found: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return found, problems
    real_root = root.resolve()
    for path, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        base = Path(path)
        for name in sorted(files) + [d for d in dirs if (base / d).is_symlink()]:
            source = base / name
            relative = source.relative_to(folder).as_posix()
            try:
                real = source.resolve(strict=True)
            except (OSError, RuntimeError):
                real = None
            if real is None or not real.is_relative_to(real_root) or not real.is_file():
                problems.append(
                    Problem(
                        "a static file must be a file inside the newsletter folder "
                        "(this is a link that leads elsewhere, or nowhere)",
                        source,
                        None,
                        "copy the file itself into static/ instead of linking to it",
                    )
                )
                continue
            found.append((relative, source))
    return found, problems


def theme_assets(
    search_path: Sequence[Path], root: Path
) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """Return the theme's ``assets/`` files (path under it, file); the folder's own win.

    One of the folder's own that leads out of the newsletter folder is a problem, never
    published.
    """
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    real_root = os.path.realpath(root) + os.sep
    for theme_dir in search_path:
        assets = theme_dir / ASSETS_DIR
        own = theme_dir.is_relative_to(root)
        for source in sorted(assets.rglob("*")) if assets.is_dir() else []:
            if own and not os.path.realpath(source).startswith(real_root):
                problems.append(
                    Problem(
                        "a theme asset that is a symbolic link out of the newsletter folder "
                        "is never published",
                        source,
                        None,
                        "copy the file itself into templates/assets/",
                    )
                )
            elif source.is_file():
                found.setdefault(source.relative_to(assets).as_posix(), source)
    return sorted(found.items()), problems
