"""The site's manifest (``publisher.json``): every published issue's slug, permanent id and
date, and every file the build wrote, which later builds alone may replace or delete.

It also tells which feed ids a new build would change or drop (``check`` and ``build`` warn).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from publisher.config import is_placeholder_host
from publisher.errors import Problem, warn
from publisher.model.issue import Issue
from publisher.site.plan import MANIFEST

__all__ = ["MANIFEST", "changed_ids", "manifest", "read_manifest", "warn_changed_ids"]


def manifest(issues: Sequence[Issue], files: Sequence[str] = ()) -> str:
    """Return the record of every published issue's slug, id and date, and of every file the
    build wrote (what later builds may replace or delete: nothing else)."""
    records = [{"slug": i.slug, "id": i.id, "published": i.date.isoformat()} for i in issues]
    data = {"issues": records, "files": list(files)}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _read(out: Path) -> dict[str, object]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def written_files(out: Path) -> set[str] | None:
    """Return the files the build that made ``out`` wrote, or None when it did not say."""
    files = _read(out).get("files")
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else None


def read_manifest(out: Path) -> list[dict[str, str]]:
    """Return the previous build's records, or [] when there is none (or it is unreadable)."""
    records = _read(out).get("issues")
    if not isinstance(records, list):
        return []
    return [r for r in records if isinstance(r, dict) and "id" in r and "slug" in r]


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
