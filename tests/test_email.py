"""The email: real MJML compile, every contract point checked on the rendered HTML."""

from __future__ import annotations

import email
import email.message
import http.client
import re
import subprocess
import sys
from email import policy
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import SAMPLE_SLUG, SETTINGS, Newsletter
from publisher.cli import cli
from publisher.config import UNSUBSCRIBE_PRESETS, load_config
from publisher.model.issue import load_issue, load_issues
from publisher.model.markdown import inline_text, parse
from publisher.render.issue import render_issue
from publisher.render.rendered import Rendered
from publisher.render.theme import Theme

WORD = re.compile(r"\w+")
BLOCK_TAG = re.compile(r"<(/?(?:p|div|td|th|tr|li|h[1-6]|table|ol|ul|blockquote|pre|br)\b)", re.I)


def render(root: Path, path: Path) -> Rendered:
    config = load_config(root)
    return render_issue(load_issue(path, config), config, Theme(root))


def render_sample(root: Path) -> Rendered:
    config = load_config(root)
    (issue,) = [i for i in load_issues(root, config) if i.slug == SAMPLE_SLUG]
    return render_issue(issue, config, Theme(root))


def visible_text(html: str) -> str:
    """Return the text a reader sees: no head, no hidden preheader, no conditional comments."""
    spaced = BLOCK_TAG.sub(r" <\1", html)  # blocks are separate lines on screen
    tree = lxml.html.document_fromstring(spaced)
    for hidden in tree.xpath('//*[contains(@style, "display:none")]'):
        hidden.drop_tree()
    return " ".join(tree.body.text_content().split())


def source_words(body: str) -> list[str]:
    """Return every word the author wrote in the body, from the parsed tree, in order."""
    doc = parse(body)
    words: list[str] = []
    for token in doc.tokens:
        if token.type == "inline":
            visible = [c for c in token.children or [] if c.type != "image"]  # alt is not shown
            words += WORD.findall(inline_text(token.copy(children=visible)))
        elif token.type in ("fence", "code_block"):
            words += WORD.findall(token.content)
    return words


def is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


# --- the sample issue --------------------------------------------------------------------------


def test_sample_email_compiles_and_meets_the_contract(sample: Path) -> None:
    html = render_sample(sample).html
    tree = lxml.html.document_fromstring(html)
    assert tree.get("lang") == "en"
    assert tree.findtext(".//title") == "The wires under the sea"
    # every image has alt text and explicit width
    images = tree.xpath("//img")
    assert images
    for img in images:
        assert img.get("alt"), lxml.html.tostring(img)
        assert img.get("width"), lxml.html.tostring(img)
    lead = images[0]
    assert re.fullmatch(
        f"https://longview.example.org/{SAMPLE_SLUG}/lead-1200w\\.[0-9a-f]{{10}}\\.jpg",
        lead.get("src"),
    )
    assert (lead.get("width"), lead.get("height")) == ("600", "338")  # from the real file
    # view in browser and unsubscribe merge tag and postal address
    hrefs = [a.get("href") for a in tree.xpath("//a")]
    assert f"https://longview.example.org/{SAMPLE_SLUG}/" in hrefs
    assert "{{ unsubscribe_url }}" in hrefs
    assert "12 Harbour Row" in visible_text(html)
    # no remote fonts, dark mode present, CSS inlined onto elements
    assert "fonts.googleapis" not in html and "<link" not in html
    assert "prefers-color-scheme: dark" in html
    assert 'name="color-scheme"' in html
    h2 = tree.xpath("//h2")[0]
    assert "font-size" in (h2.get("style") or "")
    assert not tree.xpath("//script|//iframe|//form")


def test_sample_email_is_well_under_gmail_clipping(sample: Path) -> None:
    size = len(render_sample(sample).html.encode("utf-8"))
    assert size < 60_000, f"sample email is {size} bytes"


def test_every_source_word_is_visible_in_order(sample: Path) -> None:
    issue = sample / "issues" / "2026-11-20-undersea-cables" / "index.md"
    body = issue.read_text(encoding="utf-8").split("---\n", 2)[2]
    words = source_words(body)
    assert len(words) > 500
    seen = WORD.findall(visible_text(render_sample(sample).html))
    assert is_subsequence(words, seen)


def test_every_url_is_absolute(sample: Path) -> None:
    tree = lxml.html.document_fromstring(render_sample(sample).html)
    urls = tree.xpath("//@href | //@src")
    assert urls
    for url in urls:
        assert url.startswith(("https://", "http://", "mailto:", "{{")), url


def test_preheader_is_summary_and_padded(sample: Path) -> None:
    tree = lxml.html.document_fromstring(render_sample(sample).html)
    (preheader,) = tree.xpath('//div[contains(@style, "display:none")]')
    text = preheader.text_content()
    assert text.startswith("Why a few hundred cables on the sea floor")
    assert text.count("\u200c") >= 50


# --- Markdown features ---------------------------------------------------------------------------


def test_adjacent_inline_tags_keep_their_space(newsletter: Newsletter) -> None:
    """mjml-python drops newline-only text between tags; every word must stay apart."""
    body = (
        "One **bold**\n*italic* and `code`\n[link](https://x.example/)\n~~gone~~ end.\n\n"
        "<b>raw</b>\n<i>html</i>\n"
    )
    html = render(newsletter.root, newsletter.issue(body=body)).html
    text = visible_text(html)
    assert "One bold italic and code link gone end." in text
    assert "raw html" in text


def test_preheader_from_first_paragraph(newsletter: Newsletter) -> None:
    path = newsletter.issue(
        body="![Alt](https://img.example/a.png)\n\nFirst words here.\n\nMore.\n"
    )
    tree = lxml.html.document_fromstring(render(newsletter.root, path).html)
    (preheader,) = tree.xpath('//div[contains(@style, "display:none")]')
    assert preheader.text_content().startswith("First words here.")


@pytest.mark.parametrize(
    ("front", "shown"),
    [
        ({"summary": "The summary.", "subtitle": "The dek."}, "The summary."),
        ({"subtitle": "The dek."}, "The dek."),
        ({}, "First words here."),
    ],
)
def test_preheader_is_summary_else_subtitle_else_first_paragraph(
    newsletter: Newsletter, front: dict[str, str], shown: str
) -> None:
    path = newsletter.issue(body="First words here.\n\nMore.\n", **front)
    tree = lxml.html.document_fromstring(render(newsletter.root, path).html)
    (preheader,) = tree.xpath('//div[@class="preheader"]')
    assert preheader.text_content().startswith(shown + "\u034f")


def test_relative_links_and_images_become_absolute(newsletter: Newsletter) -> None:
    body = "[prev](../2025-07-01-prev/) and [top](/about/) and [here](#notes)\n\n![A](pic.png)\n"
    html = render(newsletter.root, newsletter.issue(body=body)).html
    assert 'href="https://news.example.org/2025-07-01-prev/"' in html
    assert 'href="https://news.example.org/about/"' in html
    assert 'href="https://news.example.org/first/#notes"' in html
    assert 'src="https://news.example.org/first/pic.png"' in html


def test_image_title_becomes_caption_and_credit(newsletter: Newsletter) -> None:
    folder = newsletter.root / "issues" / "2025-07-15-pics"
    folder.mkdir(parents=True)
    Image.new("RGB", (1000, 500), "navy").save(folder / "wide.png")
    Image.new("RGB", (200, 100), "red").save(folder / "small.png")
    body = (
        "Intro.\n\n"
        '![Wide alt](wide.png "A harbour at dusk | Photo: Jo Doe")\n\n'
        "![Small alt](small.png)\n\n![](https://elsewhere.example/x.png)\n"
    )
    path = newsletter.issue("2025-07-15-pics/index.md", body=body)
    html = render(newsletter.root, path).html
    tree = lxml.html.document_fromstring(html)
    wide, small, remote = tree.xpath("//img")
    assert (wide.get("width"), wide.get("height")) == ("552", "276")
    assert (small.get("width"), small.get("height")) == ("200", "100")
    assert remote.get("width") == "552" and remote.get("alt") == ""
    text = visible_text(html)
    assert "A harbour at dusk Photo: Jo Doe" in text


def test_footnotes_become_numbered_endnotes(newsletter: Newsletter) -> None:
    body = "Claim one.[^a] Claim two.[^b]\n\n[^a]: First note.\n[^b]: Second [note](https://n.example/).\n"
    html = render(newsletter.root, newsletter.issue(body=body)).html
    tree = lxml.html.document_fromstring(html)
    assert [s.text_content() for s in tree.xpath("//sup")] == ["1", "2"]
    notes = tree.xpath('//ol[contains(@class, "notes")]/li')
    assert [n.get("value") for n in notes] == [None, None]  # a plain <ol> numbers them
    assert notes[1].text_content().strip() == "Second note."
    assert "#fn" not in html  # no in-page anchors that most clients break


def test_tables_strikethrough_quotes_code_rules(newsletter: Newsletter) -> None:
    body = (
        'He said "yes" -- then left...\n\n'
        "| A | B |\n|---|---|\n| 1 | 2 |\n\n"
        "~~old~~ new\n\n> Pull quote.\n\n---\n\n```\ncode <here>\n```\n\n"
        "Visit https://auto.example.org now.\n"
    )
    html = render(newsletter.root, newsletter.issue(body=body)).html
    tree = lxml.html.document_fromstring(html)
    assert "He said “yes” – then left…" in visible_text(html)
    assert tree.xpath("//table//th")[0].text_content() == "A"
    assert tree.xpath("//s")[0].text_content() == "old"
    assert tree.xpath("//blockquote")[0].text_content().strip() == "Pull quote."
    # Code in a padded cell, its lines and spaces kept without `white-space` (#34 rows 1, 7).
    assert not tree.xpath("//pre")
    assert tree.xpath("//td[contains(@class, 'code-box')]")[0].text_content() == "code <here>"
    assert tree.xpath('//a[@href="https://auto.example.org"]')


def test_unsafe_html_never_reaches_the_email(newsletter: Newsletter) -> None:
    body = (
        "<script>alert(1)</script>\n\n"
        '<p onclick="steal()">Click <a href="javascript:alert(2)">me</a></p>\n\n'
        '<iframe src="https://evil.example/"></iframe>\n\n'
        '<form action="https://evil.example/"><input name="x"></form>\n\n'
        '[bad](javascript:alert(3)) and <span style="color:red">kept text</span>\n'
    )
    html = render(newsletter.root, newsletter.issue(body=body)).html.lower()
    for bad in ("<script", "onclick", "<iframe", "<form", "<input", "alert(1)", "steal()"):
        assert bad not in html, bad
    tree = lxml.html.document_fromstring(html)
    assert not [url for url in tree.xpath("//@href | //@src") if "javascript" in url]
    assert "kept text" in html


def test_remote_fonts_only_when_asked(newsletter: Newsletter) -> None:
    newsletter.settings(
        'base_url = "https://n.example/"\n[fonts]\nbody = "Inter, sans-serif"\n'
        'stylesheet = "https://fonts.example/inter.css"\n'
    )
    html = render(newsletter.root, newsletter.issue()).html
    assert "https://fonts.example/inter.css" in html


@pytest.mark.parametrize("service", ["mailchimp", "listmonk", "mailerlite", "postmark"])
def test_unsubscribe_merge_tag_survives_verbatim(newsletter: Newsletter, service: str) -> None:
    from publisher.config import UNSUBSCRIBE_PRESETS

    newsletter.settings(f'base_url = "https://n.example/"\n[unsubscribe]\nservice = "{service}"\n')
    html = render(newsletter.root, newsletter.issue()).html
    assert f'href="{UNSUBSCRIBE_PRESETS[service]}"' in html


# --- unsubscribing each reader (#33) ------------------------------------------------------------


def eml(root: Path, *args: str) -> email.message.EmailMessage:
    """Return the issue's ready-to-send message, as email.eml holds it and mail programs read it."""
    result = CliRunner().invoke(cli, ["-C", str(root), "render", "first", "--format", "eml", *args])
    assert result.exit_code == 0, result.output
    parsed = email.message_from_bytes(result.stdout_bytes, policy=policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def footer_link(message: email.message.EmailMessage) -> str:
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    tree = lxml.html.document_fromstring(html)
    (link,) = tree.xpath('//a[text()="Unsubscribe"]/@href')
    return str(link)


@pytest.mark.parametrize("service", sorted(UNSUBSCRIBE_PRESETS))
def test_the_service_that_sends_the_eml_fills_in_its_tag_for_each_reader(
    newsletter: Newsletter, service: str
) -> None:
    tag = UNSUBSCRIBE_PRESETS[service]
    newsletter.settings(SETTINGS.replace('"mailchimp"', f'"{service}"'))
    newsletter.issue()
    message = eml(newsletter.root)
    assert message["List-Unsubscribe"] == f"<{tag}>"
    assert message["List-Unsubscribe-Post"] is None  # the service's page, opened by GET
    assert footer_link(message) == tag
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Unsubscribe: {tag}" in text


RELAY = """
[unsubscribe]
service = "custom"
url = "https://news.example.org/leave?t=%%token%%"
header_url = "https://news.example.org/one-click?t=%%token%%"
mailto = "leave@news.example.org"
"""


def test_one_click_only_with_a_url_that_names_the_reader(newsletter: Newsletter) -> None:
    settings = SETTINGS.split("[unsubscribe]")[0]
    newsletter.settings(settings + RELAY)
    newsletter.issue()
    message = eml(newsletter.root)
    assert message["List-Unsubscribe"] == (
        "<https://news.example.org/one-click?t=%%token%%>, "
        "<mailto:leave@news.example.org?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert footer_link(message) == "https://news.example.org/leave?t=%%token%%"
    # The same URL for every reader: a one-click POST could not say who left (RFC 8058 §3.1).
    newsletter.settings(settings + RELAY.replace("?t=%%token%%", ""))
    message = eml(newsletter.root)
    assert message["List-Unsubscribe"].startswith("<https://news.example.org/one-click>, ")
    assert message["List-Unsubscribe-Post"] is None


def test_a_dry_run_calls_the_placeholder_a_placeholder(newsletter: Newsletter) -> None:
    newsletter.settings(SETTINGS.replace('service = "mailchimp"\n', ""))
    newsletter.issue()
    result = CliRunner().invoke(
        cli, ["-C", str(newsletter.root), "send", "first", "--to", "me@example.org", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "note: no email service is chosen (service under [unsubscribe]), so the email's "
        "unsubscribe link is a placeholder; in this message it leads to "
        "https://news.example.org/first/"
    ) in result.stderr
    assert "merge tag" not in result.stderr


# --- markup nested too deep for mjml-python (#32) ----------------------------------------------

#: What crashed mjml-python's Rust stack (a segmentation fault): each with the line (of an issue
#: written by ``Newsletter.issue``, its body from line 5) where the nesting passes 100 levels.
CRASHES = {
    "emphasis": ("Hello.\n\n" + "*" * 20000 + "x" + "*" * 20000 + "\n", 7),
    "underscores": ("Hello.\n\n" + "_" * 20000 + "x" + "_" * 20000 + "\n", 7),
    "divs, one a line": ("Hello.\n\n" + "<div>\n" * 10000 + "x\n", 7 + 100),
    "divs on one line": ("<div>" * 10000 + "x" + "</div>" * 10000 + "\n", 5),
}
MESSAGE = "the markup here nests more than 100 elements inside one another"


def publisher(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in its own process: a crash is then a failed test, not a dead test run."""
    return subprocess.run(
        [sys.executable, "-m", "publisher", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", sorted(CRASHES))
def test_nesting_that_crashed_mjml_is_an_error_at_its_line(
    newsletter: Newsletter, name: str
) -> None:
    body, line = CRASHES[name]
    newsletter.issue(body=body)
    result = publisher(newsletter.root, "render", "first")
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert f"issues/2025-07-15-first.md:{line}: {MESSAGE}" in result.stderr
    assert "fix: close what opens here sooner" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_parallel_build_reports_it_and_keeps_the_site(newsletter: Newsletter) -> None:
    newsletter.issue("2025-07-01-earlier.md", title="Earlier", date="2025-07-01")
    assert publisher(newsletter.root, "build").returncode == 0
    site = {p: p.read_bytes() for p in (newsletter.root / "site").rglob("*") if p.is_file()}
    for day in range(10, 18):  # enough issues to render on a pool of processes
        newsletter.issue(f"2025-07-{day}-more-{day}.md", title=f"M{day}", date=f"2025-07-{day}")
    newsletter.issue(body=CRASHES["emphasis"][0])
    result = publisher(newsletter.root, "build", "--jobs", "2")
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert f"issues/2025-07-15-first.md:7: {MESSAGE}" in result.stderr
    assert "BrokenProcessPool" not in result.stderr and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in (newsletter.root / "site").rglob("*") if p.is_file()} == site
    checked = publisher(newsletter.root, "check")
    assert checked.returncode == 1
    assert f"issues/2025-07-15-first.md:7:1: error NEST001 {MESSAGE}" in checked.stdout


def test_the_limit_holds_for_the_sign_off_and_in_the_preview(newsletter: Newsletter) -> None:
    from publisher.preview.server import start

    deep = "*" * 300 + "x" + "*" * 300  # past the limit, far from a crash
    newsletter.issue(body=f"Hello.\n\n{deep}\n")
    newsletter.issue("2025-07-16-signed.md", title="S", date="2025-07-16", signoff=f'"{deep}"')
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(newsletter.root), "render", "first"])
    assert result.exit_code == 1 and f"issues/2025-07-15-first.md:7: {MESSAGE}" in result.output
    result = runner.invoke(cli, ["-C", str(newsletter.root), "render", "signed"])
    assert result.exit_code == 1 and f"issues/2025-07-16-signed.md:4: {MESSAGE}" in result.output
    server = start(newsletter.root, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=10)
        connection.request("GET", "/issue/2025-07-15-first/email.html")
        page = connection.getresponse().read().decode("utf-8")
        assert "issues/2025-07-15-first.md:7:" in page and MESSAGE in page
    finally:
        server.shutdown()
        server.server_close()


def test_a_paragraph_of_thousands_of_source_lines_renders(newsletter: Newsletter) -> None:
    newsletter.issue(body="Figures.\n" + "Source: a table\n" * 2000)
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "render", "first", "-f", "text"])
    assert result.exit_code == 0, result.output
    assert result.output.count("Source: a table") == 2000


# --- Issue #34: Outlook for Windows' fonts, px line heights (rows 6, 8) -----------------------

MSO_BLOCK = re.compile(r"<!--\[if mso\]><style>(.*?)</style><!\[endif\]-->", re.S)
CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def mso_fonts(html: str) -> dict[str, list[str]]:
    """Return each selector of the Outlook-only style block and its font families, in order."""
    (css,) = MSO_BLOCK.findall(html)
    fonts: dict[str, list[str]] = {}
    for selectors, declarations in CSS_RULE.findall(css):
        found = re.search(r"font-family:\s*([^;!]+)", declarations)
        if found:
            families = [f.strip().strip("'\"") for f in found.group(1).split(",")]
            for selector in selectors.split(","):
                fonts[" ".join(selector.split())] = families
    return fonts


ROLES_BODY = """\
## A heading with [a link](https://example.org/h)

Text with [a link](https://example.org/t) and `code`.

| Head |
| ---- |
| cell |

```
code block
```

> A quote.

[Read it](https://example.org/b){.button}
"""


@pytest.mark.parametrize(
    ("fonts", "text", "heading"),
    [
        ("", "Georgia", "Segoe UI"),
        (
            '\n[fonts]\nbody = "Inter, Arial, sans-serif"\n'
            "heading = \"'Iowan Old Style', 'Palatino Linotype', serif\"\n",
            "Arial",
            "Palatino Linotype",
        ),
    ],
)
def test_outlook_gets_the_themes_font_for_each_role(
    newsletter: Newsletter, fonts: str, text: str, heading: str
) -> None:
    newsletter.settings(SETTINGS + fonts)
    html = render(newsletter.root, newsletter.issue(body=ROLES_BODY)).html
    mso = mso_fonts(html)
    # The first font is the one Outlook shows; one it lacks would be Times New Roman.
    for selector in ("td", "th", "div", "p", "li", "blockquote", "a", "span"):
        assert mso[selector][0] == text, (selector, mso)
    roles = ("h1", "h2", "h3", "h4", ".masthead-line", ".caption", ".footer p", ".dm-button td")
    for selector in roles:
        assert mso[selector][0] == heading, (selector, mso)
        for part in ("a", "span"):  # a link or a date takes its line's font, not the body's
            assert mso.get(f"{selector} {part}", mso[selector]) == mso[selector], (selector, mso)
    for selector in ("pre", "code"):
        assert mso[selector][0] == "Consolas" and mso[selector][-1] == "monospace", mso
    # Every family named is one Outlook for Windows has, or a generic one.
    assert not {f for families in mso.values() for f in families} & {
        "-apple-system", "BlinkMacSystemFont", "Roboto", "Inter", "ui-monospace", "Menlo",
        "Iowan Old Style",
    }  # fmt: skip


LINE_HEIGHT = re.compile(r"line-height\s*:\s*([^;\"'}]+)", re.I)


def test_every_line_height_has_a_unit(newsletter: Newsletter, sample: Path) -> None:
    # Outlook's Word engine, told mso-line-height-rule: exactly, takes a bare 1.6 for points.
    body = ROLES_BODY + '\n![A pump](https://img.example/p.jpg "A pump | Photo: O")\n\n[^1]\n'
    body += "\n::: note\nA note.\n:::\n\n[^1]: The note.\n"
    newsletter.settings(SETTINGS + '\n[social]\nWebsite = "https://example.org/"\n')
    for html in (
        render_sample(sample).html,
        render(newsletter.root, newsletter.issue(body=body)).html,
    ):
        values = {v.replace("!important", "").strip() for v in LINE_HEIGHT.findall(html)}
        # No bare number: a length, a percentage, or inherited (a box's cell takes its text's).
        assert values and all(re.fullmatch(r"0|\d+(\.\d+)?(px|%)|inherit", v) for v in values), (
            values
        )


# --- #34 rows 13, 14, 15, 17 (notes list, sanitised links, credits, sign-off) ---------------


def _email_page(newsletter: Newsletter, slug: str = "first") -> lxml.html.HtmlElement:
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "render", slug])
    assert result.exit_code == 0, result.output
    return lxml.html.fromstring(result.stdout)


def test_the_notes_list_numbers_its_items_without_li_value(newsletter: Newsletter) -> None:
    """Outlook (Word) closes the list before each ``<li value>``: a plain ``<ol>``, its items
    in the order of their numbers, numbers them as the references are."""
    newsletter.issue(
        body="One.[^a] Two.[^b] Again.[^a] Three.[^c]\n\n"
        "[^c]: Third note.\n[^a]: First note.\n\n    More of it.\n[^b]: Second note.\n"
    )
    page = _email_page(newsletter)
    refs = [sup.text_content() for sup in page.xpath("//sup[contains(@class, 'fn-ref')]")]
    assert refs == ["1", "2", "1", "3"]
    (notes,) = page.xpath("//ol[contains(@class, 'notes')]")
    items = notes.findall("li")
    assert [li.get("value") for li in items] == [None, None, None]
    assert notes.get("start") in (None, "1")
    assert [" ".join(li.text_content().split()) for li in items] == [
        "First note. More of it.",
        "Second note.",
        "Third note.",
    ]


def test_a_link_whose_javascript_address_was_removed_is_plain_text(
    newsletter: Newsletter,
) -> None:
    """The sanitiser drops a ``javascript:`` href; the ``<a>`` left would still be coloured
    and underlined as a link (email and web page): its text stays, as text."""
    newsletter.issue(
        body='Read <a href="javascript:alert(1)" class="x">the trap</a> or '
        '<a href="https://ok.example/">the page</a>. <a id="here"></a>Here.\n'
    )
    page = _email_page(newsletter)
    assert [a.text_content() for a in page.xpath("//a[not(@href)]")] == []
    (paragraph,) = page.xpath("//p[contains(., 'the trap')]")
    assert " ".join(paragraph.text_content().split()) == "Read the trap or the page. Here."
    assert [a.get("href") for a in paragraph.iter("a")] == ["https://ok.example/"]
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 0, result.output
    web = newsletter.root / "site" / "first" / "index.html"
    article = lxml.html.fromstring(web.read_text(encoding="utf-8"))
    assert [a.text_content() for a in article.xpath("//main//a[not(@href)]")] == []
    (paragraph,) = article.xpath("//p[contains(., 'the trap')]")
    assert [a.get("href") for a in paragraph.iter("a")] == ["https://ok.example/"]
    assert article.xpath("//*[@id='here']") != []


@pytest.mark.parametrize(
    "title",
    ["Source: Kremlin Photo", "Photo: K. Lee", "Credit: AP", "© Reuters", "Quelle: dpa"],
)
def test_an_image_title_that_is_a_credit_is_styled_as_a_credit(
    newsletter: Newsletter, title: str
) -> None:
    """Only " | " split a credit off: a title that is itself a credit was set as a caption."""
    newsletter.issue(body=f'Intro.\n\n![A hall](https://img.example/hall.jpg "{title}")\n\nEnd.\n')
    page = _email_page(newsletter)
    (caption,) = page.xpath("//p[contains(@class, 'caption')]")
    assert [s.text_content() for s in caption.xpath(".//*[contains(@class, 'credit')]")] == [title]
    assert " ".join(caption.text_content().split()) == title  # no caption beside it
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "render", "first", "-f", "text"])
    assert "[Image: A hall] (" + title + ")\n" in result.output
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 0, result.output
    web = lxml.html.fromstring((newsletter.root / "site" / "first" / "index.html").read_bytes())
    (figcaption,) = web.xpath("//figcaption")
    assert [s.text_content() for s in figcaption.xpath(".//*[@class='credit']")] == [title]
    assert " ".join(figcaption.text_content().split()) == title


def test_an_english_sign_off_in_an_arabic_issue_keeps_its_own_direction(
    newsletter: Newsletter,
) -> None:
    """The settings' English sign-off in an Arabic issue rendered ",Until next week": its
    block takes its own direction (``dir="ltr"``, isolated from the issue's ``rtl``), in the
    email and on the web page; an Arabic sign-off stays as the issue is."""
    settings = SETTINGS.replace('language = "en"', 'language = "ar"')
    newsletter.settings(settings.replace("[author]", 'signoff = "Until next week,"\n\n[author]'))
    newsletter.issue(body="يمر معظم الإنترنت عبر كابلات بحرية.\n")
    own = "إلى الأسبوع القادم"
    newsletter.issue("2025-07-16-own.md", title="ب", date="2025-07-16", signoff=own)

    def signoff(tree: lxml.html.HtmlElement, words: str) -> lxml.html.HtmlElement:
        (block,) = tree.xpath(f"//*[contains(@class, 'signoff')]//p[contains(., '{words}')]")
        return block

    page = _email_page(newsletter)
    assert page.xpath("//*[@dir='rtl']") != []  # the issue is right to left
    assert signoff(page, "Until next week,").get("dir") == "ltr"
    (body,) = page.xpath("//p[contains(., 'كابلات')]")
    assert body.get("dir") is None
    assert signoff(_email_page(newsletter, "own"), "الأسبوع").get("dir") is None
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 0, result.output
    web = lxml.html.fromstring((newsletter.root / "site" / "first" / "index.html").read_bytes())
    assert signoff(web, "Until next week,").get("dir") == "ltr"
    text = (newsletter.root / "site" / "first" / "email.txt").read_text(encoding="utf-8")
    assert "\nUntil next week,\n" in text and "\u2068" not in text  # docs/languages.md: why
