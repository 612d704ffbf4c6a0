"""The ready-to-send message: one MIME email (plain text first, HTML second), the same bytes on
every build; and the test message, which shows now what readers will see: sent now, under a
new Message-ID, to its recipients, its local images inside it."""

from __future__ import annotations

import hashlib
import html as html_lib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.utils import format_datetime, formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote, urlsplit

from publisher.config import PLACEHOLDER_UNSUBSCRIBE, Config, ascii_address
from publisher.errors import Problem, PublisherError, warn
from publisher.model.issue import Issue
from publisher.render.mime import Addresses, HeaderValue, alternative, message_bytes, mime_bytes
from publisher.render.smtp import envelope, send, size_text

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from email.message import MIMEPart

    from publisher.render.inline import Inline
    from publisher.render.rendered import Rendered

TEST_PREFIX = "[TEST] "
#: A test message over this gets a warning: the default limit of Postfix and of many mail
#: servers is 10 MB (the images inside it make it so heavy; the email readers get is not).
HEAVY_TEST = 10 * 1024 * 1024


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


def compose(issue: Issue, rendered: Rendered, config: Config, prefix: str = "") -> bytes:
    """Return the issue's email as MIME bytes (``email.eml``): multipart/alternative, text then
    HTML, UTF-8; the email service that sends it fills in its unsubscribe tag."""
    sender = sender_address(config)
    headers = headers_of(
        issue, config, prefix, format_datetime(issue.date), message_id(issue, config)
    )
    html, text = without_merge_tag(rendered.html, rendered.text, config, issue)
    # The boundary comes from the content, not chance: the same input gives the same bytes.
    seed = hashlib.sha256(f"{rendered.text}\0{rendered.html}".encode()).hexdigest()[:32]
    return mime_bytes(headers, text, html, f"=_publisher_{seed}", utf8=not sender.isascii())


def sender_address(config: Config) -> str:
    """Return the settings' sender address, its domain in punycode (a user error without)."""
    if not config.author.email:
        raise PublisherError.at(
            "the message needs a sender address",
            config.path,
            hint='set email under [author] in newsletter.toml, e.g. email = "you@example.org"',
        )
    return ascii_address(config.author.email)


def headers_of(
    issue: Issue,
    config: Config,
    prefix: str,
    date: str,
    message: str,
    to: Sequence[str] = (),
    test: bool = False,
) -> list[tuple[str, HeaderValue]]:
    """Return a message's headers: From (To), Subject, Date, Message-ID, List-Unsubscribe
    (``test``: of a test send, which no email service fills in)."""
    headers: list[tuple[str, HeaderValue]] = [
        ("From", (config.author.name or config.name, sender_address(config)))
    ]
    if to:
        headers.append(("To", Addresses(to)))
    headers += [
        ("Subject", prefix + issue.email_subject),
        ("Date", date),
        ("Message-ID", message),
    ]
    header, one_click = list_unsubscribe(config, test)
    if header:
        headers.append(("List-Unsubscribe", header))
        if one_click:
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


# --- the test message ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """A test message, and what a person wants to know of it."""

    data: bytes
    #: Its body (what follows its headers), as the email package made it.
    body: MIMEPart
    #: The images inside it.
    images: tuple[Inline, ...]
    #: The addresses on the site it shows that stayed as they are (no file on this machine).
    stayed: tuple[str, ...]
    #: The bytes of the email readers get (``email.eml``), which loads its images from the web.
    eml_size: int


def compose_test(
    issue: Issue,
    rendered: Rendered,
    config: Config,
    recipients: Sequence[str],
    root: Path,
    prefix: str = TEST_PREFIX,
    inline: bool = True,
) -> Proof:
    """Return the test message: ``compose``'s, but dated now, under a new Message-ID (on the
    sender's domain), to ``recipients``, and with ``inline`` the local images its HTML shows
    inside it (multipart/related); images of other hosts stay where they are."""
    from publisher.render.inline import embed, local_images

    eml = compose(issue, rendered, config, prefix)
    sender = sender_address(config)
    domain = sender.rpartition("@")[2]
    to = [ascii_address(address) for address in recipients]
    fresh = make_msgid(domain=domain)
    headers = headers_of(issue, config, prefix, formatdate(localtime=True), fresh, to, True)
    html, text = without_merge_tag(rendered.html, rendered.text, config, issue, test=True)
    images: tuple[Inline, ...] = ()
    stayed: tuple[str, ...] = ()
    if inline:
        files = local_images(rendered, config, root)
        html, images, stayed = embed(html, files, config.base_url, root, domain)
    body = alternative(text, html, [image.related for image in images])
    utf8 = not all(address.isascii() for address in (sender, *to))
    return Proof(message_bytes(headers, body, utf8), body, images, stayed, len(eml))


def send_issue(
    root: Path,
    name: str,
    recipients: Sequence[str],
    prefix: bool = True,
    dry_run: bool = False,
    inline: bool = True,
) -> Proof:
    """Compose the test message of the issue named by file or slug (drafts too) and send it,
    unless ``dry_run``: then say what a send would do, and what the message holds."""
    from publisher.render.issue import find_issue, render_issue, theme_for_render

    config, issue = find_issue(root, name)
    rendered = render_issue(issue, config, theme_for_render(root))
    proof = compose_test(
        issue, rendered, config, recipients, root, TEST_PREFIX if prefix else "", inline
    )
    if dry_run:
        for line in [*envelope(config, recipients), *describe(proof, config.base_url)]:
            log.info("%s", line)
    _warn(proof, config.base_url)
    stand_in = unsubscribe_stand_in(config, issue)
    if stand_in is not None:
        log.info("note: %s", stand_in.note)
    if not dry_run:
        send(config, proof.data, config.author.email, recipients)
    return proof


def eml_of(root: Path, name: str) -> bytes:
    """Return the email of the issue named by file or slug (drafts too) as ``email.eml``
    holds it."""
    from publisher.render.issue import find_issue, render_issue, theme_for_render

    config, issue = find_issue(root, name)
    return compose(issue, render_issue(issue, config, theme_for_render(root)), config)


def describe(proof: Proof, base_url: str) -> list[str]:
    """Describe the test message: its parts, each with its size in it, and its total."""
    names = {f"<{image.cid}>": image.name(base_url) for image in proof.images}
    rows: list[tuple[str, str]] = []

    def walk(part: MIMEPart, depth: int) -> None:
        label = "  " * depth + part.get_content_type()
        if part.is_multipart():
            rows.append((label, ""))
            for child in part.iter_parts():
                walk(child, depth + 1)
            return
        name = names.get(str(part.get("Content-ID", "")), "")
        size = len(part.as_bytes(policy=policy.SMTP))
        rows.append((f"{label} {name}".rstrip(), size_text(size)))

    walk(proof.body, 1)
    width = max(len(label) for label, _ in rows)
    lines = ["the test message: dated now, a new Message-ID, To: its recipients"]
    lines += [f"{label:<{width}}  {size:>9}".rstrip() for label, size in rows]
    return [*lines, "  " + summary(proof)]


def summary(proof: Proof) -> str:
    """Say how heavy the test message is, beside the email readers get."""
    total = f"{size_text(len(proof.data))} in all"
    if not proof.images:
        return f"{total} (email.eml: {size_text(proof.eml_size)})"
    carried = sum(len(image.data) for image in proof.images)
    count = f"{len(proof.images)} image{'s' if len(proof.images) > 1 else ''}"
    return (
        f"{total}, {count} inside it ({size_text(carried)}); email.eml, which readers get, is "
        f"{size_text(proof.eml_size)} and loads its images from the web"
    )


def _warn(proof: Proof, base_url: str) -> None:
    """Warn about a test message so heavy that servers may refuse it, and about images of the
    site that it shows from the web since they are not on this machine."""
    if len(proof.data) > HEAVY_TEST:
        warn(
            Problem(
                f"the test message is {summary(proof)}; many mail servers refuse messages "
                f"over {size_text(HEAVY_TEST)}",
                hint="send it with --web-images once the site is online (its images then load "
                "from there, as readers get them), or show fewer or lighter images",
            )
        )
    for url in proof.stayed:
        log.info(
            "note: %s is not on this machine (build the site first to carry it inside the "
            "message): the test shows it from the web, where it may not be yet",
            url.removeprefix(base_url),
        )
