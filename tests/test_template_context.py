"""Every template variable is documented, in code and in the README."""

from __future__ import annotations

import dataclasses

from conftest import REPO
from publisher.check import RULES
from publisher.context import DOCUMENTED, reference_table


def test_every_context_field_has_help_text() -> None:
    for cls in DOCUMENTED:
        for field in dataclasses.fields(cls):
            assert field.metadata.get("doc"), f"{cls.__name__}.{field.name} is undocumented"


def test_the_readme_lists_every_template_variable() -> None:
    readme = REPO.joinpath("README.md").read_text(encoding="utf-8")
    for cls in DOCUMENTED:
        table = reference_table(cls)
        assert table in readme, f"README's table of {cls.__name__} is not:\n{table}"


def test_the_readme_lists_every_check_rule() -> None:
    readme = REPO.joinpath("README.md").read_text(encoding="utf-8")
    table = "\n".join(f"| `{rule}` | {level} | {what} |" for rule, (level, what) in RULES.items())
    assert table in readme, f"README's table of check rules is not:\n{table}"
