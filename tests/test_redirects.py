"""Old addresses keep working: an issue's ``redirect_from`` paths become pages of the site that
send readers on to its page, planned, owned and checked like every other file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner, Result

from conftest import Newsletter, serve_from, tree
from publisher.build.pipeline import build
from publisher.cli import cli
from publisher.preview.server import start

NEW_URL = "https://news.example.org/first/"


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def moved(newsletter: Newsletter, addresses: str, **meta: Any) -> Path:
    """Write the issue ``first`` with the old addresses ``addresses`` (YAML) at line 4."""
    return newsletter.issue(
        "2025-07-15-first.md",
        front=f"title: First issue\ndate: 2025-07-15\nredirect_from: {addresses}\n"
        + "".join(f"{k}: {v}\n" for k, v in meta.items()),
    )


def head(page: Path) -> tuple[str, str, str, str]:
    """Return a redirect page's canonical URL, refresh, robots and link."""
    doc = lxml.html.fromstring(page.read_bytes())
    (canonical,) = doc.xpath("//head/link[@rel='canonical']/@href")
    (refresh,) = doc.xpath("//head/meta[@http-equiv='refresh']/@content")
    (robots,) = doc.xpath("//head/meta[@name='robots']/@content")
    (link,) = doc.xpath("//body//a/@href")
    return canonical, refresh, robots, link


def test_each_old_address_is_a_page_that_sends_readers_on(newsletter: Newsletter) -> None:
    moved(
        newsletter, "[/p/old-slug/, old.html, 'https://news.example.org/2019/05/x', p/caf%C3%A9/]"
    )
    result = run(newsletter.root, "build")
    assert result.exit_code == 0, result.output
    site = newsletter.root / "site"
    for path in ("p/old-slug/index.html", "old.html", "2019/05/x/index.html", "p/café/index.html"):
        assert head(site / path) == (NEW_URL, f"0; url={NEW_URL}", "noindex", NEW_URL), path
    page = (site / "old.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">') and "<title>First issue" in page
    files = json.loads((site / "publisher.json").read_text(encoding="utf-8"))["files"]
    assert {"p/old-slug/index.html", "old.html", "2019/05/x/index.html"} <= set(files)
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert NEW_URL in sitemap and "old" not in sitemap and "2019" not in sitemap
    assert "old" not in (site / "feed.xml").read_text(encoding="utf-8")


def test_the_site_under_a_sub_path_takes_paths_relative_to_it(newsletter: Newsletter) -> None:
    serve_from(newsletter.root / "newsletter.toml", "https://example.org/news/")
    moved(newsletter, "[/p/a/, 'https://example.org/news/p/b/']")
    assert run(newsletter.root, "build").exit_code == 0
    site = newsletter.root / "site"
    assert head(site / "p/a/index.html")[0] == "https://example.org/news/first/"
    assert head(site / "p/b/index.html")[0] == "https://example.org/news/first/"
    moved(newsletter, "['https://example.org/p/c/']")
    result = run(newsletter.root, "build")
    assert result.exit_code == 1
    assert "issues/2025-07-15-first.md:4: `redirect_from` 'https://example.org/p/c/' is " in (
        result.output
    )
    assert "outside the site, which lives under /news/" in result.output


def test_a_title_cannot_break_out_of_the_page(newsletter: Newsletter) -> None:
    moved(newsletter, "[/p/x/]", slug="first")
    path = newsletter.root / "issues" / "2025-07-15-first.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("First issue", '"</title><script>alert(1)</script>"'), "utf-8")
    assert run(newsletter.root, "build").exit_code == 0
    page = newsletter.root / "site" / "p/x/index.html"
    doc = lxml.html.fromstring(page.read_bytes())
    assert doc.xpath("//script") == []
    assert doc.findtext(".//title") == "</title><script>alert(1)</script>"
    assert doc.xpath("//body//a")[0].text_content() == "</title><script>alert(1)</script>"


def test_removing_an_address_removes_its_page(newsletter: Newsletter) -> None:
    moved(newsletter, "[/p/a/, /p/b/]")
    assert run(newsletter.root, "build").exit_code == 0
    site = newsletter.root / "site"
    assert (site / "p/a/index.html").is_file() and (site / "p/b/index.html").is_file()
    moved(newsletter, "[/p/b/]")
    assert run(newsletter.root, "build").exit_code == 0
    assert not (site / "p/a").exists() and (site / "p/b/index.html").is_file()
    assert "p/a/index.html" not in (site / "publisher.json").read_text(encoding="utf-8")


def test_a_drafts_old_addresses_are_not_published(newsletter: Newsletter) -> None:
    newsletter.issue(
        "2025-07-01-other.md", front="title: Other\ndate: 2025-07-01\nredirect_from: /p/other/\n"
    )
    moved(newsletter, "[/p/draft/]", draft="true")
    assert run(newsletter.root, "build").exit_code == 0
    site = newsletter.root / "site"
    assert head(site / "p/other/index.html")[0] == "https://news.example.org/other/"
    assert not (site / "p/draft").exists()
    assert "p/draft" not in (site / "publisher.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (
            "https://old.example.com/p/x/",
            "`redirect_from` 'https://old.example.com/p/x/' is on another host than the base "
            "URL (news.example.org): a redirect page can only live on this site",
        ),
        ("/p/x/?page=2", "`redirect_from` '/p/x/?page=2' has a query or fragment"),
        ("/p/x/#top", "`redirect_from` '/p/x/#top' has a query or fragment"),
        ("/p/../../etc/", "`redirect_from` '/p/../../etc/': its part '..' is empty or a dot"),
        ("/p/%2e%2e/x/", "`redirect_from` '/p/%2e%2e/x/': its part '..' is empty or a dot"),
        ("'C:\\site\\old.html'", "`redirect_from` 'C:\\\\site\\\\old.html' is a file's path"),
        ("/p/index.php", "`redirect_from` '/p/index.php' is no page a static site can serve"),
    ],
)
def test_an_address_that_cannot_be_a_page_here_is_refused_at_its_line(
    newsletter: Newsletter, address: str, message: str
) -> None:
    newsletter.issue("2025-07-01-other.md", title="Other", date="2025-07-01")
    assert run(newsletter.root, "build").exit_code == 0
    before = tree(newsletter.root / "site")
    moved(newsletter, f"[{address}]")
    result = run(newsletter.root, "build")
    assert result.exit_code == 1
    assert f"error: issues/2025-07-15-first.md:4: {message}" in result.output, result.output
    assert tree(newsletter.root / "site") == before


@pytest.mark.parametrize(
    ("address", "taken"),
    [
        (
            "/other/",
            "other/index.html, which is already the issue page of issues/2025-08-01-other.md",
        ),
        ("/CNAME.html", "CNAME.html, which is already the static file of static/CNAME.html"),
        ("/feed.xml/", "feed.xml/index.html, which needs feed.xml as a folder, but it is the feed"),
        (
            "/tags/",
            "tags/index.html, which is already the redirect page of issues/2025-08-01-other.md:4",
        ),
    ],
)
def test_an_address_the_site_has_already_is_an_error_at_its_line(
    newsletter: Newsletter, address: str, taken: str
) -> None:
    newsletter.issue(  # newer: its addresses are claimed first
        "2025-08-01-other.md", front="title: Other\ndate: 2025-08-01\nredirect_from: /tags/\n"
    )
    (newsletter.root / "static").mkdir()
    (newsletter.root / "static" / "CNAME.html").write_text("mine", encoding="utf-8")
    assert run(newsletter.root, "build").exit_code == 0
    before = tree(newsletter.root / "site")
    moved(newsletter, f"[/p/fine/, {address}]")
    result = run(newsletter.root, "build")
    assert result.exit_code == 1
    expected = (
        "error: issues/2025-07-15-first.md:4: a redirect page (`redirect_from`) would be "
        f"published at {taken}\n  fix: remove that address from `redirect_from:`"
    )
    assert expected in result.output, result.output
    assert tree(newsletter.root / "site") == before
    check = run(newsletter.root, "check")
    assert check.exit_code == 1
    assert "issues/2025-07-15-first.md:4:1: error SITE001 a redirect page" in check.output


def test_the_preview_serves_the_redirect_pages(newsletter: Newsletter) -> None:
    import http.client

    moved(newsletter, "[/p/old/]", draft="true")
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        host, port = running.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
        connection.request("GET", "/site/p/old/")
        response = connection.getresponse()
        page = response.read().decode("utf-8")
        assert response.status == 200, page
        assert f'<link rel="canonical" href="http://{host}:{port}/site/first/">' in page
    finally:
        running.shutdown()
        running.server_close()


@pytest.mark.browser
def test_a_browser_at_the_old_address_lands_on_the_new_page(
    browser: Any, newsletter: Newsletter, http_server: tuple[str, Path]
) -> None:
    base_url, www = http_server
    serve_from(newsletter.root / "newsletter.toml", base_url)
    moved(newsletter, "[/p/old-slug/, old.html]")
    build(newsletter.root, out=www)
    page = browser.new_page()
    try:
        for old in ("p/old-slug/", "old.html"):
            page.goto(base_url + old)
            page.wait_for_url(base_url + "first/")
            assert page.locator("h1").inner_text() == "First issue"
    finally:
        page.close()
