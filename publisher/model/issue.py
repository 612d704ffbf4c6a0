"""Issue files: each a Markdown file (or a folder with ``index.md``) with YAML front matter,
found in ``issues/``, read, and checked into an ``Issue`` (``frontmatter.py``)."""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from publisher.config import CONTROL, Config
from publisher.config.place import shown
from publisher.errors import Problem, PublisherError, collecting, warn
from publisher.model.frontmatter import (
    FOLDER_INDEX,
    FRONT_MATTER_HINT,
    Issue,
    derive_id,
    is_valid_slug,
    issue_of,
    read_yaml,
    slug_from_path,
    slugify,
    title_slug,
)

__all__ = [  # the model's names too: every reader of issues imports them from here
    "FOLDER_INDEX",
    "ISSUES_DIR",
    "Issue",
    "Known",
    "Loaded",
    "derive_id",
    "duplicates",
    "is_valid_slug",
    "issue_files",
    "load_folder",
    "load_issue",
    "load_issues",
    "load_one",
    "named_file",
    "parse_issue",
    "slug_from_path",
    "slugify",
    "title_slug",
    "with_body",
]

ISSUES_DIR = "issues"

# --- discovering and loading --------------------------------------------------------------------


def issue_files(root: Path, plain: dict[str, os.stat_result] | None = None) -> list[Path]:
    """Return every issue file under ``root/issues``: ``*.md`` and ``*/index.md``, sorted.

    ``plain`` is given the status of each that is a file of its own, reached through no
    symbolic link below ``issues/`` (a stat each, which the build then need not make again).
    """
    folder = root / ISSUES_DIR
    if not folder.is_dir():
        return []
    found = []
    with os.scandir(folder) as entries:  # scandir knows file from folder without a stat each
        for entry in sorted(entries, key=lambda e: e.name):
            name = entry.name
            if name.startswith((".", "_")):
                continue
            try:
                is_file, is_dir = entry.is_file(), entry.is_dir()
            except OSError:  # a symbolic link in a loop
                is_file = is_dir = False
            if is_file and name.lower().endswith(".md") and name.lower() != "readme.md":
                found.append(folder / name)
                if plain is not None and not entry.is_symlink():
                    plain[str(found[-1])] = entry.stat(follow_symlinks=False)
            elif is_dir and (status := _file_status(os.path.join(entry.path, FOLDER_INDEX))):
                found.append(folder / name / FOLDER_INDEX)
                if plain is not None and not entry.is_symlink() and stat.S_ISREG(status.st_mode):
                    plain[str(found[-1])] = status
            elif entry.is_symlink() and not os.path.exists(entry.path):
                warn(
                    Problem(
                        "a symbolic link that leads nowhere (or round in a loop) is skipped",
                        folder / name,
                        hint="point the link at an existing file, or delete it",
                    )
                )
    return found


def _file_status(path: str) -> os.stat_result | None:
    """Return the status of ``path`` itself (not of what a link at it leads to) if it is a
    file, or a link to one; else None."""
    try:
        status = os.lstat(path)
        if stat.S_ISLNK(status.st_mode) and not os.path.isfile(path):
            return None
    except OSError:
        return None
    return status if stat.S_ISREG(status.st_mode) or stat.S_ISLNK(status.st_mode) else None


def named_file(name: str) -> Path:
    """Return the issue file a command names by its path (from the working folder), a folder
    standing for its index.md; a name that is no file is a slug."""
    path = Path(name)
    if not path.is_absolute():
        path = Path.cwd() / path
    if path.is_dir() and (path / FOLDER_INDEX).is_file():
        path = path / FOLDER_INDEX
    return path


def load_issues(root: Path, config: Config) -> list[Issue]:
    """Load every issue, newest first; report all problems of all files together."""
    loaded = load_folder(root, config)
    for warnings in loaded.warnings.values():
        for warning in warnings:
            warn(warning)
    if loaded.problems:
        raise PublisherError(loaded.problems)
    return sorted(loaded.issues, key=lambda i: (i.date, i.slug), reverse=True)


def duplicates(issues: list[Issue]) -> list[Problem]:
    """Return a problem for each slug or id that two issues share.

    Slugs that differ only in case or Unicode normalisation clash too: they name one folder on
    macOS and Windows.
    """
    problems = []
    for attr in ("slug", "id"):
        seen: dict[str, Issue] = {}
        for issue in sorted(issues, key=lambda i: str(i.source)):
            value = getattr(issue, attr)
            folded = unicodedata.normalize("NFC", value).casefold() if attr == "slug" else value
            if folded in seen:
                other = seen[folded]
                alike = (
                    "" if getattr(other, attr) == value else f" (as {shown(getattr(other, attr))})"
                )
                problems.append(
                    Problem(
                        f"{attr} {shown(value)} is used by {other.source}{alike} too",
                        issue.source,
                        issue.lines.get(attr, 1),
                        f"give one of them another `{attr}:` in its front matter",
                    )
                )
            else:
                seen[folded] = issue
    return problems


@dataclass
class Loaded:
    """The issue files of a folder as one pass read them: what loaded, what failed, and the
    warnings each file gave (the one loader of build, check, preview and render)."""

    issues: list[Issue] = field(default_factory=list)
    #: The problems of each file that could not be loaded.
    failed: dict[Path, list[Problem]] = field(default_factory=dict)
    #: The warnings of each file, loaded or not.
    warnings: dict[Path, list[Problem]] = field(default_factory=dict)
    #: Slugs and ids that two issues share.
    clashes: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Return every problem that stops a build, file by file."""
        return [p for problems in self.failed.values() for p in problems] + self.clashes


#: Returns a file's issue and warnings as loaded before (a cache), or None to load it.
Known = Callable[[Path], "tuple[Issue, list[Problem]] | None"]


def load_one(path: Path, config: Config) -> tuple[Issue | None, list[Problem], list[Problem]]:
    """Load one issue file: (issue or None, its problems, its warnings)."""
    with collecting() as warnings:
        try:
            return load_issue(path, config), [], warnings
        except PublisherError as exc:
            return None, exc.problems, warnings
        except OSError as exc:
            return None, [Problem(f"cannot read the file: {exc.strerror}", path)], warnings


def load_folder(
    root: Path,
    config: Config,
    paths: Sequence[Path] | None = None,
    known: Known | None = None,
    bodies: bool = True,
    fresh: Callable[[Issue, list[Problem]], None] | None = None,
    plain: Container[str] = (),
) -> Loaded:
    """Load every issue file of ``root`` (or ``paths``), taking unchanged ones from ``known``;
    without their Markdown unless ``bodies``. ``fresh`` hears of each issue loaded from its
    file (not from ``known``) as soon as it is, with its warnings. Files in ``plain`` were
    reached through no link below ``issues/`` (``issue_files``)."""
    loaded = Loaded()
    real_root = os.path.realpath(root) + os.sep
    folders: dict[str, str] = {}
    inside = (os.path.realpath(root / ISSUES_DIR) + os.sep).startswith(real_root)
    for path in issue_files(root) if paths is None else paths:
        name = str(path)
        if not (inside and name in plain) and not _real_path(name, folders).startswith(real_root):
            loaded.warnings[path] = []
            loaded.failed[path] = [
                Problem(
                    "a symbolic link to a file outside the newsletter folder: it is never read",
                    path,
                    None,
                    "copy the issue itself into issues/ instead of linking to it",
                )
            ]
            continue
        before = known(path) if known is not None else None
        issue: Issue | None
        problems: list[Problem] = []
        if before is not None:
            issue, warnings = before
        else:
            issue, problems, warnings = load_one(path, config)
            if issue is not None and not bodies:
                issue = replace(issue, body="")
            if issue is not None and fresh is not None:
                fresh(issue, warnings)
        loaded.warnings[path] = warnings
        if issue is None:
            loaded.failed[path] = problems
        else:
            loaded.issues.append(issue)
    loaded.clashes = duplicates(loaded.issues)
    return loaded


def _real_path(path: str, folders: dict[str, str]) -> str:
    """Return ``os.path.realpath(path)``, the real paths of its folders kept in ``folders``
    (a thousand issues share their first folders: one look at each, not one per issue)."""
    parent, name = os.path.split(path)
    if name in ("", ".", "..") or not parent or os.path.islink(path):
        return os.path.realpath(path)
    if parent not in folders:
        folders[parent] = _real_path(parent, folders)
    return os.path.join(folders[parent], name)


#: An issue file larger than this cannot become a usable email (Gmail clips at 102 KB).
MAX_ISSUE_BYTES = 1_000_000


def load_issue(path: Path, config: Config) -> Issue:
    """Read and validate one issue file."""
    try:
        size = path.stat().st_size
        raw = path.read_bytes() if size <= MAX_ISSUE_BYTES else b""
    except OSError as exc:
        raise PublisherError.at(
            f"cannot read the file: {exc.strerror}",
            path,
            hint="check that it exists and is readable",
        ) from exc
    if size > MAX_ISSUE_BYTES:
        raise PublisherError.at(
            f"the file is {size / 1e6:.1f} MB; no inbox shows an email that long (Gmail clips "
            "at 102 KB)",
            path,
            1,
            "split it into several issues, or move long material to a linked page",
        )
    if raw[:8192].count(b"\x00") > 16:  # a stray NUL is a typo (removed below); many: binary
        raise PublisherError.at(
            "this is not a text file (it holds binary data)",
            path,
            raw[: raw.index(b"\x00")].count(b"\n") + 1,
            "move it out of issues/, or give it another extension than .md",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PublisherError.at(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            path,
            line,
            "save the file as UTF-8 in your editor",
        ) from exc
    return parse_issue(text, path, config)


def parse_issue(text: str, path: Path, config: Config) -> Issue:
    """Split front matter from body, validate it, and build the Issue."""
    lines, end = _split(text, path)
    meta, key_lines = read_yaml("\n".join(lines[1:end]), path)
    body = "\n".join(lines[end + 1 :])
    if not body.strip():
        warn(
            Problem(
                "the issue has no text below its front matter",
                path,
                end + 1,
                "write the issue below the closing `---` line",
            )
        )
    return issue_of(meta, key_lines, body, end + 2, path, config)


def _split(text: str, path: Path) -> tuple[list[str], int]:
    """Return an issue file's lines (line ends, Unicode's too, made LF; control characters
    removed) and the index of the line that closes its front matter."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")  # Unicode's line ends
    found = CONTROL.search(text)
    if found:
        warn(
            Problem(
                f"control character U+{ord(found.group()):04X} removed (and any others)",
                path,
                text.count("\n", 0, found.start()) + 1,
                "delete the invisible character; it cannot appear in email or feeds",
            )
        )
        text = CONTROL.sub("", text)
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise PublisherError.at("no front matter", path, 1, FRONT_MATTER_HINT)
    try:
        end = next(
            i for i, line in enumerate(lines[1:], start=1) if line.rstrip() in ("---", "...")
        )
    except StopIteration:
        raise PublisherError.at(
            "front matter is not closed",
            path,
            1,
            "add a line `---` after the last front-matter key",
        ) from None
    return lines, end


def with_body(issue: Issue, same: Callable[[os.stat_result], bool]) -> Issue | None:
    """Return ``issue``, loaded without its Markdown, with the body read again from its file,
    if the file is still the one it was loaded from (``same`` says, from the open file's
    status); else None (load it again: it changed since)."""
    try:
        with open(issue.source, "rb") as file:
            status = os.fstat(file.fileno())
            if not same(status) or status.st_size > MAX_ISSUE_BYTES:
                return None
            raw = file.read()
        if not same(os.stat(issue.source)):
            return None
        with collecting():  # reported when it was loaded
            lines, end = _split(raw.decode("utf-8-sig"), issue.source)
    except (OSError, UnicodeDecodeError, PublisherError):
        return None
    if end + 2 != issue.body_line:
        return None
    return replace(issue, body="\n".join(lines[end + 1 :]))
