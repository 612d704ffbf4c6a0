"""The settings and front-matter references are generated from the code that checks them.

Regenerate after a change to a setting or a front-matter key with
``PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_reference.py`` and read the diff.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import pytest

from conftest import REPO
from publisher.config import Config, settings_reference
from publisher.model.frontmatter import front_matter_reference


@pytest.mark.parametrize(
    ("name", "generate"),
    [("settings.md", settings_reference), ("front-matter.md", front_matter_reference)],
)
def test_reference_is_what_the_schema_says(name: str, generate: Callable[[], str]) -> None:
    path = REPO / "docs" / "reference" / name
    actual = generate()
    if os.environ.get("PUBLISHER_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == actual, (
        f"docs/reference/{name} is stale: PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_reference.py"
    )


def test_the_settings_reference_names_every_setting() -> None:
    text = settings_reference()
    defaults = Config()
    for field in dataclasses.fields(Config):
        if field.metadata.get("internal"):
            continue
        value = getattr(defaults, field.name)
        if dataclasses.is_dataclass(value):
            section = text.split(f"## `[{field.name}]`", 1)[1].split("\n## ", 1)[0]
            for inner in dataclasses.fields(value):
                assert f"| `{inner.name}` |" in section, f"{field.name}.{inner.name}"
        else:
            assert f"| `{field.name}` |" in text or f"## `[{field.name}]`" in text, field.name
