"""HTML safety and portability: strip what must never reach a reader, make every URL absolute."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache, partial
from urllib.parse import urljoin, urlsplit

import nh3

#: Tags an author's HTML may use; everything else is dropped (scripts, iframes and forms with it).
TAGS = set(nh3.ALLOWED_TAGS) | {"section", "figure", "figcaption", "picture", "source"}
#: Tags whose content goes too, not only the tag.
DROP_WITH_CONTENT = {"script", "style", "iframe", "form", "object", "embed", "template", "noscript"}
GLOBAL_ATTRIBUTES = {"class", "id", "title", "lang", "dir", "role", "aria-hidden", "aria-label"}
ATTRIBUTES: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
ATTRIBUTES["*"] = GLOBAL_ATTRIBUTES
ATTRIBUTES.setdefault("img", set()).update(
    {"srcset", "sizes", "loading", "decoding", "fetchpriority", "style"}
)
ATTRIBUTES.setdefault("source", set()).update({"srcset", "media", "type", "sizes"})
ATTRIBUTES.setdefault("td", set()).update({"style"})
ATTRIBUTES.setdefault("th", set()).update({"style"})
URL_SCHEMES = {"http", "https", "mailto", "tel"}
URL_ATTRIBUTES = {"href", "src", "cite"}
WEB = {"http", "https"}
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _without_position(style: str) -> str:
    """Drop ``position`` and ``z-index`` from an inline style: no overlay over a reader's mail.

    A property name written with CSS escapes (``p\\osition``) is dropped too.
    """
    kept = []
    for declaration in _COMMENT.sub("", style).split(";"):
        name = declaration.partition(":")[0].strip().lower()
        if "\\" in name or name in ("position", "z-index"):
            continue
        kept.append(declaration)
    return ";".join(kept).strip()


def _cleaner(map_url: Callable[[str], str]) -> nh3.Cleaner:
    """Return a sanitizer that passes every URL attribute through ``map_url``."""

    def filter_attribute(tag: str, attr: str, value: str) -> str | None:
        if attr in URL_ATTRIBUTES:
            return map_url(value)
        if attr == "srcset":  # only web addresses: nh3 does not check the URLs of a srcset
            items = (item.strip().split(maxsplit=1) for item in value.split(","))
            kept = [
                " ".join([map_url(i[0]), *i[1:]])
                for i in items
                if i and urlsplit(absolute_url(i[0], "https://x.invalid/")).scheme in WEB
            ]
            return ", ".join(kept) or None
        if attr == "style":
            return _without_position(value) or None
        return value

    return nh3.Cleaner(
        tags=TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


#: How the one shared sanitizer maps each URL, for the fragment being cleaned now.
_MAP_URL: ContextVar[Callable[[str], str]] = ContextVar("map_url")


@lru_cache(maxsize=1)
def _shared_cleaner() -> nh3.Cleaner:
    """Return the sanitizer, made once (making one costs more than cleaning a fragment)."""
    return _cleaner(lambda url: _MAP_URL.get()(url))


def _clean_with(html: str, map_url: Callable[[str], str]) -> str:
    token = _MAP_URL.set(map_url)
    try:
        return str(_shared_cleaner().clean(html))
    finally:
        _MAP_URL.reset(token)


def clean(html: str, base_url: str) -> str:
    """Sanitize an HTML fragment and resolve its relative URLs against ``base_url``; a link
    left without an address (``javascript:`` removed) is no link any more (``unlink``)."""
    return unlink(_clean_with(html, partial(absolute_url, base_url=base_url)))


#: A link in the sanitizer's output: its attributes (values quoted, ``>`` escaped) and text
#: (links never nest there: the parser closes one before the next opens).
_LINK = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)
_ATTRIBUTE = re.compile(r'\s([^\s="]+)(="[^"]*")?')


def _unlinked(match: re.Match[str]) -> str:
    attributes = _ATTRIBUTE.findall(match.group(1))
    if any(name.lower() == "href" for name, _ in attributes):
        return match.group(0)
    kept = "".join(f" {name}{value}" for name, value in attributes if name.lower() != "hreflang")
    return f"<span{kept}>{match.group(2)}</span>" if kept else match.group(2)


def unlink(html: str) -> str:
    """Return sanitized HTML with each ``<a>`` that has no ``href`` (the sanitizer removed a
    ``javascript:`` or other unsafe address) as its text: a reader's mail and the page style
    every ``a`` as a link, and one that leads nowhere must not look like one. Its other
    attributes (an ``id`` a link may point at) stay, on a ``<span>``."""
    return _LINK.sub(_unlinked, html) if "<a" in html else html


def absolute_url(url: str, base_url: str) -> str:
    """Resolve ``url`` against ``base_url``; leave merge tags and ``mailto:``/``tel:`` alone."""
    url = url.strip()
    if not url or urlsplit(url).scheme in URL_SCHEMES:
        return url
    return urljoin(base_url, url)


def relative_url(url: str, page_url: str, site_url: str, root: str) -> str:
    """Return ``url`` relative to the page when it points inside the site, else unchanged."""
    if url.startswith(page_url):
        return url[len(page_url) :] or "./"
    if url.startswith(site_url):
        return root + url[len(site_url) :] or "./"
    return url


def relative_links(html: str, page_url: str, site_url: str, root: str) -> str:
    """Make a fragment's links into the site relative, so a copy of site/ works anywhere."""
    return _clean_with(html, partial(relative_url, page_url=page_url, site_url=site_url, root=root))


_PRE = re.compile(r"(<pre\b.*?</pre>)", re.DOTALL | re.IGNORECASE)
_NEWLINE_GAP = re.compile(r">[ \t]*\n\s*<")


def keep_spaces(html: str) -> str:
    """Turn newline-only gaps between tags into spaces (outside ``<pre>``).

    mjml-python drops a text node that is only a line break, so ``<b>a</b>\\n<i>b</i>`` would
    show as "ab"; a plain space survives.
    """
    parts = _PRE.split(html)
    return "".join(part if i % 2 else _NEWLINE_GAP.sub("> <", part) for i, part in enumerate(parts))
