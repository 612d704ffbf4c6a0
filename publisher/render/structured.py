"""An issue page's structured data: a schema.org ``BlogPosting`` as JSON-LD, for search engines.

Google's documentation of ``Article`` requires no property and recommends ``headline``,
``image`` (absolute, crawlable URLs), ``datePublished`` and ``dateModified`` (ISO 8601 with the
time zone) and ``author`` (a Person with a name); the issue asks for the ``publisher`` too.
Keys come in a fixed order and nothing depends on the build's time: same input, same bytes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from publisher.config import Config

if TYPE_CHECKING:
    from publisher.render.rendered import Rendered


def structured_data(item: Rendered, config: Config, logo_url: str = "") -> str:
    """Return the JSON-LD of an issue's page, safe inside ``<script>``: ``</`` is written
    ``<\\/`` and ``<!--`` ``<\\u0021--``, so no title can close the element or hide its end."""
    issue, view = item.issue, item.view
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": view.title,
        "description": view.preheader,
        "url": view.url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": view.url},
        "inLanguage": view.language,
        "datePublished": view.date.isoformat(),
        "dateModified": (issue.updated or issue.date).isoformat(),
        "author": {"@type": "Person", "name": view.author or config.name},
        "publisher": _publisher(config, logo_url),
    }
    if item.image is not None and item.image.url:
        data["image"] = [item.image.url]
    if view.tags:
        data["keywords"] = list(view.tags)
    return (
        json.dumps(data, ensure_ascii=False, indent=None)
        .replace("</", "<\\/")
        .replace("<!--", "<\\u0021--")
    )


def _publisher(config: Config, logo_url: str) -> dict[str, Any]:
    """Return the newsletter as the ``Organization`` that publishes its issues."""
    found: dict[str, Any] = {"@type": "Organization", "name": config.name, "url": config.base_url}
    if logo_url:
        found["logo"] = {"@type": "ImageObject", "url": logo_url}
    return found
