"""What an issue's body points at on disk: its images, the files it links, other issues.

Every relative link and image of a body is resolved once, right after parsing, against the
issue's own file, as an editor resolves it. A link to another issue's source file
(``2025-07-08-grain.md``, ``../2025-07-01-bridge/index.md#costs``) becomes a link to that issue's
page; a file inside the issue's folder is published beside its pages; anything else is recorded
as a problem for ``check`` and ``build`` to report at its line.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from publisher.model.issue import FOLDER_INDEX, ISSUES_DIR, Issue
from publisher.render.images import ImageProblem, Picture, full_variant, looks_like_image, read

if TYPE_CHECKING:
    from markdown_it.token import Token

#: What a resolved reference is.
ISSUE = "issue"  # another issue's source file: rewritten to its page
FILE = "file"  # a file in the issue's folder: published beside the issue
MISSING = "missing"  # names a file (or issue file) that does not exist
OUTSIDE = "outside"  # a file outside the issue's folder, or a link leading out of the newsletter
#: The role of the front matter's ``image:`` (the social card).
CARD = "card"
SITE = "site"  # a path on the site (``../grain-corridor/``): checked against the slugs
NOT_IMAGE = "not an image"  # an image file that cannot be published (``problem`` says why)


@dataclass(frozen=True)
class Target:
    """What links from other issues need to know of an issue."""

    slug: str
    #: ``published``, ``draft`` or ``scheduled``.
    status: str


@dataclass(frozen=True)
class Ref:
    """One relative link or image of an issue body, resolved."""

    kind: str
    #: ``image`` or ``link``.
    role: str
    #: The address as the author wrote it.
    href: str
    #: 0-based line of the body where it stands.
    line: int
    #: FILE: the path relative to the issue's folder; SITE: the path relative to the issue page;
    #: ISSUE, MISSING and OUTSIDE: the path relative to the newsletter folder.
    name: str = ""
    #: ISSUE: the linked issue.
    target: Target | None = None
    #: The fragment (``#costs``) of a link, without its ``#``.
    fragment: str = ""
    #: FILE: the image it shows or links, read by its content (None for other files).
    picture: Picture | None = None
    #: NOT_IMAGE: why it cannot be published, and what to do.
    problem: str = ""
    hint: str = ""


def status_of(issue: Issue, now: dt.datetime) -> str:
    """Return whether ``issue`` is published, a draft, or scheduled at ``now``."""
    if issue.draft:
        return "draft"
    return "scheduled" if issue.is_scheduled(now) else "published"


#: Finds the issue whose source file is at a resolved path (None: no issue there).
IssueAt = Callable[[Path], Target | None]


def resolve(
    doc_tokens: list[Token], issue: Issue, root: Path, issue_at: IssueAt
) -> tuple[Ref, ...]:
    """Resolve every relative link and image of a parsed body; rewrite issue links in place.

    A link to another issue's file gets that issue's page address (``../slug/#fragment``);
    the token keeps what the author wrote in ``meta["source_href"]``.
    """
    refs: list[Ref] = []
    where = _Places(str(issue.source.parent), str(root))
    for token in doc_tokens:
        if token.type != "inline":
            continue
        line = token.map[0] if token.map else 0
        for child in token.children or []:
            if child.type == "image":
                attr, role = "src", "image"
            elif child.type == "link_open":
                attr, role = "href", "link"
            else:
                continue
            href = str(child.attrGet(attr) or "").strip()
            ref = _resolve_one(href, role, line, where, issue_at)
            if ref is None:
                continue
            refs.append(ref)
            if ref.picture is not None:
                child.meta = {**(child.meta or {}), "picture": ref.picture, "line": line}
                if role == "link":  # a link to an image file leads to its cleaned copy
                    child.attrSet(attr, quote(full_variant(ref.picture).name))
            if ref.kind == ISSUE and ref.target is not None:
                child.meta = {**(child.meta or {}), "source_href": href}
                address = f"../{quote(ref.target.slug)}/"
                child.attrSet(attr, address + (f"#{ref.fragment}" if ref.fragment else ""))
    return tuple(refs)


class _Places:
    """The issue's folder and the newsletter folder, as the paths a reference is checked in."""

    def __init__(self, folder: str, root: str) -> None:
        self.folder, self.root = folder, root
        self._real_folder: str | None = None

    def inside_folder(self, path: str) -> bool:
        return path.startswith(self.folder + os.sep)

    def inside_root(self, real: str) -> bool:
        return real == self.root or real.startswith(self.root + os.sep)

    def real(self, lexical: str, st: os.stat_result | None) -> str:
        """Return the real path of ``lexical`` (one ``lstat``'s worth for a plain file name)."""
        plain = st is not None and not stat.S_ISLNK(st.st_mode)
        if plain and os.path.dirname(lexical) == self.folder:
            if self._real_folder is None:
                self._real_folder = os.path.realpath(self.folder)
            return os.path.join(self._real_folder, os.path.basename(lexical))
        return os.path.realpath(lexical)

    def shown(self, path: str) -> str:
        root = self.root + os.sep
        return path[len(root) :].replace(os.sep, "/") if path.startswith(root) else path

    def relative(self, path: str) -> str:
        return path[len(self.folder) + 1 :].replace(os.sep, "/")


def real_root(root: Path) -> Path:
    """Return the newsletter folder's real path (found once: every issue's links start there)."""
    return _real(root.absolute())  # the working folder may change between calls


@lru_cache(maxsize=16)
def _real(folder: Path) -> Path:
    return folder.resolve()


def _resolve_one(href: str, role: str, line: int, where: _Places, issue_at: IssueAt) -> Ref | None:
    if not href or href.startswith("#"):
        return None
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or parts.path.startswith("/") or not parts.path:
        return None
    path = unquote(parts.path)
    if "\x00" in path or "\\" in path:
        return Ref(MISSING, role, href, line, path)
    fragment = parts.fragment
    lexical = os.path.normpath(os.path.join(where.folder, path))
    shown = where.shown(lexical)
    try:
        lst: os.stat_result | None = os.lstat(lexical)
    except (FileNotFoundError, NotADirectoryError):
        lst = None
    except OSError:
        return Ref(OUTSIDE, role, href, line, shown)
    try:
        real = where.real(lexical, lst)
        st = os.stat(real) if lst is not None else None
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except (OSError, RuntimeError):  # a symbolic link in a loop, say
        return Ref(OUTSIDE, role, href, line, shown)
    exists = st is not None
    is_dir = st is not None and stat.S_ISDIR(st.st_mode)
    is_file = st is not None and stat.S_ISREG(st.st_mode)
    inside = where.inside_folder(lexical)
    if role == "link" and (path.lower().endswith(".md") or is_dir):
        if exists and not where.inside_root(real):
            return Ref(OUTSIDE, role, href, line, shown)
        source = os.path.join(real, FOLDER_INDEX) if is_dir else real
        target = issue_at(Path(source)) if os.path.isfile(source) else None
        if target is not None:
            return Ref(ISSUE, role, href, line, shown, target, fragment)
        if path.lower().endswith(".md"):
            return Ref(MISSING, role, href, line, shown, fragment=fragment)
    if not is_file:
        if role == "link" and (exists or not inside):
            return Ref(SITE, role, href, line, path, fragment=fragment)
        if not inside:
            return Ref(OUTSIDE, role, href, line, shown)
        return Ref(MISSING, role, href, line, where.relative(lexical))
    if not inside or not where.inside_root(real):
        return Ref(OUTSIDE, role, href, line, shown)
    name = where.relative(lexical)
    if role != "link" or looks_like_image(Path(real)):
        try:
            picture = read(Path(real), name)
        except ImageProblem as problem:
            return Ref(
                NOT_IMAGE, role, href, line, name, problem=problem.message, hint=problem.hint
            )
        return Ref(FILE, role, href, line, name, fragment=fragment, picture=picture)
    return Ref(FILE, role, href, line, name, fragment=fragment)


def resolve_card(issue: Issue, root: Path) -> Ref | None:
    """Resolve the front matter's ``image:`` when it names a file (role ``card``; its line is
    counted from the body's first line, so it is negative)."""
    image = issue.image.strip()
    if not image:
        return None
    where = _Places(str(issue.source.parent), str(root))
    line = issue.lines.get("image", 1) - issue.body_line
    return _resolve_one(image, CARD, line, where, lambda path: None)


def published_files(refs: tuple[Ref, ...]) -> tuple[str, ...]:
    """Return the files an issue publishes as they are (relative to its folder), once each:
    images are published through their variants instead."""
    return tuple(dict.fromkeys(r.name for r in refs if r.kind == FILE and r.picture is None))


def file_lines(refs: tuple[Ref, ...], body_line: int) -> list[tuple[str, int]]:
    """Return each file an issue publishes as it is, with the file line that names it."""
    return [(r.name, body_line + r.line) for r in refs if r.kind == FILE and r.picture is None]


def dependencies(refs: tuple[Ref, ...]) -> tuple[str, ...]:
    """Return every local path a rendering depends on, relative to the issue's folder: its
    images and linked files, present or not, and the files of the issues it links."""
    found: dict[str, None] = {}
    for ref in refs:
        if ref.kind in (FILE, MISSING) and not PurePosixPath(ref.name).is_absolute():
            found[ref.name] = None
    for ref in refs:
        if ref.kind == ISSUE:  # the linked issue's file (its index.md for a folder link)
            path = os.path.normpath(unquote(urlsplit(ref.href).path))
            found[path if path.lower().endswith(".md") else f"{path}/{FOLDER_INDEX}"] = None
    return tuple(found)


class SiteIndex:
    """Every issue of a newsletter folder, by the real path of its source file, for links.

    ``eager`` indexes issues already loaded; otherwise each linked file is loaded when first
    asked for (``publisher render`` and the render workers, which have not loaded the folder).
    """

    def __init__(
        self,
        root: Path,
        now: dt.datetime,
        issues: list[Issue] | None = None,
        load: Callable[[Path], Issue | None] | None = None,
    ) -> None:
        self.root = real_root(root)
        self.now = now
        self._load = load
        self._issues = issues or []
        self._known: dict[Path, Target | None] | None = None

    def __call__(self, path: Path) -> Target | None:
        """Return the issue whose source file is ``path`` (resolved), or None."""
        if self._known is None:  # on the first link to an issue file: most issues have none
            self._known = {
                i.source.resolve(): Target(i.slug, status_of(i, self.now)) for i in self._issues
            }
        if path in self._known:
            return self._known[path]
        found = None
        issues = self.root / ISSUES_DIR
        is_source = path.suffix.lower() == ".md" and (
            path.parent == issues or (path.name == FOLDER_INDEX and path.parent.parent == issues)
        )
        if self._load is not None and is_source:
            issue = self._load(path)
            if issue is not None:
                found = Target(issue.slug, status_of(issue, self.now))
        self._known[path] = found
        return found
