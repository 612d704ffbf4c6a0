"""Ghost's export: one JSON file, ``db[0].data`` holding the tables.

Only ``posts``, ``posts_meta``, ``tags``, ``posts_tags``, ``users`` (their names) and
``posts_authors`` are looked at: the export also holds members, API keys and settings, never read.
"""

from __future__ import annotations

import html as html_lib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.importer.entry import (
    Batch,
    Entry,
    TooBig,
    one_line,
    parse_date,
    read_file,
    site_url,
    summary_of,
)
from publisher.importer.html import Dropped, to_markdown

#: What Ghost writes in its export for its own address (``__GHOST_URL__/content/images/...``).
GHOST_URL = "__GHOST_URL__"


def tables(data: Any) -> dict[str, Any] | None:
    """Return the tables of a Ghost export, or None when it is not one."""
    try:
        tables = data["db"][0]["data"]
    except (KeyError, IndexError, TypeError):
        return None
    return tables if isinstance(tables, dict) else None


def _rows(tables: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = tables.get(name)
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def read(source: Path, old_site: str = "") -> Batch:
    """Read a Ghost JSON export."""
    batch = Batch(source)
    base = site_url(old_site)
    data = _load(source, batch)
    if data is None:
        return batch
    by_post = _by_post(data)
    posts = data.get("posts")
    for i, post in enumerate(posts if isinstance(posts, list) else []):
        entry = _entry(f"posts[{i}]", post, base, by_post, batch)
        if entry is not None:
            batch.entries.append(entry)
    return batch


def _load(source: Path, batch: Batch) -> dict[str, Any] | None:
    """Return the export's tables, or None when it has none (the batch says why)."""
    try:
        data = tables(json.loads(read_file(source).decode("utf-8")))
    except TooBig as exc:
        batch.fail("the file", str(exc), "export again from Ghost, or ask its support")
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        batch.fail("the file", f"is not JSON ({exc})", "give the .json file Ghost's export made")
        return None
    if data is None:
        batch.fail("the file", "has no db[0].data", "give the .json file Ghost's export made")
    return data


@dataclass
class _ByPost:
    """What the other tables say of each post, by its id."""

    #: Its ``posts_meta`` row (the feature image's alt text and caption, the meta description).
    meta: dict[Any, dict[str, Any]]
    #: Its public tags' names, in order (internal ``#tags`` left out).
    tags: dict[Any, list[str]]
    #: Its authors' names, in order.
    authors: dict[Any, list[str]]


def _by_post(data: dict[str, Any]) -> _ByPost:
    """Read each post's meta row, tags and authors from their tables."""
    tags = {t.get("id"): t for t in _rows(data, "tags")}
    names = {u.get("id"): str(u.get("name") or "") for u in _rows(data, "users")}
    meta = {m.get("post_id"): m for m in _rows(data, "posts_meta")}
    post_tags, post_authors = defaultdict(list), defaultdict(list)
    for link in sorted(_rows(data, "posts_tags"), key=lambda r: r.get("sort_order") or 0):
        tag = tags.get(link.get("tag_id"))
        public = tag and tag.get("visibility", "public") == "public"
        if tag and public and not str(tag.get("name", "")).startswith("#"):
            post_tags[link.get("post_id")].append(one_line(str(tag.get("name") or "")))
    for link in sorted(_rows(data, "posts_authors"), key=lambda r: r.get("sort_order") or 0):
        post_authors[link.get("post_id")].append(names.get(link.get("author_id"), ""))
    return _ByPost(meta, post_tags, post_authors)


def _entry(where: str, post: Any, base: str, by_post: _ByPost, batch: Batch) -> Entry | None:
    """Return one post as an Entry, or None when it is skipped or cannot be read (the batch
    says which, and why)."""
    if not isinstance(post, dict):
        batch.fail(where, "is not a post (an object)", "export again from Ghost")
        return None
    post_id = str(post.get("id") or "")
    slug = str(post.get("slug") or "")
    where += f" (post {slug or post_id or '?'})"
    kind = post.get("type") or ("page" if post.get("page") else "post")
    if kind == "page":
        batch.notes.append(f"{where}: skipped, a page")
        return None
    status = str(post.get("status") or "")
    title = one_line(str(post.get("title") or ""))
    date = parse_date(post.get("published_at")) or parse_date(post.get("created_at"))
    if not post_id or not slug or not title or date is None:
        missing = next(
            k
            for k, v in (("id", post_id), ("slug", slug), ("title", title), ("date", date))
            if not v
        )
        batch.fail(where, f"has no {missing}", "export again from Ghost")
        return None
    extra = {**post, **by_post.meta.get(post_id, {})}
    html = _html(where, post, extra, base, batch)
    if html is None:
        return None
    url = f"{base}{slug}/" if base else f"/{slug}/"
    dropped: Dropped = Dropped()
    authors = [a for a in by_post.authors.get(post_id, []) if a]
    return Entry(
        where=where,
        title=title,
        date=date,
        slug=slug,
        body=to_markdown(html, base and url, dropped),
        summary=summary_of(str(post.get("custom_excerpt") or extra.get("meta_description") or "")),
        author=authors[0] if authors else "",
        tags=tuple(dict.fromkeys(t for t in by_post.tags.get(post_id, []) if t)),
        draft=status == "draft",
        old_id=post_id,
        old_url=url,
        dropped=dropped,
    )


def _html(
    where: str, post: dict[str, Any], extra: dict[str, Any], base: str, batch: Batch
) -> str | None:
    """Return a post's HTML, its feature image first, Ghost's placeholder replaced by the old
    site's address; None when there is none to give (the batch says why)."""
    html = post.get("html")
    if not isinstance(html, str) and str(post.get("status") or "") == "draft":
        batch.notes.append(
            f"{where}: skipped, a draft Ghost never rendered (no HTML); fix: open it in "
            "Ghost's editor, save it, and export again"
        )
        return None
    if not isinstance(html, str):
        batch.fail(
            where,
            "has no HTML body (a draft Ghost never rendered)",
            "open it in Ghost's editor, save it, and export again",
        )
        return None
    lead = _feature_image(post, extra)
    if GHOST_URL in lead + html:
        if not base:
            batch.fail(
                where,
                f"its addresses start with Ghost's placeholder {GHOST_URL} (the site's "
                "address), which only the old site's address can replace",
                "give the Ghost site's address: --old-site https://your-ghost-site",
            )
            return None
        lead = lead.replace(GHOST_URL, base.rstrip("/"))
        html = html.replace(GHOST_URL, base.rstrip("/"))
    return lead + html


def _feature_image(post: dict[str, Any], extra: dict[str, Any]) -> str:
    """Return a post's feature image as a captioned figure, or "" when it has none."""
    feature = str(post.get("feature_image") or "")
    if not feature:
        return ""
    alt = html_lib.escape(str(extra.get("feature_image_alt") or ""), quote=True)
    caption = str(extra.get("feature_image_caption") or "")  # (HTML: cleaned with the body)
    return (
        f'<figure><img src="{html_lib.escape(feature, quote=True)}" alt="{alt}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )
