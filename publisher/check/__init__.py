"""``publisher check``: every rule over every issue, one finding per line, like a linter.

``rules`` declares the rules; ``source``, ``links``, ``output`` and ``settings`` find what breaks
them, by what they look at; ``runner`` runs them for ``check``, ``build`` and ``preview``.
"""

from __future__ import annotations

from publisher.check.links import Slugs, site_link_findings
from publisher.check.output import (
    GMAIL_CLIP,
    HEAVY_EMAIL,
    TRACKED_LINK,
    email_findings,
    received_size,
    web_findings,
)
from publisher.check.rules import (
    ERROR,
    INFO,
    LEVELS,
    RULES,
    WARNING,
    Finding,
    Rule,
    from_problem,
)
from publisher.check.runner import errors_of, exit_status, run_checks
from publisher.check.settings import colour_pairs, settings_findings
from publisher.check.source import issue_findings
from publisher.colours import contrast

__all__ = [
    "ERROR",
    "GMAIL_CLIP",
    "HEAVY_EMAIL",
    "INFO",
    "LEVELS",
    "RULES",
    "TRACKED_LINK",
    "WARNING",
    "Finding",
    "Rule",
    "Slugs",
    "colour_pairs",
    "contrast",
    "email_findings",
    "errors_of",
    "exit_status",
    "from_problem",
    "issue_findings",
    "received_size",
    "run_checks",
    "settings_findings",
    "site_link_findings",
    "web_findings",
]
