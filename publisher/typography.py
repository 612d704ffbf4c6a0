"""Typography for text outside the Markdown body: titles, subtitles, summaries, captions.

The body gets smart quotes and dashes from markdown-it's typographer; these strings get the very
same rules, so ``pump's`` is ``pump’s`` everywhere, not only in the body.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

#: What the typographer changes: quotes, and the replacements (dashes, ellipsis, (c)...).
_TYPOGRAPHIC = re.compile(r"""['"]|--|\.\.|\((?:c|r|tm)\)|\+-|\?\?\?|!!!!|,,""", re.IGNORECASE)


@lru_cache(maxsize=1)
def _typographer() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("zero", {"typographer": True}).enable(["replacements", "smartquotes"])


def typeset(text: str) -> str:
    """Return ``text`` with the body's smart quotes and dashes; nothing else is interpreted
    (no Markdown, no HTML)."""
    if not text or not _TYPOGRAPHIC.search(text):
        return text
    tokens = _typographer().parseInline(text)
    children = tokens[0].children or [] if tokens else []
    out = "".join(c.content if c.type == "text" else "\n" for c in children)
    return out if out.replace("\n", " ").strip() else text
