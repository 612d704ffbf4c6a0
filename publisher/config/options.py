"""Kinds of option: one small class per kind of value, each checking what a file gives it.

The settings (TOML) and an issue's front matter (YAML) are both tables of options
(``tables.py``). An option's ``run_validation`` returns its value ready to use, or raises
``Invalid`` with what is wrong and the fix; ``At`` (``place.py``) says where the value is: its
file's wording, the folder its paths start from, its key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from publisher.config.addresses import (
    MAX_SLUG,
    address_problem,
    ascii_url,
    has_scheme,
    is_web_url,
    slug_problem,
)
from publisher.config.place import SCALARS, At, Invalid, did_you_mean, shown

T = TypeVar("T")

#: Control characters no email, page or feed can carry (tab and line feed are fine), the C1
#: set too (U+0080 to U+009F: mojibake of Windows-1252, and NEL, a line break to some readers).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Line breaks a one-line value may not hold (they would break headers and feeds).
LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x85\u2028\u2029]+")
SURROGATE = re.compile("[\ud800-\udfff]")
#: (Used with fullmatch: ``$`` alone takes a line break after the value.)
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
#: The longest language tag taken: RFC 5646 (4.4.1) asks room for 35 characters; a longer one
#: is no tag, and as a folder name of the catalogues it would be "File name too long".
MAX_LANGUAGE_TAG = 35
#: Characters that would end a URL inside a header's <...> or split a list of them.
URL_BREAKERS = set('<>,"\\')
#: What mail programs read as the start of an RFC 2047 encoded word, in a header.
ENCODED_WORD = "=?"
ENCODED_WORD_WHY = "=?, which mail programs read as the start of an encoded word (RFC 2047)"


class Option(Generic[T]):
    """One kind of value: its default, its doc, who reads it, and how it is checked."""

    types: ClassVar[tuple[type, ...]] = (str,)
    KIND: ClassVar[str] = "text"

    def __init__(
        self, default: T, doc: str, *, read_by: str | None = None, required: bool = False
    ) -> None:
        self.default, self.doc, self.read_by, self.required = default, doc, read_by, required

    def kind(self) -> str:
        """Return what kind of value this is, for the reference."""
        return self.KIND

    def validate(self, value: object, at: At) -> T:
        """Check the value's type, then the value."""
        if not isinstance(value, self.types) or (
            isinstance(value, bool) and bool not in self.types
        ):
            raise self.wrong_type(value, at)
        return self.run_validation(value, at)

    def run_validation(self, value: Any, at: At) -> T:
        """Return ``value`` checked and ready to use, or raise ``Invalid``."""
        return value  # type: ignore[no-any-return]

    def wrong_type(self, value: object, at: At) -> Invalid:
        """Return the problem of a value of another type."""
        names = dict.fromkeys(at.syntax.names.get(t, t.__name__) for t in self.types)
        message = f"must be {' or '.join(names)}, not {type(value).__name__}"
        return Invalid(message, self.type_hint(at))

    def type_hint(self, at: At) -> str:
        """Return how to write a value of this kind."""
        return at.syntax.quote.format(key=at.key)


class Text(Option[str]):
    """Text. Control characters are dropped and YAML's escaped surrogate pairs joined; a one-line
    text has its line breaks folded to spaces, with a warning. Each kind of text below says what
    is wrong with one (``problem``); the empty text is none, where ``optional``."""

    one_line: ClassVar[bool] = False
    optional = True
    HINT: ClassVar[str] = ""

    def __init__(
        self, default: str, doc: str, *, hint: str = "", blank: str = "", **kw: Any
    ) -> None:
        super().__init__(default, doc, **kw)
        #: The fix for a text of this kind that is wrong, and for a blank one (empty: fine).
        self.hint, self.blank = hint or self.HINT, blank

    def run_validation(self, value: str, at: At) -> str:
        value = plain(value)
        if self.one_line and LINE_BREAKS.search(value):
            hint = f"write `{at.key}` on one line (the line break was replaced by a space)"
            at.warn("holds a line break; it is shown on one line", hint)
            value = LINE_BREAKS.sub(" ", value).strip()
        if self.blank and not value.strip():
            raise Invalid("is empty", self.blank)
        message = self.problem(value, at) if value or not self.optional else None
        if message:
            raise Invalid(message, self.hint)
        return value

    def problem(self, value: str, at: At) -> str | None:
        """Return what is wrong with ``value`` (or raise ``Invalid``), or None."""
        return None


def plain(value: str) -> str:
    """Return text without control characters, YAML's escaped surrogate pairs joined."""
    value = CONTROL.sub("", value)
    if SURROGATE.search(value):
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
        if SURROGATE.search(value):
            raise Invalid(
                "holds a lone surrogate escape (\\uD800 to \\uDFFF), which is no character",
                "write the character itself, or its \\U0001XXXX escape",
            )
    return value


class OneLine(Text):
    """Text shown on one line: a name, a title, a header."""

    one_line = True
    KIND = "one line of text"


class URL(Text):
    """An absolute http(s) address."""

    KIND = "http(s) URL"

    def problem(self, value: str, at: At) -> str | None:
        return None if is_web_url(value) else f"{shown(value)} is not an absolute http(s) URL"


class SiteURL(URL):
    """Where the site is published: an http(s) address without query or fragment, returned with
    its host in punycode and a closing slash."""

    optional = False

    def run_validation(self, value: str, at: At) -> str:
        value = super().run_validation(value, at)
        try:
            ascii_value = ascii_url(value)
        except UnicodeError:
            hint = "check the spelling of the domain"
            raise Invalid(f"the host of {shown(value)} is not a valid host name", hint) from None
        if urlsplit(value).query or urlsplit(value).fragment:
            raise Invalid("must not have a query or fragment", "remove everything from ? or # on")
        return ascii_value if ascii_value.endswith("/") else ascii_value + "/"


class HeaderURL(Text):
    """One https:// address for an email header: no spaces, commas or angle brackets."""

    KIND = "https:// URL"

    def problem(self, value: str, at: At) -> str | None:
        if ENCODED_WORD in value:
            raise Invalid(f"{shown(value)} holds {ENCODED_WORD_WHY}", "write its ? as %3F")
        breaks = any(ch in URL_BREAKERS or ch.isspace() for ch in value)
        if value.startswith("https://") and is_web_url(value) and not breaks:
            return None
        return f"{shown(value)} is not one https:// URL"


class Image(Text):
    """An image: an http(s) address, or the path of an image file (inside the folder, when it
    is known); its content is read when the image is made."""

    one_line = True
    KIND = "image file or http(s) URL"

    def problem(self, value: str, at: At) -> str | None:
        image = value.strip()
        if has_scheme(image):
            return (
                None if is_web_url(image) else f"{shown(value)} is neither a web address nor a file"
            )
        if image and at.folder is not None:
            folder = at.folder.resolve()
            file = (folder / image).resolve()
            if not file.is_relative_to(folder) or not file.is_file():
                hint = "put the image in your newsletter folder, or give its https:// URL"
                raise Invalid(f"{shown(value)} is not a file in this folder", hint)
        return None


class File(Text):
    """The path of a file, from the folder of the file that names it."""

    KIND = "file path"

    def problem(self, value: str, at: At) -> str | None:
        missing = at.folder is not None and not (at.folder / value).is_file()
        return f"{shown(value)} is not a file" if missing else None


class Email(Text):
    """One email address (an addr-spec; non-ASCII allowed)."""

    KIND = "email address"

    def problem(self, value: str, at: At) -> str | None:
        why = "it starts with mailto:" if value.startswith("mailto:") else address_problem(value)
        if not why and ENCODED_WORD in value:
            why = f"it holds {ENCODED_WORD_WHY}"
        return f"{shown(value)} is not an email address: {why}" if why else None


class MergeTag(Text):
    """An email service's merge tag or a link, written into the email as it is."""

    KIND = "merge tag or URL"
    HINT = "use the merge tag exactly as your email service documents it"

    def problem(self, value: str, at: At) -> str | None:
        bad = '"' in value or "\n" in value
        return "must not contain double quotes or line breaks" if bad else None


class Colour(Text):
    """A colour as #rgb or #rrggbb; an optional one may be empty (it is derived)."""

    KIND = "colour (#rgb or #rrggbb)"
    HINT = 'write it as #rgb or #rrggbb, e.g. "#1f2328"'

    def __init__(self, default: str, doc: str, *, optional: bool = False) -> None:
        super().__init__(default, doc)
        self.optional = optional

    def problem(self, value: str, at: At) -> str | None:
        return None if HEX_COLOUR.fullmatch(value) else f"{shown(value)} is not a colour"


class LanguageTag(Text):
    """A BCP 47 language tag: en, fr, pt-BR... (it names the folder of the theme's words in that
    language: nothing else passes, no ``/``, no ``..``); an optional one may be empty."""

    KIND = "language tag (BCP 47)"
    HINT = 'use a BCP 47 tag such as "en", "fr" or "pt-BR"'

    def __init__(self, default: str, doc: str, *, optional: bool = False, **kw: Any) -> None:
        super().__init__(default, doc, **kw)
        self.optional = optional

    def problem(self, value: str, at: At) -> str | None:
        if len(value) <= MAX_LANGUAGE_TAG and LANGUAGE_TAG.fullmatch(value):
            return None
        return f"{shown(value)} is not a language tag"


class TimeZone(Text):
    """An IANA time zone name: UTC, Europe/Berlin..."""

    optional = False
    KIND = "time zone (IANA)"
    HINT = 'use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"'

    def problem(self, value: str, at: At) -> str | None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "File name too long"
            guess = did_you_mean(value, available_timezones(), "'") if value else ""
            return f"{shown(value)} is not a known time zone{guess}"
        return None


class Choice(Text):
    """One of a few words; an optional one may be empty."""

    def __init__(
        self,
        default: str,
        doc: str,
        *,
        choices: Sequence[str],
        hint: str,
        what: str = "",
        optional: bool = False,
    ) -> None:
        super().__init__(default, doc, hint=hint)
        self.choices, self.what, self.optional = choices, what, optional

    def kind(self) -> str:
        return "one of " + ", ".join(self.choices) + (" (or empty)" if self.optional else "")

    def problem(self, value: str, at: At) -> str | None:
        if value in self.choices:
            return None
        guess = did_you_mean(value, self.choices, "'") if value else ""
        return f"{shown(value)} is not {self.what or 'one of ' + ', '.join(self.choices)}{guess}"


class Slug(OneLine):
    """One URL path segment and folder name; empty: derived."""

    KIND = "URL slug"
    HINT = "use letters, digits and hyphens, e.g. `slug: grain-corridor`"

    def problem(self, value: str, at: At) -> str | None:
        why = slug_problem(value)
        if why is not None:
            message = f"slug {shown(value, MAX_SLUG)} cannot be a URL path segment: it {why}"
            raise Invalid(message, self.hint, whole=True)
        return None


class Integer(Option[int]):
    """A whole number from ``low`` (to ``high``)."""

    types = (int,)

    def __init__(
        self, default: int, doc: str, *, hint: str, low: int = 1, high: int = 0, what: str = ""
    ) -> None:
        super().__init__(default, doc)
        self.hint, self.low, self.high, self.what = hint, low, high, what

    def kind(self) -> str:
        return (
            f"whole number, {self.low} to {self.high}"
            if self.high
            else f"whole number ≥ {self.low}"
        )

    def run_validation(self, value: int, at: At) -> int:
        if value < self.low or (self.high and value > self.high):
            message = f"{value} is not {self.what}" if self.what else f"must be {self.low} or more"
            raise Invalid(message, self.hint)
        return value

    def type_hint(self, at: At) -> str:
        return f"write a number without quotes: {at.key} = {self.default}"


class Flag(Option[bool]):
    """True or false."""

    types = (bool,)
    KIND = "true or false"

    def type_hint(self, at: At) -> str:
        return f"write `{at.key}: true` or `{at.key}: false`"


class Switch(Flag):
    """True or false, in the settings."""

    def type_hint(self, at: At) -> str:
        return f"write true or false without quotes: {at.key} = true"


class Hosts(Option[tuple[str, ...]]):
    """A list of host names (``example.org``), each with its subdomains, in lower case."""

    types = (list,)
    KIND = "list of host names"

    def run_validation(self, value: list[Any], at: At) -> tuple[str, ...]:
        hosts = []
        for item in value:
            host = item.strip().lower().rstrip(".") if isinstance(item, str) else ""
            if not host or any(c in host for c in "/:@ \t"):
                raise Invalid(f"{shown(item)} is not a host name", self.type_hint(at), whole=True)
            hosts.append(host)
        return tuple(hosts)

    def type_hint(self, at: At) -> str:
        return f'write host names without https:// or paths: {at.key} = ["example.org"]'


class Date(Option["dt.datetime | None"]):
    """A date (YYYY-MM-DD) or an ISO 8601 date-time; without a zone, a naive date-time."""

    types = (str, dt.date)
    KIND = "date or date-time (ISO 8601)"
    HINT = "write the date as YYYY-MM-DD, e.g. `date: 2025-07-15`, or 2025-07-15T08:00:00+02:00"

    def run_validation(self, value: str | dt.date, at: At) -> dt.datetime:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise Invalid(f"{shown(value)} is not a date", self.HINT, whole=True) from None
        if isinstance(value, dt.datetime):
            return value
        return dt.datetime(value.year, value.month, value.day)


class TextList(Option[tuple[str, ...]]):
    """A list of non-empty texts, e.g. tags."""

    types = (list,)
    KIND = "list of text"

    def __init__(self, doc: str, *, item: str, example: str) -> None:
        super().__init__((), doc)
        self.item, self.example = item, example

    def run_validation(self, value: list[Any], at: At) -> tuple[str, ...]:
        texts = [plain(t) if isinstance(t, str) else t for t in value]
        if not all(isinstance(t, str) and t.strip() for t in texts):
            message = f"every {self.item} must be a non-empty string"
            raise Invalid(message, f"write `{at.key}: {self.example}`", whole=True)
        return tuple(t.strip() for t in texts)

    def type_hint(self, at: At) -> str:
        return f"write a list: `{at.key}: {self.example}`"


class Ids(Option[tuple[int | str, ...]]):
    """A list of an outside service's ids: whole numbers or texts, e.g. ``[3, 4]``."""

    types = (list,)
    KIND = "list of ids (whole numbers or text)"

    def __init__(self, doc: str, *, example: str) -> None:
        super().__init__((), doc)
        self.example = example

    def run_validation(self, value: list[Any], at: At) -> tuple[int | str, ...]:
        ids = [plain(v).strip() if isinstance(v, str) else v for v in value]
        good = all(
            (isinstance(v, str) and v and not LINE_BREAKS.search(v))
            or (isinstance(v, int) and not isinstance(v, bool) and v > 0)
            for v in ids
        )
        if not good:
            hint = f"write the ids in a list: {at.key} = {self.example}"
            raise Invalid("every id must be a whole number above 0 or a non-empty text", hint)
        return tuple(ids)

    def type_hint(self, at: At) -> str:
        return f"write a list: {at.key} = {self.example}"


class Point(Option[tuple[float, float]]):
    """A point of an image: two fractions across and down (text "x, y" or a list)."""

    types = (str, list)
    KIND = "two fractions, across and down"

    def run_validation(self, value: str | list[Any], at: At) -> tuple[float, float]:
        if value == "":
            return self.default
        hint = (
            f"give two fractions across and down, e.g. `{at.key}: 0.5, 0.3` (0.5, 0.5 is the "
            "centre)"
        )
        parts = value.split(",") if isinstance(value, str) else value
        if not all(isinstance(p, SCALARS) for p in parts):  # (never formatted)
            raise Invalid("must be two fractions, not a list of lists or tables", hint)
        x = y = -1.0
        if len(parts) == 2 and not any(type(p) is bool for p in parts):
            with contextlib.suppress(ValueError, TypeError):  # TypeError: None
                x, y = (float(p) for p in parts)
        if 0 <= x <= 1 and 0 <= y <= 1:
            return x, y
        raise Invalid(f"{shown(value)} is not a point of the image", hint)
