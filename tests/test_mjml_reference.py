"""The official MJML compiler (npm `mjml`, the one MJML's authors ship) as the reference for what
mjml-python makes of our theme: the same Outlook-only tables at the same widths, the same image
sizes and the same visible text in Chromium, and MJML's strict validation passes.

No difference remains between the two on these issues, so none is listed as harmless.

Node is needed (the runtime never uses it); `.ci/run` installs the package with npm, and this
test installs it the same way into `.mjml-reference/` when it is missing. Without `node` on the
machine the test is skipped, saying so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from conftest import REPO, SAMPLE_SLUG, Newsletter
from publisher.render.email import compile_mjml
from publisher.render.issue import render_one

MJML_VERSION = "4.18.0"  # the MJML 4 release MRML (mjml-python's core) follows
FOLDER = Path(os.environ.get("PUBLISHER_MJML_DIR", REPO / ".mjml-reference"))


@pytest.fixture(scope="session")
def mjml_cli() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the official MJML compiler runs on Node.js")
    cli = FOLDER / "node_modules" / "mjml" / "bin" / "mjml"
    if not cli.exists():
        npm = shutil.which("npm")
        assert npm, "node without npm: install npm to fetch the reference compiler"
        subprocess.run(
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(FOLDER),
             f"mjml@{MJML_VERSION}"],
            check=True, timeout=600,
        )  # fmt: skip
    return [node, str(cli)]


def official(cli: list[str], mjml: str, tmp_path: Path) -> str:
    source = tmp_path / "email.mjml"
    source.write_text(mjml, encoding="utf-8")
    result = subprocess.run(
        [*cli, str(source), "-s", "--config.validationLevel=strict", "--config.minify=false"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def outlook_tables(html: str) -> list[tuple[str, str | None, str | None]]:
    """Return every table and cell of the Outlook-only markup: (tag, width, style width)."""
    found = []
    for block in re.findall(r"<!--\[if mso \| IE\]>(.*?)<!\[endif\]-->", html, re.S):
        for tag, attrs in re.findall(r"<(table|td)\b([^>]*)>", block):
            width = re.search(r'\swidth="([^"]*)"', attrs)
            style = re.search(r'style="[^"]*?\bwidth:\s*([0-9.]+px)', attrs)
            found.append(
                (tag, width.group(1) if width else None, style.group(1) if style else None)
            )
    return found


def img_sizes(html: str) -> list[tuple[str, str]]:
    out = []
    for tag in re.findall(r"<img\b[^>]*>", html):
        width = re.search(r'\swidth="([^"]*)"', tag)
        height = re.search(r'\sheight="([^"]*)"', tag)
        out.append((width.group(1) if width else "", height.group(1) if height else ""))
    return out


def visible_text(browser: Any, html: str) -> tuple[str, list[Any]]:
    """Return the text Chromium shows, and the preheader's display, width and height."""
    page = browser.new_page(viewport={"width": 600, "height": 900})
    try:
        page.set_content(html, wait_until="domcontentloaded")
        preheader = page.evaluate(
            "(() => { const p = document.querySelector('.preheader'); const r = "
            "p.getBoundingClientRect(); return [getComputedStyle(p).display, r.width, r.height]; "
            "})()"
        )
        return " ".join(page.evaluate("document.body.innerText").split()), preheader
    finally:
        page.close()


EVERYTHING = """\
The opening paragraph, with a [link](https://example.org/) and `code`.[^n]

![An inline photo](photo.png "A caption | Photo: A. Writer")

## A section

- one
- two with **bold**

> A pull quote, in its own block.

---

| a | b |
|---|---|
| 1 | 2 |

Source: [The agency](https://example.org/s)

[Read the report](https://example.org/report){.button}

::: note
A note, in a box.
:::

::: sponsor
Supported by Harbour Books.
:::

[^n]: A note.
"""


@pytest.mark.browser
def test_mjml_python_compiles_our_theme_as_the_official_compiler_does(
    mjml_cli: list[str], browser: Any, sample: Path, newsletter: Newsletter, tmp_path: Path
) -> None:
    path = newsletter.issue("2025-07-15-everything/index.md", body=EVERYTHING)
    Image.new("RGB", (400, 300), "teal").save(path.parent / "photo.png")
    Image.new("RGB", (320, 80), "navy").save(newsletter.root / "logo.png")
    settings = newsletter.root / "newsletter.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            'base_url = "https://news.example.org/"',
            'base_url = "https://news.example.org/"\nlogo = "logo.png"',
        ),
        encoding="utf-8",
    )
    for root, slug in ((sample, SAMPLE_SLUG), (newsletter.root, "everything")):
        rendered = render_one(root, slug)
        ours = compile_mjml(rendered.mjml, root / "email.mjml.j2")
        theirs = official(mjml_cli, rendered.mjml, tmp_path)
        assert outlook_tables(ours) == outlook_tables(theirs), slug
        assert img_sizes(ours) == img_sizes(theirs), slug
        shown = visible_text(browser, ours)
        assert shown == visible_text(browser, theirs), slug
        assert shown[1] == ["none", 0, 0], slug  # the preheader stays hidden
