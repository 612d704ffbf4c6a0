"""``publisher build``: render every published issue into a fresh tree and swap it in whole."""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from publisher import feeds
from publisher.config import Config, load_config
from publisher.errors import Problem, PublisherError, warn
from publisher.images import local_path
from publisher.issue import ISSUES_DIR, Issue, load_issues
from publisher.markdown import parse
from publisher.render import Rendered, render_issue, source_dir
from publisher.theme import TEMPLATES_DIR, Theme
from publisher.web import render_pages

log = logging.getLogger(__name__)

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
) -> BuildResult:
    """Build ``root``'s newsletter into ``out`` (default ``root/site``), atomically."""
    started = time.perf_counter()
    root = root.resolve()
    out = (out or root / SITE_DIR).resolve()
    _check_out(root, out)
    config = load_config(root)
    theme = Theme(root)
    issues = load_issues(root, config)
    now = now or dt.datetime.now(dt.UTC)
    published = [i for i in issues if i.is_published(now)]
    drafts = sum(1 for i in issues if i.draft)
    scheduled = sum(1 for i in issues if not i.draft and i.is_scheduled(now))

    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    rendered = _render_all(published, config, theme, progress)
    warn_changed_ids(read_manifest(out), published)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        write_site(staging, root, config, theme, rendered)
        swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(out, len(published), drafts, scheduled, time.perf_counter() - started)


def _render_all(
    issues: Sequence[Issue], config: Config, theme: Theme, progress: Progress | None
) -> list[Rendered]:
    """Render every issue; report the problems of all of them together."""
    rendered: list[Rendered] = []
    problems: list[Problem] = []
    for issue in progress(issues) if progress else issues:
        try:
            rendered.append(render_issue(issue, config, theme))
        except PublisherError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PublisherError(problems)
    return rendered


def write_site(
    folder: Path, root: Path, config: Config, theme: Theme, items: Sequence[Rendered]
) -> None:
    """Write the whole site for ``items`` (newest first) into the empty ``folder``."""

    def write(relative: str, data: str | bytes) -> None:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)

    for item in items:
        write(f"{item.issue.slug}/email.html", item.html)
        write(f"{item.issue.slug}/email.txt", item.text)
        _copy_images(item.issue, folder / item.issue.slug)
    for relative, text in render_pages(theme, config, items).items():
        write(relative, text)
    _copy_theme_assets(theme, folder)
    _copy_logo(root, config, folder)
    in_feeds = items[: config.feeds.limit]
    write(feeds.RSS_FILE, feeds.rss(config, in_feeds))
    write(feeds.ATOM_FILE, feeds.atom(config, in_feeds))
    write(feeds.JSON_FILE, feeds.json_feed(config, in_feeds))
    urls: list[tuple[str, dt.datetime | None]] = [
        (config.base_url, max((i.issue.date for i in items), default=None))
    ]
    urls += [(i.view.url, i.issue.updated or i.issue.date) for i in items]
    write(feeds.SITEMAP_FILE, feeds.sitemap(urls))
    write(MANIFEST, manifest(items))


def _copy_images(issue: Issue, folder: Path) -> None:
    """Copy the issue's local images next to its pages, where their absolute URLs point."""
    base = source_dir(issue)
    for image in parse(issue.body).images():
        path = local_path(str(image.attrGet("src") or ""), base)
        if path is None or not path.is_file():
            continue
        target = folder / path.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _copy_theme_assets(theme: Theme, folder: Path) -> None:
    """Copy the theme's static files (``templates/assets/``, the folder's own first)."""
    for theme_dir in reversed(theme.search_path):
        assets = theme_dir / ASSETS_DIR
        if assets.is_dir():
            shutil.copytree(assets, folder / ASSETS_DIR, dirs_exist_ok=True)


def _copy_logo(root: Path, config: Config, folder: Path) -> None:
    """Publish a logo kept in the newsletter folder at the URL the email gives it."""
    path = local_path(config.logo, root)  # checked to exist when the settings were read
    if path is None:
        return
    target = folder / path.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)


# --- permanent ids -----------------------------------------------------------------------------


def manifest(items: Sequence[Rendered]) -> str:
    """Return the record of every published issue's slug, id and date."""
    records = [
        {"slug": i.issue.slug, "id": i.issue.id, "published": i.issue.date.isoformat()}
        for i in items
    ]
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
    if out.exists() and not out.is_dir():
        raise PublisherError.at(
            f"cannot build into {out}: it is a file", hint="choose another --out folder"
        )


def _remove_leftovers(out: Path) -> None:
    """Delete the temporary trees of builds that were killed, and finish an interrupted swap."""
    old = out.with_name(f".{out.name}.old")
    if old.exists() and not out.exists():
        os.replace(old, out)
    for stale in out.parent.glob(f".{out.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); return False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def swap_in(staging: Path, out: Path) -> None:
    """Put ``staging`` in place of ``out``; at no moment is ``out`` missing or half-written."""
    staging.chmod(0o755)
    if not out.exists():
        os.replace(staging, out)
    elif _exchange(staging, out):
        pass  # staging now holds the old tree; the caller removes it
    else:  # elsewhere: two renames, and _remove_leftovers repairs a crash between them
        old = out.with_name(f".{out.name}.old")
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
