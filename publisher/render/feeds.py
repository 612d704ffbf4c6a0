"""Feeds: RSS 2.0 and Atom 1.0 through feedgen, JSON Feed 1.1 and the sitemap written here.

Every date comes from front matter (never the build time), every URL is absolute, and entries
keep the permanent id fixed when the issue was first published.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from publisher import __version__
from publisher.config import Config

if TYPE_CHECKING:
    from publisher.render.rendered import Rendered

RSS_FILE = "feed.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
SITEMAP_FILE = "sitemap.xml"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

#: Characters XML 1.0 forbids (lxml, and so feedgen, refuse them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Drop the control characters XML cannot carry."""
    return _NOT_XML.sub("", text)


def _updated(item: Rendered) -> dt.datetime:
    return max(item.issue.updated or item.issue.date, item.issue.date)


def distinct_updates(items: Sequence[Rendered]) -> list[dt.datetime]:
    """Return each entry's Atom ``updated``, one second apart where two would be equal.

    Feed validators warn when two entries share an ``updated`` instant, as two issues dated the
    same day would; the later entry in the list (the older issue) moves back a second.
    """
    seen: set[dt.datetime] = set()
    out = []
    for item in items:
        when = _updated(item)
        while when in seen:
            when -= dt.timedelta(seconds=1)
        seen.add(when)
        out.append(when)
    return out


def _newest(items: Sequence[Rendered]) -> dt.datetime:
    return max((_updated(i) for i in items), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))


def _generator(
    config: Config, items: Sequence[Rendered], self_url: str, self_type: str, rss: bool = False
) -> Any:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(config.base_url)
    fg.title(xml_safe(config.name))
    # RSS descriptions are HTML, Atom's subtitle and summary text: escape the text for RSS.
    description = xml_safe(config.description) or xml_safe(config.name)
    fg.description(escape(description, quote=False) if rss else description)
    # RSS takes the channel link from the last link added: self first, then the site.
    fg.link(href=self_url, rel="self", type=self_type)
    fg.link(href=config.base_url, rel="alternate", type="text/html")
    fg.language(config.language)
    fg.generator("publisher", version=__version__)
    author = {"name": xml_safe(config.author.name or config.name)}
    if config.author.email:
        author["email"] = config.author.email
    fg.author(author)
    newest = _newest(items)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for item, updated in zip(items, distinct_updates(items), strict=True):
        _entry(fg.add_entry(order="append"), item, updated, config, rss)
    return fg


def _entry(fe: Any, item: Rendered, updated: dt.datetime, config: Config, rss: bool) -> None:
    issue, view = item.issue, item.view
    fe.id(issue.id)
    fe.guid(issue.id, permalink=False)
    fe.title(xml_safe(issue.title))
    fe.link(href=view.url)  # Atom's rel defaults to alternate; feedgen drops rel/type on entries
    fe.published(issue.date)
    fe.updated(updated)
    summary = xml_safe(view.preheader)
    if summary:
        fe.summary(summary)
        # RSS writes content:encoded only beside a description, which is HTML: escape the text.
        fe.description(escape(summary, quote=False) if rss else summary)
    fe.content(xml_safe(item.article_html), type="html")
    for tag in issue.tags:
        fe.category(term=xml_safe(tag))
    name = xml_safe(issue.author or config.author.name or config.name)
    if config.author.email and name == config.author.name:
        fe.author(name=name, email=config.author.email)
    else:
        fe.author(name=name)
        fe.dc.dc_creator(name)  # RSS <author> must be an email address


def rss(config: Config, items: Sequence[Rendered]) -> bytes:
    """Return the RSS 2.0 feed of ``items`` (newest first)."""
    fg = _generator(config, items, config.base_url + RSS_FILE, "application/rss+xml", rss=True)
    return bytes(fg.rss_str(pretty=True))


def atom(config: Config, items: Sequence[Rendered]) -> bytes:
    """Return the Atom 1.0 feed of ``items`` (newest first)."""
    fg = _generator(config, items, config.base_url + ATOM_FILE, "application/atom+xml")
    return bytes(fg.atom_str(pretty=True))


def json_feed(config: Config, items: Sequence[Rendered]) -> bytes:
    """Return the JSON Feed 1.1 of ``items`` (newest first)."""
    author = {"name": config.author.name or config.name}
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": config.name,
        "home_page_url": config.base_url,
        "feed_url": config.base_url + JSON_FILE,
        "description": config.description or config.name,
        "language": config.language,
        "authors": [author],
        "items": [],
    }
    for item in items:
        issue, view = item.issue, item.view
        entry: dict[str, Any] = {
            "id": issue.id,
            "url": view.url,
            "title": issue.title,
            "content_html": item.article_html,
        }
        if view.preheader:
            entry["summary"] = view.preheader
        if item.feed_image:
            entry["image"] = item.feed_image
        entry["date_published"] = issue.date.isoformat()
        if issue.updated:
            entry["date_modified"] = _updated(item).isoformat()
        if issue.tags:
            entry["tags"] = list(issue.tags)
        entry["authors"] = [{"name": issue.author or author["name"]}]
        feed["items"].append(entry)
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sitemap(urls: Sequence[tuple[str, dt.datetime | None]]) -> bytes:
    """Return a sitemap of (absolute URL, last modified) pairs."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for url, modified in urls:
        lastmod = f"<lastmod>{modified.date().isoformat()}</lastmod>" if modified else ""
        lines.append(f"  <url><loc>{escape(url, quote=False)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")
