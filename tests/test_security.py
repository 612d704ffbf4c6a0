"""Nothing private leaves the machine and no input gives a traceback: each finding of the second
security review, tried as an attacker or a careless contributor would, through the real CLI,
the real preview server and a real (slow) SMTP peer."""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from conftest import SETTINGS, Newsletter
from publisher.cli import cli
from publisher.preview.server import start

SECRET = "PUBLISHER_SMTP_PASSWORD=hunter2-secret"


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def png(path: Path, size: tuple[int, int] = (120, 80)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, "teal").save(path, "PNG")
    return path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A private file outside the newsletter folder, and a private folder."""
    path = tmp_path / "private" / "environ"
    path.parent.mkdir()
    path.write_text(SECRET, encoding="utf-8")
    (tmp_path / "private" / "id_rsa").write_text("-----BEGIN KEY-----", encoding="utf-8")
    return path


def published(root: Path) -> str:
    """Return every byte under site/ as text, to search for a secret."""
    site = root / "site"
    if not site.exists():
        return ""
    return "".join(p.read_bytes().decode("latin-1") for p in site.rglob("*") if p.is_file())


# --- high: private files are never published ----------------------------------------------------


@pytest.mark.parametrize(
    "case", ["image symlink", "folder symlink", "single-file issue", "absolute target"]
)
def test_symbolic_links_out_of_the_folder_publish_nothing(
    newsletter: Newsletter, secret: Path, case: str
) -> None:
    if case == "single-file issue":
        (newsletter.root / "issues" / "chart.png").symlink_to(secret)
        path = newsletter.issue("2025-07-15-leak.md", body="![Chart](chart.png)\n")
        line = 5
    else:
        path = newsletter.issue("2025-07-15-leak/index.md", body="![Chart](chart.png)\n")
        line = 5
        if case == "image symlink":
            (path.parent / "chart.png").symlink_to(secret)
        elif case == "absolute target":
            (path.parent / "chart.png").symlink_to("/etc/passwd")
        else:
            (path.parent / "photos").symlink_to(secret.parent)
            path.write_text(
                path.read_text(encoding="utf-8").replace("chart.png", "photos/id_rsa"),
                encoding="utf-8",
            )
    for command in ("check", "build"):
        result = run(newsletter.root, command)
        no_traceback(result)
        assert result.exit_code == 1, result.output
        shown = path.relative_to(newsletter.root).as_posix()
        assert f"{shown}:{line}:" in result.output and "IMG006" in result.output, result.output
    assert SECRET not in published(newsletter.root) and "BEGIN KEY" not in published(
        newsletter.root
    )


def test_the_preview_answers_404_for_a_link_out(newsletter: Newsletter, secret: Path) -> None:
    path = newsletter.issue("2025-07-15-leak/index.md", body="![Chart](chart.png)\n")
    (path.parent / "chart.png").symlink_to(secret)
    server = start(newsletter.root, "127.0.0.1", 0)
    try:
        status, body = get(server, "/site/leak/chart.png")
        assert status == 404 and SECRET not in body
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("case", ["index.md", "issue folder", "issues folder"])
def test_an_issue_reached_through_a_link_out_of_the_folder_is_refused(
    newsletter: Newsletter, secret: Path, case: str
) -> None:
    """However deep the link, an issue whose real file lies outside is never read (in a
    folder of many issues too: the build checks links once, where it finds the files)."""
    for n in range(9):
        newsletter.issue(f"2025-07-{n + 1:02d}-ok-{n}/index.md", date=f"2025-07-{n + 1:02d}")
    outside = secret.parent / "2025-07-20-leak"
    outside.mkdir()
    (outside / "index.md").write_text(
        f"---\ntitle: Leak\ndate: 2025-07-20\n---\n\n{SECRET}\n", encoding="utf-8"
    )
    issues = newsletter.root / "issues"
    if case == "index.md":
        (issues / "2025-07-20-leak").mkdir()
        (issues / "2025-07-20-leak" / "index.md").symlink_to(outside / "index.md")
    elif case == "issue folder":
        (issues / "2025-07-20-leak").symlink_to(outside)
    else:
        moved = secret.parent / "issues"  # every issue, the leak a folder like the others
        issues.rename(moved)
        outside.rename(moved / "2025-07-20-leak")
        issues.symlink_to(moved)
    result = run(newsletter.root, "build")
    assert result.exit_code == 1
    assert "a symbolic link to a file outside the newsletter folder" in result.output
    assert SECRET not in published(newsletter.root)


def test_a_symlinked_issue_template_or_logo_out_of_the_folder_is_refused(
    newsletter: Newsletter, secret: Path
) -> None:
    newsletter.issue("2025-07-15-ok.md")
    (newsletter.root / "issues" / "2025-07-16-leak.md").symlink_to(secret)
    result = run(newsletter.root, "build")
    assert result.exit_code == 1
    assert "issues/2025-07-16-leak.md: a symbolic link to a file outside" in result.output
    (newsletter.root / "issues" / "2025-07-16-leak.md").unlink()
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "email.txt.j2").symlink_to(secret)
    for command in ("check", "build"):
        result = run(newsletter.root, command)
        no_traceback(result)
        assert result.exit_code == 1
        assert "templates/email.txt.j2" in result.output and "outside" in result.output
    assert SECRET not in published(newsletter.root)
    (newsletter.root / "templates" / "email.txt.j2").unlink()
    png(secret.parent / "logo.png")
    (newsletter.root / "logo.png").symlink_to(secret.parent / "logo.png")
    newsletter.settings(SETTINGS.replace('language = "en"', 'language = "en"\nlogo = "logo.png"'))
    result = run(newsletter.root, "build")
    assert result.exit_code == 1 and "newsletter.toml:" in result.output and "logo" in result.output


@pytest.mark.parametrize(
    ("body", "slug", "expect"),
    [
        ("![Chart](index.html)", "leak", "IMG007"),
        ("![Chart](page.html)", "leak", "IMG007"),
        ("![Chart](notes.txt)", "leak", "IMG007"),
        ("![x](style.css)", "assets", "is a name the site uses"),
    ],
)
def test_a_file_used_as_an_image_must_be_an_image(
    newsletter: Newsletter, body: str, slug: str, expect: str
) -> None:
    path = newsletter.issue(f"2025-07-15-{slug}/index.md", body=body + "\n")
    for name in ("index.html", "page.html", "style.css"):
        (path.parent / name).write_text("<script>alert(1)</script>", encoding="utf-8")
    (path.parent / "notes.txt").write_text("notes", encoding="utf-8")
    result = run(newsletter.root, "build")
    no_traceback(result)
    assert result.exit_code == 1 and expect in result.output, result.output
    assert "alert(1)" not in published(newsletter.root)


# --- medium: the preview answers only its own host ------------------------------------------------


def get(server: object, path: str, host: str | None = None) -> tuple[int, str]:
    address, port = server.server_address[:2]  # type: ignore[attr-defined]
    connection = http.client.HTTPConnection(str(address), int(port), timeout=5)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{port}" if host is None else host)
        connection.endheaders()
        response = connection.getresponse()
        if path == "/events":
            return response.status, ""
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_the_preview_refuses_other_hosts(newsletter: Newsletter) -> None:
    newsletter.issue("2025-07-15-draft.md", draft="true", body="A secret draft.\n")
    server = start(newsletter.root, "127.0.0.1", 0)
    port = server.server_address[1]
    try:
        for path in ("/issue/2025-07-15-draft/email.txt", "/events", "/", "/site/"):
            for host in ("evil.example", f"evil.example:{port}", "", f"127.0.0.2:{port}"):
                status, body = get(server, path, host)
                assert status == 421, (path, host, status)
                assert "secret draft" not in body
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
            assert get(server, "/issue/2025-07-15-draft/email.txt", host)[0] == 200, host
    finally:
        server.shutdown()
        server.server_close()


def test_the_preview_on_all_interfaces_accepts_only_this_machine(newsletter: Newsletter) -> None:
    newsletter.issue("2025-07-15-x.md")
    server = start(newsletter.root, "0.0.0.0", 0)
    port = server.server_address[1]
    try:
        assert get(server, "/", f"{socket.gethostname()}:{port}")[0] == 200
        assert get(server, "/", f"127.0.0.1:{port}")[0] == 200
        assert get(server, "/", f"attacker.example:{port}")[0] == 421
    finally:
        server.shutdown()
        server.server_close()


# --- medium: values check accepts never give a traceback ------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        'title: "Line\\u2028separator"\ndate: 2025-07-15\n',
        'title: "Next\\u0085line"\ndate: 2025-07-15\n',
        'title: "Two\\nlines"\ndate: 2025-07-15\nsubject: "Sub\\rject"\n',
        'title: T\ndate: 2025-07-15\nsummary: "a\\u2029b"\nauthor: "Jo\\nDoe"\n',
    ],
)
def test_line_breaks_in_one_line_fields_fold_with_a_warning(
    newsletter: Newsletter, front: str
) -> None:
    newsletter.issue("2025-07-15-x.md", front=front)
    for args in (["check"], ["build"], ["render", "x", "--format", "eml"]):
        result = run(newsletter.root, *args)
        no_traceback(result)
        assert result.exit_code == 0, (args, result.output)
    assert "line break" in run(newsletter.root, "check").output
    eml = run(newsletter.root, "render", "x", "--format", "eml").stdout_bytes
    import email

    message = email.message_from_bytes(eml)
    assert "\n" not in str(message["Subject"]) and "\u2028" not in str(message["Subject"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('name = "Test Weekly"', 'name = "Test\\nWeekly"'),
        ('name = "Ada Writer"', 'name = "Ada\\u2028Writer"'),
        ('email = "ada@example.org"', 'email = "jörg@example.de"'),
        ('email = "ada@example.org"', 'email = "me@bücher.example"'),
        ('base_url = "https://news.example.org/"', 'base_url = "https://bücher.example/news/"'),
    ],
)
def test_settings_that_check_accepts_build_render_and_send(
    newsletter: Newsletter, old: str, new: str
) -> None:
    newsletter.settings(SETTINGS.replace(old, new))
    newsletter.issue("2025-07-15-x.md")
    results = {}
    for args in (
        ["check"],
        ["build"],
        ["render", "x", "--format", "eml"],
        ["send", "x", "--to", "me@example.org", "--dry-run"],
    ):
        result = run(newsletter.root, *args)
        no_traceback(result)
        results[args[0]] = result.exit_code
    assert len(set(results.values())) == 1, results  # every command agrees
    if "bücher.example/news" in new:
        assert results["build"] == 0
        feed = feedparser.parse(newsletter.root / "site" / "atom.xml")
        assert not feed.bozo
        assert feed.entries[0].link == "https://xn--bcher-kva.example/news/x/"


# --- medium: the SMTP timeout is a deadline ------------------------------------------------------


@pytest.mark.parametrize("stage", ["greeting", "data"])
def test_send_gives_up_at_its_deadline_against_a_slow_server(
    newsletter: Newsletter, stage: str
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def slow_server() -> None:
        conn, _ = listener.accept()
        conn.settimeout(1)
        try:
            if stage == "greeting":
                while not stop.is_set():
                    conn.sendall(b"2")
                    time.sleep(1)
            conn.sendall(b"220 slow.example ESMTP\r\n")
            buffer = b""
            while not stop.is_set():
                try:
                    chunk = conn.recv(4096)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        conn.sendall(b"250 slow.example\r\n")
                    elif verb in (b"MAIL", b"RCPT"):
                        conn.sendall(b"250 OK\r\n")
                    elif verb == b"DATA":
                        conn.sendall(b"354 go on\r\n")
                    elif line == b".":
                        while not stop.is_set():
                            conn.sendall(b"2")
                            time.sleep(1)
        except OSError:
            pass
        finally:
            conn.close()

    thread = threading.Thread(target=slow_server, daemon=True)
    thread.start()
    newsletter.settings(
        SETTINGS + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 3\n'
    )
    newsletter.issue("2025-07-15-x.md")
    started = time.monotonic()
    try:
        result = run(newsletter.root, "send", "x", "--to", "me@example.org")
    finally:
        stop.set()
        listener.close()
    elapsed = time.monotonic() - started
    no_traceback(result)
    assert result.exit_code == 1
    assert elapsed < 8, elapsed
    assert f"127.0.0.1:{port}" in result.output and "3 s" in result.output
    assert ("greeting" if stage == "greeting" else "after the message") in result.output


# --- low ---------------------------------------------------------------------------------------


def test_rss_descriptions_are_text_not_html(newsletter: Newsletter) -> None:
    newsletter.settings(
        SETTINGS.replace('language = "en"', 'language = "en"\ndescription = "A <b>bold</b> claim"')
    )
    newsletter.issue(
        "2025-07-15-x.md",
        summary='"Why <marquee> died, and <img src=x onerror=alert(1)> too"',
    )
    assert run(newsletter.root, "build").exit_code == 0
    feed = feedparser.parse(newsletter.root / "site" / "feed.xml")
    assert (
        feed.entries[0].summary
        == "Why &lt;marquee&gt; died, and &lt;img src=x onerror=alert(1)&gt; too"
    )
    assert "<img" not in feed.entries[0].summary
    assert feed.feed.subtitle == "A &lt;b&gt;bold&lt;/b&gt; claim"


@pytest.mark.parametrize(
    "to", ["me@example.org, victim@x.example", "", "me@example.org\r\nRCPT TO:<v@x>", "no-at-sign"]
)
def test_send_takes_exactly_one_address_per_to(newsletter: Newsletter, to: str) -> None:
    newsletter.issue("2025-07-15-x.md")
    result = run(newsletter.root, "send", "x", "--to", to, "--dry-run")
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "--to" in result.output and "one address" in result.output


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            'service = "mailchimp"',
            'service = "mailchimp"\nheader_url = "https://e/u>, <mailto:evil@x"',
            "header_url",
        ),
        ('email = "ada@example.org"', 'email = "not-an-email"', "email"),
    ],
)
def test_header_url_and_author_email_are_validated(
    newsletter: Newsletter, old: str, new: str, key: str
) -> None:
    newsletter.settings(SETTINGS.replace(old, new))
    newsletter.issue("2025-07-15-x.md")
    for command in ("check", "build"):
        result = run(newsletter.root, command)
        no_traceback(result)
        assert result.exit_code == 1
        assert "newsletter.toml:" in result.output and key in result.output, result.output


def test_a_front_matter_image_must_be_a_web_address_or_a_local_file(newsletter: Newsletter) -> None:
    newsletter.issue("2025-07-15-x.md", image='"javascript:alert(1)"')
    for command in ("check", "build"):
        result = run(newsletter.root, command)
        no_traceback(result)
        assert result.exit_code == 1
        assert "issues/2025-07-15-x.md:2:" in result.output and "image" in result.output
    assert "javascript" not in published(newsletter.root)


def test_raw_html_keeps_no_script_srcset_or_overlay(newsletter: Newsletter) -> None:
    newsletter.issue(
        "2025-07-15-x.md",
        body=(
            '<img src="https://img.example/a.png" srcset="javascript:alert(1) 1x, '
            'https://img.example/b.png 2x" style="position:fixed;top:0;color:red">\n\n'
            '<table><tr><td style="position: absolute; left:0">cell</td></tr></table>\n'
        ),
    )
    assert run(newsletter.root, "build").exit_code == 0
    site = newsletter.root / "site" / "x"
    for name in ("email.html", "index.html"):
        html = (site / name).read_text(encoding="utf-8")
        assert "javascript" not in html and "https://img.example/b.png 2x" in html
        assert "position" not in html.replace("mso-position", ""), name


# --- never a traceback, whatever the text ---------------------------------------------------------

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
) | st.sampled_from(
    [
        "\u2028",
        "\u0085",
        "a\nb",
        "\r",
        " ",
        "x@y",
        "ü@ü.de",
        "<b>",
        '"',
        "\\",
        "\ud800",
        "\udfff x",
        "😀",
    ]
)
FIELDS = ["title", "subtitle", "subject", "summary", "author", "slug", "image", "id", "signoff",
          "redirect_from"]  # fmt: skip
SETTING_KEYS = [
    (None, "name"),
    (None, "description"),
    (None, "base_url"),
    (None, "signoff"),
    ("author", "name"),
    ("author", "email"),
    ("footer", "address"),
    ("footer", "reason"),
    ("unsubscribe", "header_url"),
    ("unsubscribe", "mailto"),
]


def with_setting(text: str, table: str | None, key: str, value: str) -> str:
    """Return settings ``text`` with ``key`` (in ``table``, None: at the top) set to ``value``."""
    lines, current, out = text.splitlines(), None, []
    for line in lines:
        if line.startswith("["):
            current = line.strip("[] ")
        if current == table and line.split("=")[0].strip() == key:
            continue
        out.append(line)
        if table is not None and line == f"[{table}]":
            out.append(f"{key} = {value}")
    if table is None:
        out.insert(0, f"{key} = {value}")
    elif f"[{table}]" not in lines:
        out += [f"[{table}]", f"{key} = {value}"]
    return "\n".join(out) + "\n"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(FIELDS),
    value=TEXT,
    setting=st.sampled_from(SETTING_KEYS),
    setting_value=TEXT,
)
def test_no_input_gives_a_traceback(
    tmp_path_factory: pytest.TempPathFactory,
    field: str,
    value: str,
    setting: tuple[str | None, str],
    setting_value: str,
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    news = Newsletter(root)
    news.settings(with_setting(SETTINGS, *setting, json.dumps(setting_value)))
    front = {"title": "T", "date": "2025-07-15", field: value}
    news.issue(
        "2025-07-15-x.md", front="".join(f"{k}: {json.dumps(v)}\n" for k, v in front.items())
    )
    for args in (["check"], ["build"], ["render", "x", "--format", "eml"]):
        result = run(root, *args)
        no_traceback(result)
        assert result.exit_code in (0, 1), (args, result.output)
    os.chdir(tmp_path_factory.getbasetemp())
