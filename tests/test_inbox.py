"""What an email engineer checks: contrast in light and dark mode, sizes and touch targets,
Outlook's tables and fallbacks, iOS meta tags, source lines, typography, and the email's size."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from browser_js import CONTRAST_JS
from conftest import SAMPLE_SLUG, SETTINGS, Newsletter, serve_from
from publisher.build.pipeline import build
from publisher.config import load_config
from publisher.model.issue import load_issue
from publisher.render.issue import render_issue, render_one
from publisher.render.theme import Theme


@pytest.fixture
def served_email(sample: Path, http_server: tuple[str, Path]) -> str:
    """The bundled example, built with base_url on a local HTTP server: its email's URL."""
    base_url, www = http_server
    # An author's own link and accent colours: dark mode must follow them, legibly.
    extra = '\n[colors]\nlink = "#1a7f37"\naccent = "#cf222e"\n'
    serve_from(sample / "newsletter.toml", base_url, extra)
    build(sample, out=www / "site")
    return f"{base_url}site/{SAMPLE_SLUG}/email.html"


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_is_legible_in_light_and_dark(
    browser: Any, served_email: str, scheme: str
) -> None:
    page = browser.new_page(viewport={"width": 600, "height": 900}, color_scheme=scheme)
    try:
        page.goto(served_email)
        nodes = page.evaluate(CONTRAST_JS)
        assert len(nodes) > 50
        low = [n for n in nodes if n["size"] < 18 and n["ratio"] < 4.5]
        low += [n for n in nodes if n["size"] >= 18 and n["ratio"] < 3]
        assert not low, low
        if scheme == "dark":  # links follow the author's green, lightened; not a default blue
            colours = page.evaluate(
                "[...document.querySelectorAll('.masthead-line a:not(.masthead-name)')]"
                ".map(a => getComputedStyle(a).color)"
            )
            assert colours and all(c.startswith("rgb(") for c in colours)
            r, g, b = (int(v) for v in re.findall(r"\d+", colours[0])[:3])
            assert g > r and g > b, colours
    finally:
        page.close()


@pytest.mark.browser
def test_sizes_targets_and_the_masthead_in_chromium(browser: Any, served_email: str) -> None:
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": 600, "height": 900}, color_scheme=scheme)
        try:
            page.goto(served_email)
            footer = page.evaluate(
                "[...document.querySelectorAll('.footer p')].map(p => "
                "parseFloat(getComputedStyle(p).fontSize))"
            )
            assert footer and min(footer) >= 14
            links = page.evaluate(
                "[...document.querySelectorAll('.footer a')].map(a => { const r = "
                "a.getBoundingClientRect(); return [a.textContent, r.height, r.width]; })"
            )
            assert links and all(h >= 24 and w >= 24 for _, h, w in links), links
            credit = page.evaluate(
                "parseFloat(getComputedStyle(document.querySelector('.credit')).fontSize)"
            )
            assert credit >= 12
            margin = page.evaluate(
                "getComputedStyle(document.querySelector('.masthead-line')).marginBottom"
            )
            assert margin == "0px"
            name, title = page.evaluate(
                "[getComputedStyle(document.querySelector('.masthead-name')).color,"
                " getComputedStyle(document.querySelector('h1')).color]"
            )
            assert name == title, (scheme, name, title)  # the text colour, never a link's
        finally:
            page.close()


#: The preheader as shown, then where a mail program drops ``display:none`` (some webmail do).
PREHEADER_JS = """
() => {
  const p = document.querySelector('.preheader');
  const below = document.querySelector('.masthead-line');
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const top = () => below.getBoundingClientRect().top;
  const style = getComputedStyle(p);
  const read = document.body.innerText.includes(p.textContent.slice(0, 30));
  const shown = {display: style.display, box: box(p), top: top(),
                 font: parseFloat(style.fontSize), read};
  p.style.display = 'block';
  const dropped = {box: box(p), top: top(), opacity: getComputedStyle(p).opacity};
  return {shown, dropped};
}
"""


@pytest.mark.browser
def test_the_preheader_hides_by_its_box_never_a_tiny_font(browser: Any, served_email: str) -> None:
    page = browser.new_page(viewport={"width": 600, "height": 900})
    try:
        page.goto(served_email)
        found = page.evaluate(PREHEADER_JS)
    finally:
        page.close()
    shown, dropped = found["shown"], found["dropped"]
    assert shown["display"] == "none" and shown["box"] == [0, 0] and not shown["read"], found
    assert shown["font"] > 1, found  # a 0 or 1 px font before text is a spam sign
    # Without display:none, a box of no size, transparent, that moves nothing below it.
    assert dropped["box"] == [0, 0] and dropped["opacity"] == "0", found
    assert dropped["top"] == shown["top"], found


#: SpamAssassin's rules on hidden text: a tiny font before text (FONT_INVIS_*), hidden styles
#: (STY_INVIS_*, HTML_TEXT_INVISIBLE_STYLE, LONG_INVISIBLE_TEXT), text coloured as its background.
HIDDEN_TEXT_RULES = re.compile(r"INVIS|FONT_LOW_CONTRAST")


def test_spamassassin_finds_no_hidden_text_in_the_sample(sample: Path, spamassassin: Any) -> None:
    build(sample)
    data = (sample / "site" / SAMPLE_SLUG / "email.eml").read_bytes()
    scores = spamassassin(b"To: reader@example.net\r\n" + data)  # as a relay sends it
    hidden = {rule: points for rule, points in scores.items() if HIDDEN_TEXT_RULES.search(rule)}
    assert sum(hidden.values()) <= 0.5, scores
    assert "HTML_MESSAGE" in scores  # the report was read


def test_outlook_and_ios_get_what_they_need(sample: Path) -> None:
    html = render_one(sample, SAMPLE_SLUG).html
    head = html.split("</head>")[0]
    assert '<meta name="x-apple-disable-message-reformatting">' in head
    assert 'name="format-detection" content="telephone=no, date=no, address=no' in head
    mso = re.search(r"<!--\[if mso\]><style>(.*?)</style><!\[endif\]-->", head)
    assert mso and "mso-line-height-rule: exactly" in mso.group(1)
    assert "Georgia" in mso.group(1) and "Arial" in mso.group(1)  # not -apple-system
    preheader = lxml.html.document_fromstring(html).xpath("//div[@class='preheader']")[0]
    assert "mso-hide:all" in preheader.get("style") and "display:none" in preheader.get("style")
    # Every Outlook-only table of a divider is as wide as the column it sits in.
    widths = re.findall(r'<!--\[if mso \| IE\]><table[^>]*width="(\d+)px"[^>]*border-top', html)
    assert widths and set(widths) == {"552"}
    assert len(html.encode()) < 40 * 1024


def render_body(newsletter: Newsletter, body: str, **front: str) -> Any:
    path = newsletter.issue(body=body, **front)
    config = load_config(newsletter.root)
    return render_issue(load_issue(path, config), config, Theme(newsletter.root))


SOURCES = """\
The pump's new role matters.

(Source: BBC News)

Source: [Reuters](https://example.org/r)

Sources: the ministry; our reporting.

A paragraph with its source on the next line.
Photo: A. Writer
"""


def test_source_lines_are_set_apart_everywhere(newsletter: Newsletter) -> None:
    rendered = render_body(newsletter, SOURCES)
    email = lxml.html.document_fromstring(rendered.html)
    sources = [p.text_content() for p in email.xpath("//p[contains(@class, 'source')]")]
    assert sources == [
        "(Source: BBC News)",
        "Source: Reuters",
        "Sources: the ministry; our reporting.",
        "Photo: A. Writer",
    ]
    assert all("font-size:14px" in p.get("style") for p in email.xpath("//p[@class='source']"))
    article = lxml.html.fragment_fromstring(rendered.article_html, create_parent="div")
    assert [p.text_content() for p in article.xpath("//p[@class='source']/small")] == sources
    assert "next line.\n\nPhoto: A. Writer" in rendered.text


def test_titles_summaries_and_captions_get_the_bodys_typography(newsletter: Newsletter) -> None:
    rendered = render_body(
        newsletter,
        "![A pump](https://img.example/p.jpg"
        " \"The pump's job -- for now | Photo: O'Neil\")\n\nText.\n",
        title='The "pump\'s" return',
        summary="It's back -- and bigger...",
        subtitle="What's next",
    )
    for output in (rendered.html, rendered.text, rendered.article_html):
        assert "pump's" not in output and "pump&#x27;s" not in output, output
    assert rendered.view.title == "The “pump’s” return"
    assert rendered.view.preheader == "It’s back – and bigger…"
    assert "The pump’s job – for now" in rendered.html and "O’Neil" in rendered.html
    assert "What’s next" in rendered.text


#: An issue with what widens or breaks an email in narrow clients: a long code line, indented
#: code, a long URL in text and in a table, a table of words, a callout and a quote.
LONG_URL = "https://example.org/reports/2026/a-very-long-path/that-never-ends/and-keeps-going/"
LONG_NAME = "CAPITALS_OF_THE_WORLD_BY_COUNTRY_NAME_WITHOUT_ANY_SPACE_AT_ALL_IN_A_VERY_LONG_LINE"
NARROW = f"""\
Read {LONG_URL}index.html today, and
Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft tomorrow.

```python
def capital(country):
    return {LONG_NAME}[country]
        yield  country
```

| Country | Capital | Notes |
|---|---|---|
| Russia | Moscow | Largest country by area in the world |
| Australia | Canberra | Capital chosen as a compromise between Sydney and Melbourne |
| Link | https://example.org/another/very/long/url/in/a/table/cell/that/goes/on | end |

::: note
A callout with a sentence of ordinary words.
:::

> A quote that is worth quoting in full, with its words.
"""

#: Remove CSS properties from the inline styles and the <style> blocks, as clients that drop them.
DROP_CSS_JS = """
(names) => {
  for (const el of document.querySelectorAll('[style]'))
    for (const name of names) el.style.removeProperty(name);
  const strip = (rules) => { for (const rule of rules) {
    if (rule.style) for (const name of names) rule.style.removeProperty(name);
    if (rule.cssRules) strip(rule.cssRules);
  } };
  for (const sheet of document.styleSheets) strip(sheet.cssRules);
}
"""

#: How the page lays out: its width, words split across lines in data tables, where the code's
#: lines start, and the padding around callout, quote and code text up to MJML's cell.
LAYOUT_JS = """
() => {
  const split = [];
  const cells = document.querySelectorAll('.body-text table:not([role]) :is(td, th)');
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('a')) continue;  // a URL may wrap anywhere
      for (const m of node.textContent.matchAll(/[A-Za-z]+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) split.push(m[0]);
      }
    }
  }
  const textAt = (needle) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const i = node.textContent.indexOf(needle);
      if (i >= 0) { const r = document.createRange(); r.setStart(node, i);
        r.setEnd(node, i + needle.length); return [node, r.getClientRects()[0]]; }
    }
    return [null, null];
  };
  const code = ['def capital', 'return ', 'yield'].map((needle) => {
    const r = textAt(needle)[1];
    return r && [Math.round(r.left), Math.round(r.top)];
  });
  const padding = (needle) => {
    let el = textAt(needle)[0].parentElement;
    const found = [];
    for (; el && !(el.className || '').includes('dm-text'); el = el.parentElement) {
      const s = getComputedStyle(el);
      found.push([el.tagName, parseFloat(s.paddingLeft) + parseFloat(s.paddingRight)
                  + parseFloat(s.paddingTop) + parseFloat(s.paddingBottom)]);
    }
    return found;
  };
  return {width: document.documentElement.scrollWidth, viewport: innerWidth, split, code,
          padded: {callout: padding('A callout with'), quote: padding('A quote that'),
                   code: padding('def capital')}};
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 375, 600])
def test_narrow_screens_keep_code_urls_tables_and_boxes_in_shape(
    browser: Any, newsletter: Newsletter, http_server: tuple[str, Path], width: int
) -> None:
    base_url, www = http_server
    serve_from(newsletter.root / "newsletter.toml", base_url)
    newsletter.issue(body=NARROW)
    build(newsletter.root, out=www / "site")
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(f"{base_url}site/first/email.html")
        # As built; then as the clients that drop `white-space` (#34 row 1: Samsung Email,
        # Outlook for Windows, Windows Mail) and `word-break` (row 2: Yahoo) show it.
        for dropped in ([], ["white-space"], ["word-break"], ["white-space", "word-break"]):
            page.evaluate(DROP_CSS_JS, dropped)
            found = page.evaluate(LAYOUT_JS)
            assert found["width"] <= found["viewport"], (dropped, found)  # rows 1, 2
            assert not found["split"], (dropped, found)  # row 3: no word split mid-word
            (def_x, def_y), (return_x, return_y), (if_x, if_y) = found["code"]
            assert def_y < return_y < if_y, (dropped, found)  # row 1: its lines
            assert def_x < return_x < if_x, (dropped, found)  # and their indentation
            for kind, chain in found["padded"].items():  # row 7: the padding on a cell
                assert all(pad == 0 for tag, pad in chain if tag != "TD"), (kind, chain)
                assert any(pad > 0 for tag, pad in chain if tag == "TD"), (kind, chain)
    finally:
        page.close()


# --- Issue #34: phones, Outlook's fonts and dark mode, small print (rows 4, 9, 10, 11) ---------

RICH = """\
Opening words.[^1]

![A small square](small.png "A square | Photo: A. Snapper")

![A wide view](wide.png)

### A third-level heading

#### A fourth-level heading

| Cable | Length |
| ----- | ------ |
| One   | 10 km  |

> A quoted line.

::: correction
The length was wrong.
:::

[^1]: The note.
"""


@pytest.fixture
def rich_email(newsletter: Newsletter, http_server: tuple[str, Path]) -> str:
    """An issue with a logo, a small and a wide image, h3/h4, a table, a quote, a callout and a
    note, built on a local HTTP server: its email's URL."""
    from PIL import Image

    base_url, www = http_server
    Image.new("RGB", (320, 80), "#204060").save(newsletter.root / "logo.png")
    Image.new("RGB", (120, 120), "#406080").save(newsletter.root / "issues" / "small.png")
    Image.new("RGB", (1200, 600), "#608040").save(newsletter.root / "issues" / "wide.png")
    settings = newsletter.settings('logo = "logo.png"\n' + SETTINGS)
    serve_from(settings, f"{base_url}site/")
    newsletter.issue(body=RICH)
    build(newsletter.root, out=www / "site")
    return f"{base_url}site/first/email.html"


@pytest.mark.browser
def test_only_images_wider_than_a_phone_fill_it(browser: Any, rich_email: str) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 800})
    try:
        page.goto(rich_email)
        shown = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('img')].map(i => "
            "[i.alt, [i.getBoundingClientRect().width, i.naturalWidth]]))"
        )
    finally:
        page.close()
    logo, small, wide = shown["Test Weekly"], shown["A small square"], shown["A wide view"]
    assert logo[0] == 160 and logo[1] == 320, shown  # its 2x file, shown at 1x: 160 px
    assert small[0] == 120 and small[1] == 120, shown  # never blown up
    assert 300 < wide[0] <= 375 - 48, shown  # the phone's column, edge to edge of the text


@pytest.mark.browser
def test_an_english_issue_stays_left_to_right_whatever_its_preheader(
    newsletter: Newsletter, http_server: tuple[str, Path], browser: Any
) -> None:
    base_url, www = http_server
    serve_from(newsletter.root / "newsletter.toml", base_url)
    newsletter.issue(summary='"مرحبا بكم: the week in Arabic media"', body="English words.\n")
    build(newsletter.root, out=www / "site")
    page = browser.new_page(viewport={"width": 600, "height": 800})
    try:
        page.goto(f"{base_url}site/first/email.html")
        found = page.evaluate(
            "[document.documentElement.dir,"
            " getComputedStyle(document.querySelector('[role=article]')).direction,"
            " getComputedStyle(document.querySelector('h1')).direction]"
        )
    finally:
        page.close()
    assert found == ["ltr", "ltr", "ltr"], found


#: The Outlook.com dark rules: their <style> block, and each coloured text element they miss
#: when Outlook.com marks the email (data-ogsc: it rewrote a text colour; data-ogsb: a background).
OUTLOOK_DARK_JS = """
() => {
  const sheets = [...document.styleSheets].filter((s) =>
    [...s.cssRules].some((r) => (r.cssText || '').includes('data-ogsc')));
  const rules = sheets.flatMap((s) => [...s.cssRules]);
  document.body.setAttribute('data-ogsc', '');
  document.body.setAttribute('data-ogsb', '');
  const missed = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.style.color || !el.textContent.trim() || el.closest('.preheader')) continue;
    if (!rules.some((r) => r.selectorText && r.style.color && el.matches(r.selectorText)))
      missed.push(`${el.tagName.toLowerCase()}.${el.className}`);
  }
  return {sheets: sheets.length, kinds: rules.map((r) => r.constructor.name),
          texts: sheets.map((s) => s.ownerNode.textContent), missed};
}
"""


@pytest.mark.browser
def test_outlook_com_dark_rules_cover_every_coloured_text_in_a_block_of_their_own(
    browser: Any, rich_email: str
) -> None:
    page = browser.new_page(viewport={"width": 600, "height": 800})
    try:
        page.goto(rich_email)
        found = page.evaluate(OUTLOOK_DARK_JS)
    finally:
        page.close()
    assert found["sheets"] == 1, found  # one block: [data-ogsc] and [data-ogsb] rules alone
    assert set(found["kinds"]) == {"CSSStyleRule"}, found  # no @media a client may not read
    assert "@media" not in found["texts"][0], found
    assert not found["missed"], found["missed"]


#: Computed font sizes of the small print a reader must read.
SMALL_PRINT_JS = """
() => Object.fromEntries([
  ['credit', '.credit'], ['note number', 'sup.fn-ref'], ['notes', 'ol.notes li'],
  ['callout label', 'p.callout-label'], ['alt text', 'img[alt="A wide view"]'],
  ['masthead', '.masthead-line'], ['caption', 'p.caption'], ['footer', '.footer p'],
].map(([name, selector]) => {
  const el = document.querySelector(selector);
  return [name, el ? parseFloat(getComputedStyle(el).fontSize) : null];
}))
"""


@pytest.mark.browser
def test_small_print_is_at_least_14px(browser: Any, rich_email: str) -> None:
    for width in (600, 375):
        page = browser.new_page(viewport={"width": width, "height": 800})
        try:
            page.goto(rich_email)
            sizes = page.evaluate(SMALL_PRINT_JS)
        finally:
            page.close()
        assert all(size is not None and size >= 14 for size in sizes.values()), (width, sizes)


#: Behind each image, the first background that is not transparent: the image's own, else its
#: ancestors'.
BACKING_JS = """
() => [...document.querySelectorAll('img')].map((img) => {
  for (let el = img; el; el = el.parentElement) {
    const c = (getComputedStyle(el).backgroundColor.match(/[\\d.]+/g) || []).map(Number);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) return [img.alt, c.slice(0, 3)];
  }
  return [img.alt, [255, 255, 255]];
})
"""


def luminance(rgb: tuple[int, ...] | list[int]) -> float:
    """Return WCAG 2's relative luminance of an sRGB colour."""
    linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.browser
def test_transparent_logos_and_drawings_keep_a_light_backing_in_dark_mode(
    newsletter: Newsletter, http_server: tuple[str, Path], browser: Any
) -> None:
    from PIL import Image, ImageDraw

    base_url, www = http_server
    for path, size in ((newsletter.root / "logo.png", (320, 80)),
                       (newsletter.root / "issues" / "drawing.png", (200, 200))):  # fmt: skip
        picture = Image.new("RGBA", size, (0, 0, 0, 0))  # dark lines on nothing
        ImageDraw.Draw(picture).rectangle((10, 10, size[0] - 10, 30), fill=(26, 26, 26, 255))
        picture.save(path)
    settings = newsletter.settings('logo = "logo.png"\n' + SETTINGS)
    serve_from(settings, f"{base_url}site/")
    newsletter.issue(body="Words.\n\n![A drawing](drawing.png)\n")
    build(newsletter.root, out=www / "site")
    found = {}
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": 600, "height": 800}, color_scheme=scheme)
        try:
            page.goto(f"{base_url}site/first/email.html")
            found[scheme] = page.evaluate(BACKING_JS)
        finally:
            page.close()
    ink = luminance((26, 26, 26))
    for scheme, backings in found.items():
        assert len(backings) == 2, found
        for alt, rgb in backings:  # the dark lines against what is behind them
            assert (luminance(rgb) + 0.05) / (ink + 0.05) >= 4.5, (scheme, alt, rgb)


#: The logos a reader sees: each shown image's file name, the background behind it.
SHOWN_LOGOS_JS = """
() => [...document.querySelectorAll('img')].filter((img) => img.getClientRects().length
  && img.getBoundingClientRect().height > 0).map((img) => img.src.split('/').pop())
"""


@pytest.mark.browser
def test_a_dark_mode_logo_takes_the_logos_place_in_dark_mode_only(
    newsletter: Newsletter, http_server: tuple[str, Path], browser: Any
) -> None:
    from PIL import Image

    base_url, www = http_server
    Image.new("RGBA", (320, 80), (26, 26, 26, 255)).save(newsletter.root / "logo.png")
    Image.new("RGBA", (320, 80), (240, 240, 240, 255)).save(newsletter.root / "logo-dark.png")
    settings = newsletter.settings('logo = "logo.png"\nlogo_dark = "logo-dark.png"\n' + SETTINGS)
    serve_from(settings, f"{base_url}site/")
    newsletter.issue(body="Words.\n")
    build(newsletter.root, out=www / "site")
    html = (www / "site" / "first" / "email.html").read_text(encoding="utf-8")
    shown = {}
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": 600, "height": 800}, color_scheme=scheme)
        try:
            page.goto(f"{base_url}site/first/email.html")
            shown[scheme] = page.evaluate(SHOWN_LOGOS_JS)
        finally:
            page.close()
    assert [name.split("-")[0] for name in shown["light"]] == ["logo"], shown
    assert [name.split(".")[0] for name in shown["dark"]] == ["logo-dark-320w"], shown
    for name in shown["light"] + shown["dark"]:  # each published beside the email
        assert (www / "site" / name).is_file(), name
    # Outlook.com's dark mode swaps them too; Outlook for Windows never sees the dark one.
    assert "[data-ogsc] .logo-dark" in html and "[data-ogsc] .logo-light" in html
    assert re.search(r"<!--\[if !mso\]><!-->\s*<tr class=\"logo-dark\"", html)
