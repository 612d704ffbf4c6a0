"""An exported post's HTML body into clean Markdown, as a writer would have written it.

Three passes: a structural pass keyed on the platforms' classes (BeautifulSoup) drops their
boilerplate (subscribe, share and comment buttons, sign-up forms, "originally published"
footers, tracking pixels) and turns their cards into plain HTML (captioned images, footnotes,
embeds as links); ``nh3`` then removes whatever could run (scripts, event handlers,
``javascript:`` links, iframes, forms); a ``markdownify`` converter writes the Markdown.
What was left out is counted in a ``Dropped`` tally for the report. (A Markdown body is
cleaned in ``markdown``, with this module's ``nh3`` cleaning.)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import nh3
from bs4 import BeautifulSoup, Comment, Tag
from markdownify import MarkdownConverter


class Dropped(Counter[str]):
    """A tally of what was left out, by kind ("subscribe button", "script", "tracking pixel")."""


#: Containers that are platform chrome, by class: dropped whole.
BOILERPLATE_CLASSES = {
    "subscription-widget-wrap": "subscribe form",
    "subscription-widget-wrap-editor": "subscribe form",
    "subscribe-widget": "subscribe form",
    "kg-signup-card": "subscribe form",
    "kg-cta-card": "call to action",
    "share-dialog": "share widget",
    "sharedaddy": "share widget",
    "jp-relatedposts": "related posts",
    "post-ufi": "share widget",
    "poll-embed": "poll",
}
#: Chrome inside images and cards: dropped without a word (it shows nothing in Markdown).
CHROME = "button, svg, source, style, .image-link-expand, .kg-toggle-card-icon, noscript"
#: A paragraph that is a footer the platform appended to every post.
FOOTERS = (
    re.compile(r"was originally published in .* on Medium", re.S),
    re.compile(r"^The post .* appeared first on .*\.?$", re.S),
    re.compile(r"^Thanks for reading .*(subscribe|Subscribe)", re.S),
)
#: A link whose target marks a platform button (Substack's button-wrapper paragraphs).
BUTTONS = (
    ("action=share", "share button"),
    ("utm_content=share", "share button"),
    ("gift=true", "gift button"),
    ("/comments", "comment button"),
    ("/subscribe", "subscribe button"),
)
TRACKERS = (
    "medium.com/_/stat",
    "/pixel.gif",
    "/pixel.png",
    "/track/open",
    "/o.gif",
    "/open.gif",
    "list-manage.com/track",
)
#: A template tag of the platform's (``{{ subscribe_form }}``, ``{% if x %}``), whole.
TEMPLATE_TAG = re.compile(r"\{\{(?:(?!\}\}).)*\}\}|\{%(?:(?!%\}).)*%\}", re.S)
FOOTNOTE = "@@FN{}@@"
FOOTNOTE_MARK = re.compile(r"@@FN(\w+)@@")


def unproxy(src: str) -> str:
    """Return the original address of an image behind Substack's CDN proxy (else ``src``)."""
    parts = urlsplit(src)
    last = src.rsplit("/", 1)[-1]
    proxied = parts.hostname == "substackcdn.com" and parts.path.startswith("/image/fetch/")
    if proxied and last.lower().startswith("http"):
        src = unquote(last)
    parts = urlsplit(src)
    if parts.hostname and re.match(r"bucketeer-[\w-]+\.s3\.amazonaws\.com$", parts.hostname):
        src = src.replace(parts.hostname, "substack-post-media.s3.amazonaws.com", 1)
    return src


def _classes(el: Tag) -> list[str]:
    value: Any = el.get("class") or []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def _attrs(el: Tag) -> dict[str, Any]:
    """Return a card's ``data-attrs`` JSON (decoded twice when it was escaped twice)."""
    raw = el.get("data-attrs")
    for _ in range(2):
        if not isinstance(raw, str):
            break
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def _link(soup: BeautifulSoup, href: str, text: str) -> Tag:
    p = soup.new_tag("p")
    a = soup.new_tag("a", href=href)
    a.string = text
    p.append(a)
    return p


def _embed_link(src: str) -> tuple[str, str]:
    """Return the page an embedded player's address shows, and a label for its link."""
    parts = urlsplit(src)
    host = (parts.hostname or "").removeprefix("www.")
    match = re.match(r"/embed/([\w-]+)", parts.path)
    if "youtube" in host and match:
        return f"https://www.youtube.com/watch?v={match.group(1)}", "Watch on YouTube"
    if host == "player.vimeo.com" and (match := re.match(r"/video/(\d+)", parts.path)):
        return f"https://vimeo.com/{match.group(1)}", "Watch on Vimeo"
    return src, f"Embedded content from {host or src}"


def _is_pixel(img: Tag) -> bool:
    src = str(img.get("src") or "")
    sizes = [str(img.get(k) or "").strip().removesuffix("px") for k in ("width", "height")]
    if sizes[0] in ("0", "1") or sizes[1] in ("0", "1"):
        return True
    return any(t in src for t in TRACKERS)


def prepare(html: str, base: str, dropped: Dropped) -> tuple[str, list[str]]:
    """Run the structural pass: return the HTML and the footnotes' bodies (HTML), in order."""
    soup = BeautifulSoup(html, "html.parser")
    _drop_chrome(soup, dropped)
    _buttons(soup, dropped)
    _footers(soup, dropped)
    _embeds(soup, dropped)
    _images(soup, base, dropped)
    _links(soup, base, dropped)
    notes = _footnotes(soup)
    return str(soup), notes


def _drop_chrome(soup: BeautifulSoup, dropped: Dropped) -> None:
    """Drop comments, scripts, the platforms' chrome and boilerplate, forms, paywall markers."""
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        if "members-only" in comment or "paywall" in comment:
            dropped["paywall marker"] += 1
        comment.extract()
    for el in soup.select("script"):
        dropped["script"] += 1
        el.decompose()
    for el in soup.select(CHROME):
        el.decompose()
    for cls, kind in BOILERPLATE_CLASSES.items():
        for el in soup.find_all(class_=cls):
            if el.parent is not None:
                dropped[kind] += 1
                el.decompose()
    for el in soup.select("form"):
        dropped["form"] += 1
        el.decompose()
    for el in soup.select("div.paywall-jump, .paywall"):
        dropped["paywall marker"] += 1
        el.decompose()


def _buttons(soup: BeautifulSoup, dropped: Dropped) -> None:
    """Drop the platforms' buttons (subscribe, share...); a button to some page is a link."""
    for el in soup.select("p.button-wrapper, div.kg-button-card, a.button"):
        if el.parent is None:
            continue
        a = el if el.name == "a" else el.find("a")
        href = str(a.get("href") or "") if a else ""
        kind = next((k for key, k in BUTTONS if key in href), "")
        if kind or ("button-wrapper" in _classes(el) and not href):
            dropped[kind or "button"] += 1
            el.decompose()
        elif a is not None and el.name != "a":  # a button to some page: keep it as a link
            el.replace_with(_link(soup, href, a.get_text(" ", strip=True) or href))


def _footers(soup: BeautifulSoup, dropped: Dropped) -> None:
    """Drop the footers a platform appends (and the rule before one), and the paragraphs that
    are a template tag alone (never one in code)."""
    for p in soup.find_all("p"):
        text = p.get_text(" ", strip=True)
        if any(f.search(text) for f in FOOTERS):
            dropped["platform footer"] += 1
            rule = p.find_previous_sibling(True)
            if rule is not None and rule.name == "hr":  # the rule that set the footer apart
                rule.decompose()
            p.decompose()
        elif TEMPLATE_TAG.fullmatch(text) and p.find(["code", "pre"]) is None:
            dropped["template tag"] += 1
            p.decompose()


def _images(soup: BeautifulSoup, base: str, dropped: Dropped) -> None:
    """Drop tracking pixels; give each image its original, absolute address."""
    for img in soup.find_all("img"):
        if _is_pixel(img):
            dropped["tracking pixel"] += 1
            img.decompose()
            continue
        src = str(img.get("src") or "")
        if not src:
            attrs = _attrs(img)
            src = str(attrs.get("src") or "")
        try:
            img["src"] = urljoin(base, unproxy(src)) if src else ""
        except ValueError:  # no address (``http://[::1/x.png``): no image
            dropped["bad address"] += 1
            img.decompose()


def _links(soup: BeautifulSoup, base: str, dropped: Dropped) -> None:
    """Drop links that run a script, and event handlers; make the other links absolute."""
    for a in soup.find_all("a", href=True):
        href = str(a["href"]).strip()
        if href.lower().startswith(("javascript:", "vbscript:", "data:")):
            dropped["script link"] += 1
            del a["href"]
        elif base and not href.startswith("#"):
            try:
                a["href"] = urljoin(base, href)
            except ValueError:  # no address (``http://[::1/``): its text alone
                dropped["bad address"] += 1
                del a["href"]
    for el in soup.find_all(True):
        for name in [n for n in el.attrs if n.lower().startswith("on")]:
            dropped["event handler"] += 1
            del el[name]


def _embeds(soup: BeautifulSoup, dropped: Dropped) -> None:
    """Turn the platforms' embeds into links, and iframes into links to what they show."""
    for el in soup.select("div.youtube-wrap, div[data-component-name=Youtube2ToDOM]"):
        video = _attrs(el).get("videoId") or str(el.get("id", "")).removeprefix("youtube2-")
        if el.parent is not None and video:
            url = f"https://www.youtube.com/watch?v={video}"
            el.replace_with(_link(soup, url, "Watch on YouTube"))
    for el in soup.select("div.embedded-post-wrap, div.digest-post-embed"):
        attrs = _attrs(el)
        anchor = el.find("a", href=True)
        href = str(anchor["href"]) if anchor else ""
        url = str(attrs.get("url") or attrs.get("canonical_url") or href)
        title = str(
            attrs.get("title") or (anchor.get_text(" ", strip=True) if anchor else "") or url
        )
        if el.parent is not None and url:
            el.replace_with(_link(soup, str(url), str(title)))
    for el in soup.select("figure.kg-bookmark-card, div.kg-bookmark-card"):
        anchor = el.find("a", href=True)
        title_el = el.select_one(".kg-bookmark-title")
        if anchor is not None:
            title = title_el.get_text(" ", strip=True) if title_el else str(anchor["href"])
            el.replace_with(_link(soup, str(anchor["href"]), title))
    for el in soup.select("div.tweet, blockquote.twitter-tweet"):
        anchors = [a for a in el.find_all("a", href=True) if "/status/" in str(a["href"])]
        if el.parent is not None and anchors:
            url = str(anchors[-1]["href"])
            text_el = el.select_one(".tweet-text") or el.find("p")
            quote = soup.new_tag("blockquote")
            if text_el is not None:
                para = soup.new_tag("p")
                para.string = text_el.get_text(" ", strip=True)
                quote.append(para)
            quote.append(_link(soup, url, "View the post"))
            el.replace_with(quote)
    for el in soup.find_all("iframe"):
        src = str(el.get("src") or "")
        if src.startswith(("https://", "http://", "//")):
            url, label = _embed_link(urljoin("https:", src))
            dropped["iframe (now a link)"] += 1
            el.replace_with(_link(soup, url, label))
        else:
            dropped["iframe"] += 1
            el.decompose()
    for el in soup.select("div.kg-callout-card"):
        emoji = el.select_one(".kg-callout-emoji")
        if emoji is not None:
            emoji.decompose()
        el.name = "aside"
        el.attrs = {"class": "callout"}


def _footnotes(soup: BeautifulSoup) -> list[str]:
    """Mark footnote references in the text, and take the notes out (Substack's, and
    markdown-it's as Ghost and others publish them); return the notes' HTML."""
    notes: list[str] = []
    for a in soup.select("a.footnote-anchor"):
        a.replace_with(FOOTNOTE.format(a.get_text(strip=True)))
    for sup in soup.select("sup.footnote-ref"):
        ref = sup.find("a")
        label = re.sub(r"\D", "", str(ref.get("href") if ref else "")) or sup.get_text(strip=True)
        sup.replace_with(FOOTNOTE.format(re.sub(r"\W", "", label)))
    for div in soup.select("div.footnote"):
        number = div.select_one("a.footnote-number")
        label = number.get_text(strip=True) if number else str(len(notes) + 1)
        if number is not None:
            number.decompose()
        content = div.select_one(".footnote-content") or div
        notes.append(f"{label}\x00{content.decode_contents()}")
        div.decompose()
    for section in soup.select("section.footnotes"):
        for i, li in enumerate(section.find_all("li"), start=1):
            for back in li.select("a.footnote-backref"):
                back.decompose()
            label = re.sub(r"\D", "", str(li.get("id") or "")) or str(i)
            notes.append(f"{label}\x00{li.decode_contents()}")
        section.decompose()
    for hr in soup.select("hr.footnotes-sep"):
        hr.decompose()
    return notes


def sanitize(html: str) -> str:
    """Remove whatever could run, keeping what Markdown can say (and classes, for the converter)."""
    attributes = {k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | {"class"}
    attributes["img"] = attributes.get("img", set()) | {"src", "alt", "title"}
    tags = (set(nh3.ALLOWED_TAGS) | {"figure", "figcaption", "aside"}) - {"iframe", "form"}
    return str(
        nh3.clean(
            html,
            tags=tags,
            attributes=attributes,
            link_rel=None,
            url_schemes=set(SAFE_SCHEMES),
            strip_comments=True,
        )
    )


#: The schemes a link or an image of an imported body may have (a relative address has none).
SAFE_SCHEMES = ("http", "https", "mailto")


CREDIT = re.compile(
    r"\s*[.,;–—|/-]?\s*\(?((?:Photo(?:graph)?|Image|Credit|Illustration|Source|Picture)s?"
    r"(?:\s+by|\s*:)\s*.+?)\)?\s*$",
    re.I,
)


def caption_title(caption: str) -> str:
    """Return an image's title as publisher writes it: ``Caption | Photo: Credit``."""
    caption = " ".join(caption.split())
    match = CREDIT.search(caption)
    if match and match.start() > 0:
        caption = f"{caption[: match.start()].rstrip()} | {match.group(1)}"
    return caption


def _image(src: str, alt: str, title: str) -> str:
    alt = " ".join(alt.split()).replace("[", r"\[").replace("]", r"\]")
    title = caption_title(title).replace("\\", "\\\\").replace('"', '\\"')
    for char in ' ()"<>':
        src = src.replace(char, f"%{ord(char):02X}")
    return f"![{alt}]({src}{f' {chr(34)}{title}{chr(34)}' if title else ''})"


#: Characters of the text of an HTML body that would be Markdown's syntax (``[x](y)``, code,
#: ``{.attributes}``, ``~~struck~~``).
MARKDOWN_CHARS = re.compile(r"([\[\]`{}~])")
#: A line's start that would make it a heading, a list item, a quote or a rule.
LINE_MARKERS = re.compile(r"(^|\n)([ \t]*)(#{1,6}(?=[ \t]|$)|[-+>=](?=[ \t]|$|[-=]))", re.M)
#: A line's start that would make it an item of a numbered list (``1.``, ``1)``).
NUMBERED = re.compile(r"(^|\n)([ \t]*\d{1,9})([.)])(?=[ \t]|$)", re.M)


class IssueConverter(MarkdownConverter):
    """markdownify, knowing publisher's Markdown: captions, callouts, escaped raw HTML."""

    def convert_figure(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        images = [i for i in el.find_all("img") if i.get("src")]
        if not images:
            return str(text)
        cap = el.find("figcaption")
        caption = cap.get_text(" ", strip=True) if cap else ""
        lines = []
        for n, img in enumerate(images):
            title = caption if n == len(images) - 1 else ""
            lines.append(_image(str(img["src"]), str(img.get("alt") or ""), title))
        return "\n\n" + "\n\n".join(lines) + "\n\n"

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        src = str(el.get("src") or "")
        if not src:
            return ""
        return _image(src, str(el.get("alt") or ""), str(el.get("title") or ""))

    def convert_figcaption(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return ""

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if el.find("img") is not None and el.get_text(strip=True) == "":
            return str(text)  # a linked image: the image itself (its link is the full size)
        if not el.get("href"):
            return str(text)
        return str(super().convert_a(el, text, parent_tags))  # type: ignore[misc]

    def convert_aside(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return f"\n\n::: note\n{text.strip()}\n:::\n\n"

    def escape(self, text: str, parent_tags: set[str]) -> str:
        text = str(super().escape(text, parent_tags))  # type: ignore[misc]
        if "_noformat" in parent_tags or "code" in parent_tags or "pre" in parent_tags:
            return str(text)
        # Text that reads as a tag or an entity must stay text in the Markdown.
        text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
        text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
        # And text that reads as Markdown too: links, code, attributes, boxes, and what makes a
        # line a heading, a list item, a quote or a rule.
        text = MARKDOWN_CHARS.sub(r"\\\1", text)
        text = text.replace(":::", "\\:::")
        text = NUMBERED.sub(r"\1\2\\\3", text)
        return LINE_MARKERS.sub(r"\1\2\\\3", text)


def _markdown(html: str) -> str:
    converter = IssueConverter(heading_style="ATX", bullets="-", strong_em_symbol="*")
    return str(converter.convert(html))


def to_markdown(html: str, base: str = "", dropped: Dropped | None = None) -> str:
    """Return the Markdown of an exported body, counting what was left out in ``dropped``."""
    dropped = Dropped() if dropped is None else dropped
    prepared, notes = prepare(html, base, dropped)
    body = _markdown(sanitize(prepared)).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    body = re.sub(r"(\n\n(---|\* \* \*|___))+$", "", body)  # a rule left before a footer
    lines = [body] if body else []
    for note in notes:
        label, content = note.split("\x00", 1)
        text = _markdown(sanitize(content)).strip()
        text = FOOTNOTE_MARK.sub(r"[^\1]", text)
        indented = re.sub(r"\n{3,}", "\n\n", text).replace("\n", "\n    ")
        indented = re.sub(r"\n    (?=\n)", "\n", indented)
        lines.append(f"[^{label}]: {indented}")
    text = FOOTNOTE_MARK.sub(r"[^\1]", "\n\n".join(lines))
    return text + "\n" if text else ""


def plain_text(html: str) -> str:
    """Return an HTML fragment's text on one line (titles, excerpts)."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
