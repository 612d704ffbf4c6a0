"""What each file of the site plan is made from, and the key of those inputs: a file whose key
is unchanged is kept (or hard-linked) as it is, never made again.

A product's ``make`` runs only when its file must be written: it renders the page, feed or
email from the cached renderings, one at a time.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from publisher.build.cache import BuildCache, Record
from publisher.build.keys import WebKeys, output_key, signature
from publisher.build.output import Product
from publisher.config import Config
from publisher.render.pages import Pages
from publisher.render.rendered import Rendered
from publisher.render.theme import Theme
from publisher.site import plan as site
from publisher.site.manifest import MANIFEST, manifest
from publisher.site.plan import SitePlan

EMAIL_FILES = (site.EMAIL_HTML, site.EMAIL_TEXT, site.EMAIL_EML)


def rendered(record: Record, store: BuildCache, email: bool = False) -> Rendered:
    """Return a record's rendering as the cache has it (its web part alone unless ``email``)."""
    web = store.web(record)
    body = store.email(record) if email else {}
    if web is None or body is None:
        raise RuntimeError(f"the cached rendering of {record.issue.source} is missing")
    assert record.view is not None
    return Rendered(
        issue=record.issue,
        view=record.view,
        mjml="",
        html=body.get("html", ""),
        text=body.get("text", ""),
        article_html=web["article"],
        page_article=web["page"],
        image=record.image,
        feed_image=record.feed_image,
        files=record.files,
        images=record.images,
        refs=record.refs,
    )


def email_file(kind: str, record: Record, made: Rendered, config: Config) -> str | bytes:
    """Return an issue's email file of ``kind`` from its rendering ``made`` (fresh or cached)."""
    if kind == site.EMAIL_HTML:
        return made.html
    if kind == site.EMAIL_TEXT:
        return made.text
    from publisher.render.message import compose

    return made.eml or compose(record.issue, made, config)


def _cached_email(kind: str, record: Record, store: BuildCache, config: Config) -> str | bytes:
    return email_file(kind, record, rendered(record, store, email=True), config)


def site_products(
    plan: SitePlan,
    config: Config,
    theme: Theme,
    published: Sequence[Record],
    store: BuildCache,
    keys: WebKeys,
) -> dict[str, Product]:
    """Return every file of ``plan`` for ``published`` (newest first), what makes it and its key."""
    pages = Pages(theme, config, [(r.issue, r.view) for r in published if r.view is not None])
    by_slug = {r.issue.slug: (n, r) for n, r in enumerate(published)}
    everywhere = output_key(store.key, keys.pages, list(pages.tags.values()))
    link_keys = [output_key(link) for link in pages.links]
    tagged: dict[str, list[str]] = {}  # the keys of the links each tag page lists, in order
    for key, link in zip(link_keys, pages.links, strict=True):
        for slug in dict.fromkeys(tag.slug for tag in link.tags):
            tagged.setdefault(slug, []).append(key)
    newest = published[: config.feeds.limit]
    feed_key = output_key(store.key, [(r.render_key, r.issue) for r in newest])
    urls: list[tuple[str, dt.datetime | None]] = [
        (config.base_url, max((r.issue.date for r in published), default=None))
    ]
    urls += [(r.view.url, r.issue.updated or r.issue.date) for r in published if r.view]

    def page(n: int, record: Record) -> Product:
        neighbours = [link_keys[m] for m in (n - 1, n + 1) if 0 <= m < len(published)]
        key = output_key(everywhere, record.render_key, link_keys[n], neighbours)
        return Product(key, lambda: pages.issue(rendered(record, store)))

    products: dict[str, Product] = {}
    for path, planned in plan.outputs.items():
        kind = planned.kind
        if kind in (site.IMAGE, site.LOGO) and planned.source is not None:
            made = str(planned.source)  # its name on the shelf is the digest of how it is made
            products[path] = Product(f"{path}:{os.path.basename(made)}", source=made, link=True)
        elif planned.source is not None:
            source = Path(planned.source)
            products[path] = Product(output_key(path, signature(source)), source=str(source))
        elif kind in EMAIL_FILES:
            record = by_slug[planned.slug][1]
            assert record.render_key is not None
            make = partial(_cached_email, kind, record, store, config)
            products[path] = Product(record.render_key, make)
        elif kind == site.ISSUE_PAGE:
            products[path] = page(*by_slug[planned.slug])
        elif kind == site.INDEX_PAGE:
            products[path] = Product(output_key(everywhere, link_keys), pages.index)
        elif kind == site.STYLE:
            products[path] = Product(output_key(store.key, keys.style, pages.rtl), pages.style)
        elif kind == site.TAG_PAGE:
            listed = tagged.get(planned.name, [])
            tag = pages.tags[planned.name]
            products[path] = Product(output_key(everywhere, listed), partial(pages.tag, tag))
        elif kind == site.FEED:
            feed = partial(_feed, planned.name, config, newest, store)
            products[path] = Product(feed_key, feed)
        elif kind == site.SITEMAP:
            products[path] = Product(output_key(store.key, urls), partial(_sitemap, urls))
    files = sorted({*plan.outputs, MANIFEST})
    ids = [(r.issue.slug, r.issue.id, r.issue.date) for r in published]
    issues = [r.issue for r in published]
    key = output_key(store.key, ids, files)
    products[MANIFEST] = Product(key, partial(manifest, issues, files))
    return products


def _feed(kind: str, config: Config, newest: Sequence[Record], store: BuildCache) -> bytes:
    from publisher.render import feeds

    make = getattr(feeds, kind)
    data: bytes = make(config, [rendered(r, store) for r in newest])
    return data


def _sitemap(urls: list[tuple[str, dt.datetime | None]]) -> bytes:
    from publisher.render.feeds import sitemap

    return sitemap(urls)
