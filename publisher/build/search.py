"""The search index: Pagefind's bundle over the issue pages as the build made them.

Pagefind never runs in ``site/``: it reads a copy of the issue pages in a folder of its own and
writes its bundle into the cache folder, named by the digest of what it indexed, so a build
whose issue pages are unchanged reuses the bundle without running it. The build then publishes
the bundle's files as its own: planned, listed in the manifest, swapped in with the rest.

The pages say what is indexed (``data-pagefind-body`` on the issue's article) and how: its title,
dek and body as words, its tags as words and as meta, its date as the one sort key. No filters:
Pagefind 1.5.2 writes its filter and meta files in the order of a randomly seeded hash map
(Pagefind issue #638), so a bundle with filters differs from one build to the next; without
them, and with at most one sort key, it is byte-identical. Topics have their tag pages.

One index, in the newsletter's language: Pagefind would make one per language of the pages, and
the archive page's search reads only the index of its own, so an issue in another language
(its ``language:``) would never be found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from publisher.build.keys import digest
from publisher.errors import PublisherError

#: The Python package of the Pagefind program (its extended build: it segments Japanese and
#: Chinese words).
PAGEFIND = "pagefind_bin_extended"
#: The pages Pagefind reads: the issue pages, never an email (``slug/email.html``).
PAGES = "*/index.html"
#: Pagefind's other interfaces, which the archive's search box does not load.
UNUSED = (
    "pagefind-component-ui.css",
    "pagefind-component-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-highlight.js",
)
#: The folder beside the bundles holding the issue pages as last indexed, brought up to date
#: page by page: an edit of one issue writes one page there for Pagefind to read.
PAGES_DIR = "pages"
#: Seconds Pagefind may take (a 1,000-issue archive takes about two).
TIMEOUT = 600


def bundle_key(pages: Mapping[str, bytes], language: str) -> str:
    """Return the key of the bundle of ``pages`` (path in the site, bytes) in ``language``."""
    parts = [part for path in sorted(pages) for part in (path, pages[path])]
    return digest(_version(), PAGES, *UNUSED, language, *parts)


def bundle(pages: Mapping[str, bytes], language: str, folder: Path) -> list[tuple[str, Path]]:
    """Return the files of the Pagefind bundle of ``pages`` (path in the site, bytes), one
    index in ``language`` (the archive page's), as (path in the bundle, file), sorted: the
    bundle kept in ``folder`` when it indexed the very same pages, else one made now;
    ``folder`` keeps only that one (and the pages it indexed)."""
    made = folder / bundle_key(pages, language)
    if not made.is_dir():
        _index(pages, language.lower(), folder, made)
    for other in folder.iterdir():
        if other not in (made, folder / PAGES_DIR):
            shutil.rmtree(other, ignore_errors=True)
    files = (p for p in made.rglob("*") if p.is_file())
    return sorted((p.relative_to(made).as_posix(), p) for p in files)


def _index(pages: Mapping[str, bytes], language: str, folder: Path, made: Path) -> None:
    """Run Pagefind over ``pages`` and put its bundle at ``made``, whole or not at all."""
    site = folder / PAGES_DIR
    _mirror(pages, site)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".making-") as work:
        bundle, empty = Path(work, "bundle"), Path(work, "cwd")
        empty.mkdir()
        _run(site, bundle, language, empty)
        for name in UNUSED:
            (bundle / name).unlink(missing_ok=True)
        os.replace(bundle, made)


def _mirror(pages: Mapping[str, bytes], site: Path) -> None:
    """Bring the folder ``site`` to exactly ``pages`` (path, bytes), each ``slug/index.html``:
    only what differs is written or removed."""
    site.mkdir(parents=True, exist_ok=True)
    slugs = {path.partition("/")[0] for path in pages}
    for entry in os.scandir(site):
        if entry.name not in slugs:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    for path, data in pages.items():
        target = site / path
        try:
            if target.read_bytes() == data:
                continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _run(site: Path, bundle: Path, language: str, cwd: Path) -> None:
    """Run Pagefind: only the flags given here count (no ``pagefind.yml``, no ``PAGEFIND_``
    variables), and its output is read to its end by ``run`` (a pipe left unread would block
    it)."""
    from pagefind_bin_extended import get_executable

    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PAGEFIND")}
    try:
        args = [str(get_executable()), "--site", str(site), "--output-path", str(bundle)]
        args += ["--glob", PAGES, "--force-language", language, "--silent"]
        done = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _failed(str(exc)) from exc
    if done.returncode != 0 or not (bundle / "pagefind.js").is_file():
        said = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
        code = done.returncode
        stopped = f"stopped by signal {-code}" if code < 0 else f"exit status {code}"
        raise _failed(said.splitlines()[-1] if said else stopped)


def _failed(why: str) -> PublisherError:
    return PublisherError.at(
        f"Pagefind could not index the issue pages: {why}; nothing was published",
        hint="install publisher again as you did first (it brings Pagefind: pagefind[extended]), "
        "or leave search out: enabled = false under [search] in newsletter.toml",
    )


def _version() -> str:
    """Return the version of the Pagefind program (part of every bundle's key)."""
    try:
        return version(PAGEFIND)
    except PackageNotFoundError:
        raise _failed(f"the {PAGEFIND} package is not installed") from None
