"""The settings' schema: every setting declared once, with its default, its doc and its check.

Each section is a frozen dataclass the rest of the code reads; each field is one ``setting``
whose option (``options.py``) gives its default, its doc, how it is checked and, for a table
that not every rendering reads, who reads it. ``load.py`` validates a file against it and
``write.py`` writes the documented settings file and the settings reference from it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from publisher.colours import readable
from publisher.config.options import (
    HEX_COLOUR,
    URL,
    Choice,
    Colour,
    Email,
    File,
    Flag,
    HeaderURL,
    Hosts,
    Ids,
    Image,
    Integer,
    LanguageTag,
    MergeTag,
    OneLine,
    Option,
    SiteURL,
    Switch,
    Text,
    TimeZone,
)
from publisher.config.place import Invalid
from publisher.config.tables import Table, TextMap
from publisher.strings import known_keys

#: Who reads a settings table that not every rendering reads (``read_by`` in its metadata): the
#: web pages and feeds alone, ``publisher send`` alone, or ``publisher push`` alone. Editing one
#: renders no email again.
WEB_PAGES, SEND, PUSH = "web", "send", "push"

SYSTEM_SANS = (
    "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif, "
    "'Apple Color Emoji', 'Segoe UI Emoji'"
)
SYSTEM_SERIF = "Georgia, 'Times New Roman', Times, serif"
SYSTEM_MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace"

#: The unsubscribe link while no email service is chosen: a visible placeholder, never a link.
PLACEHOLDER_UNSUBSCRIBE = "#choose-your-email-service-under-unsubscribe-in-newsletter.toml"
#: Unsubscribe merge tags of common email services; each service swaps its tag for a real link.
UNSUBSCRIBE_PRESETS: dict[str, str] = {
    "mailchimp": "*|UNSUB|*",
    "listmonk": "{{ UnsubscribeURL }}",
    "buttondown": "{{ unsubscribe_url }}",
    "kit": "{{ unsubscribe_url }}",
    "mailgun": "%unsubscribe_url%",
    "mailerlite": "{$unsubscribe}",
    "brevo": "{{ unsubscribe }}",
    "postmark": "{{{ pm:unsubscribe }}}",
    "ses": "{{amazonSESUnsubscribeUrl}}",
}
SMTP_SECURITY = ("starttls", "tls", "none")


def setting(option: Option[Any]) -> Any:
    """Declare a setting: a dataclass field whose default, doc and check are ``option``'s."""
    metadata = {"option": option, "doc": option.doc}
    if option.read_by:
        metadata["read_by"] = option.read_by
    if isinstance(option, Table):
        return field(default_factory=option.cls, metadata=metadata)
    if isinstance(option, TextMap):
        return field(default_factory=dict, metadata=metadata)
    return field(default=option.default, metadata=metadata)


@dataclass(frozen=True)
class Author:
    """Who writes the newsletter."""

    name: str = setting(OneLine("", "Shown as the sender and the feeds' author."))
    email: str = setting(
        Email(
            "",
            "The From address of the email.",
            hint='write one address, e.g. email = "you@example.org"',
        )
    )


@dataclass(frozen=True)
class Colors:
    """The theme's colours, as #rgb or #rrggbb."""

    text: str = setting(Colour("#1f2328", "Body text."))
    background: str = setting(Colour("#ffffff", "Page background."))
    accent: str = setting(Colour("#a4262c", "Rules, kicker and pull-quote bar."))
    link: str = setting(Colour("#0b57a4", "Links."))
    muted: str = setting(Colour("#59636e", "Captions, credits, dates and footer."))
    dark_text: str = setting(Colour("#e6e6e6", "Body text in dark mode."))
    dark_background: str = setting(Colour("#17191c", "Background in dark mode."))
    dark_link: str = setting(
        Colour("", "Links in dark mode; empty: `link`, lightened until legible.", optional=True)
    )
    dark_accent: str = setting(
        Colour("", "Accent in dark mode; empty: `accent`, lightened until legible.", optional=True)
    )
    dark_muted: str = setting(
        Colour("", "Muted text in dark mode; empty: `muted`, lightened.", optional=True)
    )

    def __post_init__(self) -> None:
        # Empty dark colours follow their light ones: the same hue, lightened to WCAG AAA (7:1)
        # on the dark background, so an author's own link or accent colour carries over.
        if not HEX_COLOUR.match(self.dark_background.strip()):
            return
        pairs = (("dark_link", "link"), ("dark_accent", "accent"), ("dark_muted", "muted"))
        for dark, light in pairs:
            source = getattr(self, light)
            if not getattr(self, dark) and HEX_COLOUR.match(source.strip()):
                object.__setattr__(self, dark, readable(source, self.dark_background, 7.0))


@dataclass(frozen=True)
class Fonts:
    """Font stacks: system fonts; no remote font is loaded unless ``stylesheet`` is set."""

    body: str = setting(Text(SYSTEM_SERIF, "Font stack for body text."))
    heading: str = setting(Text(SYSTEM_SANS, "Font stack for headings."))
    code: str = setting(Text(SYSTEM_MONO, "Font stack for code."))
    stylesheet: str = setting(
        URL(
            "",
            "URL of a web-font stylesheet to load (e.g. a font service's CSS); empty: none.",
            hint="use the full https:// address of the font stylesheet, or leave it empty",
        )
    )


@dataclass(frozen=True)
class Footer:
    """The email's footer."""

    address: str = setting(
        Text("", "Your postal address; bulk-mail rules in most countries require it.")
    )
    reason: str = setting(
        OneLine(
            "",
            "Why the reader gets this email; {name} is the newsletter's name. Empty: the "
            "theme's sentence in the issue's language.",
        )
    )


@dataclass(frozen=True)
class Feeds:
    """The RSS, Atom and JSON feeds."""

    limit: int = setting(
        Integer(
            20,
            "How many of the newest issues the feeds carry.",
            hint="set how many issues the feeds carry, e.g. 20",
        )
    )
    archives: bool = setting(
        Flag(
            True,
            "Also publish every issue ever, a feed document per year (feeds/2024/feed.xml, "
            "atom.xml, feed.json), linked from the feeds (RFC 5005, JSON Feed's next_url).",
        )
    )


@dataclass(frozen=True)
class Archive:
    """The archive page: the list of every issue."""

    per_page: int = setting(
        Integer(
            50,
            "How many issues the archive page lists before it goes on at page/2/ and so on "
            "(0: one page, however long).",
            hint="set how many issues a page lists, e.g. 50, or 0 for one page",
            low=0,
        )
    )


@dataclass(frozen=True)
class Search:
    """The search box of the web archive."""

    enabled: bool = setting(
        Flag(
            True,
            "Index the issue pages with Pagefind (site/pagefind/) and put a search box on the "
            "archive page; false: neither.",
        )
    )


@dataclass(frozen=True)
class Subscribe:
    """The subscribe box on the web pages."""

    action: str = setting(
        URL(
            "",
            "URL the subscribe form posts to (your email service's); empty: no box.",
            hint="use the full https:// address your email service gives for its signup form",
        )
    )
    email_field: str = setting(Text("email", "Name of the form's email field."))
    text: str = setting(Text("", "The line above the form; empty: the theme's, in the language."))


#: A placeholder that an email service or a relay replaces with something of each reader's
#: (RFC 8058 §3.1: a one-click URL must identify the recipient): {{token}} (or {{{token}}}),
#: %%token%%, *|TOKEN|*, {$token}, or Mailgun's %recipient.token%.
READER_PLACEHOLDER = re.compile(
    r"\{\{[^{}\s]+\}\}|%%[^%\s]+%%|\*\|[^|\s]+\|\*|\{\$[^}\s]+\}|%recipient\.[^%\s]+%"
)


@dataclass(frozen=True)
class Unsubscribe:
    """The unsubscribe link: a merge tag your email service replaces per subscriber."""

    service: str = setting(
        Choice(
            "",
            "One of: " + ", ".join(UNSUBSCRIBE_PRESETS) + ", or custom (then set url). Unset, "
            "the email shows a placeholder link and check warns.",
            choices=(*UNSUBSCRIBE_PRESETS, "custom"),
            what="a known email service",
            hint="use one of " + ", ".join(UNSUBSCRIBE_PRESETS) + ', or "custom" with url = "..."',
            optional=True,
        )
    )
    url: str = setting(MergeTag("", 'With service = "custom": the link or merge tag to use.'))
    header_url: str = setting(
        HeaderURL(
            "",
            "https:// one-click unsubscribe URL for the List-Unsubscribe header of email.eml, "
            "with the placeholder your relay replaces for each reader, e.g. "
            "https://news.example.org/unsubscribe?t={{token}}. Only such a URL gets "
            "List-Unsubscribe-Post (one click).",
            hint="give the full https:// one-click unsubscribe link, with your relay's "
            "placeholder for each reader's token, e.g. "
            '"https://news.example.org/unsubscribe?t={{token}}" (one link, no spaces, commas '
            "or angle brackets)",
        )
    )
    mailto: str = setting(
        Email(
            "",
            "Address that unsubscribes whoever writes to it (header too).",
            hint='write just the address, e.g. mailto = "unsubscribe@example.org"',
        )
    )

    @property
    def link(self) -> str:
        """Return the merge tag or URL that goes into the email."""
        if self.service == "custom":
            return self.url
        return UNSUBSCRIBE_PRESETS.get(self.service, PLACEHOLDER_UNSUBSCRIBE)

    @property
    def merge_tag(self) -> bool:
        """Return whether the link is an email service's merge tag: the service fills it in for
        each reader, and sends the message with a List-Unsubscribe header of its own."""
        link = self.link
        return bool(self.service) and link.partition(":")[0] not in ("http", "https", "mailto")

    @property
    def one_click(self) -> bool:
        """Return whether ``header_url`` names the reader (holds a ``READER_PLACEHOLDER``), as
        RFC 8058 asks of a URL that unsubscribes in one click."""
        return READER_PLACEHOLDER.search(self.header_url) is not None


def custom_needs_url(unsubscribe: Unsubscribe) -> Iterator[Invalid]:
    """Refuse a custom email service without its link."""
    if unsubscribe.service == "custom" and not unsubscribe.url.strip():
        hint = "set url to your service's unsubscribe merge tag or link"
        yield Invalid('is empty but service is "custom"', hint, key="url")


@dataclass(frozen=True)
class Smtp:
    """The server `publisher send` delivers test messages through. The password is only ever
    read from the environment variable PUBLISHER_SMTP_PASSWORD."""

    host: str = setting(Text("localhost", "SMTP server name."))
    port: int = setting(
        Integer(
            587,
            "Port: 587 for STARTTLS, 465 for TLS.",
            high=65535,
            what="a port number",
            hint="use 587, 465 or 25",
        )
    )
    security: str = setting(
        Choice(
            "starttls",
            "starttls, tls or none.",
            choices=SMTP_SECURITY,
            hint='use "starttls" (port 587), "tls" (port 465) or "none"',
        )
    )
    user: str = setting(
        Text("", "User name to log in with; empty: no login (or set it in PUBLISHER_SMTP_USER).")
    )
    ca_file: str = setting(
        File(
            "",
            "Certificate authority file for a private server; empty: the system's.",
            hint="give the path of a PEM certificate file, or leave it empty",
        )
    )
    timeout: int = setting(
        Integer(30, "Seconds to wait for the server.", hint="give the seconds to wait, e.g. 30")
    )


@dataclass(frozen=True)
class Links:
    """The email's links to other sites."""

    utm: bool = setting(
        Switch(
            False,
            "Add utm_source (the newsletter), utm_medium=email and utm_campaign (the issue's "
            "slug) to the email's links to other sites, so their analytics tell where readers "
            "came from. Parameters a link has already stay; web pages and feeds are untouched.",
        )
    )
    utm_skip_hosts: tuple[str, ...] = setting(
        Hosts((), 'Sites whose links get no utm_ tags, with their subdomains, e.g. ["gov.uk"].')
    )


#: The email services ``publisher push`` makes drafts in.
PUSH_SERVICES = ("buttondown", "listmonk", "mailchimp", "kit", "ghost")


@dataclass(frozen=True)
class Push:
    """The email service `publisher push` makes each issue's draft in. Its key is only ever read
    from the environment variable PUBLISHER_PUSH_KEY."""

    service: str = setting(
        Choice(
            "",
            "The email service: " + ", ".join(PUSH_SERVICES) + ". Unset: `push` asks for one.",
            choices=PUSH_SERVICES,
            what="an email service publisher can push to",
            hint="use one of " + ", ".join(PUSH_SERVICES),
            optional=True,
        )
    )
    url: str = setting(
        URL(
            "",
            "The service's address: your listmonk or Ghost site (required for those); for "
            "the others it replaces the public API's (a proxy, a test server).",
            hint='give the full address, e.g. url = "https://lists.example.org"',
        )
    )
    lists: tuple[int | str, ...] = setting(
        Ids(
            "listmonk: the ids of the lists to send to; mailchimp: the audience id.",
            example="[3]",
        )
    )
    template: int = setting(
        Integer(
            0,
            "listmonk: the campaign template's id; kit: the email template's id. 0: the "
            "service's default.",
            low=0,
            hint="give the template's id as a number, e.g. template = 4 (0: the default)",
        )
    )
    timeout: int = setting(
        Integer(30, "Seconds to wait for the service.", hint="give the seconds to wait, e.g. 30")
    )


@dataclass(frozen=True)
class Config:
    """Every setting of a newsletter, with its default."""

    name: str = setting(
        OneLine(
            "My Newsletter",
            "The newsletter's name.",
            blank='give your newsletter a name: name = "..."',
        )
    )
    description: str = setting(OneLine("", "One sentence: what it is about."))
    base_url: str = setting(
        SiteURL(
            "https://example.com/",
            "Where site/ is published; every link in email and feeds starts here.",
            hint='write where site/ will be published, e.g. base_url = "https://example.com/news/"',
        )
    )
    language: str = setting(
        LanguageTag(
            "en",
            "Language tag (BCP 47), e.g. en, fr or pt-BR: the theme's words, dates, quotation "
            "marks and writing direction; an issue's `language:` wins.",
        )
    )
    date_format: str = setting(
        Text(
            "long",
            "Dates for people: short, medium, long or full (in the language's own style), or "
            "a CLDR pattern such as d MMMM y.",
        )
    )
    timezone: str = setting(TimeZone("UTC", "Time zone for dates without one, e.g. Europe/Berlin."))
    logo: str = setting(
        Image(
            "",
            "Logo image (URL, or path in this folder); empty: the name is shown.",
            hint="use a full https:// address or a path inside this folder",
        )
    )
    logo_dark: str = setting(
        Image(
            "",
            "The logo for dark mode, e.g. light lettering (URL, or path in this folder); empty: "
            "`logo` on a light backing. Shown only with `logo`.",
            hint="use a full https:// address or a path inside this folder",
        )
    )
    signoff: str = setting(
        Text("", "Closing line under every issue (Markdown); an issue's `signoff:` wins.")
    )
    author: Author = setting(Table(Author, "Who writes the newsletter."))
    colors: Colors = setting(Table(Colors, "The theme's colours."))
    fonts: Fonts = setting(Table(Fonts, "Font stacks."))
    footer: Footer = setting(Table(Footer, "The email's footer."))
    unsubscribe: Unsubscribe = setting(
        Table(Unsubscribe, "The unsubscribe link.", rules=[custom_needs_url])
    )
    feeds: Feeds = setting(Table(Feeds, "The feeds.", read_by=WEB_PAGES))
    archive: Archive = setting(Table(Archive, "The archive page.", read_by=WEB_PAGES))
    smtp: Smtp = setting(Table(Smtp, "Test sends (publisher send).", read_by=SEND))
    push: Push = setting(
        Table(Push, "Drafts in your email service (publisher push).", read_by=PUSH)
    )
    subscribe: Subscribe = setting(Table(Subscribe, "The subscribe box.", read_by=WEB_PAGES))
    search: Search = setting(Table(Search, "The archive's search.", read_by=WEB_PAGES))
    links: Links = setting(Table(Links, "The email's links to other sites: their tags."))
    social: dict[str, str] = setting(
        TextMap(
            'Links shown in the footer: label = "URL".',
            shape='label = "URL"',
            example='Mastodon = "https://mastodon.social/@you"',
            value=URL("", "", hint="write the full address, starting with https://"),
        )
    )
    strings: dict[str, str] = setting(
        TextMap(
            "The theme's words by key, in place of the language's catalogue.",
            shape='key = "words"',
            example='unsubscribe = "Leave this list"',
            known=known_keys,
        )
    )
    #: Where the settings came from (None: defaults, no file).
    path: Path | None = field(default=None, compare=False, metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        """Return the time zone for dates given without one."""
        return ZoneInfo(self.timezone)


#: The settings file: one table of every setting.
SETTINGS = Table(Config, "Every setting of a newsletter.")


def tables_read_by(reader: str) -> tuple[str, ...]:
    """Return the settings tables that only ``reader`` (WEB_PAGES, SEND or PUSH) reads."""
    return tuple(f.name for f in dataclasses.fields(Config) if f.metadata.get("read_by") == reader)


def settings_text(config: Config, tables: Iterable[str]) -> str:
    """Return the settings ``tables`` as text for a cache key: their values, not the file's
    bytes, so a comment or a reordering changes nothing."""
    wanted = set(tables)
    values = [
        (f.name, getattr(config, f.name))
        for f in dataclasses.fields(Config)
        if f.name in wanted and not f.metadata.get("internal")
    ]
    return repr(values)


#: The settings that name a logo: the logo, and the one dark mode shows instead.
LOGOS = ("logo", "logo_dark")


def logo_file(config: Config, name: str = "logo") -> Path | None:
    """Return the file of the logo setting ``name`` when it is one of the folder's, not a web
    address."""
    logo: str = getattr(config, name)
    if not logo or "://" in logo or config.path is None:
        return None
    return config.path.parent / logo
