"""Issue #34's client-emulation harness: each built email as four mail programs would show it,
rendered in Chromium at 320, 375 and 600 px, light and dark.

The data is caniemail's (https://github.com/hteumeuleu/caniemail, MIT: see
tests/fixtures/caniemail/LICENSE), at the commit pinned in tests/fixtures/caniemail/features.json;
tests/fixtures/caniemail/update.py regenerates that file from a clone. The tests read only it.

A feature is dropped by a client when, on any of its platforms below, the latest tested version
says ``n``. ``a`` (partial) counts as supported, except for Gmail with a non-Google account, where
a partial value whose note says it does not work with non-Google accounts counts as ``n``.
``u`` (unknown) and a feature with no data count as supported. The variants:

- Samsung Email: ``samsung-email/android``.
- Outlook for Windows (the Word engine): ``outlook/windows``. Chromium cannot read Outlook's
  conditional comments (``<!--[if mso]>``), so what they hold stays out, as for every other
  client; only the CSS is emulated.
- Yahoo Mail: ``yahoo/desktop-webmail``, ``yahoo/ios`` and ``yahoo/android``: what any of them
  drops (the most restrictive).
- Gmail with a non-Google account (the app on Android and iOS, "GANGA"): ``gmail/android`` and
  ``gmail/ios``.

What each drops (see ``test_the_variants_follow_the_pinned_data`` for the facts it relies on):

- a CSS property: its declarations, by their literal name, from every ``style`` attribute and
  every rule of the ``<style>`` blocks (``word-wrap`` and ``overflow-wrap`` stay two names, as
  they are to a mail program, though Chromium takes one for an alias of the other);
- ``html-style`` unsupported: every ``<style>`` block;
- an at-rule (``@media`` and its features such as ``prefers-color-scheme``, ``@font-face``,
  ``@import``, ``@keyframes``, ``@supports``): the whole at-rule, and a ``<style media=...>``
  block the client could not read as ``@media``;
- a selector feature (combinators, attribute, class, id, type and universal selectors,
  pseudo-classes, pseudo-elements, grouping, chaining ``.a.b``): every rule whose selector list
  uses it, whole (a list with one selector a client cannot read is dropped, as in CSS).

Not conservative: a partial value is not dropped, whatever its note says (``max-width``
works only on tables in Outlook, and stays), and each property follows its own feature (the
note of Outlook's ``word-wrap`` says it honours no wrapping at all, but ``word-break`` has a
``y`` of its own, and stays); values (units, functions, ``display:flex``) are not emulated.
A mail program's own dark mode (inverting colours) is not emulated either: dark is measured
only for the clients that honour ``@media (prefers-color-scheme)`` (as built and Samsung); for
the others the harness checks instead that nothing of the variant reacts to the colour scheme,
so their dark run would be their light one.

The checks, at each width: the page never scrolls sideways; no word of letters in ordinary text
(outside links and code) is split across lines, unless it is wider than its column (the width of
its pieces added up is more than its block's content box: then it has to break somewhere); every
visible text has a WCAG contrast of at least 4.5:1 with the background behind it; and no image
is shown wider than its file (a 2x logo, shown at half its width, passes). The preheader,
hidden, is left out. Each issue is built once; each (issue, client, scheme) is one page,
resized to each width (one test per width, so a failure names it).

What the harness found, and what became of it: a six-column table widened the email past a
phone's screen in every client (data tables now scroll in a box of fixed layout), and in Yahoo a
long URL or word did too (MJML's column tables now have a fixed layout). Outlook for Windows is
seen at 600 px only (``DESKTOP``): a desktop program, its Word engine lays the email out in the
fixed 600 px tables of its conditional comments, so a narrow window scrolls it whatever the
email does (it drops ``table-layout`` and ``overflow`` as well).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tinycss2
from test_inbox import LONG_URL, NARROW
from test_markdown_outputs import KITCHEN_SINK

from browser_js import CONTRAST_JS
from conftest import REPO, SAMPLE_SLUG, SETTINGS, Newsletter, serve_from, serving
from publisher.build.pipeline import build

FIXTURE = Path(__file__).parent / "fixtures" / "caniemail" / "features.json"
WIDTHS = (320, 375, 600)
MIN_CONTRAST = 4.5
NON_GOOGLE = re.compile(r"non[- ]?google|GANGA", re.IGNORECASE)


# --- The variants, from caniemail's data -----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Client:
    """What one mail program drops: property names, feature slugs of at-rules and selectors,
    and whether it drops ``<style>`` blocks altogether."""

    name: str
    properties: frozenset[str] = frozenset()
    at_rules: frozenset[str] = frozenset()
    selectors: frozenset[str] = frozenset()
    drops_style: bool = False

    @property
    def honours_dark(self) -> bool:
        return not self.drops_style and "css-at-media-prefers-color-scheme" not in self.at_rules


#: Each emulated client: its caniemail platforms, and whether non-Google notes mean "no".
PLATFORMS: dict[str, tuple[tuple[str, ...], bool]] = {
    "samsung": (("samsung-email/android",), False),
    "outlook-windows": (("outlook/windows",), False),
    "yahoo": (("yahoo/desktop-webmail", "yahoo/ios", "yahoo/android"), False),
    "gmail-non-google": (("gmail/android", "gmail/ios"), True),
}


def load_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def unsupported(feature: dict[str, Any], platforms: tuple[str, ...], non_google: bool) -> bool:
    """Whether any of the platforms' latest value is ``n`` (or, for a non-Google account, an
    ``a`` whose note says so)."""
    for platform in platforms:
        version_value = feature["support"].get(platform)
        if version_value is None:
            continue
        value = version_value[1]
        if value.startswith("n"):
            return True
        notes = [feature.get("notes", {}).get(n, "") for n in re.findall(r"#(\d+)", value)]
        if non_google and value.startswith("a") and any(NON_GOOGLE.search(n) for n in notes):
            return True
    return False


def make_client(name: str, data: dict[str, Any]) -> Client:
    platforms, non_google = PLATFORMS[name]
    dropped = {
        slug: feature
        for slug, feature in data["features"].items()
        if unsupported(feature, platforms, non_google)
    }
    kinds = {slug: feature["kind"] for slug, feature in dropped.items()}
    return Client(
        name=name,
        properties=frozenset(p for f in dropped.values() for p in f.get("properties", [])),
        at_rules=frozenset(slug for slug, kind in kinds.items() if kind == "at-rule"),
        selectors=frozenset(slug for slug, kind in kinds.items() if kind == "selector"),
        drops_style=kinds.get("html-style") == "style",
    )


AS_BUILT = Client("as-built")
CLIENTS = {name: make_client(name, load_data()) for name in PLATFORMS} | {"as-built": AS_BUILT}


# --- Dropping CSS, with a real CSS parser -----------------------------------------------------

#: Pseudo-classes written with one colon that are pseudo-elements (CSS 2 syntax).
LEGACY_ELEMENTS = {"before", "after", "first-line", "first-letter"}


def selector_features(selector: list[Any]) -> set[str]:
    """The caniemail feature slugs one selector (tokens, no comma) uses."""
    found: set[str] = set()
    tokens = [t for t in selector if t.type != "comment"]
    compound_starts, classes = True, 0
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.type == "whitespace":
            ends = (before, after)
            if None not in ends and not any(t.type == "literal" and t.value in "+>~" for t in ends):
                found.add("css-selector-descendant")
            compound_starts, classes = True, 0
            continue
        if token.type == "literal" and token.value in "+>~":
            name = {"+": "adjacent-sibling", ">": "child", "~": "general-sibling"}[token.value]
            found.add(f"css-selector-{name}")
            compound_starts, classes = True, 0
            continue
        if token.type == "literal" and token.value == "*":
            found.add("css-selector-universal")
        elif token.type == "ident" and compound_starts:
            found.add("css-selector-type")
        elif token.type == "hash":
            found.add("css-selector-id")
            classes += 1
        elif token.type == "literal" and token.value == ".":
            found.add("css-selector-class")
            classes += 1
        elif token.type == "[] block":
            found.add("css-selector-attribute")
        elif token.type == "literal" and token.value == ":" and after is not None:
            found |= pseudo_feature(before, after)
        if classes > 1:
            found.add("css-selector-chaining")
        compound_starts = False
    return found


def pseudo_feature(before: Any, after: Any) -> set[str]:
    """The feature of ``:name``, ``:name(...)`` or ``::name`` (the token after a colon)."""
    if after.type == "literal" and after.value == ":":
        return set()  # the first colon of '::': the second one names it
    name = getattr(after, "lower_value", None) or getattr(after, "lower_name", "")
    double = before is not None and before.type == "literal" and before.value == ":"
    kind = "element" if double or name in LEGACY_ELEMENTS else "class"
    return {f"css-pseudo-{kind}-{name}"}


def split_selectors(prelude: list[Any]) -> list[list[Any]]:
    """A selector list's selectors, each without surrounding whitespace."""
    selectors: list[list[Any]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return [strip_whitespace(s) for s in selectors]


def strip_whitespace(tokens: list[Any]) -> list[Any]:
    while tokens and tokens[0].type in ("whitespace", "comment"):
        tokens = tokens[1:]
    while tokens and tokens[-1].type in ("whitespace", "comment"):
        tokens = tokens[:-1]
    return tokens


def keeps_selector(client: Client, prelude: list[Any]) -> bool:
    selectors = split_selectors(prelude)
    used = set().union(*(selector_features(s) for s in selectors))
    if len(selectors) > 1:
        used.add("css-selector-grouping")
    return not used & client.selectors


def media_features(query: str) -> set[str]:
    """The caniemail features of a media query: ``@media``, and the media features it tests."""
    found = {"css-at-media"}
    for name, slug in (
        ("prefers-color-scheme", "prefers-color-scheme"),
        ("prefers-reduced-motion", "prefers-reduced-motion"),
        ("orientation", "orientation"),
        ("hover", "hover"),
        ("device-pixel-ratio", "device-pixel-ratio"),
    ):
        if name in query.lower():
            found.add(f"css-at-media-{slug}")
    return found


def keeps_at_rule(client: Client, rule: Any) -> bool:
    name = rule.lower_at_keyword.removeprefix("-webkit-")
    if name == "media":
        return not media_features(tinycss2.serialize(rule.prelude)) & client.at_rules
    return f"css-at-{name}" not in client.at_rules


def declarations(client: Client, content: list[Any]) -> str:
    """A block's declarations, less the properties the client drops."""
    kept = []
    for item in tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True):
        if item.type != "declaration" or item.lower_name in client.properties:
            continue
        important = " !important" if item.important else ""
        kept.append(f"{item.name}: {tinycss2.serialize(item.value).strip()}{important}")
    return "; ".join(kept)


def style_sheet(client: Client, rules: list[Any]) -> str:
    """A style sheet's text as the client reads it."""
    parts = []
    for rule in rules:
        if rule.type == "qualified-rule" and keeps_selector(client, rule.prelude):
            prelude = tinycss2.serialize(rule.prelude).strip()
            parts.append(f"{prelude} {{ {declarations(client, rule.content)} }}")
        elif rule.type == "at-rule" and keeps_at_rule(client, rule):
            if rule.content is None or rule.lower_at_keyword not in ("media", "supports"):
                parts.append(rule.serialize())
                continue
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True)
            prelude = tinycss2.serialize(rule.prelude).strip()
            parts.append(f"@{rule.at_keyword} {prelude} {{ {style_sheet(client, inner)} }}")
    return "\n".join(parts)


def emulate(client: Client, styles: list[str], sheets: list[dict[str, str]]) -> dict[str, Any]:
    """The new ``style`` attributes, and each ``<style>`` block's new text or None to remove it."""
    new_styles = [declarations(client, tinycss2.parse_component_value_list(s)) for s in styles]
    new_sheets: list[str | None] = []
    for sheet in sheets:
        media = sheet["media"]
        if client.drops_style or (media and media_features(media) & client.at_rules):
            new_sheets.append(None)
            continue
        rules = tinycss2.parse_stylesheet(sheet["text"], skip_comments=True, skip_whitespace=True)
        new_sheets.append(style_sheet(client, rules))
    return {"styles": new_styles, "sheets": new_sheets}


# --- In the page ------------------------------------------------------------------------------

#: Every ``style`` attribute and ``<style>`` block as written (not as Chromium understood them).
COLLECT_CSS_JS = """
() => ({
  styles: [...document.querySelectorAll('[style]')].map((el) => el.getAttribute('style')),
  sheets: [...document.querySelectorAll('style')].map((s) => ({
    text: s.textContent, media: s.getAttribute('media') || ''})),
})
"""

#: Put back what ``emulate`` made of them (the same elements, in the same order).
APPLY_CSS_JS = """
({styles, sheets}) => {
  [...document.querySelectorAll('[style]')].forEach((el, i) => el.setAttribute('style', styles[i]));
  [...document.querySelectorAll('style')].forEach((s, i) => {
    if (sheets[i] === null) s.remove(); else s.textContent = sheets[i];
  });
}
"""

#: Sideways overflow (and the deepest elements past the right edge), words of letters split
#: across lines in ordinary text, and each visible image's shown and natural width.
MEASURE_JS = """
() => {
  const shown = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.preheader');
  const name = (el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`;
  const past = [...document.body.querySelectorAll('*')].filter((el) => shown(el)
    && el.getBoundingClientRect().right > innerWidth + 0.5
    && ![...el.children].some((c) => c.getBoundingClientRect().right > innerWidth + 0.5));
  const overflow = past.slice(0, 5).map((el) => [name(el), el.textContent.trim().slice(0, 60),
    Math.round(el.getBoundingClientRect().right)]);
  const column = (el) => {
    while (el.parentElement && getComputedStyle(el).display.startsWith('inline'))
      el = el.parentElement;
    const s = getComputedStyle(el);
    return el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  };
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !shown(el) || el.closest('a, code, pre, .code-box, style, title')) continue;
    for (const m of node.textContent.matchAll(/\\p{L}+/gu)) {
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      const tops = rects.map((r) => r.top);
      if (!rects.length || Math.max(...tops) - Math.min(...tops) < 2) continue;
      const wide = rects.reduce((sum, r) => sum + r.width, 0);
      if (wide > column(el)) continue;  // wider than its column: it has to break
      split.push([m[0], name(el), Math.round(wide), Math.round(column(el))]);
    }
  }
  const images = [...document.images].filter(shown).map((img) =>
    [img.alt || img.src, img.getBoundingClientRect().width, img.naturalWidth]);
  return {width: document.documentElement.scrollWidth, viewport: innerWidth, overflow, split,
          images};
}
"""


# --- The issues -------------------------------------------------------------------------------

#: What the kitchen sink lacks to test narrow screens: a long URL, a long code line and a wide
#: table (test_inbox's NARROW), a wide table of words, a small and a wide image.
KITCHEN_EXTRA = f"""

{NARROW}

| Port | Country | Opened | Cables | Owner | Notes |
|---|---|---|---|---|---|
| Marseille | France | 1870 | 16 | Several | A hub for Asia |
| Bude | England | 1870 | 9 | Several | Landing station |

![A small square](small.png "A square | Photo: A. Snapper")

![A wide view](wide.png)

A last paragraph links to {LONG_URL} once more.
"""


def kitchen_sink(root: Path, base_url: str) -> Path:
    """Write the kitchen-sink newsletter (with a 2x logo and its images) into ``root``."""
    from PIL import Image

    newsletter = Newsletter(root)
    Image.new("RGB", (320, 80), "#204060").save(root / "logo.png")
    folder = root / "issues"
    for name, size, colour in (
        ("crane.png", (640, 400), "teal"),
        ("buoy.png", (320, 200), "orange"),
        ("small.png", (120, 120), "#406080"),
        ("wide.png", (1200, 600), "#608040"),
    ):
        Image.new("RGB", size, colour).save(folder / name)
    serve_from(newsletter.settings('logo = "logo.png"\n' + SETTINGS), base_url)
    body = KITCHEN_SINK + KITCHEN_EXTRA
    newsletter.issue("2025-03-03-kitchen-sink.md", body, title="Kitchen sink", date="2025-03-03")
    return root


def bundled(root: Path, base_url: str) -> Path:
    """Copy the bundled example newsletter into ``root``, served from ``base_url``."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(REPO / "issues", root / "issues")
    serve_from(root / "newsletter.toml", base_url)
    return root


ISSUES = {"bundled": (bundled, SAMPLE_SLUG), "kitchen-sink": (kitchen_sink, "kitchen-sink")}


@pytest.fixture(scope="module")
def emails(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Build each issue once, served over HTTP for the whole module: {issue: its email's URL}."""
    www = tmp_path_factory.mktemp("clients-www")
    with serving(www) as base:
        urls = {}
        for issue, (write, slug) in ISSUES.items():
            site = f"{base}{issue}/site/"
            root = write(tmp_path_factory.mktemp(issue) / "news", site)
            build(root, out=www / issue / "site")
            urls[issue] = f"{site}{slug}/email.html"
        yield urls


# --- The checks -------------------------------------------------------------------------------


def problems(measured: dict[str, Any], texts: list[dict[str, Any]]) -> list[str]:
    """What one measurement finds wrong, each said in a line."""
    found = []
    if measured["width"] > measured["viewport"]:
        found.append(f"scrolls sideways: {measured['width']} px wide: {measured['overflow']}")
    found += [f"word split mid-word: {word!r} in {where}" for word, where, *_ in measured["split"]]
    found += [
        f"contrast {t['ratio']:.2f}:1 for {t['text']!r} ({t['tag']}, {t['color']})"
        for t in texts
        if t["ratio"] < MIN_CONTRAST
    ]
    found += [
        f"image {alt!r} shown {shown:.0f} px wide, its file {natural} px"
        for alt, shown, natural in measured["images"]
        if natural == 0 or shown > natural + 0.5
    ]
    return found


def open_variant(browser: Any, url: str, client: Client, scheme: str) -> Any:
    """A page showing the email as the client would (its CSS dropped), in the colour scheme."""
    page = browser.new_page(viewport={"width": WIDTHS[-1], "height": 900}, color_scheme=scheme)
    page.goto(url)
    if client is not AS_BUILT:
        page.evaluate(APPLY_CSS_JS, emulate(client, **page.evaluate(COLLECT_CSS_JS)))
    return page


#: The widths each client is seen at: Outlook for Windows (a desktop program) lays the email
#: out in the fixed 600 px tables of its conditional comments, so it is never narrower.
DESKTOP = {"outlook-windows": (600,)}

CASES = [
    pytest.param(issue, client, width, scheme, id=f"{issue}-{client}-{width}-{scheme}")
    for issue in ISSUES
    for client in CLIENTS
    for scheme in ("light", "dark")
    for width in DESKTOP.get(client, WIDTHS)
    if scheme == "light" or CLIENTS[client].honours_dark
]


@pytest.fixture(scope="module")
def variant_page(browser: Any, emails: dict[str, str]) -> Iterator[Any]:
    """Return a function giving the page of (issue, client, scheme): one page for all its
    widths (the cases of one page run one after the other), closed when the next is opened."""
    current: dict[tuple[str, str, str], Any] = {}

    def page_for(issue: str, client: str, scheme: str) -> Any:
        if (issue, client, scheme) not in current:
            for page in current.values():
                page.close()
            current.clear()
            page = open_variant(browser, emails[issue], CLIENTS[client], scheme)
            current[issue, client, scheme] = page
        return current[issue, client, scheme]

    yield page_for
    for page in current.values():
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize(("issue", "client", "width", "scheme"), CASES)
def test_every_client_shows_the_email_whole_and_legible(
    variant_page: Any, issue: str, client: str, width: int, scheme: str
) -> None:
    page = variant_page(issue, client, scheme)
    page.set_viewport_size({"width": width, "height": 900})
    measured, texts = page.evaluate(MEASURE_JS), page.evaluate(CONTRAST_JS)
    case = f"{issue} in {client} at {width} px, {scheme}"
    assert len(texts) > 30 and measured["images"], f"{case}: no text or no image measured"
    found = problems(measured, texts)
    assert not found, f"{case}:\n" + "\n".join(found)


@pytest.mark.browser
@pytest.mark.parametrize("client", [c for c in CLIENTS if not CLIENTS[c].honours_dark])
def test_clients_without_dark_rules_show_the_light_email_in_dark_mode(
    browser: Any, emails: dict[str, str], client: str
) -> None:
    """Why dark is measured only where the client honours prefers-color-scheme: elsewhere
    nothing of the variant reacts to it (its own dark mode, colour inversion, is not emulated)."""
    page = open_variant(browser, emails["kitchen-sink"], CLIENTS[client], "light")
    try:
        light = page.evaluate(CONTRAST_JS)
        page.emulate_media(color_scheme="dark")
        assert page.evaluate(CONTRAST_JS) == light, f"{client} reacts to dark mode"
    finally:
        page.close()


#: What the page of each variant still has: <style> blocks, @media rules, and inline
#: declarations of the properties the harness's rows are about.
LEFT_JS = """
() => {
  const rules = [...document.styleSheets].flatMap((s) => [...s.cssRules]);
  const inline = (name) => [...document.querySelectorAll('[style]')]
    .filter((el) => new RegExp(`(^|;) *${name} *:`).test(el.getAttribute('style'))).length;
  return {styles: document.querySelectorAll('style').length,
          media: rules.filter((r) => r instanceof CSSMediaRule).length,
          dark: rules.filter((r) => (r.conditionText || '').includes('color-scheme')).length,
          whiteSpace: inline('white-space'), overflowWrap: inline('overflow-wrap'),
          wordWrap: inline('word-wrap'), wordBreak: inline('word-break')};
}
"""


@pytest.mark.browser
def test_each_variant_page_lost_what_its_client_drops(browser: Any, emails: dict[str, str]) -> None:
    left = {}
    for client in CLIENTS:
        page = open_variant(browser, emails["kitchen-sink"], CLIENTS[client], "light")
        try:
            left[client] = page.evaluate(LEFT_JS)
        finally:
            page.close()
    built, samsung, outlook = left["as-built"], left["samsung"], left["outlook-windows"]
    yahoo, gmail = left["yahoo"], left["gmail-non-google"]
    assert all(built[k] > 0 for k in built), left  # each is there to drop
    assert samsung["whiteSpace"] == 0 and samsung["dark"] == built["dark"], left
    assert outlook["media"] == 0 and outlook["overflowWrap"] == outlook["wordWrap"] == 0, left
    assert outlook["wordBreak"] == built["wordBreak"], left
    assert yahoo["dark"] == yahoo["wordBreak"] == yahoo["overflowWrap"] == 0, left
    assert yahoo["wordWrap"] == built["wordWrap"] and 0 < yahoo["media"] < built["media"], left
    assert gmail["styles"] == gmail["whiteSpace"] == 0, left


# --- The emulation itself ---------------------------------------------------------------------


def test_the_variants_follow_the_pinned_data() -> None:
    data = load_data()
    assert re.fullmatch(r"[0-9a-f]{40}", data["commit"]) and "caniemail" in data["source"]
    assert (FIXTURE.parent / "LICENSE").read_text().startswith("MIT License")
    samsung, outlook = CLIENTS["samsung"], CLIENTS["outlook-windows"]
    yahoo, gmail = CLIENTS["yahoo"], CLIENTS["gmail-non-google"]
    # #34's rows: white-space (Samsung, Outlook), word-break and overflow-wrap (Yahoo).
    assert {"white-space"} <= samsung.properties and samsung.honours_dark
    assert {"white-space", "overflow-wrap", "word-wrap"} <= outlook.properties
    assert "css-at-media" in outlook.at_rules and "css-selector-attribute" in outlook.selectors
    assert {
        "word-break",
        "overflow-wrap",
    } <= yahoo.properties and "word-wrap" not in yahoo.properties
    assert "css-at-media-prefers-color-scheme" in yahoo.at_rules and not yahoo.drops_style
    assert gmail.drops_style and "white-space" in gmail.properties  # 'a #n': non-Google
    assert not AS_BUILT.properties and AS_BUILT.honours_dark


SHEET = """\
.a { color: red; word-wrap: break-word; overflow-wrap: anywhere }
[data-ogsc] .a { color: blue }
.b > .c, .d { color: green }
p:last-child { margin: 0 }
@media (prefers-color-scheme: dark) { .a { color: white !important } }
@media only screen and (max-width: 479px) { .a { height: auto } }
"""


def test_dropping_css_keeps_names_and_drops_whole_rules() -> None:
    sheet = [{"text": SHEET, "media": ""}, {"text": ".m { color: red }", "media": "screen"}]
    style = ["color: red; word-wrap: break-word; overflow-wrap: anywhere; height: 10px"]
    yahoo = emulate(CLIENTS["yahoo"], style, sheet)
    assert yahoo["styles"] == ["color: red; word-wrap: break-word"]
    assert "prefers-color-scheme" not in yahoo["sheets"][0]
    assert "max-width: 479px" in yahoo["sheets"][0] and "[data-ogsc]" in yahoo["sheets"][0]
    outlook = emulate(CLIENTS["outlook-windows"], style, sheet)
    assert outlook["styles"] == ["color: red; height: 10px"]
    assert outlook["sheets"] == [".a { color: red }", None]  # no @media, [attr], >, :last-child
    assert emulate(CLIENTS["gmail-non-google"], style, sheet)["sheets"] == [None, None]
    as_built = emulate(AS_BUILT, style, sheet)
    assert as_built["styles"] == style and as_built["sheets"][0].count("{") == SHEET.count("{")
