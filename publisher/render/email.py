"""The email: token tree → MJML blocks → mjml-python → inlined CSS."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import css_inline
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

from publisher.errors import PublisherError
from publisher.model.markdown import (
    Document,
    button_of,
    callout_of,
    caption_and_credit,
    close_index,
    parser,
    standalone_image,
)
from publisher.render.context import Block, Endnote
from publisher.render.images import Picture, display_size, email_variant
from publisher.render.nesting import MAX_DEPTH, TooDeep, deep_line, too_deep
from publisher.render.sanitize import absolute_url, clean, keep_spaces
from publisher.render.shelf import Gallery

#: The email body's width and the text column inside its side padding.
BODY_WIDTH = 600
SIDE_PADDING = 24
CONTENT_WIDTH = BODY_WIDTH - 2 * SIDE_PADDING
#: The width the bundled theme shows the logo at.
LOGO_WIDTH = 160


class EmailRenderer(RendererHTML):
    """markdown-it's HTML renderer with email-safe footnote references and images."""

    def footnote_ref(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        number = int(tokens[idx].meta["id"]) + 1
        return f'<sup class="fn-ref">{number}</sup>'

    def footnote_anchor(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return ""

    def softbreak(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return " "

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return code_box(tokens[idx].content)

    def code_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return code_box(tokens[idx].content)

    def table_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return TABLE_SCROLL_OPEN + self.renderToken(tokens, idx, options, env)

    def table_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return self.renderToken(tokens, idx, options, env) + TABLE_SCROLL_CLOSE

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        alt = html_lib.escape(self.renderInlineAsText(token.children or [], options, env))
        src, width, height = _email_image(token, CONTENT_WIDTH, env.get("gallery"))
        size = f'width="{width}"' + (f' height="{height}"' if height else "")
        return f'<img src="{html_lib.escape(src)}" alt="{alt}" {size} class="inline-img">'


#: Spaces a tab stands for in a code block shown without ``white-space: pre``.
TAB_SIZE = 4
_SPACES = re.compile(r" {2,}")


def _code_line(line: str) -> str:
    """One line of code as HTML that keeps its spaces where ``white-space`` is dropped: the
    indentation all no-break spaces, a run of spaces inside the line no-break spaces but its last
    (the line may still wrap there)."""
    text = html_lib.escape(line.expandtabs(TAB_SIZE), quote=False)
    body = text.lstrip(" ")
    indent = "&nbsp;" * (len(text) - len(body))
    body = _SPACES.sub(lambda m: "&nbsp;" * (len(m.group(0)) - 1) + " ", body)
    return indent + body if indent or body else "&nbsp;"


def box(html: str, kind: str) -> str:
    """``html`` in a one-cell table whose cell carries the padding: Outlook's Word engine
    ignores padding on ``div``, ``blockquote`` and ``pre`` (and rounds no corner)."""
    return (
        f'<table class="box {kind}" role="presentation"><tbody><tr>'
        f'<td class="box {kind}">{html}</td></tr></tbody></table>'
    )


#: A data table scrolls sideways inside a box as wide as the text column, never widening the
#: email: a table of six short columns is wider than a phone's column, and a table cell grows
#: to what it holds unless its table has a fixed layout (#34, row 1: every client at 320 px).
TABLE_SCROLL_OPEN, TABLE_SCROLL_CLOSE = box(
    '<div class="table-scroll">\x00</div>', "table-box"
).split("\x00")


def code_box(code: str) -> str:
    """A code block that needs no ``white-space`` support (Samsung Email, Outlook for Windows,
    Windows Mail, Gmail apps with other accounts drop it): one line per ``<br>``, leading spaces
    as no-break spaces, long lines wrapping inside its box."""
    lines = code.removesuffix("\n").split("\n")
    return box("<br>".join(_code_line(line) for line in lines), "code-box")


@lru_cache(maxsize=1)
def _email_renderer() -> EmailRenderer:
    """Return the email renderer (it keeps no state; making one looks up all its methods)."""
    return EmailRenderer()


def picture_of(token: Token) -> Picture | None:
    """Return the local picture an image token shows (``refs.resolve`` put it there), if any."""
    picture = (token.meta or {}).get("picture")
    return picture if isinstance(picture, Picture) else None


def _email_image(token: Token, column: int, gallery: Gallery | None) -> tuple[str, int, int]:
    """Return the src, shown width and height of an image in a ``column`` px wide column: a
    local one becomes its email variant (twice as wide as shown)."""
    picture = picture_of(token)
    src = str(token.attrGet("src") or "")
    if picture is None or gallery is None:
        return src, column, 0
    width, height = display_size(picture, column)
    name = gallery.use(email_variant(picture, width), int(token.meta.get("line", 0)), email=True)
    return quote(name), width, height


def fragment_renderer(
    doc: Document, base_url: str, gallery: Gallery | None, bounded: bool = True
) -> Callable[[list[Token]], str]:
    """Return a function that renders some of ``doc``'s tokens as safe, absolute email HTML;
    ``bounded``, it raises ``TooDeep`` at the line where they nest too deep for MJML."""
    renderer = _email_renderer()
    options = parser().options
    env = {**doc.env, "gallery": gallery}

    def safe(tokens: list[Token]) -> str:
        return clean(renderer.render(tokens, options, env), base_url)

    def deep(tokens: list[Token]) -> bool:
        return too_deep(safe(tokens), MAX_DEPTH) is not None

    def render(tokens: list[Token]) -> str:
        html = safe(tokens)
        if bounded and too_deep(html, MAX_DEPTH) is not None:  # it would crash mjml-python
            raise TooDeep.at_line(deep_line(tokens, deep))
        # Safe HTML, marked so: a template shows it as HTML without `|safe`.
        return Markup(keep_spaces(html))

    return render


def email_blocks(
    doc: Document, base_url: str, gallery: Gallery | None
) -> tuple[list[Block], list[Endnote]]:
    """Group the top-level tokens into email blocks; collect footnotes as endnotes."""
    render = fragment_renderer(doc, base_url, gallery)
    blocks: list[Block] = []
    endnotes: list[Endnote] = []
    pending: list[Token] = []

    def flush() -> None:
        if pending:
            blocks.append(Block(kind="text", html=render(pending)))
            pending.clear()

    tokens = doc.tokens
    i = 0
    while i < len(tokens):
        token = tokens[i]
        end = close_index(tokens, i)
        group = tokens[i : end + 1]
        if token.type == "heading_open":
            flush()
            blocks.append(Block(kind="heading", html=render(group[1:2]), level=int(token.tag[1])))
        elif token.type == "paragraph_open" and (found := standalone_image(tokens[i + 1])):
            flush()
            image, href = found
            tag = str(doc.env.get("language", "en"))
            blocks.append(_image_block(image, href, base_url, gallery, not blocks, tag))
        elif token.type == "paragraph_open" and (button := button_of(tokens[i + 1])):
            flush()
            blocks.append(
                Block(kind="button", href=absolute_url(button[0], base_url), label=button[1])
            )
        elif (variant := callout_of(token)) is not None:
            flush()
            html = Markup(render(group[1:-1]))  # the theme boxes it, with its label
            blocks.append(Block(kind="callout", variant=variant, html=html))
        elif token.type == "hr":
            flush()
            blocks.append(Block(kind="rule"))
        elif token.type == "blockquote_open":
            flush()
            blocks.append(Block(kind="quote", html=_boxed(render(group[1:-1]), "quote-box")))
        elif token.type == "footnote_block_open":
            flush()
            endnotes.extend(_endnotes(group, render))
        else:
            pending.extend(group)
        i = end + 1
    flush()
    return blocks, endnotes


def _boxed(html: str, kind: str) -> str:
    """A callout's or quote's safe HTML in its padded one-cell table, still marked safe."""
    return Markup(box(html, kind))


def _image_block(
    image: Token, href: str | None, base_url: str, gallery: Gallery | None, lead: bool, tag: str
) -> Block:
    src, width, height = _email_image(image, BODY_WIDTH if lead else CONTENT_WIDTH, gallery)
    caption, credit = caption_and_credit(str(image.attrGet("title") or ""), tag)
    return Block(
        kind="image",
        src=absolute_url(src, base_url),
        alt=image.content,
        width=width,
        height=height,
        href=absolute_url(href, base_url) if href else "",
        caption=caption,
        credit=credit,
        lead=lead,
    )


def _endnotes(group: list[Token], render: Callable[[list[Token]], str]) -> list[Endnote]:
    """Return the footnotes in their order, numbered 1, 2, 3... as their references are: the
    template's plain ``<ol>`` numbers them so (no ``<li value>``: Outlook closes the list
    before each such item)."""
    notes = []
    for j, token in enumerate(group):
        if token.type == "footnote_open":
            close = close_index(group, j)
            notes.append(
                Endnote(
                    number=int(token.meta["id"]) + 1,
                    html=render(group[j + 1 : close]),
                    text="",
                )
            )
    return notes


def isolate_direction(tokens: list[Token], direction: str) -> None:
    """Give each top-level block of fixed-language text (a sign-off from the settings:
    "Until next week," in an Arabic issue) whose own direction, by its first strong letter as
    ``dir="auto"`` finds it, is not the issue's ``direction`` that direction as ``dir``: the
    block is isolated from the issue's direction (``unicode-bidi: isolate``) and its
    punctuation stays at its end, not ",Until next week". An explicit ``dir``, not ``auto``:
    Outlook and other mail programs know ``ltr`` and ``rtl`` only."""
    for n, token in enumerate(tokens):
        if token.level != 0 or token.nesting != 1:
            continue
        inline = "".join(
            child.content
            for t in tokens[n : close_index(tokens, n) + 1]
            if t.type == "inline"
            for child in t.children or []
            if child.type == "text"
        )
        own = _first_strong(inline)
        if own and own != direction:
            token.attrSet("dir", own)


def _first_strong(text: str) -> str:
    """Return the direction of ``text``'s first strong letter, or "" if it has none."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return ""


# --- compiling ---------------------------------------------------------------------------------


def compile_mjml(mjml: str, template: Path) -> str:
    """Compile MJML to HTML; a theme's invalid MJML becomes a user error naming the template."""
    from mjml import mjml2html

    try:
        return str(mjml2html(mjml, disable_comments=True, fonts={}))
    except Exception as exc:  # mjml-python raises a bare ValueError-like error from Rust
        raise PublisherError.at(
            f"the email template produced invalid MJML: {exc}",
            template,
            hint="check the MJML tags in that template (see https://documentation.mjml.io)",
        ) from exc


_IMG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'\ssrc="([^"]*)"')


def image_heights(html: str, heights: Mapping[str, int]) -> str:
    """Give each ``<img>`` whose src is in ``heights`` that height as its ``height`` attribute
    where MJML wrote ``height="auto"``: the inline style keeps ``height: auto``, so the image
    keeps its aspect ratio at every width, while clients that size by attributes (Outlook)
    reserve the right box."""
    if not heights:
        return html

    def sized(match: re.Match[str]) -> str:
        tag = match.group(0)
        src = _SRC.search(tag)
        height = heights.get(html_lib.unescape(src.group(1))) if src else None
        return tag.replace(' height="auto"', f' height="{height}"', 1) if height else tag

    return _IMG.sub(sized, html)


_IGNORE = ' data-css-inline="ignore"'


def inline_css(html: str, css: str) -> str:
    """Inline ``css`` into the elements; keep MJML's and the theme's <style> blocks as they are."""
    marked = html.replace("<style", "<style" + _IGNORE)
    out = css_inline.inline(
        marked,
        extra_css=css,
        keep_style_tags=True,
        keep_link_tags=True,
        load_remote_stylesheets=False,
        minify_css=True,
    )
    return str(out).replace(_IGNORE, "")
