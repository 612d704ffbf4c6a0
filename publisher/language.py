"""Languages: the locale of an issue (dates, direction) and its quotation marks and spacing.

An issue is in the newsletter's ``language`` unless its front matter says otherwise. Dates come
from Babel (CLDR); quotation marks come from CLDR's delimiters (Babel does not carry them), and
French gets its narrow no-break spaces.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

#: Double quotes open and close, single quotes open and close (CLDR's delimiters), by language.
QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("“", "”", "‘", "’"),
    "fr": ("«\u202f", "\u202f»", "“", "”"),
    "de": ("„", "“", "‚", "‘"),
    "es": ("«", "»", "“", "”"),
    "it": ("«", "»", "“", "”"),
    "pt": ("“", "”", "‘", "’"),
    "pt-pt": ("«", "»", "“", "”"),
    "nl": ("“", "”", "‘", "’"),
    "pl": ("„", "”", "«", "»"),
    "ja": ("「", "」", "『", "』"),
    "zh": ("“", "”", "‘", "’"),
    "zh-hant": ("「", "」", "『", "』"),
    "ko": ("“", "”", "‘", "’"),
    "ar": ("”", "“", "’", "‘"),
    "he": ("”", "”", "’", "’"),
    "fa": ("«", "»", "‹", "›"),
    "ur": ("”", "“", "’", "‘"),
    "ru": ("«", "»", "„", "“"),
    "uk": ("«", "»", "„", "“"),
    "cs": ("„", "“", "‚", "‘"),
    "sk": ("„", "“", "‚", "‘"),
    "da": ("“", "”", "‘", "’"),
    "sv": ("”", "”", "’", "’"),
    "nb": ("«", "»", "‘", "’"),
    "no": ("«", "»", "‘", "’"),
    "fi": ("”", "”", "’", "’"),
    "tr": ("“", "”", "‘", "’"),
    "el": ("«", "»", "“", "”"),
    "hu": ("„", "”", "»", "«"),
    "ro": ("„", "”", "«", "»"),
}


@dataclass(frozen=True)
class Language:
    """What rendering needs to know of a language tag (``fr``, ``pt-BR``, ``ar``)."""

    #: The tag as written in the settings or the front matter.
    tag: str
    #: Babel's locale for it (international English for a bare ``en``), or None if unknown.
    locale: Locale | None
    #: ``rtl`` or ``ltr``.
    direction: str


def base_language(tag: str) -> str:
    """Return the language of ``tag`` without its region or script (``pt`` of ``pt-BR``)."""
    return (tag.strip() or "en").split("-")[0].lower()


@lru_cache(maxsize=64)
def marks(tag: str) -> tuple[tuple[str, str, str, str], bool]:
    """Return the quotation marks of ``tag``'s language, and whether it is French (a narrow
    no-break space before ; : ! ? and inside « »): what typesetting needs, without loading
    Babel's locale data."""
    lower = _lower(tag)
    base = lower.split("-")[0]
    quotes = QUOTES.get(lower) or QUOTES.get(_script_key(lower)) or QUOTES.get(base) or QUOTES["en"]
    return quotes, base == "fr"


@lru_cache(maxsize=64)
def language(tag: str) -> Language:
    """Return the language of ``tag``; an unknown one renders its dates in English."""
    from babel import Locale, UnknownLocaleError

    tag = tag.strip() or "en"
    lower = _lower(tag)
    base = lower.split("-")[0]
    try:
        # A bare "en" is international English (15 July 2025), as CLDR's en_001 writes it.
        locale: Locale | None = (
            Locale("en", "001") if lower == "en" else Locale.parse(lower, sep="-")
        )
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            locale = Locale.parse(base)
        except (UnknownLocaleError, ValueError, TypeError):
            locale = None
    rtl = locale is not None and locale.character_order == "right-to-left"
    return Language(tag, locale, "rtl" if rtl else "ltr")


def _lower(tag: str) -> str:
    """Return ``tag`` in lower case with hyphens (``pt-br`` of ``pt_BR``), English if empty."""
    return (tag.strip() or "en").lower().replace("_", "-")


def _script_key(lower: str) -> str:
    """Return ``zh-hant`` for Traditional Chinese tags (zh-TW, zh-HK), else the tag."""
    if lower.startswith("zh-") and lower.split("-")[1] in ("tw", "hk", "mo", "hant"):
        return "zh-hant"
    return lower


def is_known(tag: str) -> bool:
    """Return whether Babel knows the language of ``tag`` (its dates are localised)."""
    return language(tag).locale is not None


#: Babel's names of date formats; anything else is a CLDR pattern such as ``d MMMM y``.
DATE_FORMATS = ("short", "medium", "long", "full")


def format_date(date: dt.date, tag: str, pattern: str = "long") -> str:
    """Return ``date`` for people, in the language of ``tag`` (Babel; English if unknown)."""
    from babel.dates import format_date as babel_format

    locale = language(tag).locale
    return str(babel_format(date, pattern or "long", locale=locale or "en_001"))


def folder_name(tag: str) -> str:
    """Return the folder of a language's archive and feeds: the tag in lower case with hyphens
    (``fr``, ``pt-br`` of ``pt-BR`` or ``pt_BR``)."""
    return _lower(tag)


@lru_cache(maxsize=64)
def display_name(tag: str) -> str:
    """Return the language of ``tag`` named in itself (``Français``, ``Deutsch``), its first
    letter a capital, as a list of languages shows it; the tag itself when Babel knows none."""
    locale = language(tag).locale
    if locale is not None and _lower(tag) == "en":
        from babel import Locale

        locale = Locale("en")  # "English", not international English's "English (world)"
    name = locale.get_display_name(locale) if locale is not None else None
    return name[:1].upper() + name[1:] if name else tag
