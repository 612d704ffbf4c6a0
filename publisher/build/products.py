"""What each file of the site plan is made from, and the key of those inputs: a file whose key
is unchanged is kept (or hard-linked) as it is, never made again.

A product's ``make`` runs only when its file must be written: it renders the page, feed or
email from the cached renderings, one at a time.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from functools import partial

from publisher.build.cache import WEB, BuildCache, Record
from publisher.build.keys import WebKeys, digest, output_key, signature
from publisher.build.output import Product
from publisher.config import Config
from publisher.language import folder_name, language
from publisher.render.channels import (
    Channel,
    archive_channel,
    language_channel,
    site_channel,
    tag_channel,
)
from publisher.render.context import page_path
from publisher.render.pages import Pages
from publisher.render.rendered import Rendered
from publisher.render.theme import Theme
from publisher.site import plan as site
from publisher.site.manifest import MANIFEST, manifest
from publisher.site.plan import Planned, SitePlan

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


def email_product(kind: str, record: Record, make: Callable[[], str | bytes]) -> Product:
    """Return an issue's email file of ``kind``: keyed by its bytes' digest, so a rendering
    again to the same bytes (a comment added to the theme, say) rewrites nothing."""
    return Product(f"{kind}:{record.digests[kind]}", make)


def _cached_email(kind: str, record: Record, store: BuildCache, config: Config) -> str | bytes:
    return email_file(kind, record, rendered(record, store, email=True), config)


class Products:
    """What makes each file of the site plan for the published issues (newest first), and
    the keys of what it shows."""

    def __init__(
        self,
        plan: SitePlan,
        config: Config,
        theme: Theme,
        published: Sequence[Record],
        store: BuildCache,
        keys: WebKeys,
    ) -> None:
        self.plan, self.config, self.published, self.store = plan, config, published, store
        self.keys = keys
        self.pages = pages = Pages(theme, config, [(r.issue, r.view) for r in published if r.view])
        self.by_slug = {r.issue.slug: (n, r) for n, r in enumerate(published)}
        #: What every page shows: the settings, the page templates, the tags and the languages.
        self.everywhere = output_key(keys.pages, list(pages.tags.values()), pages.languages)
        self.style_key = output_key(keys.style, pages.rtl)
        self.link_keys = [output_key(link) for link in pages.links]
        self.tagged: dict[str, list[str]] = {}  # the keys of the links each tag page lists
        self.tag_records: dict[str, list[Record]] = {}  # the issues of each tag, newest first
        viewed = [r for r in published if r.view]
        for key, link, record in zip(self.link_keys, pages.links, viewed, strict=True):
            for slug in dict.fromkeys(tag.slug for tag in link.tags):
                self.tagged.setdefault(slug, []).append(key)
                self.tag_records.setdefault(slug, []).append(record)
        self.newest = published[: config.feeds.limit]
        #: The issues of each language (by folder) and the keys of their links, newest first.
        self.in_language: dict[str, list[Record]] = {f: [] for f in pages.in_language}
        self.language_keys: dict[str, list[str]] = {f: [] for f in pages.in_language}
        for key, record in zip(self.link_keys, viewed, strict=True):
            folder = folder_name(record.issue.language)
            if folder in self.in_language:
                self.in_language[folder].append(record)
                self.language_keys[folder].append(key)
        self.years: dict[int, list[Record]] = {}
        if config.feeds.archives:
            for record in published:
                self.years.setdefault(record.issue.date.year, []).append(record)
        self._made_by = {
            site.ISSUE_PAGE: self._issue_page,
            site.INDEX_PAGE: self._index,
            site.STYLE: self._style,
            site.TAG_PAGE: self._tag_page,
            site.FEED: self._feed,
            site.TAG_FEED: self._tag_feed,
            site.ARCHIVE_FEED: self._archive_feed,
            site.LANGUAGE_PAGE: self._language_page,
            site.LANGUAGE_FEED: self._language_feed,
            site.SITEMAP: self._sitemap,
            site.IDS: self._manifest,
            site.REDIRECT: self._redirect,
        }

    def all(self) -> dict[str, Product]:
        """Return every file of the plan, what makes it and its key."""
        return {path: self.of(path, planned) for path, planned in self.plan.outputs.items()}

    def of(self, path: str, planned: Planned) -> Product:
        """Return what makes the file ``path`` of the plan."""
        if planned.kind in (site.IMAGE, site.LOGO) and planned.source is not None:
            made = str(planned.source)  # its name on the shelf is the digest of how it is made
            return Product(f"{path}:{os.path.basename(made)}", source=made, link=True)
        if planned.kind == site.SEARCH and planned.source is not None:
            # Keyed by its bytes: a file a new index shares with the last (its script, most
            # of its fragments) stays the very file it was.
            made = str(planned.source)
            with open(made, "rb") as handle:
                return Product(f"{path}:{digest(handle.read())}", source=made, link=True)
        if planned.source is not None:
            return Product(output_key(path, signature(planned.source)), source=str(planned.source))
        if planned.kind in EMAIL_FILES:
            record = self.by_slug[planned.slug][1]
            make = partial(_cached_email, planned.kind, record, self.store, self.config)
            return email_product(planned.kind, record, make)
        return self._made_by[planned.kind](planned)

    def _issue_page(self, planned: Planned) -> Product:
        n, record = self.by_slug[planned.slug]
        links = self.link_keys
        neighbours = [links[m] for m in (n - 1, n + 1) if 0 <= m < len(self.published)]
        versions = self.pages.versions(record.issue)
        key = output_key(self.everywhere, _shown(record), links[n], neighbours, versions)
        return Product(key, lambda: self.pages.issue(rendered(record, self.store)))

    def _index(self, planned: Planned) -> Product:
        number = int(planned.scope or 1)
        per_page = self.config.archive.per_page or len(self.link_keys)
        listed = self.link_keys[(number - 1) * per_page : number * per_page]
        key = output_key(self.everywhere, number, self.pages.page_count, listed)
        return Product(key, partial(self.pages.index, number))

    def _language_page(self, planned: Planned) -> Product:
        """Return a page of a language's archive: keyed by its issues alone, so an issue in
        another language leaves it as it is."""
        folder, number = planned.scope.rsplit("/", 1)
        listed = self.language_keys[folder]
        per_page = self.config.archive.per_page or len(listed)
        shown = listed[(int(number) - 1) * per_page : int(number) * per_page]
        count = self.pages.language_page_count(folder)
        key = output_key(self.everywhere, folder, int(number), count, shown)
        return Product(key, partial(self.pages.index, int(number), folder))

    def _language_feed(self, planned: Planned) -> Product:
        records = self.in_language[planned.scope]
        channel = language_channel(records[0].issue.language)
        return self._feed_of(planned.name, channel, records[: self.config.feeds.limit])

    def _style(self, planned: Planned) -> Product:
        return Product(self.style_key, self.pages.style)

    def _tag_page(self, planned: Planned) -> Product:
        listed = self.tagged.get(planned.name, [])
        make = partial(self.pages.tag, self.pages.tags[planned.name])
        return Product(output_key(self.everywhere, listed), make)

    def _feed(self, planned: Planned) -> Product:
        channel = site_channel(sorted(self.years, reverse=True))
        return self._feed_of(planned.name, channel, self.newest)

    def _tag_feed(self, planned: Planned) -> Product:
        tag = self.pages.tags[planned.scope]
        tagged = self.tag_records[tag.slug][: self.config.feeds.limit]
        return self._feed_of(planned.name, tag_channel(tag.path, tag.name), tagged)

    def _archive_feed(self, planned: Planned) -> Product:
        year = int(planned.scope)
        channel = archive_channel(sorted(self.years, reverse=True), year)
        return self._feed_of(planned.name, channel, self.years[year])

    def _feed_of(self, kind: str, channel: Channel, records: Sequence[Record]) -> Product:
        """Return the feed document ``channel`` of ``records`` in the format ``kind``: keyed by
        its links and what it shows of each issue, so a past year's archive is never rewritten
        for an issue of a later year (but when its ``next-archive`` link first appears)."""
        key = output_key(self.keys.feeds, channel, [_shown(r) for r in records])
        make = partial(_feed, kind, self.config, records, self.store, channel)
        return Product(key, make)

    def _sitemap(self, planned: Planned) -> Product:
        published = self.published
        urls: list[tuple[str, dt.datetime | None]] = [
            (self.config.base_url, max((r.issue.date for r in published), default=None))
        ]
        urls += [
            (self.config.base_url + page_path(n), None) for n in range(2, self.pages.page_count + 1)
        ]
        for folder in self.in_language:
            count = self.pages.language_page_count(folder)
            base = f"{self.config.base_url}{folder}/"
            urls += [(base + page_path(n), None) for n in range(1, count + 1)]
        urls += [(r.view.url, r.issue.updated or r.issue.date) for r in published if r.view]
        return Product(output_key(self.keys.feeds, urls), partial(_sitemap, urls))

    def _redirect(self, planned: Planned) -> Product:
        """Return a page an old address of an issue serves: keyed by what it shows alone (the
        issue's address, title and language, the template and the theme's words)."""
        record = self.by_slug[planned.slug][1]
        issue = record.issue
        direction = record.view.direction if record.view else language(issue.language).direction
        shown = (issue.url(self.config), issue.title, issue.language, direction)
        key = output_key(self.keys.redirect, shown, self.config.strings)
        return Product(key, partial(self.pages.redirect, issue, direction))

    def _manifest(self, planned: Planned) -> Product:
        files = sorted({*self.plan.outputs, MANIFEST})
        ids = [(r.issue.slug, r.issue.id, r.issue.date) for r in self.published]
        issues = [r.issue for r in self.published]
        return Product(output_key(self.keys.feeds, ids, files), partial(manifest, issues, files))


def _shown(record: Record) -> tuple[object, ...]:
    """Return what the web pages and feeds show of an issue's rendering (``rendered``)."""
    return (record.digests[WEB], record.issue, record.view, record.image, record.feed_image)


def _feed(
    kind: str, config: Config, records: Sequence[Record], store: BuildCache, channel: Channel
) -> bytes:
    from publisher.render import feeds

    make = getattr(feeds, kind)
    data: bytes = make(config, [rendered(r, store) for r in records], channel)
    return data


def _sitemap(urls: list[tuple[str, dt.datetime | None]]) -> bytes:
    from publisher.render.feeds import sitemap

    return sitemap(urls)
