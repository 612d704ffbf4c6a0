"""What rendering an issue gives, apart from the renderer: the building process receives
renderings from the rendering processes and loads no Markdown, CSS or email code to read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.model.issue import Issue
    from publisher.render.context import IssueView, SocialImage
    from publisher.render.refs import Ref
    from publisher.render.shelf import Published


@dataclass(frozen=True)
class Rendered:
    """Everything one issue becomes: its email, plain text, and article for the web and feeds."""

    issue: Issue
    view: IssueView
    mjml: str
    html: str
    text: str
    #: The body as sanitized HTML with absolute URLs, for the web page and the feeds.
    article_html: str
    #: The body as its web page shows it (links into the site relative), once made ("": not).
    page_article: str = ""
    #: The social card (front matter ``image``, else the first image), or None.
    image: SocialImage | None = None
    #: Absolute URL of the image a feed entry names (1200 px wide), or "".
    feed_image: str = ""
    #: The files it publishes as they are beside its pages (relative to its folder).
    files: tuple[str, ...] = ()
    #: The image variants it publishes beside its pages.
    images: tuple[Published, ...] = ()
    #: The bytes of the images its email shows (at their email size).
    image_bytes: int = 0
    #: Every local image path it refers to, present or not (what a cached render depends on).
    deps: tuple[str, ...] = ()
    #: The ready-to-send MIME message, once composed (``publisher build`` does).
    eml: bytes = b""
    #: Its relative links and images, resolved.
    refs: tuple[Ref, ...] = ()
