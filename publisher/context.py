"""The one documented context every template receives.

Each field carries its help text; ``publisher`` documents them in the README and a test checks
that none is left undocumented, so a theme author can see every variable a template may use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from publisher.config import Config


def _doc(text: str, **kwargs: Any) -> Any:
    return field(metadata={"doc": text}, **kwargs)


@dataclass(frozen=True)
class Block:
    """One block of the email body, rendered as one MJML component."""

    kind: str = _doc("`text`, `heading`, `image`, `quote` or `rule`.")
    html: str = _doc(
        "Sanitized HTML of a text, heading or quote block (absolute URLs).", default=""
    )
    level: int = _doc("Heading level (2 for `##`) of a heading block.", default=0)
    src: str = _doc("Absolute image URL of an image block.", default="")
    alt: str = _doc("The image's alt text.", default="")
    width: int = _doc("Display width in pixels of an image block.", default=0)
    height: int = _doc("Display height in pixels, 0 when unknown.", default=0)
    href: str = _doc("Link around the image, if any.", default="")
    caption: str = _doc("Caption: the image title before its vertical bar.", default="")
    credit: str = _doc("Credit: the image title after its vertical bar.", default="")
    lead: bool = _doc("True for an image that opens the issue: shown full width.", default=False)


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
    preheader: str = _doc("Inbox preview text: `summary`, else the first paragraph.")
    author: str = _doc("The author's name.")
    tags: tuple[str, ...] = _doc("Tags.")
    draft: bool = _doc("Whether the issue is a draft.")
    signoff_html: str = _doc("The sign-off as HTML (may be empty).")
    signoff_text: str = _doc("The sign-off as plain text (may be empty).")


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
    logo_url: str = _doc("Absolute URL of the logo, or empty.")
    footer_reason: str = _doc("Why the reader gets this email.")
    social: list[tuple[str, str]] = _doc("Footer links as (label, absolute URL).")
    preheader_padding: str = _doc(
        "Invisible characters that keep body text out of the inbox preview."
    )
    version: str = _doc("publisher's version.")

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as template variables (shallow: nested objects stay objects)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


DOCUMENTED = (Block, Endnote, IssueView, TemplateContext)
