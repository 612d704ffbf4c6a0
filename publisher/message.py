"""The ready-to-send message: one MIME email (plain text first, HTML second), the same bytes on
every build, and the test sends that deliver it over SMTP."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from publisher.config import Config
from publisher.errors import PublisherError
from publisher.issue import Issue

if TYPE_CHECKING:
    import smtplib

    from publisher.render import Rendered

TEST_PREFIX = "[TEST] "
PASSWORD_VARIABLE = "PUBLISHER_SMTP_PASSWORD"
USER_VARIABLE = "PUBLISHER_SMTP_USER"


def message_id(issue: Issue, config: Config) -> str:
    """Return a Message-ID derived from the issue's permanent feed id (so it never changes)."""
    host = urlsplit(config.base_url).hostname or "localhost"
    digest = hashlib.sha256(issue.id.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{host}>"


def list_unsubscribe(config: Config) -> tuple[str, bool]:
    """Return the List-Unsubscribe header value and whether one-click (RFC 8058) applies."""
    links = []
    url = config.unsubscribe.header_url
    if url:
        links.append(f"<{url}>")
    if config.unsubscribe.mailto:
        links.append(f"<mailto:{config.unsubscribe.mailto}?subject=unsubscribe>")
    return ", ".join(links), url.startswith("https://")


def compose(issue: Issue, rendered: Rendered, config: Config, prefix: str = "") -> bytes:
    """Return the issue's email as MIME bytes: multipart/alternative, text then HTML, UTF-8."""
    author = config.author
    if not author.email:
        raise PublisherError.at(
            "the message needs a sender address",
            config.path,
            hint='set email under [author] in newsletter.toml, e.g. email = "you@example.org"',
        )
    message = EmailMessage(policy=policy.SMTP)  # CRLF line ends, headers folded under 78
    message["From"] = formataddr((author.name or config.name, author.email))
    message["Subject"] = prefix + issue.email_subject
    message["Date"] = format_datetime(issue.date)
    message["Message-ID"] = message_id(issue, config)
    header, one_click = list_unsubscribe(config)
    if header:
        message["List-Unsubscribe"] = header
        if one_click:
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # The boundary comes from the content, not chance: the same input gives the same bytes.
    seed = hashlib.sha256(f"{rendered.text}\0{rendered.html}".encode()).hexdigest()[:32]
    message.set_boundary(f"=_publisher_{seed}")
    return message.as_bytes()


def send(config: Config, data: bytes, sender: str, recipients: Sequence[str]) -> None:
    """Deliver ``data`` through the settings' SMTP server; every failure is a user error."""
    import smtplib  # here, not at the top: building a site needs no network code
    import socket
    import ssl

    smtp = config.smtp
    where = f"{smtp.host}:{smtp.port}"
    user = os.environ.get(USER_VARIABLE) or smtp.user
    password = os.environ.get(PASSWORD_VARIABLE, "")
    ca_file = smtp.ca_file and str(
        config.path.parent / smtp.ca_file if config.path else smtp.ca_file
    )
    context = ssl.create_default_context(cafile=ca_file or None)
    silent = _failure(
        f"no answer from {where} within {smtp.timeout} s",
        'check host, port and security under [smtp] (TLS ports expect security = "tls")',
    )
    try:
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            client.ehlo()
            if smtp.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if user:
                if not password:
                    raise PublisherError.at(
                        f"no password for {user!r}",
                        hint=f"set the environment variable {PASSWORD_VARIABLE} (it is never "
                        "read from or written to a file)",
                    )
                client.login(user, password)
            refused = client.sendmail(sender, list(recipients), data)
    except PublisherError:
        raise
    except ConnectionRefusedError as exc:
        raise _failure(
            f"cannot connect to {where}: connection refused",
            "check host and port under [smtp], and that the server is running",
        ) from exc
    except TimeoutError as exc:
        raise silent from exc
    except socket.gaierror as exc:
        raise _failure(
            f"unknown host {smtp.host!r}: {exc.strerror}", "check host under [smtp]"
        ) from exc
    except ssl.SSLCertVerificationError as exc:
        raise _failure(
            f"TLS with {where} failed: {exc.verify_message}",
            "the server's certificate is not trusted: fix it, or point ca_file under "
            "[smtp] at the certificate authority that signed it",
        ) from exc
    except ssl.SSLError as exc:
        raise _failure(
            f"TLS with {where} failed: {exc.reason or exc}",
            'check security under [smtp]: "starttls" (port 587), "tls" (port 465) or "none"',
        ) from exc
    except smtplib.SMTPServerDisconnected as exc:
        if "timed out" in str(exc):  # smtplib reports a read that timed out this way
            raise silent from exc
        raise _failure(
            f"{where} closed the connection: {exc}",
            "check port and security under [smtp], and the server's log",
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise _failure(
            f"{where} does not offer STARTTLS",
            'set security = "tls" (port 465) or "none" under [smtp]',
        ) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise _failure(
            f"{where} refused the user name or password: {_reply(exc)}",
            f"check user under [smtp] (or {USER_VARIABLE}) and {PASSWORD_VARIABLE}",
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise _failure(_refused(exc.recipients), "check the --to addresses") from exc
    except smtplib.SMTPSenderRefused as exc:
        raise _failure(
            f"{where} refused the sender {sender}: {_reply(exc)}",
            "use a sender address the server accepts, under [author]",
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise _failure(
            f"sending through {where} failed: {exc}",
            "check the [smtp] settings and the server's log",
        ) from exc
    if refused:
        raise _failure(_refused(refused), "check those --to addresses; the others got it")


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
    root: Path, name: str, recipients: Sequence[str], prefix: bool = True, dry_run: bool = False
) -> bytes:
    """Compose the issue named by file or slug (drafts too) and send it, unless ``dry_run``."""
    from publisher.render import find_issue, render_issue, theme_for_render

    config, issue = find_issue(root, name)
    rendered = render_issue(issue, config, theme_for_render(root))
    data = compose(issue, rendered, config, TEST_PREFIX if prefix else "")
    if not dry_run:
        send(config, data, config.author.email, recipients)
    return data
