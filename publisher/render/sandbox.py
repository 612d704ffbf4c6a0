"""The sandbox theme templates run in: a theme from someone else is code on the writer's
machine and in CI, so it reads the template context and calls nothing else.

Jinja's ``SandboxedEnvironment`` hides private attributes (``cycler.__init__.__globals__``)
and caps ``range`` at ``MAX_RANGE`` items. It still lets a template call any public method it
can reach, a file's ``read_text`` or ``unlink`` among them; here a template calls only Jinja's
own helpers (macros, ``loop.cycle``, ``range``, ``namespace``...), the theme's words
(``_()``) and methods of plain values (``str``, numbers, lists, dicts, dates). A ``*`` or
``**`` that would make a huge string, list or number stops too.
"""

from __future__ import annotations

import datetime as dt
import types
from functools import lru_cache
from pathlib import PurePath
from typing import Any

from publisher.strings import Strings

#: The values whose methods a template may call.
PLAIN = (str, int, float, list, tuple, dict, set, frozenset, dt.date, dt.time, dt.timedelta)
#: The most characters or items one ``*`` may make, and the most bits one ``**``.
MAX_SIZE = 1_000_000
MAX_BITS = 100_000


def _jinja(kind: type) -> bool:
    """Tell whether a class is Jinja's own (a macro, a loop, a cycler...)."""
    return kind.__module__.split(".")[0] == "jinja2"


def safe_to_call(obj: Any) -> bool:
    """Tell whether a template may call ``obj``: Jinja's helpers, the theme's words and the
    methods of plain values (a value that is not callable fails on its own, saying so)."""
    if isinstance(obj, types.FunctionType):  # by the module it was written in
        return str(obj.__globals__.get("__name__", "")).split(".")[0] == "jinja2"
    if isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
        owner = obj.__self__
        return isinstance(owner, (*PLAIN, Strings)) or _jinja(type(owner))
    if isinstance(obj, type):
        return obj is dict or _jinja(obj)
    return not callable(obj) or _jinja(type(obj))


def _size_of_product(left: Any, right: Any) -> int:
    """Return the length of ``left * right`` when it repeats a string or sequence, else 0."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
            return len(seq) * times
    return 0


def _bits_of_power(base: Any, exponent: Any) -> int:
    """Return about how many bits ``base ** exponent`` has, for whole numbers, else 0."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        return abs(base).bit_length() * exponent if abs(base) > 1 else 0
    return 0


@lru_cache(maxsize=1)
def sandbox() -> type[Any]:
    """Return the sandboxed environment class (made on first use: jinja2 loads only when
    needed)."""
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class ThemeSandbox(SandboxedEnvironment):
        """Jinja's sandbox, calling only what a theme needs, with sizes bounded."""

        intercepted_binops = frozenset({"*", "**"})

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.safe_names: dict[tuple[type, str], bool] = {}

        def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
            # Jinja's answer depends on the object's type and the name alone: asked once for
            # each, as a template reads hundreds of attributes. A file path (the settings
            # file's) would tell where the writer keeps their files.
            key = (type(obj), attr)
            safe = self.safe_names.get(key)
            if safe is None:
                safe = self.safe_names[key] = super().is_safe_attribute(obj, attr, value)
            return safe and not isinstance(value, PurePath)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            if not safe_to_call(__obj):
                name = getattr(__obj, "__qualname__", None) or type(__obj).__qualname__
                raise SecurityError(f"calling {name}() is not allowed")
            return super().call(__context, __obj, *args, **kwargs)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*" and _size_of_product(left, right) > MAX_SIZE:
                raise SecurityError(f"`*` would make more than {MAX_SIZE:,} characters or items")
            if operator == "**" and _bits_of_power(left, right) > MAX_BITS:
                raise SecurityError(f"`**` would make a number of more than {MAX_BITS:,} bits")
            return super().call_binop(context, operator, left, right)

    return ThemeSandbox
