"""The rules of ``publisher check``, each declared once, and what a rule finds.

Code names a rule by its member (``Rule.IMG003``), never by its id as a string: mypy rejects a
misspelt id, and so does Python wherever the line runs (``AttributeError``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum, unique
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.config import SETTINGS_FILE
from publisher.errors import Problem, display_path

if TYPE_CHECKING:
    from markdown_it.token import Token

    from publisher.model.issue import Issue

ERROR, WARNING, INFO = "error", "warning", "info"
LEVELS = (ERROR, WARNING, INFO)


@unique
class Rule(Enum):
    """Every rule: its id (the member's name), its level and what it finds."""

    FM001 = ERROR, "front matter or file that cannot be read"
    FM002 = WARNING, "unknown front-matter key, or a character that was removed"
    FM003 = ERROR, "settings (newsletter.toml) that cannot be read"
    FM004 = WARNING, "unknown setting"
    ID001 = ERROR, "two issues with the same slug"
    ID002 = ERROR, "two issues with the same feed id"
    ID003 = WARNING, "a feed id that would change against the published site"
    IMG001 = WARNING, "image without alt text"
    IMG002 = WARNING, "image whose alt text says nothing (“image”, “photo”, its file name)"
    IMG003 = ERROR, "local image that does not exist"
    IMG004 = WARNING, "image still heavy in the email after resizing (over 200 KB)"
    IMG005 = INFO, "remote image of unknown size"
    IMG006 = ERROR, "image outside the issue's folder or the newsletter folder"
    IMG007 = (
        ERROR,
        "image that cannot be published: empty, damaged, not an image (read by its content), "
        "an SVG drawing in the email, or over Pillow's decompression-bomb limit (an animation: "
        "every frame counted)",
    )
    IMG008 = WARNING, "email over 1 MB with its images: slow to open on a phone"
    LNK001 = ERROR, "link to another issue that does not exist"
    LNK002 = ERROR, "empty link"
    LNK003 = WARNING, "http:// link"
    LNK004 = ERROR, "link to a local file that does not exist"
    LNK005 = ERROR, "link to a file outside the issue's folder or the newsletter folder"
    LNK006 = ERROR, "link to a draft or scheduled issue (readers would get a 404)"
    LNK007 = (
        WARNING,
        "link to a section (#fragment) that its issue's page does not have: it opens at the top",
    )
    LNK008 = ERROR, "link to another site whose page is gone (404 or 410; check --links)"
    LNK009 = WARNING, "link to another site that has moved for good (301 or 308; check --links)"
    LNK010 = (
        INFO,
        "link to another site that could not be checked: it refused (403, 429, 5xx), did not "
        "answer in time, or could not be reached (check --links)",
    )
    FN001 = ERROR, "footnote reference without a definition"
    FN002 = WARNING, "footnote defined but never referenced"
    HDG001 = WARNING, "heading that skips a level"
    HTML001 = WARNING, "script, iframe, form, event handler or javascript: URL (removed)"
    NEST001 = (
        ERROR,
        "markup nested too deep: over 100 elements inside one another (emphasis, links, HTML "
        "tags), or quotes and lists past the 20 levels Markdown reads (what is deeper is lost)",
    )
    SIZE001 = (
        WARNING,
        "email over 80 KB as a mailbox receives it (its HTML encoded for sending, and 300 "
        "bytes a link for an email service's click tracking), close to Gmail's clipping",
    )
    SIZE002 = ERROR, "email over 102 KB as a mailbox receives it: Gmail clips it"
    SUM001 = INFO, "no summary: the subtitle, else the first paragraph, is the inbox preview"
    SUM002 = WARNING, "summary longer than an inbox shows"
    TPL001 = (
        ERROR,
        "the theme cannot render the issue (a template's mistake, or what its sandbox stops), "
        "or makes MJML that MJML does not know",
    )
    TPL002 = WARNING, "a template's block that the template it extends does not have"
    SET001 = WARNING, "text colour below WCAG AA contrast on the background"
    SET002 = WARNING, "no postal address in the settings"
    SET003 = ERROR, "no unsubscribe link in the email"
    SET004 = WARNING, "base_url is a placeholder domain (example.com, .test, localhost...)"
    SET005 = WARNING, "no email service chosen: the unsubscribe link is a placeholder"
    SET006 = (
        WARNING,
        "ready-to-send messages (email.eml) that no email service sends, without a one-click "
        "unsubscribe URL that names the reader (RFC 8058)",
    )
    SET007 = WARNING, "a language the theme has no words for: they stay in English"
    SET008 = WARNING, "a dark-mode logo without a logo: it is never shown"
    DATE001 = INFO, "dated in the future: scheduled"
    DRAFT001 = INFO, "draft: not published"
    SITE001 = (
        ERROR,
        "a path of the site claimed twice: a slug the site uses, a static file or "
        "an issue's file over a generated one",
    )

    def __init__(self, level: str, summary: str) -> None:
        self.level = level
        self.summary = summary

    def at(self, file: str, position: tuple[int, int], message: str) -> Finding:
        """Return a finding of this rule at (line, column) of ``file``."""
        return Finding(file, *position, self.name, message)


#: Every rule: id -> (level, what it finds).
RULES: dict[str, tuple[str, str]] = {rule.name: (rule.level, rule.summary) for rule in Rule}


@dataclass(frozen=True, order=True)
class Finding:
    """One thing a rule found, with where it is and how to fix it."""

    file: str
    line: int
    column: int
    rule: str
    message: str

    @property
    def level(self) -> str:
        """Return the rule's level: error, warning or info."""
        return Rule[self.rule].level

    def format(self) -> str:
        """Return ``file:line:col: level rule message``."""
        return f"{self.file}:{self.line}:{self.column}: {self.level} {self.rule} {self.message}"

    def as_dict(self) -> dict[str, object]:
        """Return the finding for JSON output."""
        return {**asdict(self), "level": self.level}


def shown(path: Path | None, root: Path) -> str:
    """Return ``path`` as findings show it: relative to ``root``; the settings file if none."""
    return display_path(path, root) if path is not None else SETTINGS_FILE


def from_problem(rule: Rule, problem: Problem, root: Path) -> Finding:
    """Turn a loading problem into a finding of ``rule``."""
    message = problem.message + (f"; fix: {problem.hint}" if problem.hint else "")
    return rule.at(shown(problem.file, root), (problem.line or 1, 1), message)


class Locator:
    """Finds the file line and column of something in an issue's body."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        self.lines = issue.body.split("\n")

    def find(self, token: Token | None, needle: str = "", skip: int = 0) -> tuple[int, int]:
        """Return (line, column) of ``needle`` (plus ``skip`` characters) in ``token``'s lines."""
        start, end = (token.map or [0, 1]) if token is not None else (0, len(self.lines))
        for n in range(start, max(end, start + 1)):
            if n < len(self.lines):
                column = self.lines[n].find(needle) if needle else 0
                if column >= 0:
                    return self.issue.body_line + n, column + 1 + (skip if needle else 0)
        return self.issue.body_line + start, 1

    def find_from(self, line: int, needle: str) -> tuple[int, int]:
        """Return (line, column) of ``needle`` at body line ``line`` or the few after it."""
        for n in range(line, min(line + 20, len(self.lines))):
            column = self.lines[n].find(needle)
            if column >= 0:
                return self.issue.body_line + n, column + 1
        return self.issue.body_line + line, 1
