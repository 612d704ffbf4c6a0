"""The web pages: the archive, each issue's page, the tag pages and the stylesheet.

Apart from the article renderer (``web``): a build that only writes pages again (a stylesheet
edit, say) loads no Markdown or email code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from publisher import __version__
from publisher.config import Config
from publisher.language import language
from publisher.model.issue import Issue, slugify
from publisher.render.context import (
    FeedLinks,
    IssueLink,
    IssueView,
    PageContext,
    Pagination,
    TagLink,
    page_count,
    page_path,
    tag_links,
)
from publisher.render.sanitize import relative_links
from publisher.render.structured import structured_data
from publisher.render.theme import Theme
from publisher.strings import Strings

if TYPE_CHECKING:
    from publisher.render.rendered import Rendered


INDEX_TEMPLATE = "index.html.j2"
ISSUE_TEMPLATE = "issue.html.j2"
TAG_TEMPLATE = "tag.html.j2"
STYLE_TEMPLATE = "style.css.j2"
PAGE_TEMPLATES = (ISSUE_TEMPLATE, INDEX_TEMPLATE, TAG_TEMPLATE, STYLE_TEMPLATE)


#: A heading of the sanitized article that has an id (the sanitizer writes ``id="..."``).
_HEADING = re.compile(r'(<h([1-6])\b[^>]*\sid="([^"]+)"[^>]*>)(.*?)(</h\2>)', re.DOTALL)


def page_article(item: Rendered, base_url: str) -> str:
    """Return the article as its web page shows it: links into the site made relative, and
    a link to each section (``permalinks``)."""
    return permalinks(relative_links(item.article_html, item.view.url, base_url, "../"))


def permalinks(html: str) -> str:
    """Add to each heading with an id a ``#`` link to itself, for readers to copy (shown on
    hover and focus by the stylesheet). Its accessible name is the heading's own text: the
    glyph is hidden from screen readers, so no words are needed in any language. Only the page
    has them: a feed reader or an email would show the glyph as text."""
    return _HEADING.sub(
        r'\1\4 <a class="anchor" href="#\3" aria-labelledby="\3">'
        r'<span aria-hidden="true">#</span></a>\5',
        html,
    )


def _direction(config: Config, listed: Sequence[tuple[Issue, IssueView]]) -> str:
    """Return the newsletter's writing direction: as an issue in its language was rendered
    with it (pages that render no issue then load no locale data), else from Babel."""
    for issue, view in listed:
        if issue.language == config.language:
            return view.direction
    return language(config.language).direction


def feed_links(folder_url: str) -> FeedLinks:
    """Return the absolute URLs of the feeds in the folder at ``folder_url``."""
    from publisher.render.feeds import ATOM_FILE, JSON_FILE, RSS_FILE

    return FeedLinks(
        rss=folder_url + RSS_FILE, atom=folder_url + ATOM_FILE, json=folder_url + JSON_FILE
    )


class Pages:
    """Renders the web pages of a list of issues (newest first), one page at a time."""

    def __init__(
        self,
        theme: Theme,
        config: Config,
        listed: Sequence[tuple[Issue, IssueView]],
    ) -> None:
        self.theme, self.config = theme, config
        self.tags = tag_links([issue for issue, _ in listed])
        direction = _direction(config, listed)
        #: Whether any page is in a right-to-left language.
        self.rtl = direction == "rtl" or any(view.direction == "rtl" for _, view in listed)
        self.links = [self._link(issue, view) for issue, view in listed]
        self.position = {issue.slug: n for n, (issue, _) in enumerate(listed)}
        base = config.base_url
        self.common: dict[str, Any] = {
            "newsletter": config,
            "feeds": feed_links(base),
            "tag_feeds": None,
            "pagination": None,
            "tags": list(self.tags.values()),
            "version": __version__,
            "issues": [],
            "tag": None,
            "issue": None,
            "issue_tags": [],
            "article_html": "",
            "previous": None,
            "next": None,
            "image_url": "",
            "image": None,
            "direction": direction,
            "structured_data": "",
        }
        self._logo_url: str | None = None

    def _link(self, issue: Issue, view: IssueView) -> IssueLink:
        return IssueLink(
            title=issue.title,
            slug=issue.slug,
            path=f"{issue.slug}/",
            url=view.url,
            date=issue.date,
            date_display=view.date_display,
            summary=view.preheader,
            tags=tuple(self.tags[slugify(t) or "tag"] for t in dict.fromkeys(issue.tags)),
        )

    def _page(self, template: str, **values: Any) -> str:
        context = PageContext(**{**self.common, **values})
        tag = context.issue.language if context.issue else self.config.language
        words = self.strings(tag)
        return self.theme.render(template, context.as_dict() | words.template_functions())

    def strings(self, tag: str) -> Strings:
        """Return the theme's words in the language ``tag``, with the settings' overrides."""
        return Strings(tag, self.config.strings)

    @property
    def page_count(self) -> int:
        """Return how many pages the archive has."""
        return page_count(len(self.links), self.config.archive.per_page)

    def index(self, number: int = 1) -> str:
        """Render the archive page ``number`` (the first: the site's front page)."""
        config, count = self.config, self.page_count
        per_page = config.archive.per_page or len(self.links)
        base = config.base_url
        pagination = None
        if count > 1:
            before, after = page_path(number - 1), page_path(number + 1)
            pagination = Pagination(
                number=number,
                count=count,
                previous_url=base + before if number > 1 else "",
                next_url=base + after if number < count else "",
                previous_path=before if number > 1 else "",
                next_path=after if number < count else "",
            )
        return self._page(
            INDEX_TEMPLATE,
            kind="index",
            title=config.name,
            description=config.description or config.name,
            canonical_url=base + page_path(number),
            root="../../" if number > 1 else "",
            issues=self.links[(number - 1) * per_page : number * per_page],
            pagination=pagination,
        )

    def neighbours(self, item: Rendered) -> tuple[IssueLink, IssueLink | None, IssueLink | None]:
        """Return an issue's own link, and those of the issues before and after it."""
        n = self.position.get(item.issue.slug)
        link = self.links[n] if n is not None else self._link(item.issue, item.view)
        previous = self.links[n + 1] if n is not None and n + 1 < len(self.links) else None
        after = self.links[n - 1] if n is not None and n > 0 else None
        return link, previous, after

    def issue(self, item: Rendered) -> str:
        """Render one issue's page, with links to its listed neighbours."""
        return self.issue_page(item, *self.neighbours(item))

    def issue_page(
        self, item: Rendered, link: IssueLink, previous: IssueLink | None, after: IssueLink | None
    ) -> str:
        """Render one issue's page, given its links (``neighbours``)."""
        config, view = self.config, item.view
        return self._page(
            ISSUE_TEMPLATE,
            kind="issue",
            title=item.issue.title,
            description=view.preheader or item.issue.subtitle or config.description,
            canonical_url=view.url,
            root="../",
            image_url=item.image.url if item.image else "",
            image=item.image,
            direction=view.direction,
            issue=view,
            issue_tags=list(link.tags),
            article_html=Markup(item.page_article or page_article(item, config.base_url)),
            previous=previous,
            next=after,
            structured_data=Markup(structured_data(item, config, self.logo_url())),
        )

    def logo_url(self) -> str:
        """Return the logo's absolute URL, or empty (the email code is loaded only for one)."""
        if self._logo_url is None:
            self._logo_url = ""
            if self.config.logo:
                from publisher.render.issue import logo_url

                self._logo_url = logo_url(self.config)
        return self._logo_url

    def tag(self, tag: TagLink) -> str:
        """Render one tag's page."""
        name = self.config.name
        return self._page(
            TAG_TEMPLATE,
            kind="tag",
            title=f"{tag.name} · {name}",
            description=self.strings(self.config.language).gettext(
                "tag_description", name=name, tag=tag.name
            ),
            canonical_url=self.config.base_url + tag.path,
            root="../../",
            issues=[link for link in self.links if tag in link.tags],
            tag=tag,
            tag_feeds=feed_links(self.config.base_url + tag.path),
        )

    def style(self) -> str:
        """Render the stylesheet (with the right-to-left rules when a page needs them)."""
        return self.theme.render(STYLE_TEMPLATE, {"newsletter": self.config, "rtl": self.rtl})
