"""Themes that are easy to change and hard to break, and the components authors write."""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import Newsletter
from publisher.build.pipeline import build
from publisher.check import run_checks
from publisher.cli import cli
from publisher.render.mjml_rules import validate
from publisher.render.theme import default_theme_dir

COMPONENTS = """\
An opening paragraph.

[Read the report](https://example.org/report){.button}

::: note
A *fibre pair* is two strands.
:::

::: correction
An earlier version gave the wrong year.
:::

::: sponsor
Supported by Harbour Books.
:::
"""


def run(newsletter: Newsletter, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-C", str(newsletter.root), *args])


def own(newsletter: Newsletter, name: str, old: str, new: str) -> Path:
    """Copy a bundled template into the folder with ``old`` replaced by ``new``."""
    target = newsletter.root / "templates" / name
    target.parent.mkdir(exist_ok=True)
    text = (default_theme_dir() / name).read_text(encoding="utf-8")
    assert old in text, old
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target


def test_theme_copy_never_overwrites_and_list_says_whose(newsletter: Newsletter) -> None:
    newsletter.issue()
    mine = own(newsletter, "base.html.j2", "<body>", '<body class="mine">')
    before = mine.read_bytes()
    result = run(newsletter, "theme", "copy")
    assert result.exit_code == 0, result.output
    assert mine.read_bytes() == before and "kept templates/base.html.j2" in result.output
    assert (newsletter.root / "templates" / "email.mjml.j2").read_bytes() == (
        default_theme_dir() / "email.mjml.j2"
    ).read_bytes()
    again = run(newsletter, "theme", "copy", "email.mjml.j2")
    assert "kept templates/email.mjml.j2" in again.output
    assert run(newsletter, "theme", "copy", "footer.j2").exit_code == 1
    listing = run(newsletter, "theme", "list").output
    assert re.search(r"^base\.html\.j2\s+yours\s+blocks: head, main$", listing, re.M)
    assert "context: PageContext (newsletter, kind" in listing
    assert f"bundled theme: {default_theme_dir()}" in listing


def test_check_renders_the_web_theme_as_build_does(newsletter: Newsletter) -> None:
    newsletter.issue()
    own(newsletter, "issue.html.j2", "{{ issue.author }}", "{{ issue.autor }}")
    findings = [f for f in run_checks(newsletter.root) if f.rule == "TPL001"]
    assert [(f.file, f.line) for f in findings] == [("templates/issue.html.j2", 10)]
    assert "has no attribute 'autor'" in findings[0].message
    assert run(newsletter, "build").exit_code == 1


def test_a_block_the_parent_lacks_is_named_with_the_parents_blocks(
    newsletter: Newsletter,
) -> None:
    newsletter.issue()
    own(newsletter, "issue.html.j2", "{% block main %}", "{% block content %}")
    findings = [f for f in run_checks(newsletter.root) if f.rule == "TPL002"]
    assert [(f.file, f.line) for f in findings] == [("templates/issue.html.j2", 2)]
    assert "block 'content' is not a block of base.html.j2" in findings[0].message
    assert "base.html.j2's blocks: head, main" in findings[0].message


def test_safe_html_needs_no_safe_filter(newsletter: Newsletter) -> None:
    newsletter.issue(body="Some **bold** words.\n")
    own(newsletter, "issue.html.j2", "{{ article_html|safe }}", "{{ article_html }}")
    own(newsletter, "email.mjml.j2", "{{ block.html|safe }}", "{{ block.html }}")
    build(newsletter.root)
    page = (newsletter.root / "site" / "first" / "index.html").read_text(encoding="utf-8")
    email = (newsletter.root / "site" / "first" / "email.html").read_text(encoding="utf-8")
    for html in (page, email):
        assert "<strong>bold</strong>" in html and "&lt;strong&gt;" not in html


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            '<mj-section padding="16px 0 8px">',
            '<mj-sektion padding="16px 0 8px">',
            None,
            "<mj-sektion> is not an MJML component; did you mean <mj-section>?",
        ),
        (
            'padding-top="8px" padding-bottom="0"',
            'colour="red" padding-top="8px" padding-bottom="0"',
            None,
            "<mj-divider> has no attribute 'colour'",
        ),
        (
            '  <mj-body width="600px"',
            '  <mj-body width="600px"><mj-text>Stray</mj-text></mj-body><mj-body',
            None,
            "<mj-text> cannot stand directly in <mj-body>",
        ),
    ],
)
def test_mjml_that_mjml_does_not_know_is_an_error_at_the_template_line(
    newsletter: Newsletter, old: str, new: str, line: int | None, message: str
) -> None:
    newsletter.issue()
    path = own(newsletter, "email.mjml.j2", old, new)
    expected = next(n for n, text in enumerate(path.read_text().split("\n"), 1) if new in text)
    findings = [f for f in run_checks(newsletter.root) if f.rule == "TPL001"]
    assert any(message in f.message for f in findings), [f.message for f in findings]
    finding = next(f for f in findings if message in f.message)
    assert (finding.file, finding.line) == ("templates/email.mjml.j2", line or expected)
    result = run(newsletter, "build")
    assert result.exit_code == 1 and message in result.output


def test_mjml_nested_past_what_mjml_python_compiles_is_an_error_at_the_template(
    newsletter: Newsletter,
) -> None:
    newsletter.issue()
    own(
        newsletter,
        "email.mjml.j2",
        '<h1 class="title">{{ issue.title }}</h1>',
        '{% for i in range(250) %}<div>{% endfor %}<h1 class="title">{{ issue.title }}</h1>'
        "{% for i in range(250) %}</div>{% endfor %}",
    )
    result = run(newsletter, "build")
    assert result.exit_code == 1, result.output
    assert (
        "templates/email.mjml.j2: the email template makes MJML that nests more than 200 "
        "elements inside one another (past the limit at <div>): mjml-python cannot compile it"
    ) in result.output
    assert "fix: nest fewer components and tags" in result.output


# --- the sandbox (#32) ---------------------------------------------------------------------------

#: Templates a theme from someone else could hold, what stops each, and at which line.
UNSAFE = {
    "a shell command": (
        '{{ cycler.__init__.__globals__.os.popen("id").read() }}\n',
        1,
        "the theme's sandbox stops this: access to attribute '__init__' of 'type' object",
    ),
    "a file read": (
        "Hello\n{{ newsletter.path.read_text() }}\n",
        2,
        "the theme's sandbox stops this: access to attribute 'path' of 'Config' object",
    ),
    "the clock": (
        "{{ issue.date.now() }}\n",
        1,
        "the theme's sandbox stops this: calling datetime.now() is not allowed",
    ),
    "a huge string": (
        '{{ ("x" * 2000000)|length }}\n',
        1,
        "the theme's sandbox stops this: `*` would make more than 1,000,000 characters",
    ),
    "a huge number": (
        "{{ 7 ** 100000 }}\n",
        1,
        "the theme's sandbox stops this: `**` would make a number of more than 100,000 bits",
    ),
    "a huge range": ("{{ range(10 ** 9)|length }}\n", 1, "OverflowError: Range too big"),
    "calling a string": ("A\n{{ issue.title() }}\n", 2, "TypeError: 'str' object is not callable"),
    "a division by zero": ("A\nB\n{{ 1 / 0 }}\n", 3, "ZeroDivisionError: division by zero"),
    "a macro without end": (
        "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}\n{{ again(1) }}\n",
        1,
        "the template calls itself without end",
    ),
    "a template extending itself": (
        '{% extends "email.txt.j2" %}\n',
        1,
        "the template calls itself without end",
    ),
}


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_a_template_runs_in_a_sandbox_and_its_errors_are_at_its_line(
    newsletter: Newsletter, name: str
) -> None:
    text, line, message = UNSAFE[name]
    newsletter.issue()
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "email.txt.j2").write_text(text, encoding="utf-8")
    result = run(newsletter, "render", "first", "--format", "text")
    assert result.exit_code == 1, result.output
    assert f"error: templates/email.txt.j2:{line}: template error: {message}" in result.output
    assert "\n  fix: " in result.output and "uid=" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_template_that_is_not_utf8_is_an_error_at_its_line(newsletter: Newsletter) -> None:
    newsletter.issue()
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "email.txt.j2").write_bytes(b"Hello\n\xe9t\xe9\n")
    result = run(newsletter, "build")
    assert result.exit_code == 1, result.output
    assert (
        "error: templates/email.txt.j2:2: template error: the template is not UTF-8 text "
        "(byte 0xe9)\n  fix: save the template as UTF-8"
    ) in result.output
    findings = [f.format() for f in run_checks(newsletter.root) if f.rule == "TPL001"]
    assert findings == [
        "templates/email.txt.j2:2:1: error TPL001 template error: the template is not UTF-8 text "
        "(byte 0xe9); fix: save the template as UTF-8"
    ]


def test_a_template_nested_too_deep_to_read_is_an_error(newsletter: Newsletter) -> None:
    newsletter.issue()
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "email.txt.j2").write_text(
        "{% if true %}" * 3000 + "x" + "{% endif %}" * 3000, encoding="utf-8"
    )
    message = "template error: the template nests too deep for Jinja to read"
    rendered = run(newsletter, "render", "first", "--format", "text")
    assert rendered.exit_code == 1 and f"templates/email.txt.j2: {message}" in rendered.output
    checked = run(newsletter, "check")
    assert checked.exit_code == 1 and f"email.txt.j2:1:1: error TPL001 {message}" in checked.output
    listed = run(newsletter, "theme", "list")
    assert listed.exit_code == 0 and "email.txt.j2     yours" in listed.output


def test_a_theme_keeps_what_jinja_gives_it(newsletter: Newsletter) -> None:
    newsletter.issue(tags="[energy, sea]")
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "base.txt.j2").write_text(
        "{% block top %}Top{% endblock %}\n", encoding="utf-8"
    )
    (newsletter.root / "templates" / "email.txt.j2").write_text(
        '{% extends "base.txt.j2" %}{% block top %}{{ super() }}\n'
        "{% macro shout(s) %}{{ s.upper() }}{% endmacro %}{{ shout(issue.title) }}\n"
        "{% set ns = namespace(n=0) %}{% for t in issue.tags %}{% set ns.n = ns.n + 1 %}"
        '{{ loop.cycle("odd", "even") }}:{{ t|title }} {% endfor %}{{ ns.n * 10 }}\n'
        '{{ issue.date.date().isoformat() }} {{ "{}/{}".format(1, 2) }} {{ range(3)|sum }}\n'
        '{{ dict(a=1).items()|list }} {{ _("unsubscribe") }} {{ [1, 2] * 2 }}\n{% endblock %}',
        encoding="utf-8",
    )
    result = run(newsletter, "render", "first", "--format", "text")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Top\nFIRST ISSUE\nodd:Energy even:Sea 20\n2025-07-15 1/2 3\n"
        "[('a', 1)] Unsubscribe [1, 2, 1, 2]\n"
    )


def test_templates_compiled_outside_the_sandbox_are_never_run(newsletter: Newsletter) -> None:
    import jinja2

    newsletter.issue()
    templates = newsletter.root / "templates"
    templates.mkdir()
    (templates / "email.txt.j2").write_text("{{ cycler.__init__ }}\n", encoding="utf-8")
    compiled = newsletter.root / ".publisher-cache" / "templates"
    compiled.mkdir(parents=True)
    older = jinja2.Environment(  # as a publisher before the sandbox kept them
        loader=jinja2.FileSystemLoader([str(templates)]),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)),
    )
    assert "function" in older.get_template("email.txt.j2").render()
    result = run(newsletter, "render", "first", "--format", "text")
    assert result.exit_code == 1 and "the theme's sandbox stops this" in result.output


def test_template_errors_show_in_the_preview(newsletter: Newsletter) -> None:
    from publisher.preview.server import start

    newsletter.issue()
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "email.txt.j2").write_text("A\n{{ 1 / 0 }}\n", "utf-8")
    server = start(newsletter.root, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        for path in ("/issue/2025-07-15-first/", "/issue/2025-07-15-first/email.txt"):
            connection = http.client.HTTPConnection(str(host), int(port), timeout=10)
            connection.request("GET", path)
            response = connection.getresponse()
            page = response.read().decode("utf-8")
            assert response.status == 200, path
            assert "templates/email.txt.j2:2:" in page, path
            assert "template error: ZeroDivisionError: division by zero" in page, path
    finally:
        server.shutdown()
        server.server_close()


def test_the_validator_agrees_with_the_official_compiler(tmp_path: Path) -> None:
    node, cli_path = shutil.which("node"), Path(".mjml-reference/node_modules/mjml/bin/mjml")
    samples = {
        "<mjml><mj-body><mj-sektion><mj-column></mj-column></mj-sektion></mj-body></mjml>": 1,
        '<mjml><mj-body><mj-section><mj-column><mj-text colour="red">x</mj-text>'
        "</mj-column></mj-section></mj-body></mjml>": 1,
        "<mjml><mj-body><mj-text>x</mj-text></mj-body></mjml>": 1,
        '<mjml><mj-body><mj-section><mj-column><mj-button href="https://x.org">Go</mj-button>'
        "</mj-column></mj-section></mj-body></mjml>": 0,
    }
    for mjml, errors in samples.items():
        assert bool(validate(mjml)) == bool(errors), mjml
        if node is None or not (Path(__file__).parent.parent / cli_path).exists():
            continue  # the reference compiler is checked in test_mjml_reference
        source = tmp_path / "t.mjml"
        source.write_text(mjml, encoding="utf-8")
        result = subprocess.run(
            [node, str(Path(__file__).parent.parent / cli_path), str(source), "-s",
             "--config.validationLevel=strict"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert (result.returncode != 0) == bool(errors), (mjml, result.stderr)


def test_components_in_every_output(newsletter: Newsletter) -> None:
    newsletter.issue(body=COMPONENTS)
    build(newsletter.root)
    site = newsletter.root / "site" / "first"
    email = lxml.html.parse(str(site / "email.html")).getroot()
    # mj-button: a table whose cell carries the colour, for Outlook, around the link.
    (link,) = email.xpath("//a[normalize-space()='Read the report']")
    cell = link.getparent()
    assert cell.tag == "td" and cell.get("bgcolor") == "#a4262c"
    assert link.get("href") == "https://example.org/report"
    labels = [p.text_content() for p in email.xpath("//p[@class='callout-label']")]
    assert labels == ["Note", "Correction", "Sponsor"]
    page = lxml.html.parse(str(site / "index.html")).getroot()
    assert page.xpath("//a[@class='button']/@href") == ["https://example.org/report"]
    assert [a.get("class") for a in page.xpath("//aside")] == [
        "callout callout-note",
        "callout callout-correction",
        "callout callout-sponsor",
    ]
    text = (site / "email.txt").read_text(encoding="utf-8")
    assert "Read the report: https://example.org/report" in text
    assert "[Note]\n\nA fibre pair is two strands." in text and "[Sponsor]" in text
    feed = (newsletter.root / "site" / "feed.xml").read_text(encoding="utf-8")
    assert "Supported by Harbour Books" in feed and "callout-label" in feed


@pytest.mark.browser
def test_the_button_is_a_real_target_at_a_phones_width(
    browser: Any, newsletter: Newsletter, http_server: tuple[str, Path]
) -> None:
    base_url, www = http_server
    settings = newsletter.root / "newsletter.toml"
    settings.write_text(
        settings.read_text().replace("https://news.example.org/", base_url), encoding="utf-8"
    )
    newsletter.issue(body=COMPONENTS)
    build(newsletter.root, out=www / "site")
    for path in ("site/first/email.html", "site/first/"):
        for scheme in ("light", "dark"):
            page = browser.new_page(viewport={"width": 375, "height": 800}, color_scheme=scheme)
            try:
                page.goto(base_url + path)
                button = page.get_by_role("link", name="Read the report")
                box = button.bounding_box()
                assert box and box["height"] >= 44 and box["width"] >= 44, (path, box)
                assert box["x"] >= 0 and box["x"] + box["width"] <= 375
                colours = button.evaluate(
                    "a => [getComputedStyle(a).color, getComputedStyle(a).backgroundColor]"
                )
                assert colours[0] != colours[1]
                button.click(trial=True)  # nothing covers it: it can be tapped
            finally:
                page.close()
