"""Read ``newsletter.toml``: every setting checked against the schema, every problem at its line."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

from publisher.config.place import At, Remark, Syntax
from publisher.config.schema import SETTINGS, Config
from publisher.errors import Problem, PublisherError, warn
from publisher.paths import SETTINGS_FILE

#: How the settings file words a problem at one of its keys.
TOML = Syntax(
    error="setting `{label}`: {message}",
    warning="setting `{label}` {message}",
    unknown="unknown setting `{label}` is ignored",
    quote='put the value in double quotes: {key} = "..."',
    missing="add a line {key} = ...",
    names={str: "a string", int: "a whole number", bool: "true or false", dict: "a table"},
)


def load_config(root: Path) -> Config:
    """Read and validate ``root/newsletter.toml``; without one, return the defaults."""
    path = root / SETTINGS_FILE
    if not path.is_file():
        hint = "run `publisher init` to create one"
        warn(Problem("not found; using default settings", Path(SETTINGS_FILE), hint=hint))
        return Config()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PublisherError.at(
            "settings are not UTF-8 text", path, hint="save the file as UTF-8"
        ) from exc
    data = _parse_toml(text, path)
    at = At(TOML, folder=path.parent)
    config = dataclasses.replace(SETTINGS.validate(data, at), path=path)
    for remark in at.warnings:
        warn(_placed(remark, text, path))
    if at.errors:
        problems = [_placed(remark, text, path) for remark in at.errors]
        raise PublisherError(sorted(problems, key=lambda p: p.line or 0))
    return config


def _parse_toml(text: str, path: Path) -> dict[str, object]:
    """Return the settings file's TOML, or raise the problem at its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        where = r"\s*\(at (line \d+, column \d+|end of document)\)"
        raise PublisherError.at(
            f"settings are not valid TOML: {re.sub(where, '', str(exc))}",
            path,
            int(found.group(1)) if found else None,
            hint="see https://toml.io for the syntax; strings need double quotes",
        ) from exc
    except RecursionError:  # tomllib recurses once a level: x = [[[[...]]]] or {a = {a = ...}}
        raise PublisherError.at(
            "settings are not valid TOML: lists or tables nested too deeply to read",
            path,
            hint="nest lists and tables a few levels at most; no setting takes more than one",
        ) from None
    except ValueError as exc:  # an integer of thousands of digits, which Python will not read
        raise PublisherError.at(
            "settings are not valid TOML: a number too long to read",
            path,
            hint="a TOML integer has at most 19 digits; put a long code in double quotes",
        ) from exc


def _placed(remark: Remark, text: str, path: Path) -> Problem:
    """Return ``remark`` as a problem at its line of the settings file."""
    *table, key = remark.path
    if table:
        line = key_line(text, table[0], key)
    else:
        line = key_line(text, None, key) or key_line(text, key, None)
    return Problem(remark.message, path, line, remark.hint)


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
