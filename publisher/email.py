"""The email: token tree → MJML blocks → mjml-python → inlined CSS."""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable, Sequence
from pathlib import Path

import css_inline
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from publisher import images
from publisher.context import Block, Endnote
from publisher.errors import PublisherError
from publisher.markdown import (
    Document,
    caption_and_credit,
    close_index,
    parser,
    standalone_image,
)
from publisher.sanitize import absolute_url, clean, keep_spaces

#: The email body's width and the text column inside its side padding.
BODY_WIDTH = 600
SIDE_PADDING = 24
CONTENT_WIDTH = BODY_WIDTH - 2 * SIDE_PADDING


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

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        alt = html_lib.escape(self.renderInlineAsText(token.children or [], options, env))
        src = html_lib.escape(str(token.attrGet("src") or ""))
        width = min(env["image_size"](token)[0] or CONTENT_WIDTH, CONTENT_WIDTH)
        return f'<img src="{src}" alt="{alt}" width="{width}" class="inline-img">'


def fragment_renderer(
    doc: Document, base_url: str, source_dir: Path | None
) -> Callable[[list[Token]], str]:
    """Return a function that renders some of ``doc``'s tokens as safe, absolute email HTML."""
    renderer = EmailRenderer(parser())
    options = parser().options

    def size(token: Token) -> tuple[int, int]:
        return images.local_size(str(token.attrGet("src") or ""), source_dir)

    env = {**doc.env, "image_size": size}

    def render(tokens: list[Token]) -> str:
        return keep_spaces(clean(renderer.render(tokens, options, env), base_url))

    return render


def email_blocks(
    doc: Document, base_url: str, source_dir: Path | None
) -> tuple[list[Block], list[Endnote]]:
    """Group the top-level tokens into email blocks; collect footnotes as endnotes."""
    render = fragment_renderer(doc, base_url, source_dir)
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
            blocks.append(_image_block(image, href, base_url, source_dir, lead=not blocks))
        elif token.type == "hr":
            flush()
            blocks.append(Block(kind="rule"))
        elif token.type == "blockquote_open":
            flush()
            blocks.append(Block(kind="quote", html=render(group[1:-1])))
        elif token.type == "footnote_block_open":
            flush()
            endnotes.extend(_endnotes(group, render))
        else:
            pending.extend(group)
        i = end + 1
    flush()
    return blocks, endnotes


def _image_block(
    image: Token, href: str | None, base_url: str, source_dir: Path | None, lead: bool
) -> Block:
    src = str(image.attrGet("src") or "")
    natural_w, natural_h = images.local_size(src, source_dir)
    column = BODY_WIDTH if lead else CONTENT_WIDTH
    width = min(natural_w, column) if natural_w else column
    height = round(natural_h * width / natural_w) if natural_w and natural_h else 0
    caption, credit = caption_and_credit(str(image.attrGet("title") or ""))
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
    )
    return str(out).replace(_IGNORE, "")
