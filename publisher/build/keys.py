"""The keys of what a build makes: a key changes exactly when something the output is made
from changes, so an unchanged key means the cached rendering or the old file can serve again.

- the *base key* covers publisher's own code and version, the libraries that shape the output,
  the settings' values (but those only ``send`` or only the web pages read) and every theme file
  but the web pages' own (their bytes);
- the *web keys* cover what the web pages, the stylesheet and the feeds are made from beside
  the renderings: so a page template edit renders no email again, and an email template edit
  writes no page again;
- the *load key* covers the code and the settings an issue's front matter loads with;
- an issue's *render key* covers the base key, its file and every local file it shows.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from publisher import __version__
from publisher.config import (
    LOGOS,
    PUSH,
    SEND,
    WEB_PAGES,
    Config,
    logo_file,
    settings_text,
    tables_read_by,
)
from publisher.model.frontmatter import SETTINGS_READ

#: Bumped when what the cache holds changes shape.
FORMAT = 12

#: Libraries whose version changes what a build writes.
LIBRARIES = (
    "mjml",
    "css_inline",
    "markdown_it",
    "mdit_py_plugins",
    "linkify_it",
    "nh3",
    "jinja2",
    "PIL",
    "feedgen",
    "yaml",
    # Dates and their languages, slugs, HEIC photos, the feeds' XML, links' URLs.
    "babel",
    "tzdata",
    "anyascii",
    "pillow_heif",
    "lxml",
    "mdurl",
)
#: The libraries that read pictures.
PICTURES = ("PIL", "pillow_heif")

#: The theme's files that only the web pages read: editing them renders no email again.
WEB_ONLY = {"base.html.j2", "index.html.j2", "issue.html.j2", "tag.html.j2", "_list.html.j2",
            "style.css.j2"}  # fmt: skip
STYLESHEET = "style.css.j2"
#: The theme's files that only the emails read: editing them writes no web page again.
EMAIL_ONLY = {"email.mjml.j2", "email.txt.j2", "email.css.j2"}

#: What identifies a file's content without reading it: size, modification and change times,
#: and the file's identity (an edit always moves the change time).
Signature = tuple[int, int, int, int]


def signature(path: Path | str) -> Signature | None:
    """Return what identifies a file's content without reading it, or None if it is missing."""
    try:
        return signature_of(os.stat(path))
    except OSError:
        return None


def signature_of(st: os.stat_result) -> Signature:
    """Return ``signature`` from a file's status."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def digest(*parts: bytes | str) -> str:
    """Return the SHA-256 of ``parts``, each framed by its length."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def output_key(*parts: Any) -> str:
    """Return the key of an output from the reprs of what it depends on."""
    return digest(*(repr(p) for p in parts))


def render_key(base: str, path: str, sig: Signature, deps: Iterable[tuple[str, Any]]) -> str:
    """Return the key of one issue's rendering: the base key, its file, and what it shows."""
    return digest(base, path, repr(sig), repr(list(deps)))


def _web_only(relative: str) -> bool:
    return relative in WEB_ONLY or relative.startswith("assets/")


def base_key(config: Config, theme_dirs: list[Path], code: str) -> str:
    """Return the key of everything every issue's rendering depends on: not the web pages' own
    templates and settings, nor the settings only ``publisher send`` or ``push`` reads, unless
    an email template names them. ``code``: the ``code_key``."""
    parts: list[bytes | str] = [code]
    templates: list[bytes] = []
    for _, relative, text in _theme_files(theme_dirs, lambda relative: not _web_only(relative)):
        templates.append(text)
        parts += [relative, text]
    apart = {*tables_read_by(WEB_PAGES), *tables_read_by(SEND), *tables_read_by(PUSH)}
    read = [f.name for f in fields(Config) if f.name not in apart or _named(f.name, templates)]
    parts.append(settings_text(config, read))
    parts += _logos(config, LOGOS)  # the email names each by its content's digest
    return digest(*parts)


def _logos(config: Config, names: Iterable[str]) -> list[str]:
    """Return what identifies the content of the logo files the settings ``names`` give."""
    return [repr(signature(file)) for name in names if (file := logo_file(config, name))]


def load_key(config: Config, code: str) -> str:
    """Return the key of what loading an issue file depends on: publisher's code (``code``,
    the ``code_key``) and the settings the front matter reads; a theme edit keeps them."""
    return digest(code, settings_text(config, SETTINGS_READ))


def code_key() -> str:
    """Return the key of publisher's own code and version and the libraries it renders with."""
    parts: list[bytes | str] = [f"format {FORMAT}", __version__, sys.version]
    package = Path(__file__).parent.parent
    for source in sorted(package.rglob("*")):
        if source.is_file() and source.suffix in (".py", ".j2", ".mo"):
            parts += [str(source.relative_to(package)), source.read_bytes()]
    return digest(*parts, *_libraries(LIBRARIES))


class WebKeys(NamedTuple):
    """The keys of what the web pages, the stylesheet and the feeds are made from (beside
    the issues' renderings): none covers the emails' own templates."""

    pages: str
    style: str
    feeds: str


def web_keys(config: Config, theme_dirs: list[Path], code: str) -> WebKeys:
    """Return the keys of the web pages (every theme file but the emails' own and the
    stylesheet), of the stylesheet, and of the feeds (no theme file); each with the code
    (``code``) and the settings, but those only ``publisher send`` or ``push`` reads unless one
    of its templates names them."""

    def key(wanted: Callable[[str], bool], *extra: str) -> str:
        parts: list[bytes | str] = [code, *extra]
        templates: list[bytes] = []
        for folder, relative, text in _theme_files(theme_dirs, wanted):
            templates.append(text)
            parts += [str(folder), relative, text]
        send = (*tables_read_by(SEND), *tables_read_by(PUSH))
        read = [f.name for f in fields(Config) if f.name not in send or _named(f.name, templates)]
        parts.append(settings_text(config, read))
        return digest(*parts)

    # An issue page's structured data names the logo's published copy by its digest.
    logo = _logos(config, ["logo"])
    return WebKeys(
        pages=key(lambda relative: relative not in EMAIL_ONLY and relative != STYLESHEET, *logo),
        style=key(lambda relative: relative == STYLESHEET),
        feeds=key(lambda relative: False),
    )


@lru_cache(maxsize=1)
def pictures_key() -> str:
    """Return the key of what reading a picture finds in its bytes: the code that reads it
    and the libraries it reads with (a theme or settings edit keeps it)."""
    from publisher.render import images

    return digest(f"format {FORMAT}", Path(images.__file__).read_bytes(), *_libraries(PICTURES))


def _libraries(names: Iterable[str]) -> list[str]:
    """Return what identifies the installed version of each library of ``names``."""
    parts = []
    for name in names:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        parts += [name, repr(signature(origin) if origin else None)]
    return parts


def _theme_files(
    theme_dirs: list[Path], wanted: Callable[[str], bool]
) -> Iterator[tuple[Path, str, bytes]]:
    """Yield each theme folder's ``wanted`` files (by their relative name) and their bytes."""
    for folder in theme_dirs:
        for source in sorted(folder.rglob("*")):
            relative = source.relative_to(folder).as_posix()
            if source.is_file() and wanted(relative):
                yield folder, relative, source.read_bytes()


def _named(table: str, templates: list[bytes]) -> bool:
    """Return whether any of ``templates`` may read the settings table ``table``."""
    word = re.compile(rb"\b" + table.encode() + rb"\b")
    return any(word.search(text) for text in templates)
