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
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
def build_lock(root: Path, wait: bool = True) -> Iterator[None]:
    """Hold the folder's build lock: one build at a time.

    An advisory ``flock`` on ``.publisher-cache/build.lock``: the system frees it when the
    holder exits, killed or not, so a lock never outlives its build. Where there is no
    ``flock`` (Windows), builds are not serialised.
    """
    folder = root / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        handle = open(folder / LOCK_FILE, "a+b")  # noqa: SIM115 (held for the whole build)
    except OSError as exc:
        raise unwritable(folder, exc) from exc
    _HELD.add(handle)
    try:
        if not _HAS_FLOCK:
            yield
            return
        import fcntl

        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise PublisherError.at(
                    "another build of this folder is running",
                    hint="wait for it to finish, or leave out --no-wait to wait for it",
                ) from None
            log.warning("waiting for another build of this folder to finish...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        _HELD.discard(handle)
        handle.close()  # which frees the lock


_HAS_FLOCK = importlib.util.find_spec("fcntl") is not None
#: The build locks this process holds. A process forked from it (a rendering process) lets go
#: of them at once: the lock is the build's, and must not outlive it in a process it started.
_HELD: set[BinaryIO] = set()


def _let_go_of_locks() -> None:
    for handle in _HELD:
        handle.close()
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


def refuse_foreign(out: Path, known: dict[str, int]) -> None:
    """Stop unless every file in ``out`` is one a build wrote (its manifest lists it); not
    looked at while the ``known`` folders are as the last build left them (``folder_times``)."""
    if not out.is_dir() or (known and folder_times(out, known) == known):
        return
    written = (written_files(out) or set()) | {MANIFEST}
    files, folders = _walk(out)
    holding = {f.rpartition("/")[0] for f in files} | {d.rpartition("/")[0] for d in folders}
    foreign = sorted(
        [f for f in files if f not in written and not f.endswith(TEMPORARY)]
        + [f"{d}/" for d in folders if d and d not in holding]
    )
    if foreign:
        shown = ", ".join(foreign[:10]) + (
            f" and {len(foreign) - 10} more" if len(foreign) > 10 else ""
        )
        raise PublisherError.at(
            f"{display_path(out, None)}/ holds files that publisher did not write: {shown}; "
            "the build replaces the whole folder, so it stops rather than lose them",
            hint=f"to publish a file at the site's root, put it in {STATIC_DIR}/ (e.g. "
            f"{STATIC_DIR}/CNAME); otherwise move it out of {out.name}/",
        )


def folder_times(tree: Path, folders: Iterable[str]) -> dict[str, int]:
    """Return the modification time of each of ``tree``'s ``folders`` (adding, renaming or
    removing a file changes its folder's)."""
    times = {}
    for folder in folders:
        with contextlib.suppress(OSError):
            times[folder] = os.stat(f"{tree}/{folder}").st_mtime_ns
    return times


def _walk(tree: Path) -> tuple[set[str], set[str]]:
    """Return the files (links to folders too) and folders below ``tree``, by their path in
    it ("" for ``tree`` itself)."""
    files: set[str] = set()
    folders: set[str] = {""}
    for path, dirs, names in os.walk(tree):
        base = os.path.relpath(path, tree)
        base = "" if base == "." else base.replace(os.sep, "/") + "/"
        links = [d for d in dirs if os.path.islink(os.path.join(path, d))]
        files.update(base + name for name in names + links)
        folders.update(base + d for d in dirs if d not in links)
    return files, folders


# --- the spare tree ----------------------------------------------------------------------------


def spare_of(out: Path) -> Path:
    """Return the spare tree beside ``out`` (the site before last), ready to bring up to date."""
    old = out.with_name(f".{out.name}.old")
    if old.exists() and not out.exists():  # a crash between the fallback's renames
        os.replace(old, out)
    shutil.rmtree(old, ignore_errors=True)
    spare = out.with_name(f".{out.name}.spare")
    if spare.is_dir() and not (spare / MANIFEST).is_file() and any(spare.iterdir()):
        raise PublisherError.at(
            f"refusing to use {spare}: publisher keeps the previous site there, but this "
            "folder is not one it made",
            hint=f"move {spare.name} away (or choose another --out)",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    spare.mkdir(exist_ok=True)
    if not (spare / MANIFEST).is_file():  # marked as publisher's before anything goes in
        (spare / MANIFEST).write_text(manifest([]), encoding="utf-8")
    return spare


class Tree:
    """Brings the spare tree up to date, file by file, without touching the live site.

    Files are replaced, never changed in place: a file of the spare tree may be a hard link
    shared with the live site.
    """

    def __init__(
        self,
        folder: Path,
        live: Path,
        had_live: Outputs,
        had_spare: Outputs,
        spare_folders: dict[str, int],
    ) -> None:
        """``had_live`` and ``had_spare``: what the last build left in the live site and in
        this tree (``spare_folders``: its folders then, with their times)."""
        self.folder, self.live = folder, live
        self.had_live, self.had_spare = had_live, had_spare
        self.outputs: Outputs = {}
        if spare_folders and folder_times(folder, spare_folders) == spare_folders:
            # Nothing was added or taken away since: it holds what the last build left.
            self.files, self.folders = set(had_spare), set(spare_folders)
            return
        self.files, self.folders = _walk(folder)
        for stale in [f for f in self.files if f.endswith(TEMPORARY)]:
            os.unlink(f"{folder}/{stale}")  # left by a build stopped half way
            self.files.discard(stale)

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
    try:
        for relative, output in outputs.items():
            old = had.get(relative)
            if old is None or old[3] != output[3]:  # not the very same file
                _link_over(f"{live}/{relative}", f"{spare}/{relative}")
        for relative in set(had) - set(outputs):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{spare}/{relative}")
        for relative in sorted(_folders_of(had) - folders, key=len, reverse=True):
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
    new.chmod(0o755)
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
