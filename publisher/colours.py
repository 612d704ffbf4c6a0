"""Colours: WCAG contrast, and a colour made readable on a background (for dark mode)."""

from __future__ import annotations


def _channels(colour: str) -> list[int]:
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    return [int(value[i : i + 2], 16) for i in (0, 2, 4)]


def luminance(colour: str) -> float:
    """Return the WCAG 2 relative luminance of a #rgb/#rrggbb colour."""
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        for c in (v / 255 for v in _channels(colour))
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """Return the WCAG 2 contrast ratio of two #rgb/#rrggbb colours (1 to 21)."""
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, background: str, ratio: float = 4.5) -> str:
    """Return ``colour``, mixed towards white (on a dark background) or black (on a light one)
    just enough to reach ``ratio`` against ``background``: the same hue, legible."""
    if contrast(colour, background) >= ratio:
        return _hex(_channels(colour))
    target = 255 if luminance(background) < 0.18 else 0
    start = _channels(colour)
    for step in range(1, 101):
        mixed = [round(c + (target - c) * step / 100) for c in start]
        if contrast(_hex(mixed), background) >= ratio:
            return _hex(mixed)
    return _hex([target] * 3)


def _hex(channels: list[int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in channels)


def mix(colour: str, other: str, amount: float) -> str:
    """Return ``colour`` mixed with ``amount`` (0 to 1) of ``other``: a tint on a background."""
    a, b = _channels(colour), _channels(other)
    return _hex([round(x + (y - x) * amount) for x, y in zip(a, b, strict=True)])


#: How much of a callout's colour tints its box (the rest is the background).
TINT = 0.08
#: Each callout's colour, by the setting it takes it from.
CALLOUT_COLOURS = {"note": "muted", "correction": "accent", "sponsor": "link"}
