"""Markdown parsing: one markdown-it token tree per issue, shared by every renderer."""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

#: A line that cites: ``Source: BBC News``, ``(Source: BBC News)``, ``Sources:``, ``Photo:``...
SOURCE_LINE = re.compile(r"^\(?\s*(sources?|via|data|photos?|credits?)\s*:", re.IGNORECASE)
#: A source line's start, from a position in a text (after any spaces).
_SOURCE_AT = re.compile(r"\s*" + SOURCE_LINE.pattern.removeprefix("^"), SOURCE_LINE.flags)
_BREAKS = ("softbreak", "hardbreak")
CREDIT_SEPARATOR = " | "


def N_(key: str) -> str:
    """Mark a key of the theme's words for Babel's extraction (it is looked up later)."""
    return key


#: The boxed asides an author writes as ``::: note`` ... ``:::`` (their labels are words keys).
CALLOUTS = (N_("note"), N_("correction"), N_("sponsor"))
#: The class that makes a link alone in its paragraph a button: ``[Register](https://...){.button}``.
BUTTON = "button"


class _SchemeLinkify(LinkifyIt):  # type: ignore[misc]
    """Links bare URLs that have a scheme (https://...), never guessed ones like "Node.js".

    With fuzzy matching off every link contains "//" or "mailto:", so texts without either skip
    linkify-it's costly patterns: half of all parsing time otherwise.
    """

    def pretest(self, text: str) -> bool:
        return ("//" in text or "mailto:" in text) and bool(super().pretest(text))

    def test(self, text: str) -> bool:
        return ("//" in text or "mailto:" in text) and bool(super().test(text))


@lru_cache(maxsize=16)
def parser(tag: str = "en") -> MarkdownIt:
    """Return the shared parser: CommonMark, tables, strikethrough, footnotes, smart typography
    (the quotation marks and, for French, the spacing of the language ``tag``)."""
    from publisher.language import marks
    from publisher.typography import french_spacing

    quotes, french = marks(tag)
    md = MarkdownIt(
        "commonmark", {"typographer": True, "linkify": True, "html": True, "quotes": list(quotes)}
    )
    md.enable(["table", "strikethrough", "replacements", "smartquotes", "linkify"])
    md.linkify = _SchemeLinkify(options={"fuzzy_link": False, "fuzzy_email": False})
    md.use(footnote_plugin)
    md.use(attrs_plugin)
    for name in CALLOUTS:
        md.use(container_plugin, name=name)
    if french:
        md.core.ruler.push("french_spacing", french_spacing)
    return md


@dataclass
class Document:
    """A parsed issue body: the token stream and what renderers need to know about it."""

    tokens: list[Token]
    env: dict[str, Any] = field(default_factory=dict)
    #: Its relative links and images, resolved (``refs.Ref``), once ``refs.resolve`` has run.
    refs: tuple[Any, ...] = ()
    #: Every id a link's ``#fragment`` may name on its page: the headings' (``anchors``), the
    #: footnotes' and those in its raw HTML.
    anchors: frozenset[str] = frozenset()

    @property
    def first_paragraph(self) -> str:
        """Return the plain text of the first paragraph that is not only an image."""
        for i, token in enumerate(self.tokens):
            if token.type == "paragraph_open" and token.level == 0:
                inline = self.tokens[i + 1]
                if standalone_image(inline) is None:
                    return inline_text(inline).strip()
        return ""

    def images(self) -> list[Token]:
        """Return every image token, in order."""
        return [
            c
            for t in self.tokens
            if t.type == "inline"
            for c in (t.children or [])
            if c.type == "image"
        ]


def parse(body: str, tag: str = "en") -> Document:
    """Parse a Markdown body once; mark source lines so every renderer can style them.

    A source line at the end of a paragraph (after a line break) becomes a paragraph of its own.
    """
    env: dict[str, Any] = {"language": tag}
    tokens: list[Token] = []
    parsed = parser(tag).parse(body, env)
    i = 0
    while i < len(parsed):
        token = parsed[i]
        if token.type == "paragraph_open" and i + 2 < len(parsed):
            inline, close = parsed[i + 1], parsed[i + 2]
            parts = _split_source(inline)
            whole = len(parts) == 1  # most paragraphs: their own tokens serve, not copies
            for part in parts:
                opening, ending = (token, close) if whole else (_copy(token), _copy(close))
                opening.map = part.map
                if SOURCE_LINE.match(inline_text(part).strip()):
                    opening.attrJoin("class", "source")
                tokens += [opening, part, ending]
            i += 3
            continue
        tokens.append(token)
        i += 1
    return Document(tokens, env, anchors=_anchors(tokens, env))


def _anchors(tokens: list[Token], env: dict[str, Any]) -> frozenset[str]:
    """Give the headings their ids; return every id of the body's page."""
    from publisher.model.anchors import assign_ids, footnote_ids, html_ids

    notes = len(env.get("footnotes", {}).get("list", {}))
    return frozenset([*assign_ids(tokens, inline_text), *footnote_ids(notes), *html_ids(tokens)])


def _copy(token: Token) -> Token:
    return dataclasses.replace(token, attrs=dict(token.attrs))


def _split_source(inline: Token) -> list[Token]:
    """Return a paragraph's inline content, cut before each line that starts like a source line.

    One pass, no recursion: a paragraph of thousands of lines costs no more than reading them.
    """
    children = inline.children or []
    pieces = [_visible(child) for child in children]
    offsets = list(itertools.accumulate(map(len, pieces), initial=0))
    text = "".join(pieces)
    cuts = [
        n
        for n, child in enumerate(children[:-1])
        if child.type in _BREAKS and _SOURCE_AT.match(text, offsets[n + 1])
    ]
    if not cuts:
        return [inline]
    lines = inline.content.split("\n")
    start = inline.map[0] if inline.map else 0
    end = inline.map[1] if inline.map else start + len(lines)
    parts: list[Token] = []
    first = used = 0  # the first child and the first line of the part being cut
    for n in cuts:
        count = sum(1 for c in children[first:n] if c.type in _BREAKS) + 1
        head = Token("inline", "", 0, children=children[first:n])
        head.content = "\n".join(lines[used : used + count])
        head.map = [start + used, start + used + count]
        parts.append(head)
        first, used = n + 1, used + count
    tail = Token("inline", "", 0, children=children[first:], content="\n".join(lines[used:]))
    tail.map = [start + used, end]
    return [*parts, tail]


def _visible(child: Token) -> str:
    """Return the visible text of one inline token: its text, code or image alt; a break is a
    space."""
    if child.type in ("text", "code_inline", "html_inline_text", "image"):
        return child.content
    return " " if child.type in _BREAKS else ""


def inline_text(token: Token) -> str:
    """Return the visible text of an inline token: text, code, image alt, breaks as spaces."""
    return "".join(_visible(child) for child in token.children or [])


def standalone_image(inline: Token) -> tuple[Token, str | None] | None:
    """Return (image, link href) when a paragraph holds a single image (maybe linked), else None."""
    children = [
        c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())
    ]
    if len(children) == 1 and children[0].type == "image":
        return children[0], None
    if (
        len(children) == 3
        and children[0].type == "link_open"
        and children[1].type == "image"
        and children[2].type == "link_close"
    ):
        return children[1], str(children[0].attrGet("href") or "")
    return None


def callout_of(token: Token) -> str | None:
    """Return the kind of callout (``note``...) a token opens, or None."""
    if token.type.startswith("container_") and token.type.endswith("_open"):
        return token.type[len("container_") : -len("_open")]
    return None


def button_of(inline: Token) -> tuple[str, str] | None:
    """Return (href, words) when a paragraph holds only a link marked ``{.button}``."""
    children = [
        c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())
    ]
    if len(children) < 3 or children[0].type != "link_open" or children[-1].type != "link_close":
        return None
    if BUTTON not in str(children[0].attrGet("class") or "").split():
        return None
    if any(c.type in ("link_open", "link_close", "image") for c in children[1:-1]):
        return None
    words = "".join(c.content for c in children[1:-1] if c.type in ("text", "code_inline"))
    return str(children[0].attrGet("href") or ""), words.strip()


#: Words that open a credit, in the languages the theme speaks (and the credit is often in
#: English whatever the issue's language): ``Photo: K. Lee``, ``Quelle: dpa``, ``出典：…``.
CREDIT_WORDS = (
    "sources?|photos?|photographs?|pictures?|credits?|illustrations?|via|courtesy"  # en
    "|quelle|fotos?|bild"  # de
    "|fuente|fotografía|imagen|crédito|ilustración"  # es
    "|crédit"  # fr
    "|fonte|crediti|credito|illustrazione"  # it
    "|bron|beeld|illustratie"  # nl
    "|źródło|zdjęcie|ilustracja"  # pl
    "|ilustração"  # pt
    "|المصدر|مصدر|الصورة|صورة|تصوير"  # ar
    "|מקור|צילום|קרדיט|איור"  # he
    "|出典|写真|提供|クレジット|画像"  # ja
)
#: An image title that is itself a credit: a credit word and a colon, a copyright sign, or
#: Polish ``Fot.`` (written without a colon).
CREDIT_TITLE = re.compile(
    rf"^\(?\s*(?:(?:{CREDIT_WORDS})\s*[:：]|©|\(c\)\s|fot\.\s)", re.IGNORECASE
)


def caption_and_credit(title: str, tag: str = "en") -> tuple[str, str]:
    """Split an image title ``"Caption | Credit"`` into its caption and credit, typeset in the
    language ``tag``; a title that is itself a credit (``"Source: Kremlin Photo"``, ``"© AP"``:
    ``CREDIT_TITLE``) is all credit."""
    from publisher.typography import typeset

    caption, _, credit = title.partition(CREDIT_SEPARATOR)
    if not credit and CREDIT_TITLE.match(caption.strip()):
        caption, credit = "", caption
    return typeset(caption.strip(), tag), typeset(credit.strip(), tag)


def close_index(tokens: list[Token], start: int) -> int:
    """Return the index of the token that closes the block opened at ``start``."""
    if tokens[start].nesting != 1:
        return start
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1
