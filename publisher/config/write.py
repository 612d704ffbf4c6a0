"""The schema written out: the documented settings file ``init`` writes, and the reference."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from publisher.config.options import Option
from publisher.config.schema import PUSH, SEND, SETTINGS, WEB_PAGES
from publisher.config.tables import Table, TextMap

HEADER = [
    "# Settings of this newsletter. Every key is optional; its default is shown.",
    "# Files to publish as they are at the site's root (CNAME, favicon.ico, robots.txt,",
    "# .well-known/...) go in the folder static/ beside this file, e.g. static/CNAME.",
    "",
]
READERS = {
    WEB_PAGES: "Only the web pages and feeds read it: a change renders no email again.",
    SEND: "Only `publisher send` reads it.",
    PUSH: "Only `publisher push` reads it.",
}


def settings_template(**values: str) -> str:
    """Return a ``newsletter.toml`` that sets ``values`` and documents every other key's default."""
    lines = list(HEADER)
    for key, option in _scalars(SETTINGS.options):
        lines += [f"# {option.doc}", _assignment(key, key, option, values), ""]
    for key, option in _tables(SETTINGS.options):
        lines.append(f"[{key}]  # {option.doc}")
        if isinstance(option, TextMap):
            lines.append(f"# {option.example}")
        else:
            for name, inner in option.options.items():
                lines += [f"# {inner.doc}", _assignment(name, f"{key}.{name}", inner, values)]
        lines.append("")
    return "\n".join(lines[:-1]) + "\n"


def settings_reference() -> str:
    """Return the settings reference (Markdown): every table and key, its kind, default and doc."""
    lines = [
        "# Settings reference",
        "",
        "<!-- Generated from publisher/config/schema.py: PUBLISHER_UPDATE_GOLDEN=1 pytest "
        "tests/test_reference.py -->",
        "",
        "`newsletter.toml` holds a newsletter's settings, in TOML. Every key is optional; "
        "`publisher init` writes a file that shows each one with its default. A value that "
        "cannot be used is an error at its line, and a key publisher does not know a warning; "
        "all of them are reported at once.",
        "",
        "## Top-level keys",
        "",
        *_settings_table(_scalars(SETTINGS.options)),
    ]
    for key, option in _tables(SETTINGS.options):
        lines += ["", f"## `[{key}]`", ""]
        if isinstance(option, TextMap):
            keys = option.known() if option.known else []
            lines += [option.doc, "", f"Keys: {', '.join(keys)}." if keys else "Keys of your own."]
            lines += ["", "```toml", f"[{key}]", option.example, "```"]
            continue
        lines.append(" ".join((option.cls.__doc__ or option.doc).replace("``", "`").split()))
        if option.read_by:
            lines += ["", READERS[option.read_by]]
        lines += ["", *_settings_table(option.options.items())]
    return "\n".join(lines) + "\n"


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    """Return the lines of a Markdown table."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _settings_table(options: Iterable[tuple[str, Option[Any]]]) -> list[str]:
    rows = [
        [f"`{key}`", option.kind(), f"`{_toml_value(option.default)}`", option.doc]
        for key, option in options
    ]
    return markdown_table(["key", "kind", "default", "meaning"], rows)


def _scalars(options: Mapping[str, Option[Any]]) -> list[tuple[str, Option[Any]]]:
    return [(k, o) for k, o in options.items() if not isinstance(o, (Table, TextMap))]


def _tables(options: Mapping[str, Option[Any]]) -> list[tuple[str, Any]]:
    return [(k, o) for k, o in options.items() if isinstance(o, (Table, TextMap))]


def _assignment(key: str, dotted: str, option: Option[Any], values: Mapping[str, str]) -> str:
    prefix = "" if dotted in values else "# "
    return f"{prefix}{key} = {_toml_value(values.get(dotted, option.default))}"


def _toml_value(value: str | int | tuple[str | int, ...]) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
