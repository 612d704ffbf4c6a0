"""The layers stay apart: the settings load without any code that renders, builds or serves,
and the image pipeline never reads the settings."""

from __future__ import annotations

import subprocess
import sys

import pytest

ABOVE_CONFIG = [
    "build",
    "check",
    "cli",
    "frontmatter",
    "images",
    "issue",
    "preview",
    "render",
    "site",
]


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [("publisher.config", ABOVE_CONFIG), ("publisher.images", ["config"])],
)
def test_a_layer_loads_without_the_ones_it_must_not_know(module: str, forbidden: list[str]) -> None:
    code = f"import {module}, sys; print(*sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert not loaded & {f"publisher.{name}" for name in forbidden}
