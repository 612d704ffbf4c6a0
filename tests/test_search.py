"""Search: Pagefind's index of the issue pages, made by ``publisher build`` and ``preview``, and
the archive page's search box, driven in Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import Newsletter, serve_from
from publisher.build.pipeline import build
from publisher.cli import cli
from publisher.preview.server import PreviewServer, start

#: A word that only the body of the issue ``cables`` has.
RARE = "thalassography"
BOX = ".pagefind-ui__search-input"
RESULT = ".pagefind-ui__result-link"


def archive(newsletter: Newsletter) -> None:
    """Write four issues; every body says "harbour", one body alone says ``RARE``; one issue
    is in French (its ``language:``), the newsletter in English."""
    issues = [
        ("2025-04-01-tides.md", "Tides", "[sea]", "The harbour fills twice a day."),
        ("2025-05-01-cables.md", "Cables", "[sea, wires]", f"The harbour's {RARE} survey."),
        ("2025-06-01-lights.md", "Lights", "[coast]", "A harbour light, seen from afar."),
        ("2025-07-01-ropes.md", "Ropes", "[]", "Knots the harbour master ties."),
    ]
    for name, title, tags, body in issues:
        date, language = name[:10], "fr" if title == "Ropes" else "en"
        meta = {"title": title, "date": date, "tags": tags, "language": language}
        newsletter.issue(name, body=body + "\n", **meta)


def bundle(out: Path) -> dict[str, bytes]:
    """Return every file of the site's search index, by its path."""
    folder = out / "pagefind"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


#: The results' links, once Pagefind's message says the search for the word is done ("4
#: results for word", not "Searching for word...") and every result it counts shows its link;
#: else null (not yet).
RESULTS = """word => {
  const said = document.querySelector(".pagefind-ui__message")?.textContent || "";
  const done = said.includes(word) && said.match(/^\\s*(\\d+|No) results? for/);
  if (!done) return null;
  const items = [...document.querySelectorAll(".pagefind-ui__result")];
  const links = items.map(item => item.querySelector("RESULT")?.getAttribute("href"));
  return items.length === (+done[1] || 0) && links.every(Boolean) ? links : null;
}""".replace("RESULT", RESULT)


def search(page: Any, url: str, word: str) -> list[str]:
    """Open the archive page at ``url``, search for ``word``; return the results' links."""
    page.goto(url)
    page.fill(BOX, word)
    found: list[str] = page.wait_for_function(RESULTS, arg=word).json_value()
    return found


@pytest.fixture
def served(newsletter: Newsletter, http_server: tuple[str, Path]) -> str:
    """Build the archive under a sub-path of a real HTTP server; return the archive's URL."""
    base_url, www = http_server
    archive(newsletter)
    serve_from(newsletter.root / "newsletter.toml", base_url + "news/")
    build(newsletter.root, out=www / "news")
    return base_url + "news/"


@pytest.mark.browser
def test_a_word_of_one_body_finds_its_issue_and_no_email(browser: Any, served: str) -> None:
    page = browser.new_page()
    try:
        assert search(page, served, RARE)[0] == "/news/cables/"
        # Only the article is indexed, not the page around it ("Skip to content").
        assert search(page, served, "skip") == []
        found = search(page, served, "harbour")
        assert sorted(found) == ["/news/cables/", "/news/lights/", "/news/ropes/", "/news/tides/"]
        assert not [link for link in found if "email" in link]
    finally:
        page.close()


@pytest.mark.browser
def test_without_javascript_the_archive_is_the_plain_list(browser: Any, served: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(served)
        titles = [a.inner_text() for a in page.query_selector_all(".issue-list h2 a")]
        assert titles == ["Ropes", "Lights", "Cables", "Tides"]
        assert page.locator("#search").is_hidden()
        assert page.query_selector(BOX) is None
    finally:
        context.close()


@pytest.mark.browser
def test_opened_from_disk_the_archive_shows_no_search_box_that_cannot_search(
    browser: Any, newsletter: Newsletter, http_server: tuple[str, Path]
) -> None:
    _, www = http_server
    archive(newsletter)
    build(newsletter.root, out=www / "news")
    page = browser.new_page()
    try:
        page.goto((www / "news" / "index.html").as_uri())
        page.wait_for_load_state("load")
        assert page.locator("#search").is_hidden()  # Pagefind cannot fetch its index there
        assert len(page.query_selector_all(".issue-list h2 a")) == 4
    finally:
        page.close()


@pytest.fixture
def preview(newsletter: Newsletter) -> Iterator[PreviewServer]:
    archive(newsletter)
    newsletter.issue("2025-08-01-draft.md", title="Draft", date="2025-08-01", draft="true")
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()


@pytest.mark.browser
def test_the_search_works_in_preview(browser: Any, preview: PreviewServer) -> None:
    page = browser.new_page()
    try:
        assert search(page, preview.url + "site/", RARE) == ["/site/cables/"]
    finally:
        page.close()
    assert not (preview.preview.root / "site").exists()  # the preview writes no site


def test_two_builds_make_the_same_index_and_own_it(newsletter: Newsletter, tmp_path: Path) -> None:
    archive(newsletter)
    # Without the cache, Pagefind runs for each build.
    build(newsletter.root, out=tmp_path / "one", cache=False)
    build(newsletter.root, out=tmp_path / "two", cache=False)
    one, two = bundle(tmp_path / "one"), bundle(tmp_path / "two")
    assert "pagefind/pagefind-ui.js" in one
    assert one == two
    listed = json.loads((tmp_path / "one" / "publisher.json").read_text(encoding="utf-8"))
    assert set(one) <= set(listed["files"])
    assert not any("email" in name for name in one)


def test_a_rebuild_with_nothing_changed_leaves_the_site_as_it_is(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    archive(newsletter)
    out = tmp_path / "site"
    build(newsletter.root, out=out)
    folder = out.stat().st_ino
    build(newsletter.root, out=out)
    assert out.stat().st_ino == folder  # not a new tree swapped in: nothing to write


def test_pagefind_runs_only_when_the_issue_pages_change(
    newsletter: Newsletter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive(newsletter)
    out = tmp_path / "site"
    build(newsletter.root, out=out)
    before = bundle(out)

    def missing() -> Path:
        raise FileNotFoundError("no Pagefind here")

    monkeypatch.setattr("pagefind_bin_extended.get_executable", missing)
    # A setting every page's key holds, though no issue page shows it: the pages are made
    # again, to the same bytes, and the index kept is published without running Pagefind.
    serve_from(
        newsletter.root / "newsletter.toml", "https://news.example.org/", "\n[feeds]\nlimit = 3\n"
    )
    build(newsletter.root, out=out)
    assert bundle(out) == before
    newsletter.issue("2025-07-01-ropes.md", title="Ropes", date="2025-07-01", body="Rigging.\n")
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "Pagefind could not index the issue pages: no Pagefind here" in result.output
    assert bundle(out) == before


def test_an_issue_taken_out_is_no_longer_indexed(newsletter: Newsletter, tmp_path: Path) -> None:
    archive(newsletter)
    out = tmp_path / "site"

    def fragments() -> int:  # one a page indexed
        build(newsletter.root, out=out)
        return sum(1 for name in bundle(out) if name.startswith("pagefind/fragment/"))

    assert fragments() == 4
    (newsletter.root / "issues" / "2025-05-01-cables.md").unlink()
    assert fragments() == 3


def test_search_can_be_turned_off(newsletter: Newsletter, tmp_path: Path) -> None:
    archive(newsletter)
    serve_from(
        newsletter.root / "newsletter.toml",
        "https://news.example.org/",
        "\n[search]\nenabled = false\n",
    )
    out = tmp_path / "site"
    build(newsletter.root, out=out)
    assert not (out / "pagefind").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "pagefind" not in index
    assert 'id="search"' not in index
    assert "pagefind" not in (out / "publisher.json").read_text(encoding="utf-8")


def test_the_search_index_s_folder_is_no_slug(newsletter: Newsletter) -> None:
    archive(newsletter)
    newsletter.issue("2025-08-01-index.md", title="Index", date="2025-08-01", slug="pagefind")
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 1, result.output
    assert "slug 'pagefind' is a name the site uses at the site's root" in result.output
    assert not (newsletter.root / "site").exists()
