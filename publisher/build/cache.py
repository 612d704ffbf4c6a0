"""The build cache (``.publisher-cache/``): what each issue rendered to, and what each file of
the site was when written.

Two files: ``index.pickle`` holds one record per issue file (its signature, its front matter,
what its rendering published) and the tables of the output trees; ``renderings.sqlite`` holds
each rendering's bodies, compressed, by render key. Nothing is reused unless its key says
everything it came from is unchanged (``keys``); a damaged or foreign cache is ignored.
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

from publisher.build.keys import Signature, pictures_key, render_key, signature
from publisher.config import CACHE_DIR
from publisher.context import IssueView
from publisher.errors import Problem
from publisher.images import Picture, facts
from publisher.issue import Issue
from publisher.rendered import Rendered

INDEX_FILE = "index.pickle"
BODIES_FILE = "renderings.sqlite"
#: The key of a rendering's web part is its own with this after it.
WEB_PART = ":web"


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
    #: The image variants it publishes (``images.Published``).
    images: tuple[Any, ...] = ()
    deps: dict[str, Signature | None] = field(default_factory=dict)
    #: Its relative links and images, resolved (``refs.Ref``).
    refs: tuple[Any, ...] = ()


#: A file a build wrote: its key, and the size, modification time and identity (inode) of what
#: was written. A plain tuple: an index holds tens of thousands, read as every build starts.
Output = tuple[str, int, int, int]


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


#: Each file of an output tree, by its path in the tree.
Outputs = dict[str, Output]


@dataclass
class Index:
    """What ``index.pickle`` holds."""

    key: str = ""
    records: dict[str, Record] = field(default_factory=dict)
    #: The live site (``out``) and the spare tree beside it, as the last build left them.
    out: str = ""
    live: Outputs = field(default_factory=dict)
    spare: Outputs = field(default_factory=dict)
    #: The key of everything the live site was made from.
    state: str = ""
    #: What the last build read of its pictures (``images.facts``), and with what code.
    pictures: tuple[str, list[Any]] = ("", [])


class BuildCache:
    """Reads and writes ``.publisher-cache/`` for one newsletter folder.

    Disabled, it neither reads nor writes the folder's cache: renderings wait in an SQLite
    database in memory, where a build holds them more compactly than as Python objects.
    """

    def __init__(self, root: Path, key: str, enabled: bool = True, index: bool = True) -> None:
        """Without ``index``, only the stored renderings are read (``latest``)."""
        self.dir = root / CACHE_DIR
        self.key, self.enabled = key, enabled
        self.index = _read_index(self.dir / INDEX_FILE) if enabled and index else Index()
        if self.index.key != key:  # another version, theme or settings: render all again
            self.index.records, self.index.state = {}, ""
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> BuildCache:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._db is not None:
            self._db.close()

    @property
    def pictures(self) -> list[Picture]:
        """Return what the last build read of its pictures, if read with this code."""
        key, known = self.index.pictures
        return [Picture("", *facts) for facts in known] if key == pictures_key() else []

    # -- issues --

    def record(self, path: Path) -> Record | None:
        """Return the record of an unchanged issue file (with unchanged images), else None."""
        name = str(path)
        record = self.index.records.get(name)
        if record is None or record.signature != signature(name):
            return None
        folder = os.path.dirname(name)
        if any(signature(os.path.join(folder, dep)) != sig for dep, sig in record.deps.items()):
            return None  # an image it shows changed: load and render it again
        return record

    def remember(self, issue: Issue, warnings: list[Problem]) -> Record:
        """Record a freshly loaded issue, without its Markdown (what renders it reads it
        again), so a build of many issues holds only their front matter."""
        sig = signature(issue.source)
        assert sig is not None
        record = Record(sig, replace(issue, body=""), warnings)
        self.index.records[str(issue.source)] = record
        return record

    def rendered_keys(self) -> set[str]:
        """Return the render keys whose renderings are stored."""
        return {key for (key,) in self._store.execute("SELECT key FROM bodies")}

    def trees(self, out: Path) -> tuple[Outputs, Outputs]:
        """Return what the last build wrote into ``out`` and left in its spare tree."""
        same = self.index.out == str(out)
        return (self.index.live, self.index.spare) if same else ({}, {})

    def store(self, record: Record, rendered: Rendered) -> None:
        """Remember what a record rendered to: its email (HTML and text) and, apart, what the
        web pages and feeds show, so that writing a page reads no email."""
        folder = str(record.issue.source.parent)
        record.deps = {name: signature(os.path.join(folder, name)) for name in rendered.deps}
        path = str(record.issue.source)
        deps = sorted(record.deps.items())
        record.render_key = key = render_key(self.key, path, record.signature, deps)
        record.view, record.image, record.feed_image = (
            rendered.view,
            rendered.image,
            rendered.feed_image,
        )
        record.files, record.refs, record.images = rendered.files, rendered.refs, rendered.images
        email = {"html": rendered.html, "text": rendered.text}
        web = {"article": rendered.article_html, "page": rendered.page_article}
        self._put(key, email)
        self._put(key + WEB_PART, web)
        latest = pickle.dumps((record.signature, deps, key))
        self._store.execute(
            "INSERT OR REPLACE INTO latest VALUES (?, ?, ?)", (path, record.issue.slug, latest)
        )

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
        if not (self.dir / BODIES_FILE).is_file():
            return None
        try:
            rows = self._store.execute(
                "SELECT path, data FROM latest WHERE path = ? OR slug = ?", (name, name)
            ).fetchall()
            if len(rows) != 1:
                return None
            path, data = rows[0]
            sig, deps, key = pickle.loads(data)
        except (sqlite3.Error, pickle.UnpicklingError, ValueError, EOFError, TypeError):
            return None
        folder = os.path.dirname(path)
        if signature(path) != sig or any(signature(os.path.join(folder, n)) != s for n, s in deps):
            return None
        if render_key(self.key, path, sig, deps) != key:
            return None  # rendered by another version, theme or settings
        return self._get(key)

    # -- saving --

    def save(self, paths: list[Path], out: Path, state: str, live: Outputs) -> None:
        """Keep the records of the issue files there are (``paths``) and the renderings they
        use; remember that ``out`` now holds ``live`` and the spare tree what it held."""
        if not self.enabled:
            return
        index = self.index
        kept = {str(p) for p in paths}
        index.records = {k: r for k, r in index.records.items() if k in kept}
        used = {r.render_key for r in index.records.values() if r.render_key}
        db = self._store
        stored = [row[0] for row in db.execute("SELECT key FROM bodies")]
        unused = [(k,) for k in stored if k.removesuffix(WEB_PART) not in used]
        db.executemany("DELETE FROM bodies WHERE key = ?", unused)
        db.execute(f"DELETE FROM latest WHERE path NOT IN ({','.join('?' * len(kept))})", [*kept])
        db.commit()
        pictures = {
            ref.picture.digest: facts(ref.picture)
            for record in index.records.values()
            for ref in record.refs
            if ref.picture is not None
        }
        index.pictures = (pictures_key(), sorted(pictures.values()))
        index.spare = index.live if index.out == str(out) else {}
        index.key, index.out, index.state, index.live = self.key, str(out), state, live
        self.dir.mkdir(exist_ok=True)
        temporary = self.dir / f".{INDEX_FILE}.{os.getpid()}.tmp"
        temporary.write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temporary, self.dir / INDEX_FILE)

    # -- the store of renderings --

    @property
    def _store(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = _open_store(self.dir / BODIES_FILE if self.enabled else None)
        return self._db

    def _put(self, key: str, part: dict[str, str]) -> None:
        data = _zstd().compress(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL), level=1)
        digest = hashlib.sha256(data).hexdigest()
        self._store.execute("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?)", (key, digest, data))

    def _get(self, key: str) -> dict[str, str] | None:
        row = self._store.execute("SELECT digest, data FROM bodies WHERE key = ?", (key,))
        found = row.fetchone()
        if found is None or hashlib.sha256(found[1]).hexdigest() != found[0]:
            return None  # never stored, or damaged: rendered again
        zstd = _zstd()
        try:
            part = pickle.loads(zstd.decompress(found[1]))
        except (zstd.ZstdError, pickle.UnpicklingError, EOFError, ValueError):
            return None
        return part if isinstance(part, dict) else None


def _read_index(path: Path) -> Index:
    """Return the index at ``path``; an empty one if it is missing, damaged or foreign."""
    try:
        with path.open("rb") as handle:
            index = pickle.load(handle)
    except Exception:  # any damage, or written by code that is gone: start afresh
        return Index()
    return index if isinstance(index, Index) else Index()


def _open_store(path: Path | None) -> sqlite3.Connection:
    """Open the store of renderings at ``path`` (in memory for None); a damaged one is
    started again."""
    if path is None:
        db = sqlite3.connect(":memory:")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path)
            # No fsync: a cache may lose its last writes in a power cut, and every row
            # carries a checksum, so a damaged one is rendered again, never served.
            db.execute("PRAGMA synchronous=OFF")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            with contextlib.suppress(OSError):
                path.unlink()
            db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS bodies (key TEXT PRIMARY KEY, digest TEXT, data BLOB)")
    db.execute("CREATE TABLE IF NOT EXISTS latest (path TEXT PRIMARY KEY, slug, data BLOB)")
    return db


def _zstd() -> ModuleType:
    """Return Zstandard (the standard library's from Python 3.14, its backport before): a
    fifth of the renderings' size, at twice zlib's fastest speed."""
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    return zstd


def built_email(root: Path, config: Any, name: str) -> dict[str, str] | None:
    """Return the email (``html``, ``text``) the last build published for the issue file or
    slug ``name``, if nothing it is made from changed since; else None (render it)."""
    from publisher.build.keys import base_key
    from publisher.issue import named_file
    from publisher.theme import Theme

    root = root.resolve()
    path = named_file(name)
    if path.is_file():  # as the build's index names it: the folder's real path
        name = str(Path(os.path.realpath(path.parent)) / path.name)
    key = base_key(config, Theme(root).search_path)
    with BuildCache(root, key, index=False) as store:
        return store.latest(name)
