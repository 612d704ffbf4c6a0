"""Golden files: the sample issue's email and text, compared byte for byte, and the digest of
every file the bundled example and a synthetic archive publish.

Regenerate after an intended change with ``PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

from conftest import SAMPLE_SLUG
from publisher.config import load_config
from publisher.model.issue import load_issues
from publisher.render.issue import render_issue
from publisher.render.theme import Theme

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
    from publisher.build.pipeline import build

    build(sample)
    actual = (sample / "site" / page).read_text(encoding="utf-8")
    golden = GOLDEN / ("site-" + page.replace("/", "-"))
    if os.environ.get("PUBLISHER_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == actual, (
        f"{page} changed; if intended: PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
    )


def published_files(site: Path) -> str:
    """Return the digest of every file of a built site, one per line, as JSON."""
    digests = {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }
    return json.dumps(digests, indent=1, sort_keys=True) + "\n"


def synthetic_archive(out: Path, issues: int) -> Path:
    """Write the benchmarks' synthetic archive (benchmarks/generate.py)."""
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("generate", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root: Path = module.generate(out, issues)
    return root


@pytest.mark.parametrize("archive", ["example", "synthetic"])
def test_every_published_file_matches_golden(sample: Path, tmp_path: Path, archive: str) -> None:
    """Every file the bundled example and 24 synthetic issues publish, byte for byte, whichever
    way the build goes: cold on worker processes, serial without the cache, and from the cache
    after a setting that no output reads."""
    from publisher.build.pipeline import build

    root = sample if archive == "example" else synthetic_archive(tmp_path / "synthetic", 24)
    build(root, jobs=2)
    actual = published_files(root / "site")
    golden = GOLDEN / f"{archive}-files.json"
    if os.environ.get("PUBLISHER_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == actual, (
        f"a file of the {archive} site changed; if intended: "
        "PUBLISHER_UPDATE_GOLDEN=1 pytest tests/test_golden.py"
    )
    build(root, out=tmp_path / "serial", jobs=1, cache=False)
    assert published_files(tmp_path / "serial") == actual
    settings = root / "newsletter.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n[smtp]\ntimeout = 9\n")
    build(root)
    assert published_files(root / "site") == actual
