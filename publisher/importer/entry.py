"""What every export format is read into: one ``Entry`` per post, and a ``Batch`` of them."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from publisher.errors import Problem
from publisher.importer.html import Dropped


@dataclass
class Entry:
    """One exported post, as publisher's front matter and Markdown will say it."""

    #: How the report names it: where it is in the export, e.g. ``posts.csv:4 (post 12.wires)``.
    where: str
    title: str
    date: dt.datetime
    #: The slug it had on the old site (it may not be usable here).
    slug: str
    #: The Markdown body.
    body: str
    subtitle: str = ""
    summary: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    draft: bool = False
    #: Its permanent id in the old feed (``id:``), when known.
    old_id: str = ""
    #: Its address on the old site (absolute, or a path when the old site is not known).
    old_url: str = ""
    dropped: Dropped = field(default_factory=Dropped)


@dataclass
class Batch:
    """What a reader found in an export: the entries, the entries it could not read
    (``problems``), and what it left out on purpose (``notes``)."""

    source: Path | str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, where: str, message: str, hint: str) -> None:
        """Record an entry that could not be read."""
        source = self.source if isinstance(self.source, Path) else None
        prefix = "" if source is not None else f"{self.source}: "
        self.problems.append(Problem(f"{prefix}{where}: {message}", source, None, hint))


#: The largest body read from an export (an issue's Markdown may be 1 MB; HTML says more).
MAX_BODY_BYTES = 5_000_000
#: The largest export file read whole: a Ghost JSON export, Buttondown's ``emails.json``, a
#: feed document (a zip of a few hundred KB may expand to gigabytes).
MAX_INDEX_BYTES = 100_000_000


class TooBig(ValueError):
    """A file of an export over its size cap, refused before it is read."""


def size_text(size: int) -> str:
    """Return a size as the report says it: ``6 MB``, ``1 KB``."""
    return f"{size / 1e6:.0f} MB" if size >= 1_000_000 else f"{size / 1e3:.0f} KB"


def too_big(name: str, size: int, cap: int) -> TooBig:
    """Return the error of a file over its cap."""
    return TooBig(f"{name} is {size_text(size)}, over the {size_text(cap)} cap")


def read_member(archive: zipfile.ZipFile, name: str, cap: int | None = None) -> bytes:
    """Return a zip member's bytes, refusing one over ``cap`` (``MAX_INDEX_BYTES``) by its
    declared size before reading it, and by what it expands to while reading it."""
    cap = MAX_INDEX_BYTES if cap is None else cap
    size = archive.getinfo(name).file_size
    if size > cap:
        raise too_big(name, size, cap)
    with archive.open(name) as member:
        data = member.read(cap + 1)
    if len(data) > cap:
        raise too_big(name, len(data), cap)
    return data


def read_file(path: Path, cap: int | None = None) -> bytes:
    """Return a file's bytes, refusing one over ``cap`` (``MAX_INDEX_BYTES``) before reading."""
    cap = MAX_INDEX_BYTES if cap is None else cap
    size = path.stat().st_size
    if size > cap:
        raise too_big(path.name, size, cap)
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise too_big(path.name, len(data), cap)
    return data


def one_line(text: str | None) -> str:
    """Return ``text`` (entities decoded) on one line."""
    return " ".join(html.unescape(text or "").split())


def parse_date(text: str | None) -> dt.datetime | None:
    """Return an exported ISO 8601 date-time (``Z`` or an offset; UTC when it has none)."""
    if not text or not str(text).strip():
        return None
    value = str(text).strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return when.replace(microsecond=0)


def site_url(old_site: str) -> str:
    """Return the old site's base address, ending with a slash (or "" when not given)."""
    return old_site.rstrip("/") + "/" if old_site else ""


def summary_of(text: str, limit: int = 300) -> str:
    """Return a one-line summary, or "" when the text is too long to be one."""
    text = one_line(text)
    return text if len(text) <= limit else ""


def csv_rows(
    archive: zipfile.ZipFile, name: str, batch: Batch, hint: str
) -> Iterator[tuple[str, dict[str, str | None]]]:
    """Yield each row of a zip's CSV file with where it is (``posts.csv:4``); a row that cannot
    be read (a field over the csv module's limit, 128 KB) is an error naming it, and the rows
    after it are read on."""
    text = io.TextIOWrapper(archive.open(name), encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    line = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            batch.fail(f"{name}:{line}", f"cannot be read ({exc})", hint)
            line = reader.line_num + 1
            continue
        where, line = f"{name}:{line}", reader.line_num + 1
        yield where, row
