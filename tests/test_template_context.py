"""Every template variable is documented, in code and in the README."""

from __future__ import annotations

import dataclasses

from conftest import REPO
from publisher.context import DOCUMENTED


def test_every_context_field_has_help_text() -> None:
    for cls in DOCUMENTED:
        for field in dataclasses.fields(cls):
            assert field.metadata.get("doc"), f"{cls.__name__}.{field.name} is undocumented"


def test_the_readme_lists_every_template_variable() -> None:
    readme = REPO.joinpath("README.md").read_text(encoding="utf-8")
    for cls in DOCUMENTED:
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in readme, f"README does not list {cls.__name__}.{field.name}"
