"""The web archive: the article HTML (shared with the feeds) and the pages around it."""

from __future__ import annotations

import html as html_lib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markdown_it.token import Token

from publisher import __version__, images
from publisher.config import Config
from publisher.context import FeedLinks, IssueLink, IssueView, PageContext, TagLink
from publisher.issue import Issue, slugify
from publisher.markdown import Document, caption_and_credit, close_index, parser, standalone_image
from publisher.sanitize import absolute_url, clean, relative_links
from publisher.site import tag_links
from publisher.theme import Theme

if TYPE_CHECKING:
    from publisher.render import Rendered


def article_html(doc: Document, base_url: str, source_dir: Path | None) -> str:
    """Render the body for web and feeds: figures, scrolling tables, footnotes, absolute URLs."""
    md = parser()
    parts: list[str] = []
    tokens = doc.tokens
    first_figure = True
    i = 0
    while i < len(tokens):
        end = close_index(tokens, i)
        group = tokens[i : end + 1]
        found = standalone_image(tokens[i + 1]) if tokens[i].type == "paragraph_open" else None
        if found:
            parts.append(_figure(found[0], found[1], source_dir, lazy=not first_figure))
            first_figure = False
        elif tokens[i].type == "table_open":
            table = md.renderer.render(group, md.options, doc.env)
            parts.append(f'<div class="table-wrap">{table}</div>\n')
        else:
            parts.append(md.renderer.render(group, md.options, doc.env))
        i = end + 1
    return clean("".join(parts), base_url)


def _figure(image: Token, href: str | None, source_dir: Path | None, lazy: bool) -> str:
    src = str(image.attrGet("src") or "")
    width, height = images.local_size(src, source_dir)
    attrs = f'src="{html_lib.escape(src)}" alt="{html_lib.escape(image.content)}"'
    if width and height:
        attrs += f' width="{width}" height="{height}"'
    if lazy:
        attrs += ' loading="lazy"'
    img = f"<img {attrs}>"
    if href:
        img = f'<a href="{html_lib.escape(href)}">{img}</a>'
    caption, credit = caption_and_credit(str(image.attrGet("title") or ""))
    figcaption = ""
    if caption or credit:
        credit_html = f' <small class="credit">{html_lib.escape(credit)}</small>' if credit else ""
        figcaption = f"<figcaption>{html_lib.escape(caption)}{credit_html}</figcaption>"
    return f"<figure>{img}{figcaption}</figure>\n"


def social_image(doc: Document, front_matter_image: str, base_url: str) -> str:
    """Return the absolute URL of the issue's card image: front matter ``image``, else the first."""
    if front_matter_image:
        return absolute_url(front_matter_image, base_url)
    found = doc.images()
    return absolute_url(str(found[0].attrGet("src") or ""), base_url) if found else ""


# --- pages -----------------------------------------------------------------------------------


INDEX_TEMPLATE = "index.html.j2"
ISSUE_TEMPLATE = "issue.html.j2"
TAG_TEMPLATE = "tag.html.j2"
STYLE_TEMPLATE = "style.css.j2"


class Pages:
    """Renders the web pages of a list of issues (newest first), one page at a time."""

    def __init__(
        self, theme: Theme, config: Config, listed: Sequence[tuple[Issue, IssueView]]
    ) -> None:
        from publisher.feeds import ATOM_FILE, JSON_FILE, RSS_FILE

        self.theme, self.config = theme, config
        self.tags = tag_links([issue for issue, _ in listed])
        self.links = [self._link(issue, view) for issue, view in listed]
        self.position = {issue.slug: n for n, (issue, _) in enumerate(listed)}
        base = config.base_url
        self.common: dict[str, Any] = {
            "newsletter": config,
            "feeds": FeedLinks(rss=base + RSS_FILE, atom=base + ATOM_FILE, json=base + JSON_FILE),
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
        }

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
        return self.theme.render(template, context.as_dict())

    def index(self) -> str:
        """Render the archive page."""
        config = self.config
        return self._page(
            INDEX_TEMPLATE,
            kind="index",
            title=config.name,
            description=config.description or config.name,
            canonical_url=config.base_url,
            root="",
            issues=self.links,
        )

    def issue(self, item: Rendered) -> str:
        """Render one issue's page, with links to its listed neighbours."""
        config, view = self.config, item.view
        n = self.position.get(item.issue.slug)
        link = self.links[n] if n is not None else self._link(item.issue, view)
        return self._page(
            ISSUE_TEMPLATE,
            kind="issue",
            title=item.issue.title,
            description=view.preheader or item.issue.subtitle or config.description,
            canonical_url=view.url,
            root="../",
            image_url=item.image_url,
            issue=view,
            issue_tags=list(link.tags),
            article_html=relative_links(item.article_html, view.url, config.base_url, "../"),
            previous=self.links[n + 1] if n is not None and n + 1 < len(self.links) else None,
            next=self.links[n - 1] if n is not None and n > 0 else None,
        )

    def tag(self, tag: TagLink) -> str:
        """Render one tag's page."""
        name = self.config.name
        return self._page(
            TAG_TEMPLATE,
            kind="tag",
            title=f"{tag.name} · {name}",
            description=f"Issues of {name} about {tag.name}.",
            canonical_url=self.config.base_url + tag.path,
            root="../../",
            issues=[link for link in self.links if tag in link.tags],
            tag=tag,
        )

    def style(self) -> str:
        """Render the stylesheet."""
        return self.theme.render(STYLE_TEMPLATE, {"newsletter": self.config})
