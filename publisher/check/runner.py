"""Run every rule over a newsletter folder, or the error rules over one issue for ``build``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from publisher.check.external import TIMEOUT, Link, link_findings, links_of
from publisher.check.links import Slugs
from publisher.check.output import email_findings, web_findings
from publisher.check.rules import ERROR, WARNING, Finding, Rule, from_problem, shown
from publisher.check.settings import settings_findings
from publisher.check.source import issue_findings
from publisher.config import SETTINGS_FILE, Config, load_config
from publisher.errors import PublisherError, collecting
from publisher.model.issue import Issue, Loaded, load_folder
from publisher.render import refs
from publisher.render.nesting import TooDeep
from publisher.render.refs import SiteIndex
from publisher.render.rendered import Rendered
from publisher.render.shelf import shelf_of
from publisher.render.theme import Theme

if TYPE_CHECKING:
    from publisher.model.markdown import Document

#: The rules on the theme: their findings stay when only some issues are checked.
THEME_RULES = {Rule.TPL001.name, Rule.TPL002.name}


def run_checks(
    root: Path,
    paths: Sequence[Path] = (),
    now: dt.datetime | None = None,
    out: Path | None = None,
    links: bool = False,
    timeout: float = TIMEOUT,
) -> list[Finding]:
    """Check the newsletter in ``root`` (or only the issue files in ``paths``) against the site
    in ``out`` (default ``site/``), and with ``links`` its links to other sites over the
    network, waiting ``timeout`` seconds for each; sorted findings."""
    from publisher.render.issue import read_body, render_issue
    from publisher.site.manifest import changed_ids, read_manifest
    from publisher.site.plan import SITE_DIR, plan_for

    root = root.resolve()
    now = now or dt.datetime.now(dt.UTC)
    out = (out or root / SITE_DIR).resolve()
    with collecting() as warnings:
        try:
            config = load_config(root)
        except PublisherError as exc:
            return sorted(from_problem(Rule.FM003, p, root) for p in exc.problems)
    findings = [from_problem(Rule.FM004, w, root) for w in warnings]
    findings += settings_findings(config, root)
    theme = Theme(root)
    loaded = load_folder(root, config)
    findings += _loading_findings(loaded, root)
    issues = loaded.issues
    published = sorted(
        (i for i in issues if i.is_published(now)), key=lambda i: (i.date, i.slug), reverse=True
    )
    host = urlsplit(config.base_url).hostname or ""
    changed = changed_ids(read_manifest(out), published, host)
    findings += [from_problem(Rule.ID003, p, root) for p in changed]
    plan, problems = plan_for(root, config, theme, published, shelf_of(root))
    findings += [from_problem(Rule.SITE001, p, root) for p in problems]

    wanted = {p.resolve() for p in paths}
    checked: list[tuple[Issue, Rendered]] = []
    outgoing: list[Link] = []
    slugs = Slugs(issues, now)
    index = SiteIndex(root, now, issues)
    for issue in issues:
        if wanted and not {issue.source.resolve(), issue.source.parent.resolve()} & wanted:
            continue
        doc = read_body(issue, root, index)
        findings += issue_findings(issue, doc, config, slugs, root, now)
        if links:
            outgoing += links_of(issue, doc, shown(issue.source, root))
        if issue.is_published(now):
            problems = plan.add_issue_files(issue, refs.file_lines(doc.refs, issue.body_line))
            findings += [from_problem(Rule.SITE001, p, root) for p in problems]
        try:
            rendered = render_issue(issue, config, theme, doc)
        except PublisherError as exc:
            rule = Rule.NEST001 if isinstance(exc, TooDeep) else Rule.TPL001
            findings += [from_problem(rule, p, root) for p in exc.problems]
            continue
        findings += email_findings(issue, rendered, config, root)
        checked.append((issue, rendered))
    findings += web_findings(theme, config, checked, root)
    findings += link_findings(outgoing, config, root, timeout) if links else []
    findings += [from_problem(Rule.TPL002, p, root) for p in theme.block_problems()]
    return sorted(set(_only_of(findings, wanted, root) if wanted else findings))


def _loading_findings(loaded: Loaded, root: Path) -> list[Finding]:
    """Return the problems of loading the issue files: unreadable, warned about, clashing."""
    found = [from_problem(Rule.FM001, p, root) for ps in loaded.failed.values() for p in ps]
    found += [from_problem(Rule.FM002, w, root) for ws in loaded.warnings.values() for w in ws]
    for problem in loaded.clashes:
        rule = Rule.ID001 if problem.message.startswith("slug") else Rule.ID002
        found.append(from_problem(rule, problem, root))
    return found


def _only_of(findings: list[Finding], wanted: set[Path], root: Path) -> list[Finding]:
    """Keep the findings of the ``wanted`` issue files, of the settings and of the theme."""
    keep = {shown(p, root) for p in wanted} | {SETTINGS_FILE}
    keep |= {f.file for f in findings if f.rule in THEME_RULES}
    keep |= {shown(p / "index.md", root) for p in wanted if p.is_dir()}
    return [f for f in findings if f.file in keep]


def errors_of(
    issue: Issue, doc: Document, rendered: Rendered, config: Config, root: Path, now: dt.datetime
) -> list[Finding]:
    """Return the error-level findings of one rendered issue: what stops ``publisher build``.

    Links to paths of the site are checked apart, once every slug is known
    (``site_link_findings``).
    """
    found = issue_findings(issue, doc, config, None, root, now)
    found += email_findings(issue, rendered, config, root)
    return sorted({f for f in found if f.level == ERROR})


def exit_status(findings: Sequence[Finding], strict: bool) -> int:
    """Return 1 when there is an error (or, with ``strict``, a warning), else 0."""
    failing = {ERROR, WARNING} if strict else {ERROR}
    return 1 if any(f.level in failing for f in findings) else 0
