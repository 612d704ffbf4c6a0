"""`publisher preview`: a real HTTP server, a real file watcher, and Chromium reading the page."""

from __future__ import annotations

import http.client
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from conftest import Newsletter
from publisher.build.pipeline import build
from publisher.preview.server import PreviewServer, start, with_scheme
from publisher.preview.state import EVERYTHING, Preview, entry_key

ISSUE = "2025-07-15-first"


@pytest.fixture
def server(newsletter: Newsletter) -> Iterator[PreviewServer]:
    newsletter.issue(
        f"{ISSUE}.md",
        title="First issue",
        date="2025-07-15",
        summary="The preheader text.",
        body="Original words here.\n\n## Section\n\nMore **words**.\n",
    )
    newsletter.issue("2025-08-01-wip.md", title="Work in progress", date="2025-08-01", draft="true")
    newsletter.issue("2999-01-01-later.md", title="Far future", date="2999-01-01")
    running = start(newsletter.root, "127.0.0.1", 0)  # returns once its watcher watches
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()


def get(server: PreviewServer, path: str, method: str = "GET") -> tuple[int, str]:
    """Send ``path`` exactly as given (no client-side normalising) and return status and body."""
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


# --- state, without a browser ----------------------------------------------------------------


def test_entry_keys(tmp_path: Path) -> None:
    issues = tmp_path / "issues"
    assert entry_key(tmp_path, issues / "2025-01-01-a.md") == "2025-01-01-a"
    assert entry_key(tmp_path, issues / "2025-01-01-b" / "index.md") == "2025-01-01-b"
    assert entry_key(tmp_path, issues / "2025-01-01-b" / "photo.jpg") == "2025-01-01-b"
    assert entry_key(tmp_path, issues / ".hidden.md") is None
    assert entry_key(tmp_path, tmp_path / "newsletter.toml") is None


def test_apply_reloads_only_what_changed(newsletter: Newsletter) -> None:
    a = newsletter.issue("2025-01-01-a.md", title="A", date="2025-01-01")
    newsletter.issue("2025-01-02-b.md", title="B", date="2025-01-02")
    preview = Preview(newsletter.root, "http://127.0.0.1:1/site/")
    untouched = preview.entry("2025-01-02-b")
    edit(a, "title: A", "title: A2")
    assert preview.apply([a]) == {"2025-01-01-a"}
    assert preview.entry("2025-01-01-a").issue.title == "A2"
    assert preview.entry("2025-01-02-b") is untouched
    assert preview.apply([newsletter.root / "newsletter.toml"]) == {EVERYTHING}
    assert preview.entry("2025-01-02-b") is not untouched
    a.unlink()
    preview.apply([a])
    assert preview.entry("2025-01-01-a") is None
    assert preview.version == 3
    assert preview.wait(0, 0.01) == (3, {EVERYTHING, "2025-01-01-a"})


def test_preview_renders_with_the_build_code_and_local_urls(newsletter: Newsletter) -> None:
    newsletter.issue(body="![Alt](pic.png)\n")
    preview = Preview(newsletter.root, "http://127.0.0.1:9/site/")
    rendered = preview.render(preview.entry("2025-07-15-first"))
    assert 'src="http://127.0.0.1:9/site/first/pic.png"' in rendered.html
    assert rendered.issue.id == "tag:news.example.org,2025-07-15:/first/"  # the published id


def test_the_preview_serves_the_image_variants_the_build_publishes(
    newsletter: Newsletter,
) -> None:
    from photos import phone_photo

    path = newsletter.issue("2025-07-15-first/index.md", body="![A crane](lead.jpg)\n")
    phone_photo(path.parent / "lead.jpg", 1600, 1200, orientation=6)
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        status, email = get(running, "/site/first/email.html")
        assert status == 200
        (src,) = re.findall(r'<img[^>]* src="([^"]*/site/first/lead-[^"]*)"', email)
        host, port = running.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
        connection.request("GET", urlsplit(src).path)
        response = connection.getresponse()
        data = response.read()
        assert response.status == 200 and response.getheader("Content-Type") == "image/jpeg"
        assert Image.open(io.BytesIO(data)).size == (1200, 900)  # upright, twice 600 px
        assert b"Phonemaker" not in data
        assert "with images" in get(running, "/issue/2025-07-15-first/")[1]
    finally:
        running.shutdown()
        running.server_close()


def test_a_build_that_forgets_a_drafts_images_leaves_the_preview_whole(
    newsletter: Newsletter,
) -> None:
    """A build deletes the image variants no published issue shows: the preview makes a
    draft's again when it is asked for them."""
    newsletter.issue("2025-07-01-out.md", title="Out", date="2025-07-01")
    path = newsletter.issue("2025-07-15-wip/index.md", draft="true", body="![A chart](c.png)\n")
    Image.new("RGB", (900, 500), "teal").save(path.parent / "c.png")
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        email = get(running, "/site/wip/email.html")[1]
        (src,) = re.findall(r'<img[^>]* src="[^"]*(/site/wip/c-[^"]*)"', email)
        assert get(running, src)[0] == 200
        build(newsletter.root)  # its shelf clean-up forgets the draft's variants
        assert get(running, src)[0] == 200
    finally:
        running.shutdown()
        running.server_close()


def raw(server: PreviewServer, request: bytes) -> bytes:
    """Send ``request`` as it is and return all the server answers before it closes."""
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=5) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_http_edges(server: PreviewServer) -> None:
    host = f"127.0.0.1:{server.server_address[1]}".encode()
    head = raw(server, b"HEAD /events HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n")  # no body
    twice = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nHost: evil.example\r\n"
    assert raw(server, twice + b"Connection: close\r\n\r\n").startswith(b"HTTP/1.1 421")


def test_a_page_an_author_links_is_served_sandboxed(newsletter: Newsletter) -> None:
    """Its scripts never run as the preview, which serves the drafts."""
    path = newsletter.issue("2025-07-20-linked/index.md", body="[the chart](chart.html)\n")
    (path.parent / "chart.html").write_text("<script>fetch('/')</script>", encoding="utf-8")
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        host = f"127.0.0.1:{running.server_address[1]}".encode()
        assert get(running, "/site/linked/")[0] == 200  # rendered: its files are known
        request = b"GET /site/linked/chart.html HTTP/1.1\r\nHost: " + host
        answer = raw(running, request + b"\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200")
        assert b"\r\nContent-Security-Policy: sandbox\r\n" in answer
    finally:
        running.shutdown()
        running.server_close()


def test_with_scheme_forces_the_emails_own_dark_styles() -> None:
    html = "@media (prefers-color-scheme: dark) { a { color: red } }"
    assert with_scheme(html, "dark") == "@media (min-width: 0px) { a { color: red } }"
    assert with_scheme(html, "light") == "@media (max-width: 0px) { a { color: red } }"


# --- over HTTP ---------------------------------------------------------------------------------


def test_routes_and_refusals(server: PreviewServer, newsletter: Newsletter) -> None:
    files = {p: p.read_bytes() for p in newsletter.root.rglob("*") if p.is_file()}
    assert get(server, "/")[0] == 200
    assert get(server, f"/issue/{ISSUE}/")[0] == 200
    assert get(server, f"/issue/{ISSUE}/email.txt")[1].count("Original words here.") == 1
    assert "<mjml" in get(server, f"/issue/{ISSUE}/email.mjml")[1]
    assert get(server, "/site/first/")[0] == 200
    assert get(server, "/site/assets/style.css")[0] == 200
    assert get(server, "/", "POST")[0] == 405
    for path in (
        "/site/../newsletter.toml",
        "/site/first/../../newsletter.toml",
        "/site/%2e%2e/newsletter.toml",
        "/site/first/%2E%2E/%2E%2E/newsletter.toml",
        "/site/first/%252e%252e/newsletter.toml",
        "/site/first/..%2f..%2fnewsletter.toml",
        "/site/first/..%5c..%5cnewsletter.toml",
        "/site/first/%00",
        "//etc/passwd",
        "/site//etc/passwd",
        "/site/first/2025-07-15-first.md",
        "/issue/../newsletter.toml",
        "/site/assets/",
        "/site/first/missing.png",
        "http://evil.example/",
    ):
        status, body = get(server, path)
        assert status in (400, 404, 421), (path, status)
        assert "Test Weekly" not in body and "base_url" not in body, path
    assert {p: p.read_bytes() for p in newsletter.root.rglob("*") if p.is_file()} == files


def test_port_zero_and_the_printed_url(newsletter: Newsletter) -> None:
    newsletter.issue()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publisher",
            "-C",
            str(newsletter.root),
            "preview",
            "--port",
            "0",
            "--host",
            "0.0.0.0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        match = re.match(r"Preview: http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        connection = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=5)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "anyone who can reach this machine can read your drafts" in err


# --- in Chromium -------------------------------------------------------------------------------


def open_page(browser: Any, url: str, **kwargs: Any) -> Any:
    page = browser.new_page(viewport={"width": 1200, "height": 900}, **kwargs)
    page.goto(url)
    return page


def email_frame(page: Any) -> Any:
    page.wait_for_selector("iframe.email")
    frame = page.frame_locator("iframe.email")
    frame.locator("body").wait_for()
    return page.frames[1]


@pytest.mark.browser
def test_index_lists_every_issue_with_status(browser: Any, server: PreviewServer) -> None:
    page = open_page(browser, server.url)
    try:
        rows = page.locator("table.issues tbody tr")
        assert rows.count() == 3
        text = page.locator("table.issues").inner_text().lower()
        assert "far future" in text and "scheduled" in text
        assert "work in progress" in text and "draft" in text
        assert "the preheader text." in text
    finally:
        page.close()


@pytest.mark.browser
def test_issue_page_widths_dark_and_plain_text(browser: Any, server: PreviewServer) -> None:
    page = open_page(browser, server.url)
    try:
        page.click("text=First issue")
        page.wait_for_url(f"**/issue/{ISSUE}/")
        assert "First issue — The preheader text." in page.locator(".inbox").inner_text()
        assert "KB of Gmail's 102 KB" in page.locator(".size").inner_text()
        page.click("text=Phone 375")
        page.wait_for_url("**width=phone**")
        frame = email_frame(page)
        width, scroll = frame.evaluate(
            "[document.documentElement.clientWidth, document.documentElement.scrollWidth]"
        )
        assert width == 375 and scroll <= width
        light = frame.evaluate("getComputedStyle(document.body).backgroundColor")
        page.click("text=Dark")
        page.wait_for_url("**scheme=dark**")
        dark = email_frame(page).evaluate("getComputedStyle(document.body).backgroundColor")
        assert (light, dark) == ("rgb(255, 255, 255)", "rgb(23, 25, 28)")
        page.click("text=Plain text")
        assert "Original words here." in page.locator("pre#text").inner_text()
        page.click("text=Web page")
        page.wait_for_selector("iframe.web")
        assert page.frames[1].locator("h1").inner_text() == "First issue"
    finally:
        page.close()


@pytest.mark.browser
def test_live_reload_error_and_recovery(
    browser: Any, server: PreviewServer, newsletter: Newsletter
) -> None:
    path = newsletter.root / "issues" / f"{ISSUE}.md"
    page = open_page(browser, f"{server.url}issue/{ISSUE}/")
    try:
        assert "Original words here." in email_frame(page).locator("body").inner_text()
        edit(path, "Original words here.", "Freshly saved words.")
        started = time.monotonic()
        page.frame_locator("iframe.email").get_by_text("Freshly saved words.").wait_for(
            timeout=2000
        )
        assert time.monotonic() - started < 2.0
        edit(path, "date: 2025-07-15", "date: [broken")
        page.locator(".problems pre.error").wait_for(timeout=2000)
        message = page.locator(".problems pre.error").inner_text()
        assert f"issues/{ISSUE}.md:4:1: error FM001 front matter is not valid YAML" in message
        assert "fix:" in message
        assert "Freshly saved words." not in email_frame(page).locator("body").inner_text()
        edit(path, "date: [broken", "date: 2025-07-15")
        page.frame_locator("iframe.email").get_by_text("Freshly saved words.").wait_for(
            timeout=2000
        )
        assert page.locator(".problems pre.error").count() == 0
    finally:
        page.close()


@pytest.mark.browser
def test_template_change_reloads_every_page(
    browser: Any, server: PreviewServer, newsletter: Newsletter
) -> None:
    from publisher.render.theme import default_theme_dir

    page = open_page(browser, f"{server.url}issue/{ISSUE}/?tab=text")
    try:
        templates = newsletter.root / "templates"
        templates.mkdir()
        shutil.copy(default_theme_dir() / "email.txt.j2", templates / "email.txt.j2")
        edit(templates / "email.txt.j2", '{{ _("view_online") }}{{ colon }}', "Read it on the web:")
        page.get_by_text("Read it on the web:").wait_for(timeout=2000)
    finally:
        page.close()


@pytest.mark.browser
def test_check_results_show_in_the_preview(
    browser: Any, server: PreviewServer, newsletter: Newsletter
) -> None:
    from playwright.sync_api import expect

    path = newsletter.root / "issues" / f"{ISSUE}.md"
    page = open_page(browser, server.url)
    try:
        edit(path, "More **words**.", "More **words**.\n\n![photo](missing.png)")
        row = page.locator(f"tr[data-key='{ISSUE}'] .problems-count")
        # The page reloads itself once the preview has the change.
        expect(row).to_have_text("2")  # IMG002 generic alt text, IMG003 missing file
        page.click("text=First issue")
        text = page.locator(".problems pre").inner_text()
        assert f"issues/{ISSUE}.md:12:10: warning IMG002 alt text 'photo' says nothing" in text
        assert "error IMG003 image 'missing.png' not found" in text
    finally:
        page.close()


def test_site_serves_what_the_plan_publishes(newsletter: Newsletter) -> None:
    path = newsletter.issue(
        "2025-07-20-cables/index.md",
        title="Cables",
        date="2025-07-20",
        body="See [the data](datasheet.pdf) and [first](../2025-07-15-first.md#top).\n",
    )
    newsletter.issue(f"{ISSUE}.md", title="First issue", date="2025-07-15")
    (path.parent / "datasheet.pdf").write_bytes(b"%PDF-1.4")
    (path.parent / "notes.txt").write_text("private", encoding="utf-8")
    (path.parent / "page.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    (newsletter.root / "static").mkdir()
    (newsletter.root / "static" / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        assert get(running, "/site/CNAME") == (200, "news.example.org\n")
        assert get(running, "/site/cables/datasheet.pdf") == (200, "%PDF-1.4")
        status, page = get(running, "/site/cables/")
        assert status == 200 and 'href="../first/#top"' in page
        assert get(running, "/site/cables")[0] == 301
        for unlisted in ("/site/cables/notes.txt", "/site/cables/page.html", "/site/cables/x"):
            assert get(running, unlisted)[0] == 404, unlisted
    finally:
        running.shutdown()
        running.server_close()
