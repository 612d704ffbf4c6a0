"""The rules on an issue's source: its state and summary, headings, raw HTML and footnotes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.check.anchors import anchor_findings
from publisher.check.links import (
    Slugs,
    image_findings,
    link_findings,
    ref_findings,
    site_link_findings,
)
from publisher.check.rules import Finding, Locator, Rule, shown
from publisher.check.settings import no_catalogue
from publisher.config import Config
from publisher.model.issue import Issue
from publisher.model.markdown import parser
from publisher.strings import has_catalogue

if TYPE_CHECKING:
    from markdown_it.token import Token

    from publisher.model.markdown import Document

INBOX_PREVIEW = 140
UNSAFE_HTML = re.compile(
    r"<\s*(script|iframe|form|object|embed)\b|\son[a-z]+\s*=|javascript\s*:", re.IGNORECASE
)
UNDEFINED_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")


def issue_findings(
    issue: Issue,
    doc: Document,
    config: Config,
    slugs: Slugs | None,
    root: Path,
    now: dt.datetime,
) -> list[Finding]:
    """Run every rule that needs only the issue's source (``doc`` read by ``read_body``).

    Links to paths of the site (``../grain-corridor/``), and links to sections
    (``#costs``), are checked against ``slugs`` when it is given (``site_link_findings``,
    ``anchor_findings``).
    """
    file = shown(issue.source, root)
    where = Locator(issue)
    found = _front_findings(issue, config, file, now)
    found += _markup_findings(doc, where, file)
    for ref in doc.refs:
        found.extend(ref_findings(ref, issue, where, file, slugs))
    if slugs is not None:
        found += site_link_findings(issue, doc.refs, config, slugs, root)
        found += anchor_findings(issue, doc, config, slugs, file, where)
    return found


def _front_findings(issue: Issue, config: Config, file: str, now: dt.datetime) -> list[Finding]:
    """Check the issue's state, language and summary, each at its front-matter key."""
    found: list[Finding] = []

    def add(rule: Rule, key: str, message: str) -> None:
        found.append(rule.at(file, (issue.lines.get(key, 1), 1), message))

    if issue.draft:
        add(
            Rule.DRAFT001,
            "draft",
            "draft: left out of site/ and the feeds; fix: remove `draft: true` to publish it",
        )
    elif issue.is_scheduled(now):
        add(
            Rule.DATE001,
            "date",
            f"scheduled for {issue.date.date().isoformat()}: built once that day has come",
        )
    if issue.language != config.language and not has_catalogue(issue.language):
        add(Rule.SET007, "language", no_catalogue(issue.language))
    if not issue.summary:
        instead = "the subtitle" if issue.subtitle else "the first paragraph"
        add(
            Rule.SUM001,
            "summary",
            f"no `summary:`; the inbox shows {instead} instead"
            "; fix: add a one-sentence `summary:` of up to 140 characters",
        )
    elif len(issue.summary) > INBOX_PREVIEW:
        add(
            Rule.SUM002,
            "summary",
            f"summary is {len(issue.summary)} characters; inboxes show about {INBOX_PREVIEW}"
            "; fix: shorten it",
        )
    return found


def _markup_findings(doc: Document, where: Locator, file: str) -> list[Finding]:
    """Check the headings, the raw HTML, the footnotes, and the images and links as written."""
    found: list[Finding] = []

    def add(rule: Rule, position: tuple[int, int], message: str) -> None:
        found.append(rule.at(file, position, message))

    level = 1  # the title is the page's h1
    cut = parser().options["maxNesting"] - 1  # markdown-it reads nothing inside a block opened here
    for n, token in enumerate(doc.tokens):
        if token.nesting == 1 and token.level >= cut and doc.tokens[n + 1].nesting == -1:
            add(
                Rule.NEST001,
                where.find(token),
                f"quotes, lists or boxes nested {token.level + 1} levels deep (a list counts "
                "two): Markdown reads no deeper, and what is inside is left out; fix: nest "
                "fewer of them inside one another",
            )
        if token.type == "heading_open":
            new = int(token.tag[1])
            if new > level + 1:
                add(
                    Rule.HDG001,
                    where.find(token),
                    f"heading level {new} follows level {level}"
                    f"; fix: use {'#' * (level + 1)} (the title is level 1)",
                )
            level = new
        if token.type in ("html_block", "html_inline") and UNSAFE_HTML.search(token.content):
            add(
                Rule.HTML001,
                where.find(token, token.content.strip()[:20]),
                "script, iframe, form, event handler or javascript: URL: it is removed from "
                "email and feeds; fix: delete it, or link to the page instead",
            )
        if token.type == "inline":
            found.extend(_inline_findings(token, where, file))
    for label, number in doc.env.get("footnotes", {}).get("refs", {}).items():
        if number == -1:
            name = label.lstrip(":")
            add(
                Rule.FN002,
                where.find(None, f"[^{name}]:"),
                f"footnote [^{name}] is defined but never used, so it is not shown"
                f"; fix: cite it with [^{name}] in the text, or delete it",
            )
    return found


def _inline_findings(token: Token, where: Locator, file: str) -> Iterable[Finding]:
    """Check the images, links, raw HTML and footnote references of one inline token."""
    for child in token.children or []:
        if child.type == "image":
            yield from image_findings(child, token, where, file)
        elif child.type == "link_open":
            yield from link_findings(child, token, where, file)
        elif child.type == "html_inline" and UNSAFE_HTML.search(child.content):
            yield Rule.HTML001.at(
                file,
                where.find(token, child.content[:20]),
                "script, iframe, form, event handler or javascript: URL: it is removed"
                "; fix: delete it",
            )
        elif child.type == "text":
            for match in UNDEFINED_FOOTNOTE.finditer(child.content):
                yield Rule.FN001.at(
                    file,
                    where.find(token, match.group()),
                    f"footnote [^{match.group(1)}] is never defined"
                    f"; fix: add a line `[^{match.group(1)}]: the note` at the end",
                )
