"""Feeds: RSS 2.0 and Atom 1.0 through feedgen, JSON Feed 1.1 and the sitemap written here.

Every date comes from front matter (never the build time), every URL is absolute, and entries
keep the permanent id fixed when the issue was first published. Which document is made, and
what it links to, is its channel (``channels``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from publisher import __version__
from publisher.config import Config
from publisher.render.channels import SITE, Channel

if TYPE_CHECKING:
    from publisher.render.rendered import Rendered

RSS_FILE = "feed.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
SITEMAP_FILE = "sitemap.xml"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: RFC 5005's namespace: ``fh:archive`` marks an archive document.
FH_NS = "http://purl.org/syndication/history/1.0"
_ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class FeedHistory:
    """A feedgen extension: RFC 5005's ``fh:archive`` and links, in Atom and in RSS 2.0.

    feedgen writes RSS's ``atom:link`` for ``rel="self"`` alone, so the history links are
    added here; extensions run before the entries are appended, so these land in the head.
    """

    def __init__(self) -> None:
        self.archive = False
        self.links: list[tuple[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        """Declare the ``fh`` namespace (in archive documents only)."""
        return {"fh": FH_NS} if self.archive else {}

    def extend_atom(self, feed: Any) -> Any:
        """Mark an Atom archive document (feedgen writes its links itself)."""
        if self.archive:
            _element(feed, f"{{{FH_NS}}}archive")
        return feed

    def extend_rss(self, feed: Any) -> Any:
        """Add the history links and the archive mark to the RSS channel."""
        channel = feed[0]
        for rel, href in self.links:
            _element(channel, f"{{{_ATOM_NS}}}link", rel=rel, href=href)
        if self.archive:
            _element(channel, f"{{{FH_NS}}}archive")
        return feed


class EntryLanguage:
    """A feedgen extension: an Atom entry's ``xml:lang``, for an issue in another language
    than its feed's."""

    def __init__(self) -> None:
        self.tag = ""

    def extend_ns(self) -> dict[str, str]:
        """Declare no namespace (``xml:`` is XML's own)."""
        return {}

    def extend_atom(self, entry: Any) -> Any:
        """Set the entry's language."""
        if self.tag:
            entry.set(_XML_LANG, self.tag)
        return entry

    def extend_rss(self, item: Any) -> Any:
        """Leave an RSS item as it is: RSS has no language of its own for an item."""
        return item


class _NoFeedPart:
    """The feed-level half of ``EntryLanguage`` (feedgen wants one): it adds nothing."""

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, feed: Any) -> Any:
        return feed

    def extend_rss(self, feed: Any) -> Any:
        return feed


def _element(parent: Any, tag: str, **attributes: str) -> None:
    from feedgen.util import xml_elem

    xml_elem(tag, parent, **attributes)


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


def _title(config: Config, channel: Channel) -> str:
    return f"{config.name} — {channel.subject}" if channel.subject else config.name


def _generator(
    config: Config,
    items: Sequence[Rendered],
    channel: Channel,
    name: str,
    self_type: str,
    rss: bool = False,
) -> Any:
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    history = channel.history(config, name)
    if channel.archive or history:
        fg.register_extension("fh", FeedHistory, None, atom=True, rss=True)
        fg.fh.archive = channel.archive
        fg.fh.links = history if rss else []
    # An archive keeps the site feed's id (RFC 5005: the same feed, in parts); a tag's feed is
    # another feed, identified by its page.
    fg.id(channel.home(config))
    fg.title(xml_safe(_title(config, channel)))
    # RSS descriptions are HTML, Atom's subtitle and summary text: escape the text for RSS.
    description = xml_safe(config.description) or xml_safe(config.name)
    fg.description(escape(description, quote=False) if rss else description)
    # RSS takes the channel link from the last link added: self first, then the page.
    fg.link(href=channel.url(config, name), rel="self", type=self_type)
    for rel, href in history:
        fg.link(href=href, rel=rel, type=self_type)
    fg.link(href=channel.home(config), rel="alternate", type="text/html")
    language = _language(config, channel)
    fg.language(language)
    if any(item.issue.language != language for item in items):
        fg.register_extension("xlang", _NoFeedPart, EntryLanguage, atom=True, rss=False)
    fg.generator("publisher", version=__version__)
    author = {"name": xml_safe(config.author.name or config.name)}
    if config.author.email:
        author["email"] = config.author.email
    fg.author(author)
    newest = _newest(items)
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for item, updated in zip(items, distinct_updates(items), strict=True):
        fe = fg.add_entry(order="append")
        if item.issue.language != language:
            fe.xlang.tag = item.issue.language
        _entry(fe, item, updated, config, rss)
    return fg


def _language(config: Config, channel: Channel) -> str:
    """Return the language of a feed document: its channel's, else the newsletter's."""
    return channel.language or config.language


#: An IRI's scheme: an id without one (a Ghost post's, imported) is no Atom id.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def atom_id(issue_id: str) -> str:
    """Return an issue's Atom id: its id when it is an IRI, else a URN made from it (the
    same for the same id, forever), as Atom requires one; RSS and JSON Feed keep the id."""
    if _SCHEME.match(issue_id):
        return issue_id
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, issue_id)}"


def _entry(fe: Any, item: Rendered, updated: dt.datetime, config: Config, rss: bool) -> None:
    issue, view = item.issue, item.view
    fe.guid(issue.id, permalink=False)  # (feedgen's guid sets the Atom id too: then the id)
    fe.id(issue.id if rss else atom_id(issue.id))
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


def rss(config: Config, items: Sequence[Rendered], channel: Channel = SITE) -> bytes:
    """Return the RSS 2.0 feed document of ``items`` (newest first)."""
    fg = _generator(config, items, channel, RSS_FILE, "application/rss+xml", rss=True)
    # The RSS Profile's advice (the W3C validator warns otherwise): "&" and "<" in text as
    # hexadecimal references, which XML reads as the same characters lxml's entities are.
    return bytes(fg.rss_str(pretty=True)).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")


def atom(config: Config, items: Sequence[Rendered], channel: Channel = SITE) -> bytes:
    """Return the Atom 1.0 feed document of ``items`` (newest first)."""
    fg = _generator(config, items, channel, ATOM_FILE, "application/atom+xml")
    return bytes(fg.atom_str(pretty=True))


def json_feed(config: Config, items: Sequence[Rendered], channel: Channel = SITE) -> bytes:
    """Return the JSON Feed 1.1 document of ``items`` (newest first); ``next_url`` leads to
    the next older archive, as JSON Feed has no archives of its own."""
    author = {"name": config.author.name or config.name}
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _title(config, channel),
        "home_page_url": channel.home(config),
        "feed_url": channel.url(config, JSON_FILE),
        "description": config.description or config.name,
        "language": _language(config, channel),
        "authors": [author],
        "items": [],
    }
    if channel.older:
        feed["next_url"] = channel.url(config, JSON_FILE, channel.older)
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
        if issue.language != feed["language"]:
            entry["language"] = issue.language
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
