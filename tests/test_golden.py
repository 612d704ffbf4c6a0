"""Golden files: the sample issue's email and text, compared byte for byte.

Regenerate after an intended change with ``PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import SAMPLE_SLUG
from publisher.config import load_config
from publisher.issue import load_issues
from publisher.render import render_issue
from publisher.theme import Theme

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(("name", "attr"), [("email.html", "html"), ("email.txt", "text")])
def test_sample_issue_matches_golden(sample: Path, name: str, attr: str) -> None:
    config = load_config(sample)
    (issue,) = [i for i in load_issues(sample, config) if i.slug == SAMPLE_SLUG]
    actual = getattr(render_issue(issue, config, Theme(sample)), attr)
    golden = GOLDEN / f"{SAMPLE_SLUG}.{name}"
    if os.environ.get("PUBLISHER_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == actual, (
        f"{name} changed; if intended: PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
    )


@pytest.mark.parametrize("page", ["index.html", f"{SAMPLE_SLUG}/index.html", "assets/style.css"])
def test_sample_site_pages_match_golden(sample: Path, page: str) -> None:
    from publisher.build import build

    build(sample)
    actual = (sample / "site" / page).read_text(encoding="utf-8")
    golden = GOLDEN / ("site-" + page.replace("/", "-"))
    if os.environ.get("PUBLISHER_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == actual, (
        f"{page} changed; if intended: PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
    )
