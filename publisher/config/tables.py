"""Tables of options: a section of the settings, the front matter, a table of free keys.

A table checks each of its keys with the key's option and records every problem, so that all of
them are told at once; a key it does not know is warned about, with the known key most like it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from publisher.config.options import Option, Text
from publisher.config.place import At, Invalid, cut, did_you_mean

T = TypeVar("T")
TEXT = Text("", "")


class TextMap(Option[dict[str, str]]):
    """A table of the file's own keys, each with a text (checked by ``value``); with ``known``,
    keys not among them are warned about and dropped."""

    types = (dict,)
    KIND = "table of text"

    def __init__(
        self,
        doc: str,
        *,
        shape: str,
        example: str,
        value: Option[str] | None = None,
        known: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        super().__init__({}, doc)
        self.shape, self.example, self.value, self.known = shape, example, value, known

    def run_validation(self, value: dict[str, Any], at: At) -> dict[str, str]:
        known = self.known() if self.known is not None else None
        out = {}
        for key, text in value.items():
            where = at.child(key)
            if known is not None and key not in known:
                message = f"unknown key `{cut(key)}` under [{at.key}] is ignored"
                where.warn(
                    message + did_you_mean(key, known), "known keys: " + ", ".join(known), True
                )
                continue
            try:
                out[key] = (self.value or TEXT).validate(text, where)
            except Invalid as problem:
                where.fail(problem)
        return out

    def wrong_type(self, value: object, at: At) -> Invalid:
        hint = f"write [{at.key}] then lines like {self.example}"
        return Invalid(f"must be a table of {self.shape}", hint)


class Table(Option[T]):
    """A table of keys, each its own option, read into ``cls``: a section of the settings (the
    options in its dataclass fields' metadata) or the front matter (``options`` given)."""

    types = (dict,)
    KIND = "table"

    def __init__(
        self,
        cls: Callable[..., T],
        doc: str,
        *,
        read_by: str | None = None,
        options: Mapping[str, Option[Any]] | None = None,
        rules: Sequence[Callable[[T], Iterable[Invalid]]] = (),
    ) -> None:
        super().__init__(cls(), doc, read_by=read_by)
        self.cls, self.rules, self._options = cls, rules, options

    @cached_property
    def options(self) -> Mapping[str, Option[Any]]:
        """Return each key's option."""
        if self._options is not None:
            return self._options
        fields = dataclasses.fields(self.cls)  # type: ignore[arg-type]
        return {f.name: f.metadata["option"] for f in fields if "option" in f.metadata}

    def run_validation(self, value: dict[Any, Any], at: At) -> T:
        values, errors = {}, len(at.errors)
        for key, raw in value.items():
            option, where = self.options.get(key), at.child(str(key))
            if option is None:
                guess = did_you_mean(str(key), self.options)
                hint = "check the spelling; known keys: " + ", ".join(self.options)
                where.warn(at.syntax.unknown.format(label=where.label) + guess, hint, True)
            elif raw is not None and not (option.required and raw == ""):
                try:
                    values[key] = option.validate(raw, where)
                except Invalid as problem:
                    where.fail(problem)
        for key, option in self.options.items():
            if option.required and value.get(key) in (None, ""):
                at.child(key).fail(Invalid("is missing", at.syntax.missing.format(key=key)))
        table = self.cls(**values)
        if len(at.errors) == errors:  # rules between keys, once each key is valid
            for rule in self.rules:
                for broken in rule(table):
                    at.fail(broken)
        return table

    def wrong_type(self, value: object, at: At) -> Invalid:
        return Invalid("must be a table", f"write it as a [{at.key}] section")
