"""Heading ids: the stable ASCII anchors of an issue's sections (``#military-cooperation``).

Ids are given once, when the body is parsed, so the page, the feeds and ``check`` name a
section the same way. A heading's id comes from its own text only: a repeated heading gets
``-2``, ``-3`` in order, so editing one heading never renames another.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from markdown_it.token import Token

#: The ids the web page gives its own elements (``templates/base.html.j2``): a heading's id
#: never takes one of them.
PAGE_IDS = frozenset({"content", "subscribe-title", "subscribe-email"})
#: The ids of footnotes and their references (``fn1``, ``fnref1``, ``fnref1:1``).
FOOTNOTE_ID = re.compile(r"fn(?:ref)?\d+(?::\d+)?")
#: The id of a heading with nothing to spell in ASCII (emoji or punctuation alone).
FALLBACK = "section"
#: The longest id, cut at a hyphen: a heading can be a whole sentence.
MAX_LENGTH = 60
#: An ``id`` attribute in the author's raw HTML (``<a id="costs"></a>``).
_HTML_ID = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE)


@lru_cache(maxsize=4096)
def heading_slug(text: str) -> str:
    """Return the ASCII slug of a heading's text: any script transliterated (``Москва`` →
    ``moskva``, ``Crème brûlée`` → ``creme-brulee``), lower case, words joined by hyphens."""
    from anyascii import anyascii

    slug = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    if len(slug) > MAX_LENGTH:
        cut = slug[: MAX_LENGTH + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:MAX_LENGTH]
    return slug or FALLBACK


def _taken(slug: str, used: set[str]) -> bool:
    return slug in used or slug in PAGE_IDS or FOOTNOTE_ID.fullmatch(slug) is not None


def assign_ids(tokens: list[Token], text_of: Callable[[Token], str]) -> tuple[str, ...]:
    """Give every heading of a token stream an id (an author's own ``{#id}`` stays); return
    them in order. ``text_of`` returns the visible text of a heading's inline token."""
    headings = [(n, t) for n, t in enumerate(tokens) if t.type == "heading_open"]
    used = {str(t.attrGet("id")) for _, t in headings if t.attrGet("id")}
    ids = []
    for n, token in headings:
        given = token.attrGet("id")
        if given:
            ids.append(str(given))
            continue
        slug = base = heading_slug(text_of(tokens[n + 1]) if n + 1 < len(tokens) else "")
        count = 1
        while _taken(slug, used):
            count += 1
            slug = f"{base}-{count}"
        used.add(slug)
        token.attrSet("id", slug)
        ids.append(slug)
    return tuple(ids)


def footnote_ids(count: int) -> Iterable[str]:
    """Return the ids of ``count`` footnotes and of their first references."""
    for n in range(1, count + 1):
        yield f"fn{n}"
        yield f"fnref{n}"


def html_ids(tokens: Iterable[Token]) -> Iterable[str]:
    """Return the ids written in the body's raw HTML."""
    for token in tokens:
        sources = [token] if token.type == "html_block" else token.children or []
        for part in sources:
            if part.type in ("html_block", "html_inline"):
                for match in _HTML_ID.finditer(part.content):
                    yield next(g for g in match.groups() if g is not None)
