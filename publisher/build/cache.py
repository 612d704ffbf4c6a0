"""The build cache (``.publisher-cache/cache.sqlite``): what each issue rendered to, and what
each file of the site was when written.

One SQLite database: ``records`` holds one row per issue file (its signature, its front matter,
what its rendering published), ``renderings`` each rendering's bodies, compressed, by render
key, and ``site`` what the last build left in the output folder and the spare tree beside it.
A build writes back only the rows it changed. Nothing is reused unless its key says everything
it came from is unchanged (``keys``); a damaged cache, or one of another format, starts afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sqlite3
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from publisher.build.keys import (
    FORMAT,
    Signature,
    base_key,
    code_key,
    digest,
    pictures_key,
    render_key,
    signature,
)
from publisher.config import CACHE_DIR, Config
from publisher.errors import Problem
from publisher.model.issue import Issue, named_file
from publisher.render.context import IssueView
from publisher.render.images import Picture, facts
from publisher.render.rendered import Rendered
from publisher.render.theme import Theme
from publisher.site.plan import EMAIL_EML, EMAIL_HTML, EMAIL_TEXT

CACHE_FILE = "cache.sqlite"
#: The key of a rendering's web part is its own with this after it.
WEB_PART = ":web"
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (path TEXT PRIMARY KEY, slug TEXT, data BLOB, made BLOB);
CREATE TABLE IF NOT EXISTS renderings (key TEXT PRIMARY KEY, digest TEXT, data BLOB);
CREATE TABLE IF NOT EXISTS site (name TEXT PRIMARY KEY, data BLOB);
"""


@dataclass
class Record:
    """One issue file as the last build saw it."""

    signature: Signature
    #: Its front matter (the Markdown is read again from the file when it must render).
    issue: Issue
    warnings: list[Problem]
    #: Set once rendered: the render key, its light results, and the local files it read.
    render_key: str | None = None
    view: IssueView | None = None
    image: Any = None
    feed_image: str = ""
    files: tuple[str, ...] = ()
    #: The image variants it publishes (``shelf.Published``).
    images: tuple[Any, ...] = ()
    deps: dict[str, Signature | None] = field(default_factory=dict)
    #: Its relative links and images, resolved (``refs.Ref``).
    refs: tuple[Any, ...] = ()
    #: The digest of what it made, by part (``WEB``, and each email file's kind): what
    #: the site's files made from it are keyed by, so a new rendering to the same bytes
    #: rewrites nothing.
    digests: dict[str, str] = field(default_factory=dict)

    def inputs(self) -> bytes:
        """Return what it was made from, pickled: its file, front matter and render key."""
        return _pickled((self.signature, self.issue, self.warnings, self.render_key, self.deps))

    def made(self) -> bytes:
        """Return what its rendering published, pickled (``MADE``)."""
        return _pickled(tuple(getattr(self, name) for name in MADE))


#: What a record's rendering published: read only when the site is written.
MADE = ("view", "image", "feed_image", "files", "images", "refs", "digests")
#: The part of ``Record.digests`` that the web pages and feeds show.
WEB = "web"


def _record(inputs: bytes) -> Record:
    signature, issue, warnings, key, deps = pickle.loads(inputs)
    return Record(signature, issue, warnings, render_key=key, deps=deps)


#: A file a build wrote: its key, and the size, modification time and identity (inode) of what
#: was written. A plain tuple: the cache holds tens of thousands, read as every build starts.
Output = tuple[str, int, int, int]
#: Each file of an output tree, by its path in the tree.
Outputs = dict[str, Output]


def output_of(key: str, st: os.stat_result) -> Output:
    """Return the record of a file just written for ``key``, from its status."""
    return (key, st.st_size, st.st_mtime_ns, st.st_ino)


def intact(output: Output, path: str) -> bool:
    """Return whether the file at ``path`` is still exactly the one ``output`` records."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns, st.st_ino) == output[1:]


@dataclass
class Head:
    """What the last build left: its key, where it wrote, and what that was made from."""

    key: str = ""
    #: The load key (``keys.load_key``) its records were loaded with.
    loaded: str = ""
    out: str = ""
    #: The key of everything the live site was made from.
    state: str = ""
    #: Whether the spare tree holds the very files of the live site (``save_spare``).
    spare_is_live: bool = False
    #: What the last build read of its pictures (``images.facts``), and with what code.
    pictures: tuple[str, list[Any]] = ("", [])


class BuildCache:
    """Reads and writes the cache of one newsletter folder.

    Disabled, it neither reads nor writes the folder's cache: renderings wait in an SQLite
    database in memory, where a build holds them more compactly than as Python objects.
    """

    def __init__(
        self, root: Path, key: str, enabled: bool = True, records: bool = True, loaded: str = ""
    ) -> None:
        """``key``: the base key of the renderings; ``loaded``: the load key of the records.
        Without ``records``, only the stored renderings are read (``latest``)."""
        self.dir, self.key, self.loaded, self.enabled = root / CACHE_DIR, key, loaded, enabled
        path = self.dir / CACHE_FILE if enabled else None
        self.db = _open(path)
        self.head = Head()
        #: The records read, by issue file; the names of those changed since (written back).
        self.records: dict[str, Record] = {}
        self._changed: set[str] = set()
        #: What the last build wrote into the live site.
        self.live: Outputs = {}
        try:
            self._read(records)
        except (sqlite3.DatabaseError, pickle.UnpicklingError, EOFError, AttributeError):
            # Damaged, or naming code that has moved: start afresh.
            self.db.close()
            if path is not None:
                path.unlink()
            self.db = _open(path)
            self.head, self.records, self.live = Head(), {}, {}

    def _read(self, records: bool) -> None:
        self.head = self._site("head") or Head()
        if records and self.head.loaded == self.loaded:  # else: another version or settings
            rows = self.db.execute("SELECT path, data FROM records")
            self.records = {path: _record(data) for path, data in rows}
            if self.head.key != self.key:  # the theme changed: every issue renders again
                for record in self.records.values():
                    record.render_key = None
        self.live = (self._site("live") or {}) if records else {}

    def __enter__(self) -> BuildCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    @property
    def pictures(self) -> list[Picture]:
        """Return what the last build read of its pictures, if read with this code."""
        key, known = self.head.pictures
        return [Picture("", *facts) for facts in known] if key == pictures_key() else []

    # -- issues --

    def record(self, path: Path) -> Record | None:
        """Return the record of an unchanged issue file (with unchanged images), else None."""
        record = self.records.get(str(path))
        return record if record is not None and _unchanged(record, str(path)) else None

    def remember(self, issue: Issue, warnings: list[Problem]) -> Record:
        """Record a freshly loaded issue, without its Markdown (what renders it reads it
        again), so a build of many issues holds only their front matter."""
        sig = signature(issue.source)
        assert sig is not None
        record = Record(sig, replace(issue, body=""), warnings)
        self.records[str(issue.source)] = record
        self._changed.add(str(issue.source))
        return record

    def read_made(self) -> None:
        """Read what each unchanged record's rendering published (a build that writes nothing
        never needs it); any damage there has them all rendered again."""
        try:
            for path, made in self.db.execute("SELECT path, made FROM records"):
                record = self.records.get(path)
                if record is not None and path not in self._changed:
                    for name, value in zip(MADE, pickle.loads(made), strict=True):
                        setattr(record, name, value)
        except (sqlite3.DatabaseError, pickle.UnpicklingError, EOFError, TypeError, ValueError):
            for record in self.records.values():
                record.render_key = None

    def rendered_keys(self) -> set[str]:
        """Return the render keys whose renderings are stored (none, if they are damaged)."""
        try:
            return {key for (key,) in self.db.execute("SELECT key FROM renderings")}
        except sqlite3.DatabaseError:
            return set()

    def store(self, record: Record, rendered: Rendered) -> None:
        """Remember what a record rendered to: its email (HTML and text) and, apart, what the
        web pages and feeds show, so that writing a page reads no email."""
        path = str(record.issue.source)
        folder = os.path.dirname(path)
        record.deps = {name: signature(os.path.join(folder, name)) for name in rendered.deps}
        deps = sorted(record.deps.items())
        record.render_key = key = render_key(self.key, path, record.signature, deps)
        record.view, record.image, record.feed_image = (
            rendered.view,
            rendered.image,
            rendered.feed_image,
        )
        record.files, record.refs, record.images = rendered.files, rendered.refs, rendered.images
        record.digests = {
            WEB: digest(rendered.article_html, rendered.page_article),
            EMAIL_HTML: digest(rendered.html),
            EMAIL_TEXT: digest(rendered.text),
            EMAIL_EML: digest(rendered.eml),
        }
        self._changed.add(path)
        self._put(key, {"html": rendered.html, "text": rendered.text})
        self._put(key + WEB_PART, {"article": rendered.article_html, "page": rendered.page_article})

    def email(self, record: Record) -> dict[str, str] | None:
        """Return a rendered record's stored email: its ``html`` and ``text``."""
        return self._get(record.render_key) if record.render_key else None

    def web(self, record: Record) -> dict[str, str] | None:
        """Return what the web pages and feeds show of a rendered record: its article, with
        absolute links (``article``) and as its page has it (``page``)."""
        return self._get(record.render_key + WEB_PART) if record.render_key else None

    def latest(self, name: str) -> dict[str, str] | None:
        """Return the email the last build rendered for the issue file or slug ``name``, if
        neither it nor anything it depends on changed since; else None (render it)."""
        if self.head.key != self.key:
            return None  # rendered by another version, theme or settings
        query = "SELECT path, data FROM records WHERE path = ? OR slug = ?"
        found = self.db.execute(query, (name, name)).fetchall()
        if len(found) != 1:
            return None
        path, data = found[0]
        record = _record(data)
        return self.email(record) if _unchanged(record, path) else None

    # -- the output trees --

    def trees(self, out: Path) -> tuple[Outputs, Outputs]:
        """Return what the last build wrote into ``out`` and left in its spare tree."""
        if self.head.out != str(out):
            return {}, {}
        return self.live, self.live if self.head.spare_is_live else self._site("spare") or {}

    # -- saving --

    def save(self, paths: list[Path], out: Path, state: str, live: Outputs) -> None:
        """Keep the records of the issue files there are (``paths``) and the renderings they
        use; remember that ``out`` now holds ``live`` and the spare tree what it held."""
        if not self.enabled:
            return
        kept = {str(p) for p in paths}
        self.records = {k: r for k, r in self.records.items() if k in kept}
        db = self.db
        gone = [(p,) for (p,) in db.execute("SELECT path FROM records") if p not in kept]
        db.executemany("DELETE FROM records WHERE path = ?", gone)
        changed = [
            (p, r.issue.slug, r.inputs(), r.made())
            for p, r in self.records.items()
            if p in self._changed
        ]
        db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", changed)
        keys = [r.render_key for r in self.records.values() if r.render_key]
        unused = self.rendered_keys() - {*keys, *(k + WEB_PART for k in keys)}
        db.executemany("DELETE FROM renderings WHERE key = ?", [(k,) for k in unused])
        same = self.head.out == str(out)
        if same:  # the live site is now the spare tree, as it was
            db.execute(
                "INSERT OR REPLACE INTO site SELECT 'spare', data FROM site WHERE name = 'live'"
            )
        pictures = {
            ref.picture.digest: facts(ref.picture)
            for record in self.records.values()
            for ref in record.refs
            if ref.picture is not None
        }
        pictures_read = (pictures_key(), sorted(pictures.values()))
        self.head = head = Head(self.key, self.loaded, str(out), state, pictures=pictures_read)
        self._set_site("head", head)
        self._set_site("live", live)
        db.commit()

    def save_spare(self, held: Outputs | None) -> None:
        """Remember what the spare tree holds: ``held``, or (None) what the live site holds
        (``catch_up``)."""
        if not self.enabled:
            return
        if held is not None:
            self._set_site("spare", held)
        self.head.spare_is_live = held is None
        self._set_site("head", self.head)
        self.db.commit()

    # -- rows --

    def _site(self, name: str) -> Any:
        row = self.db.execute("SELECT data FROM site WHERE name = ?", (name,)).fetchone()
        return pickle.loads(row[0]) if row else None

    def _set_site(self, name: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO site VALUES (?, ?)", (name, _pickled(value)))

    def _put(self, key: str, part: dict[str, str]) -> None:
        data = _zstd().compress(_pickled(part), level=1)
        digest = hashlib.sha256(data).hexdigest()
        self.db.execute("INSERT OR REPLACE INTO renderings VALUES (?, ?, ?)", (key, digest, data))

    def _get(self, key: str) -> dict[str, str] | None:
        query = "SELECT digest, data FROM renderings WHERE key = ?"
        try:
            found = self.db.execute(query, (key,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        if found is None or hashlib.sha256(found[1]).hexdigest() != found[0]:
            return None  # never stored, or damaged: rendered again
        zstd = _zstd()
        try:
            part = pickle.loads(zstd.decompress(found[1]))
        except (zstd.ZstdError, pickle.UnpicklingError, EOFError, ValueError):
            return None
        return part if isinstance(part, dict) else None


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _unchanged(record: Record, path: str) -> bool:
    """Return whether the issue file ``path`` and every file it shows are as ``record`` saw."""
    if record.signature != signature(path):
        return False
    folder = os.path.dirname(path)
    return all(signature(os.path.join(folder, dep)) == sig for dep, sig in record.deps.items())


def _open(path: Path | None) -> sqlite3.Connection:
    """Open the cache at ``path`` (in memory for None); a damaged one, or one of another
    format, is started again."""
    if path is None:
        return _ready(sqlite3.connect(":memory:"))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path)
        if db.execute("PRAGMA user_version").fetchone()[0] == FORMAT:
            return _ready(db)
        db.close()
    except sqlite3.DatabaseError:
        pass
    with contextlib.suppress(OSError):
        path.unlink()
    return _ready(sqlite3.connect(path))


def _ready(db: sqlite3.Connection) -> sqlite3.Connection:
    # No fsync: a cache may lose its last writes in a power cut, and every rendering carries a
    # checksum, so a damaged one is rendered again, never served.
    db.execute("PRAGMA synchronous=OFF")
    db.executescript(SCHEMA)
    db.execute(f"PRAGMA user_version = {FORMAT}")
    return db


def _zstd() -> ModuleType:
    """Return Zstandard (the standard library's from Python 3.14, its backport before): a
    fifth of the renderings' size, at twice zlib's fastest speed."""
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    return zstd


def built_email(root: Path, config: Config, name: str) -> dict[str, str] | None:
    """Return the email (``html``, ``text``) the last build published for the issue file or
    slug ``name``, if nothing it is made from changed since; else None (render it)."""
    root = root.resolve()
    path = named_file(name)
    if path.is_file():  # as the build's records name it: the folder's real path
        name = str(Path(os.path.realpath(path.parent)) / path.name)
    if not (root / CACHE_DIR / CACHE_FILE).is_file():
        return None
    key = base_key(config, Theme(root).search_path, code_key())
    with BuildCache(root, key, records=False) as store:
        return store.latest(name)
