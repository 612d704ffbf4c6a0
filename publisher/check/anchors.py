"""The rule on links to a section: ``#costs``, ``../2025-07-01-bridge/index.md#costs``.

A fragment must name an id of the page it leads to: a heading's (``model.anchors``), a
footnote's, or one in the body's raw HTML. The page is the issue's own, another issue's (by its
file, or by its page's path) or nothing this rule can see (an address elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from publisher.check.links import Slugs
from publisher.check.rules import Finding, Locator, Rule
from publisher.config import Config
from publisher.errors import closest
from publisher.model.anchors import FOOTNOTE_ID
from publisher.model.issue import Issue
from publisher.render import refs
from publisher.render.sanitize import absolute_url

if TYPE_CHECKING:
    from publisher.model.markdown import Document

#: Fragments every page has: none (the top of the page), and ``top`` (HTML's own).
ALWAYS = {"", "top"}
#: How many ids a finding suggests.
SUGGESTED = 3


def anchor_findings(
    issue: Issue, doc: Document, config: Config, slugs: Slugs, file: str, where: Locator
) -> list[Finding]:
    """Check the fragment of every link to a section of this issue or of another one."""
    found = []
    for token in doc.tokens:
        for child in token.children or [] if token.type == "inline" else []:
            href = str(child.attrGet("href") or "").strip() if child.type == "link_open" else ""
            if href.startswith("#") and _missing(href[1:], doc.anchors):
                position = where.find(token, f"]({href}", skip=2)
                found.append(_finding(file, position, href, "this issue", doc.anchors))
    for ref, slug in _issue_links(issue, doc, config, slugs):
        anchors = slugs.anchors(slug)
        if anchors is not None and _missing(ref.fragment, anchors):
            position = where.find_from(ref.line, ref.href)
            found.append(_finding(file, position, ref.href, f"issue {slug!r}", anchors))
    return found


def _issue_links(
    issue: Issue, doc: Document, config: Config, slugs: Slugs
) -> Iterable[tuple[refs.Ref, str]]:
    """Yield each link with a fragment to another issue (its file or its page) and its slug."""
    base, site = issue.url(config), config.base_url
    for ref in doc.refs:
        if not ref.fragment:
            continue
        if ref.kind == refs.ISSUE and ref.target is not None:
            yield ref, ref.target.slug
        elif ref.kind == refs.SITE:
            url = absolute_url(ref.href, base)
            if url.startswith(site):
                path = urlsplit(url[len(site) :]).path.strip("/")
                if "/" not in path and unquote(path) in slugs.slugs:
                    yield ref, unquote(path)


def _missing(fragment: str, anchors: frozenset[str]) -> bool:
    name = unquote(fragment)
    return name not in ALWAYS and name not in anchors


def _finding(
    file: str, position: tuple[int, int], href: str, page: str, anchors: frozenset[str]
) -> Finding:
    fragment = unquote(href.partition("#")[2])
    near = closest(fragment, sorted(anchors), n=SUGGESTED, cutoff=0.5)
    if near:
        hint = "did you mean " + " or ".join(f"#{a}" for a in near) + "?"
    elif sections := [a for a in sorted(anchors) if not FOOTNOTE_ID.fullmatch(a)]:
        hint = "its sections are " + ", ".join(f"#{a}" for a in sections[:5])
    else:
        hint = "it has no headings to link to"
    return Rule.LNK007.at(
        file,
        position,
        f"{href!r}: {page} has no section #{fragment}, so the link opens at the top of the "
        f"page; {hint}; fix: use a heading's id (its page shows it as the # link beside the "
        "heading)",
    )
