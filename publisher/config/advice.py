"""Settings that are valid but not ready to publish: each a warning at its line of the file."""

from __future__ import annotations

from urllib.parse import urlsplit

from publisher.config.addresses import is_placeholder_host
from publisher.config.load import key_line
from publisher.config.place import shown
from publisher.config.schema import Config
from publisher.errors import Problem


def setting_problem(
    config: Config, table: str | None, key: str | None, message: str, hint: str
) -> Problem:
    """Return a problem at the line of ``[table]`` ``key`` of the settings file."""
    text = config.path.read_text(encoding="utf-8-sig") if config.path else ""
    return Problem(message, config.path, key_line(text, table, key) if text else None, hint)


def placeholder_problem(config: Config) -> Problem | None:
    """Return a warning while ``base_url`` is a reserved example domain."""
    if not is_placeholder_host(urlsplit(config.base_url).hostname or ""):
        return None
    return setting_problem(
        config,
        None,
        "base_url",
        f"base_url {shown(config.base_url)} is a placeholder: links in emails and feeds lead "
        "nowhere, and feed ids made from it are let go once you set the real one",
        'set base_url to where site/ will be published, e.g. base_url = "https://news.you.org/"',
    )


def unchosen_service_problem(config: Config) -> Problem | None:
    """Return a warning while no email service is chosen for the unsubscribe link."""
    if config.unsubscribe.service:
        return None
    return setting_problem(
        config,
        "unsubscribe",
        None,
        "no email service chosen: the email's unsubscribe link is a placeholder",
        'set service under [unsubscribe], e.g. service = "buttondown" (or "custom" with url)',
    )


def no_header_problem(config: Config) -> Problem | None:
    """Return a warning when the ready-to-send messages offer no one-click unsubscribe that
    names the reader: there are such messages (a sender address), and no email service sends
    them (its merge tag as the link: it adds its own header), or ``header_url`` is the same
    for every reader."""
    unsub = config.unsubscribe
    if not config.author.email or unsub.one_click or (unsub.merge_tag and not unsub.header_url):
        return None
    if unsub.header_url:
        return setting_problem(
            config,
            "unsubscribe",
            "header_url",
            f"header_url {shown(unsub.header_url)} is the same for every reader, so email.eml "
            "offers no one-click unsubscribe (List-Unsubscribe-Post): a one-click request "
            "carries nothing but List-Unsubscribe=One-Click, and RFC 8058 asks for a URL that "
            "identifies the reader",
            "put in it the placeholder your relay replaces with each reader's token, e.g. "
            'header_url = "https://news.example.org/unsubscribe?t={{token}}"',
        )
    return setting_problem(
        config,
        "unsubscribe",
        None,
        "the ready-to-send messages (email.eml, publisher send) offer no one-click unsubscribe "
        "(List-Unsubscribe-Post), which Gmail and Yahoo require of bulk senders",
        "choose the email service that sends them (service under [unsubscribe]), or set "
        "header_url to your one-click unsubscribe URL with your relay's placeholder for each "
        'reader\'s token, e.g. header_url = "https://news.example.org/unsubscribe?t={{token}}"',
    )
