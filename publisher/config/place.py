"""Where a value is checked, and what the checks found: worded the way its file's writer reads."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from publisher.errors import closest

#: How many characters of a value a message quotes: enough to know it by, never a whole file.
QUOTED = 80
#: Values a message may quote: each is written out in a few characters (a YAML alias can make a
#: list of lists billions of items long, in a few hundred bytes).
SCALARS = (str, int, float, bool, type(None))


class Invalid(Exception):
    """A value an option refuses: what is wrong and how to fix it; ``key`` names the key of a
    table it is at, ``whole`` says the message names the value itself (no key before it)."""

    def __init__(self, message: str, hint: str, *, key: str = "", whole: bool = False) -> None:
        super().__init__(message)
        self.message, self.hint, self.key, self.whole = message, hint, key, whole


@dataclass(frozen=True)
class Syntax:
    """How one kind of file words a problem at one of its keys ({label}, {key}, {message})."""

    error: str
    warning: str
    unknown: str
    #: The fix for a value of the wrong type, and for a required key that is missing.
    quote: str
    missing: str
    #: Each type as the file's writers know it.
    names: Mapping[type, str]


@dataclass(frozen=True)
class Remark:
    """One problem, worded, at a key path (placed at its line by the file's loader)."""

    path: tuple[str, ...]
    message: str
    hint: str


@dataclass(frozen=True)
class At:
    """Where a value is checked: its file's syntax, the folder relative paths start from (None:
    paths are not looked at), its key path; and the errors and warnings the checks found."""

    syntax: Syntax
    folder: Path | None = None
    path: tuple[str, ...] = ()
    errors: list[Remark] = field(default_factory=list)
    warnings: list[Remark] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Return the key itself (the last of the path)."""
        return self.path[-1] if self.path else ""

    @property
    def label(self) -> str:
        """Return the dotted key path, as messages show it (a long key cut short)."""
        return cut(".".join(self.path))

    def child(self, key: str) -> At:
        """Return the place of ``key`` inside this table."""
        return dataclasses.replace(self, path=(*self.path, key))

    def fail(self, problem: Invalid) -> None:
        """Record an error here, or at ``problem.key`` inside this table."""
        at = self.child(problem.key) if problem.key else self
        text = problem.message
        if not problem.whole:
            text = self.syntax.error.format(label=at.label, message=text)
        self.errors.append(Remark(at.path, text, problem.hint))

    def warn(self, message: str, hint: str, whole: bool = False) -> None:
        """Record a warning here: the value is used changed, or not at all."""
        text = message if whole else self.syntax.warning.format(label=self.label, message=message)
        self.warnings.append(Remark(self.path, text, hint))


def did_you_mean(name: str, names: Iterable[str], quote: str = "`") -> str:
    """Return "; did you mean `x`?" for the name most like ``name``, or nothing."""
    close = closest(name, names, n=1)
    return f"; did you mean {quote}{close[0]}{quote}?" if close else ""


def cut(text: str, limit: int = QUOTED) -> str:
    """Return ``text``, cut at ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[:limit] + "…"


def shown(value: object, limit: int = QUOTED) -> str:
    """Return ``value`` as a message quotes it: a text, a number or a flat list of them as
    Python writes it, cut at ``limit`` characters; anything else (a list of lists, a table)
    by its type alone, never formatted."""
    if isinstance(value, str):
        return repr(cut(value, limit))
    if isinstance(value, SCALARS):
        return cut(repr(value), limit)
    if (
        isinstance(value, list)
        and len(value) <= limit
        and all(isinstance(v, SCALARS) for v in value)
    ):
        return cut("[" + ", ".join(shown(v, limit) for v in value) + "]", limit)
    return f"a {type(value).__name__}"
