"""The preview under load and attack: many clients, slow clients and huge requests never block
a reload, and no request reaches a file outside what the preview serves."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator

import pytest

from conftest import Newsletter
from publisher.preview.server import PreviewServer, start

KEY = "2025-07-15-first"


@pytest.fixture
def server(newsletter: Newsletter) -> Iterator[PreviewServer]:
    newsletter.issue(f"{KEY}.md", title="First", date="2025-07-15", body="Original text.\n")
    running = start(newsletter.root, "127.0.0.1", 0)  # returns once its watcher watches
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()


def address(server: PreviewServer) -> tuple[str, int]:
    host, port = server.server_address[:2]
    return str(host), int(port)


def own_host(server: PreviewServer, data: bytes) -> bytes:
    """Put the server's own address in the request's ``Host: x`` header."""
    host, port = address(server)
    return data.replace(b"Host: x\r\n", f"Host: {host}:{port}\r\n".encode())


def raw(server: PreviewServer, data: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes and return what comes back before the server closes or goes quiet."""
    with socket.create_connection(address(server), timeout=timeout) as sock:
        sock.sendall(own_host(server, data))
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and b"Content-Length: 0" in chunks[0]:
                    break
        except TimeoutError:
            pass
        return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0


def test_reloads_go_through_under_load(server: PreviewServer, newsletter: Newsletter) -> None:
    host, port = address(server)
    crowd: list[socket.socket] = []
    started = time.monotonic()
    try:
        for n in range(100):
            sock = socket.create_connection((host, port), timeout=5)
            if n % 3 == 0:  # listeners on the event stream
                sock.sendall(own_host(server, b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n"))
            elif n % 3 == 1:  # slow clients: half a request line, then nothing
                sock.sendall(b"GET /issue/")
            else:  # a request whose headers never end
                sock.sendall(
                    own_host(server, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ") + b"a" * 1000
                )
            crowd.append(sock)
        assert time.monotonic() - started < 3.0, "a burst of clients waited to connect"
        listener = socket.create_connection((host, port), timeout=5)
        listener.sendall(own_host(server, b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n"))
        listener.recv(65536)  # the greeting with the current version
        path = newsletter.root / "issues" / f"{KEY}.md"
        started = time.monotonic()
        path.write_text(path.read_text().replace("Original", "Changed"), encoding="utf-8")
        message = b""
        while KEY.encode() not in message:
            message += listener.recv(65536)
        assert time.monotonic() - started < 2.0
        listener.close()
        connection = http.client.HTTPConnection(host, port, timeout=5)
        connection.request("GET", f"/issue/{KEY}/email.txt")
        response = connection.getresponse()
        assert response.status == 200
        assert "Changed text." in response.read().decode()
    finally:
        for sock in crowd:
            sock.close()


def test_huge_requests_are_refused_quickly(server: PreviewServer) -> None:
    started = time.monotonic()
    assert status_of(raw(server, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")) == 414
    many = b"".join(b"X-%d: y\r\n" % n for n in range(200))
    assert status_of(raw(server, b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")) == 431
    body = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 10_000
    assert status_of(raw(server, body)) == 405
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "path",
    [
        "/site/first/../../newsletter.toml",
        "/site/first/%2e%2e/%2e%2e/newsletter.toml",
        "/site/first/%2E%2e/%2e%2E/newsletter.toml",
        "/site/first/%252e%252e/%252e%252e/newsletter.toml",
        "/site/first/%c0%ae%c0%ae/%c0%ae%c0%ae/newsletter.toml",
        "/site/first/%e0%80%ae%e0%80%ae/newsletter.toml",
        "/site/first/..%2f..%2fnewsletter.toml",
        "/site/first/..%5c..%5cnewsletter.toml",
        "/site/first/..\\..\\newsletter.toml",
        "/site/first/%u002e%u002e/newsletter.toml",
        "/site/first/....//....//newsletter.toml",
        "/site/first/%00/../../newsletter.toml",
        "/site/first/.%2e/.%2e/newsletter.toml",
        "/site/first/2025-07-15-first.md",
        "/site/%2fetc%2fpasswd",
        "/site//etc/passwd",
        "/site/first//etc/passwd",
        "//etc/passwd",
        "/etc/passwd",
        "/../../../../etc/passwd",
        "/site/assets/../../newsletter.toml",
        "/issue/..%2f..%2fnewsletter.toml/email.txt",
    ],
)
def test_traversal_in_every_encoding_is_refused(server: PreviewServer, path: str) -> None:
    response = raw(
        server, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1")
    )
    assert status_of(response) in (400, 404), (path, response[:200])
    assert b"base_url" not in response and b"root:" not in response
