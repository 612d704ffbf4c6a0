"""The theme's words in the reader's language: gettext catalogues, and the ``[strings]`` table.

Every fixed word of the bundled theme is a key (``unsubscribe``, ``view_online``...) looked up
with ``_("key")`` in the templates (Jinja's i18n extension; Babel extracts the keys) and
through ``Strings`` in code. A key is found, in order: in the settings' ``[strings]`` table,
in the catalogue of the issue's language (``publisher/locale/<lang>/LC_MESSAGES/publisher.po``,
shipped compiled as ``.mo``), and in the English one.

    python -m publisher.strings      # compile the catalogues after editing a .po file
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "publisher"


def _candidates(tag: str) -> list[str]:
    """Return the catalogue names to try for a language tag: ``pt-BR`` → ``pt_BR``, ``pt``."""
    parts = tag.strip().replace("-", "_").split("_")
    base = parts[0].lower()
    full = "_".join([base, *(p.upper() if len(p) == 2 else p.title() for p in parts[1:])])
    return list(dict.fromkeys([full, base]))


@lru_cache(maxsize=32)
def catalogue(tag: str) -> gettext_module.GNUTranslations | None:
    """Return the catalogue of the language ``tag``, or None when none ships."""
    for name in _candidates(tag):
        path = LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if path.is_file():
            with path.open("rb") as handle:
                return gettext_module.GNUTranslations(handle)
    return None


def has_catalogue(tag: str) -> bool:
    """Return whether the theme's words are translated into the language ``tag``."""
    return catalogue(tag) is not None


def english() -> gettext_module.GNUTranslations:
    found = catalogue("en")
    assert found is not None, "the English catalogue ships with publisher"
    return found


def known_keys() -> list[str]:
    """Return every key of the theme's words (the English catalogue's), sorted."""
    keys = english()._catalog  # type: ignore[attr-defined]
    return sorted({k[0] if isinstance(k, tuple) else k for k in keys} - {""})


def languages() -> list[str]:
    """Return the languages with a catalogue."""
    return sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


class Strings:
    """The theme's words for one language, with the settings' overrides."""

    def __init__(self, tag: str, overrides: Mapping[str, str] | None = None) -> None:
        self.tag = tag
        self.overrides = dict(overrides or {})
        self.own = catalogue(tag)

    def gettext(self, key: str, **values: Any) -> str:
        """Return the words of ``key``, with ``%(name)s`` placeholders filled from ``values``."""
        text = self.overrides.get(key)
        if text is None:
            text = self._lookup(key)
        return text % values if values else text

    def ngettext(self, key: str, plural: str, n: int, **values: Any) -> str:
        """Return the words of ``key`` for ``n`` things (the language's plural rules)."""
        values.setdefault("num", n)
        text = self.overrides.get(key if n == 1 else plural)
        if text is None:
            source = self.own if self.own is not None and self._has(self.own, key) else english()
            text = source.ngettext(key, plural, n)
        return text % values

    def _lookup(self, key: str) -> str:
        if self.own is not None and self._has(self.own, key):
            return self.own.gettext(key)
        return english().gettext(key)

    @staticmethod
    def _has(found: gettext_module.GNUTranslations, key: str) -> bool:
        catalog = found._catalog  # type: ignore[attr-defined]
        return key in catalog or (key, 0) in catalog

    @property
    def colon(self) -> str:
        """Return the colon after a label, as the language sets it (French: a narrow no-break
        space before it; Japanese and Chinese: the full-width one)."""
        from publisher.language import base_language

        base = base_language(self.tag)
        return "\u202f:" if base == "fr" else "：" if base in ("ja", "zh") else ":"

    def template_functions(self) -> dict[str, Any]:
        """Return what templates use: ``_``, ``gettext``, ``ngettext`` and ``colon``."""
        return {
            "_": self.gettext,
            "gettext": self.gettext,
            "ngettext": self.ngettext,
            "colon": self.colon,
        }


def compile_catalogues() -> list[Path]:
    """Compile every ``.po`` catalogue into its ``.mo``; return the ``.mo`` files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(path.relative_to(LOCALE_DIR.parent.parent))
