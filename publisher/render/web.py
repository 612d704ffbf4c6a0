"""The article HTML of the web pages and the feeds (the pages around it: ``pages``)."""

from __future__ import annotations

import html as html_lib
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote.index import (
    render_footnote_anchor,
    render_footnote_anchor_name,
    render_footnote_block_close,
    render_footnote_block_open,
    render_footnote_close,
    render_footnote_open,
    render_footnote_ref,
)

from publisher.model.markdown import (
    Document,
    callout_of,
    caption_and_credit,
    close_index,
    parser,
    standalone_image,
)
from publisher.render.context import SocialImage
from publisher.render.email import picture_of
from publisher.render.images import Picture, card_variant, feed_variant, web_variants, webp_twin
from publisher.render.sanitize import absolute_url, clean
from publisher.render.shelf import Gallery
from publisher.strings import Strings

#: The width the web page shows a figure at (the article column of the bundled stylesheet).
SIZES = "(max-width: 42rem) calc(100vw - 2.5rem), 39.5rem"


class WebRenderer(RendererHTML):
    """markdown-it's HTML renderer: a local image in a paragraph is shown by its variant, a
    source line is small print (in feed readers too, which drop classes), and footnotes are
    numbered references and a list of notes at the end, each linking to the other."""

    # The footnote plugin adds its rules to its parser's own renderer only: this one takes them
    # as methods. Ids: fn1 for a note, fnref1 for its first reference, fnref1:1 for the next.
    footnote_ref = render_footnote_ref
    footnote_block_open = render_footnote_block_open
    footnote_block_close = render_footnote_block_close
    footnote_open = render_footnote_open
    footnote_close = render_footnote_close
    footnote_anchor = render_footnote_anchor
    footnote_anchor_name = render_footnote_anchor_name

    def footnote_caption(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        """Return a reference's label: the note's number, [1], for each reference to it, as
        the email and the plain text number it (the plugin labels the second one [1:1])."""
        return f"[{int(tokens[idx].meta['id']) + 1}]"

    def _callout_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        variant = callout_of(tokens[idx]) or ""
        words = env.get("strings")
        label = html_lib.escape(words.gettext(variant) if words else variant.title())
        return f'<aside class="callout callout-{variant}">\n<p class="callout-label">{label}</p>\n'

    def _callout_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return "</aside>\n"

    # The boxed asides (``markdown.CALLOUTS``): ::: note, ::: correction, ::: sponsor.
    container_note_open = container_correction_open = container_sponsor_open = _callout_open
    container_note_close = container_correction_close = container_sponsor_close = _callout_close

    def paragraph_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        opening = self.renderToken(tokens, idx, options, env)
        return opening + "<small>" if tokens[idx].attrGet("class") == "source" else opening

    def paragraph_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        source = _opening(tokens, idx).attrGet("class") == "source"
        return ("</small>" if source else "") + self.renderToken(tokens, idx, options, env)

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        picture, gallery = picture_of(token), env.get("gallery")
        if picture is None or gallery is None:
            return super().image(tokens, idx, options, env)
        alt = html_lib.escape(self.renderInlineAsText(token.children or [], options, env))
        variant = feed_variant(picture)
        src = quote(gallery.use(variant, int(token.meta.get("line", 0))))
        return (
            f'<img src="{src}" alt="{alt}" width="{variant.width}" height="{variant.height}" '
            'loading="lazy" decoding="async">'
        )


@lru_cache(maxsize=1)
def _web_renderer() -> WebRenderer:
    """Return the web renderer (it keeps no state; making one looks up all its methods)."""
    return WebRenderer()


def _opening(tokens: Sequence[Token], close: int) -> Token:
    """Return the token that opens the block ``close`` ends."""
    depth = 0
    for j in range(close, -1, -1):
        depth += tokens[j].nesting
        if depth == 0:
            return tokens[j]
    return tokens[close]


def article_html(
    doc: Document, base_url: str, gallery: Gallery | None, words: Strings | None = None
) -> str:
    """Render the body for web and feeds: figures, scrolling tables, footnotes, callouts,
    buttons, absolute URLs."""
    md = parser()
    renderer = _web_renderer()
    env = {**doc.env, "gallery": gallery, "strings": words}
    parts: list[str] = []
    tokens = doc.tokens
    first_figure = True
    i = 0
    while i < len(tokens):
        end = close_index(tokens, i)
        group = tokens[i : end + 1]
        found = standalone_image(tokens[i + 1]) if tokens[i].type == "paragraph_open" else None
        if found:
            tag = str(doc.env.get("language", "en"))
            parts.append(_figure(found[0], found[1], gallery, first_figure, tag))
            first_figure = False
        elif tokens[i].type == "table_open":
            table = renderer.render(group, md.options, env)
            parts.append(f'<div class="table-wrap">{table}</div>\n')
        else:
            parts.append(renderer.render(group, md.options, env))
        i = end + 1
    return clean("".join(parts), base_url)


def _figure(
    image: Token, href: str | None, gallery: Gallery | None, lead: bool, tag: str = "en"
) -> str:
    picture = picture_of(image)
    alt = html_lib.escape(image.content)
    # The lead photo is the page's largest paint: fetch it first, never lazily.
    loading = ' fetchpriority="high"' if lead else ' loading="lazy"'
    if picture is None or gallery is None:
        src = html_lib.escape(str(image.attrGet("src") or ""))
        img = f'<img src="{src}" alt="{alt}"{loading} decoding="async">'
    else:
        img = _picture(picture, alt, gallery, int(image.meta.get("line", 0)), loading)
    if href:
        img = f'<a href="{html_lib.escape(href)}">{img}</a>'
    caption, credit = caption_and_credit(str(image.attrGet("title") or ""), tag)
    figcaption = ""
    if caption or credit:
        credit_html = f' <small class="credit">{html_lib.escape(credit)}</small>' if credit else ""
        figcaption = f"<figcaption>{html_lib.escape(caption)}{credit_html}</figcaption>"
    return f"<figure>{img}{figcaption}</figure>\n"


def _picture(picture: Picture, alt: str, gallery: Gallery, line: int, loading: str) -> str:
    """Return a local image as ``<picture>``: a ``srcset`` over the standard widths, and a WebP
    alternative when it comes out smaller than the JPEG or PNG."""
    variants = web_variants(picture)
    fallback = feed_variant(picture)
    srcset = ", ".join(f"{quote(gallery.use(v, line))} {v.width}w" for v in variants)
    img = (
        f'<img src="{quote(gallery.use(fallback, line))}" srcset="{srcset}" sizes="{SIZES}" '
        f'alt="{alt}" width="{fallback.width}" height="{fallback.height}"{loading} '
        'decoding="async">'
    )
    twins = [webp_twin(v) for v in variants]
    widest = twins[-1]
    if widest is None or not gallery.smaller(widest, variants[-1]):
        return img
    webp = ", ".join(f"{quote(gallery.use(t, line))} {t.width}w" for t in twins if t)
    return f'<picture><source type="image/webp" srcset="{webp}" sizes="{SIZES}">{img}</picture>'


def social_image(
    doc: Document,
    front_matter: str,
    card: Picture | None,
    focus: tuple[float, float],
    base_url: str,
    gallery: Gallery | None,
) -> tuple[SocialImage | None, str]:
    """Return the issue's social card and the absolute URL of its feed image: the front
    matter's ``image`` (``card``, when it is a local file), else the first image."""
    line, alt = 0, ""
    if card is None and not front_matter:
        first = doc.images()
        if first:
            card, alt = picture_of(first[0]), first[0].content
            line = int((first[0].meta or {}).get("line", 0))
            if card is None:
                front_matter = str(first[0].attrGet("src") or "")
    if card is not None and gallery is not None:
        for token in doc.images():
            if picture_of(token) == card:
                alt = alt or token.content
        variant = card_variant(card, focus)
        url = absolute_url(quote(gallery.use(variant, line)), base_url)
        feed = absolute_url(quote(gallery.use(feed_variant(card), line)), base_url)
        return SocialImage(url, variant.width, variant.height, alt), feed
    if front_matter:
        url = absolute_url(front_matter, base_url)
        return SocialImage(url, 0, 0, alt), url
    return None, ""
