"""The one documented context every template receives.

Each field carries its help text; docs/reference/template-context.md lists them, and a test
checks that none is left undocumented, so a theme author can see every variable a template may
use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from publisher.config import Config
from publisher.model.issue import Issue, slugify


def _doc(text: str, **kwargs: Any) -> Any:
    return field(metadata={"doc": text}, **kwargs)


@dataclass(frozen=True)
class Block:
    """One block of the email body, rendered as one MJML component."""

    kind: str = _doc("`text`, `heading`, `image`, `quote`, `rule`, `button` or `callout`.")
    html: str = _doc(
        "Sanitized HTML of a text, heading, quote or callout block (absolute URLs); a quote's "
        "comes in its box, a callout's is its content alone.",
        default="",
    )
    level: int = _doc("Heading level (2 for `##`) of a heading block.", default=0)
    src: str = _doc("Absolute image URL of an image block.", default="")
    alt: str = _doc("The image's alt text.", default="")
    width: int = _doc("Display width in pixels of an image block.", default=0)
    height: int = _doc("Display height in pixels, 0 when unknown.", default=0)
    href: str = _doc("Link around the image, if any; a button's link.", default="")
    caption: str = _doc("Caption: the image title before its vertical bar.", default="")
    credit: str = _doc(
        "Credit: the image title after its vertical bar, or the whole title when it is one "
        '("Photo: ...", "Source: ..." in the issue\'s language).',
        default="",
    )
    lead: bool = _doc("True for an image that opens the issue: shown full width.", default=False)
    label: str = _doc("A button's words.", default="")
    variant: str = _doc("A callout's kind: `note`, `correction` or `sponsor`.", default="")


@dataclass(frozen=True)
class SocialImage:
    """The image of an issue's social card (``og:image``)."""

    url: str = _doc("Its absolute URL: a 1200×630 crop of a local image, or the web address.")
    width: int = _doc("Its width in pixels (0 for a web address).")
    height: int = _doc("Its height in pixels (0 for a web address).")
    alt: str = _doc("Its alt text (the image's, in the issue), or empty.")


@dataclass(frozen=True)
class Endnote:
    """A footnote, shown at the end of the email."""

    number: int = _doc("The note's number, as shown in the text.")
    html: str = _doc("The note's sanitized HTML.")
    text: str = _doc("The note as wrapped plain text.")


@dataclass(frozen=True)
class IssueView:
    """What templates know of an issue."""

    title: str = _doc("The title.")
    subtitle: str = _doc("The dek under the title (may be empty).")
    subject: str = _doc("The email subject line.")
    date: dt.datetime = _doc("Publication date-time (aware).")
    date_display: str = _doc("The date for people, e.g. `15 July 2025`.")
    url: str = _doc("Absolute URL of the issue's web page (the view-in-browser link).")
    preheader: str = _doc(
        "Inbox preview text: `summary`, else the subtitle, else the first paragraph."
    )
    author: str = _doc("The author's name.")
    tags: tuple[str, ...] = _doc("Tags.")
    draft: bool = _doc("Whether the issue is a draft.")
    signoff_html: str = _doc("The sign-off as HTML (may be empty).")
    signoff_text: str = _doc("The sign-off as plain text (may be empty).")
    language: str = _doc("Its language tag: front matter `language:`, else the newsletter's.")
    direction: str = _doc("`ltr`, or `rtl` for a right-to-left language (Arabic, Hebrew...).")


@dataclass(frozen=True)
class TemplateContext:
    """The variables of every template."""

    newsletter: Config = _doc("The settings (newsletter.toml): `newsletter.name`, `.colors`, ...")
    issue: IssueView = _doc("The issue being rendered.")
    blocks: list[Block] = _doc("The email body, block by block.")
    endnotes: list[Endnote] = _doc("Footnotes as numbered endnotes.")
    body_text: str = _doc("The plain-text body, wrapped, links as [n] references.")
    links: list[str] = _doc("Absolute URLs of the plain-text body's [n] references, in order.")
    unsubscribe_url: str = _doc("Unsubscribe link or merge tag from the settings.")
    logo_url: str = _doc("Absolute URL of the logo (at twice the width it is shown), or empty.")
    logo_height: int = _doc("The logo's height in pixels, shown 160 px wide (0: unknown).")
    logo_dark_url: str = _doc(
        "Absolute URL of the logo for dark mode (at twice the width it is shown), or empty "
        "(always empty without a logo)."
    )
    logo_dark_height: int = _doc("The dark-mode logo's height in pixels, shown 160 px wide.")
    mso_fonts: dict[str, str] = _doc(
        "Font stacks for Outlook for Windows (it uses a stack's first font alone) by role, "
        "`body`, `heading` and `code`: the theme's fonts that Windows has, then a Windows "
        "font of the stack's kind."
    )
    footer_reason: str = _doc("Why the reader gets this email.")
    social: list[tuple[str, str]] = _doc("Footer links as (label, absolute URL).")
    preheader_padding: str = _doc(
        "Invisible characters that keep body text out of the inbox preview."
    )
    version: str = _doc("publisher's version.")

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as template variables (shallow: nested objects stay objects)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class TagLink:
    """A tag and its page."""

    name: str = _doc("The tag as written in front matter.")
    slug: str = _doc("The tag's URL segment.")
    path: str = _doc("The tag page's path from the site root, e.g. `tags/energy/`.")
    count: int = _doc("How many published issues carry it.")


@dataclass(frozen=True)
class IssueLink:
    """An issue as listed on the archive and tag pages and in previous/next links."""

    title: str = _doc("The title.")
    slug: str = _doc("The slug.")
    path: str = _doc("The issue page's path from the site root, e.g. `grain-corridor/`.")
    url: str = _doc("The issue page's absolute URL.")
    date: dt.datetime = _doc("Publication date-time (aware).")
    date_display: str = _doc("The date for people.")
    summary: str = _doc("The summary (else the subtitle, else the first paragraph).")
    tags: tuple[TagLink, ...] = _doc("The issue's tags.")


@dataclass(frozen=True)
class FeedLinks:
    """Absolute URLs of the feeds."""

    rss: str = _doc("RSS 2.0 feed (`feed.xml`).")
    atom: str = _doc("Atom 1.0 feed (`atom.xml`).")
    json: str = _doc("JSON Feed 1.1 (`feed.json`).")


@dataclass(frozen=True)
class Pagination:
    """Where an archive page stands among the archive's pages."""

    number: int = _doc("This page's number, from 1.")
    count: int = _doc("How many pages the archive has.")
    previous_url: str = _doc("Absolute URL of the page before (newer issues), or empty.")
    next_url: str = _doc("Absolute URL of the page after (older issues), or empty.")
    previous_path: str = _doc("The page before's path from the site root (`` for the first).")
    next_path: str = _doc("The page after's path from the site root, e.g. `page/3/`.")


@dataclass(frozen=True)
class PageContext:
    """The variables of the web page templates (index, issue and tag pages)."""

    newsletter: Config = _doc("The settings (newsletter.toml).")
    kind: str = _doc("`index`, `issue` or `tag`.")
    title: str = _doc("The page's title (for `<title>` and social cards).")
    description: str = _doc("The page's description (meta description and social cards).")
    canonical_url: str = _doc("The page's absolute URL.")
    root: str = _doc("Relative path from this page to the site root (`` or `../`...).")
    image_url: str = _doc("Absolute URL of the social card image, or empty.")
    image: SocialImage | None = _doc("The social card image (issue page), or None.")
    feeds: FeedLinks = _doc("The site's feeds' absolute URLs.")
    tag_feeds: FeedLinks | None = _doc("The feeds of a tag page's tag, else None.")
    pagination: Pagination | None = _doc("Where an archive page stands, else None.")
    tags: list[TagLink] = _doc("Every tag of the published issues, by name.")
    issues: list[IssueLink] = _doc("Issues listed on the page, newest first (index and tag).")
    tag: TagLink | None = _doc("The tag of a tag page, else None.")
    issue: IssueView | None = _doc("The issue of an issue page, else None.")
    issue_tags: list[TagLink] = _doc("The tags of the issue of an issue page.")
    article_html: str = _doc("The issue's body as sanitized HTML (issue page).")
    previous: IssueLink | None = _doc("The next older issue (issue page), or None.")
    next: IssueLink | None = _doc("The next newer issue (issue page), or None.")
    version: str = _doc("publisher's version.")
    direction: str = _doc("`ltr`, or `rtl` for a page in a right-to-left language.", default="ltr")
    structured_data: str = _doc(
        "The issue page's schema.org `BlogPosting` as JSON-LD, ready for "
        '`<script type="application/ld+json">` (`</` escaped); empty on other pages.',
        default="",
    )

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as template variables."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


DOCUMENTED = (
    Block,
    SocialImage,
    Endnote,
    IssueView,
    TemplateContext,
    TagLink,
    IssueLink,
    FeedLinks,
    Pagination,
    PageContext,
)


def reference_table(cls: type) -> str:
    """Return the reference table of a documented context class: each variable and its help."""
    rows = ["| variable | meaning |", "| --- | --- |"]
    rows += [f"| `{f.name}` | {f.metadata['doc']} |" for f in dataclasses.fields(cls)]
    return "\n".join(rows)


#: The folder of the archive page's second page and on: ``page/2/``.
PAGE_DIR = "page"


def page_count(total: int, per_page: int) -> int:
    """Return how many pages list ``total`` issues, ``per_page`` a page (0: all on one)."""
    return max(1, -(-total // per_page)) if per_page else 1


def page_path(number: int) -> str:
    """Return the folder of the archive page ``number`` from the site root ("" for the first)."""
    return "" if number <= 1 else f"{PAGE_DIR}/{number}/"


def tag_links(issues: Sequence[Issue]) -> dict[str, TagLink]:
    """Return every tag of ``issues`` by slug; tags that differ only in case share a page."""
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    for issue in issues:
        for name in dict.fromkeys(issue.tags):
            slug = slugify(name) or "tag"
            names.setdefault(slug, name)
            counts[slug] = counts.get(slug, 0) + 1
    return {
        slug: TagLink(name=names[slug], slug=slug, path=f"tags/{slug}/", count=counts[slug])
        for slug in sorted(names, key=lambda s: names[s].casefold())
    }
