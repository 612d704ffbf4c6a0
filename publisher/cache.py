"""The build cache (``.publisher-cache/``): what each issue rendered to, and what each output was.

Nothing is reused unless everything it came from is unchanged:

- the *base key* covers publisher's own code and version, the libraries that shape the output,
  the settings' values (but those only ``send`` or only the web pages read) and every theme file
  but the web pages' own (their bytes);
- an issue's record also keeps the signature of its file and of every local image it showed
  (size, modification and change times, inode: an edit always moves the change time);
- an output file is linked from the previous ``site/`` only when its own key is unchanged and the
  old file is exactly the one the last build wrote (same size, times and inode).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import itertools
import marshal
import os
import pickle
import re
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path, PosixPath
from types import ModuleType
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from publisher import __version__
from publisher.config import (
    CACHE_DIR,
    SEND,
    WEB_PAGES,
    Config,
    settings_text,
    tables_read_by,
)
from publisher.context import IssueView
from publisher.errors import Problem
from publisher.images import Picture, facts
from publisher.issue import Issue, named_file

if TYPE_CHECKING:
    from publisher.rendered import Rendered

INDEX_FILE = "index.marshal"
BODIES_FILE = "bodies.sqlite"
FORMAT = 7
TABLE = f"bodies_{FORMAT}"
#: The key of a rendering's web part is its own with this after it.
WEB_PART = ":web"
#: Each issue file's latest rendering: its slug, signature, dependencies and render key.
LATEST = f"latest_{FORMAT}"
#: Libraries whose version changes what a build writes.
LIBRARIES = (
    "mjml",
    "css_inline",
    "markdown_it",
    "mdit_py_plugins",
    "linkify_it",
    "nh3",
    "jinja2",
    "PIL",
    "feedgen",
    "yaml",
    # Dates and their languages, slugs, HEIC photos, the feeds' XML, links' URLs.
    "babel",
    "tzdata",
    "anyascii",
    "pillow_heif",
    "lxml",
    "mdurl",
)

Signature = tuple[int, int, int, int]


@lru_cache(maxsize=1)
def _zstd() -> ModuleType:
    """Return Zstandard, which keeps the renderings (the standard library's from Python 3.14,
    its backport before): a fifth of their size, at twice zlib's fastest speed."""
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    return zstd


def signature(path: Path | str) -> Signature | None:
    """Return what identifies a file's content without reading it, or None if it is missing."""
    try:
        return signature_of(os.stat(path))
    except OSError:
        return None


def signature_of(st: os.stat_result) -> Signature:
    """Return ``signature`` from a file's status."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


#: The theme's files that only the web pages read: editing them renders no email again.
WEB_ONLY = {"base.html.j2", "index.html.j2", "issue.html.j2", "tag.html.j2", "_list.html.j2",
            "style.css.j2"}  # fmt: skip


def _web_only(relative: str) -> bool:
    return relative in WEB_ONLY or relative.startswith("assets/")


def base_key(config: Config, theme_dirs: list[Path]) -> str:
    """Return the key of everything every issue's rendering depends on: not the web pages' own
    templates and settings (``web_key``), nor the settings only ``publisher send`` reads, unless
    an email template names them."""
    parts: list[bytes | str] = [f"format {FORMAT}", __version__, sys.version]
    package = Path(__file__).parent
    for source in sorted(package.rglob("*")):
        if source.is_file() and source.suffix in (".py", ".j2", ".mo"):
            parts += [str(source.relative_to(package)), source.read_bytes()]
    parts += _libraries(LIBRARIES)
    templates: list[bytes] = []
    for _, relative, text in _theme_files(theme_dirs, lambda relative: not _web_only(relative)):
        templates.append(text)
        parts += [relative, text]
    apart = {*tables_read_by(WEB_PAGES), *tables_read_by(SEND)}
    read = [f.name for f in fields(Config) if f.name not in apart or _named(f.name, templates)]
    parts.append(settings_text(config, read))
    return _digest(*parts)


def _libraries(names: Iterable[str]) -> list[str]:
    """Return what identifies the installed version of each library of ``names``."""
    parts = []
    for name in names:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        parts += [name, repr(signature(origin) if origin else None)]
    return parts


#: The libraries that read pictures.
PICTURES = ("PIL", "pillow_heif")


@lru_cache(maxsize=1)
def pictures_key() -> str:
    """Return the key of what reading a picture finds in its bytes: the code that reads it
    and the libraries it reads with (a theme or settings edit keeps it)."""
    from publisher import images

    return _digest(f"format {FORMAT}", Path(images.__file__).read_bytes(), *_libraries(PICTURES))


def _theme_files(
    theme_dirs: list[Path], wanted: Callable[[str], bool]
) -> Iterator[tuple[Path, str, bytes]]:
    """Yield each theme folder's ``wanted`` files (by their relative name) and their bytes."""
    for folder in theme_dirs:
        for source in sorted(folder.rglob("*")):
            relative = source.relative_to(folder).as_posix()
            if source.is_file() and wanted(relative):
                yield folder, relative, source.read_bytes()


def _named(table: str, templates: list[bytes]) -> bool:
    """Return whether any of ``templates`` may read the settings table ``table``."""
    word = re.compile(rb"\b" + table.encode() + rb"\b")
    return any(word.search(text) for text in templates)


STYLESHEET = "style.css.j2"


def web_key(theme_dirs: list[Path], stylesheet: bool = False, config: Config | None = None) -> str:
    """Return the key of what only the web pages read: their templates and the settings only
    they (or only ``publisher send``, if a page template names them) read; or (``stylesheet``)
    the stylesheet alone."""
    parts: list[bytes | str] = []
    templates: list[bytes] = []

    def wanted(relative: str) -> bool:
        return _web_only(relative) and (relative == STYLESHEET) == stylesheet

    for folder, relative, text in _theme_files(theme_dirs, wanted):
        templates.append(text)
        parts += [str(folder), relative, text]
    if config is not None:
        send = [t for t in tables_read_by(SEND) if _named(t, templates)]
        parts.append(settings_text(config, [*tables_read_by(WEB_PAGES), *send]))
    return _digest(*parts)


@dataclass
class Record:
    """One issue file as the last build saw it."""

    signature: Signature
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


class Output(NamedTuple):
    """A file the last build wrote: its key and the stat of what was written."""

    key: str
    size: int
    mtime_ns: int
    ino: int


class BuildCache:
    """Reads and writes ``.publisher-cache/`` for one newsletter folder."""

    def __init__(
        self,
        root: Path,
        key: str,
        enabled: bool = True,
        index: bool = True,
        records: bool = True,
        paths: Iterable[Path] = (),
    ) -> None:
        # Disabled, it neither reads nor writes the folder's cache (renderings wait in memory,
        # in SQLite, where a build holds them more compactly than as Python objects). Without
        # ``records``, it reads the index's tables of outputs alone.
        self.dir = root / CACHE_DIR
        self._db: sqlite3.Connection | None = None
        self._keys: set[str] = set()
        self._compressor: Any = None
        self.key = key
        self.enabled = enabled
        self.records: dict[str, Record] = {}
        #: The records as the index holds them, while this build has not changed them.
        self._pickled: dict[str, bytes] = {}
        #: What the live site and the spare tree beside it hold, as written.
        self.outputs: dict[str, Output] = {}
        self.spare_outputs: dict[str, Output] = {}
        self.out: str = ""
        self.state: str = ""
        #: The modification time of every folder of the live site as the last build left it:
        #: while none changed, no file was added to it or taken from it.
        self.folders: dict[str, int] = {}
        #: The same for the spare tree, once brought up to the live site (else empty).
        self.spare_folders: dict[str, int] = {}
        #: The spare tree's files found not to be as recorded (``changed_files``), with the
        #: table they were checked against, once another process looked at them all; until
        #: then (or for another table) each file is looked at here when asked for.
        self.spare_changed: tuple[dict[str, Output], frozenset[str]] | None = None
        #: What the last build read of its pictures (``images.Picture``, without their names).
        self.pictures: list[Picture] = []
        if enabled and index:
            self._read_index(records, paths)  # with the cycle collector off (``build``)

    def _read_index(self, with_records: bool, paths: Iterable[Path]) -> None:
        try:
            chunks = _chunks((self.dir / INDEX_FILE).read_bytes())
            head = next(chunks)
            if not isinstance(head, dict):
                return
            # Another version, theme or settings: every issue is loaded and rendered afresh,
            # but what the site holds is known still (each file is checked by key and stat).
            same = with_records and head.get("key") == self.key
            records: dict[str, Record] = {}
            pickled: dict[str, bytes] = {}
            # The records read take the issue files' paths as found, not copies.
            found = {str(p): p for p in paths} if same else {}
            while chunk := next(chunks):
                if same:
                    pickled.update(chunk)
                    records.update((name, _unpickled(value, found)) for name, value in chunk)
            outputs: dict[str, Output] = {}
            spare: dict[str, Output] = {}
            make = tuple.__new__  # Output._make without its checks: thrice as quick
            for table in (outputs, spare):
                while chunk := next(chunks):
                    table.update({name: make(Output, value) for name, value in chunk})
            if head.get("spare_is_live"):
                spare = outputs
            out, state, folders = head["out"], head["state"], head["folders"]
            spare_folders = head["spare_folders"]
            self.pictures = _pictures(head)
        except (
            StopIteration,
            OSError,
            pickle.UnpicklingError,
            EOFError,
            AttributeError,
            ImportError,
            ValueError,
            TypeError,
            KeyError,
        ):
            return
        self.records, self.outputs, self.spare_outputs = records, outputs, spare
        self._pickled = pickled
        self.out, self.state, self.folders = out, state if same else "", folders
        self.spare_folders = spare_folders

    # -- issues --

    def record(self, path: Path, status: os.stat_result | None = None) -> Record | None:
        """Return the record of an unchanged issue file (and unchanged images), else None;
        ``status`` is the file's, if just read."""
        name = str(path)
        record = self.records.get(name)
        if record is None:
            return None
        if record.signature != (signature(name) if status is None else signature_of(status)):
            return None
        folder = os.path.dirname(name)  # plain strings: this runs for every issue
        if any(signature(os.path.join(folder, dep)) != sig for dep, sig in record.deps.items()):
            return None  # an image it shows changed: load and render it again
        return record

    def remember(self, path: Path, issue: Issue, warnings: list[Problem]) -> Record:
        """Record a freshly loaded issue file, without its Markdown (the file has it: what
        renders it reads it again), so a build of many issues holds only their front matter."""
        sig = signature(path)
        assert sig is not None
        record = Record(sig, replace(issue, body="") if issue.body else issue, warnings)
        self.records[str(path)] = record
        self._pickled.pop(str(path), None)
        return record

    @property
    def _bodies(self) -> sqlite3.Connection:
        """Return the store of rendered bodies (in memory when the cache is disabled)."""
        if self._db is None:
            self._db = self._open()
            self._keys = {row[0] for row in self._db.execute(f"SELECT key FROM {TABLE}")}
        return self._db

    def _open(self) -> sqlite3.Connection:
        if not self.enabled:
            db = sqlite3.connect(":memory:")
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
            path = self.dir / BODIES_FILE
            try:
                db = sqlite3.connect(path)
                db.execute("PRAGMA journal_mode=WAL")
                # No fsync: a cache may lose its last writes in a power cut, and every row
                # carries a checksum, so a damaged one is rendered again, never served.
                db.execute("PRAGMA synchronous=OFF")
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError:  # damaged: start again with an empty one
                with contextlib.suppress(OSError):
                    path.unlink()
                db = sqlite3.connect(path)
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT PRIMARY KEY, digest TEXT, data BLOB)"
        )
        db.execute(f"CREATE TABLE IF NOT EXISTS {LATEST} (path TEXT PRIMARY KEY, slug, data BLOB)")
        return db

    def latest(self, name: str) -> dict[str, Any] | None:
        """Return what the last build rendered for the issue file or slug ``name``, if neither
        it nor anything it depends on changed since; else None (render it)."""
        if not (self.dir / BODIES_FILE).is_file():
            return None
        try:
            rows = self._bodies.execute(
                f"SELECT path, data FROM {LATEST} WHERE path = ? OR slug = ?", (name, name)
            ).fetchall()
            if len(rows) != 1:
                return None
            path, data = rows[0]
            sig, deps, render_key = marshal.loads(data)
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return None
        folder = os.path.dirname(path)
        if signature(path) != sig or any(signature(os.path.join(folder, n)) != s for n, s in deps):
            return None
        if _render_key(self.key, path, sig, deps) != render_key:
            return None  # rendered by another version, theme or settings
        return self._body(render_key)  # the email alone

    def has_body(self, record: Record) -> bool:
        """Return whether the record's rendered outputs are stored."""
        self._bodies  # noqa: B018 (opens the store and reads its keys)
        return record.render_key is not None and record.render_key in self._keys

    def body(self, record: Record) -> dict[str, Any] | None:
        """Return the stored email HTML, text and message of a rendered record, with its web
        part (``web``), if any."""
        if record.render_key is None:
            return None
        body, web = self._body(record.render_key), self.web(record)
        return None if body is None or web is None else body | web

    def web(self, record: Record) -> dict[str, Any] | None:
        """Return what the web pages and feeds show of a rendered record: its article, with
        absolute links (``article``) and as its page has it (``page``)."""
        return None if record.render_key is None else self._body(record.render_key + WEB_PART)

    def _body(self, key: str) -> dict[str, Any] | None:
        row = self._bodies.execute(
            f"SELECT digest, data FROM {TABLE} WHERE key = ?", (key,)
        ).fetchone()
        if row is None or hashlib.sha256(row[1]).hexdigest() != row[0]:
            return None
        zstd = _zstd()
        try:
            body = pickle.loads(zstd.decompress(row[1]))
        except (zstd.ZstdError, pickle.UnpicklingError, EOFError, ValueError):
            return None
        return body if isinstance(body, dict) else None

    def store(
        self, record: Record, body: dict[str, Any], web: dict[str, Any], rendered: Rendered
    ) -> None:
        """Remember what a record rendered to: its email files (``body``) and, apart, what the
        web pages show (``web``), so that writing a page reads no email."""
        folder = str(record.issue.source.parent)  # as ``record`` joins them
        record.deps = {name: signature(os.path.join(folder, name)) for name in rendered.deps}
        deps = sorted(record.deps.items())
        path = str(record.issue.source)
        record.render_key = _render_key(self.key, path, record.signature, deps)
        self._pickled.pop(path, None)
        record.view, record.image, record.feed_image = (
            rendered.view,
            rendered.image,
            rendered.feed_image,
        )
        record.files, record.refs, record.images = rendered.files, rendered.refs, rendered.images
        if self._compressor is None:  # one for every part: making one took a quarter of the time
            self._compressor = _zstd().ZstdCompressor(1)
        whole = self._compressor.FLUSH_FRAME
        for key, part in ((record.render_key, body), (record.render_key + WEB_PART, web)):
            data = self._compressor.compress(
                pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL), whole
            )
            self._bodies.execute(
                f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?)",
                (key, hashlib.sha256(data).hexdigest(), data),
            )
            self._keys.add(key)
        latest = marshal.dumps((record.signature, deps, record.render_key))
        self._bodies.execute(
            f"INSERT OR REPLACE INTO {LATEST} VALUES (?, ?, ?)", (path, record.issue.slug, latest)
        )

    def close(self) -> None:
        """Close the store of bodies (without committing: ``save`` commits)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- outputs --

    def reusable(self, relative: str, key: str, old_root: Path) -> Path | None:
        """Return the live site's file for ``relative`` if it can be linked as it is."""
        if _intact(self.outputs.get(relative), key, f"{old_root}/{relative}"):
            return old_root / relative
        return None

    def spare_output(self, relative: str, key: str, path: str) -> Output | None:
        """Return the record of the spare tree's file for ``relative`` (at ``path``) if it is
        already right for ``key``."""
        recorded = self.spare_outputs.get(relative)
        changed = self.spare_changes()
        if changed is None:
            return recorded if _intact(recorded, key, path) else None
        right = recorded is not None and recorded.key == key and relative not in changed
        return recorded if right else None

    def spare_changes(self) -> frozenset[str] | None:
        """Return the spare tree's files another process found changed (``changed_files``),
        if it looked at the table this build reads; else None (each is looked at here)."""
        checked = self.spare_changed  # set by another thread, at any moment
        return checked[1] if checked is not None and checked[0] is self.spare_outputs else None

    def changed_files(self, tree: str) -> frozenset[str]:
        """Return the files of the spare tree (at ``tree``) that are not as the index records
        them: gone, or another size, time or inode (a stat each, thousands of them: a process
        with nothing else to do looks, and the building process asks it)."""
        return frozenset(
            relative
            for relative, recorded in self.spare_outputs.items()
            if not _intact(recorded, recorded.key, f"{tree}/{relative}")
        )

    def up_to_date(self, out: Path, state: str) -> bool:
        """Return whether ``out`` is exactly what the last build wrote for the same ``state``."""
        if not self.enabled or self.state != state or self.out != str(out) or not self.outputs:
            return False
        # Plain strings: a path object made for each of the site's files cost twice the stats.
        return all(_intact(o, o.key, f"{out}/{relative}") for relative, o in self.outputs.items())

    def unchanged_folders(self, out: Path) -> bool:
        """Return whether no file was added to ``out`` or taken from it since the last build."""
        return self.out == str(out) and same_folders(out, self.folders)

    def note_folders(self, out: Path, folders: set[str]) -> None:
        """Remember the modification time of every folder of the live site."""
        self.folders = folder_times(out, folders)

    def commit(self, paths: list[Path]) -> None:
        """Commit the bodies, dropping those nothing uses and the records of issue files that
        are gone (``paths`` are those there are), and ready the records for ``save``."""
        if not self.enabled:
            return
        keep = {str(p) for p in paths}
        gone = [(k,) for k in self.records if k not in keep]
        self.records = {k: v for k, v in self.records.items() if k in keep}
        used = {
            key
            for r in self.records.values()
            if r.render_key
            for key in (r.render_key, r.render_key + WEB_PART)
        }
        unused = self._keys - used
        db = self._bodies
        db.executemany(f"DELETE FROM {TABLE} WHERE key = ?", [(k,) for k in unused])
        db.executemany(f"DELETE FROM {LATEST} WHERE path = ?", gone)
        for (old,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN (?, ?)",
            (TABLE, LATEST),
        ).fetchall():
            db.execute(f'DROP TABLE "{old}"')  # left by an earlier format
        db.commit()
        self._keys -= unused
        for path, record in self.records.items():
            if path not in self._pickled:
                self._pickled[path] = _pickled(record)

    def save(self, out: Path, state: str) -> None:
        """Write the index (after ``commit``)."""
        if not self.enabled:
            return
        self.out, self.state = str(out), state
        pictures = {
            ref.picture.digest: facts(ref.picture)
            for record in self.records.values()
            for ref in record.refs
            if ref.picture is not None
        }
        head = {
            "key": self.key,
            "out": self.out,
            "state": state,
            "folders": self.folders,
            "spare_folders": self.spare_folders,
            "pictures": (pictures_key(), sorted(pictures.values())),
            # Brought up to the live site (the usual case): its table is not written twice.
            "spare_is_live": self.spare_outputs is self.outputs,
        }
        records = ((path, self._pickled[path]) for path in self.records)
        outputs = ((k, tuple(v)) for k, v in self.outputs.items())
        spare = ((k, tuple(v)) for k, v in self.spare_outputs.items() if not head["spare_is_live"])
        path = self.dir / INDEX_FILE
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        # Marshalled plain data, quick to read; each record pickled on its own; written in
        # chunks, so that neither holds a copy of the whole index in memory.
        with temporary.open("wb") as handle:
            _write_chunk(handle, head)
            for table in (records, outputs, spare):
                while chunk := list(itertools.islice(table, 2000)):
                    _write_chunk(handle, chunk)
                _write_chunk(handle, [])
        os.replace(temporary, path)


class _RecordPickler(pickle.Pickler):
    """Pickles a record with its paths and time zones by name: unpickled (a thousand records
    as a build starts), a path is the one the build found for its file, or made from its text
    without being parsed again, and a zone is looked up in a table (half the time in all)."""

    def persistent_id(self, obj: Any) -> tuple[str, str] | None:
        kind = type(obj)
        if kind is PosixPath:
            return ("path", str(obj))
        if kind is ZoneInfo:
            key = obj.key
            if key and _shared_zone(key) is obj:  # not made with ``no_cache`` or from a file
                return ("zone", key)
        return None


def _shared_zone(key: str) -> ZoneInfo | None:
    """Return the shared zone named ``key``, if there is one."""
    try:
        return ZoneInfo(key)
    except (ValueError, KeyError):  # a zone read from a file of its own, under another name
        return None


def _pickled(record: Record) -> bytes:
    buffer = io.BytesIO()
    _RecordPickler(buffer, protocol=5).dump(record)
    return buffer.getvalue()


def _unpickled(data: bytes, paths: dict[str, Path]) -> Record:
    """Return the record ``_pickled`` made, taking its paths from ``paths`` where there."""

    def by_name(pid: tuple[str, str]) -> Any:
        kind, name = pid
        if kind == "path":
            path = paths.get(name)
            return Path(name) if path is None else path
        if kind == "zone":
            return ZoneInfo(name)
        raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")

    unpickler = pickle.Unpickler(io.BytesIO(data))
    unpickler.persistent_load = by_name  # type: ignore[method-assign]
    record = unpickler.load()
    if not isinstance(record, Record):
        raise TypeError("not a record")
    return record


def _pictures(head: dict[str, Any]) -> list[Picture]:
    """Return the pictures an index's head holds, if read with this very code and Pillow."""
    key, pictures = head.get("pictures", ("", []))
    return [Picture("", *known) for known in pictures] if key == pictures_key() else []


def has_index(root: Path) -> bool:
    """Return whether a build of ``root`` left its index."""
    return (root / CACHE_DIR / INDEX_FILE).is_file()


def last_pictures(root: Path) -> list[Picture]:
    """Return what the last build read of its pictures, from its index's head alone (a
    rendering process forked before the index is read); none if it cannot be read."""
    try:
        with (root / CACHE_DIR / INDEX_FILE).open("rb") as handle:
            head = marshal.loads(handle.read(int.from_bytes(handle.read(8), "little")))
        return _pictures(head) if isinstance(head, dict) else []
    except (OSError, EOFError, ValueError, TypeError):
        return []


def built_email(root: Path, config: Config, name: str) -> dict[str, Any] | None:
    """Return the email (``html``, ``text``) the last build published for the issue file or
    slug ``name``, if nothing it is made from changed since; else None (render it)."""
    from publisher.theme import Theme

    root = root.resolve()
    path = named_file(name)
    if path.is_file():  # as the build's index names it: the folder's real path
        name = str(Path(os.path.realpath(path.parent)) / path.name)
    # The stored renderings alone, not the index of the whole archive.
    store = BuildCache(root, base_key(config, Theme(root).search_path), index=False)
    try:
        return store.latest(name)
    finally:
        store.close()


def _write_chunk(handle: BinaryIO, value: Any) -> None:
    """Write one marshalled value, after its length."""
    data = marshal.dumps(value)
    handle.write(len(data).to_bytes(8, "little") + data)


def _chunks(data: bytes) -> Iterator[Any]:
    """Yield the values ``_write_chunk`` wrote (marshal.load on a file reads in small pieces:
    slow; loads on slices of bytes read at once is not)."""
    view, at = memoryview(data), 0
    while at < len(view):
        size = int.from_bytes(view[at : at + 8], "little")
        yield marshal.loads(view[at + 8 : at + 8 + size])
        at += 8 + size


def folder_times(tree: Path, folders: Iterable[str]) -> dict[str, int]:
    """Return the modification time of each of ``tree``'s ``folders``."""
    times = {}
    for relative in folders:
        with contextlib.suppress(OSError):
            times[relative] = os.stat(f"{tree}/{relative}").st_mtime_ns
    return times


def same_folders(tree: Path, times: dict[str, int]) -> bool:
    """Return whether ``tree``'s folders are as ``folder_times`` saw them (nothing was added,
    renamed or removed in them since); False when nothing was seen."""
    if not times:
        return False
    for relative, mtime in times.items():
        try:
            if os.stat(f"{tree}/{relative}").st_mtime_ns != mtime:
                return False
        except OSError:
            return False
    return True


def _render_key(key: str, path: str, sig: Signature, deps: list[tuple[str, Any]]) -> str:
    """Return the key of one issue's rendering: the base key, its file, and what it shows."""
    return _digest(key, path, repr(sig), repr(deps))


def _intact(recorded: Output | None, key: str, path: str) -> bool:
    """Return whether the file at ``path`` is still exactly the one ``recorded`` for ``key``."""
    if recorded is None or recorded.key != key:
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns, st.st_ino) == (
        recorded.size,
        recorded.mtime_ns,
        recorded.ino,
    )


def output_key(*parts: Any) -> str:
    """Return the key of an output file from what it depends on."""
    return _digest(*(repr(p) for p in parts))
