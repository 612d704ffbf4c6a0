"""The rules on an issue's images and links: alt text, addresses, and where each one leads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from publisher.check.rules import Finding, Locator, Rule, shown
from publisher.config import Config
from publisher.errors import closest
from publisher.model.issue import Issue
from publisher.model.markdown import parse
from publisher.render import refs
from publisher.render.refs import Ref
from publisher.render.sanitize import absolute_url

if TYPE_CHECKING:
    from markdown_it.token import Token

GENERIC_ALT = {"image", "img", "photo", "picture", "pic", "graphic", "screenshot", "foto", "bild"}


class Slugs:
    """Every issue's slug, and the file names authors may use for them, for link rules."""

    def __init__(self, issues: Iterable[Issue], now: dt.datetime) -> None:
        #: Each slug's status: published, draft or scheduled.
        self.slugs: dict[str, str] = {}
        #: File stems and folder names (``2025-07-08-grain``) -> slug.
        self.by_name: dict[str, str] = {}
        self._issues: dict[str, Issue] = {}
        self._anchors: dict[str, frozenset[str]] = {}
        for issue in issues:
            self._issues.setdefault(issue.slug, issue)
            self.slugs[issue.slug] = refs.status_of(issue, now)
            name = issue.source.parent.name if issue.folder else issue.source.stem
            self.by_name[name] = issue.slug

    def anchors(self, slug: str) -> frozenset[str] | None:
        """Return the ids on the page of the issue ``slug`` (its body parsed when first asked
        for: most issues are never linked to a section), or None for no such issue."""
        if slug not in self._anchors:
            issue = self._issues.get(slug)
            if issue is None:
                return None
            self._anchors[slug] = parse(issue.body, issue.language).anchors
        return self._anchors[slug]

    def suggest(self, name: str) -> str | None:
        """Return the slug ``name`` most likely means, if any is close."""
        if name in self.by_name:
            return self.by_name[name]
        close = closest(name, [*self.slugs, *self.by_name], n=1, cutoff=0.75)
        return self.by_name.get(close[0], close[0]) if close else None


def image_findings(image: Token, inline: Token, where: Locator, file: str) -> Iterable[Finding]:
    """Check an image's alt text, and whether its size can be known."""
    src = str(image.attrGet("src") or "")
    position = where.find(inline, src) if src else where.find(inline, "![")
    alt = image.content.strip()
    name = PurePosixPath(urlsplit(src).path).name
    if not alt:
        yield Rule.IMG001.at(
            file,
            position,
            f"image {name or src!r} has no alt text; fix: "
            "describe what it shows inside ![...] for readers who cannot see it",
        )
    elif alt.casefold() in GENERIC_ALT or alt == name or alt == PurePosixPath(name).stem:
        yield Rule.IMG002.at(
            file,
            position,
            f"alt text {alt!r} says nothing about the image"
            "; fix: describe what it shows, e.g. ![Cranes unloading grain at dusk]",
        )
    if urlsplit(src).scheme in ("http", "https"):
        from publisher.render.email import CONTENT_WIDTH

        yield Rule.IMG005.at(
            file,
            position,
            f"remote image {src!r}: its size is unknown, so "
            f"it is shown {CONTENT_WIDTH} px wide; fix: save it in the issue's folder",
        )


def link_findings(link: Token, inline: Token, where: Locator, file: str) -> Iterable[Finding]:
    """Check a link's address as written."""
    href = str(link.attrGet("href") or "").strip()
    position = where.find(inline, f"]({href}", skip=2) if href else where.find(inline, "]()")
    if not href:
        yield Rule.LNK002.at(file, position, "link has no address; fix: put the URL in (...)")
    elif urlsplit(href).scheme == "http":
        yield Rule.LNK003.at(
            file, position, f"{href} is not encrypted; fix: use https:// if the site supports it"
        )


def ref_findings(
    ref: Ref, issue: Issue, where: Locator, file: str, slugs: Slugs | None
) -> Iterable[Finding]:
    """Return the findings of one resolved link or image."""
    if ref.line < 0:  # the front matter's ``image:``
        position = (issue.body_line + ref.line, 1)
    else:
        position = where.find_from(ref.line, ref.href)
    href = ref.href
    if ref.kind == refs.NOT_IMAGE:  # an image, or a linked image file
        yield Rule.IMG007.at(
            file, position, f"{href!r} cannot be published: {ref.problem}; fix: {ref.hint}"
        )
    elif ref.role in ("image", refs.CARD):
        yield from _image_ref_findings(ref, file, position)
    elif ref.kind == refs.MISSING and ref.name.lower().endswith(".md"):
        stem = PurePosixPath(ref.name).stem
        if stem == "index":
            stem = PurePosixPath(ref.name).parent.name
        slug = slugs.suggest(stem) if slugs is not None else None
        hint = (
            f"link to that issue's file, or to its page ../{slug}/ (slug {slug!r})"
            if slug
            else "check the file name of the issue you mean"
        )
        yield Rule.LNK001.at(
            file, position, f"{href!r} links to {ref.name}, which is not an issue file; fix: {hint}"
        )
    elif ref.kind == refs.MISSING:
        yield Rule.LNK004.at(
            file,
            position,
            f"{href!r}: no file {ref.name!r} next to the issue"
            "; fix: check the name, or add the file to the issue's folder",
        )
    elif ref.kind == refs.OUTSIDE:
        yield Rule.LNK005.at(
            file,
            position,
            f"{href!r} leads to {ref.name}, outside the issue's folder; only files inside it "
            "are published; fix: copy the file into the issue's folder and link it there",
        )
    elif ref.kind == refs.ISSUE and ref.target is not None and ref.target.status != "published":
        yield _unpublished_link(file, position, href, ref.target)


def _image_ref_findings(ref: Ref, file: str, position: tuple[int, int]) -> Iterable[Finding]:
    if ref.kind == refs.MISSING:
        yield Rule.IMG003.at(
            file,
            position,
            f"image {ref.href!r} not found next to the issue"
            "; fix: check the file name, or put the image in the issue's folder",
        )
    elif ref.kind == refs.OUTSIDE:
        yield Rule.IMG006.at(
            file,
            position,
            f"image {ref.href!r} is outside the issue's folder ({ref.name}); only files inside "
            "it are published; fix: copy the image into the issue's folder",
        )


def _unpublished_link(
    file: str, position: tuple[int, int], href: str, target: refs.Target
) -> Finding:
    return Rule.LNK006.at(
        file,
        position,
        f"{href!r} links to the {target.status} issue {target.slug!r}: readers would get a "
        "page that does not exist; fix: publish that issue first, or remove the link",
    )


def site_link_findings(
    issue: Issue, found: Iterable[Ref], config: Config, slugs: Slugs, root: Path
) -> list[Finding]:
    """Check links to paths of the site (``../grain-corridor/``) against the issues' slugs."""
    from publisher.site.plan import SITE_NAMES

    file = shown(issue.source, root)
    where: Locator | None = None
    out = []
    base, site = issue.url(config), config.base_url
    for ref in found:
        if ref.kind != refs.SITE:
            continue
        url = absolute_url(ref.href, base)
        if not url.startswith(site):
            continue
        segments = [unquote(s) for s in url[len(site) :].split("#")[0].split("?")[0].split("/")]
        first = segments[0]
        if not first or first in SITE_NAMES or slugs.slugs.get(first) == "published":
            continue
        where = where or Locator(issue)
        position = where.find_from(ref.line, ref.href)
        if first in slugs.slugs:
            target = refs.Target(first, slugs.slugs[first])
            out.append(_unpublished_link(file, position, ref.href, target))
            continue
        slug = slugs.suggest(first)
        hint = (
            f"its slug is {slug!r}: ../{slug}/"
            if slug
            else "check the slug (the file name without its date), e.g. ../grain-corridor/"
        )
        message = f"{ref.href!r} links to {first!r}, which is not an issue; fix: {hint}"
        out.append(Rule.LNK001.at(file, position, message))
    return out
