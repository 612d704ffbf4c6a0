"""Test sends over SMTP: one conversation with the settings' server, under one deadline, every
failure a user's message that names the server and the stage it was at."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher.config import Config, ascii_address
from publisher.errors import PublisherError

if TYPE_CHECKING:
    import smtplib
    import ssl

PASSWORD_VARIABLE = "PUBLISHER_SMTP_PASSWORD"
USER_VARIABLE = "PUBLISHER_SMTP_USER"


@dataclass
class _Conversation:
    """Where a conversation with the server is: its address and the stage it has reached."""

    where: str
    sender: str
    stage: str = "connecting and waiting for its greeting"


def send(config: Config, data: bytes, sender: str, recipients: Sequence[str]) -> None:
    """Deliver ``data`` through the settings' SMTP server; every failure is a user error.

    ``[smtp] timeout`` is a deadline for the whole conversation, not for each read: a server
    that answers one byte a second is given up on when it passes.
    """
    smtp = config.smtp
    sender = ascii_address(sender)  # domains in punycode: only a name part needs SMTPUTF8
    recipients = [ascii_address(address) for address in recipients]
    talk = _Conversation(f"{smtp.host}:{smtp.port}", sender)
    client, context = _client(config)
    with _deadline(client, smtp.timeout) as expired:
        try:
            with client:
                refused = _converse(client, context, config, talk, data, recipients)
        except PublisherError:
            raise
        except Exception as exc:
            silent = _failure(
                f"no answer from {talk.where} within {smtp.timeout} s (while {talk.stage})",
                'check host, port and security under [smtp] (TLS ports expect security = "tls")',
            )
            if expired.is_set():
                raise _late(talk, smtp.timeout) from exc
            raise _translate(exc, talk.where, sender, silent) from exc
    if refused:
        raise _failure(_refused(refused), "check those --to addresses; the others got it")


def _client(config: Config) -> tuple[smtplib.SMTP, ssl.SSLContext]:
    """Return an unconnected client for the settings' server (TLS from the start, or not),
    and the TLS context it checks the server with."""
    import smtplib  # here, not at the top: building a site needs no network code
    import ssl

    smtp = config.smtp
    ca_file = smtp.ca_file and str(
        config.path.parent / smtp.ca_file if config.path else smtp.ca_file
    )
    context = ssl.create_default_context(cafile=ca_file or None)
    if smtp.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(timeout=smtp.timeout)
    client._host = smtp.host  # type: ignore[attr-defined]  # TLS checks against it
    return client, context


@contextlib.contextmanager
def _deadline(client: smtplib.SMTP, seconds: float) -> Iterator[threading.Event]:
    """Shut the client's connection down once ``seconds`` have passed; yield the event that
    says it was."""
    import socket

    expired = threading.Event()

    def give_up() -> None:
        expired.set()
        sock = client.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()


def _converse(
    client: smtplib.SMTP,
    context: ssl.SSLContext,
    config: Config,
    talk: _Conversation,
    data: bytes,
    recipients: list[str],
) -> dict[str, tuple[int, bytes]]:
    """Greet, secure, log in and hand over the message; return the refused recipients."""
    smtp = config.smtp
    user = os.environ.get(USER_VARIABLE) or smtp.user
    password = os.environ.get(PASSWORD_VARIABLE, "")
    international = [a for a in (talk.sender, *recipients) if not a.isascii()]
    client.connect(smtp.host, smtp.port)
    talk.stage = "greeting it (EHLO)"
    client.ehlo()
    if smtp.security == "starttls":
        talk.stage = "starting TLS"
        client.starttls(context=context)
        client.ehlo()
    if user:
        if not password:
            raise PublisherError.at(
                f"no password for {user!r}",
                hint=f"set the environment variable {PASSWORD_VARIABLE} (it is never "
                "read from or written to a file)",
            )
        talk.stage = "logging in"
        client.login(user, password)
    if international and not client.has_extn("smtputf8"):
        raise _not_international(talk.where, talk.sender, international)
    _check_size(client, talk.where, len(data))
    talk.stage = "sending the message and waiting for the answer after the message"
    options = ["SMTPUTF8"] if international else []
    return client.sendmail(talk.sender, recipients, data, mail_options=options)


def _check_size(client: smtplib.SMTP, where: str, size: int) -> None:
    """Stop before sending a message bigger than the server says it takes (RFC 1870 SIZE);
    it would refuse it after the MAIL command, which reads as a refused sender."""
    try:
        limit = int(client.esmtp_features.get("size", "") or 0)
    except ValueError:
        return
    if 0 < limit < size:
        raise _failure(
            f"{where} takes messages up to {size_text(limit)}, and this one is {size_text(size)}",
            "send it with --web-images, so that its images load from the site as readers get "
            "them (once the site is online), or show fewer or lighter images",
        )


def size_text(size: int) -> str:
    """Return a size for people, as ``check`` gives them: ``40.9 KB``, ``3.2 MB``."""
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _late(talk: _Conversation, timeout: float) -> PublisherError:
    return _failure(
        f"no answer from {talk.where} within {timeout} s, the time allowed for the whole "
        f"exchange (while {talk.stage})",
        "check host, port and security under [smtp] (TLS ports expect security = "
        '"tls"), or raise timeout there for a slow server',
    )


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
