"""``publisher build``: render every published issue into a fresh tree and swap it in whole."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from publisher.cache import BuildCache, Output, Record
from publisher.config import Config, load_config
from publisher.errors import Problem, PublisherError, collecting, warn
from publisher.feeds import ATOM_FILE, JSON_FILE, RSS_FILE, SITEMAP_FILE
from publisher.images import local_path
from publisher.issue import ISSUES_DIR, Issue, duplicates, issue_files, load_issue
from publisher.theme import TEMPLATES_DIR, Theme

if TYPE_CHECKING:  # the renderers load only when something must be rendered
    from concurrent.futures import ProcessPoolExecutor

    from publisher.context import IssueView
    from publisher.render import Rendered
    from publisher.web import Pages

log = logging.getLogger(__name__)
T = TypeVar("T")

SITE_DIR = "site"
#: Every published issue's permanent id, so the next build can tell when one would change.
MANIFEST = "publisher.json"
ASSETS_DIR = "assets"

Progress = Callable[[Sequence[Issue]], Iterable[Issue]]


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the one-line summary."""

    out: Path
    built: int
    drafts: int
    scheduled: int
    seconds: float


def build(
    root: Path,
    out: Path | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: bool = True,
) -> BuildResult:
    """Build ``root``'s newsletter into ``out`` (default ``root/site``), atomically.

    Unchanged issues come from ``.publisher-cache/`` (``cache=False``: render everything), new
    ones are rendered on ``jobs`` processes (default: one per core), and outputs whose inputs did
    not change are hard-linked from the previous ``site/``. The new site is written into a
    spare tree beside ``out`` (the site before last, kept for this) and swapped in whole.
    """
    from publisher.cache import base_key, output_key, signature

    started = time.perf_counter()
    root = root.resolve()
    out = (out or root / SITE_DIR).resolve()
    _check_out(root, out)
    config = load_config(root)
    theme = Theme(root, keep_compiled=cache)
    store = BuildCache(root, base_key(root, theme.search_path), enabled=cache)
    try:
        paths = issue_files(root)
        # Workers fork before the issues are loaded, so they do not carry (and by reference
        # counting, copy) the whole archive in memory.
        pool = _pool(config, theme, jobs, sum(1 for p in paths if store.record(p) is None))
        records = _load(paths, config, store)
        now = now or dt.datetime.now(dt.UTC)
        issues = [r.issue for r in records.values()]
        published = [r for r in records.values() if r.issue.is_published(now)]
        published.sort(key=lambda r: (r.issue.date, r.issue.slug), reverse=True)
        drafts = sum(1 for i in issues if i.draft)
        scheduled = sum(1 for i in issues if not i.draft and i.is_scheduled(now))

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unwritable(out, exc) from exc
        _remove_leftovers(out)
        logo = local_path(config.logo, root)

        def site_state() -> str:
            """Return the key of everything the site is made from."""
            sources = [(r.issue.source, r.render_key) for r in published]
            return output_key(store.key, str(out), sources, signature(logo) if logo else None)

        state = site_state()
        if all(r.render_key for r in published) and store.up_to_date(out, state):
            return BuildResult(
                out, len(published), drafts, scheduled, time.perf_counter() - started
            )

        spare = out.with_name(f".{out.name}.spare")
        try:
            spare.mkdir(exist_ok=True)
            writer = _Writer(spare, out, store)
            # Each new rendering's files are written as it arrives, while others render.
            items = _render_missing(published, config, theme, store, progress, pool, writer)
            warn_changed_ids(read_manifest(out), [i.issue for i in items])
            state = site_state()
            _warn_missing_images(published)
            outputs = write_site(writer, root, config, theme, items)
            swap_in(spare, out)
        except OSError as exc:
            raise _unwritable(out, exc) from exc
        store.spare_outputs, store.outputs = store.outputs, outputs
        store.save(out, state, paths)
        return BuildResult(out, len(published), drafts, scheduled, time.perf_counter() - started)
    finally:
        if pool is not None:
            pool.shutdown()
        store.close()


def _unwritable(out: Path, exc: OSError) -> PublisherError:
    where = exc.filename or out
    return PublisherError.at(
        f"cannot write the site to {out}: {exc.strerror} ({where})",
        hint="build into a folder you can write to, e.g. --out site (the previous site is intact)",
    )


def _warn_missing_images(records: Sequence[Record]) -> None:
    """Warn about local images an issue shows that do not exist (its email shows a hole)."""
    for record in records:
        missing = [name for name in record.deps if name not in record.files]
        if not missing:
            continue
        lines = record.issue.source.read_text(encoding="utf-8-sig", errors="replace").split("\n")
        for name in missing:
            line = next((n for n, text in enumerate(lines, 1) if name in text), None)
            warn(
                Problem(
                    f"image {name!r} not found next to the issue: the email shows a gap",
                    record.issue.source,
                    line,
                    "check the file name, or put the image in the issue's folder",
                )
            )


def _load(paths: Sequence[Path], config: Config, store: BuildCache) -> dict[Path, Record]:
    """Load every issue (unchanged ones from the cache); report all problems together."""
    records: dict[Path, Record] = {}
    problems: list[Problem] = []
    for path in paths:
        record = store.record(path)
        if record is None:
            with collecting() as warnings:
                try:
                    issue = load_issue(path, config)
                except PublisherError as exc:
                    problems.extend(exc.problems)
                    continue
            record = store.remember(path, issue, warnings)
        for warning in record.warnings:
            warn(warning)
        records[path] = record
    problems.extend(duplicates([r.issue for r in records.values()]))
    if problems:
        raise PublisherError(problems)
    return records


@dataclass
class Item:
    """A published issue: light data from its record, the heavy outputs read when needed."""

    record: Record
    store: BuildCache
    body: dict[str, Any] | None = None

    @property
    def issue(self) -> Issue:
        return self.record.issue

    @property
    def view(self) -> IssueView:
        assert self.record.view is not None
        return self.record.view

    def rendered(self) -> Rendered:
        """Return the full rendering (without MJML), reading it from the cache if need be."""
        from publisher.render import Rendered

        if self.body is None:
            self.body = self.store.body(self.record)
            if self.body is None:
                raise RuntimeError(f"cache entry for {self.issue.source} is missing")
        r = self.record
        return Rendered(
            issue=r.issue,
            view=self.view,
            mjml="",
            html=self.body["html"],
            text=self.body["text"],
            article_html=self.body["article"],
            image_url=r.image_url,
            files=r.files,
            eml=self.body["eml"],
        )


def _render_missing(
    records: Sequence[Record],
    config: Config,
    theme: Theme,
    store: BuildCache,
    progress: Progress | None,
    pool: ProcessPoolExecutor | None,
    writer: _Writer | None = None,
) -> list[Item]:
    """Render the records the cache cannot serve (in parallel); return every item in order.

    Each result goes to the cache (and its files to ``writer``) as it arrives, so memory holds
    one rendering at a time.
    """
    todo = [r for r in records if not store.has_body(r)]
    for record in todo:
        if not record.complete:  # its body was dropped from the index: read the file again
            record.issue = load_issue(record.issue.source, config)
            record.complete = True
    problems: list[Problem] = []
    results = _render_stream([r.issue for r in todo], config, theme, progress, pool)
    for record, result in zip(todo, results, strict=True):
        if isinstance(result, list):
            problems.extend(result)
            continue
        body = {
            "html": result.html,
            "text": result.text,
            "article": result.article_html,
            "eml": result.eml,
        }
        store.store(
            record,
            record.issue.source,
            body,
            result.view,
            result.image_url,
            result.files,
            list(result.deps),
        )
        if writer is not None and not problems:
            _issue_files(
                writer,
                record,
                config,
                partial(getattr, result, "html"),
                partial(getattr, result, "text"),
                partial(getattr, result, "eml"),
            )
    if problems:
        raise PublisherError(problems)
    return [Item(r, store) for r in records]


def _render_one(issue: Issue, config: Config, theme: Theme) -> Rendered | list[Problem]:
    """Render one issue, its ready-to-send message included (when there is a sender);
    problems come back as data (exceptions do not pickle)."""
    from publisher.message import compose
    from publisher.render import render_issue

    try:
        rendered = dataclasses.replace(render_issue(issue, config, theme), mjml="")
        if config.author.email:
            rendered = dataclasses.replace(rendered, eml=compose(issue, rendered, config))
        return rendered
    except PublisherError as exc:
        return exc.problems


_WORKER: tuple[Config, Theme]


def _start_worker(config: Config, theme: Theme) -> None:
    global _WORKER
    _WORKER = (config, theme)


def _render_in_worker(issue: Issue) -> Rendered | list[Problem]:
    return _render_one(issue, *_WORKER)


#: Fewer issues than this render in the building process itself: workers cost more than they save.
PARALLEL_FROM = 8


def _pool(config: Config, theme: Theme, jobs: int | None, work: int) -> ProcessPoolExecutor | None:
    """Start ``jobs`` rendering processes (one per core by default) if ``work`` issues call for
    them; None where forking is not available or the work is small."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    jobs = jobs or os.cpu_count() or 1
    if jobs < 2 or work < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return None
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(config, theme),
    )
    pool.submit(int).result()  # forks every worker now, while this process is still small
    return pool


def _render_stream(
    issues: Sequence[Issue],
    config: Config,
    theme: Theme,
    progress: Progress | None,
    pool: ProcessPoolExecutor | None,
) -> Iterator[Rendered | list[Problem]]:
    """Render every issue (on the pool's processes if any); yield the results in order."""
    if pool is not None and len(issues) >= PARALLEL_FROM:
        chunk = max(1, min(32, len(issues) // 16))
        yield from _track(pool.map(_render_in_worker, issues, chunksize=chunk), issues, progress)
    else:
        for issue in _track(issues, issues, progress):
            yield _render_one(issue, config, theme)


def _track(results: Iterable[T], issues: Sequence[Issue], progress: Progress | None) -> Iterator[T]:
    """Advance the progress bar (if any) as results arrive."""
    if progress is None:
        yield from results
        return
    for _, result in zip(progress(issues), results, strict=False):
        yield result


def _issue_files(
    writer: _Writer,
    record: Record,
    config: Config,
    html: Callable[[], str],
    text: Callable[[], str],
    eml: Callable[[], bytes],
) -> None:
    """Write an issue's email files and images (each once; unchanged ones are linked)."""
    from publisher.cache import output_key

    slug, key = record.issue.slug, record.render_key
    writer.put(f"{slug}/email.html", key, html)
    writer.put(f"{slug}/email.txt", key, text)
    if config.author.email:  # a message needs a sender; write_site warns otherwise
        writer.put(f"{slug}/email.eml", key, eml)
    for name in record.files:
        source = record.issue.source.parent / name
        writer.put(f"{slug}/{name}", output_key(record.deps.get(name)), source=source)


def write_site(
    writer: _Writer, root: Path, config: Config, theme: Theme, items: Sequence[Item]
) -> dict[str, Output]:
    """Bring ``writer``'s tree to the whole site for ``items`` (newest first).

    Files whose inputs did not change are hard-linked from the previous site.
    """
    store = writer.store
    from publisher.cache import output_key
    from publisher.web import STYLE_FILE, Pages

    if items and not config.author.email:
        warn(
            Problem(
                "no sender address: the ready-to-send email.eml files are left out",
                config.path,
                hint='set email under [author], e.g. email = "you@example.org"',
            )
        )
    pages = Pages(theme, config, [(i.issue, i.view) for i in items])
    everywhere = output_key(store.key, [t for t in pages.tags.values()])
    link_keys = [output_key(link) for link in pages.links]
    for n, item in enumerate(items):
        slug, key = item.issue.slug, item.record.render_key
        _issue_files(
            writer,
            item.record,
            config,
            partial(_email_html, item),
            partial(_email_text, item),
            partial(_email_eml, item),
        )
        neighbours = [link_keys[m] for m in (n - 1, n + 1) if 0 <= m < len(items)]
        page_key = output_key(everywhere, key, link_keys[n], neighbours)
        writer.put(f"{slug}/index.html", page_key, partial(_issue_page, pages, item))
        item.body = None  # one rendering in memory at a time
    writer.put("index.html", output_key(everywhere, link_keys), pages.index)
    writer.put(STYLE_FILE, everywhere, pages.style)
    for tag in pages.tags.values():
        listed = [k for k, link in zip(link_keys, pages.links, strict=True) if tag in link.tags]
        writer.put(f"{tag.path}index.html", output_key(everywhere, listed), partial(pages.tag, tag))
    for theme_dir in reversed(theme.search_path):  # the folder's own assets win
        assets = theme_dir / ASSETS_DIR
        for source in sorted(assets.rglob("*")) if assets.is_dir() else []:
            if source.is_file():
                writer.put(
                    f"{ASSETS_DIR}/{source.relative_to(assets).as_posix()}", None, source=source
                )
    logo = local_path(config.logo, root)  # checked to exist when the settings were read
    if logo is not None:
        writer.put(logo.relative_to(root).as_posix(), None, source=logo)
    newest = items[: config.feeds.limit]
    feed_key = output_key(store.key, [(i.record.render_key, i.record.issue) for i in newest])
    for name, make in (
        (RSS_FILE, "rss"),
        (ATOM_FILE, "atom"),
        (JSON_FILE, "json_feed"),
    ):
        writer.put(name, feed_key, partial(_feed, make, config, newest))
    urls: list[tuple[str, dt.datetime | None]] = [
        (config.base_url, max((i.issue.date for i in items), default=None))
    ]
    urls += [(i.view.url, i.issue.updated or i.issue.date) for i in items]
    writer.put(SITEMAP_FILE, None, partial(_sitemap, urls))
    writer.put(MANIFEST, None, lambda: manifest([i.issue for i in items]))
    writer.prune()
    return writer.outputs


def _feed(kind: str, config: Config, items: Sequence[Item]) -> bytes:
    from publisher import feeds

    make: Callable[[Config, Sequence[Rendered]], bytes] = getattr(feeds, kind)
    return make(config, [item.rendered() for item in items])


def _sitemap(urls: list[tuple[str, dt.datetime | None]]) -> bytes:
    from publisher.feeds import sitemap

    return sitemap(urls)


def _email_html(item: Item) -> str:
    return item.rendered().html


def _email_text(item: Item) -> str:
    return item.rendered().text


def _email_eml(item: Item) -> bytes:
    return item.rendered().eml


def _issue_page(pages: Pages, item: Item) -> str:
    return pages.issue(item.rendered())


class _Writer:
    """Brings the spare tree up to date, file by file, without touching the live site.

    A file already right in the spare tree stays; one unchanged since the live site was written
    is hard-linked from it; anything else is written. Files are replaced, never changed in place
    (a hard link shares them with the live site), and whatever is not needed any more goes.
    """

    TEMPORARY = ".publisher-tmp"

    def __init__(self, folder: Path, old: Path, store: BuildCache) -> None:
        self.folder, self.old, self.store = folder, old, store
        self.outputs: dict[str, Output] = {}
        self.files: set[str] = set()
        self.folders: set[str] = {""}
        for path, dirs, files in os.walk(folder):
            base = os.path.relpath(path, folder)
            base = "" if base == "." else base.replace(os.sep, "/") + "/"
            self.folders.update(base + d for d in dirs)
            self.files.update(base + f for f in files)

    def put(
        self,
        relative: str,
        key: str | None,
        produce: Callable[[], str | bytes] | None = None,
        source: Path | None = None,
    ) -> None:
        from publisher.cache import output_key

        if relative in self.outputs:
            return  # written once already (an issue's image also used as the logo, say)
        target = f"{self.folder}/{relative}"  # plain strings: this runs for every output file
        parent = relative.rpartition("/")[0]
        if parent not in self.folders:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            while parent and parent not in self.folders:
                self.folders.add(parent)
                parent = parent.rpartition("/")[0]
        if key is not None and relative in self.files:
            kept = self.store.spare_output(relative, key, self.folder)
            if kept is not None:
                self.outputs[relative] = kept
                return
        # A file already in the spare tree may be a hard link shared with the live site: never
        # write into it, write beside it and rename over it. A new file is written in place.
        temporary = target + self.TEMPORARY if relative in self.files else target
        previous = self.store.reusable(relative, key, self.old) if key else None
        if previous is not None:
            try:
                os.link(previous, temporary)
                if temporary != target:
                    os.replace(temporary, target)
                self.outputs[relative] = self.store.outputs[relative]  # the very same file
                return
            except OSError:
                shutil.copyfile(previous, temporary)
        elif source is not None:
            shutil.copyfile(source, temporary)
        else:
            assert produce is not None
            data = produce()
            with open(temporary, "wb") as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        if temporary != target:
            os.replace(temporary, target)
        st = os.stat(target)
        self.outputs[relative] = Output(
            key or output_key(relative, st.st_size), st.st_size, st.st_mtime_ns, st.st_ino
        )

    def prune(self) -> None:
        """Delete the files and folders of the spare tree that the new site does not have."""
        for relative in self.files - set(self.outputs):
            with contextlib.suppress(OSError):
                (self.folder / relative).unlink()
        needed = {""}
        for relative in self.outputs:
            parent = relative.rpartition("/")[0]
            while parent not in needed:
                needed.add(parent)
                parent = parent.rpartition("/")[0]
        for relative in sorted(self.folders - needed, key=len, reverse=True):
            with contextlib.suppress(OSError):
                (self.folder / relative).rmdir()


# --- permanent ids -----------------------------------------------------------------------------


def manifest(issues: Sequence[Issue]) -> str:
    """Return the record of every published issue's slug, id and date."""
    records = [{"slug": i.slug, "id": i.id, "published": i.date.isoformat()} for i in issues]
    return json.dumps({"issues": records}, ensure_ascii=False, indent=1) + "\n"


def read_manifest(out: Path) -> list[dict[str, str]]:
    """Return the previous build's records, or [] when there is none (or it is unreadable)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return [r for r in data["issues"] if isinstance(r, dict) and "id" in r and "slug" in r]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def changed_ids(previous: list[dict[str, str]], issues: Sequence[Issue]) -> list[Problem]:
    """Return a warning for each published id the new build would drop or change."""
    ids = {i.id for i in issues}
    by_slug = {i.slug: i for i in issues}
    problems = []
    for record in previous:
        old_id, slug = record["id"], record["slug"]
        if old_id in ids:
            continue
        now = by_slug.get(slug)
        if now is not None:
            message = f"the feed id of {slug!r} changes from {old_id} to {now.id}"
            where, line = now.source, now.lines.get("id", 1)
        else:
            message = f"the published issue {slug!r} (id {old_id}) is gone from the site"
            where, line = None, None
        problems.append(
            Problem(
                message + ": feed readers will show it again as new",
                where,
                line,
                f"if you renamed or re-dated it, add `id: {old_id}` to its front matter",
            )
        )
    return problems


def warn_changed_ids(previous: list[dict[str, str]], issues: Sequence[Issue]) -> None:
    """Log a warning for each published id the new build would drop or change."""
    for problem in changed_ids(previous, issues):
        warn(problem)


# --- atomic output -----------------------------------------------------------------------------


def _check_out(root: Path, out: Path) -> None:
    """Refuse output folders whose replacement would destroy the author's files."""
    inside_sources = any(out.is_relative_to(root / d) for d in (ISSUES_DIR, TEMPLATES_DIR))
    if root.is_relative_to(out) or inside_sources:
        raise PublisherError.at(
            f"refusing to build into {out}: it holds your own files",
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


def _remove_leftovers(out: Path) -> None:
    """Finish a swap that a crash interrupted (where there are only renames, not Linux's
    atomic exchange): restore ``out`` if it went missing, drop the old tree otherwise."""
    old = out.with_name(f".{out.name}.old")
    if old.exists() and not out.exists():
        os.replace(old, out)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); return False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def swap_in(new: Path, out: Path) -> None:
    """Put the tree ``new`` in place of ``out``, and the old ``out`` at ``new``'s path.

    At no moment is ``out`` missing or half-written: on Linux the two trade places in one step.
    """
    new.chmod(0o755)
    if not out.exists():
        os.replace(new, out)
    elif not _exchange(new, out):  # elsewhere: three renames; _remove_leftovers mends a crash
        old = out.with_name(f".{out.name}.old")
        os.replace(out, old)
        os.replace(new, out)
        os.replace(old, new)
