"""Which feed documents the site has, and what each links to: the site's (the newest issues),
each tag's (its newest issues, beside its page) and each year's archive (RFC 5005: every issue
of that year, chained to the other years by ``prev-archive``/``next-archive`` links, in JSON
Feed by ``next_url``). All use the same three file names (``feeds``) in their own folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher.config import Config
from publisher.model.issue import slugify
from publisher.render.context import tag_links

if TYPE_CHECKING:
    from publisher.model.issue import Issue
    from publisher.render.rendered import Rendered

#: The folder of each year's archive documents, from the site root.
ARCHIVE_DIR = "feeds"


def archive_folder(year: int) -> str:
    """Return the folder of a year's archive documents, from the site root: ``feeds/2024/``."""
    return f"{ARCHIVE_DIR}/{year}/"


@dataclass(frozen=True)
class Channel:
    """Which feed document is made, and the documents it links to (folders from the site root,
    each holding ``feed.xml``, ``atom.xml`` and ``feed.json``)."""

    #: Its folder: "" for the site's feeds, ``tags/energy/``, ``feeds/2024/``.
    folder: str = ""
    #: What the title adds to the newsletter's name (a tag's name), or "".
    subject: str = ""
    #: Whether it is an archive document (RFC 5005 ``fh:archive``): a year that is over.
    archive: bool = False
    #: The folder of the next older archive (``prev-archive``; JSON Feed's ``next_url``), or "".
    older: str = ""
    #: The folder of the next newer archive (``next-archive``), or "".
    newer: str = ""

    def url(self, config: Config, name: str, folder: str | None = None) -> str:
        """Return the absolute URL of the file ``name`` in its folder (or in ``folder``)."""
        return config.base_url + (self.folder if folder is None else folder) + name

    def home(self, config: Config) -> str:
        """Return the page the document belongs to: its tag's page, else the archive page."""
        return config.base_url + (self.folder if self.subject else "")

    def history(self, config: Config, name: str) -> list[tuple[str, str]]:
        """Return the RFC 5005 links (rel, absolute URL) of the document's format ``name``."""
        yearly = self.folder.startswith(f"{ARCHIVE_DIR}/")
        links = [("current", self.url(config, name, ""))] if yearly else []
        if self.older:
            links.append(("prev-archive", self.url(config, name, self.older)))
        if self.newer:
            links.append(("next-archive", self.url(config, name, self.newer)))
        return links


SITE = Channel()


def archive_years(issues: Sequence[Issue]) -> list[int]:
    """Return the years of ``issues``, newest first: one archive document each."""
    return sorted({issue.date.year for issue in issues}, reverse=True)


def site_channel(years: Sequence[int]) -> Channel:
    """Return the site's feed document: RFC 5005's subscription document, which links the
    newest of the archives of ``years`` (newest first), if any."""
    return Channel(older=archive_folder(years[0]) if years else "")


def archive_channel(years: Sequence[int], year: int) -> Channel:
    """Return the document of ``year``'s issues among ``years`` (newest first).

    Every year has one, the current year (that of the newest issue) too: the site's feed keeps
    only the newest issues, so the rest of this year's are only there. But RFC 5005 lets a
    reader keep an archive document as final, and the current year's grows with each issue;
    so it is marked ``fh:archive`` only once an issue of a later year is published. From then
    on it never changes (but for an issue published late with a date of that year): its bytes
    depend on its issues and on the years before and after it alone.
    """
    n = years.index(year)
    return Channel(
        folder=archive_folder(year),
        archive=n > 0,
        older=archive_folder(years[n + 1]) if n + 1 < len(years) else "",
        newer=archive_folder(years[n - 1]) if n > 0 else "",
    )


def feed_document(
    config: Config, items: Sequence[Rendered], tag: str = "", year: int = 0
) -> tuple[Channel, list[Rendered]]:
    """Return the feed document of ``items`` (newest first) and the items it carries: the
    tag ``tag``'s (a slug), the year ``year``'s archive, else the site's.

    The preview serves feeds through this; the build selects the same from its cache.
    """
    issues = [item.issue for item in items]
    years = archive_years(issues) if config.feeds.archives else []
    if year:
        return archive_channel(years, year), [i for i in items if i.issue.date.year == year]
    limit = config.feeds.limit
    if tag:
        link = tag_links(issues)[tag]
        tagged = [i for i in items if tag in {slugify(t) or "tag" for t in i.issue.tags}]
        return tag_channel(link.path, link.name), tagged[:limit]
    return site_channel(years), list(items[:limit])


def tag_channel(path: str, name: str) -> Channel:
    """Return the feed document of the tag ``name``, beside its page (at ``path``)."""
    return Channel(folder=path, subject=name)
