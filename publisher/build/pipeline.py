"""``publisher build``, top to bottom: lock, load, plan, render what changed, write, swap.

Each step is a function below ``build``, in the order it runs. Nothing is rendered whose
inputs are unchanged (``keys``), nothing is written that the spare tree or the live site
already has (``output``), and the live site changes in one step or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from publisher.build.cache import BuildCache, Record, intact
from publisher.build.keys import (
    WebKeys,
    base_key,
    code_key,
    load_key,
    output_key,
    signature,
    web_keys,
)
from publisher.build.output import (
    Tree,
    build_lock,
    catch_up,
    check_out,
    refuse_foreign,
    spare_of,
    swap_in,
    unwritable,
)
from publisher.config import CACHE_DIR, Config, load_config, placeholder_problem
from publisher.config import unchosen_service_problem as unchosen_service
from publisher.errors import Problem, PublisherError, display_path, warn
from publisher.model.issue import Issue, issue_files, load_folder, load_issue
from publisher.model.translations import find_translations
from publisher.render.images import known as known_pictures
from publisher.render.refs import SITE, file_lines
from publisher.render.shelf import Shelf, shelf_of
from publisher.render.theme import Theme
from publisher.site.manifest import read_manifest, warn_changed_ids
from publisher.site.plan import ISSUE_PAGE, LOGO, SEARCH, SITE_DIR, SitePlan, plan_for

if TYPE_CHECKING:
    from publisher.build.products import Products
    from publisher.check import Finding

#: The folder of the cache that keeps the search index (``search.bundle``).
SEARCH_CACHE = "search"

T = TypeVar("T")
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
    #: How many issues were rendered (the others came from the cache).
    rendered: int = 0


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


@dataclass(frozen=True)
class Build:
    """What every step of one build works with."""

    root: Path
    out: Path
    now: dt.datetime
    config: Config
    theme: Theme
    store: BuildCache
    shelf: Shelf
    web: WebKeys
    #: Where the search index's bundle is made and kept (``search``).
    searches: Path


@dataclass
class Archive:
    """The folder's issues as loaded: every one, and the published ones newest first."""

    paths: list[Path]
    issues: list[Issue]
    published: list[Record]
    drafts: list[Path] = field(default_factory=list)
    scheduled: int = 0


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
    with build_lock(root, out, wait):
        config = load_config(root)
        theme = Theme(root, keep_compiled=cache)
        code = code_key()
        web = web_keys(config, theme.search_path, code)
        key = base_key(config, theme.search_path, code)
        store = BuildCache(root, key, cache, loaded=load_key(config, code))
        with store, _shelf(root, cache) as shelf, _searches(root, cache) as searches:
            now = now or dt.datetime.now(dt.UTC)
            b = Build(root, out, now, config, theme, store, shelf, web, searches)
            archive = load(b)
            plan = plan_site(b, archive)
            refuse_foreign(out)
            rendered = 0
            if not up_to_date(b, archive, plan):
                rendered = publish(b, archive, plan, jobs or os.cpu_count() or 1, progress)
    drafts = tuple(display_path(p, root) for p in archive.drafts)
    seconds = time.perf_counter() - started
    built = len(archive.published)
    return BuildResult(out, built, len(drafts), archive.scheduled, seconds, drafts, rendered)


# --- 1. load -----------------------------------------------------------------------------------


def load(b: Build) -> Archive:
    """Load every issue (unchanged ones from the cache); report all problems together."""
    known_pictures(b.store.pictures)  # an image read before is not decoded again
    paths = issue_files(b.root)
    records: dict[Path, Record] = {}

    def cached(path: Path) -> tuple[Issue, list[Problem]] | None:
        record = b.store.record(path)
        if record is None:
            return None
        records[path] = record
        return record.issue, record.warnings

    def loaded_one(issue: Issue, warnings: list[Problem]) -> None:
        records[issue.source] = b.store.remember(issue, warnings)

    loaded = load_folder(b.root, b.config, paths, cached, bodies=False, fresh=loaded_one)
    for path in [i.source for i in loaded.issues] + list(loaded.failed):
        for warning in loaded.warnings.get(path, ()):
            warn(warning)
    if loaded.problems:
        raise PublisherError(loaded.problems)
    published = [records[i.source] for i in loaded.issues if i.is_published(b.now)]
    published.sort(key=lambda r: (r.issue.date, r.issue.slug), reverse=True)
    archive = Archive(paths, loaded.issues, published)
    archive.drafts = sorted(i.source for i in loaded.issues if i.draft)
    archive.scheduled = sum(1 for i in loaded.issues if not i.draft and i.is_scheduled(b.now))
    return archive


# --- 2. plan -----------------------------------------------------------------------------------


def plan_site(b: Build, archive: Archive) -> SitePlan:
    """Plan every path of the site but the issues' own files (known once rendered); warn of
    settings that leave something out."""
    if archive.published and not b.config.author.email:
        warn(
            Problem(
                "no sender address: the ready-to-send email.eml files are left out",
                b.config.path,
                hint='set email under [author], e.g. email = "you@example.org"',
            )
        )
    for problem in (placeholder_problem(b.config), unchosen_service(b.config)):
        if problem is not None:
            warn(problem)
    issues = [r.issue for r in archive.published]
    plan, problems = plan_for(b.root, b.config, b.theme, issues, b.shelf)
    problems += [problem for _, problem in find_translations(archive.issues).problems]
    if problems:
        raise PublisherError(problems)
    for variant, source in plan.logos:
        b.shelf.make(source, [variant])
    return plan


def site_state(b: Build, archive: Archive, plan: SitePlan) -> str:
    """Return the key of everything the site is made from."""
    issues = [(str(r.issue.source), r.render_key) for r in archive.published]
    # The files of the site as a whole (an issue's own are in its render key; the search
    # index's, planned only once the issue pages are written, are made from those pages).
    copies = [
        (path, str(o.source), signature(o.source))
        for path, o in plan.outputs.items()
        if o.source and not o.slug and o.kind != SEARCH
    ]
    return output_key(b.store.key, b.web, str(b.out), issues, copies)


def up_to_date(b: Build, archive: Archive, plan: SitePlan) -> bool:
    """Return whether the site is exactly what the last build wrote from the same inputs."""
    head = b.store.head
    if any(r.render_key is None for r in archive.published) or head.out != str(b.out):
        return False
    if site_state(b, archive, plan) != head.state:
        return False
    return all(intact(o, f"{b.out}/{path}") for path, o in b.store.live.items())


def publish(
    b: Build, archive: Archive, plan: SitePlan, processes: int, progress: Progress | None
) -> int:
    """Render what changed into the spare tree, write the rest, and swap it in; return how
    many issues were rendered."""
    b.store.read_made()
    try:
        tree = Tree(spare_of(b.out), b.out, *b.store.trees(b.out), set(plan.outputs))
    except OSError as exc:
        raise unwritable(b.out, exc) from exc
    try:
        rendered = render(b, archive, plan, tree, processes, progress)
        check_site(b, archive, plan)
        write(b, archive, plan, tree)
        refuse_foreign(b.out)  # again: a file put there while this build ran stays there
        swap_in(tree.folder, b.out)
    except BaseException as exc:
        with contextlib.suppress(OSError, sqlite3.Error):  # what the spare tree holds now
            b.store.save_spare({**tree.had_spare, **tree.outputs})
        if isinstance(exc, OSError):
            raise unwritable(b.out, exc) from exc
        raise
    try:  # the site is complete: what follows only makes the next build faster
        b.store.save(archive.paths, b.out, site_state(b, archive, plan), tree.outputs)
        if catch_up(tree.folder, b.out, tree.outputs, tree.had_live, tree.folders):
            b.store.save_spare(None)
        forget_unused_images(b, plan)
    except (OSError, sqlite3.Error) as exc:
        warn(_unsaved(b, exc))
    return rendered


def _unsaved(b: Build, exc: OSError | sqlite3.Error) -> Problem:
    """Return the warning of a cache that could not be saved after the site was swapped in."""
    why = f"{exc.strerror} ({exc.filename})" if isinstance(exc, OSError) else str(exc)
    return Problem(
        f"the site is complete, but the build cache could not be saved: {why}; the next "
        "build renders again what this one rendered",
        b.store.dir,
        hint="free some disk space, or make .publisher-cache/ writable",
    )


# --- 3. render what changed --------------------------------------------------------------------


def render(
    b: Build,
    archive: Archive,
    plan: SitePlan,
    tree: Tree,
    processes: int,
    progress: Progress | None,
) -> int:
    """Render the published issues the cache cannot serve, and write their email files as
    they come; stop on any problem, or error ``check`` would report, of any of them. Return
    how many were rendered."""
    stored = b.store.rendered_keys()
    todo = [r for r in archive.published if r.render_key not in stored or not _on_shelf(b, r)]
    if not todo:
        return 0
    from publisher.build.products import EMAIL_FILES, email_file, email_product
    from publisher.build.workers import Renderer, render_all

    renderer = Renderer(b.config, b.theme, b.now, b.shelf)
    outcomes = render_all([(r.issue, r.signature) for r in todo], renderer, processes)
    failed: list[Problem | Finding] = []
    for record, outcome in zip(todo, _track(outcomes, todo, progress), strict=True):
        if isinstance(outcome, list) or outcome[1]:
            failed += outcome if isinstance(outcome, list) else outcome[1]
            continue
        made = outcome[0]
        b.store.store(record, made)
        for path, planned in plan.issue_outputs(record.issue.slug) if not failed else ():
            if planned.kind in EMAIL_FILES:
                make = partial(email_file, planned.kind, record, made, b.config)
                tree.put(path, email_product(planned.kind, record, make))
    problems = [p for p in failed if isinstance(p, Problem)]
    if problems:
        raise PublisherError(problems)
    if failed:
        raise CheckFailed([f for f in failed if not isinstance(f, Problem)])
    return len(todo)


def _on_shelf(b: Build, record: Record) -> bool:
    """Return whether every image variant a cached rendering publishes is still made."""
    return all(b.shelf.intact(p.shelf_name) for p in record.images)


def _track(outcomes: Iterator[T], todo: Sequence[Record], progress: Progress | None) -> Iterator[T]:
    """Advance the progress bar (if any) as outcomes arrive. The outcomes are read to their
    end, so that the pool that renders them ends as it should, not as a stopped one."""
    bar = iter(progress([r.issue for r in todo])) if progress is not None else iter(())
    for outcome in outcomes:
        next(bar, None)
        yield outcome
    for _ in bar:  # and the bar ends its line
        pass


# --- 4. check what only the whole site shows ---------------------------------------------------


def check_site(b: Build, archive: Archive, plan: SitePlan) -> None:
    """Stop on links to paths of the site that no issue has, and on files of two issues (or
    of an issue and the site) at one path; warn of feed ids that change."""
    linking = [r for r in archive.published if any(ref.kind == SITE for ref in r.refs)]
    if linking:  # the usual archive has none: then check's code is not even loaded
        from publisher.check import Slugs, site_link_findings

        slugs = Slugs(archive.issues, b.now)
        found = []
        for r in linking:
            findings = site_link_findings(r.issue, r.refs, b.config, slugs, b.root)
            if findings:  # placed in its text, which the cache does not keep: read it
                issue = load_issue(r.issue.source, b.config)
                findings = site_link_findings(issue, r.refs, b.config, slugs, b.root)
            found += findings
        if found:
            raise CheckFailed(found)
    problems = []
    for r in archive.published:
        line, shelf = r.issue.body_line, b.shelf.folder
        made = [(p.name, line + p.line, f"{shelf}/{p.shelf_name}") for p in r.images]
        problems += plan.add_issue_files(r.issue, file_lines(r.refs, line), made)
    if problems:
        raise PublisherError(problems)
    host = urlsplit(b.config.base_url).hostname or ""
    warn_changed_ids(read_manifest(b.out), [r.issue for r in archive.published], host)


# --- 5. write and swap -------------------------------------------------------------------------


def write(b: Build, archive: Archive, plan: SitePlan, tree: Tree) -> None:
    """Bring the spare tree to every file of the plan, and nothing else."""
    from publisher.build.products import Products

    products = Products(plan, b.config, b.theme, archive.published, b.store, b.web)
    if b.config.search.enabled and archive.published:
        index_pages(b, plan, tree, products)
    for path, product in products.all().items():
        if path not in tree.outputs:
            tree.put(path, product)
    tree.prune()


def index_pages(b: Build, plan: SitePlan, tree: Tree, products: Products) -> None:
    """Write the issue pages, index them as written (Pagefind runs only when the kept index
    is of other pages) and plan the search index's files."""
    from publisher.build.search import bundle

    pages: dict[str, bytes] = {}
    for path, planned in list(plan.outputs.items()):
        if planned.kind == ISSUE_PAGE:
            if path not in tree.outputs:
                tree.put(path, products.of(path, planned))
            pages[path] = Path(tree.folder, path).read_bytes()
    problems = plan.add_search(bundle(pages, b.config.language, b.searches))
    if problems:
        raise PublisherError(problems)


def forget_unused_images(b: Build, plan: SitePlan) -> None:
    """Delete the image variants on the shelf that no issue (nor the logo) uses any more."""
    if b.store.enabled:
        used = [p.shelf_name for r in b.store.records.values() for p in r.images]
        logo = [os.path.basename(o.source or "") for o in plan.outputs.values() if o.kind == LOGO]
        b.shelf.keep_only(used + logo)


@contextlib.contextmanager
def _searches(root: Path, cache: bool) -> Iterator[Path]:
    """Yield the folder where the search index is kept; without the cache, one of this
    build's own."""
    if cache:
        yield root / CACHE_DIR / SEARCH_CACHE
        return
    folder = root / CACHE_DIR / f"{SEARCH_CACHE}-{os.getpid()}"
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _shelf(root: Path, cache: bool) -> Iterator[Shelf]:
    """Yield the folder's image shelf; without the cache, one of this build's own."""
    if cache:
        yield shelf_of(root)
        return
    shelf = Shelf(root / CACHE_DIR / f"images-{os.getpid()}")
    try:
        yield shelf
    finally:
        shutil.rmtree(shelf.folder, ignore_errors=True)
