"""The preview's state: every issue (drafts and scheduled ones too), rendered on demand by the
same code as ``publisher build``, re-read only where a saved file changed."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from publisher.check import (
    Finding,
    Rule,
    Slugs,
    email_findings,
    from_problem,
    issue_findings,
    settings_findings,
)
from publisher.config import CACHE_DIR, SETTINGS_FILE, Config, load_config
from publisher.errors import Problem, PublisherError, collecting
from publisher.model.issue import FOLDER_INDEX, ISSUES_DIR, Issue, load_folder, load_one
from publisher.model.markdown import Document
from publisher.render import refs
from publisher.render.context import IssueView
from publisher.render.issue import (
    display_date,
    issue_view,
    read_body,
    render_issue,
)
from publisher.render.pages import Pages
from publisher.render.refs import SiteIndex
from publisher.render.rendered import Rendered
from publisher.render.shelf import shelf_of
from publisher.render.theme import TEMPLATES_DIR, Theme
from publisher.site.plan import SitePlan

log = logging.getLogger(__name__)

EVERYTHING = "*"
#: The folder of the cache that keeps the preview's search index (the build keeps its own).
PREVIEW_SEARCH = "preview-search"


@dataclass
class Entry:
    """One issue file as the preview knows it: loaded, or the error that stops it loading."""

    key: str
    path: Path
    issue: Issue | None = None
    error: PublisherError | None = None
    warnings: list[Problem] = field(default_factory=list)
    doc: Document | None = None
    view: IssueView | None = None
    rendered: Rendered | None = None
    render_error: PublisherError | None = None
    #: The check findings, and what they were computed from (other issues' slugs, rendered?).
    findings: list[Finding] | None = None
    findings_for: tuple[frozenset[str], bool] | None = None


def entry_key(root: Path, path: Path) -> str | None:
    """Return the preview key of a path under ``issues/`` (the file or folder name), or None."""
    try:
        parts = path.relative_to(root / ISSUES_DIR).parts
    except ValueError:
        return None
    if not parts or parts[0].startswith((".", "_")):
        return None
    if len(parts) == 1:
        return parts[0][:-3] if parts[0].lower().endswith(".md") else None
    return parts[0]


@contextlib.contextmanager
def _captured(into: list[Problem]) -> Iterator[None]:
    """Keep the warnings raised while loading or rendering one issue with that issue."""
    with collecting() as problems:
        yield
    into.extend(problems)


class Preview:
    """Thread-safe preview state; ``version`` grows by one with every applied change."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root.resolve()
        self.base_url = base_url
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.version = 0
        self.history: deque[tuple[int, set[str]]] = deque(maxlen=256)
        self.entries: dict[str, Entry] = {}
        self.config_error: PublisherError | None = None
        self.config_warnings: list[Problem] = []
        self._index: SiteIndex | None = None
        #: The search index's files, and the version they were made for.
        self._search: tuple[int, dict[str, Path]] | None = None
        #: One Pagefind at a time, run outside ``lock``: the other requests go on meanwhile.
        self._search_lock = threading.Lock()
        self._load_all()

    # -- loading --

    def _load_all(self) -> None:
        self.config_warnings = []
        with _captured(self.config_warnings):
            try:
                self.config: Config = load_config(self.root)
                self.config_error = None
            except PublisherError as exc:
                self.config, self.config_error = Config(), exc
        self.site_config = dataclasses.replace(self.config, base_url=self.base_url)
        self.theme = Theme(self.root, watch=True)
        self.entries = {}
        loaded = load_folder(self.root, self.config)
        by_path = {issue.source: issue for issue in loaded.issues}
        for path, warnings in loaded.warnings.items():
            key = entry_key(self.root, path)
            if key is not None:
                failed = loaded.failed.get(path)
                error = PublisherError(failed) if failed else None
                self.entries[key] = Entry(key, path, by_path.get(path), error, warnings)
        self._index = None

    def _load(self, key: str, path: Path) -> Entry:
        issue, problems, warnings = load_one(path, self.config)
        return Entry(key, path, issue, PublisherError(problems) if problems else None, warnings)

    def apply(self, paths: Iterable[Path]) -> set[str]:
        """Re-read what the changed ``paths`` affect; return the changed keys (``*``: all)."""
        changed: set[str] = set()
        with self.lock:
            for path in paths:
                path = Path(path)
                if path == self.root / SETTINGS_FILE or path.is_relative_to(
                    self.root / TEMPLATES_DIR
                ):
                    changed.add(EVERYTHING)
                    continue
                key = entry_key(self.root, path)
                if key is not None:
                    changed.add(key)
            if not changed:
                return changed
            if EVERYTHING in changed:
                self._load_all()
            else:
                for key in changed:
                    self._reload(key)
                self._index = None
                for entry in self.entries.values():  # links to a changed issue may change
                    if entry.doc is not None and any(r.kind == refs.ISSUE for r in entry.doc.refs):
                        entry.doc = entry.view = entry.rendered = entry.render_error = None
            self.version += 1
            self.history.append((self.version, changed))
            self.changed.notify_all()
        return changed

    def _reload(self, key: str) -> None:
        folder = self.root / ISSUES_DIR
        for path in (folder / key / FOLDER_INDEX, folder / f"{key}.md"):
            if path.is_file():
                self.entries[key] = self._load(key, path)
                return
        self.entries.pop(key, None)

    # -- reading --

    def sorted_entries(self) -> list[Entry]:
        """Return every entry, newest first; ones that failed to load come first."""
        with self.lock:
            entries = list(self.entries.values())

        def order(entry: Entry) -> tuple[int, dt.datetime, str]:
            if entry.issue is None:
                return (1, dt.datetime.max.replace(tzinfo=dt.UTC), entry.key)
            return (0, entry.issue.date, entry.key)

        return sorted(entries, key=order, reverse=True)

    def entry(self, key: str) -> Entry | None:
        """Return the entry with ``key``, or None."""
        with self.lock:
            return self.entries.get(key)

    def by_slug(self, slug: str) -> Entry | None:
        """Return the loaded entry whose issue has ``slug``."""
        with self.lock:
            for entry in self.entries.values():
                if entry.issue is not None and entry.issue.slug == slug:
                    return entry
        return None

    def index(self) -> SiteIndex:
        """Return the index of every loaded issue, for links between issues."""
        with self.lock:
            if self._index is None:
                issues = [e.issue for e in self.entries.values() if e.issue is not None]
                self._index = SiteIndex(self.root, dt.datetime.now(dt.UTC), issues)
            return self._index

    def doc_of(self, entry: Entry) -> Document:
        """Return (and remember) a loaded entry's parsed body: one parse serves its view,
        its rendering and its findings."""
        with self.lock:
            if entry.doc is None:
                assert entry.issue is not None
                entry.doc = read_body(entry.issue, self.root, self.index())
            return entry.doc

    def plan(self) -> SitePlan:
        """Return the site plan over every loaded issue, drafts included, with the files of
        each issue rendered so far: what ``/site/`` serves."""
        from publisher.site.plan import plan_for

        with self.lock:
            issues = [e.issue for e in self.sorted_entries() if e.issue is not None]
            shelf = shelf_of(self.root)
            plan, _ = plan_for(self.root, self.config, self.theme, issues, shelf)
            for entry in self.entries.values():
                if entry.issue is not None and entry.rendered is not None:
                    made = entry.rendered.images
                    plan.add_issue_files(
                        entry.issue,
                        ((f, 0) for f in entry.rendered.files),
                        ((p.name, 0, shelf.folder / p.shelf_name) for p in made),
                    )
            return plan

    def search_files(self) -> dict[str, Path]:
        """Return the search index's files (by path inside ``pagefind/``) over every issue
        page that renders, drafts included; Pagefind runs again only when a page changed."""
        from publisher.build.search import bundle

        with self._search_lock:
            with self.lock:
                if self._search is not None and self._search[0] == self.version:
                    return self._search[1]
                version, language, made = self.version, self.config.language, self._pages()
            files = dict(bundle(made, language, self.root / CACHE_DIR / PREVIEW_SEARCH))
            with self.lock:
                self._search = (version, files)
            return files

    def _pages(self) -> dict[str, bytes]:
        """Return every issue page that renders, drafts included, by its path in the site."""
        pages = self.pages()
        made: dict[str, bytes] = {}
        for entry in self.sorted_entries():
            with contextlib.suppress(PublisherError):
                if entry.issue is not None:
                    page = pages.issue(self.render(entry))
                    made[f"{entry.issue.slug}/index.html"] = page.encode("utf-8")
        return made

    def render_again(self, entry: Entry) -> None:
        """Render an entry again: its image variants are made anew where they are missing (a
        build forgets the variants that only drafts show)."""
        with self.lock:
            entry.rendered = entry.render_error = None
        with contextlib.suppress(PublisherError):
            self.render(entry)

    def view_of(self, entry: Entry) -> IssueView:
        """Return (and remember) what templates know of a loaded entry's issue."""
        with self.lock:
            if entry.view is None:
                assert entry.issue is not None
                entry.view = issue_view(entry.issue, self.doc_of(entry), self.site_config)
            return entry.view

    def render(self, entry: Entry) -> Rendered:
        """Return the entry's rendering, made on first use; raise its error."""
        with self.lock:
            if self.config_error is not None:
                raise self.config_error
            if entry.error is not None:
                raise entry.error
            if entry.rendered is None and entry.render_error is None:
                assert entry.issue is not None
                with _captured(entry.warnings):
                    try:
                        entry.rendered = render_issue(
                            entry.issue, self.site_config, self.theme, self.doc_of(entry)
                        )
                    except PublisherError as exc:
                        entry.render_error = exc
            if entry.render_error is not None:
                raise entry.render_error
            assert entry.rendered is not None
            return entry.rendered

    def findings(self, entry: Entry) -> list[Finding]:
        """Return ``publisher check``'s findings for one entry (email rules once rendered)."""
        with self.lock:
            issues = [e.issue for e in self.entries.values() if e.issue is not None]
            slugs = frozenset(i.slug for i in issues)
            basis = (slugs, entry.rendered is not None or entry.render_error is not None)
            if entry.findings is not None and entry.findings_for == basis:
                return entry.findings
            root = self.root
            found = [from_problem(Rule.FM002, w, root) for w in entry.warnings]
            if entry.error is not None:
                found += [from_problem(Rule.FM001, p, root) for p in entry.error.problems]
            elif entry.issue is not None:
                now = dt.datetime.now(dt.UTC)
                doc = self.doc_of(entry)
                found += issue_findings(
                    entry.issue, doc, self.config, Slugs(issues, now), root, now
                )
                if entry.rendered is not None:
                    found += email_findings(entry.issue, entry.rendered, self.config, root)
                if entry.render_error is not None:
                    found += [
                        from_problem(Rule.TPL001, p, root) for p in entry.render_error.problems
                    ]
            entry.findings, entry.findings_for = sorted(set(found)), basis
            return entry.findings

    def settings_lines(self) -> list[str]:
        """Return the settings' problems and findings as lines."""
        lines = problem_lines(self.config_error, self.config_warnings, self.root)
        if self.config_error is None:
            lines += [f.format() for f in settings_findings(self.config, self.root)]
        return lines

    def feed(self, kind: str, tag: str = "", year: int = 0, folder: str = "") -> bytes:
        """Return a feed document of every loaded issue that renders, drafts included, in the
        format ``kind`` (``rss``, ``atom``, ``json_feed``): the site's, a tag's, a year's or
        the language's at ``folder``."""
        from publisher.render import feeds
        from publisher.render.channels import feed_document

        items = []
        for entry in self.sorted_entries():
            if entry.issue is not None:
                with contextlib.suppress(PublisherError):
                    items.append(self.render(entry))
        channel, carried = feed_document(self.site_config, items, tag, year, folder)
        data: bytes = getattr(feeds, kind)(self.site_config, carried, channel)
        return data

    def redirect_page(self, slug: str) -> str:
        """Return the page an old address of the issue ``slug`` serves (``redirect_from``)."""
        entry = self.by_slug(slug)
        if entry is None or entry.issue is None:
            raise PublisherError([Problem(f"no issue has the slug {slug!r} any more")])
        return self.pages().redirect(entry.issue, self.view_of(entry).direction)

    def pages(self) -> Pages:
        """Return the page renderer over every loaded issue, drafts included."""
        with self.lock:
            listed = [
                (entry.issue, self.view_of(entry))
                for entry in self.sorted_entries()
                if entry.issue is not None
            ]
            return Pages(self.theme, self.site_config, listed)

    def status(self, entry: Entry, now: dt.datetime) -> str:
        """Return `draft`, `scheduled`, `error` or `published`."""
        if entry.issue is None:
            return "error"
        if entry.issue.draft:
            return "draft"
        return "scheduled" if entry.issue.is_scheduled(now) else "published"

    def date_of(self, entry: Entry) -> str:
        """Return the entry's date for people, or empty."""
        return display_date(entry.issue, self.config) if entry.issue else ""

    def wait(self, version: int, timeout: float) -> tuple[int, set[str]]:
        """Block until ``version`` is passed (or ``timeout``); return the version and all changes
        since ``version`` (``*`` when they are too old to tell)."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != version, timeout)
            if self.version == version:
                return version, set()
            if not self.history or self.history[0][0] > version + 1:
                return self.version, {EVERYTHING}
            changed: set[str] = set()
            for number, keys in self.history:
                if number > version:
                    changed |= keys
            return self.version, changed


def problem_lines(error: PublisherError | None, warnings: list[Problem], root: Path) -> list[str]:
    """Return an entry's problems as the lines a user sees on the command line."""
    lines = [f"error: {p.format(root)}" for p in (error.problems if error else [])]
    return lines + [f"warning: {w.format(root)}" for w in warnings]
