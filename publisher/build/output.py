"""Where a build writes: the folder's build lock, the output folder's ownership, the spare tree
brought up to date file by file, and the swap that puts it in place of the live site.

The site is never written in place. Beside ``site/`` lies ``.site.spare/``, the site as it was
before the last build: each build brings it up to date (a file already right stays, a file
unchanged since the live site was written is hard-linked from it, anything else is written),
then the two trade places in one step. Only files a build wrote (the manifest's list) are ever
replaced or deleted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from publisher.build.cache import Output, Outputs, intact, output_of
from publisher.config import CACHE_DIR
from publisher.errors import PublisherError, display_path
from publisher.model.issue import ISSUES_DIR
from publisher.render.theme import TEMPLATES_DIR
from publisher.site.manifest import MANIFEST, manifest, written_files
from publisher.site.plan import SITE_DIR, STATIC_DIR

log = logging.getLogger(__name__)

LOCK_FILE = "build.lock"
#: A file being written beside its final name ends so (one left by a stopped build is removed).
TEMPORARY = ".publisher-tmp"


@dataclass(frozen=True)
class Product:
    """What one file of the site is made from: its key, and either bytes to make or a file to
    publish as it is (copied; hard-linked when ``link``: a file never changed in place)."""

    key: str
    make: Callable[[], bytes | str] | None = None
    source: str | None = None
    link: bool = False


# --- the lock ----------------------------------------------------------------------------------


@contextlib.contextmanager
def build_lock(root: Path, out: Path, wait: bool = True) -> Iterator[None]:
    """Hold the folder's build lock, then the output folder's: one build of a folder at a
    time, and one build into an output folder at a time (two newsletters sharing ``--out``
    would otherwise mix their sites).

    Advisory ``flock`` locks, on ``.publisher-cache/build.lock`` and on the folder that holds
    ``out`` (it holds the spare tree too): the system frees them when the holder exits, killed
    or not, so a lock never outlives its build. Where there is no ``flock`` (Windows), builds
    are not serialised.
    """
    folder = root / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(out, exc) from exc
    with (
        _locked(folder / LOCK_FILE, wait, "another build of this folder"),
        _locked(out.parent, wait, f"another build into {display_path(out.parent, None)}/"),
    ):
        yield


@contextlib.contextmanager
def _locked(path: Path, wait: bool, holder: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the file or folder ``path``; ``holder`` says who else
    would hold it."""
    try:
        fd = os.open(path, os.O_RDONLY if path.is_dir() else os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise unwritable(path, exc) from exc
    _HELD.add(fd)
    try:
        if _HAS_FLOCK:
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise PublisherError.at(
                        f"{holder} is running",
                        hint="wait for it to finish, or leave out --no-wait to wait for it",
                    ) from None
                log.warning("waiting for %s to finish...", holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        _HELD.discard(fd)
        os.close(fd)  # which frees the lock


_HAS_FLOCK = importlib.util.find_spec("fcntl") is not None
#: The build locks this process holds. A process forked from it (a rendering process) lets go
#: of them at once: the lock is the build's, and must not outlive it in a process it started.
_HELD: set[int] = set()


def _let_go_of_locks() -> None:
    for fd in _HELD:
        os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, where nothing forks
    os.register_at_fork(after_in_child=_let_go_of_locks)


def unwritable(out: Path, exc: OSError) -> PublisherError:
    """Return the error of an output folder that cannot be written."""
    where = exc.filename or out
    return PublisherError.at(
        f"cannot write the site to {out}: {exc.strerror} ({where})",
        hint="build into a folder you can write to, e.g. --out site (the previous site is intact)",
    )


# --- ownership ---------------------------------------------------------------------------------


def check_out(root: Path, out: Path) -> None:
    """Refuse output folders whose replacement would destroy the author's files."""
    own = [root / d for d in (ISSUES_DIR, TEMPLATES_DIR, STATIC_DIR, CACHE_DIR)]
    holds_git = (out / ".git").exists() or out.name == ".git" or ".git" in out.parts
    if root.is_relative_to(out) or any(out.is_relative_to(d) for d in own) or holds_git:
        what = "a git repository" if holds_git else "your own files"
        raise PublisherError.at(
            f"refusing to build into {out}: it holds {what}",
            hint=f"build into a folder of its own, e.g. --out {SITE_DIR}",
        )
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise PublisherError.at(
                    f"cannot build into {out}: {folder} is a file, not a folder",
                    hint="choose another --out folder",
                )
            break
    if out.is_dir() and not (out / MANIFEST).is_file() and any(out.iterdir()):
        raise PublisherError.at(
            f"refusing to build into {out}: it is not empty, and no build of publisher made it",
            hint="build into a new or empty folder (publisher replaces its whole content), "
            f"e.g. --out {SITE_DIR}; files to publish as they are go in {STATIC_DIR}/",
        )


def refuse_foreign(out: Path) -> None:
    """Stop unless every file in ``out`` is one a build wrote (its manifest lists it)."""
    if not out.is_dir():
        return
    written = (written_files(out) or set()) | {MANIFEST}
    files, folders = _walk(out)
    holding = {f.rpartition("/")[0] for f in files} | {d.rpartition("/")[0] for d in folders}
    foreign = sorted(
        [f for f in files if f not in written and not f.endswith(TEMPORARY)]
        + [f"{d}/" for d in folders if d and d not in holding]
    )
    if foreign:
        raise PublisherError.at(
            f"{display_path(out, None)}/ holds files that publisher did not write: "
            f"{_listed(foreign)}; the build replaces the whole folder, so it stops rather than "
            "lose them",
            hint=f"to publish a file at the site's root, put it in {STATIC_DIR}/ (e.g. "
            f"{STATIC_DIR}/CNAME); otherwise move it out of {out.name}/",
        )


def _listed(paths: list[str]) -> str:
    more = f" and {len(paths) - 10} more" if len(paths) > 10 else ""
    return ", ".join(paths[:10]) + more


def _walk(tree: Path) -> tuple[set[str], set[str]]:
    """Return the files (links to folders too) and folders below ``tree``, by their path in
    it ("" for ``tree`` itself): a listing of each folder, no file looked at."""
    files: set[str] = set()
    folders: set[str] = {""}
    todo = [""]
    while todo:
        base = todo.pop()
        with os.scandir(f"{tree}/{base}" if base else tree) as entries:
            for entry in entries:
                relative = f"{base}/{entry.name}" if base else entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.add(relative)
                    todo.append(relative)
                else:
                    files.add(relative)
    return files, folders


# --- the spare tree ----------------------------------------------------------------------------


def spare_of(out: Path) -> Path:
    """Return the spare tree beside ``out`` (the site before last), ready to bring up to date."""
    old, spare = _beside(out, "old"), _beside(out, "spare")
    if old.exists():  # left by a crash between the fallback's renames: the site before
        _refuse_unless_made(old, "the site while it is swapped")
        if not out.exists():
            os.replace(old, out)
        else:
            shutil.rmtree(old)
    if spare.exists():
        _refuse_unless_made(spare, "the previous site")
    out.parent.mkdir(parents=True, exist_ok=True)
    spare.mkdir(exist_ok=True)
    if not (spare / MANIFEST).is_file():  # marked as publisher's before anything goes in
        (spare / MANIFEST).write_text(manifest([]), encoding="utf-8")
    return spare


def _beside(out: Path, role: str) -> Path:
    """Return the folder beside ``out`` that a build keeps for ``role`` ("spare", "old")."""
    return out.with_name(f".{out.name}.{role}")


def _refuse_unless_made(folder: Path, role: str) -> None:
    """Stop unless ``folder`` is one publisher made (it holds a manifest) or an empty one."""
    if folder.is_dir() and (written_files(folder) is not None or not any(folder.iterdir())):
        return
    raise PublisherError.at(
        f"refusing to use {folder}: publisher keeps {role} there, but no build of "
        "publisher made it",
        hint=f"move {folder.name} away (or choose another --out)",
    )


class Tree:
    """Brings the spare tree up to date, file by file, without touching the live site.

    Files are replaced, never changed in place: a file of the spare tree may be a hard link
    shared with the live site.
    """

    def __init__(
        self, folder: Path, live: Path, had_live: Outputs, had_spare: Outputs, planned: set[str]
    ) -> None:
        """``had_live`` and ``had_spare``: what the last build left in the live site and in
        this tree; ``planned``: the files this build makes. Stops if this tree holds a file
        no build wrote (one put into the live site while a build ran comes here with the
        swap): it is never deleted."""
        self.folder, self.live = folder, live
        self.had_live, self.had_spare = had_live, had_spare
        self.outputs: Outputs = {}
        self.files, self.folders = _walk(folder)
        for stale in [f for f in self.files if f.endswith(TEMPORARY)]:
            os.unlink(f"{folder}/{stale}")  # left by a build stopped half way
            self.files.discard(stale)
        foreign = self.files - {*had_spare, *had_live, *planned, MANIFEST}
        if foreign:  # the cache does not know them: a build without it may have written them
            foreign -= {f for tree in (folder, live) for f in written_files(tree) or ()}
        if foreign:
            raise PublisherError.at(
                f"{display_path(folder, None)}/ holds files that publisher did not write: "
                f"{_listed(sorted(foreign))} (put into {live.name}/ while a build ran, the build "
                f"moved them here with the previous site); they are not published",
                hint=f"move them out of {folder.name}/; to publish a file at the site's root, "
                f"put it in {STATIC_DIR}/ (e.g. {STATIC_DIR}/CNAME)",
            )

    def put(self, relative: str, product: Product) -> None:
        """Bring the file ``relative`` to ``product``."""
        target = f"{self.folder}/{relative}"
        known = self.had_spare.get(relative)
        if relative in self.files and _right(known, product.key, target):
            assert known is not None
            self.outputs[relative] = known  # most files of most builds
            return
        self._make_folder(relative.rpartition("/")[0])
        temporary = target + TEMPORARY if relative in self.files else target
        old = self.had_live.get(relative)
        if _right(old, product.key, f"{self.live}/{relative}"):
            assert old is not None
            _link_or_copy(f"{self.live}/{relative}", temporary)
        elif product.source is not None and product.link:
            _link_or_copy(product.source, temporary)
        elif product.source is not None:
            shutil.copyfile(product.source, temporary)
        else:
            assert product.make is not None
            data = product.make()
            with open(temporary, "wb") as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        if temporary != target:
            os.replace(temporary, target)
            with contextlib.suppress(FileNotFoundError):  # both were links to one file
                os.unlink(temporary)
        self.outputs[relative] = output_of(product.key, os.stat(target))

    def prune(self) -> None:
        """Delete the files and folders of the spare tree that the new site does not have."""
        for relative in self.files - set(self.outputs):
            os.unlink(f"{self.folder}/{relative}")
        needed = _folders_of(self.outputs)
        for relative in sorted(self.folders - needed, key=len, reverse=True):
            with contextlib.suppress(OSError):  # not empty: something else is in it
                os.rmdir(f"{self.folder}/{relative}")
        self.folders = needed

    def _make_folder(self, relative: str) -> None:
        if relative not in self.folders:
            os.makedirs(f"{self.folder}/{relative}", exist_ok=True)
            while relative not in self.folders:
                self.folders.add(relative)
                relative = relative.rpartition("/")[0]


def _right(recorded: Output | None, key: str, path: str) -> bool:
    """Return whether ``path`` is the very file ``recorded`` for ``key``."""
    return recorded is not None and recorded[0] == key and intact(recorded, path)


def _link_or_copy(source: str, target: str) -> None:
    """Hard-link ``source`` as ``target`` (a copy where the file system has no hard links)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def catch_up(spare: Path, live: Path, outputs: Outputs, had: Outputs, folders: set[str]) -> bool:
    """Bring the spare tree (the site as it was before this build: ``had``) to this build's
    files (``outputs``, in ``folders``) with hard links to them, so that the next build
    writes only what it changes; return whether it could (else the next build looks at each
    file of the spare tree, and links or writes what it needs).

    Freeing a file's blocks can be slow; this frees only the old versions of the files this
    build changed, once, and a file written into the spare tree later never frees anything:
    the live site still has the one it replaces.
    """
    if not spare.is_dir():  # the first build: there was no site before it
        return False
    # What the old site held: what the cache recorded (nothing, once the cache is new) and
    # what its manifest lists.
    had_files = set(had) | (written_files(spare) or set())
    try:
        for relative, output in outputs.items():
            old = had.get(relative)
            if old is None or old[3] != output[3]:  # not the very same file
                _link_over(f"{live}/{relative}", f"{spare}/{relative}")
        for relative in had_files - set(outputs):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{spare}/{relative}")
        for relative in sorted(_folders_of(had_files) - folders, key=len, reverse=True):
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(f"{spare}/{relative}")
    except OSError:  # no hard links here, or a file of someone else's in the way
        return False
    return True


def _folders_of(files: Iterable[str]) -> set[str]:
    """Return every folder that holds one of ``files``, or a folder that does."""
    folders = {""}
    for relative in files:
        parent = relative.rpartition("/")[0]
        while parent not in folders:
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    return folders


def _link_over(source: str, target: str) -> None:
    """Make ``target`` a hard link to ``source``, in place of whatever it was."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(target)
    try:
        os.link(source, target)
    except FileNotFoundError:  # a new folder
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.link(source, target)


# --- the swap ----------------------------------------------------------------------------------


def swap_in(new: Path, out: Path) -> None:
    """Put the tree ``new`` in place of ``out``, and the old ``out`` at ``new``'s path.

    At no moment is ``out`` missing or half-written: on Linux the two trade places in one step;
    elsewhere three renames, and ``spare_of`` mends a crash between them.
    """
    # The live site's permissions stay (``chmod 750 site``, say); a first site gets the usual.
    new.chmod(stat.S_IMODE(out.stat().st_mode) if out.exists() else 0o755)
    if not out.exists():
        os.replace(new, out)
    elif not _exchange(new, out):
        old = out.with_name(f".{out.name}.old")
        os.replace(out, old)
        os.replace(new, out)
        os.replace(old, new)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); return False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)
