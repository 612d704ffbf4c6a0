"""How deeply markup nests, bounded before MJML sees it.

mjml-python (Rust) recurses once per nested element: with the main thread's 8 MB stack it
overflows, killing the process with a segmentation fault, at about 9,000 nested HTML elements
in an ``mj-text`` and 1,800 nested MJML components (``mj-wrapper``). An issue's markup stays
under ``MAX_DEPTH``, the whole email under ``MAX_EMAIL_DEPTH``: no real newsletter comes near
either, and both leave a wide margin on a smaller stack (a thread's, on some systems).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from markdown_it.token import Token

from publisher.errors import Problem, PublisherError

#: The most elements an issue's markup may hold inside one another (emphasis, links, raw HTML
#: tags, block quotes and lists).
MAX_DEPTH = 100
#: The most elements the whole MJML document may hold inside one another: the theme's own
#: nesting plus the issue's.
MAX_EMAIL_DEPTH = 2 * MAX_DEPTH

#: A tag: whether it ends one, its name, and what follows up to its ``>``.
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)([^>]*)>")
#: A comment, skipped whole: Outlook's conditional comments hold unbalanced tags.
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
#: HTML elements that never hold others.
VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)


def too_deep(markup: str, limit: int) -> str | None:
    """Return the first tag of ``markup`` nested more than ``limit`` deep, or None. One pass,
    no recursion: it must not overflow on what it is there to catch."""
    if markup.count("<") <= limit:  # too few tags: most fragments
        return None
    if "<!--" in markup:
        markup = _COMMENT.sub("", markup)
    stack: list[str] = []
    for match in _TAG.finditer(markup):
        closing, name, rest = match.groups()
        if rest.endswith("/"):
            continue
        name = name.lower()
        if closing:
            if name in stack:  # an end tag closes what it closes, as parsers do
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
        elif name not in VOID:
            stack.append(name)
            if len(stack) > limit:
                return match.group()
    return None


class TooDeep(PublisherError):
    """Markdown nests more than ``MAX_DEPTH`` elements deep, at a line of its text."""

    @classmethod
    def at_line(cls, line: int) -> TooDeep:
        """Return the error at ``line`` (from 0) of a Markdown text."""
        return cls(
            Problem(
                f"the markup here nests more than {MAX_DEPTH} elements inside one another "
                "(emphasis, links, HTML tags, quotes or lists): no email can hold it",
                None,
                line,
                f"close what opens here sooner: at most {MAX_DEPTH} `*`, `_` or HTML tags open "
                "at once",
            )
        )

    def in_file(self, path: Path, first_line: int) -> TooDeep:
        """Return the error at its line of ``path``, whose text starts at ``first_line``."""
        return TooDeep(
            dataclasses.replace(p, file=path, line=first_line + (p.line or 0))
            for p in self.problems
        )


def deep_line(tokens: Sequence[Token], deep: Callable[[list[Token]], bool]) -> int:
    """Return the body line (from 0) at which ``tokens``, too deep as a whole, first nest too
    deep, by rendering ever longer beginnings of them (``deep`` tells if one is too deep)."""
    n = _first(len(tokens), lambda k: deep(list(tokens[:k])))
    head, token = list(tokens[: n - 1]), tokens[n - 1]
    line = next((t.map[0] for t in reversed(tokens[:n]) if t.map), 0)
    if token.type == "inline" and token.children:
        kids = token.children
        m = _first(
            len(kids), lambda k: deep([*head, dataclasses.replace(token, children=kids[:k])])
        )
        return line + sum(c.type in ("softbreak", "hardbreak") for c in kids[: m - 1])
    if token.type == "html_block":
        rows = token.content.split("\n")
        m = _first(
            len(rows),
            lambda k: deep([*head, dataclasses.replace(token, content="\n".join(rows[:k]))]),
        )
        return line + m - 1
    return line


def _first(count: int, deep: Callable[[int], bool]) -> int:
    """Return the least ``k`` in 1..count for which ``deep(k)`` (true for ``count``)."""
    low, high = 1, count
    while low < high:
        middle = (low + high) // 2
        if deep(middle):
            high = middle
        else:
            low = middle + 1
    return low
