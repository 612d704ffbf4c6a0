"""Every template variable is documented, and docs/reference/ holds what the code generates:
the template context and the check rules.

Regenerate the reference pages after an intended change with
``PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_template_context.py`` and read the diff.
"""

from __future__ import annotations

import dataclasses
import inspect
import os

from conftest import REPO
from publisher.check import Rule
from publisher.render.context import (
    DOCUMENTED,
    Block,
    Endnote,
    FeedLinks,
    IssueLink,
    IssueView,
    PageContext,
    Pagination,
    SocialImage,
    TagLink,
    TemplateContext,
    reference_table,
)

REFERENCE = REPO / "docs" / "reference"
REGENERATE = "PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_template_context.py"
#: The documented classes as the reference shows them: each context, then what it holds.
SECTIONS = {
    "Email templates": (TemplateContext, IssueView, Block, Endnote),
    "Web page templates": (PageContext, SocialImage, IssueLink, TagLink, FeedLinks, Pagination),
}


def check_generated(name: str, text: str) -> None:
    """Compare docs/reference/``name`` with ``text``; write it with PUBLISHER_UPDATE_GOLDEN."""
    path = REFERENCE / name
    if os.environ.get("PUBLISHER_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file() and path.read_text(encoding="utf-8") == text, (
        f"{path.relative_to(REPO)} is not what the code generates; if intended: {REGENERATE}"
    )


def template_context_page() -> str:
    """Return docs/reference/template-context.md: every template variable, class by class."""
    lines = [
        "# Template context",
        "",
        f"<!-- Generated from publisher/context.py by `{REGENERATE}`. -->",
        "",
        "Templates render with Jinja2's `StrictUndefined`: a misspelt variable is an error naming",
        "the template and line. The email templates and the web page templates each get one",
        "context.",
    ]
    for section, classes in SECTIONS.items():
        lines += ["", f"## {section}"]
        for cls in classes:
            summary = inspect.getdoc(cls) or ""
            lines += ["", f"### {cls.__name__}", "", summary.replace("``", "`"), ""]
            lines.append(reference_table(cls))
    return "\n".join(lines) + "\n"


def check_rules_page() -> str:
    """Return docs/reference/check-rules.md: every rule with its level and what it finds."""
    lines = [
        "# Check rules",
        "",
        f"<!-- Generated from publisher/check/rules.py by `{REGENERATE}`. -->",
        "",
        "`publisher check` prints one finding a line: `file:line:column: level rule message`.",
        "It exits with status 1 when there is an error (with `--strict`, a warning too), and",
        "`publisher build` runs the same error rules on every issue it publishes.",
        "",
        "| rule | level | finds |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{rule.name}` | {rule.level} | {rule.summary} |" for rule in Rule]
    return "\n".join(lines) + "\n"


def test_every_context_field_has_help_text() -> None:
    for cls in DOCUMENTED:
        for field in dataclasses.fields(cls):
            assert field.metadata.get("doc"), f"{cls.__name__}.{field.name} is undocumented"


def test_the_reference_shows_every_documented_class() -> None:
    shown = [cls for classes in SECTIONS.values() for cls in classes]
    assert sorted(shown, key=str) == sorted(DOCUMENTED, key=str)


def test_the_template_context_reference_is_generated() -> None:
    check_generated("template-context.md", template_context_page())


def test_the_check_rules_reference_is_generated() -> None:
    check_generated("check-rules.md", check_rules_page())
