"""``publisher init --github-pages``: the GitHub Actions workflow that checks, builds and deploys.

The workflow installs publisher, runs ``publisher check --strict`` and ``publisher build``, and
deploys ``site/`` with GitHub's own Pages actions. It is written once and never overwritten.
"""

from __future__ import annotations

import json
import shlex
from importlib import metadata
from pathlib import Path

from publisher.errors import PublisherError

#: Where the workflow lives in a newsletter folder.
WORKFLOW = Path(".github") / "workflows" / "publish.yml"
#: The Python the workflow runs publisher with.
PYTHON = "3.12"
#: How publisher's own source is installed, for the hint.
INSTALL_EXAMPLE = "git+https://github.com/you/publisher@v0.1.0"

TEMPLATE = """\
# Written by `publisher init --github-pages`. On every push to {branch}: check the issues
# (warnings fail the run), build site/ and publish it with GitHub Pages.
# Once: Settings > Pages > Build and deployment > Source: "GitHub Actions".
name: Publish

on:
  push:
    branches: [{branch_json}]
  workflow_dispatch: {{}}

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v7
      - uses: actions/setup-python@v7
        with:
          python-version: "{python}"
      - name: Install publisher
        run: {install}
      - uses: actions/configure-pages@v5
      - name: Check
        run: publisher check --strict
      - name: Build
        run: publisher build
      - uses: actions/upload-pages-artifact@v5
        with:
          path: site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v5
"""


def workflow_text(install: str, branch: str = "main") -> str:
    """Return the workflow that installs publisher from ``install`` (what pip is given)."""
    command = f"python -m pip install {shlex.quote(install)}"
    return TEMPLATE.format(
        branch=branch,
        branch_json=json.dumps(branch),
        python=PYTHON,
        install=json.dumps(command),  # a JSON string is a YAML string
    )


def write_workflow(root: Path, install: str) -> Path:
    """Write the workflow into ``root``; refuse to overwrite one. Return its path."""
    path = root / WORKFLOW
    if path.exists():
        raise PublisherError.at(
            f"refusing to overwrite {path}",
            hint="it is yours now: edit it, or move it away to have publisher write it again",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write(workflow_text(install))
    return path


def installed_from() -> str:
    """Return what pip installed this publisher from, when that is a git repository (PEP 610).

    publisher is not on PyPI (a different, older project holds the name there), so the
    workflow can only install it from where its source is.
    """
    try:
        text = metadata.distribution("publisher").read_text("direct_url.json") or "{}"
        found = json.loads(text)
    except (metadata.PackageNotFoundError, ValueError):
        found = {}
    vcs = found.get("vcs_info", {})
    if vcs.get("vcs") == "git" and found.get("url", "").startswith("https://"):
        return f"git+{found['url']}@{vcs.get('commit_id', '')}".rstrip("@")
    raise PublisherError.at(
        "cannot tell where GitHub should install publisher from: this copy was not installed "
        "from a git repository",
        hint=f"give what pip installs, e.g. --install {INSTALL_EXAMPLE}",
    )
