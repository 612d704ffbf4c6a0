"""Any RSS or Atom feed, from a file or a URL (WordPress, Medium, beehiiv, Substack's...).

A feed holds only its newest posts, unless it links to older ones: RFC 5005's archives
(``prev-archive``) and pages (``next``) are followed, over the network only for a feed given by
URL; a WordPress feed by URL is read page by page (``?paged=2``...) until a page adds nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from publisher.errors import PublisherError
from publisher.importer import entry as entry_module
from publisher.importer.entry import Batch, Entry, one_line, read_file, summary_of, too_big
from publisher.importer.html import Dropped, plain_text, to_markdown

#: The most archive pages followed from one feed.
MAX_PAGES = 500


def is_feed(data: bytes) -> bool:
    """Return whether ``data`` looks like an RSS or Atom document."""
    head = data[:2048].lstrip().lower()
    return head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head


def fetch(url: str) -> bytes:
    """Fetch a feed over HTTP(S), reading no more than ``entry.MAX_INDEX_BYTES``."""
    import httpx

    from publisher import __version__

    cap = entry_module.MAX_INDEX_BYTES
    headers = {"User-Agent": f"publisher/{__version__} (import)"}
    with (
        httpx.Client(follow_redirects=True, timeout=30, headers=headers) as client,
        client.stream("GET", url) as response,
    ):
        response.raise_for_status()
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise too_big("the feed", int(length), cap)
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > cap:  # (no length said, or a false one): stop reading
                raise too_big("the feed", len(data), cap)
        return bytes(data)


def _when(entry: Any) -> dt.datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC)


def _body(entry: Any) -> tuple[str, bool]:
    """Return an entry's HTML body, and whether it is only its summary."""
    contents = entry.get("content") or []
    for content in contents:
        if "html" in str(content.get("type", "")):
            return str(content.get("value") or ""), False
    if contents:
        return str(contents[0].get("value") or ""), False
    return str(entry.get("summary") or ""), True


def _canonical(link: str) -> str:
    """Return a post's address without its query or fragment (Medium's ``?source=rss``)."""
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _slug(link: str) -> str:
    path = PurePosixPath(unquote(urlsplit(link).path))
    name = path.name
    return name.rsplit(".", 1)[0] if name.endswith((".html", ".htm", ".php")) else name


def read(source: str, from_url: bool) -> Batch:
    """Read a feed (and its older pages) from a file path or a URL."""
    import feedparser

    batch = Batch(source if from_url else Path(source))
    seen_pages: set[str] = set()
    seen_ids: set[str] = set()
    page: str | None = source
    guessed = False  # a page of WordPress's numbering, which ends with an error or nothing new
    while page is not None and page not in seen_pages and len(seen_pages) < MAX_PAGES:
        seen_pages.add(page)
        try:
            data = fetch(page) if from_url else read_file(Path(page))
        except Exception as exc:  # httpx's errors, OSError: the page is named in the report
            if not guessed:
                batch.fail(page, f"cannot be read ({exc})", "check the address or the file")
            break
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        if not parsed.entries and parsed.get("bozo"):
            if not guessed:
                batch.fail(
                    page,
                    f"is not a feed ({parsed.get('bozo_exception')})",
                    "give an RSS or Atom feed",
                )
            break
        before = len(seen_ids)
        for n, entry in enumerate(parsed.entries, start=1):
            _entry(batch, page if from_url else Path(page).name, n, entry, seen_ids)
        if guessed and len(seen_ids) == before:
            break
        page, guessed = _older(parsed, page, from_url, batch), False
        if page is None and from_url and _is_wordpress(parsed):
            page, guessed = _wordpress_page(source, len(seen_pages) + 1), True
    return batch


def _older(parsed: Any, page: str, from_url: bool, batch: Batch) -> str | None:
    """Return the page of the feed's older posts it links to (RFC 5005: its previous archive,
    or the next page of a paged feed), if it has one to follow."""
    links = {
        str(link.get("rel")): str(link["href"])
        for link in parsed.feed.get("links", [])
        if link.get("rel") in ("prev-archive", "next") and link.get("href")
    }
    href = links.get("prev-archive") or links.get("next")
    if href is None:
        return None
    if from_url:
        return urljoin(page, href)
    if urlsplit(href).scheme:
        batch.notes.append(
            f"{page}: its older posts at {href} were not fetched (a feed file uses no network); "
            "fix: import the feed by its URL"
        )
        return None
    return str(Path(page).parent / unquote(href))


def _is_wordpress(parsed: Any) -> bool:
    """Return whether the feed says WordPress made it (its ``generator``)."""
    generator = parsed.feed.get("generator_detail", {}).get("href") or ""
    return "wordpress" in f"{parsed.feed.get('generator', '')} {generator}".lower()


def _wordpress_page(source: str, number: int) -> str:
    """Return page ``number`` of a WordPress feed (its ``paged`` query parameter)."""
    parts = urlsplit(source)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "paged"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("paged", str(number))])))


def _entry(batch: Batch, page: str, n: int, entry: Any, seen: set[str]) -> None:
    link = _canonical(str(entry.get("link") or ""))
    old_id = str(entry.get("id") or link)
    title = one_line(plain_text(str(entry.get("title") or "")))
    where = f"{page} entry {n} ({old_id or title or '?'})"
    if old_id and old_id in seen:
        return
    date = _when(entry)
    if not title or date is None:
        missing = "title" if not title else "date (published or updated)"
        batch.fail(where, f"has no {missing}", "fix the feed, or import the platform's export")
        return
    seen.add(old_id)
    html, truncated = _body(entry)
    dropped: Dropped = Dropped()
    if truncated:
        dropped["full text (the feed has only a summary)"] += 1
    given = str(entry.get("summary") or "")  # (feedparser gives the content when none is)
    summary = "" if truncated or given.strip() == html.strip() else summary_of(plain_text(given))
    tags = tuple(
        dict.fromkeys(one_line(t.get("term")) for t in entry.get("tags", []) if t.get("term"))
    )
    batch.entries.append(
        Entry(
            where=where,
            title=title,
            date=date,
            slug=_slug(link) if link else "",
            body=to_markdown(html, link, dropped),
            summary=summary,
            author=one_line(str(entry.get("author") or "")),
            tags=tags,
            old_id=old_id,
            old_url=link,
            dropped=dropped,
        )
    )


def _ids_by_address(source: str, from_url: bool) -> tuple[dict[str, str], list[str]]:
    """Return the ids the old site's feed gives its posts, by each post's address (scheme and
    host left out, no trailing slash), and what could not be read of it."""
    batch = read(source, from_url)
    found = {_address_key(entry.old_url): entry.old_id for entry in batch.entries}
    found.pop("", None)
    return found, [problem.message for problem in batch.problems]


def _address_key(url: str) -> str:
    """Return what matches one post's address in an export and in its feed: its path, without
    the trailing slash (a custom domain and its substack.com address are the same post)."""
    return unquote(urlsplit(url).path).rstrip("/")


def take_ids(old_feed: str, from_url: bool, batch: Batch, echo: Callable[[str], None]) -> None:
    """Give each entry the id the old site's feed gives its address (its readers know the post
    by it), where the feed holds it; the rest keep the id the export gave."""
    ids, problems = _ids_by_address(old_feed, from_url)
    if problems and not ids:
        raise PublisherError.at(
            f"cannot read the old feed {old_feed}: {problems[0]}",
            hint="give the old site's feed: its address (e.g. https://you.substack.com/feed) "
            "or a saved copy",
        )
    matched = 0
    for entry in batch.entries:
        found = ids.get(_address_key(entry.old_url)) if entry.old_url else None
        if found:
            entry.old_id, matched = found, matched + 1
    echo(f"{matched} of {len(batch.entries)} posts take their id from the old feed")
