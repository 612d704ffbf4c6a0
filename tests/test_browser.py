"""Chromium shows the built email as a reader would: no sideways scrolling, dark mode applied."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import SAMPLE_SLUG, serve_from
from publisher.build.pipeline import build

pytestmark = pytest.mark.browser


@pytest.fixture
def served_email(sample: Path, http_server: tuple[str, Path]) -> str:
    """Build the sample with base_url on a real local HTTP server; return the email's URL."""
    base_url, www = http_server
    serve_from(sample / "newsletter.toml", base_url)
    build(sample, out=www / "site")
    for child in (www / "site").iterdir():
        child.rename(www / child.name)
    return f"{base_url}{SAMPLE_SLUG}/email.html"


@pytest.mark.parametrize("width", [320, 375, 600])
def test_email_has_no_horizontal_scrolling(browser: Any, served_email: str, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(served_email)
        page.wait_for_load_state("load")
        loaded = page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert loaded, "the email's images did not load from the local server"
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{scroll}px of content in a {client}px window"
        text = page.evaluate("document.body.innerText")
        assert "Every video call between Lagos and London" in text
        assert "A cable is a border that nobody patrols." in text
    finally:
        page.close()


def test_email_with_images_blocked_still_fits_a_phone(browser: Any, served_email: str) -> None:
    page = browser.new_page(viewport={"width": 320, "height": 800})
    try:
        page.route(re.compile(r".*\.(jpg|png)$"), lambda route: route.abort())
        page.goto(served_email)
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client
    finally:
        page.close()


def test_dark_mode_styles_apply(browser: Any, served_email: str) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": 600, "height": 800}, color_scheme=scheme)
        try:
            page.goto(served_email)
            colours[scheme] = page.evaluate(
                "[getComputedStyle(document.body).backgroundColor,"
                " getComputedStyle(document.querySelector('h1')).color]"
            )
        finally:
            page.close()
    assert colours["light"] == ["rgb(255, 255, 255)", "rgb(31, 35, 40)"]
    assert colours["dark"] == ["rgb(23, 25, 28)", "rgb(230, 230, 230)"]


@pytest.fixture
def served_site(newsletter: Any, http_server: tuple[str, Path]) -> str:
    """Build a small archive, wide table and long code line included, served over HTTP."""
    from PIL import Image

    base_url, www = http_server
    newsletter.settings(
        f'name = "Wide Weekly"\nbase_url = "{base_url}"\n'
        '[subscribe]\naction = "https://mail.example/subscribe"\n'
    )
    folder = newsletter.root / "issues" / "2025-05-01-wide"
    folder.mkdir(parents=True)
    Image.new("RGB", (1600, 900), "navy").save(folder / "big.png")
    newsletter.issue(
        "2025-05-01-wide/index.md",
        title="A very wide issue with a long title that wraps",
        date="2025-05-01",
        tags="[tables]",
        body=(
            '![A big image](big.png "Caption | Credit")\n\n'
            "| " + " | ".join(f"Column {n}" for n in range(12)) + " |\n"
            "|" + "---|" * 12 + "\n"
            "| " + " | ".join(f"value-{n}" for n in range(12)) + " |\n\n"
            "```\n" + "x = " + "1234567890" * 20 + "\n```\n\n"
            "A https://example.org/a/very/long/url/that/does/not/break/easily/at/all/anywhere ok.\n"
        ),
    )
    newsletter.issue("2025-04-01-older.md", title="Older", date="2025-04-01", tags="[tables]")
    build(newsletter.root, out=www)
    return base_url


@pytest.mark.parametrize("path", ["", "wide/", "older/", "tags/tables/"])
def test_web_pages_fit_a_phone(browser: Any, served_site: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        page.goto(served_site + path)
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{path or 'index'}: {scroll}px of content in {client}px"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
            "rgb(255, 255, 255)"
        )
    finally:
        page.close()


def test_web_page_in_dark_mode_and_navigation(browser: Any, served_site: str) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800}, color_scheme="dark")
    try:
        page.goto(served_site)
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == (
            "rgb(23, 25, 28)"
        )
        page.click("text=A very wide issue with a long title that wraps")
        page.wait_for_url(served_site + "wide/")
        # Its 1600 px image: the srcset's 600 px file loads at a phone's width.
        page.wait_for_function("document.images[0].complete")
        assert "/wide/big-600w." in page.evaluate("document.images[0].currentSrc")
        page.click("a[rel=prev]")
        page.wait_for_url(served_site + "older/")
        assert page.locator("h1").inner_text() == "Older"
    finally:
        page.close()
