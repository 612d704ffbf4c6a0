"""MJML's components, their attributes and where they may stand, from MJML 4's documentation
(the version mjml-python's core, MRML, follows): mjml-python compiles what it does not know into
nothing, so the theme's MJML is checked against these before it is compiled.

The official compiler (npm ``mjml`` with ``validationLevel=strict``) is the reference for these
rules in ``tests/test_mjml_reference.py``; the runtime never needs Node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_PADDING = {"padding", "padding-top", "padding-bottom", "padding-left", "padding-right"}
_BORDER = {"border", "border-top", "border-bottom", "border-left", "border-right", "border-radius"}
_CLASS = {"css-class", "mj-class"}
_BACKGROUND = {
    "background-color",
    "background-url",
    "background-repeat",
    "background-size",
    "background-position",
    "background-position-x",
    "background-position-y",
}
_FONT = {
    "color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "line-height",
    "letter-spacing",
    "text-decoration",
    "text-transform",
    "align",
}
_SECTION = (
    _CLASS
    | _PADDING
    | _BORDER
    | _BACKGROUND
    | {
        "direction",
        "full-width",
        "text-align",
        "text-padding",
        "gap",
    }
)

#: Each component: the attributes it takes.
ATTRIBUTES: dict[str, set[str]] = {
    "mjml": {"lang", "dir", "owa"},
    "mj-head": set(),
    "mj-body": {"width", "background-color", "css-class"},
    "mj-attributes": set(),
    "mj-all": set(),  # any attribute: a default for every component
    "mj-class": set(),  # any attribute, plus its name
    "mj-breakpoint": {"width"},
    "mj-font": {"name", "href"},
    "mj-html-attributes": set(),
    "mj-selector": {"path"},
    "mj-html-attribute": {"name"},
    "mj-preview": set(),
    "mj-style": {"inline"},
    "mj-title": set(),
    "mj-raw": {"position"},
    "mj-section": _SECTION,
    "mj-wrapper": _SECTION,
    "mj-group": _CLASS | {"width", "vertical-align", "background-color", "direction"},
    "mj-column": _CLASS
    | _PADDING
    | _BORDER
    | {
        "background-color",
        "inner-background-color",
        "inner-border",
        "inner-border-top",
        "inner-border-bottom",
        "inner-border-left",
        "inner-border-right",
        "inner-border-radius",
        "width",
        "vertical-align",
        "direction",
    },
    "mj-text": _CLASS | _PADDING | _FONT | {"height", "container-background-color"},
    "mj-image": _CLASS
    | _PADDING
    | _BORDER
    | {
        "align",
        "alt",
        "container-background-color",
        "fluid-on-mobile",
        "height",
        "href",
        "name",
        "rel",
        "sizes",
        "src",
        "srcset",
        "target",
        "title",
        "usemap",
        "width",
        "font-size",
    },
    "mj-divider": _CLASS
    | _PADDING
    | {
        "align",
        "border-color",
        "border-style",
        "border-width",
        "container-background-color",
        "width",
    },
    "mj-button": _CLASS
    | _PADDING
    | _BORDER
    | _FONT
    | {
        "background-color",
        "container-background-color",
        "height",
        "href",
        "inner-padding",
        "name",
        "rel",
        "target",
        "text-align",
        "title",
        "vertical-align",
        "width",
    },
    "mj-spacer": _CLASS | _PADDING | {"container-background-color", "height"},
    "mj-table": _CLASS
    | _PADDING
    | {
        "align",
        "border",
        "cellpadding",
        "cellspacing",
        "color",
        "container-background-color",
        "font-family",
        "font-size",
        "line-height",
        "role",
        "table-layout",
        "width",
    },
}
#: Components whose attributes this table does not list: any attribute passes.
OPEN = {
    "mj-hero",
    "mj-navbar",
    "mj-navbar-link",
    "mj-social",
    "mj-social-element",
    "mj-accordion",
    "mj-accordion-element",
    "mj-accordion-title",
    "mj-accordion-text",
    "mj-carousel",
    "mj-carousel-image",
}
_CONTENT = {
    "mj-text",
    "mj-image",
    "mj-divider",
    "mj-button",
    "mj-spacer",
    "mj-table",
    "mj-raw",
    "mj-social",
    "mj-navbar",
    "mj-accordion",
    "mj-carousel",
}
#: Where each component may stand: its parents.
PARENTS: dict[str, set[str]] = {
    "mj-head": {"mjml"},
    "mj-body": {"mjml"},
    **{
        name: {"mj-head"}
        for name in (
            "mj-attributes",
            "mj-breakpoint",
            "mj-font",
            "mj-html-attributes",
            "mj-preview",
            "mj-style",
            "mj-title",
        )
    },
    "mj-selector": {"mj-html-attributes"},
    "mj-html-attribute": {"mj-selector"},
    "mj-raw": {
        "mj-head",
        "mj-body",
        "mj-wrapper",
        "mj-section",
        "mj-group",
        "mj-column",
        "mj-hero",
    },
    "mj-section": {"mj-body", "mj-wrapper"},
    "mj-wrapper": {"mj-body"},
    "mj-hero": {"mj-body", "mj-wrapper"},
    "mj-group": {"mj-section"},
    "mj-column": {"mj-section", "mj-group"},
    **{name: {"mj-column", "mj-hero"} for name in _CONTENT - {"mj-raw"}},
    "mj-navbar-link": {"mj-navbar"},
    "mj-social-element": {"mj-social"},
    "mj-accordion-element": {"mj-accordion"},
    "mj-accordion-title": {"mj-accordion-element"},
    "mj-accordion-text": {"mj-accordion-element"},
    "mj-carousel-image": {"mj-carousel"},
}
#: Components whose content is HTML or text, not MJML.
ENDING = {
    "mj-text",
    "mj-button",
    "mj-table",
    "mj-raw",
    "mj-style",
    "mj-title",
    "mj-preview",
    "mj-navbar-link",
    "mj-social-element",
    "mj-accordion-title",
    "mj-accordion-text",
    "mj-html-attribute",
}
KNOWN = set(ATTRIBUTES) | OPEN

_TAG = re.compile(r"<(/?)(mjml|mj-[a-z-]+)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>")
_ATTRIBUTE = re.compile(r"([a-zA-Z][\w:-]*)\s*=\s*(?:\"[^\"]*\"|'[^']*')")


@dataclass(frozen=True)
class MjmlProblem:
    """What is wrong in the MJML, and the text to find in the template that made it."""

    message: str
    #: Texts that the template's line holds, all of them.
    needles: tuple[str, ...]


def validate(mjml: str) -> list[MjmlProblem]:
    """Return every unknown component, unknown attribute and misplaced component of ``mjml``."""
    problems: list[MjmlProblem] = []
    stack: list[str] = []
    for match in _TAG.finditer(mjml):
        closing, name, attributes, self_closing = match.groups()
        # Inside a component whose content is HTML, only its own closing tag counts.
        if stack and stack[-1] in ENDING and not (closing and name == stack[-1]):
            continue
        if closing:
            if name in stack:
                while stack and stack.pop() != name:
                    pass
            continue
        parent = stack[-1] if stack else None
        if name not in KNOWN:
            close = _closest(name)
            problems.append(
                MjmlProblem(
                    f"<{name}> is not an MJML component"
                    + (f"; did you mean <{close}>?" if close else ""),
                    (f"<{name}",),
                )
            )
        elif parent == "mj-attributes":
            pass  # a default: any component name, with its attributes checked below
        elif name in PARENTS and parent not in PARENTS[name]:
            allowed = ", ".join(f"<{p}>" for p in sorted(PARENTS[name]))
            problems.append(
                MjmlProblem(
                    f"<{name}> cannot stand directly in <{parent or 'the top'}>; it goes in "
                    f"{allowed}",
                    (f"<{name}",),
                )
            )
        if name in ATTRIBUTES and name not in ("mj-all", "mj-class"):
            allowed_attributes = ATTRIBUTES[name]
            for attribute in _ATTRIBUTE.findall(attributes):
                if attribute not in allowed_attributes:
                    problems.append(
                        MjmlProblem(
                            f"<{name}> has no attribute {attribute!r}",
                            (f"<{name}", f"{attribute}="),
                        )
                    )
        if not self_closing and name in KNOWN:  # an unknown one is reported, not entered
            stack.append(name)
    return problems


def _closest(name: str) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, sorted(KNOWN), n=1, cutoff=0.7)
    return found[0] if found else None


def line_in(template: Path, needles: tuple[str, ...]) -> int | None:
    """Return the line of ``template`` that holds every one of ``needles`` (where to look),
    preferring the body to the defaults in ``<mj-attributes>``; None if none does."""
    try:
        lines = template.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    found = [n for n, line in enumerate(lines, start=1) if all(x in line for x in needles)]
    body = next((n for n, line in enumerate(lines, start=1) if "<mj-body" in line), 0)
    return next((n for n in found if n >= body), found[0] if found else None)
