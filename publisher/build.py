"""``publisher build``: the executor of the site plan.

``site.py`` decides what the site holds; this module does it: it takes the folder's build lock,
loads the issues (unchanged ones from the cache), renders the others on a pool of processes,
stops on any error ``check`` would report, writes the planned files into a spare tree beside the
output, and swaps that tree in whole. It deletes or replaces only files it wrote itself (the
``files`` list of ``publisher.json``); any other file in the output folder stops the build.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import gc
import itertools
import json
import logging
import os
import pickle
import shutil
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

from publisher import site
from publisher.cache import (
    BuildCache,
    Output,
    Record,
    Signature,
    base_key,
    folder_times,
    has_index,
    last_pictures,
    output_key,
    same_folders,
    signature,
    signature_of,
    web_key,
)
from publisher.config import CACHE_DIR, Config, load_config, logo_file
from publisher.errors import Problem, PublisherError, display_path, warn
from publisher.images import Shelf, Variant, shelf_name, shelf_of
from publisher.images import known as known_pictures
from publisher.issue import ISSUES_DIR, Issue, issue_files, load_folder, load_issue
from publisher.refs import SITE, file_lines
from publisher.site import MANIFEST, SitePlan
from publisher.theme import TEMPLATES_DIR, Theme

if TYPE_CHECKING:  # the renderers load only when something must be rendered
    from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

    from publisher.check import Finding
    from publisher.context import IssueLink, IssueView, TagLink
    from publisher.pages import Pages
    from publisher.rendered import Rendered

log = logging.getLogger(__name__)
T = TypeVar("T")

SITE_DIR = "site"
LOCK_FILE = "build.lock"

Progress = Callable[[Sequence[Issue]], Iterable[Issue]]


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the one-line summary."""

    out: Path
    built: int
    drafts: int
    scheduled: int
    seconds: float
    #: The drafts' files (relative to the folder), to say how to publish them.
    draft_files: tuple[str, ...] = ()


class CheckFailed(PublisherError):
    """The issues to publish break ``check``'s error rules: shown in ``check``'s own format."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = sorted(set(findings))
        super().__init__([Problem(f.format()) for f in self.findings])

    def format(self, root: Path | None = None) -> str:
        n = len(self.findings)
        lines = [f.format() for f in self.findings]
        lines.append(
            f"error: {n} error{'s' if n != 1 else ''} (as `publisher check` reports them): "
            "nothing was published; the previous site is as it was"
        )
        return "\n".join(lines)


#: New objects between two runs of the cycle collector in a build (Python's default: 700).
BUILD_COLLECTS_AFTER = 10_000


def build(
    root: Path,
    out: Path | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: bool = True,
    wait: bool = True,
) -> BuildResult:
    """Build ``root``'s newsletter into ``out`` (default ``root/site``), atomically.

    One build of a folder runs at a time (``wait=False``: fail at once if another one runs).
    """
    started = time.perf_counter()
    root = root.resolve()
    out = (out or root / SITE_DIR).resolve()
    check_out(root, out)
    # A build makes few reference cycles and many objects: the cycle collector runs after
    # every BUILD_COLLECTS_AFTER new ones, not every 700 (a tenth of its time, in a one-issue
    # build, went to collections that found nothing).
    thresholds = gc.get_threshold()
    with build_lock(root, wait), _Trash(_trash(out)) as trash:
        gc.set_threshold(BUILD_COLLECTS_AFTER, *thresholds[1:])
        try:
            built, drafts, scheduled, names = _build(
                root, out, now or dt.datetime.now(dt.UTC), progress, jobs, cache, trash
            )
        finally:
            gc.unfreeze()  # what the build kept from the cycle collector: the loaded archive
            gc.set_threshold(*thresholds)
    return BuildResult(out, built, drafts, scheduled, time.perf_counter() - started, tuple(names))


def _build(
    root: Path,
    out: Path,
    now: dt.datetime,
    progress: Progress | None,
    jobs: int | None,
    cache: bool,
    trash: _Trash | None = None,
) -> tuple[int, int, int, list[str]]:
    config = load_config(root)
    theme = Theme(root, keep_compiled=cache)
    # Without the cache, image variants are made afresh on a shelf of this build's own.
    shelf = shelf_of(root) if cache else Shelf(root / CACHE_DIR / f"images-{os.getpid()}")
    pool: Executor | None = None
    store: BuildCache | None = None
    checker: _Helper | None = None
    try:
        cores = jobs or os.cpu_count() or 1
        # One rendering process forks at once, while this one is small, and readies itself
        # to render while the index is read: an issue just edited renders there meanwhile.
        if cores >= 2 and _entries(root / ISSUES_DIR) >= PARALLEL_FROM and hasattr(os, "fork"):
            pool = _Helper(config, theme, now, shelf, root if cache else None)
        # The web pages' own templates and settings: an edit renders them again, no email.
        pages_key = web_key(theme.search_path, config=config)
        style_key = web_key(theme.search_path, stylesheet=True)
        # The status of each issue file found, to compare with the index's (if there is one:
        # a first build would only carry them into the processes it forks).
        found: dict[str, os.stat_result] | None = {} if cache and has_index(root) else None
        paths = issue_files(root, found)
        # The index makes some hundred thousand objects, none of them garbage, which live as
        # long as the build: read with the cycle collector off, and kept out of its way
        # (frozen) after, or its first collections go over all of them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            store = BuildCache(root, base_key(config, theme.search_path), cache, paths=paths)
            gc.freeze()  # until the build ends (``build`` unfreezes)
        finally:
            if collecting:
                gc.enable()
        cached = {p: store.record(p, found.get(str(p)) if found else None) for p in paths}
        plain = set(found or ())  # reached through no link; their status is let go
        del found
        # The pictures the last build read: an issue rendered again (here or in a process
        # forked below; the one forked above read them itself) reads an unchanged image's
        # bytes, not its pixels.
        known_pictures(store.pictures)
        work = sum(1 for r in cached.values() if r is None)
        if trash is not None:  # an issue rendered again writes its page and email files
            trash.keep(WRITTEN_PER_ISSUE * work + WRITTEN_BESIDE)
        # The process forked first looks at every file of the spare tree: once it has
        # rendered, or at once with nothing to render.
        helper = pool if cache and isinstance(pool, _Helper) and store.spare_outputs else None
        if helper is not None and work == 0:
            checker = helper
            _check_spare(checker, store, root, out)
        if pool is not None and not 0 < work < PARALLEL_FROM:
            if pool is not checker:
                pool.shutdown(wait=False, cancel_futures=True)
            pool = None
        if work >= PARALLEL_FROM and cores >= 2:
            # Many: one per core, forked before the issues are loaded, so that they do not
            # carry (and by reference counting, copy) the whole archive in memory.
            pool = _processes(config, theme, now, shelf, cores)
        # The processes render issues as they load, while the rest of the archive loads.
        ahead = _Ahead(pool, now, work) if pool is not None else None
        records = _load(root, paths, config, store, cached, ahead.add if ahead else None, plain)
        if helper is not None and pool is helper:  # sent after what it renders
            checker = helper
            _check_spare(checker, store, root, out)
        # The records live as long as the build: the cycle collector need not go over them
        # again and again (with many issues, every full collection would).
        gc.freeze()
        published = [r for r in records.values() if r.issue.is_published(now)]
        published.sort(key=lambda r: (r.issue.date, r.issue.slug), reverse=True)
        drafts = sum(1 for r in records.values() if r.issue.draft)
        scheduled = sum(
            1 for r in records.values() if not r.issue.draft and r.issue.is_scheduled(now)
        )
        draft_files = sorted(display_path(p, root) for p, r in records.items() if r.issue.draft)
        counts = (len(published), drafts, scheduled, draft_files)
        _warn_settings(config, published)

        statics, problems = site.static_files(root)
        assets, asset_problems = site.theme_assets(theme.search_path, root)
        if problems or asset_problems:
            raise PublisherError(problems + asset_problems)
        logo = _logo(config)
        if logo is not None:
            shelf.make(logo[1], [logo[0]])
        copied = [source for _, source in (*statics, *assets)] + ([logo[1]] if logo else [])

        def site_state() -> str:
            """Return the key of everything the site is made from."""
            sources = [(r.issue.source, r.render_key) for r in published]
            copies = [(str(source), signature(source)) for source in copied]
            return output_key(store.key, pages_key, style_key, str(out), sources, copies)

        # Nothing it is made from changed, so neither did its plan: it was checked when built.
        if all(r.render_key for r in published) and store.up_to_date(out, site_state()):
            if checker is not None:
                checker.stop()
            if trash is not None:
                trash.keep(0)
            _refuse_foreign(out, store)
            return counts

        plan, problems = plan_for(root, config, theme, [r.issue for r in published], shelf)
        if problems:
            raise PublisherError(problems)
        _refuse_foreign(out, store)

        spare = _spare(out)
        try:
            writer = _Writer(spare, out, store, trash)
            # While the processes render, this one mostly waits: it readies the pages meanwhile.
            many = pool is not None and work >= PARALLEL_FROM
            warming = _thread(partial(_warm_pages, theme)) if many else None
            # While the processes render, the paths of the issues rendered before are readied
            # (claimed once every issue is there, in order).
            shelf_dir = str(shelf.folder)
            early = {
                id(r): (r.refs, r.images, _issue_claims(plan, r, shelf_dir))
                for r in published
                if r.render_key is not None
            }
            # Each new rendering's files are written as it arrives, while others render.
            items = _render_missing(
                published, config, theme, store, progress, pool, now, shelf, writer, ahead
            )
            if warming is not None:
                warming.result()
            if pool is not None and len(published) > PAGES_ON_THE_POOL_UP_TO:
                pool.shutdown()  # their memory goes before the pages are written
                pool = None
            _check_links(root, config, [r.issue for r in records.values()], published, now)
            for item in items:
                r = item.record
                known = early.get(id(r))
                if known is not None and known[0] is r.refs and known[1] is r.images:
                    claims = known[2]
                else:  # rendered since
                    claims = _issue_claims(plan, r, shelf_dir)
                problems += plan.claim_all(r.issue, claims)
            if problems:
                raise PublisherError(problems)
            host = urlsplit(config.base_url).hostname or ""
            warn_changed_ids(read_manifest(out), [i.issue for i in items], host)
            state = site_state()
            outputs = write_site(writer, plan, config, theme, items, pages_key, style_key, pool)
            if trash is not None:  # what no file took is deleted meanwhile
                trash.keep(0)
            swap_in(spare, out)
        except OSError as exc:
            raise _unwritable(out, exc) from exc
        if pool is not None:
            pool.shutdown(wait=False)  # done: they exit meanwhile
        if checker is not None and checker is not pool:
            checker.stop()  # it rendered nothing, and may still be readying itself
        store.spare_outputs, store.outputs = store.outputs, outputs
        store.spare_folders = {}
        catching = None
        if cache:  # the next build then starts from a spare tree one build behind, not two
            had = store.spare_outputs
            # Mostly file system calls: on a thread, while the cache is committed here.
            catching = _thread(partial(_catch_up, spare, out, outputs, had, writer.needed))
        store.note_folders(out, writer.needed)
        store.commit(paths)
        if catching is not None:
            caught = catching.result()
            if caught is not None:  # it holds what the live site holds: no need to walk it
                store.spare_outputs = caught
                store.spare_folders = folder_times(spare, writer.needed)
        store.save(out, state)
        if cache:
            used = [p.shelf_name for r in store.records.values() for p in r.images]
            shelf.keep_only(used + ([shelf_name(logo[0])] if logo else []))
        return counts
    finally:
        if pool is not None:  # on a failure, what was sent ahead is not waited for
            pool.shutdown(cancel_futures=True)
        if checker is not None and checker is not pool:
            checker.stop()
        if store is not None:
            store.close()
        if not cache:
            shutil.rmtree(shelf.folder, ignore_errors=True)


def _entries(folder: Path) -> int:
    """Return how many names ``folder`` holds, not counting hidden ones (as many as it has
    issues, or a few more): counted before the issues are looked for, one by one."""
    try:
        with os.scandir(folder) as entries:
            return sum(1 for e in entries if not e.name.startswith((".", "_")))
    except OSError:
        return 0


def _thread(work: Callable[[], T]) -> Future[T]:
    """Start ``work`` on a thread of its own; return its future."""
    from concurrent.futures import Future

    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="publisher-thread", daemon=True).start()
    return future


def _warm_pages(theme: Theme) -> None:
    """Compile the page templates and load the feed library (a template's mistakes are
    reported where it is rendered, later)."""
    from publisher.pages import PAGE_TEMPLATES

    for name in PAGE_TEMPLATES:
        with contextlib.suppress(Exception):
            theme.env.get_template(name)
    with contextlib.suppress(ImportError):
        import feedgen.feed  # noqa: F401


def _warn_settings(config: Config, published: Sequence[Record]) -> None:
    """Warn about settings that leave something out (every build, cached or not)."""
    from publisher.config import placeholder_problem, unchosen_service_problem

    if published and not config.author.email:
        warn(
            Problem(
                "no sender address: the ready-to-send email.eml files are left out",
                config.path,
                hint='set email under [author], e.g. email = "you@example.org"',
            )
        )
    for problem in (placeholder_problem(config), unchosen_service_problem(config)):
        if problem is not None:
            warn(problem)


def plan_for(
    root: Path, config: Config, theme: Theme, published: Sequence[Issue], shelf: Shelf
) -> tuple[SitePlan, list[Problem]]:
    """Plan the site of ``published`` (newest first): every path but the issues' own files."""
    logo = _logo(config)
    statics, problems = site.static_files(root)
    assets, asset_problems = site.theme_assets(theme.search_path, root)
    plan = site.plan_site(
        root,
        config,
        published,
        (tag.slug for tag in site.tag_links(published).values()),
        assets,
        statics,
        (logo[0].name, shelf.path(logo[0])) if logo else None,
    )
    return plan, problems + asset_problems + plan.problems


def _logo(config: Config) -> tuple[Variant, Path] | None:
    """Return the email's logo variant and file, if it is a file (only then is the renderer
    loaded: a build that renders nothing needs none of it)."""
    if logo_file(config) is None:
        return None
    from publisher.render import logo_of

    return logo_of(config)


def _issue_claims(plan: SitePlan, record: Record, shelf_dir: str) -> list[site.Claim]:
    """Return the paths a rendered issue's files and image variants take in ``plan``."""
    line = record.issue.body_line
    files = file_lines(record.refs, line)
    made = [(p.name, line + p.line, f"{shelf_dir}/{p.shelf_name}") for p in record.images]
    return plan.issue_claims(record.issue, files, made)


def _check_links(
    root: Path,
    config: Config,
    issues: Sequence[Issue],
    published: Sequence[Record],
    now: dt.datetime,
) -> None:
    """Stop the build on links to paths of the site that no issue has (``check``'s LNK001)."""
    linking = [r for r in published if any(ref.kind == SITE for ref in r.refs)]
    if not linking:  # the usual archive: no issue links another by a path of the site
        return
    from publisher.check import Slugs, site_link_findings

    slugs = Slugs(issues, now)
    found = []
    for r in linking:
        findings = site_link_findings(r.issue, r.refs, config, slugs, root)
        if findings and not r.issue.body:  # kept without its text: read it to place them
            findings = site_link_findings(
                load_issue(r.issue.source, config), r.refs, config, slugs, root
            )
        found += findings
    if found:
        raise CheckFailed(found)


def _unwritable(out: Path, exc: OSError) -> PublisherError:
    where = exc.filename or out
    return PublisherError.at(
        f"cannot write the site to {out}: {exc.strerror} ({where})",
        hint="build into a folder you can write to, e.g. --out site (the previous site is intact)",
    )


def _load(
    root: Path,
    paths: Sequence[Path],
    config: Config,
    store: BuildCache,
    cached: dict[Path, Record | None],
    fresh: Callable[[Record], None] | None = None,
    plain: Container[str] = (),
) -> dict[Path, Record]:
    """Load every issue (unchanged ones from ``cached``); report all problems together.
    ``fresh`` is given each record of an issue loaded from its file as soon as it is;
    ``plain`` are the files reached through no link (``issue_files``)."""
    made: dict[Path, Record] = {}

    def known(path: Path) -> tuple[Issue, list[Problem]] | None:
        record = cached.get(path)
        return (record.issue, record.warnings) if record is not None else None

    def loaded_one(issue: Issue, warnings: list[Problem]) -> None:
        made[issue.source] = record = store.remember(issue.source, issue, warnings)
        if fresh is not None:
            fresh(record)

    loaded = load_folder(root, config, paths, known, False, loaded_one, plain)
    records: dict[Path, Record] = {}
    for issue in loaded.issues:
        path = issue.source
        record = cached.get(path) or made[path]
        for warning in record.warnings:
            warn(warning)
        records[path] = record
    for path, warnings in loaded.warnings.items():
        if path in loaded.failed:
            for warning in warnings:
                warn(warning)
    if loaded.problems:
        raise PublisherError(loaded.problems)
    return records


@dataclass
class Item:
    """A published issue in the executor: its cache record, its rendering read when needed."""

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

    def rendered(self, email: bool = True) -> Rendered:
        """Return the full rendering (without MJML), reading it from the cache if need be; its
        web part alone unless ``email``."""
        from publisher.rendered import Rendered

        if self.body is None or (email and "html" not in self.body):
            read = self.store.body if email else self.store.web
            self.body = read(self.record)
            if self.body is None:
                raise RuntimeError(f"cache entry for {self.issue.source} is missing")
        r, body = self.record, self.body
        return Rendered(
            issue=r.issue,
            view=self.view,
            mjml="",
            html=body.get("html", ""),
            text=body.get("text", ""),
            article_html=body["article"],
            page_article=body["page"],
            image=r.image,
            feed_image=r.feed_image,
            files=r.files,
            images=r.images,
            eml=body.get("eml", b""),
            refs=r.refs,
        )


def _render_missing(
    records: Sequence[Record],
    config: Config,
    theme: Theme,
    store: BuildCache,
    progress: Progress | None,
    pool: Executor | None,
    now: dt.datetime,
    shelf: Shelf,
    writer: _Writer | None = None,
    ahead: _Ahead | None = None,
) -> list[Item]:
    """Render the records the cache cannot serve (in parallel); return every item in order.

    Those sent ``ahead`` come first, as they finish; each result goes to the cache (and its
    files to ``writer``) as it arrives, so memory holds a few renderings at a time. Any error
    ``check`` would report stops the build (reported in ``records``' order).
    """
    todo = [r for r in records if not store.has_body(r) or not _on_shelf(r, shelf)]
    sent = ahead.sent_records() if ahead is not None else set()
    rest = [r for r in todo if id(r) not in sent]
    jobs = [(r.issue, r.signature) for r in rest]
    # Sent now, if to the pool.
    later = _render_stream(jobs, config, theme, now, shelf, pool)
    results = itertools.chain(
        ahead.results() if ahead is not None else (), zip(rest, later, strict=True)
    )
    failed: dict[int, list[Problem] | list[Finding]] = {}
    # What the pages show of each new rendering stays at hand, unless the archive is large.
    kept: dict[int, dict[str, Any]] = {}
    keep = len(records) <= PAGES_ON_THE_POOL_UP_TO
    for record, result in _track(results, [r.issue for r in todo], progress):
        if isinstance(result, list):
            failed[id(record)] = result
            continue
        rendered, errors = result
        if errors:
            failed[id(record)] = errors
            continue
        # The message is not kept: made again from these two (and the front matter) if need be.
        body = {"html": rendered.html, "text": rendered.text}
        web = {"article": rendered.article_html, "page": rendered.page_article}
        store.store(record, body, web, rendered)
        if keep:
            kept[id(record)] = web
        if writer is not None and not failed:
            _issue_files(
                writer,
                record,
                config,
                partial(getattr, rendered, "html"),
                partial(getattr, rendered, "text"),
                partial(getattr, rendered, "eml"),
            )
    reports = [failed[id(r)] for r in todo if id(r) in failed]
    problems = [p for report in reports for p in report if isinstance(p, Problem)]
    if problems:
        raise PublisherError(problems)
    findings = [f for report in reports for f in report if not isinstance(f, Problem)]
    if findings:
        raise CheckFailed(findings)
    return [Item(r, store, kept.get(id(r))) for r in records]


class _Ahead:
    """Issues sent to the rendering processes as soon as they are loaded, a batch at a time,
    so that they render while the rest of the archive loads (a few batches: their renderings
    wait in memory until the archive has loaded; the others render in order after)."""

    BATCH = 16
    BATCHES = 8

    def __init__(self, pool: Executor, now: dt.datetime, work: int) -> None:
        self.pool, self.now = pool, now
        # A few issues to render: each is sent alone, the moment it is loaded.
        self.batch = self.BATCH if work >= self.BATCH * 2 else 1
        self.waiting: list[Record] = []
        self.sent: dict[Future[list[Outcome]], list[Record]] = {}

    def add(self, record: Record) -> None:
        if len(self.sent) < self.BATCHES and record.issue.is_published(self.now):
            self.waiting.append(record)
            if len(self.waiting) == self.batch:
                self._send()

    def _send(self) -> None:
        if self.waiting:
            batch, self.waiting = self.waiting, []
            jobs = [(r.issue, r.signature) for r in batch]
            self.sent[self.pool.submit(_render_batch, jobs)] = batch

    def sent_records(self) -> set[int]:
        """Return the ids of every record sent (the last batch is sent now)."""
        self._send()
        return {id(r) for batch in self.sent.values() for r in batch}

    def results(self) -> Iterator[tuple[Record, Outcome]]:
        """Yield each record sent with its outcome, batch by batch as they finish."""
        from concurrent.futures import as_completed

        for future in as_completed(list(self.sent)):
            batch = self.sent.pop(future)  # its renderings are let go once handled
            yield from zip(batch, future.result(), strict=True)


def _on_shelf(record: Record, shelf: Shelf) -> bool:
    """Return whether every image variant a cached rendering publishes is still made, as made."""
    return all(shelf.intact(p.shelf_name) for p in record.images)


#: A rendering and its errors by ``check``'s rules, or the problems that stopped it.
Outcome = tuple["Rendered", list["Finding"]] | list[Problem]


def _render_one(job: Job, config: Config, theme: Theme, now: dt.datetime, shelf: Shelf) -> Outcome:
    """Render one issue, its ready-to-send message included (when there is a sender), and run
    ``check``'s error rules on it; problems come back as data (exceptions do not pickle).

    The building process keeps issues without their Markdown: it is read here again, from the
    very file whose front matter the building process read (``job``'s signature), or else
    the file is loaded anew (its warnings were reported when the building process loaded it).
    """
    from publisher.check import errors_of
    from publisher.issue import load_one, with_body
    from publisher.message import compose
    from publisher.pages import page_article
    from publisher.render import lazy_index, read_body, render_issue

    light, known = job
    full = with_body(light, partial(_same_file, known)) if known is not None else None
    if full is None:
        full, problems, _ = load_one(light.source, config)
        if full is None:
            return problems
    issue = full
    try:
        doc = read_body(issue, theme.root, lazy_index(theme.root, config, now))
        rendered = render_issue(issue, config, theme, doc, shelf=shelf)
        page = page_article(rendered, config.base_url)
        rendered = dataclasses.replace(rendered, mjml="", issue=light, page_article=page)
        errors = errors_of(issue, doc, rendered, config, theme.root, now)
        if config.author.email and not errors:
            rendered = dataclasses.replace(rendered, eml=compose(issue, rendered, config))
        return rendered, errors
    except PublisherError as exc:
        return exc.problems


def _same_file(known: Signature, status: os.stat_result) -> bool:
    return known == signature_of(status)


_WORKER: tuple[Config, Theme, dt.datetime, Shelf]


def _start_worker(
    config: Config, theme: Theme, now: dt.datetime, shelf: Shelf, parent: int
) -> None:
    global _WORKER
    _WORKER = (config, theme, now, shelf)
    _end_with_parent(parent)


def _end_with_parent(parent: int) -> None:
    """Have this rendering process killed when the building process (``parent``) ends, even
    killed itself (Linux), rather than wait for work forever."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before that was said
        os._exit(1)


def _ready(config: Config, theme: Theme) -> None:
    """Load what rendering an issue needs, before there is one to render: the code, the email
    templates, the newsletter language's parser and locale data (a template's mistakes are
    reported where it is rendered, later)."""
    from publisher import check, message, pages  # noqa: F401
    from publisher.email import _email_renderer
    from publisher.language import language
    from publisher.markdown import parser
    from publisher.render import EMAIL_CSS, EMAIL_TEMPLATE, TEXT_TEMPLATE
    from publisher.sanitize import _shared_cleaner

    language(config.language)
    parser(config.language)
    _email_renderer()
    _shared_cleaner()
    for name in (EMAIL_TEMPLATE, EMAIL_CSS, TEXT_TEMPLATE):
        with contextlib.suppress(Exception):
            theme.env.get_template(name)
    _settled()


def _check_spare(helper: _Helper, store: BuildCache, root: Path, out: Path) -> None:
    """Have ``helper`` look at every file of the spare tree, a stat each, which this process
    then need not make."""
    future = helper.submit(_spare_changes, root, str(_spare_path(out)))
    future.add_done_callback(partial(_take_changes, store, store.spare_outputs))


def _spare_changes(root: Path, spare: str) -> frozenset[str]:
    """Return the files of the spare tree that are not as the last build left them (in the
    process forked first, from the index's tables of outputs alone)."""
    return BuildCache(root, "", records=False).changed_files(spare)


def _take_changes(
    store: BuildCache, table: dict[str, Output], future: Future[frozenset[str]]
) -> None:
    """Have ``store`` trust what the process forked first found of the spare tree (as
    ``table`` records it), from the moment it comes: it is never waited for (until then,
    each file is looked at here)."""
    if not future.cancelled() and future.exception() is None:
        store.spare_changed = (table, future.result())


def _render_in_worker(job: Job) -> Outcome:
    outcome = _render_one(job, *_WORKER)
    _settled()
    return outcome


def _render_batch(jobs: Sequence[Job]) -> list[Outcome]:
    outcomes = [_render_one(job, *_WORKER) for job in jobs]
    _settled()
    return outcomes


@lru_cache(maxsize=1)
def _settled() -> None:
    """Once a rendering process has rendered, what it loaded to do so (modules, templates,
    locale data) lives as long as it does: kept out of the cycle collector's way, which would
    otherwise go over all of it again and again (2% of each issue's rendering)."""
    gc.freeze()


#: An archive of fewer issues than this renders in the building process itself: processes cost
#: more than they save.
PARALLEL_FROM = 8
#: Up to this many issues, the rendering processes also render the issue pages; with more,
#: they are let go first, so that the memory they hold is not added to that of the pages.
PAGES_ON_THE_POOL_UP_TO = 3000


def _processes(
    config: Config, theme: Theme, now: dt.datetime, shelf: Shelf, count: int
) -> ProcessPoolExecutor | None:
    """Start ``count`` rendering processes; None where forking is not available."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    pool = ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(config, theme, now, shelf, os.getpid()),
    )
    pool.submit(int)  # forks them now, while this process is still small
    return pool


class _Helper(concurrent.futures.Executor):
    """One rendering process, forked as a build starts: it takes the last build's pictures
    from the index and readies itself to render while this process reads the index.

    Forked by hand (loading the process pool's machinery costs more than rendering an
    issue): jobs go down a pipe, in order, and their outcomes come back up another, where a
    thread of this process reads them.
    """

    def __init__(
        self, config: Config, theme: Theme, now: dt.datetime, shelf: Shelf, root: Path | None
    ) -> None:
        self._waiting: deque[Future[Any]] = deque()
        self._lock = threading.Lock()
        #: Whether it was sent any work (until then, it may be stopped: it holds nothing).
        self._sent = False
        parent = os.getpid()
        jobs_out, jobs_in = os.pipe()
        outcomes_out, outcomes_in = os.pipe()
        pid = os.fork()
        if pid == 0:  # the rendering process: never returns
            os.close(jobs_in)
            os.close(outcomes_out)
            status = 1
            try:
                _start_worker(config, theme, now, shelf, parent)
                _stoppable()
                if root is not None:  # forked before the index was read
                    known_pictures(last_pictures(root))
                with contextlib.suppress(Exception):  # what fails is met again, and reported
                    _ready(config, theme)
                _serve(jobs_out, outcomes_in)
                status = 0
            finally:
                os._exit(status)
        os.close(jobs_out)
        os.close(outcomes_in)
        self._pid = pid
        self._jobs: BinaryIO | None = open(jobs_in, "wb")  # noqa: SIM115 (shut down below)
        threading.Thread(target=self._outcomes, args=(outcomes_out,), daemon=True).start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = concurrent.futures.Future()
        job = pickle.dumps((fn, args, kwargs))  # what does not pickle is never half sent
        with self._lock:
            if self._jobs is None:
                raise RuntimeError("the rendering process was shut down")
            self._waiting.append(future)
            self._sent = True
            self._jobs.write(job)
            self._jobs.flush()
        return future

    def _outcomes(self, descriptor: int) -> None:
        """Hand each outcome to its job's future, in order (a thread's work)."""
        with open(descriptor, "rb") as outcomes:
            while True:
                try:
                    done, value = pickle.load(outcomes)
                except Exception:  # it ended, or sent what cannot be read
                    break
                with self._lock:
                    future = self._waiting.popleft()
                    if future.cancelled():
                        continue
                    if done:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        with self._lock:
            for future in self._waiting:
                if not future.cancelled():
                    future.set_exception(RuntimeError("the rendering process ended unexpectedly"))
            self._waiting.clear()
        os.waitpid(self._pid, 0)

    def stop(self) -> None:
        """Stop it where it is, whatever it was sent (``_stoppable``)."""
        self._close(cancel=True, stop=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._close(cancel=cancel_futures, stop=False)

    def _close(self, cancel: bool, stop: bool) -> None:
        with self._lock:
            if self._jobs is not None:
                self._jobs.close()  # the process ends once it has done what it was sent
                self._jobs = None
                if stop or (cancel and not self._sent):
                    # Told to, or never sent work: it is only readying itself, on a core the
                    # build may want (every issue to render, say). It stops where it is.
                    import signal

                    with contextlib.suppress(OSError):
                        os.kill(self._pid, signal.SIGTERM)
            if cancel:
                for future in self._waiting:
                    future.cancel()


class _Stopped(BaseException):
    """The building process stopped this rendering process (``_Helper.stop``, or let go of it
    before it was sent any work)."""


def _stoppable() -> None:
    """Have SIGTERM stop this process at the next line of Python, where files being written
    are cleaned up (not mid-write, as a kill would: a compiled template's temporary file)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise _Stopped

    signal.signal(signal.SIGTERM, stop)


def _serve(jobs_descriptor: int, outcomes_descriptor: int) -> None:
    """Do each job that comes down the pipe; send its outcome back, or its error with the
    traceback as a note (the error itself where it pickles, as a process pool sends it: a
    template's mistake is reported as if met in the building process)."""
    import traceback

    with open(jobs_descriptor, "rb") as jobs, open(outcomes_descriptor, "wb") as outcomes:
        while True:
            try:
                fn, args, kwargs = pickle.load(jobs)
            except EOFError:
                return
            try:
                reply = pickle.dumps((True, fn(*args, **kwargs)))
            except Exception as exc:
                told = f"in the rendering process:\n{traceback.format_exc()}"
                try:
                    exc.add_note(told)
                    reply = pickle.dumps((False, exc))
                    pickle.loads(reply)
                except Exception:
                    reply = pickle.dumps((False, RuntimeError(told)))
            outcomes.write(reply)
            outcomes.flush()


#: An issue to render, with the signature of the file its front matter was read from.
Job = tuple[Issue, "Signature | None"]


def _render_stream(
    jobs: Sequence[Job],
    config: Config,
    theme: Theme,
    now: dt.datetime,
    shelf: Shelf,
    pool: Executor | None,
) -> Iterator[Outcome]:
    """Render every issue (on the pool's processes if any, every job sent at once); return
    the results in order."""
    if pool is not None:
        chunk = max(1, min(32, len(jobs) // 16))
        return pool.map(_render_in_worker, jobs, chunksize=chunk)
    return (_render_one(job, config, theme, now, shelf) for job in jobs)


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
    """Write an issue's email files (each once; unchanged ones are linked)."""
    slug, key = record.issue.slug, record.render_key
    writer.put(f"{slug}/email.html", key, html)
    writer.put(f"{slug}/email.txt", key, text)
    if config.author.email:  # a message needs a sender; write_site warns otherwise
        writer.put(f"{slug}/email.eml", key, eml)


def write_site(
    writer: _Writer,
    plan: SitePlan,
    config: Config,
    theme: Theme,
    items: Sequence[Item],
    pages_key: str = "",
    style_key: str = "",
    pool: Executor | None = None,
) -> dict[str, Output]:
    """Bring ``writer``'s tree to every file of ``plan`` for ``items`` (newest first), then
    write the manifest of what it holds and delete what it no longer needs.

    Files whose inputs did not change are hard-linked from the previous site. The issue pages
    to render again are rendered on ``pool``'s processes, if there are many, while this one
    writes the rest.
    """
    from publisher.pages import Pages

    store = writer.store
    pages = Pages(theme, config, [(i.issue, i.view) for i in items])
    by_slug = {item.issue.slug: (n, item) for n, item in enumerate(items)}
    everywhere = output_key(store.key, pages_key, [t for t in pages.tags.values()])
    link_keys = [output_key(link) for link in pages.links]
    tagged: dict[str, list[str]] = {}  # the keys of the links each tag page lists, in order
    for key, link in zip(link_keys, pages.links, strict=True):
        for slug in dict.fromkeys(tag.slug for tag in link.tags):
            tagged.setdefault(slug, []).append(key)
    newest = items[: config.feeds.limit]
    feed_key = output_key(store.key, [(i.record.render_key, i.record.issue) for i in newest])
    urls: list[tuple[str, dt.datetime | None]] = [
        (config.base_url, max((i.issue.date for i in items), default=None))
    ]
    urls += [(i.view.url, i.issue.updated or i.issue.date) for i in items]

    def page_key(slug: str) -> str:
        n, item = by_slug[slug]
        neighbours = [link_keys[m] for m in (n - 1, n + 1) if 0 <= m < len(items)]
        return output_key(everywhere, item.record.render_key, link_keys[n], neighbours)

    issue_pages = {
        path: page_key(planned.slug)
        for path, planned in plan.outputs.items()
        if planned.kind == site.ISSUE_PAGE
    }
    elsewhere = deque(path for path, key in issue_pages.items() if not writer.known(path, key))
    rendered = _pages_on(pool, pages, [by_slug[plan.outputs[p].slug][1] for p in elsewhere])
    if writer.checked():
        # The spare tree's files were all looked at: each issue's files it has right are
        # kept at once (most files of most builds), the rest go one by one below.
        wanted: dict[str, str | None] = {}
        for path, planned in plan.outputs.items():
            kind = planned.kind
            if kind in _EMAIL_FILES:
                wanted[path] = by_slug[planned.slug][1].record.render_key
            elif kind == site.ISSUE_PAGE:
                wanted[path] = issue_pages[path]
            elif planned.source is not None and kind in (site.IMAGE, site.LOGO):
                wanted[path] = _made_key(path, planned.source)
        writer.keep(wanted)

    with writer.writing_aside():
        for path, planned in plan.outputs.items():
            if path in writer.outputs:  # kept
                continue
            kind = planned.kind
            if planned.source is not None and kind in (site.IMAGE, site.LOGO):
                writer.put(path, _made_key(path, planned.source), source=planned.source, link=True)
            elif planned.source is not None:
                source = Path(planned.source)
                writer.put(path, output_key(path, signature(source)), source=source)
            elif kind in _EMAIL_FILES:
                item = by_slug[planned.slug][1]
                produce: Callable[[], str | bytes]
                if kind == site.EMAIL_EML:
                    produce = partial(_email_eml, item, config)
                else:
                    produce = partial(_email_html if kind == site.EMAIL_HTML else _email_text, item)
                writer.put(path, item.record.render_key, produce)
            elif kind == site.ISSUE_PAGE:
                item = by_slug[planned.slug][1]
                if rendered is not None and elsewhere and path == elsewhere[0]:
                    elsewhere.popleft()
                    writer.put(path, issue_pages[path], partial(str, next(rendered)))
                else:
                    writer.put(path, issue_pages[path], partial(_issue_page, pages, item))
                item.body = None  # one rendering in memory at a time
            elif kind == site.INDEX_PAGE:
                writer.put(path, output_key(everywhere, link_keys), pages.index)
            elif kind == site.STYLE:
                writer.put(path, output_key(store.key, style_key, pages.rtl), pages.style)
            elif kind == site.TAG_PAGE:
                listed = tagged.get(planned.name, [])
                tag = pages.tags[planned.name]
                writer.put(path, output_key(everywhere, listed), partial(pages.tag, tag))
            elif kind == site.FEED:
                writer.put(path, feed_key, partial(_feed, planned.name, config, newest))
            elif kind == site.SITEMAP:
                writer.put(path, output_key(store.key, urls), partial(_sitemap, urls))
    files = sorted({*writer.outputs, MANIFEST})
    ids = [(i.issue.slug, i.issue.id, i.issue.date) for i in items]
    key = output_key(store.key, ids, files)
    writer.put(MANIFEST, key, partial(manifest, [i.issue for i in items], files))
    writer.prune()
    return writer.outputs


_EMAIL_FILES = (site.EMAIL_HTML, site.EMAIL_TEXT, site.EMAIL_EML)


def _made_key(path: str, made: Path | str) -> str:
    """Return the key of an image variant made on the shelf (never changed there): its shelf
    name is the digest of its source and parameters, the key as it is."""
    return f"{path}:{os.path.basename(made)}"


def _pages_on(pool: Executor | None, pages: Pages, items: Sequence[Item]) -> Iterator[str] | None:
    """Send the issue pages of ``items`` to the pool's processes, a batch at a time; return
    their HTML in order as it comes (None: render them here, there is no pool).

    Even one page goes: those processes have the page templates' library loaded, or load it
    beside this one (a build that changed one issue does not load Jinja here at all)."""
    if pool is None or not items:
        return None

    def job(item: Item) -> PageJob:
        rendered = item.rendered(email=False)
        item.body = None
        # What an issue page shows of its rendering, with its links: a little to send.
        shown = dataclasses.replace(rendered, article_html="", files=(), images=(), refs=())
        return (shown, *pages.neighbours(shown))

    size = max(1, min(32, len(items) // 8))
    # Each batch is read from the cache and sent as the one before it is on its way.
    batches = (
        (pages.shared, [job(item) for item in items[i : i + size]])
        for i in range(0, len(items), size)
    )
    return itertools.chain.from_iterable(pool.map(_render_pages, batches))


#: An issue page to render: what it shows of the rendering, its own link and its neighbours'.
PageJob = tuple["Rendered", "IssueLink", "IssueLink | None", "IssueLink | None"]


def _render_pages(batch: tuple[tuple[dict[str, TagLink], bool], list[PageJob]]) -> list[str]:
    """Render a batch of issue pages (in a rendering process), with ``Pages.shared``."""
    from publisher.pages import Pages

    config, theme = _WORKER[0], _WORKER[1]
    shared, jobs = batch
    pages = Pages(theme, config, [], shared)
    return [pages.issue_page(*job) for job in jobs]


def _feed(kind: str, config: Config, items: Sequence[Item]) -> bytes:
    from publisher import feeds

    make: Callable[[Config, Sequence[Rendered]], bytes] = getattr(feeds, kind)
    return make(config, [item.rendered(email=False) for item in items])


def _sitemap(urls: list[tuple[str, dt.datetime | None]]) -> bytes:
    from publisher.feeds import sitemap

    return sitemap(urls)


def _email_html(item: Item) -> str:
    return item.rendered().html


def _email_text(item: Item) -> str:
    return item.rendered().text


def _email_eml(item: Item, config: Config) -> bytes:
    from publisher.message import compose

    rendered = item.rendered()
    return rendered.eml or compose(item.issue, rendered, config)


def _issue_page(pages: Pages, item: Item) -> str:
    return pages.issue(item.rendered(email=False))


def _output(path: str, key: str | None, relative: str) -> Output:
    """Return the record of a file just written."""
    return _output_of(os.stat(path), key, relative)


def _output_of(st: os.stat_result, key: str | None, relative: str) -> Output:
    return Output(key or output_key(relative, st.st_size), st.st_size, st.st_mtime_ns, st.st_ino)


def _write_bytes(path: str, data: bytes) -> os.stat_result:
    """Write ``data`` as the file ``path`` (made or emptied first); return its status, taken
    from the open file (no look-up by name, none of ``open``'s buffering layers)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        _write_all(fd, data)
        return os.fstat(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_over(path: str, data: bytes) -> os.stat_result | None:
    """Write ``data`` over the file ``path``, from its start, cutting what is left after it;
    return its status. None (the name removed) if it is not a plain file of this name alone:
    a hard link shared with anything else is never written into."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            os.unlink(path)
            return None
        _write_all(fd, data)
        os.ftruncate(fd, len(data))
        return os.fstat(fd)
    finally:
        os.close(fd)


def _replace(temporary: str, target: str) -> None:
    """Rename ``temporary`` over ``target``; when both are already links to the same file,
    rename does nothing (POSIX), so the temporary name is removed instead."""
    os.replace(temporary, target)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)


#: How many new files' bytes may wait in memory for the threads that write them.
WAITING_FILES = 64
#: How many threads write new files.
WRITERS = 2


class _Writer:
    """Brings the spare tree up to date, file by file, without touching the live site.

    A file already right in the spare tree stays; one unchanged since the live site was written
    is hard-linked from it; anything else is written. Files are replaced, never changed in place
    (a hard link shares them with the live site), and whatever is not needed any more goes.
    """

    TEMPORARY = ".publisher-tmp"

    def __init__(
        self, folder: Path, old: Path, store: BuildCache, trash: _Trash | None = None
    ) -> None:
        self.folder, self.old, self.store, self.trash = folder, old, store, trash
        self.outputs: dict[str, Output] = {}
        self.files: set[str] = set()
        self.folders: set[str] = {""}
        #: The folders the new site has (known once pruned).
        self.needed: set[str] = {""}
        #: New files being written aside (``writing_aside``), and room for more.
        self._aside: ThreadPoolExecutor | None = None
        self._pending: set[str] = set()
        #: What went wrong writing aside (raised once all is written).
        self._failed: list[BaseException] = []
        self._room = threading.BoundedSemaphore(WAITING_FILES)
        #: Folders of files to come that no one has made yet.
        self._unmade: set[str] = set()
        if same_folders(folder, store.spare_folders):
            # Brought up to the last site and untouched since: it holds what the index says.
            self.files, self.folders = set(store.spare_outputs), set(store.spare_folders)
            return
        for path, dirs, files in os.walk(folder):
            base = os.path.relpath(path, folder)
            base = "" if base == "." else base.replace(os.sep, "/") + "/"
            self.folders.update(base + d for d in dirs)
            for name in files:
                if name.endswith(self.TEMPORARY):  # left by a build stopped half way
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(path, name))
                else:
                    self.files.add(base + name)

    def put(
        self,
        relative: str,
        key: str | None,
        produce: Callable[[], str | bytes] | None = None,
        source: Path | str | None = None,
        link: bool = False,
    ) -> None:
        if relative in self.outputs or relative in self._pending:
            return  # written once already (an issue's image also used as the logo, say)
        target = f"{self.folder}/{relative}"  # plain strings: this runs for every output file
        if key is not None and relative in self.files:
            kept = self.store.spare_output(relative, key, target)
            if kept is not None:  # most files of most builds: kept as they are
                self.outputs[relative] = kept
                return
        parent = relative.rpartition("/")[0]
        # A new folder is made by whatever writes there first: a thread writing aside, or
        # this one.
        while parent not in self.folders:
            self.folders.add(parent)
            self._unmade.add(parent)
            parent = parent.rpartition("/")[0]
        # A file already in the spare tree may be a hard link shared with the live site: never
        # write into it, write beside it and rename over it. A new file is written in place.
        temporary = target + self.TEMPORARY if relative in self.files else target
        previous = self.store.reusable(relative, key, self.old) if key else None
        if previous is not None or source is not None:
            self._folder_of(relative)
        if previous is not None:
            try:
                os.link(previous, temporary)
                if temporary != target:
                    _replace(temporary, target)
                self.outputs[relative] = self.store.outputs[relative]  # the very same file
                return
            except OSError:
                shutil.copyfile(previous, temporary)
        elif source is not None and link:
            try:
                os.link(source, temporary)  # a variant on the shelf: never changed in place
            except OSError:
                shutil.copyfile(source, temporary)
        elif source is not None:
            shutil.copyfile(source, temporary)
        else:
            assert produce is not None
            data = produce()
            raw = data.encode("utf-8") if isinstance(data, str) else data
            if self._aside is not None:
                self._room.acquire()  # a bounded number of files' bytes wait in memory
                self._pending.add(relative)
                self._aside.submit(self._write_aside, target, temporary, raw, key, relative)
                return
            self._folder_of(relative)
            self.outputs[relative] = self._written(target, temporary, raw, key, relative)
            return
        if temporary != target:
            _replace(temporary, target)
        self.outputs[relative] = _output(target, key, relative)

    def checked(self) -> bool:
        """Return whether another process has looked at every file of the spare tree."""
        return self.store.spare_changes() is not None

    def keep(self, wanted: dict[str, str | None]) -> None:
        """Keep at once each file of ``wanted`` (its key) the spare tree has right, as the
        other process found it (``checked``): as ``put`` would, without a call each."""
        changed, table, files = self.store.spare_changes(), self.store.spare_outputs, self.files
        if changed is None:
            return
        self.outputs.update(
            (relative, known)
            for relative, key in wanted.items()
            if relative in files
            and (known := table.get(relative)) is not None
            and known.key == key
            and relative not in changed
        )

    def known(self, relative: str, key: str) -> bool:
        """Return whether ``relative`` was made for ``key`` already, in the spare tree or the
        live site (so ``put`` very likely keeps or links it: it still checks the file)."""
        return any(
            known is not None and known.key == key
            for known in (self.store.spare_outputs.get(relative), self.store.outputs.get(relative))
        )

    def _folder_of(self, relative: str) -> None:
        """Make the folder of ``relative`` now if nothing has made it yet."""
        parent = relative.rpartition("/")[0]
        if parent in self._unmade:
            os.makedirs(f"{self.folder}/{parent}", exist_ok=True)
            self._unmade.discard(parent)

    def _written(
        self, target: str, temporary: str, data: bytes, key: str | None, relative: str
    ) -> Output:
        """Write ``data`` as ``target``, through ``temporary`` if it is another name; return
        its record. A file an earlier build set aside is written over, if there is one: its
        inode and blocks serve again (see ``_Trash``)."""
        st = None
        if self.trash is not None and self.trash.take(temporary):
            st = _write_over(temporary, data)
        if st is None:
            try:
                st = _write_bytes(temporary, data)
            except FileNotFoundError:  # the first file of a new folder: make it (any thread)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                st = _write_bytes(temporary, data)
        if temporary != target:
            os.replace(temporary, target)  # a file of its own: rename cannot be a no-op
        return _output_of(st, key, relative)

    def _write_aside(
        self, target: str, temporary: str, data: bytes, key: str | None, relative: str
    ) -> None:
        """Write a file on a writing thread; its record goes straight to ``outputs`` (no
        future is kept: a build writes tens of thousands of files)."""
        try:
            self.outputs[relative] = self._written(target, temporary, data, key, relative)
        except BaseException as exc:  # raised by writing_aside, on the building thread
            self._failed.append(exc)
        finally:
            self._pending.discard(relative)
            self._room.release()

    @contextlib.contextmanager
    def writing_aside(self) -> Iterator[None]:
        """Write new files on threads of their own meanwhile: creating a file (and its folder)
        can take the kernel a millisecond on some file systems. That is time in the kernel,
        not under Python's lock: this thread goes on with the next file, and the writing
        threads take the cores the rendering processes leave."""
        from concurrent.futures import ThreadPoolExecutor

        self._aside = aside = ThreadPoolExecutor(WRITERS, thread_name_prefix="publisher-write")
        self._room = threading.BoundedSemaphore(WAITING_FILES)  # as if nothing were waiting
        try:
            yield
        except BaseException:
            aside.shutdown(wait=True, cancel_futures=True)  # what is not written yet, never is
            raise
        else:
            aside.shutdown(wait=True)  # every file written
        finally:
            self._aside, self._pending = None, set()
        if self._failed:
            failed, self._failed = self._failed[0], []
            raise failed

    def prune(self) -> None:
        """Delete the files and folders of the spare tree that the new site does not have."""
        for relative in self.files - set(self.outputs):
            with contextlib.suppress(OSError):
                (self.folder / relative).unlink()
        needed = self.needed = {""}
        for relative in self.outputs:
            parent = relative.rpartition("/")[0]
            while parent not in needed:
                needed.add(parent)
                parent = parent.rpartition("/")[0]
        for relative in sorted(self.folders - needed, key=len, reverse=True):
            with contextlib.suppress(OSError):
                (self.folder / relative).rmdir()


# --- permanent ids -----------------------------------------------------------------------------


def manifest(issues: Sequence[Issue], files: Sequence[str] = ()) -> str:
    """Return the record of every published issue's slug, id and date, and of every file the
    build wrote (what later builds may replace or delete: nothing else)."""
    records = [{"slug": i.slug, "id": i.id, "published": i.date.isoformat()} for i in issues]
    data = {"issues": records, "files": list(files)}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def written_files(out: Path) -> set[str] | None:
    """Return the files the build that made ``out`` wrote, or None when it did not say."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else None


def read_manifest(out: Path) -> list[dict[str, str]]:
    """Return the previous build's records, or [] when there is none (or it is unreadable)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return [r for r in data["issues"] if isinstance(r, dict) and "id" in r and "slug" in r]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def changed_ids(
    previous: list[dict[str, str]], issues: Sequence[Issue], host: str = ""
) -> list[Problem]:
    """Return a warning for each published id the new build would drop or change."""
    ids = {i.id for i in issues}
    by_slug = {i.slug: i for i in issues}
    problems = []
    for record in previous:
        old_id, slug = record["id"], record["slug"]
        if old_id in ids or _placeholder_id(old_id, host):
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


def _placeholder_id(issue_id: str, host: str) -> bool:
    """Return whether a feed id was made from a placeholder host (``tag:example.com,...``)
    that ``base_url`` (now on ``host``) has left: never published for real, never worth
    keeping."""
    from publisher.config import is_placeholder_host

    if issue_id.startswith("tag:"):
        old = issue_id[4:].split(",", 1)[0]
        return old != host and is_placeholder_host(old)
    return False


def warn_changed_ids(
    previous: list[dict[str, str]], issues: Sequence[Issue], host: str = ""
) -> None:
    """Log a warning for each published id the new build would drop or change."""
    for problem in changed_ids(previous, issues, host):
        warn(problem)


# --- atomic output -----------------------------------------------------------------------------


def check_out(root: Path, out: Path) -> None:
    """Refuse output folders whose replacement would destroy the author's files."""
    own = [root / d for d in (ISSUES_DIR, TEMPLATES_DIR, site.STATIC_DIR, CACHE_DIR)]
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
            f"e.g. --out {SITE_DIR}; files to publish as they are go in {site.STATIC_DIR}/",
        )


#: The build locks this process holds. A process it forks closes them at once: the lock is
#: the build's, and a killed build's rendering processes must not hold it after it.
_HELD: set[BinaryIO] = set()


def _let_go_of_locks() -> None:
    for handle in _HELD:
        handle.close()
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, where nothing forks
    os.register_at_fork(after_in_child=_let_go_of_locks)


@contextlib.contextmanager
def build_lock(root: Path, wait: bool = True) -> Iterator[None]:
    """Hold the folder's build lock: one build at a time.

    An advisory ``flock`` on ``.publisher-cache/build.lock``: the system frees it when the
    holder exits, killed or not, so a lock never outlives its build.
    """
    folder = root / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        handle = open(folder / LOCK_FILE, "a+b")  # noqa: SIM115 (held for the whole build)
    except OSError as exc:
        raise _unwritable(folder, exc) from exc
    _HELD.add(handle)
    try:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): builds are not serialised there
            yield
            return
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
        handle.close()  # closing the file releases the lock


def _refuse_foreign(out: Path, store: BuildCache) -> None:
    """Stop unless every file in ``out`` is one a build wrote; remove stale temporary files."""
    if not out.is_dir() or store.unchanged_folders(out):
        return
    written = written_files(out)
    # A site from before publisher.json listed its files: what lies in the folders of the
    # issues it published, in assets/ and tags/, and the site's own files are publisher's.
    legacy: set[str] = set()
    if written is None:
        legacy = {r["slug"] for r in read_manifest(out)} | {site.ASSETS_DIR, site.TAGS_DIR}
        written = set(site.SITE_NAMES)
    written.add(MANIFEST)
    foreign = []
    for path, dirs, files in os.walk(out):
        base = os.path.relpath(path, out)
        base = "" if base == "." else base.replace(os.sep, "/") + "/"
        for name in files + [d for d in dirs if os.path.islink(os.path.join(path, d))]:
            if name.endswith(_Writer.TEMPORARY):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(path, name))
            elif base + name not in written and base.split("/", 1)[0] not in legacy:
                foreign.append(base + name)
        if not dirs and not files and base:
            foreign.append(base)
    if foreign:
        foreign.sort()
        shown = ", ".join(foreign[:10]) + (
            f" and {len(foreign) - 10} more" if len(foreign) > 10 else ""
        )
        raise PublisherError.at(
            f"{display_path(out, None)}/ holds files that publisher did not write: {shown}; "
            "the build replaces the "
            "whole folder, so it stops rather than lose them",
            hint=f"to publish a file at the site's root, put it in {site.STATIC_DIR}/ (e.g. "
            f"{site.STATIC_DIR}/CNAME); otherwise move it out of {out.name}/",
        )


def _catch_up(
    spare: Path,
    live: Path,
    outputs: dict[str, Output],
    had: dict[str, Output],
    folders: set[str],
) -> dict[str, Output] | None:
    """Bring the spare tree (the site before this build) to this build's files and ``folders``
    by hard links, so that the next build writes only what it changes; return what the spare
    tree then holds, or None when it could not (the next build looks at what it holds).

    The files this build changed are the only ones to link: after a one-issue edit a few,
    after a full rebuild all of them (then, and not in the edit that follows).
    """
    if not spare.is_dir():  # the first build: there was no site before it to keep
        return None
    trash = _trash(live)
    token = os.urandom(6).hex()  # names no other build (nor process) gives
    try:
        os.makedirs(trash, exist_ok=True)
        for n, (relative, output) in enumerate(outputs.items()):
            old = had.get(relative)
            if old is None or old.ino != output.ino:
                aside = f"{trash}/{TRASH_PREFIX}{token}-{n}"
                _link_over(f"{live}/{relative}", f"{spare}/{relative}", aside)
        emptied = set()
        for relative in set(had) - set(outputs):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{spare}/{relative}")
            parent = relative.rpartition("/")[0]
            while parent not in folders:
                emptied.add(parent)
                parent = parent.rpartition("/")[0]
        for relative in sorted(emptied, key=len, reverse=True):
            os.rmdir(f"{spare}/{relative}")
    except OSError:  # no hard links here, or a full disk: the next build looks at what it has
        return None
    return outputs


def _link_over(source: str, target: str, aside: str | None = None) -> None:
    """Make ``target`` a hard link to ``source``, replacing whatever it was at once; what it
    was is renamed ``aside`` first, if given (a later build writes over it or deletes it)."""
    if aside is not None:
        with contextlib.suppress(FileNotFoundError):  # nothing there yet
            os.rename(target, aside)
    temporary = target + _Writer.TEMPORARY
    try:
        os.link(source, temporary)
    except FileExistsError:  # left by a build stopped half way
        os.unlink(temporary)
        os.link(source, temporary)
    except FileNotFoundError:  # a new folder (or the source is gone: then this fails again)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.link(source, temporary)
    _replace(temporary, target)


#: What the trash holds is named so (nothing else in it is deleted).
TRASH_PREFIX = "publisher-"
#: The files an issue rendered again writes (its page and three email files), and a margin
#: for the rest (index, tag pages, feeds): how many of the trash's files a build keeps to
#: write over until its site is written.
WRITTEN_PER_ISSUE = 4
WRITTEN_BESIDE = 64


def _trash(out: Path) -> Path:
    """Return the folder beside ``out`` where the catch-up puts the files it replaces."""
    return out.with_name(f".{out.name}.trash")


class _Trash:
    """The files earlier builds set aside in ``.site.trash`` (named ``publisher-*``: nothing
    else there is touched): each serves again as a file this build writes, or is deleted on a
    thread while the build runs, as far as this build will not need them (``keep``); what is
    left when it ends waits for the next.

    Freeing a file and making a new one is slow on some file systems (ext4 mounted with
    ``discard`` and no journal waits for the disk to free blocks, and looks past every inode
    freed in the last minutes for a new one): after a full rebuild, thousands of files. A file
    written over keeps its inode, and its blocks as far as the new bytes reach.
    """

    def __init__(self, folder: Path) -> None:
        self._files: deque[str] = deque()
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            self._files.extend(
                e.path
                for e in entries
                if e.name.startswith(TRASH_PREFIX) and e.is_file(follow_symlinks=False)
            )
        self._lock = threading.Lock()
        self._kept = len(self._files)  # none deleted until told how many may serve
        self._deleter: threading.Thread | None = None
        self._done = threading.Event()

    def take(self, path: str) -> bool:
        """Move one of the files to ``path`` (replacing what is there); return whether one
        was (none left, or ``path``'s folder is not made yet). Any thread."""
        while True:
            try:
                old = self._files.popleft()  # deleted from the other end
            except IndexError:
                return False
            try:
                os.rename(old, path)
                return True
            except FileNotFoundError:
                if os.path.lexists(old):  # the folder of ``path`` is not made yet
                    self._files.appendleft(old)
                    return False
            except OSError:
                self._files.appendleft(old)
                return False

    def keep(self, count: int) -> None:
        """Delete the files beyond ``count`` (those this build may still write over), on a
        thread, until the build ends."""
        with self._lock:
            self._kept = count
            if len(self._files) > count and self._deleter is None:
                self._deleter = threading.Thread(target=self._delete, name="publisher-trash")
                self._deleter.daemon = True
                self._deleter.start()

    def _delete(self) -> None:
        while not self._done.is_set():
            with self._lock:
                if len(self._files) <= self._kept:
                    self._deleter = None  # ``keep`` starts another if need be
                    return
                old = self._files.pop()
            with contextlib.suppress(OSError):
                os.unlink(old)

    def __enter__(self) -> _Trash:
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        with self._lock:
            deleter = self._deleter
        if deleter is not None:
            deleter.join()


def _spare_path(out: Path) -> Path:
    """Return where the spare tree beside ``out`` is (``_spare`` readies it)."""
    return out.with_name(f".{out.name}.spare")


def _spare(out: Path) -> Path:
    """Return the spare tree beside ``out`` (the site before last), ready to bring up to date."""
    old = out.with_name(f".{out.name}.old")
    if old.exists() and not out.exists():  # a crash between renames (no atomic exchange)
        os.replace(old, out)
    shutil.rmtree(old, ignore_errors=True)
    spare = _spare_path(out)
    if spare.is_dir() and not (spare / MANIFEST).is_file() and any(spare.iterdir()):
        raise PublisherError.at(
            f"refusing to use {spare}: publisher keeps the previous site there, but this "
            "folder is not one it made",
            hint=f"move {spare.name} away (or choose another --out)",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    spare.mkdir(exist_ok=True)
    if not (spare / MANIFEST).is_file():  # mark it as publisher's before anything goes in
        (spare / MANIFEST).write_text(manifest([]), encoding="utf-8")
    return spare


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); return False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    # The C library is loaded already: its symbols, without looking for it (which runs
    # ldconfig in a process of its own).
    libc = ctypes.CDLL(None, use_errno=True)
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
