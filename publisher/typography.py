"""Typography: the body's smart quotes and dashes for every text an issue shows, per language.

markdown-it's typographer gives the body its quotation marks (the language's, from
``language.QUOTES``) and dashes; titles, subtitles, summaries and captions get the very same
rules here, so ``pump's`` is ``pump’s`` everywhere. French also gets a narrow no-break space
before ``; : ! ?`` and inside guillemets, as French typography wants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from publisher.language import marks

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token

#: What the typographer changes: quotes, and the replacements (dashes, ellipsis, (c)...).
_TYPOGRAPHIC = re.compile(r"""['"«»]|--|\.\.|\((?:c|r|tm)\)|\+-|\?\?\?|!!!!|,,""", re.IGNORECASE)
_FRENCH = re.compile(r"[;:!?«»]")
NARROW = "\u202f"
_PUNCTUATION = re.compile(r"[ \u00a0\u202f]?([;:!?]+)")
_AFTER = re.compile(r"[\s\u202f)\]”’»,.]")


@lru_cache(maxsize=16)
def _typographer(tag: str) -> MarkdownIt:
    from markdown_it import MarkdownIt

    quotes, french = marks(tag)
    md = MarkdownIt("zero", {"typographer": True, "quotes": list(quotes)})
    md.enable(["replacements", "smartquotes"])
    if french:
        md.core.ruler.push("french_spacing", french_spacing)
    return md


def typeset(text: str, tag: str = "en") -> str:
    """Return ``text`` with the body's quotes and dashes in the language of ``tag``; nothing
    else is interpreted (no Markdown, no HTML)."""
    if not text or not (_TYPOGRAPHIC.search(text) or (marks(tag)[1] and _FRENCH.search(text))):
        return text
    tokens = _typographer(tag).parseInline(text)
    children = tokens[0].children or [] if tokens else []
    out = "".join(c.content if c.type == "text" else "\n" for c in children)
    return out if out.replace("\n", " ").strip() else text


def french_spacing(state: StateCore) -> None:
    """A markdown-it core rule: French spaces in every inline token of the document."""
    for token in state.tokens:
        if token.type == "inline" and token.children:
            space_french(token.children)


def space_french(children: Sequence[Token]) -> None:
    """Put a narrow no-break space before ; : ! ? and inside « » in text (never in links or
    code), where a space or nothing stood."""
    before = ""
    links = 0
    for child in children:
        if child.type == "link_open":
            links += 1
        elif child.type == "link_close":
            links -= 1
        elif child.type in ("softbreak", "hardbreak"):
            before = " "
        elif child.type == "code_inline":
            before = child.content[-1:] or before
        elif child.type == "text":
            if not links:
                child.content = _french_text(child.content, before)
            before = child.content[-1:] or before


def _french_text(text: str, before: str) -> str:
    text = re.sub(r"«[ \u00a0]?(?=\S)", "«" + NARROW, text)
    text = re.sub(r"(?<=\S)[ \u00a0]?»", NARROW + "»", text)
    out, last = [], 0
    for match in _PUNCTUATION.finditer(text):
        start, end = match.span()
        previous = text[start - 1] if start else before
        following = text[end : end + 1]
        if (
            previous
            and not previous.isspace()
            and previous not in ";:!?«(" + NARROW
            and (not following or _AFTER.match(following))
        ):
            out += [text[last:start], NARROW, match.group(1)]
            last = end
    return "".join(out) + text[last:] if out else text
