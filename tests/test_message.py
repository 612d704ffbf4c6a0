"""email.eml and `publisher send`: a real SMTP server (aiosmtpd) with STARTTLS and login,
and two independent parsers reading the message back."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.message
import email.utils
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import fast_mail_parser
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from photos import phone_photo
from PIL import Image

from conftest import Newsletter
from publisher.build.pipeline import build
from publisher.cli import cli

USER, PASSWORD = "tester", "s3cret-pass"
BODY = "Hello **readers**, see [the map](https://map.example/).\n\n## Part two\n\nMore words.\n"
#: What a test send links instead of the service's unsubscribe merge tag, which only the
#: service fills in (the test settings' one-click URL).
STAND_IN = "https://news.example.org/unsubscribe"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps what arrives and refuses one address."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535 itself


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@contextlib.contextmanager
def serving(authority: trustme.CA, **options: Any) -> Iterator[tuple[Inbox, int]]:
    """Run an SMTP server on 127.0.0.1 that requires STARTTLS and a login (``options``: more
    of aiosmtpd's, e.g. enable_SMTPUTF8)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
        **options,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(authority: trustme.CA) -> Iterator[tuple[Inbox, int]]:
    with serving(authority) as served:
        yield served


def configure(newsletter: Newsletter, authority: trustme.CA, port: int, **smtp: Any) -> None:
    authority.cert_pem.write_to_path(str(newsletter.root / "ca.pem"))
    values = {
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "user": USER,
        "ca_file": "ca.pem",
        "timeout": 5,
        **smtp,
    }
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in values.items()]
    text = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    text = text.replace(
        'service = "mailchimp"',
        'service = "mailchimp"\n'
        'header_url = "https://news.example.org/unsubscribe"\n'
        'mailto = "leave@news.example.org"',
    )
    newsletter.settings(text + "\n[smtp]\n" + "\n".join(lines) + "\n")


def run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


@pytest.fixture
def issue(newsletter: Newsletter) -> Path:
    return newsletter.issue(body=BODY, summary="The preheader.")


# --- the message ---------------------------------------------------------------------------------


def test_eml_is_built_and_reads_back_with_two_parsers(newsletter: Newsletter, issue: Path) -> None:
    build(newsletter.root)
    data = (newsletter.root / "site" / "first" / "email.eml").read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert parsed["From"] == "Ada Writer <ada@example.org>"
    assert parsed["Subject"] == "First issue"
    assert parsed["Date"] == "Tue, 15 Jul 2025 00:00:00 +0000"
    assert parsed["Message-ID"].startswith("<") and parsed["Message-ID"].endswith(
        "@news.example.org>"
    )
    assert parsed["MIME-Version"] == "1.0"
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.iter_parts()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert "Hello readers, see the map [1]." in text.get_content()
    # The email service that sends it fills in its merge tag for each reader, in the footer
    # and in the header (a test send cannot: see test_send_arrives_intact_over_starttls...).
    page = (newsletter.root / "site" / "first" / "email.html").read_text()
    assert 'href="*|UNSUB|*"' in page
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == page.rstrip("\n")
    assert "Unsubscribe: *|UNSUB|*" in text.get_content()
    assert parsed["List-Unsubscribe"] == "<*|UNSUB|*>" and not parsed["List-Unsubscribe-Post"]
    other = fast_mail_parser.parse_email(data)
    assert other.subject == "First issue"
    assert other.headers["Message-ID"] == [parsed["Message-ID"]]
    assert other.text_plain[0] == text.get_content()
    assert other.text_html[0].replace("\r\n", "\n").rstrip() == page.rstrip()


def test_each_part_travels_in_the_shorter_encoding(newsletter: Newsletter) -> None:
    """Quoted-printable for Latin text, base64 for Cyrillic (6 bytes a letter against 2.7):
    what a mailbox receives, and Gmail clips, is what is sent."""
    body = "Подводные кабели несут почти весь трафик между континентами. " * 40
    newsletter.issue("2025-07-15-ru.md", title="Кабели", date="2025-07-15", body=body)
    newsletter.issue("2025-07-16-en.md", title="Cables", date="2025-07-16", body="Cables. " * 300)
    build(newsletter.root)
    for slug, cte in (("ru", "base64"), ("en", "quoted-printable")):
        data = (newsletter.root / "site" / slug / "email.eml").read_bytes()
        parsed = email.message_from_bytes(data, policy=policy.default)
        _, html = parsed.iter_parts()
        assert html["Content-Transfer-Encoding"] == cte, slug
        page = (newsletter.root / "site" / slug / "email.html").read_text(encoding="utf-8")
        assert html.get_content().replace("\r\n", "\n").rstrip("\n") == page.rstrip("\n")
        assert fast_mail_parser.parse_email(data).text_html[0].replace("\r\n", "\n").rstrip() == (
            page.rstrip()
        )


def test_list_unsubscribe_headers(newsletter: Newsletter, issue: Path, authority: Any) -> None:
    configure(newsletter, authority, 2525)
    result = run(newsletter.root, "render", "first", "--format", "eml")
    parsed = email.message_from_bytes(result.stdout_bytes, policy=policy.default)
    assert parsed["List-Unsubscribe"] == (
        "<https://news.example.org/unsubscribe>, "
        "<mailto:leave@news.example.org?subject=unsubscribe>"
    )
    # The same URL for every reader: no one-click (RFC 8058 §3.1; tests/test_email.py).
    assert parsed["List-Unsubscribe-Post"] is None
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'href="*|UNSUB|*"' in html  # the service that sends it fills it in


def test_without_an_unsubscribe_url_there_is_no_one_click_header(
    newsletter: Newsletter, issue: Path
) -> None:
    result = run(newsletter.root, "render", "first", "--format", "eml")
    parsed = email.message_from_bytes(result.stdout_bytes, policy=policy.default)
    assert parsed["List-Unsubscribe"] == "<*|UNSUB|*>" and parsed["List-Unsubscribe-Post"] is None


def test_a_sender_address_is_required(newsletter: Newsletter, issue: Path) -> None:
    newsletter.settings('base_url = "https://n.example/"\n')
    result = run(newsletter.root, "render", "first", "--format", "eml")
    assert result.exit_code == 1
    assert "the message needs a sender address" in result.output
    assert "fix: set email under [author]" in result.output


# --- author text in headers (#32) ------------------------------------------------------------

#: Encoded words that decode to a line break: a Bcc header of their own, and (base64) an
#: empty line that ends the headers, so that the rest is read as the body.
BCC = "=?utf-8?q?Weekly=0D=0ABcc:_everyone@victim.example?="
NEW_BODY = (
    "=?utf-8?b?V2Vla2x5DQoNCllvdXIgYWNjb3VudCBpcyBsb2NrZWQ6IGh0dHBzOi8vZXZpbC5leGFtcGxlLw==?="
)
HEADERS = ["From", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]
#: A test send's: To as well.
SENT = ["From", "To", *HEADERS[1:]]


def read_eml(data: bytes, headers: list[str] = HEADERS) -> email.message.EmailMessage:
    """The message as a mail program reads it: exactly our headers, and the issue's body."""
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    assert [k for k in parsed if not k.startswith("List-")] == headers, data[:600]
    (mailbox,) = parsed["From"].addresses
    assert mailbox.addr_spec == "ada@example.org"
    assert "More words." in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return parsed


@pytest.mark.parametrize("text", [BCC, NEW_BODY], ids=["bcc", "new-body"])
@pytest.mark.parametrize("where", ["title", "subject"])
def test_an_encoded_word_in_the_subject_is_the_authors_text(
    newsletter: Newsletter, where: str, text: str
) -> None:
    newsletter.issue(body=BODY, **{where: f'"{text}"'})
    build(newsletter.root)
    parsed = read_eml((newsletter.root / "site" / "first" / "email.eml").read_bytes())
    assert parsed["Subject"] == text


@pytest.mark.parametrize("text", [BCC, NEW_BODY], ids=["bcc", "new-body"])
@pytest.mark.parametrize("whose", ["author", "newsletter"])
def test_an_encoded_word_in_the_senders_name_is_the_text(
    newsletter: Newsletter, issue: Path, whose: str, text: str
) -> None:
    settings = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    if whose == "author":
        settings = settings.replace('name = "Ada Writer"', f'name = "{text}"')
    else:
        settings = settings.replace('name = "Ada Writer"\n', "")
        settings = settings.replace('name = "Test Weekly"', f'name = "{text}"')
    newsletter.settings(settings)
    result = run(newsletter.root, "render", "first", "--format", "eml")
    assert result.exit_code == 0, result.output
    parsed = read_eml(result.stdout_bytes)
    assert display_name(result.stdout_bytes) == parsed["From"].addresses[0].display_name == text


@pytest.mark.parametrize(
    "name",
    ["Zoë <boss@bank.example>", "Zoë, boss@bank.example", "Ada " * 20 + "<boss@bank.example>",
     "x" * 90 + " " + "x" * 90, '.Zoë "q" \\ (c)'],
)  # fmt: skip
def test_a_name_never_becomes_an_address_or_the_end_of_the_headers(
    newsletter: Newsletter, issue: Path, name: str
) -> None:
    """Python 3.11 writes these names so that a reader sees another sender, two senders, or
    no more headers."""
    settings = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    newsletter.settings(settings.replace('name = "Ada Writer"', f"name = '{name}'"))
    result = run(newsletter.root, "render", "first", "--format", "eml")
    assert result.exit_code == 0, result.output
    read_eml(result.stdout_bytes)
    assert display_name(result.stdout_bytes) == name


def test_the_unsubscribe_address_is_one_ascii_mailto_url(
    newsletter: Newsletter, issue: Path, authority: Any
) -> None:
    configure(newsletter, authority, 2525)
    settings = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    newsletter.settings(settings.replace("leave@news.example.org", "jörg?x=1@bücher.example"))
    result = run(newsletter.root, "render", "first", "--format", "eml")
    parsed = read_eml(result.stdout_bytes)
    assert parsed["List-Unsubscribe"] == (
        "<https://news.example.org/unsubscribe>, "
        "<mailto:j%C3%B6rg%3Fx%3D1@xn--bcher-kva.example?subject=unsubscribe>"
    )
    assert result.stdout_bytes.isascii()


# --- sending -----------------------------------------------------------------------------------


@pytest.fixture
def ready(
    newsletter: Newsletter,
    issue: Path,
    smtp: tuple[Inbox, int],
    authority: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Inbox:
    """Point the settings at the test server, with the right password in the environment."""
    inbox, port = smtp
    configure(newsletter, authority, port)
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    return inbox


def test_send_arrives_intact_over_starttls_with_login(
    newsletter: Newsletter,
    issue: Path,
    smtp: tuple[Inbox, int],
    authority: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp
    configure(newsletter, authority, port)
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    build(newsletter.root)
    result = run(
        newsletter.root, "send", "first", "--to", "me@example.org", "--to", "you@example.org"
    )
    assert result.exit_code == 0, result.output
    assert "sent to me@example.org, you@example.org" in result.output
    ((sender, recipients, data),) = inbox.messages
    assert sender == "ada@example.org"
    assert recipients == ["me@example.org", "you@example.org"]
    # The email of email.eml, in a message of its own: with no local image, the same parts,
    # but for the service's merge tag, which nobody fills in a test (it keeps it: it sends it).
    built = read_eml((newsletter.root / "site" / "first" / "email.eml").read_bytes())
    parsed = read_eml(data, SENT)
    assert parsed["To"] == "me@example.org, you@example.org"
    assert parsed["Subject"] == "[TEST] First issue"
    assert [p.get_content() for p in parsed.iter_parts()] == [
        p.get_content().replace("*|UNSUB|*", STAND_IN) for p in built.iter_parts()
    ]
    assert "*|UNSUB|*" not in str(parsed["List-Unsubscribe"])
    assert "More words." in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_send_without_prefix_and_drafts(
    newsletter: Newsletter,
    smtp: tuple[Inbox, int],
    authority: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp
    newsletter.issue(
        "2025-08-01-wip.md",
        title="Work in progress",
        date="2025-08-01",
        draft="true",
        body="Draft text.\n",
    )
    configure(newsletter, authority, port)
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    result = run(newsletter.root, "send", "wip", "--to", "me@example.org", "--no-prefix")
    assert result.exit_code == 0, result.output
    parsed = email.message_from_bytes(inbox.messages[0][2], policy=policy.default)
    assert parsed["Subject"] == "Work in progress"


def test_dry_run_prints_and_sends_nothing(
    newsletter: Newsletter, issue: Path, smtp: tuple[Inbox, int], authority: Any
) -> None:
    inbox, port = smtp
    configure(newsletter, authority, port)
    result = run(newsletter.root, "send", "first", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 0, result.output
    assert b"Subject: [TEST] First issue" in result.stdout_bytes
    assert inbox.messages == []
    # The merge tag is the email service's: the test message links the one-click URL instead.
    assert (
        "note: the unsubscribe link is your email service's merge tag *|UNSUB|*, which only the "
        "service fills in; in this message it leads to https://news.example.org/unsubscribe"
    ) in result.output
    assert b"*|UNSUB|*" not in result.stdout_bytes


def test_a_send_carries_no_injected_recipient(newsletter: Newsletter, ready: Inbox) -> None:
    newsletter.issue(body=BODY, title=f'"{BCC}"')
    dry = run(newsletter.root, "send", "first", "--to", "me@example.org", "--dry-run")
    assert "  to:       me@example.org\n" in dry.output
    assert read_eml(dry.stdout_bytes, SENT)["Subject"] == f"[TEST] {BCC}"
    result = run(newsletter.root, "send", "first", "--to", "me@example.org")
    assert result.exit_code == 0, result.output
    ((_, recipients, data),) = ready.messages
    assert recipients == ["me@example.org"]
    parsed = read_eml(data, SENT)
    assert parsed["Subject"] == f"[TEST] {BCC}" and parsed["To"] == "me@example.org"


# --- test sends: what readers will see, now (#33) ----------------------------------------------

#: An issue with a local photo, a remote image and a local logo.
PICTURED = """\
![A harbour crane](crane.jpg "Cranes | Photo: Me")

Hello **readers**.

![A chart](https://charts.example.net/chart.png)

More words.
"""
REMOTE = "https://charts.example.net/chart.png"
SRC = re.compile(r'src="([^"]*)"')


@pytest.fixture
def pictured(
    newsletter: Newsletter,
    smtp: tuple[Inbox, int],
    authority: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Inbox:
    """The issue ``first`` as a folder with a phone photo, a remote image and a local logo;
    the settings pointed at the test server."""
    folder = newsletter.issue("2025-07-15-first/index.md", body=PICTURED).parent
    phone_photo(folder / "crane.jpg", 900, 600, orientation=1)
    (newsletter.root / "brand").mkdir()
    Image.new("RGB", (320, 80), "teal").save(newsletter.root / "brand" / "logo.png")
    settings = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    newsletter.settings(
        settings.replace('timezone = "UTC"', 'timezone = "UTC"\nlogo = "brand/logo.png"')
    )
    inbox, port = smtp
    configure(newsletter, authority, port)
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    return inbox


def parts_of(data: bytes) -> tuple[str, list[email.message.EmailMessage]]:
    """Return the HTML of a test message with images inside it, and its image parts."""
    parsed = read_eml(data, SENT)
    assert parsed.get_content_type() == "multipart/alternative"
    text, related = parsed.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    assert related.get_param("type") == "text/html"
    html, *images = related.iter_parts()
    assert html.get_content_type() == "text/html"
    return html.get_content(), images  # type: ignore[return-value]


def test_a_test_send_carries_its_local_images_and_is_a_new_message(
    newsletter: Newsletter, pictured: Inbox
) -> None:
    build(newsletter.root)
    built = newsletter.root / "site" / "first" / "email.eml"
    before = built.read_bytes()
    for _ in range(2):
        result = run(newsletter.root, "send", "first", "--to", "me@example.org")
        assert result.exit_code == 0, result.output
    assert "sent to me@example.org: " in result.output
    assert "2 images inside it" in result.output
    (_, _, first), (_, _, second) = pictured.messages
    html, images = parts_of(first)
    eml = read_eml(before)
    page = eml.get_body(("html",)).get_content()  # type: ignore[union-attr]
    page = page.replace("*|UNSUB|*", STAND_IN)  # email.eml keeps it: its service fills it in
    # The HTML is the email's, each image of the site shown from inside the message.
    assert SRC.sub("", html) == SRC.sub("", page)
    by_cid = {str(part["Content-ID"]): part for part in images}
    site = newsletter.root / "site"
    carried = []
    for web, shown in zip(SRC.findall(page), SRC.findall(html), strict=True):
        if not web.startswith("https://news.example.org/"):
            assert shown == web == REMOTE  # another host's image stays where it is
            continue
        part = by_cid.pop(f"<{shown.removeprefix('cid:')}>")
        variant = site / web.removeprefix("https://news.example.org/")
        assert part.get_content() == variant.read_bytes()
        assert part.get_content_type() == f"image/{variant.suffix[1:].replace('jpg', 'jpeg')}"
        carried.append(variant.relative_to(site).parent.name)
    assert sorted(carried) == ["brand", "first"] and by_cid == {}  # no part unused
    # A second parser reads the same images.
    other = fast_mail_parser.parse_email(first)
    assert sorted(len(a.content) for a in other.attachments) == sorted(
        len(p.get_content()) for p in images
    )
    # Sent now, under a new Message-ID on the sender's domain, to its recipient.
    now = dt.datetime.now(dt.UTC)
    for data in (first, second):
        parsed = read_eml(data, SENT)
        assert abs(email.utils.parsedate_to_datetime(parsed["Date"]) - now) < dt.timedelta(
            minutes=1
        )
        assert parsed["To"] == "me@example.org"
        assert parsed["Message-ID"].endswith("@example.org>")
    ids = [read_eml(data, SENT)["Message-ID"] for data in (first, second)]
    assert len({*ids, eml["Message-ID"]}) == 3
    # The site's message is the email readers get, as it was.
    assert built.read_bytes() == before
    assert run(newsletter.root, "render", "first", "--format", "eml").stdout_bytes == before
    assert REMOTE in page and "cid:" not in before.decode("ascii")


def test_dry_run_lists_the_parts_and_their_sizes(newsletter: Newsletter, pictured: Inbox) -> None:
    """Before any build: the variants come from the shelf, made as the email is rendered."""
    result = run(newsletter.root, "send", "first", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 0, result.output
    assert pictured.messages == []
    assert not (newsletter.root / "site").exists()
    data = result.stdout_bytes
    html, images = parts_of(data)
    assert len(images) == 2 and REMOTE in html
    lines = result.output.splitlines()
    start = lines.index("the test message: dated now, a new Message-ID, To: its recipients")
    shown = "\n".join(lines[start + 1 : start + 7])
    size = r"\d+\.\d KB"
    assert re.fullmatch(
        rf"  multipart/alternative\n"
        rf"    text/plain +{size}\n"
        rf"    multipart/related\n"
        rf"      text/html +{size}\n"
        rf"      image/png brand/logo-320w\.[0-9a-f]{{10}}\.png +{size}\n"
        rf"      image/jpeg first/crane-\d+w\.[0-9a-f]{{10}}\.jpg +{size}",
        shown,
    ), shown
    eml = run(newsletter.root, "render", "first", "--format", "eml").stdout_bytes
    assert (
        f"  {len(data) / 1024:.1f} KB in all, 2 images inside it ("
        f"{sum(len(p.get_content()) for p in images) / 1024:.1f} KB); email.eml, which readers "
        f"get, is {len(eml) / 1024:.1f} KB and loads its images from the web"
    ) in result.output
    assert len(data) > len(eml) + sum(len(p.get_content()) for p in images)


def test_web_images_leave_the_images_at_their_addresses(
    newsletter: Newsletter, pictured: Inbox
) -> None:
    result = run(newsletter.root, "send", "first", "--to", "me@example.org", "--web-images")
    assert result.exit_code == 0, result.output
    ((_, _, data),) = pictured.messages
    parsed = read_eml(data, SENT)
    eml = read_eml(run(newsletter.root, "render", "first", "--format", "eml").stdout_bytes)
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert [p.get_content() for p in parsed.iter_parts()] == [
        p.get_content().replace("*|UNSUB|*", STAND_IN) for p in eml.iter_parts()
    ]
    assert parsed["Message-ID"] != eml["Message-ID"] and parsed["To"] == "me@example.org"


def test_an_image_of_the_site_is_carried_once_the_site_has_it(
    newsletter: Newsletter, ready: Inbox, tmp_path: Path
) -> None:
    """An image the email shows from the site's own files (here, a static file) is carried
    from the built site; before the build, it stays at its address, and the output says so.
    A file of the site that leads out of the newsletter folder is never read."""
    body = (
        '<img src="https://news.example.org/badge.png" alt="Badge">\n\n'
        '<img src="https://news.example.org/elsewhere.png" alt="Elsewhere">\n\nMore words.\n'
    )
    newsletter.issue(body=body)
    (newsletter.root / "static").mkdir()
    Image.new("RGB", (40, 40), "gold").save(newsletter.root / "static" / "badge.png")
    args = ("send", "first", "--to", "me@example.org")
    result = run(newsletter.root, *args)
    assert result.exit_code == 0, result.output
    assert "note: badge.png is not on this machine (build the site first" in result.output
    build(newsletter.root)
    Image.new("RGB", (40, 40), "red").save(tmp_path / "outside.png")
    (newsletter.root / "site" / "elsewhere.png").symlink_to(tmp_path / "outside.png")
    result = run(newsletter.root, *args)
    assert result.exit_code == 0, result.output
    assert "badge.png is not" not in result.output and "elsewhere.png is not" in result.output
    before, after = (read_eml(data, SENT) for _, _, data in ready.messages)
    assert 'src="https://news.example.org/badge.png"' in before.get_body(("html",)).get_content()  # type: ignore[union-attr]
    html, (image,) = parts_of(after.as_bytes())
    assert f'src="cid:{image["Content-ID"][1:-1]}"' in html
    assert image.get_content() == (newsletter.root / "static" / "badge.png").read_bytes()
    assert 'src="https://news.example.org/elsewhere.png"' in html


def test_a_message_bigger_than_the_server_takes_is_not_sent(
    newsletter: Newsletter, authority: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = newsletter.issue("2025-07-15-first/index.md", body=PICTURED).parent
    phone_photo(folder / "crane.jpg", 900, 600, orientation=1)
    eml = run(newsletter.root, "render", "first", "--format", "eml").stdout_bytes
    with serving(authority, data_size_limit=len(eml) + 2000) as (inbox, port):
        configure(newsletter, authority, port)
        monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
        output = failing(newsletter)
        assert f"127.0.0.1:{port} takes messages up to {(len(eml) + 2000) / 1024:.1f} KB" in output
        assert "fix: send it with --web-images" in output
        assert inbox.messages == []
        result = run(newsletter.root, "send", "first", "--to", "me@example.org", "--web-images")
        assert result.exit_code == 0, result.output
        assert len(inbox.messages) == 1


def test_to_names_every_recipient_on_folded_lines(newsletter: Newsletter, issue: Path) -> None:
    to = [f"reader.number.{n}.with-a-long-name@mail{n}.example.org" for n in range(5)]
    to.append("me@bücher.example")
    result = run(newsletter.root, "send", "first", *[f"--to={a}" for a in to], "--dry-run")
    assert result.exit_code == 0, result.output
    data = result.stdout_bytes
    header = data[data.index(b"\r\nTo:") + 2 : data.index(b"\r\nSubject:")]
    assert header.count(b"\r\n ") >= 3 and max(map(len, header.split(b"\r\n"))) <= 78
    parsed = read_eml(data, SENT)
    assert [a.addr_spec for a in parsed["To"].addresses] == [*to[:-1], "me@xn--bcher-kva.example"]


def test_a_heavy_test_message_is_warned_about(
    newsletter: Newsletter, pictured: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import publisher.render.message

    monkeypatch.setattr(publisher.render.message, "HEAVY_TEST", 30 * 1024)
    result = run(newsletter.root, "send", "first", "--to", "me@example.org", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "warning: the test message is " in result.output
    assert "many mail servers refuse messages over 30.0 KB" in result.output
    assert "fix: send it with --web-images once the site is online" in result.output
    result = run(newsletter.root, "send", "first", "--to", "me@example.org", "--web-images")
    assert "warning" not in result.output


@pytest.fixture(params=[True, False], ids=["smtputf8", "ascii"])
def server(
    request: pytest.FixtureRequest,
    newsletter: Newsletter,
    issue: Path,
    authority: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Inbox, bool]]:
    """A server that offers SMTPUTF8, or one that does not; the settings pointed at it."""
    with serving(authority, enable_SMTPUTF8=request.param) as (inbox, port):
        configure(newsletter, authority, port)
        monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
        yield inbox, request.param


def test_international_addresses_need_a_server_that_offers_smtputf8(
    newsletter: Newsletter, server: tuple[Inbox, bool]
) -> None:
    inbox, offers = server
    to = ["jörg@example.org", "me@bücher.example"]
    result = run(newsletter.root, "send", "first", "--to", to[0], "--to", to[1])
    if not offers:
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert (
            "does not accept international addresses (it does not offer SMTPUTF8), so it "
            "cannot take jörg@example.org\n"
            "  fix: give --to addresses whose part before the @ is ASCII, or send through a "
            "server that offers SMTPUTF8"
        ) in result.output
        assert inbox.messages == []
        return
    assert result.exit_code == 0, result.output
    ((sender, recipients, data),) = inbox.messages
    assert sender == "ada@example.org"
    assert recipients == ["jörg@example.org", "me@xn--bcher-kva.example"]
    parsed = read_eml(data, SENT)
    assert parsed["Subject"] == "[TEST] First issue"
    utf8 = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    assert [a.addr_spec for a in utf8["To"].addresses] == recipients  # RFC 6532


def test_an_international_sender_needs_a_server_that_offers_smtputf8(
    newsletter: Newsletter, server: tuple[Inbox, bool]
) -> None:
    inbox, offers = server
    settings = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    newsletter.settings(settings.replace("ada@example.org", "jörg@bücher.example"))
    result = run(newsletter.root, "send", "first", "--to", "me@example.org")
    if not offers:
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "cannot take jörg@xn--bcher-kva.example\n" in result.output
        assert "fix: give an email under [author] whose part before the @ is ASCII" in (
            result.output
        )
        return
    assert result.exit_code == 0, result.output
    ((sender, recipients, data),) = inbox.messages
    assert (sender, recipients) == ("jörg@xn--bcher-kva.example", ["me@example.org"])
    parsed = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    assert parsed["From"].addresses[0].addr_spec == "jörg@xn--bcher-kva.example"


def test_an_international_domain_needs_no_smtputf8(
    newsletter: Newsletter, server: tuple[Inbox, bool]
) -> None:
    inbox, _ = server
    result = run(newsletter.root, "send", "first", "--to", "me@bücher.example")
    assert result.exit_code == 0, result.output
    assert inbox.messages[0][:2] == ("ada@example.org", ["me@xn--bcher-kva.example"])


def failing(newsletter: Newsletter, *args: str) -> str:
    result = run(newsletter.root, "send", "first", "--to", "me@example.org", *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "fix:" in result.output
    return result.output


def test_connection_refused(newsletter: Newsletter, issue: Path, authority: Any) -> None:
    configure(newsletter, authority, free_port())
    assert "connection refused" in failing(newsletter)


def test_timeout(newsletter: Newsletter, issue: Path, authority: Any) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    try:
        configure(newsletter, authority, silent.getsockname()[1], timeout=1)
        assert "no answer from 127.0.0.1" in failing(newsletter)
    finally:
        for sock in accepted:
            sock.close()
        silent.close()


def test_tls_failure(
    newsletter: Newsletter,
    issue: Path,
    smtp: tuple[Inbox, int],
    authority: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, port = smtp
    configure(newsletter, authority, port, ca_file="")  # the test CA is not trusted then
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    output = failing(newsletter)
    assert "TLS with 127.0.0.1" in output and "certificate" in output


def test_wrong_password(
    newsletter: Newsletter, ready: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", "wrong")
    assert "refused the user name or password: 535" in failing(newsletter)


def test_missing_password(
    newsletter: Newsletter, ready: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBLISHER_SMTP_PASSWORD", raising=False)
    assert "set the environment variable PUBLISHER_SMTP_PASSWORD" in failing(newsletter)


def test_rejected_recipient(newsletter: Newsletter, ready: Inbox) -> None:
    result = run(newsletter.root, "send", "first", "--to", "nobody@example.org")
    assert result.exit_code == 1
    assert "the server refused nobody@example.org (550 5.1.1 No such user here)" in result.output


def test_the_password_is_never_written(newsletter: Newsletter, ready: Inbox) -> None:
    run(newsletter.root, "send", "first", "--to", "me@example.org")
    build(newsletter.root)
    for path in newsletter.root.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def display_name(data: bytes) -> str:
    """The From name as RFC 2047 reads it: Python's new parser keeps the space between two
    encoded words of a name, and makes one space of each run of white space in it."""
    import email.header
    import email.utils

    raw = email.message_from_string(data.decode("utf-8"))["From"]  # compat32: as written
    name, _ = email.utils.parseaddr(raw)
    return str(email.header.make_header(email.header.decode_header(name)))


def library_mime(
    headers: list[tuple[str, str]], text: str, html: str, boundary: str, utf8: bool
) -> bytes:
    """The message as the email package writes it: the oracle of the fast path. Its bodies are
    encoded at RFC 2045's 76 columns (``max_line_length=76``); its headers fold at the policy's
    78, as generated."""
    chosen = policy.SMTPUTF8 if utf8 else policy.SMTP
    message = email.message.EmailMessage(policy=chosen.clone(max_line_length=76))
    for name, value in headers:
        message[name] = value
    message.set_content(text, subtype="plain", charset="utf-8", cte=shorter(text))
    message.add_alternative(html, subtype="html", charset="utf-8", cte=shorter(html))
    message.set_boundary(boundary)
    return message.as_bytes(policy=chosen)


def shorter(body: str) -> str:
    """The Content-Transfer-Encoding the package makes shorter for ``body`` (quoted-printable
    when equal, or when only it can write the text)."""
    sizes = {}
    for cte in ("quoted-printable", "base64"):
        part = email.message.EmailMessage(policy=policy.SMTP.clone(max_line_length=76))
        try:
            part.set_content(body, charset="utf-8", cte=cte)
        except UnicodeEncodeError:
            return "quoted-printable"
        sizes[cte] = len(re.sub(r"\r?\n", "\r\n", part.get_payload()))  # as sent: CRLF
    return "base64" if sizes["base64"] < sizes["quoted-printable"] else "quoted-printable"


#: Header and body text: ASCII and not, long runs, spaces and tabs at line ends, "From " and
#: "." at line starts, CR, LF and CRLF, 8-bit bytes' characters, emoji, encoded words, and
#: specials that would make a name an address.
MIME_PIECES = ["a", "Zoë", "—", "中文", "🙂", " ", "  ", "\t", "=", "From ", ".", "x" * 90,
          "\r\n", "\n", "\r", "\u00a0", "ß", "?", "=?utf-8?q?x?=", "<b>", "'", '"',
          "<boss@bank.example>", ", ", "\\", "(c)"]  # fmt: skip
#: Body text also has control characters and the line ends Python's str.splitlines() knows
#: but MIME does not (vertical tab, form feed, separators, NEL, U+2028).
#: Half the bodies have none of them: the escaping takes a faster way without them.
BODY_PIECES = [*MIME_PIECES, "\x00", "\x0b", "\x0c", "\x1b", "\x1c", "\x7f", "\x85", "\u2028"]
MIME_BODY = (
    st.lists(st.sampled_from(BODY_PIECES), max_size=80)
    | st.lists(st.sampled_from(MIME_PIECES), max_size=80)
).map("".join)
ONE_LINE_PIECES = [p for p in MIME_PIECES if p not in ("\r\n", "\n", "\r")]
MIME_LINE = st.lists(st.sampled_from(ONE_LINE_PIECES), max_size=12)


@given(
    name=MIME_LINE.map("".join),
    subject=MIME_LINE.map("".join),
    unsubscribe=st.sampled_from(
        ["", "<mailto:leave@news.example.org?subject=unsubscribe>",
         "<https://news.example.org/unsubscribe/a/very/long/path/for/the/list>, "
         "<mailto:leave@news.example.org?subject=unsubscribe>"]
    ),
    utf8=st.booleans(),
    text=MIME_BODY,
    html=MIME_BODY,
    boundary=st.text("0123456789abcdef", min_size=32, max_size=32).map("=_publisher_".__add__)
    | st.sampled_from(["frontier", "=_publisher_x", "a" * 70]),
)  # fmt: skip
@settings(max_examples=500, deadline=None)
def test_the_fast_mime_path_is_the_email_package(
    name: str, subject: str, unsubscribe: str, utf8: bool, text: str, html: str, boundary: str
) -> None:
    """The same bytes as the package, but for the From line, and a subject that looks like
    an encoded word: both read back as the very text."""
    from publisher.render.mime import mime_bytes

    sender = "jörg@bücher.example" if utf8 else "ada@example.org"
    display = name.strip() or "Ada"
    headers: list[tuple[str, Any]] = [
        ("From", (display, sender)),
        ("Subject", subject),
        ("Date", "Tue, 15 Jul 2025 00:00:00 +0000"),
        ("Message-ID", "<0123456789abcdef@news.example.org>"),
    ]
    if unsubscribe:
        headers += [
            ("List-Unsubscribe", unsubscribe),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
    data = mime_bytes(headers, text, html, boundary, utf8)
    parsed = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    assert parsed.keys() == [n for n, _ in headers] + ["MIME-Version", "Content-Type"]
    (mailbox,) = parsed["From"].addresses
    assert (mailbox.addr_spec, display_name(data)) == (sender, display)
    # The package writes some names wrong (see _mailbox) and decodes what looks like an
    # encoded word: the From line is ours, and a subject holding "=?" reads back as it is.
    assert data.endswith(mime_bytes(headers[1:], text, html, boundary, utf8))
    if "=?" in subject:
        assert parsed["Subject"] == subject
        headers[1] = ("Subject", "Subject")
    others = headers[1:]
    assert mime_bytes(others, text, html, boundary, utf8) == library_mime(
        others, text, html, boundary, utf8
    )


# --- #34 row 16: quoted-printable lines at most 76 characters (RFC 2045) ---


def test_the_emls_quoted_printable_lines_are_at_most_76_characters(
    newsletter: Newsletter,
) -> None:
    """RFC 2045 (6.7): an encoded line is at most 76 characters; the package's SMTP policy
    writes 78. Long paragraphs, in the text twin and the HTML, both quoted-printable."""
    words = " ".join(f"word{n}=" for n in range(80))
    newsletter.issue(body=f"{words}\n\n{'x' * 300}\n")
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "render", "first", "-f", "eml"])
    assert result.exit_code == 0, result.output
    data = result.stdout_bytes
    message = email.message_from_bytes(data, policy=policy.SMTP)
    parts = [p for p in message.walk() if not p.is_multipart()]
    assert [p["Content-Transfer-Encoding"] for p in parts] == ["quoted-printable"] * 2
    assert any(len(line) == 76 for line in data.split(b"\r\n"))
    for part in parts:
        lines = str(part.get_payload(decode=False)).splitlines()
        assert max(len(line) for line in lines) <= 76
    (text,) = [p for p in parts if p.get_content_type() == "text/plain"]
    assert words.split()[0] in text.get_content() and "x" * 300 in text.get_content()
