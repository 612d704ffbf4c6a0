"""The rules on the settings (newsletter.toml): colours, addresses, unsubscribing, language."""

from __future__ import annotations

from pathlib import Path

from publisher.check.rules import Finding, Rule, from_problem
from publisher.colours import CALLOUT_COLOURS, TINT, contrast, mix
from publisher.config import (
    SETTINGS_FILE,
    Colors,
    Config,
    key_line,
    no_header_problem,
    placeholder_problem,
    unchosen_service_problem,
)
from publisher.strings import has_catalogue, known_keys, languages


def no_catalogue(tag: str) -> str:
    """Return SET007's message for a language the theme has no words for."""
    from publisher.language import is_known

    dates = "its dates are localised, but " if is_known(tag) else "its dates and "
    return (
        f"language {tag!r}: {dates}the theme's words (View online, Unsubscribe...) stay in "
        f"English; fix: set them under [strings] (keys: {', '.join(known_keys())}), or use one "
        f"of {', '.join(languages())}"
    )


def colour_pairs(c: Colors) -> list[tuple[str, str, str, str]]:
    """Return every text colour the theme sets on a background: (setting, text, background,
    what), the tints of the components included."""
    pairs = [
        ("text", c.text, c.background, "text"),
        ("link", c.link, c.background, "links"),
        ("muted", c.muted, c.background, "captions and footer"),
        ("dark_text", c.dark_text, c.dark_background, "dark-mode text"),
        ("dark_link", c.dark_link, c.dark_background, "dark-mode links"),
        ("accent", c.background, c.accent, "a button's words"),
        ("dark_accent", c.dark_background, c.dark_accent, "a dark-mode button's words"),
    ]
    for variant, key in CALLOUT_COLOURS.items():
        tint = mix(getattr(c, key), c.background, 1 - TINT)
        dark = mix(getattr(c, f"dark_{key}"), c.dark_background, 0.85)
        pairs += [
            (key, c.text, tint, f"text in a {variant} box"),
            (key, c.muted, tint, f"the label of a {variant} box"),
            (f"dark_{key}", c.dark_text, dark, f"dark-mode text in a {variant} box"),
            (f"dark_{key}", c.dark_muted, dark, f"the dark-mode label of a {variant} box"),
        ]
    return pairs


def settings_findings(config: Config, root: Path) -> list[Finding]:
    """Run the rules on the settings."""
    file = SETTINGS_FILE
    text = config.path.read_text(encoding="utf-8-sig") if config.path else ""
    found = []
    for key, foreground, background, what in colour_pairs(config.colors):
        ratio = contrast(foreground, background)
        if ratio < 4.5:
            found.append(
                Rule.SET001.at(
                    file,
                    (key_line(text, "colors", key) or 1 if text else 1, 1),
                    f"{what} ({foreground} on {background}) have contrast {ratio:.1f}:1, under "
                    "WCAG AA's 4.5:1; fix: darken or lighten the colour",
                )
            )
    placeholder = placeholder_problem(config)
    if placeholder is not None:
        found.append(from_problem(Rule.SET004, placeholder, root))
    unchosen = unchosen_service_problem(config)
    if unchosen is not None:
        found.append(from_problem(Rule.SET005, unchosen, root))
    if not has_catalogue(config.language):
        line = key_line(text, None, "language") or 1 if text else 1
        found.append(Rule.SET007.at(file, (line, 1), no_catalogue(config.language)))
    no_header = no_header_problem(config)
    if no_header is not None:
        found.append(from_problem(Rule.SET006, no_header, root))
    if config.logo_dark and not config.logo:
        line = key_line(text, None, "logo_dark") or 1 if text else 1
        message = "logo_dark is set but logo is not; fix: set logo, the logo of light mode"
        found.append(Rule.SET008.at(file, (line, 1), message))
    if not config.footer.address.strip():
        found.append(
            Rule.SET002.at(
                file,
                ((key_line(text, "footer", None) or 1) if text else 1, 1),
                "no postal address; bulk-mail rules (CAN-SPAM and others) "
                "require one; fix: set address under [footer]",
            )
        )
    return found
