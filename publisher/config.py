"""The newsletter's settings (``newsletter.toml``): one declared schema, validated all at once."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from publisher.errors import Problem, PublisherError, warn

#: The folder of the build cache (and the image shelf) inside a newsletter folder.
CACHE_DIR = ".publisher-cache"
SETTINGS_FILE = "newsletter.toml"

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


#: Who reads a settings table that not every rendering reads (``read_by`` in its metadata): the
#: web pages and feeds alone, or ``publisher send`` alone. Editing one renders no email again.
WEB_PAGES, SEND = "web", "send"


def _doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass(frozen=True)
class Author:
    """Who writes the newsletter."""

    name: str = field(default="", metadata=_doc("Shown as the sender and the feeds' author."))
    email: str = field(default="", metadata=_doc("The From address of the email."))


@dataclass(frozen=True)
class Colors:
    """The theme's colours, as #rgb or #rrggbb."""

    text: str = field(default="#1f2328", metadata=_doc("Body text."))
    background: str = field(default="#ffffff", metadata=_doc("Page background."))
    accent: str = field(default="#a4262c", metadata=_doc("Rules, kicker and pull-quote bar."))
    link: str = field(default="#0b57a4", metadata=_doc("Links."))
    muted: str = field(default="#59636e", metadata=_doc("Captions, credits, dates and footer."))
    dark_text: str = field(default="#e6e6e6", metadata=_doc("Body text in dark mode."))
    dark_background: str = field(default="#17191c", metadata=_doc("Background in dark mode."))
    dark_link: str = field(
        default="", metadata=_doc("Links in dark mode; empty: `link`, lightened until legible.")
    )
    dark_accent: str = field(
        default="", metadata=_doc("Accent in dark mode; empty: `accent`, lightened until legible.")
    )
    dark_muted: str = field(
        default="", metadata=_doc("Muted text in dark mode; empty: `muted`, lightened.")
    )

    def __post_init__(self) -> None:
        # Empty dark colours follow their light ones: the same hue, lightened to WCAG AAA (7:1)
        # on the dark background, so an author's own link or accent colour carries over.
        from publisher.colours import readable

        if not _is_colour(self.dark_background):
            return  # reported by the settings' validation
        pairs = (("dark_link", "link"), ("dark_accent", "accent"), ("dark_muted", "muted"))
        for dark, light in pairs:
            source = getattr(self, light)
            if not getattr(self, dark) and _is_colour(source):
                object.__setattr__(self, dark, readable(source, self.dark_background, 7.0))


@dataclass(frozen=True)
class Fonts:
    """Font stacks: system fonts; no remote font is loaded unless ``stylesheet`` is set."""

    body: str = field(default=SYSTEM_SERIF, metadata=_doc("Font stack for body text."))
    heading: str = field(default=SYSTEM_SANS, metadata=_doc("Font stack for headings."))
    code: str = field(default=SYSTEM_MONO, metadata=_doc("Font stack for code."))
    stylesheet: str = field(
        default="",
        metadata=_doc(
            "URL of a web-font stylesheet to load (e.g. a font service's CSS); empty: none."
        ),
    )


@dataclass(frozen=True)
class Footer:
    """The email's footer."""

    address: str = field(
        default="",
        metadata=_doc("Your postal address; bulk-mail rules in most countries require it."),
    )
    reason: str = field(
        default="",
        metadata=_doc(
            "Why the reader gets this email; {name} is the newsletter's name. Empty: the "
            "theme's sentence in the issue's language."
        ),
    )


@dataclass(frozen=True)
class Feeds:
    """The RSS, Atom and JSON feeds."""

    limit: int = field(default=20, metadata=_doc("How many of the newest issues the feeds carry."))


@dataclass(frozen=True)
class Subscribe:
    """The subscribe box on the web pages."""

    action: str = field(
        default="",
        metadata=_doc("URL the subscribe form posts to (your email service's); empty: no box."),
    )
    email_field: str = field(default="email", metadata=_doc("Name of the form's email field."))
    text: str = field(
        default="", metadata=_doc("The line above the form; empty: the theme's, in the language.")
    )


@dataclass(frozen=True)
class Unsubscribe:
    """The unsubscribe link: a merge tag your email service replaces per subscriber."""

    service: str = field(
        default="",
        metadata=_doc(
            "One of: " + ", ".join(UNSUBSCRIBE_PRESETS) + ", or custom (then set url). Unset, "
            "the email shows a placeholder link and check warns."
        ),
    )
    url: str = field(
        default="", metadata=_doc('With service = "custom": the link or merge tag to use.')
    )
    header_url: str = field(
        default="",
        metadata=_doc(
            "https:// one-click unsubscribe URL for the List-Unsubscribe header of email.eml."
        ),
    )
    mailto: str = field(
        default="", metadata=_doc("Address that unsubscribes whoever writes to it (header too).")
    )

    @property
    def link(self) -> str:
        """Return the merge tag or URL that goes into the email."""
        if self.service == "custom":
            return self.url
        return UNSUBSCRIBE_PRESETS.get(self.service, PLACEHOLDER_UNSUBSCRIBE)


@dataclass(frozen=True)
class Smtp:
    """The server `publisher send` delivers test messages through. The password is only ever
    read from the environment variable PUBLISHER_SMTP_PASSWORD."""

    host: str = field(default="localhost", metadata=_doc("SMTP server name."))
    port: int = field(default=587, metadata=_doc("Port: 587 for STARTTLS, 465 for TLS."))
    security: str = field(default="starttls", metadata=_doc("starttls, tls or none."))
    user: str = field(
        default="",
        metadata=_doc(
            "User name to log in with; empty: no login (or set it in PUBLISHER_SMTP_USER)."
        ),
    )
    ca_file: str = field(
        default="",
        metadata=_doc("Certificate authority file for a private server; empty: the system's."),
    )
    timeout: int = field(default=30, metadata=_doc("Seconds to wait for the server."))


SMTP_SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class Config:
    """Every setting of a newsletter, with its default."""

    name: str = field(default="My Newsletter", metadata=_doc("The newsletter's name."))
    description: str = field(default="", metadata=_doc("One sentence: what it is about."))
    base_url: str = field(
        default="https://example.com/",
        metadata=_doc("Where site/ is published; every link in email and feeds starts here."),
    )
    language: str = field(
        default="en",
        metadata=_doc(
            "Language tag (BCP 47), e.g. en, fr or pt-BR: the theme's words, dates, quotation "
            "marks and writing direction; an issue's `language:` wins."
        ),
    )
    date_format: str = field(
        default="long",
        metadata=_doc(
            "Dates for people: short, medium, long or full (in the language's own style), or "
            "a CLDR pattern such as d MMMM y."
        ),
    )
    timezone: str = field(
        default="UTC", metadata=_doc("Time zone for dates without one, e.g. Europe/Berlin.")
    )
    logo: str = field(
        default="",
        metadata=_doc("Logo image (URL, or path in this folder); empty: the name is shown."),
    )
    signoff: str = field(
        default="",
        metadata=_doc("Closing line under every issue (Markdown); an issue's `signoff:` wins."),
    )
    author: Author = field(default_factory=Author, metadata=_doc("Who writes the newsletter."))
    colors: Colors = field(default_factory=Colors, metadata=_doc("The theme's colours."))
    fonts: Fonts = field(default_factory=Fonts, metadata=_doc("Font stacks."))
    footer: Footer = field(default_factory=Footer, metadata=_doc("The email's footer."))
    unsubscribe: Unsubscribe = field(
        default_factory=Unsubscribe, metadata=_doc("The unsubscribe link.")
    )
    feeds: Feeds = field(
        default_factory=Feeds, metadata={**_doc("The feeds."), "read_by": WEB_PAGES}
    )
    smtp: Smtp = field(
        default_factory=Smtp, metadata={**_doc("Test sends (publisher send)."), "read_by": SEND}
    )
    subscribe: Subscribe = field(
        default_factory=Subscribe, metadata={**_doc("The subscribe box."), "read_by": WEB_PAGES}
    )
    social: dict[str, str] = field(
        default_factory=dict,
        metadata=_doc('Links shown in the footer, label = URL, e.g. Mastodon = "https://...".'),
    )
    strings: dict[str, str] = field(
        default_factory=dict,
        metadata=_doc(
            "The theme's words, by key, in place of the catalogue's: unsubscribe = \"Leave\"."
        ),
    )
    #: Where the settings came from (None: defaults, no file).
    path: Path | None = field(default=None, compare=False, metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        """Return the time zone for dates given without one."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class _Field:
    name: str
    doc: str
    default: Any
    type_class: type[Any] | None  # a nested table's dataclass


def _fields(cls: type[Any]) -> list[_Field]:
    out = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        factory = f.default_factory
        default = factory() if callable(factory) else f.default
        table = type(default) if dataclasses.is_dataclass(default) else None
        out.append(_Field(f.name, f.metadata.get("doc", ""), default, table))
    return out


def tables_read_by(reader: str) -> tuple[str, ...]:
    """Return the settings tables that only ``reader`` (WEB_PAGES or SEND) reads."""
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


# --- loading -------------------------------------------------------------------------------------


def load_config(root: Path) -> Config:
    """Read and validate ``root/newsletter.toml``; without one, return the defaults."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        warn(
            Problem(
                "not found; using default settings",
                Path(SETTINGS_FILE),
                hint="run `publisher init` to create one",
            )
        )
        return Config()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PublisherError.at(
            "settings are not UTF-8 text", path, hint="save the file as UTF-8"
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise PublisherError.at(
            f"settings are not valid TOML: {_strip_position(str(exc))}",
            path,
            line,
            hint="see https://toml.io for the syntax; strings need double quotes",
        ) from exc
    return _validate(data, text, path)


def _toml_error_line(message: str) -> int | None:
    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else None


def _strip_position(message: str) -> str:
    return re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)


def key_line(text: str, table: str | None, key: str | None) -> int | None:
    """Find the line of ``key`` in ``[table]``, or of the ``[table]`` header when key is None."""
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip("\"'")
            if key is None and current == table:
                return number
            continue
        if key is None:
            continue
        if current == table and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
        if (
            current is None
            and table
            and re.match(rf"^{re.escape(table)}\s*\.\s*{re.escape(key)}\s*=", line)
        ):
            return number
    if key is not None and table is not None:  # an inline table, or a key we could not place
        return key_line(text, None, table) or key_line(text, table, None)
    return None


HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _validate(data: dict[str, Any], text: str, path: Path) -> Config:
    problems: list[Problem] = []

    def problem(table: str | None, key: str | None, message: str, hint: str) -> None:
        line = key_line(text, table, key)
        label = f"{table}.{key}" if table and key else (key or table or "")
        problems.append(Problem(f"setting `{label}`: {message}", path, line, hint))

    def check_table(table: str | None, cls: type[Any], raw: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        known = {f.name: f for f in _fields(cls)}
        for key, value in raw.items():
            spec = known.get(key)
            label = f"{table}.{key}" if table else key
            if spec is None:
                warn(
                    Problem(
                        f"unknown setting `{label}` is ignored",
                        path,
                        key_line(text, table, key),
                        "check the spelling; known keys: " + ", ".join(known),
                    )
                )
                continue
            if spec.type_class is not None:
                if not isinstance(value, dict):
                    problem(None, key, "must be a table", f"write it as a [{key}] section")
                    continue
                values[key] = spec.type_class(**check_table(key, spec.type_class, value))
                continue
            if key == "strings":
                if not isinstance(value, dict) or not all(
                    isinstance(v, str) for v in value.values()
                ):
                    problem(
                        None,
                        key,
                        'must be a table of key = "words"',
                        'write [strings] then lines like unsubscribe = "Leave this list"',
                    )
                    continue
                from publisher.strings import known_keys

                keys = known_keys()
                for name in value:
                    if name not in keys:
                        warn(
                            Problem(
                                f"unknown key `{name}` under [strings] is ignored",
                                path,
                                key_line(text, "strings", name),
                                "known keys: " + ", ".join(keys),
                            )
                        )
                values[key] = {k: v for k, v in value.items() if k in keys}
                continue
            if key == "social":
                if not isinstance(value, dict) or not all(
                    isinstance(v, str) for v in value.values()
                ):
                    problem(
                        None,
                        key,
                        'must be a table of label = "URL"',
                        'write [social] then lines like Mastodon = "https://..."',
                    )
                    continue
                for label_, url in value.items():
                    if not _is_web_url(url):
                        problem(
                            "social",
                            label_,
                            f"{url!r} is not an absolute http(s) URL",
                            "write the full address, starting with https://",
                        )
                values[key] = dict(value)
                continue
            if isinstance(spec.default, int) and not isinstance(spec.default, bool):
                if not isinstance(value, int) or isinstance(value, bool):
                    problem(
                        table,
                        key,
                        f"must be a whole number, not {type(value).__name__}",
                        f"write a number without quotes: {key} = {spec.default}",
                    )
                    continue
            elif not isinstance(value, str):
                problem(
                    table,
                    key,
                    f"must be a string, not {type(value).__name__}",
                    f'put the value in double quotes: {key} = "..."',
                )
                continue
            values[key] = value
        return values

    values = check_table(None, Config, data)
    config = _one_line(Config(**values, path=path), text, path)
    _check_values(config, problem)
    if problems:
        raise PublisherError(problems)
    base_url = ascii_url(config.base_url)  # an IDN host, in punycode as every URL needs it
    if not base_url.endswith("/"):
        base_url += "/"
    return dataclasses.replace(config, base_url=base_url)


#: Settings shown on one line (a subject, a header, a title): line breaks are folded.
ONE_LINE = ((None, "name"), (None, "description"), ("author", "name"), ("footer", "reason"))


def _one_line(config: Config, text: str, path: Path) -> Config:
    """Fold line breaks in one-line settings to spaces, with a warning for each."""
    for table, key in ONE_LINE:
        owner = getattr(config, table) if table else config
        value = getattr(owner, key)
        if not LINE_BREAKS.search(value):
            continue
        label = f"{table}.{key}" if table else key
        warn(
            Problem(
                f"setting `{label}` holds a line break; it is shown on one line",
                path,
                key_line(text, table, key),
                "write it on one line (the line break was replaced by a space)",
            )
        )
        owner = dataclasses.replace(owner, **{key: LINE_BREAKS.sub(" ", value).strip()})
        changed: dict[str, Any] = {table: owner} if table else {}
        config = dataclasses.replace(config, **changed) if table else owner
    return config


#: Domains reserved for examples and tests (RFC 2606, RFC 6761): never a real site.
PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net")
PLACEHOLDER_TLDS = ("test", "invalid", "localhost", "example")


def is_placeholder_host(host: str) -> bool:
    """Return whether ``host`` is a reserved example name (``example.com``, ``x.test``...)."""
    host = host.lower().rstrip(".")
    return (
        host == "localhost"
        or host.rpartition(".")[2] in PLACEHOLDER_TLDS
        or any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS)
    )


#: Characters that would end a URL inside a header's <...> or split a list of them.
URL_BREAKERS = set('<>,"\\')
#: Line breaks a one-line value may not hold (they would break headers and feeds).
LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x85\u2028\u2029]+")


def address_problem(address: str) -> str | None:
    """Return why ``address`` is not one email address (an addr-spec), or None if it is one.

    Non-ASCII is allowed in both parts (RFC 6532; the domain is sent in punycode).
    """
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "it needs a name, an @ and a domain"
    if any(ch.isspace() or ch in '<>()[],;:"\\' or ord(ch) < 32 for ch in address):
        return 'it holds a space, a line break or one of < > ( ) [ ] , ; : " \\'
    if local.startswith(".") or local.endswith(".") or ".." in local or "@" in local:
        return "its name part is not valid"
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"its domain {domain!r} is not a valid host name"
    if "." not in ascii_domain.strip("."):
        return f"its domain {domain!r} has no dot"
    return None


def ascii_address(address: str) -> str:
    """Return ``address`` with its domain in punycode (the name part stays as it is)."""
    local, _, domain = address.rpartition("@")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def ascii_url(url: str) -> str:
    """Return ``url`` with an internationalised host name in punycode."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.isascii():
        return url
    ascii_host = host.encode("idna").decode("ascii")
    netloc = parts.netloc.replace(parts.netloc.rpartition("@")[2].split(":")[0], ascii_host)
    return parts._replace(netloc=netloc).geturl()


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


#: Control characters no email, page or feed can carry (tab and line feed are fine).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_values(config: Config, problem: Any) -> None:
    if not CONTROL.sub("", config.name).strip():
        problem(None, "name", "is empty", 'give your newsletter a name: name = "..."')
    try:
        ascii_url(config.base_url)
    except UnicodeError:
        problem(
            None,
            "base_url",
            f"the host of {config.base_url!r} is not a valid host name",
            "check the spelling of the domain",
        )
        return
    if not _is_web_url(config.base_url):
        problem(
            None,
            "base_url",
            f"{config.base_url!r} is not an absolute http(s) URL",
            'write where site/ will be published, e.g. base_url = "https://example.com/news/"',
        )
    elif urlsplit(config.base_url).query or urlsplit(config.base_url).fragment:
        problem(
            None,
            "base_url",
            "must not have a query or fragment",
            "remove everything from ? or # on",
        )
    if not LANGUAGE_TAG.match(config.language):
        problem(
            None,
            "language",
            f"{config.language!r} is not a language tag",
            'use a BCP 47 tag such as "en", "fr" or "pt-BR"',
        )
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problem(
            None,
            "timezone",
            f"{config.timezone!r} is not a known time zone",
            'use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"',
        )
    for f in dataclasses.fields(Colors):
        colour = getattr(config.colors, f.name)
        if not HEX_COLOUR.match(colour):
            problem(
                "colors",
                f.name,
                f"{colour!r} is not a colour",
                'write it as #rgb or #rrggbb, e.g. "#1f2328"',
            )
    service = config.unsubscribe.service
    if service and service != "custom" and service not in UNSUBSCRIBE_PRESETS:
        problem(
            "unsubscribe",
            "service",
            f"{service!r} is not a known email service",
            "use one of " + ", ".join(UNSUBSCRIBE_PRESETS) + ', or "custom" with url = "..."',
        )
    elif service == "custom" and not config.unsubscribe.url.strip():
        problem(
            "unsubscribe",
            "url",
            'is empty but service is "custom"',
            "set url to your service's unsubscribe merge tag or link",
        )
    if '"' in config.unsubscribe.url or "\n" in config.unsubscribe.url:
        problem(
            "unsubscribe",
            "url",
            "must not contain double quotes or line breaks",
            "use the merge tag exactly as your email service documents it",
        )
    logo = config.logo
    if logo and "://" in logo and not _is_web_url(logo):
        problem(
            None,
            "logo",
            f"{logo!r} is not an http(s) URL",
            "use a full https:// address or a path inside this folder",
        )
    elif logo and "://" not in logo and config.path is not None:
        folder = config.path.parent.resolve()
        file = (folder / logo).resolve()
        if not file.is_relative_to(folder) or not file.is_file():
            problem(
                None,
                "logo",
                f"{logo!r} is not a file in this folder",
                "put the image in your newsletter folder, or give its https:// URL",
            )
        else:
            from publisher.images import ImageProblem, read

            try:
                read(file, Path(logo).as_posix())
            except ImageProblem as exc:
                problem(None, "logo", f"{logo!r} cannot be the logo: {exc.message}", exc.hint)
    unsub = config.unsubscribe
    if unsub.header_url and (
        not unsub.header_url.startswith("https://")
        or not _is_web_url(unsub.header_url)
        or any(ch in URL_BREAKERS or ch.isspace() for ch in unsub.header_url)
    ):
        problem(
            "unsubscribe",
            "header_url",
            f"{unsub.header_url!r} is not one https:// URL",
            "give the full https:// unsubscribe link your email service provides (one link, "
            "no spaces, commas or angle brackets)",
        )
    if unsub.mailto and (unsub.mailto.startswith("mailto:") or address_problem(unsub.mailto)):
        problem(
            "unsubscribe",
            "mailto",
            f"{unsub.mailto!r} is not an email address",
            'write just the address, e.g. mailto = "unsubscribe@example.org"',
        )
    if config.author.email and address_problem(config.author.email):
        problem(
            "author",
            "email",
            f"{config.author.email!r} is not an email address: "
            f"{address_problem(config.author.email)}",
            'write one address, e.g. email = "you@example.org"',
        )
    smtp = config.smtp
    if smtp.security not in SMTP_SECURITY:
        problem(
            "smtp",
            "security",
            f"{smtp.security!r} is not one of " + ", ".join(SMTP_SECURITY),
            'use "starttls" (port 587), "tls" (port 465) or "none"',
        )
    if not 0 < smtp.port < 65536:
        problem("smtp", "port", f"{smtp.port} is not a port number", "use 587, 465 or 25")
    if smtp.timeout < 1:
        problem("smtp", "timeout", "must be 1 or more", "give the seconds to wait, e.g. 30")
    if smtp.ca_file and config.path and not (config.path.parent / smtp.ca_file).is_file():
        problem(
            "smtp",
            "ca_file",
            f"{smtp.ca_file!r} is not a file",
            "give the path of a PEM certificate file, or leave it empty",
        )
    if config.feeds.limit < 1:
        problem(
            "feeds", "limit", "must be 1 or more", "set how many issues the feeds carry, e.g. 20"
        )
    if config.subscribe.action and not _is_web_url(config.subscribe.action):
        problem(
            "subscribe",
            "action",
            f"{config.subscribe.action!r} is not an http(s) URL",
            "use the full https:// address your email service gives for its signup form",
        )
    if config.fonts.stylesheet and not _is_web_url(config.fonts.stylesheet):
        problem(
            "fonts",
            "stylesheet",
            f"{config.fonts.stylesheet!r} is not an http(s) URL",
            "use the full https:// address of the font stylesheet, or leave it empty",
        )


# --- writing a documented settings file ----------------------------------------------------------


def settings_template(**values: str) -> str:
    """Return a ``newsletter.toml`` that sets ``values`` and documents every other key's default."""
    lines = [
        "# Settings of this newsletter. Every key is optional; its default is shown.",
        "# Files to publish as they are at the site's root (CNAME, favicon.ico, robots.txt,",
        "# .well-known/...) go in the folder static/ beside this file, e.g. static/CNAME.",
        "",
    ]
    for f in _fields(Config):
        if f.type_class is not None or f.name in ("social", "strings"):
            continue
        lines.append(f"# {f.doc}")
        value = values.get(f.name, f.default)
        prefix = "" if f.name in values else "# "
        lines.append(f"{prefix}{f.name} = {_toml_value(value)}")
        lines.append("")
    for f in _fields(Config):
        if f.type_class is None:
            continue
        lines.append(f"[{f.name}]  # {f.doc}")
        for sub in _fields(f.type_class):
            key = f"{f.name}.{sub.name}"
            value = values.get(key, sub.default)
            prefix = "" if key in values else "# "
            lines.append(f"# {sub.doc}")
            lines.append(f"{prefix}{sub.name} = {_toml_value(value)}")
        lines.append("")
    lines.append('[social]  # Links shown in the footer: label = "URL".')
    lines.append('# Mastodon = "https://mastodon.social/@you"')
    lines.append("")
    lines.append("[strings]  # The theme's words by key, in place of the language's catalogue.")
    lines.append('# unsubscribe = "Leave this list"')
    return "\n".join(lines) + "\n"


def _toml_value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def logo_file(config: Config) -> Path | None:
    """Return the logo's file when the logo is one of the folder's, not a web address."""
    logo = config.logo
    if not logo or "://" in logo or config.path is None:
        return None
    return config.path.parent / logo


def placeholder_problem(config: Config) -> Problem | None:
    """Return a warning while ``base_url`` is a reserved example domain."""
    host = urlsplit(config.base_url).hostname or ""
    if not is_placeholder_host(host):
        return None
    text = config.path.read_text(encoding="utf-8-sig") if config.path else ""
    return Problem(
        f"base_url {config.base_url!r} is a placeholder: links in emails and feeds lead "
        "nowhere, and feed ids made from it are let go once you set the real one",
        config.path,
        key_line(text, None, "base_url") if text else None,
        'set base_url to where site/ will be published, e.g. base_url = "https://news.you.org/"',
    )


def unchosen_service_problem(config: Config) -> Problem | None:
    """Return a warning while no email service is chosen for the unsubscribe link."""
    if config.unsubscribe.service:
        return None
    text = config.path.read_text(encoding="utf-8-sig") if config.path else ""
    return Problem(
        "no email service chosen: the email's unsubscribe link is a placeholder",
        config.path,
        key_line(text, "unsubscribe", None) if text else None,
        'set service under [unsubscribe], e.g. service = "buttondown" (or "custom" with url)',
    )


def no_header_problem(config: Config) -> Problem | None:
    """Return a warning when ready-to-send messages will be written without List-Unsubscribe."""
    unsub = config.unsubscribe
    if not config.author.email or unsub.header_url or unsub.mailto:
        return None
    text = config.path.read_text(encoding="utf-8-sig") if config.path else ""
    return Problem(
        "the ready-to-send messages (email.eml, publisher send) have no List-Unsubscribe header, "
        "which Gmail and Yahoo require of bulk senders, and their unsubscribe link cannot be "
        "your email service's merge tag (it leads to the issue's page instead)",
        config.path,
        key_line(text, "unsubscribe", None) if text else None,
        "set header_url (your service's one-click unsubscribe link) or mailto under [unsubscribe]",
    )


def _is_colour(value: str) -> bool:
    """Return whether ``value`` is a #rgb or #rrggbb colour."""
    return bool(re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", value.strip()))
