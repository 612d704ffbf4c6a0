"""``publisher build``: render every published issue into a fresh tree and swap it in whole."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from publisher.config import Config, load_config
from publisher.errors import Problem, PublisherError
from publisher.images import local_path
from publisher.issue import ISSUES_DIR, Issue, load_issues
from publisher.markdown import parse
from publisher.render import render_issue, source_dir
from publisher.theme import TEMPLATES_DIR, Theme

log = logging.getLogger(__name__)

SITE_DIR = "site"


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the one-line summary."""

    out: Path
    built: int
    drafts: int
    scheduled: int
    seconds: float


def build(root: Path, out: Path | None = None, now: dt.datetime | None = None) -> BuildResult:
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
    _recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        problems: list[Problem] = []
        for issue in published:
            try:
                _write_issue(issue, config, theme, staging)
            except PublisherError as exc:
                problems.extend(exc.problems)
        if problems:
            raise PublisherError(problems)
        _copy_logo(root, config, staging)
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(out, len(published), drafts, scheduled, time.perf_counter() - started)


def _write_issue(issue: Issue, config: Config, theme: Theme, staging: Path) -> None:
    rendered = render_issue(issue, config, theme)
    folder = staging / issue.slug
    folder.mkdir(parents=True, exist_ok=False)
    (folder / "email.html").write_text(rendered.html, encoding="utf-8")
    (folder / "email.txt").write_text(rendered.text, encoding="utf-8")
    _copy_images(issue, folder)


def _copy_images(issue: Issue, folder: Path) -> None:
    """Copy the issue's local images next to its pages, where their absolute URLs point."""
    base = source_dir(issue)
    for image in parse(issue.body).images():
        src = str(image.attrGet("src") or "")
        path = local_path(src, base)
        if path is None or not path.is_file():
            continue
        target = folder / path.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _copy_logo(root: Path, config: Config, staging: Path) -> None:
    """Publish a logo kept in the newsletter folder at the URL the email gives it."""
    path = local_path(config.logo, root)  # checked to exist when the settings were read
    if path is None:
        return
    target = staging / path.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)


def _check_out(root: Path, out: Path) -> None:
    """Refuse output folders whose replacement would destroy the author's files."""
    inside_sources = any(out.is_relative_to(root / d) for d in (ISSUES_DIR, TEMPLATES_DIR))
    if root.is_relative_to(out) or inside_sources:
        raise PublisherError.at(
            f"refusing to build into {out}: it holds your own files",
            hint=f"build into a folder of its own, e.g. --out {SITE_DIR}",
        )


def _old(out: Path) -> Path:
    return out.with_name(f".{out.name}.old")


def _recover(out: Path) -> None:
    """Finish a swap that a crash interrupted: restore the old tree if the new one is missing."""
    old = _old(out)
    if old.exists():
        if not out.exists():
            os.replace(old, out)
        else:
            shutil.rmtree(old, ignore_errors=True)


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging``: the old tree stays whole until the new one is in place."""
    staging.chmod(0o755)
    if not out.exists():
        os.replace(staging, out)
        return
    old = _old(out)
    os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)


__all__ = ["SITE_DIR", "BuildResult", "build", "swap_in"]
