"""The one exception family for a user's mistakes: shown as a message and exit status 1."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging


class _Log:
    """The ``publisher`` logger, loaded on first use: ``--help`` needs no logging."""

    def __getattr__(self, name: str) -> Any:
        return getattr(logger(), name)


def logger() -> logging.Logger:
    """Return the ``publisher`` logger."""
    import logging

    return logging.getLogger("publisher")


log = _Log()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input: where it is, what it is, and how to fix it."""

    message: str
    file: Path | None = None
    line: int | None = None
    hint: str | None = None

    def format(self, root: Path | None = None) -> str:
        """Return ``file:line: message`` with the fix on an indented second line."""
        where = ""
        if self.file is not None:
            where = display_path(self.file, root)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class PublisherError(Exception):
    """A user error: one or more problems with the newsletter folder, none of them our bug."""

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        self.problems: list[Problem] = (
            [problems] if isinstance(problems, Problem) else list(problems)
        )
        super().__init__("\n".join(p.format() for p in self.problems))

    @classmethod
    def at(
        cls,
        message: str,
        file: Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> PublisherError:
        """Build an error holding a single problem."""
        return cls(Problem(message, file, line, hint))

    def format(self, root: Path | None = None) -> str:
        """Return every problem, one block each, paths shown relative to ``root``."""
        return "\n".join(f"error: {p.format(root)}" for p in self.problems)


def display_path(path: Path, root: Path | None) -> str:
    """Show ``path`` relative to ``root`` (the working folder by default) when it lies inside it."""
    text, base = str(path), str(root) if root is not None else ""
    if len(base) > 1 and base[0] == "/" and text.startswith(base + "/"):  # the usual case
        return text[len(base) + 1 :]
    try:  # absolute(), not resolve(): show the path the user knows, links and all
        return str(path.absolute().relative_to((root or Path.cwd()).absolute()))
    except (ValueError, OSError):
        return str(path)


_collected: ContextVar[list[Problem] | None] = ContextVar("publisher_warnings", default=None)


def warn(problem: Problem) -> None:
    """Report a problem that does not stop the work: logged, or collected by ``collecting``."""
    sink = _collected.get()
    if sink is None:
        log.warning("%s", problem.format())
    else:
        sink.append(problem)


@contextlib.contextmanager
def collecting() -> Iterator[list[Problem]]:
    """Collect the warnings raised in this thread instead of logging them."""
    problems: list[Problem] = []
    token = _collected.set(problems)
    try:
        yield problems
    finally:
        _collected.reset(token)


def closest(name: str, names: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Return the names most like ``name`` (as git suggests a command), best first."""
    import difflib

    return difflib.get_close_matches(name, list(dict.fromkeys(names)), n=n, cutoff=cutoff)
