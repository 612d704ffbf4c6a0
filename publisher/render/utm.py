"""UTM tags on the email's links to other sites (``[links] utm``), in its HTML and its text.

A link gets ``utm_source`` (the newsletter), ``utm_medium=email`` and ``utm_campaign`` (the
issue's slug) unless it leads into the newsletter's own site, to a host in ``utm_skip_hosts``,
is the unsubscribe link, or is no web address (``mailto:``, a merge tag). A parameter the link
has already is never replaced. Web pages and feeds are never tagged.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from publisher.config import Config
from publisher.model.issue import title_slug

#: An ``<a>``'s address in the compiled email (its attributes are double-quoted there).
_HREF = re.compile(r'(<a\b[^>]*?\shref=")([^"]*)(")', re.IGNORECASE)
#: A web address in the plain text: up to a space or what cannot end one (a closing
#: parenthesis ends one only when it closes none of its own, as in Wikipedia's addresses).
_TEXT_URL = re.compile(
    r"https?://(?:\([^\s<>\"()]*\)|[^\s<>\"()])*(?:\([^\s<>\"()]*\)|[^\s<>\".,;:!?()\]'’”])"
)


def tagger(config: Config, slug: str) -> Callable[[str], str]:
    """Return what tags one address of the issue ``slug``'s email (unchanged when it must be)."""
    site = urlsplit(config.base_url)
    skip = config.links.utm_skip_hosts
    service = {config.unsubscribe.link, config.unsubscribe.header_url} - {""}
    wanted = {
        "utm_source": title_slug(config.name) or "newsletter",
        "utm_medium": "email",
        "utm_campaign": slug,
    }

    def tag(url: str) -> str:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:  # no address a client can read (an unclosed "["): left as it is
            return url
        if parts.scheme not in ("http", "https") or not host or url in service:
            return url
        if host == site.hostname and parts.path.startswith(site.path or "/"):
            return url  # the newsletter's own pages
        if any(host == h or host.endswith("." + h) for h in skip):
            return url
        query = parse_qsl(parts.query, keep_blank_values=True)
        have = {name for name, _ in query}
        added = [(k, v) for k, v in wanted.items() if k not in have]
        if not added:
            return url
        joined = f"{parts.query}&{urlencode(added)}" if parts.query else urlencode(added)
        return urlunsplit(parts._replace(query=joined))

    return tag


def tag_html(email_html: str, tag: Callable[[str], str]) -> str:
    """Tag every link's address in the email's HTML."""

    def one(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        tagged = tag(url)
        if tagged == url:
            return match.group(0)
        return match.group(1) + html.escape(tagged, quote=True) + match.group(3)

    return _HREF.sub(one, email_html)


def tag_text(text: str, tag: Callable[[str], str]) -> str:
    """Tag every web address in the email's plain text."""
    return _TEXT_URL.sub(lambda m: tag(m.group(0)), text)
