"""The ready-to-send message: one MIME email (plain text first, HTML second), the same bytes on
every build, and the test sends that deliver it over SMTP."""

from __future__ import annotations

import contextlib
import hashlib
import html as html_lib
import logging
import os
from collections.abc import Sequence
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, urlsplit

from publisher.config import PLACEHOLDER_UNSUBSCRIBE, Config, ascii_address
from publisher.errors import PublisherError
from publisher.model.issue import Issue
from publisher.render.mime import HeaderValue, mime_bytes

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import smtplib

    from publisher.render.rendered import Rendered

TEST_PREFIX = "[TEST] "
PASSWORD_VARIABLE = "PUBLISHER_SMTP_PASSWORD"
USER_VARIABLE = "PUBLISHER_SMTP_USER"


def message_id(issue: Issue, config: Config) -> str:
    """Return a Message-ID derived from the issue's permanent feed id (so it never changes)."""
    host = urlsplit(config.base_url).hostname or "localhost"
    digest = hashlib.sha256(issue.id.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{host}>"


def list_unsubscribe(config: Config, test: bool = False) -> tuple[str, bool]:
    """Return the List-Unsubscribe header value and whether one-click (RFC 8058) applies.

    The header lists the one-click URL (``header_url``), else the footer's link where it can
    reach a reader: an email service's merge tag, which the service fills in for each reader
    (never in a ``test`` send, where nobody does), or an https:// link; then the mailto
    address. One click applies only to a ``header_url`` that names the reader (RFC 8058 §3.1):
    a POST carries nothing but ``List-Unsubscribe=One-Click``, so a URL that is the same for
    every reader cannot say who left.
    """
    unsub = config.unsubscribe
    links = []
    if unsub.header_url:
        links.append(f"<{unsub.header_url}>")
    elif (unsub.merge_tag and not test) or unsub.link.startswith("https://"):
        links.append(f"<{unsub.link}>")
    if unsub.mailto:
        links.append(f"<{mailto(unsub.mailto)}>")
    return ", ".join(links), unsub.one_click


#: What a mailto: URL's name part may hold as it is (RFC 6068 ``some-delims``, with letters,
#: digits and ``-._~``).
_MAILTO_SAFE = "!$'()*+,;:"


def mailto(address: str) -> str:
    """Return the mailto: URL that unsubscribes by writing to ``address``: its name part
    percent-encoded where RFC 6068 asks (a "?" or "=" in it would end or change the
    address), its domain in punycode, so the URL is ASCII."""
    local, _, domain = ascii_address(address).rpartition("@")
    return f"mailto:{quote(local, safe=_MAILTO_SAFE)}@{domain}?subject=unsubscribe"


class StandIn(NamedTuple):
    """The footer's unsubscribe link, and what a message publisher writes links instead."""

    link: str
    instead: str

    @property
    def note(self) -> str:
        """Say why the message links ``instead``."""
        if self.link == PLACEHOLDER_UNSUBSCRIBE:
            return (
                "no email service is chosen (service under [unsubscribe]), so the email's "
                f"unsubscribe link is a placeholder; in this message it leads to {self.instead}"
            )
        return (
            f"the unsubscribe link is your email service's merge tag {self.link}, which only "
            f"the service fills in; in this message it leads to {self.instead}"
        )


def unsubscribe_stand_in(config: Config, issue: Issue, test: bool = True) -> StandIn | None:
    """Return what a message links instead of the footer's unsubscribe link, when that link
    cannot reach a reader as it is: the placeholder of an unchosen service, or (in a ``test``
    send, which no service fills in) a merge tag. It links the one-click URL or the mailto of
    the settings, else the issue's page."""
    unsub = config.unsubscribe
    if unsub.link != PLACEHOLDER_UNSUBSCRIBE and not (test and unsub.merge_tag):
        return None
    if unsub.header_url:
        return StandIn(unsub.link, unsub.header_url)
    if unsub.mailto:
        return StandIn(unsub.link, mailto(unsub.mailto))
    return StandIn(unsub.link, issue.url(config))


def without_merge_tag(
    html: str, text: str, config: Config, issue: Issue, test: bool = False
) -> tuple[str, str]:
    """Return the email's HTML and text with the unsubscribe link replaced where it cannot
    reach a reader (see ``unsubscribe_stand_in``): a test send never shows ``*|UNSUB|*``, and
    no message the placeholder; the email service that sends ``email.eml`` fills in its tag."""
    found = unsubscribe_stand_in(config, issue, test)
    if found is None:
        return html, text
    tag, link = found
    html = html.replace(f'href="{html_lib.escape(tag)}"', f'href="{html_lib.escape(link)}"')
    return html, text.replace(tag, link)


def compose(
    issue: Issue, rendered: Rendered, config: Config, prefix: str = "", *, test: bool = False
) -> bytes:
    """Return the issue's email as MIME bytes: multipart/alternative, text then HTML, UTF-8;
    ``test``: for a test send, which no email service fills in (``unsubscribe_stand_in``)."""
    author = config.author
    if not author.email:
        raise PublisherError.at(
            "the message needs a sender address",
            config.path,
            hint='set email under [author] in newsletter.toml, e.g. email = "you@example.org"',
        )
    sender = ascii_address(author.email)  # an internationalised domain, in punycode
    headers: list[tuple[str, HeaderValue]] = [
        ("From", (author.name or config.name, sender)),
        ("Subject", prefix + issue.email_subject),
        ("Date", format_datetime(issue.date)),
        ("Message-ID", message_id(issue, config)),
    ]
    header, one_click = list_unsubscribe(config, test)
    if header:
        headers.append(("List-Unsubscribe", header))
        if one_click:
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    html, text = without_merge_tag(rendered.html, rendered.text, config, issue, test)
    # The boundary comes from the content, not chance: the same input gives the same bytes.
    seed = hashlib.sha256(f"{rendered.text}\0{rendered.html}".encode()).hexdigest()[:32]
    return mime_bytes(headers, text, html, f"=_publisher_{seed}", utf8=not sender.isascii())


def send(config: Config, data: bytes, sender: str, recipients: Sequence[str]) -> None:
    """Deliver ``data`` through the settings' SMTP server; every failure is a user error.

    ``[smtp] timeout`` is a deadline for the whole conversation, not for each read: a server
    that answers one byte a second is given up on when it passes.
    """
    import smtplib  # here, not at the top: building a site needs no network code
    import socket
    import ssl
    import threading

    smtp = config.smtp
    where = f"{smtp.host}:{smtp.port}"
    user = os.environ.get(USER_VARIABLE) or smtp.user
    password = os.environ.get(PASSWORD_VARIABLE, "")
    ca_file = smtp.ca_file and str(
        config.path.parent / smtp.ca_file if config.path else smtp.ca_file
    )
    context = ssl.create_default_context(cafile=ca_file or None)
    sender = ascii_address(sender)  # domains in punycode: only a name part needs SMTPUTF8
    recipients = [ascii_address(address) for address in recipients]
    international = [a for a in (sender, *recipients) if not a.isascii()]
    options = ["SMTPUTF8"] if international else []
    stage = "connecting and waiting for its greeting"
    if smtp.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(timeout=smtp.timeout)
    expired = threading.Event()

    def give_up() -> None:
        expired.set()
        sock = client.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    deadline = threading.Timer(smtp.timeout, give_up)
    deadline.daemon = True
    deadline.start()

    def late() -> PublisherError:
        return _failure(
            f"no answer from {where} within {smtp.timeout} s, the time allowed for the whole "
            f"exchange (while {stage})",
            "check host, port and security under [smtp] (TLS ports expect security = "
            '"tls"), or raise timeout there for a slow server',
        )

    silent = _failure(
        f"no answer from {where} within {smtp.timeout} s (while {stage})",
        'check host, port and security under [smtp] (TLS ports expect security = "tls")',
    )
    try:
        with client:
            client._host = smtp.host  # type: ignore[attr-defined]  # TLS checks against it
            client.connect(smtp.host, smtp.port)
            stage = "greeting it (EHLO)"
            client.ehlo()
            if smtp.security == "starttls":
                stage = "starting TLS"
                client.starttls(context=context)
                client.ehlo()
            if user:
                if not password:
                    raise PublisherError.at(
                        f"no password for {user!r}",
                        hint=f"set the environment variable {PASSWORD_VARIABLE} (it is never "
                        "read from or written to a file)",
                    )
                stage = "logging in"
                client.login(user, password)
            if international and not client.has_extn("smtputf8"):
                raise _not_international(where, sender, international)
            stage = "sending the message and waiting for the answer after the message"
            refused = client.sendmail(sender, recipients, data, mail_options=options)
    except PublisherError:
        raise
    except Exception as exc:
        if expired.is_set():
            raise late() from exc
        raise _translate(exc, where, sender, silent) from exc
    finally:
        deadline.cancel()
    if refused:
        raise _failure(_refused(refused), "check those --to addresses; the others got it")


def _translate(exc: Exception, where: str, sender: str, silent: PublisherError) -> PublisherError:
    """Return the user's message for a failed SMTP conversation (a bug stays a traceback)."""
    import smtplib
    import socket
    import ssl

    if isinstance(exc, ConnectionRefusedError):
        return _failure(
            f"cannot connect to {where}: connection refused",
            "check host and port under [smtp], and that the server is running",
        )
    if isinstance(exc, TimeoutError):
        return silent
    if isinstance(exc, socket.gaierror):
        return _failure(
            f"unknown host {where.rpartition(':')[0]!r}: {exc.strerror}", "check host under [smtp]"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _failure(
            f"TLS with {where} failed: {exc.verify_message}",
            "the server's certificate is not trusted: fix it, or point ca_file under "
            "[smtp] at the certificate authority that signed it",
        )
    if isinstance(exc, ssl.SSLError):
        return _failure(
            f"TLS with {where} failed: {exc.reason or exc}",
            'check security under [smtp]: "starttls" (port 587), "tls" (port 465) or "none"',
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if "timed out" in str(exc):  # smtplib reports a read that timed out this way
            return silent
        return _failure(
            f"{where} closed the connection: {exc}",
            "check port and security under [smtp], and the server's log",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _failure(
            f"{where} does not offer STARTTLS",
            'set security = "tls" (port 465) or "none" under [smtp]',
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _failure(
            f"{where} refused the user name or password: {_reply(exc)}",
            f"check user under [smtp] (or {USER_VARIABLE}) and {PASSWORD_VARIABLE}",
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _failure(_refused(exc.recipients), "check the --to addresses")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _failure(
            f"{where} refused the sender {sender}: {_reply(exc)}",
            "use a sender address the server accepts, under [author]",
        )
    if isinstance(exc, smtplib.SMTPException | OSError):
        return _failure(
            f"sending through {where} failed: {exc}",
            "check the [smtp] settings and the server's log",
        )
    raise exc


def _not_international(where: str, sender: str, addresses: list[str]) -> PublisherError:
    """Return the error for addresses with a non-ASCII name part and a server that cannot
    take them (RFC 6531: only one that offers SMTPUTF8 can)."""
    which = ["an email under [author]"] if sender in addresses else []
    which += ["--to addresses"] if set(addresses) - {sender} else []
    return _failure(
        f"{where} does not accept international addresses (it does not offer SMTPUTF8), "
        f"so it cannot take {', '.join(addresses)}",
        f"give {' and '.join(which)} whose part before the @ is ASCII, or send through a "
        "server that offers SMTPUTF8",
    )


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {text}".strip()


def _refused(recipients: dict[str, tuple[int, bytes]]) -> str:
    parts = [
        f"{address} ({code} {reply.decode('utf-8', 'replace')})"
        for address, (code, reply) in sorted(recipients.items())
    ]
    return "the server refused " + ", ".join(parts)


def _failure(message: str, hint: str) -> PublisherError:
    return PublisherError.at(message, hint=hint)


def send_issue(
    root: Path,
    name: str,
    recipients: Sequence[str],
    prefix: bool = True,
    dry_run: bool = False,
    test: bool = True,
) -> bytes:
    """Compose the issue named by file or slug (drafts too) and send it, unless ``dry_run``;
    ``test=False`` composes it as ``email.eml`` is."""
    from publisher.render.issue import find_issue, render_issue, theme_for_render

    config, issue = find_issue(root, name)
    rendered = render_issue(issue, config, theme_for_render(root))
    data = compose(issue, rendered, config, TEST_PREFIX if prefix else "", test=test)
    if not dry_run:
        send(config, data, config.author.email, recipients)
    elif recipients:  # what a real send would do, before the message itself
        for line in envelope(config, recipients):
            log.info("%s", line)
    return data


def envelope(config: Config, recipients: Sequence[str]) -> list[str]:
    """Describe the envelope and the server a send would use (never the password)."""
    smtp = config.smtp
    user = os.environ.get(USER_VARIABLE) or smtp.user
    password = "set" if os.environ.get(PASSWORD_VARIABLE) else "not set"
    login = f"as {user} (password from {PASSWORD_VARIABLE}: {password})" if user else "none"
    addresses = [ascii_address(address) for address in (config.author.email, *recipients)]
    international = [address for address in addresses if not address.isascii()]
    lines = [
        "dry run: nothing is sent; a send would use",
        f"  from:     {addresses[0]}",
        f"  to:       {', '.join(addresses[1:])}",
        f"  server:   {smtp.host}:{smtp.port}, security {smtp.security}",
        f"  login:    {login}",
    ]
    if international:
        lines.append(f"  SMTPUTF8: the server must offer it, for {', '.join(international)}")
    return lines
