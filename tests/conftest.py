"""Shared helpers: a temporary newsletter folder, an issue factory, a real HTTP server, Chromium,
SpamAssassin."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import re
import shutil
import socketserver
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SLUG = "undersea-cables"
CHROMIUM = os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

SETTINGS = """\
name = "Test Weekly"
base_url = "https://news.example.org/"
language = "en"
timezone = "UTC"

[author]
name = "Ada Writer"
email = "ada@example.org"

[footer]
address = "1 Test Street, Testville"

[unsubscribe]
service = "mailchimp"
"""


def tree(folder: Path) -> dict[str, str]:
    """Return every file below ``folder`` (hidden ones too) with its content's hash."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Newsletter:
    """A temporary newsletter folder with helpers to write issues and settings."""

    #: With a link server (``link_server``): its address, for the issues to link to.
    links_at = ""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "issues").mkdir(parents=True, exist_ok=True)
        self.settings(SETTINGS)

    def settings(self, text: str) -> Path:
        path = self.root / "newsletter.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def issue(
        self,
        name: str = "2025-07-15-first.md",
        body: str = "Hello, world.\n",
        front: str | None = None,
        **meta: Any,
    ) -> Path:
        """Write an issue; ``front`` replaces the generated front matter verbatim."""
        if front is None:
            meta.setdefault("title", "First issue")
            meta.setdefault("date", "2025-07-15")
            front = "".join(f"{k}: {v}\n" for k, v in meta.items())
        path = self.root / "issues" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\n{front}---\n{textwrap.dedent(body)}", encoding="utf-8")
        return path


def serve_from(settings: Path, base_url: str, extra: str = "") -> None:
    """Point a newsletter's ``base_url`` at a local server (and append ``extra`` settings)."""
    text = settings.read_text(encoding="utf-8")
    text = re.sub(r'^base_url = ".*"$', f'base_url = "{base_url}"', text, flags=re.M)
    settings.write_text(text + extra, encoding="utf-8")


@pytest.fixture(autouse=True)
def _keep_working_folder() -> Iterator[None]:
    """Restore the working folder: `publisher -C DIR` changes it, as `git -C` does."""
    before = os.getcwd()
    yield
    os.chdir(before)


@pytest.fixture
def newsletter(tmp_path: Path) -> Newsletter:
    """Return an empty newsletter folder with valid settings."""
    return Newsletter(tmp_path / "news")


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """Return a copy of the bundled example newsletter (settings and issues, repo theme)."""
    root = tmp_path / "example"
    root.mkdir()
    shutil.copy(REPO / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(REPO / "issues", root / "issues")
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve a folder over real HTTP on 127.0.0.1 while in the block; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


#: What the link server answers, by path: (status for HEAD, status for GET, Location).
LINK_ROUTES: dict[str, tuple[int, int, str]] = {
    "/ok": (200, 200, ""),
    "/gone": (404, 404, ""),
    "/removed": (410, 410, ""),
    "/moved": (301, 301, "/ok"),
    "/moved-for-good": (308, 308, "https://elsewhere.example/new"),
    "/found": (302, 302, "/ok"),
    "/forbidden": (403, 403, ""),
    "/slow-down": (429, 429, ""),
    "/no-head": (405, 200, ""),
}


class LinkServer:
    """A real HTTP server that answers each path of ``LINK_ROUTES`` as it says, and never
    answers /slow while ``release`` is unset; it records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.release = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self.answer(0)

            def do_GET(self) -> None:
                self.answer(1)

            def answer(self, which: int) -> None:
                owner.requests.append((self.command, self.path))
                if self.path == "/slow":
                    owner.release.wait()
                    return
                route = LINK_ROUTES.get(self.path, (404, 404, ""))
                self.send_response(route[which])
                if route[2]:
                    self.send_header("Location", route[2])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def seen(self, path: str) -> int:
        """Return how many requests the server got for ``path``."""
        return sum(p == path for _, p in self.requests)


@pytest.fixture
def link_server() -> Iterator[LinkServer]:
    """Serve LINK_ROUTES over real HTTP on 127.0.0.1; /slow answers only at teardown."""
    served = LinkServer()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.release.set()
        served.server.shutdown()
        served.server.server_close()


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve a fresh folder over real HTTP on 127.0.0.1; yield (base URL, folder)."""
    folder = tmp_path / "www"
    folder.mkdir()
    with serving(folder) as base_url:
        yield base_url, folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Launch Debian's Chromium through Playwright; skip (or fail in CI) when it is missing."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("PUBLISHER_REQUIRE_BROWSER"):
            pytest.fail(message + " (browser tests are mandatory here)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def spamassassin() -> Any:
    """Return a function scoring a message with SpamAssassin's local rules (no network tests):
    {rule: points}; skip (or fail in CI) when SpamAssassin is missing."""
    program = shutil.which("spamassassin")
    if program is None:
        message = "SpamAssassin not found: apt-get install spamassassin"
        if os.environ.get("PUBLISHER_REQUIRE_SPAMASSASSIN"):
            pytest.fail(message + " (the SpamAssassin test is mandatory here)")
        pytest.skip(message)

    def score(message: bytes) -> dict[str, float]:
        result = subprocess.run(
            [program, "--test-mode", "--local"], input=message, capture_output=True, timeout=120
        )
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
        report = result.stdout.decode("utf-8", "replace").split("Content analysis details:")[1]
        rows = re.findall(r"^\s*(-?\d+(?:\.\d+)?) ([A-Z0-9_]+)\s", report, re.M)
        return {rule: float(points) for points, rule in rows}

    return score
