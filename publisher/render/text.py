"""The plain-text twin, rendered from the same token tree as the email (never scraped from HTML)."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field

import nh3
from markdown_it.token import Token

from publisher.model.markdown import (
    button_of,
    callout_of,
    caption_and_credit,
    close_index,
    standalone_image,
)
from publisher.render.sanitize import absolute_url
from publisher.strings import Strings

#: Lines are wrapped at this width (mail clients show about 78 columns).
WIDTH = 72


@dataclass
class PlainText:
    """The body as wrapped text, its numbered link references and its footnotes."""

    body: str
    links: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)


def render_text(
    tokens: list[Token], base_url: str, width: int = WIDTH, strings: Strings | None = None
) -> PlainText:
    """Render a body's tokens as plain text: links are [1], [2]... in the order they are
    read (body, then notes), and footnotes [^1], [^2]... as the HTML numbers them: a reader
    tells a note from a link, and each kind's numbers run in reading order. Struck words
    (``~~old~~``) are left out (docs/writing.md says why)."""
    renderer = _TextRenderer(base_url, strings or Strings("en"))
    blocks = renderer.blocks(tokens, 0, len(tokens), width)
    return PlainText("\n\n".join(blocks), renderer.links, renderer.notes)


def note_mark(number: int) -> str:
    """Return how the text twin marks footnote ``number``: ``[^1]``, Markdown's own footnote
    mark (the caret reads as "raised"), never a link's plain ``[1]``."""
    return f"[^{number}]"


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str = "") -> str:
    """Wrap one paragraph; hard line breaks are kept; URLs and words are never split."""
    lines: list[str] = []
    for n, part in enumerate(text.split("\n")):
        indent = first if n == 0 else rest
        lines.extend(greedy_wrap(part, width, indent, rest) or [indent.rstrip()])
    return "\n".join(lines)


#: What ``textwrap`` breaks at and turns into spaces: ASCII whitespace only, so a no-break
#: space (French spacing, ``10\u00a0km``) never ends a line.
_BREAKS = "\t\n\x0b\x0c\r "
_TO_SPACE = dict.fromkeys(map(ord, _BREAKS), ord(" "))
_CHUNKS = re.compile(f"([{re.escape(_BREAKS)}]+)")


def greedy_wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Return the lines ``textwrap.TextWrapper(width, initial_indent=first,
    subsequent_indent=rest, break_long_words=False, break_on_hyphens=False).wrap(text)``
    gives, without building a wrapper for every paragraph (the property tests compare both).

    Each line ends at the last space that leaves it short enough (``str.rfind``), the spaces
    there are dropped; a word longer than the line stands alone, whole.
    """
    if _NEEDS_SPACES.search(text):
        text = text.expandtabs().translate(_TO_SPACE)
    if (
        text[:1] == " "
        or width - max(len(first), len(rest)) < 1
        or (not text.isascii() and _BLANK_WORD.search(text))
    ):  # kept leading spaces, no room, a "word" textwrap drops as blank: its own way
        return _chunk_wrap(text, width, first, rest)
    lines: list[str] = []
    end = len(text)
    start = 0
    indent = first
    while start < end:
        room = width - len(indent)
        if end - start <= room:
            stop = end
        else:
            stop = text.rfind(" ", start, start + room + 1)
            if stop < 0:  # a word longer than the line
                stop = text.find(" ", start)
                stop = end if stop < 0 else stop
        line = text[start:stop].rstrip(" ")
        if line:
            lines.append(indent + line)
        indent = rest
        start = stop
        while start < end and text[start] == " ":
            start += 1
    return lines


#: Whitespace other than the space, which becomes spaces before wrapping.
_NEEDS_SPACES = re.compile(f"[{re.escape(_BREAKS.replace(' ', ''))}]")
#: A word made of other whitespace only (no-break spaces, say): ``textwrap`` drops it at the
#: start or end of a line as if it were spaces.
_BLANK_WORD = re.compile(r"(?<![^ ])[^\S ]+(?![^ ])")


def _chunk_wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``textwrap``'s own loop over words and runs of spaces (for text that starts with
    spaces, a "word" of other whitespace only, or indents that leave no room)."""
    chunks = [c for c in _CHUNKS.split(text) if c]
    chunks.reverse()
    lines: list[str] = []
    while chunks:
        indent = rest if lines else first
        room = width - len(indent)
        if lines and not chunks[-1].strip():
            chunks.pop()
        line: list[str] = []
        length = 0
        while chunks and length + len(chunks[-1]) <= room:
            length += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and len(chunks[-1]) > room and not line:
            line.append(chunks.pop())  # a word longer than the line stands alone, whole
        if line and not line[-1].strip():
            line.pop()
        if line:
            lines.append(indent + "".join(line))
    return lines


def strip_tags(html: str) -> str:
    """Return the text of an HTML fragment (scripts and styles dropped with their content)."""
    return html_lib.unescape(nh3.clean(html, tags=set(), clean_content_tags={"script", "style"}))


class _NoteMark(str):
    """A footnote mark among an inline's parts (it outlives struck words around it)."""

    __slots__ = ()


#: Where struck words were, and the spaces either side of them.
_STRUCK = "\x00"
_GAP = re.compile(f"( ?){_STRUCK}( ?)(?=(.?))", re.DOTALL)


def _closed_gap(match: re.Match[str]) -> str:
    """One space where struck words stood between two words, none before punctuation."""
    before, after, following = match.groups()
    if before and after:
        return " "
    return before or after if following.isalnum() else ""


class _TextRenderer:
    def __init__(self, base_url: str, strings: Strings) -> None:
        self.base_url = base_url
        self.strings = strings
        self.links: list[str] = []
        self.notes: list[tuple[int, str]] = []

    # -- blocks --

    def blocks(self, tokens: list[Token], start: int, end: int, width: int) -> list[str]:
        out: list[str] = []
        i = start
        while i < end:
            close = close_index(tokens, i)
            text = self.block(tokens, i, close, width)
            if text is not None:
                out.append(text)
            i = close + 1
        return out

    def block(self, tokens: list[Token], i: int, close: int, width: int) -> str | None:
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            title = wrap(self.inline(tokens[i + 1]), width)
            level = int(token.tag[1])
            if level <= 2:
                longest = max(len(line) for line in title.split("\n"))
                return f"{title}\n{('=' if level == 1 else '-') * min(longest, width)}"
            return title
        if kind == "paragraph_open":
            inline = tokens[i + 1]
            found = standalone_image(inline)
            if found:
                return self.image(found[0], found[1], width)
            button = button_of(inline)
            if button:
                url = absolute_url(button[0], self.base_url)
                return wrap(f"{button[1]}{self.strings.colon} {url}", width)
            text = self.inline(inline)
            return wrap(text, width) if text else None  # a paragraph all struck goes
        if (variant := callout_of(token)) is not None:
            label = f"[{self.strings.gettext(variant)}]"
            return "\n\n".join([label, *self.blocks(tokens, i + 1, close, width)])
        if kind in ("bullet_list_open", "ordered_list_open"):
            return self.list_block(tokens, i, close, width)
        if kind == "blockquote_open":
            inner = "\n\n".join(self.blocks(tokens, i + 1, close, width - 2))
            return "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
        if kind in ("fence", "code_block"):
            return "\n".join(
                f"    {line}".rstrip() for line in token.content.rstrip("\n").split("\n")
            )
        if kind == "hr":
            return "* * *".center(width).rstrip()
        if kind == "html_block":
            text = strip_tags(token.content).strip()
            return wrap(" ".join(text.split()), width) if text else None
        if kind == "table_open":
            return self.table(tokens, i, close, width)
        if kind == "footnote_block_open":
            self.footnotes(tokens, i, close, width)
            return None
        return None

    def list_block(self, tokens: list[Token], i: int, close: int, width: int) -> str:
        ordered = tokens[i].type == "ordered_list_open"
        number = int(tokens[i].attrGet("start") or 1)
        items = []
        j = i + 1
        while j < close:
            item_close = close_index(tokens, j)
            marker = f"{number}. " if ordered else "- "
            inner = "\n".join(self.blocks(tokens, j + 1, item_close, width - len(marker)))
            lines = inner.split("\n")
            items.append(
                "\n".join(
                    [marker + lines[0]]
                    + [(" " * len(marker) + line).rstrip() for line in lines[1:]]
                )
            )
            number += 1
            j = item_close + 1
        return "\n".join(items)

    def table(self, tokens: list[Token], i: int, close: int, width: int) -> str:
        """One line a row, cells between bars; a row too long for the line goes on indented."""
        rows: list[list[str]] = []
        for token in tokens[i:close]:
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline" and rows:
                rows[-1].append(self.inline(token))
        return "\n".join(wrap(" | ".join(row), width, "", "  ") for row in rows)

    def image(self, image: Token, href: str | None, width: int) -> str:
        caption, credit = caption_and_credit(str(image.attrGet("title") or ""), self.strings.tag)
        label = self._image_label(image.content)
        if credit:
            label += f" ({credit})"
        lines = [wrap(label, width)]
        if caption:
            lines.append(wrap(caption, width))
        if href:
            lines.append(absolute_url(href, self.base_url))
        return "\n".join(lines)

    def footnotes(self, tokens: list[Token], i: int, close: int, width: int) -> None:
        j = i + 1
        while j < close:
            if tokens[j].type == "footnote_open":
                note_close = close_index(tokens, j)
                number = int(tokens[j].meta["id"]) + 1
                marker = f"{note_mark(number)} "
                text = "\n\n".join(self.blocks(tokens, j + 1, note_close, width - len(marker)))
                indented = "\n".join(
                    (marker if n == 0 else " " * len(marker)) + line if line else ""
                    for n, line in enumerate(text.split("\n"))
                )
                self.notes.append((number, indented))
                j = note_close
            j += 1

    # -- inline --

    def inline(self, token: Token) -> str:
        parts: list[str] = []
        hrefs: list[str] = []
        link_start: list[int] = []
        #: Where each struck run open now starts: in ``parts`` and in ``self.links``.
        struck: list[tuple[int, int]] = []
        for child in token.children or []:
            kind = child.type
            if kind in ("text", "code_inline"):
                parts.append(child.content)
            elif kind == "s_open":
                struck.append((len(parts), len(self.links)))
            elif kind == "s_close" and struck:
                # Struck words are withdrawn ones: plain text cannot strike them, so they go
                # (docs/writing.md), their new links with them; a note mark stays.
                start, links = struck.pop()
                marks = [p for p in parts[start:] if isinstance(p, _NoteMark)]
                del parts[start:]
                del self.links[links:]
                parts += [_STRUCK, *marks]
            elif kind == "softbreak":
                parts.append(" ")
            elif kind == "hardbreak":
                parts.append("\n")
            elif kind == "link_open":
                hrefs.append(str(child.attrGet("href") or ""))
                link_start.append(len(parts))
            elif kind == "link_close" and hrefs:
                href = hrefs.pop()
                label = "".join(parts[link_start.pop() :])
                parts.append(self.reference(href, label))
            elif kind == "image":
                parts.append(self._image_label(child.content))
            elif kind == "footnote_ref":
                parts.append(_NoteMark(note_mark(int(child.meta["id"]) + 1)))
            elif kind == "html_inline":
                parts.append(strip_tags(child.content))
        text = "".join(parts)
        return _GAP.sub(_closed_gap, text).strip(" ") if _STRUCK in text else text

    def _image_label(self, alt: str) -> str:
        word = self.strings.gettext("image")
        return f"[{word}{self.strings.colon} {alt}]" if alt else f"[{word}]"

    def reference(self, href: str, label: str) -> str:
        """Return what follows a link's text: its URL inline when the text is the URL, else [n]."""
        url = absolute_url(href, self.base_url)
        if not url:
            return ""
        bare = url.removeprefix("mailto:")
        if label.strip() in (url, bare, href) or url.rstrip("/") == label.strip().rstrip("/"):
            return ""
        if url not in self.links:
            self.links.append(url)
        return f" [{self.links.index(url) + 1}]"
