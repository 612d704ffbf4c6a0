"""``publisher preview``: a local HTTP server over the preview state, with live reload.

Routes (all GET or HEAD):

    /                          every issue, drafts and scheduled ones included
    /issue/<key>/              one issue: inbox row, email at desktop/phone width, light/dark,
                               plain text, web page, HTML and MJML source, size, problems
    /issue/<key>/email.html    the email (``?scheme=dark`` applies its dark-mode styles)
    /issue/<key>/email.txt     the plain-text twin; ``email.mjml``: the MJML source
    /site/...                  the web pages and images, as ``publisher build`` lays them out
    /events                    Server-Sent Events: one message per applied change
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import ipaddress
import json
import logging
import mimetypes
import re
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2

from publisher import __version__
from publisher.check import GMAIL_CLIP, HEAVY_EMAIL, TRACKED_LINK, received_size
from publisher.config import SETTINGS_FILE
from publisher.errors import PublisherError, closest
from publisher.model.issue import ISSUES_DIR
from publisher.preview.state import EVERYTHING, Entry, Preview
from publisher.render.theme import TEMPLATES_DIR
from publisher.site import plan as site

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
#: The media type of each feed format (by the name of what makes it).
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json_feed": "application/feed+json; charset=utf-8",
}
DEBOUNCE_MS = 50
#: How long the watcher waits for a change before it says it is still watching.
WATCH_TIMEOUT_MS = 100
_DARK_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)")


@lru_cache(maxsize=1)
def _ui() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("publisher.preview", "ui"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def with_scheme(email_html: str, scheme: str) -> str:
    """Make an email's own dark-mode rules apply (``dark``) or never apply (``light``)."""
    always, never = "(min-width: 0px)", "(max-width: 0px)"
    return _DARK_QUERY.sub(always if scheme == "dark" else never, email_html)


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves the preview's own routes; nothing else, and never a directory listing."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that stops sending gives its thread back

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        hosts = self.headers.get_all("Host") or []
        host = hosts[0].strip().lower() if len(hosts) == 1 else ""
        if host not in self.server.hosts:  # another site's page, through DNS rebinding, say
            self.send_error(421, "Misdirected Request")
            return
        if not self.path.startswith("/") or self.path.startswith("//"):
            self.send_error(400, "Bad path")  # only origin-form targets: no proxy requests
            return
        raw = urlsplit(self.path)
        path = unquote(raw.path)
        if "\x00" in path or "\\" in path or "%" in path or not path.startswith("/"):
            self.send_error(400, "Bad path")
            return
        parts = path.strip("/").split("/") if path.strip("/") else []
        if ".." in parts or "." in parts:
            self.send_error(400, "Bad path")
            return
        query = {k: v[-1] for k, v in parse_qs(raw.query).items()}
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.route(parts, query, path.endswith("/"))

    def do_POST(self) -> None:
        self.send_error(405, "Read only")

    do_PUT = do_DELETE = do_PATCH = do_POST

    # -- routing --

    def route(self, parts: list[str], query: dict[str, str], slash: bool) -> None:
        preview = self.server.preview
        if not parts:
            self.send_page(self.index_page())
        elif parts == ["events"]:
            self.events()
        elif parts[0] == "issue" and len(parts) >= 2:
            entry = preview.entry(parts[1])
            if entry is None:
                close = closest(parts[1], [e.key for e in preview.sorted_entries()])
                hint = f"Did you mean {' or '.join(close)}?" if close else None
                self.send_error(404, "No such issue", hint)
            elif len(parts) == 2:
                if not slash:
                    self.redirect(f"/issue/{parts[1]}/")
                else:
                    self.send_page(self.issue_page(entry, query))
            elif parts[2:] == ["email.html"]:
                self.email(entry, query.get("scheme", ""))
            elif parts[2:] in (["email.txt"], ["email.mjml"]):
                self.source(entry, parts[2])
            else:
                self.send_error(404)
        elif parts[0] == "site":
            self.site(parts[1:], slash)
        else:
            self.send_error(404)

    def redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_body(
        self, body: bytes, content_type: str, status: int = 200, sandbox: bool = False
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if sandbox:  # an origin of its own, no scripts: it reads nothing of the preview's
            self.send_header("Content-Security-Policy", "sandbox")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_page(self, text: str, status: int = 200) -> None:
        self.send_body(text.encode("utf-8"), "text/html; charset=utf-8", status)

    def error_page(self, error: PublisherError, title: str) -> str:
        root = self.server.preview.root
        return (
            _ui()
            .get_template("error.html.j2")
            .render(title=title, lines=[f"error: {p.format(root)}" for p in error.problems])
        )

    # -- pages --

    def index_page(self) -> str:
        preview = self.server.preview
        now = dt.datetime.now(dt.UTC)
        rows = []
        for entry in preview.sorted_entries():
            rows.append(
                {
                    "key": entry.key,
                    "status": preview.status(entry, now),
                    "subject": entry.issue.email_subject if entry.issue else entry.path.name,
                    "preheader": preview.view_of(entry).preheader if entry.issue else "",
                    "date": preview.date_of(entry),
                    "problems": sum(f.level != "info" for f in preview.findings(entry)),
                }
            )
        return (
            _ui()
            .get_template("index.html.j2")
            .render(
                newsletter=preview.config,
                rows=rows,
                config_lines=preview.settings_lines(),
                version=preview.version,
                publisher_version=__version__,
            )
        )

    def issue_page(self, entry: Entry, query: dict[str, str]) -> str:
        preview = self.server.preview
        error = None
        rendered = None
        try:
            rendered = preview.render(entry)
        except PublisherError as exc:
            error = exc
        size = received_size(rendered.html) if rendered else 0  # as check weighs it
        return (
            _ui()
            .get_template("issue.html.j2")
            .render(
                key=entry.key,
                newsletter=preview.config,
                issue=entry.issue,
                status=preview.status(entry, dt.datetime.now(dt.UTC)),
                view=rendered.view if rendered else None,
                rendered=rendered,
                lines=[f.format() for f in preview.findings(entry)],
                failed=error is not None,
                size=size,
                clip=GMAIL_CLIP,
                tracked=TRACKED_LINK,
                heavy=HEAVY_EMAIL,
                tab=query.get("tab", "email"),
                width=query.get("width", "desktop"),
                scheme=query.get("scheme", "light"),
                version=preview.version,
            )
        )

    def email(self, entry: Entry, scheme: str) -> None:
        try:
            rendered = self.server.preview.render(entry)
        except PublisherError as exc:
            self.send_page(self.error_page(exc, "This issue cannot be rendered"))
            return
        self.send_page(with_scheme(rendered.html, scheme) if scheme else rendered.html)

    def source(self, entry: Entry, name: str) -> None:
        try:
            rendered = self.server.preview.render(entry)
        except PublisherError as exc:
            text = "\n".join(f"error: {p.format(self.server.preview.root)}" for p in exc.problems)
            self.send_body(text.encode("utf-8"), "text/plain; charset=utf-8")
            return
        body = rendered.text if name == "email.txt" else rendered.mjml
        self.send_body(body.encode("utf-8"), "text/plain; charset=utf-8")

    def site(self, parts: list[str], slash: bool) -> None:
        """Serve the site at the paths ``publisher build`` gives it: the same site plan."""
        preview = self.server.preview
        path = "/".join(parts)
        if not parts or slash:
            path = (path + "/" if path else "") + "index.html"
        if parts and parts[0] == site.SEARCH_DIR and preview.config.search.enabled:
            self.search_file("/".join(parts[1:]))
            return
        try:
            entry = preview.by_slug(parts[0]) if parts else None
            if entry is not None and entry.issue is not None and len(parts) > 1:
                with contextlib.suppress(PublisherError):
                    preview.render(entry)  # its files are known once it is rendered
            plan = preview.plan()
            planned = plan.outputs.get(path)
            if planned is None:
                if f"{path}/index.html" in plan.outputs:
                    self.redirect(f"/site/{path}/")
                else:
                    self.send_error(404)
                return
            if planned.source is not None:
                source = Path(planned.source)
                if not source.is_file() and entry is not None and planned.kind == site.IMAGE:
                    preview.render_again(entry)  # a build forgot the variants drafts show
                if not source.is_file():
                    self.send_error(404)
                    return
                self.send_file(source, planned.kind in (site.ISSUE_FILE, site.STATIC))
                return
            kind = planned.kind
            if kind == site.INDEX_PAGE:
                self.send_page(preview.pages().index(int(planned.scope or 1)))
            elif kind == site.LANGUAGE_PAGE:
                folder, number = planned.scope.rsplit("/", 1)
                self.send_page(preview.pages().index(int(number), folder))
            elif kind == site.STYLE:
                self.send_body(preview.pages().style().encode(), "text/css; charset=utf-8")
            elif kind == site.TAG_PAGE:
                pages = preview.pages()
                self.send_page(pages.tag(pages.tags[planned.name]))
            elif kind in (site.ISSUE_PAGE, site.EMAIL_HTML, site.EMAIL_TEXT) and entry:
                rendered = preview.render(entry)
                if kind == site.ISSUE_PAGE:
                    self.send_page(preview.pages().issue(rendered))
                elif kind == site.EMAIL_HTML:
                    self.send_page(rendered.html)
                else:
                    self.send_body(rendered.text.encode(), "text/plain; charset=utf-8")
            elif kind == site.REDIRECT:
                self.send_page(preview.redirect_page(planned.slug))
            elif kind in (site.FEED, site.TAG_FEED, site.ARCHIVE_FEED, site.LANGUAGE_FEED):
                tag = planned.scope if kind == site.TAG_FEED else ""
                year = int(planned.scope) if kind == site.ARCHIVE_FEED else 0
                folder = planned.scope if kind == site.LANGUAGE_FEED else ""
                body = preview.feed(planned.name, tag, year, folder)
                self.send_body(body, FEED_TYPES[planned.name])
            else:  # the sitemap and the message are for the published site only
                self.send_error(404)
        except PublisherError as exc:
            self.send_page(self.error_page(exc, "This page cannot be rendered"), 500)

    def search_file(self, name: str) -> None:
        """Serve a file of the search index, made over the issues the preview shows."""
        try:
            source = self.server.preview.search_files().get(name)
        except PublisherError as exc:
            self.send_page(self.error_page(exc, "The search index cannot be made"), 500)
            return
        if source is None:
            self.send_error(404)
        else:
            self.send_file(source)

    def send_file(self, path: Path, foreign: bool = False) -> None:
        """Send a file of the site; ``foreign``: one an author put there (a linked file, a
        static one), which may hold scripts: sandboxed, never of the origin that serves the
        drafts."""
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_body(path.read_bytes(), kind, sandbox=foreign)

    # -- live reload --

    def events(self) -> None:
        """Stream one Server-Sent Event per change until the client goes away."""
        preview = self.server.preview
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if self.command == "HEAD":
            return
        version = preview.version
        self.wfile.write(f"retry: 500\ndata: {json.dumps({'version': version})}\n\n".encode())
        self.wfile.flush()
        while not self.server.stopping.is_set():
            version, changed = preview.wait(version, HEARTBEAT_SECONDS)
            if changed:
                message = {"version": version, "changed": sorted(changed)}
                self.wfile.write(f"data: {json.dumps(message)}\n\n".encode())
            else:
                self.wfile.write(b": keep-alive\n\n")
            self.wfile.flush()


class PreviewServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One thread per connection, so slow clients and event streams never block a reload."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128  # the default 5 makes a burst of clients wait seconds to connect

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is no error of the preview's (under load, many
        do): no traceback for it."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            log.debug("%s went away", client_address)
            return
        super().handle_error(request, client_address)

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        host = address[0]
        port = self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        if host in ("0.0.0.0", "::", ""):
            shown = "127.0.0.1"
        self.url = f"http://{shown}:{port}/"
        self.hosts = allowed_hosts(host, port)
        self.stopping = threading.Event()
        #: Set once the watcher watches: a file saved from then on shows.
        self.watching = threading.Event()
        self.preview = Preview(root, self.url + "site/")

    def shutdown(self) -> None:
        self.stopping.set()
        with self.preview.changed:
            self.preview.changed.notify_all()
        super().shutdown()


def watch(server: PreviewServer, on_change: Callable[[set[str]], None] | None = None) -> None:
    """Apply saved changes to the preview until the server stops (runs on its own thread)."""
    import watchfiles

    root = server.preview.root
    watched = (root / ISSUES_DIR, root / TEMPLATES_DIR)

    default = watchfiles.DefaultFilter()

    def wanted(change: watchfiles.Change, path: str) -> bool:
        p = Path(path)
        ours = p == root / SETTINGS_FILE or any(p.is_relative_to(w) for w in watched)
        return ours and default(change, path)

    for changes in watchfiles.watch(
        root,
        watch_filter=wanted,
        debounce=DEBOUNCE_MS,
        step=10,
        stop_event=server.stopping,
        raise_interrupt=False,
        yield_on_timeout=True,  # an empty set, once it watches and then while nothing changes
        rust_timeout=WATCH_TIMEOUT_MS,
    ):
        server.watching.set()
        if not changes:
            continue
        try:
            changed = server.preview.apply(Path(p) for _, p in changes)
        except Exception:  # a bug must not stop the watcher; log it and keep serving
            log.exception("preview: applying a change failed")
            continue
        if changed:
            names = "everything" if EVERYTHING in changed else ", ".join(sorted(changed))
            log.info("changed: %s", names)
            if on_change:
                on_change(changed)


def allowed_hosts(host: str, port: int) -> set[str]:
    """Return the ``Host`` headers the preview answers: this machine's names, with the port.

    Listening on every address, that is the machine's own names and addresses; otherwise the
    address it listens on and the loopback names.
    """
    names = {host, "localhost", "127.0.0.1", "::1"}
    if host in ("0.0.0.0", "::", ""):
        names |= {socket.gethostname(), socket.getfqdn()}
        for name in (socket.gethostname(), socket.getfqdn(), "localhost"):
            with contextlib.suppress(OSError):
                names |= {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    allowed = set()
    for name in names:
        if not name:
            continue
        shown = f"[{name}]" if ":" in name else name
        allowed.add(f"{shown}:{port}".lower())
        if port == 80:
            allowed.add(shown.lower())
    return allowed


def is_loopback(host: str) -> bool:
    """Return whether ``host`` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start(root: Path, host: str = "127.0.0.1", port: int = 8000) -> PreviewServer:
    """Start the server and its watcher on background threads; return the server."""
    server = PreviewServer((host, port), root)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="preview-http", daemon=True
    )
    serving.start()
    threading.Thread(target=watch, args=(server,), name="preview-watch", daemon=True).start()
    server.watching.wait(timeout=10)  # so that no file saved after this is missed
    return server
