"""`publisher check`: every rule has an issue that triggers it and a clean issue that does not."""

from __future__ import annotations

import http.client
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import SETTINGS, Newsletter
from publisher.check import RULES, Finding, contrast, run_checks
from publisher.cli import cli

CLEAN_FRONT = 'title: Clean\ndate: 2025-07-15\nsummary: "A short summary."\n'
CLEAN_BODY = """\
Opening paragraph with [a link](https://example.org/) and [the other issue](../other/).

![Cranes unloading grain at dusk](crane.png "Cranes | Photo: A. Writer")

## Section

A claim.[^1]

### Subsection

Text.

[^1]: The note.
"""


def setup_clean(newsletter: Newsletter) -> Path:
    """Write a clean folder issue and a second issue it links to."""
    newsletter.settings(SETTINGS + 'mailto = "unsubscribe@news.example.org"\n')
    path = newsletter.issue("2025-07-15-clean/index.md", front=CLEAN_FRONT, body=CLEAN_BODY)
    Image.new("RGB", (800, 400), "navy").save(path.parent / "crane.png")
    newsletter.issue("2025-07-01-other.md", front='title: Other\ndate: 2025-07-01\nsummary: "S."\n')
    return path


def rules_of(findings: list[Finding], file: str | None = None) -> set[str]:
    return {f.rule for f in findings if file is None or f.file == file}


def test_a_clean_newsletter_has_no_findings(newsletter: Newsletter) -> None:
    setup_clean(newsletter)
    # Only that its base_url (news.example.org) is a placeholder, as every test site's is.
    assert rules_of(run_checks(newsletter.root)) == {"SET004"}


def test_the_sample_has_no_finding_but_its_placeholder_domain(sample: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(sample), "check"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and "warning SET004 base_url 'https://longview.example.org/'" in lines[0]
    assert lines[1] == "0 errors, 1 warning, 0 infos"


Change = Callable[[Newsletter, Path], None]


def edit(old: str, new: str) -> Change:
    def change(newsletter: Newsletter, path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def settings(extra: str, drop: str = "", top: bool = False) -> Change:
    def change(newsletter: Newsletter, path: Path) -> None:
        toml = newsletter.root / "newsletter.toml"
        text = toml.read_text(encoding="utf-8").replace(drop, "")
        toml.write_text(extra + text if top else text + extra, encoding="utf-8")

    return change


def add_issue(name: str, front: str) -> Change:
    def change(newsletter: Newsletter, path: Path) -> None:
        newsletter.issue(name, front=front)

    return change


def big_image(newsletter: Newsletter, path: Path) -> None:
    """A drawing of pure noise: still megabytes once resized for the email."""
    noise = random.Random(1).randbytes(3000 * 1500 * 3)
    Image.frombytes("RGB", (3000, 1500), noise).save(path.parent / "crane.png")


def published_site(newsletter: Newsletter, path: Path) -> None:
    from publisher.build.pipeline import build

    build(newsletter.root)
    edit("title: Clean", "title: Clean\nslug: renamed")(newsletter, path)


def both(*changes: Change) -> Change:
    def change(newsletter: Newsletter, path: Path) -> None:
        for step in changes:
            step(newsletter, path)

    return change


def outside_file(newsletter: Newsletter, path: Path) -> None:
    (newsletter.root / "issues" / "secret.txt").write_text("not for readers", encoding="utf-8")
    edit("(../other/)", "(../secret.txt)")(newsletter, path)


def huge(newsletter: Newsletter, path: Path) -> None:
    words = " ".join(f"word{n}" for n in range(20000))
    edit("Text.", words)(newsletter, path)


def template_with_a_stray_block(newsletter: Newsletter, path: Path) -> None:
    from publisher.render.theme import default_theme_dir

    (newsletter.root / "templates").mkdir(exist_ok=True)
    source = (default_theme_dir() / "issue.html.j2").read_text(encoding="utf-8")
    (newsletter.root / "templates" / "issue.html.j2").write_text(
        source.replace("{% block main %}", "{% block content %}"), encoding="utf-8"
    )


def template_without_unsubscribe(newsletter: Newsletter, path: Path) -> None:
    from publisher.render.theme import default_theme_dir

    (newsletter.root / "templates").mkdir()
    source = (default_theme_dir() / "email.mjml.j2").read_text(encoding="utf-8")
    (newsletter.root / "templates" / "email.mjml.j2").write_text(
        source.replace('<a href="{{ unsubscribe_url }}">{{ _("unsubscribe") }}</a>', ""),
        encoding="utf-8",
    )


def bad_template(newsletter: Newsletter, path: Path) -> None:
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "email.txt.j2").write_text("{{ nope }}", encoding="utf-8")


def linked(path: str) -> Change:
    """Make the issue's link to another site lead to ``path`` of the link server."""

    def change(newsletter: Newsletter, issue: Path) -> None:
        edit("(https://example.org/)", f"({newsletter.links_at}{path})")(newsletter, issue)

    return change


#: The rules that `check --links` asks a (local) server for.
ONLINE = {"LNK008", "LNK009", "LNK010"}

CASES: dict[str, Change] = {
    "FM001": edit("date: 2025-07-15", "date: someday"),
    "FM002": edit("title: Clean", "title: Clean\nsubtitel: typo"),
    "FM003": settings(
        'base_url = "nowhere"\n', drop='base_url = "https://news.example.org/"\n', top=True
    ),
    "FM004": settings('colour = "red"\n', top=True),
    "ID001": add_issue("2025-07-20-dup.md", "title: Dup\ndate: 2025-07-20\nslug: clean\n"),
    "ID002": add_issue(
        "2025-07-20-dup.md",
        "title: Dup\ndate: 2025-07-20\nid: tag:news.example.org,2025-07-15:/clean/\n",
    ),
    "ID003": published_site,
    "IMG001": edit("![Cranes unloading grain at dusk]", "![]"),
    "IMG002": edit("![Cranes unloading grain at dusk]", "![photo]"),
    "IMG003": edit("(crane.png", "(missing.png"),
    "IMG004": big_image,
    "IMG008": big_image,
    "IMG005": edit("(crane.png", "(https://img.example/crane.png"),
    "IMG006": edit("(crane.png", "(../crane.png"),
    "IMG007": both(
        lambda n, p: (p.parent / "page.html").write_text("<p>", encoding="utf-8"),
        edit("(crane.png", "(page.html"),
    ),
    "LNK001": edit("(../other/)", "(../no-such-issue/)"),
    "LNK002": edit("[a link](https://example.org/)", "[a link]()"),
    "LNK003": edit("https://example.org/", "http://example.org/"),
    "LNK004": edit("(../other/)", "(report.pdf)"),
    "LNK005": outside_file,
    "LNK006": both(
        add_issue("2025-07-20-later.md", "title: Later\ndate: 2025-07-20\ndraft: true\n"),
        edit("(../other/)", "(../2025-07-20-later.md)"),
    ),
    "LNK007": edit("(../other/)", "(../2025-07-01-other.md#costs)"),
    "LNK008": linked("/gone"),
    "LNK009": linked("/moved"),
    "LNK010": linked("/forbidden"),
    "SITE001": edit("title: Clean", "title: Clean\nslug: feed.xml"),
    "FN001": edit("A claim.[^1]", "A claim.[^1] Another.[^2]"),
    "FN002": edit("[^1]: The note.", "[^1]: The note.\n[^extra]: Never cited."),
    "HDG001": edit("### Subsection", "#### Subsection"),
    "HTML001": edit("Text.", 'Text.\n\n<iframe src="https://x.example/"></iframe>'),
    "NEST001": edit("Text.", "*" * 300 + "Text." + "*" * 300),
    "SIZE001": edit("Text.", " ".join(f"w{n}" for n in range(11000))),
    "SIZE002": huge,
    "SUM001": edit('summary: "A short summary."\n', ""),
    "SUM002": edit('summary: "A short summary."', f'summary: "{"Long words. " * 20}"'),
    "TPL001": bad_template,
    "SET001": settings('[colors]\ntext = "#bbbbbb"\n'),
    "SET002": settings("", drop='address = "1 Test Street, Testville"\n'),
    "SET003": template_without_unsubscribe,
    "TPL002": template_with_a_stray_block,
    "SET004": settings("", top=True),  # news.example.org, as every test site
    "SET005": settings("", drop='service = "mailchimp"\n'),
    "SET006": settings(  # a relay sends email.eml, with one URL for every reader
        'header_url = "https://news.example.org/unsubscribe"\n',
        drop='service = "mailchimp"\n',
    ),
    "SET007": settings('language = "tlh"\n', drop='language = "en"\n', top=True),
    "SET008": settings('logo_dark = "https://news.example.org/dark.png"\n', top=True),
    "DATE001": edit("date: 2025-07-15", "date: 2999-07-15"),
    "DRAFT001": edit("title: Clean", "title: Clean\ndraft: true"),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_triggers(newsletter: Newsletter, rule: str, request: pytest.FixtureRequest) -> None:
    path = setup_clean(newsletter)
    if rule in ONLINE:
        newsletter.links_at = request.getfixturevalue("link_server").url
    CASES[rule](newsletter, path)
    findings = run_checks(newsletter.root, links=rule in ONLINE)
    assert rule in rules_of(findings), [f.format() for f in findings]
    finding = next(f for f in findings if f.rule == rule)
    assert finding.line >= 1 and finding.column >= 1
    assert "fix:" in finding.message or RULES[rule][0] == "info", finding.message


def test_quotes_past_the_depth_markdown_reads_are_an_error_where_they_are_cut(
    newsletter: Newsletter,
) -> None:
    newsletter.issue(body="Fine.\n\n" + "> " * 25 + "Lost words.\n\nAfter.\n")
    newsletter.issue(
        "2025-07-16-list.md",
        date="2025-07-16",
        body="".join("  " * depth + "- item\n" for depth in range(12)),
    )
    newsletter.issue("2025-07-17-fine.md", date="2025-07-17", body="> " * 9 + "- " * 5 + "ok\n")
    findings = [f.format() for f in run_checks(newsletter.root) if f.rule == "NEST001"]
    assert findings == [
        "issues/2025-07-15-first.md:7:1: error NEST001 quotes, lists or boxes nested 20 levels "
        "deep (a list counts two): Markdown reads no deeper, and what is inside is left out; "
        "fix: nest fewer of them inside one another",
        "issues/2025-07-16-list.md:14:1: error NEST001 quotes, lists or boxes nested 20 levels "
        "deep (a list counts two): Markdown reads no deeper, and what is inside is left out; "
        "fix: nest fewer of them inside one another",
    ]


def test_findings_point_at_the_line_and_column(newsletter: Newsletter) -> None:
    path = setup_clean(newsletter)
    edit("(../other/)", "(../nowhere/)")(newsletter, path)
    (finding,) = [f for f in run_checks(newsletter.root) if f.rule == "LNK001"]
    assert finding.format() == (
        "issues/2025-07-15-clean/index.md:6:77: error LNK001 '../nowhere/' links to 'nowhere', "
        "which is not an issue; fix: check the slug (the file name without its date), "
        "e.g. ../grain-corridor/"
    )


def test_cli_text_json_strict_and_paths(newsletter: Newsletter) -> None:
    path = setup_clean(newsletter)
    edit("### Subsection", "#### Subsection")(newsletter, path)  # a warning
    runner = CliRunner()
    result = runner.invoke(cli, ["-C", str(newsletter.root), "check"])
    assert result.exit_code == 0, result.output
    assert "issues/2025-07-15-clean/index.md:14:1: warning HDG001 heading level 4" in result.output
    assert "0 errors, 2 warnings, 0 infos" in result.output  # HDG001 and SET004
    strict = runner.invoke(cli, ["-C", str(newsletter.root), "check", "--strict"])
    assert strict.exit_code == 1
    as_json = runner.invoke(cli, ["-C", str(newsletter.root), "check", "--format", "json"])
    (item,) = [i for i in json.loads(as_json.stdout) if i["rule"] != "SET004"]
    assert item["rule"] == "HDG001" and item["level"] == "warning" and item["line"] == 14
    other = newsletter.root / "issues" / "2025-07-01-other.md"
    only = runner.invoke(cli, ["-C", str(newsletter.root), "check", str(other), "--strict"])
    assert " warning " in only.output and "SET004" in only.output  # the settings' only
    assert [line for line in only.output.splitlines() if "issues/" in line] == []
    edit("date: 2025-07-15", "date: never")(newsletter, path)
    failed = runner.invoke(cli, ["-C", str(newsletter.root), "check"])
    assert failed.exit_code == 1
    assert "error FM001 'never' is not a date; fix: write the date as YYYY-MM-DD" in failed.output


def test_contrast_ratio() -> None:
    assert round(contrast("#000", "#fff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


# --- #33: unsubscribing each reader, the size as received, the inbox preview ---------------------


@pytest.mark.parametrize(
    ("unsubscribe", "found"),
    [
        # An email service sends the email with its own header: no .eml to warn about.
        ('service = "buttondown"\n', False),
        ('service = "custom"\nurl = "{{ unsub }}"\n', False),
        # A relay sends email.eml: only a one-click URL that names the reader will do.
        ('mailto = "leave@news.example.org"\n', True),
        ('header_url = "https://news.example.org/u?t={{token}}"\n', False),
        ('header_url = "https://news.example.org/u?t=%%token%%"\n', False),
        ('service = "custom"\nurl = "https://news.example.org/u?t=%%token%%"\n', True),
    ],
)
def test_set006_only_for_messages_that_no_email_service_sends(
    newsletter: Newsletter, unsubscribe: str, found: bool
) -> None:
    newsletter.settings(SETTINGS.replace('service = "mailchimp"\n', unsubscribe))
    newsletter.issue(summary="S.")
    findings = [f for f in run_checks(newsletter.root) if f.rule == "SET006"]
    assert bool(findings) == found, [f.format() for f in findings]


def test_set006_says_why_a_url_for_every_reader_gets_no_one_click(newsletter: Newsletter) -> None:
    newsletter.settings(SETTINGS + 'header_url = "https://news.example.org/unsubscribe"\n')
    newsletter.issue(summary="S.")
    (finding,) = [f for f in run_checks(newsletter.root) if f.rule == "SET006"]
    assert finding.format() == (
        "newsletter.toml:15:1: warning SET006 header_url 'https://news.example.org/unsubscribe' "
        "is the same for every reader, so email.eml offers no one-click unsubscribe "
        "(List-Unsubscribe-Post): a one-click request carries nothing but "
        "List-Unsubscribe=One-Click, and RFC 8058 asks for a URL that identifies the reader; "
        "fix: put in it the placeholder your relay replaces with each reader's token, e.g. "
        'header_url = "https://news.example.org/unsubscribe?t={{token}}"'
    )


#: Russian prose: two bytes a letter in UTF-8, six once quoted-printable.
RUSSIAN = (
    "Почти весь трафик между континентами идёт по нескольким сотням кабелей на дне океана. "
    "Кто их прокладывает, кто их охраняет и почему это стало вопросом силы.\n\n"
)


def test_a_cyrillic_issue_is_weighed_as_a_mailbox_receives_it(newsletter: Newsletter) -> None:
    from publisher.preview.server import start

    body = RUSSIAN * 150 + "[Источник](https://example.org/source)\n"
    newsletter.issue(summary="Кабели.", language="ru", body=body)
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "check"])
    assert result.exit_code == 0, result.output
    # 62 KB of UTF-8, under the 80 KB of SIZE001 once measured so, is 87 KB as it is sent: in
    # base64, shorter than quoted-printable's for Cyrillic.
    assert (
        "issues/2025-07-15-first.md:1:1: warning SIZE001 the email's HTML is 87 KB as a mailbox "
        "receives it (62 KB of text, 23 KB more once encoded for sending, and 1 KB for the 5 "
        "links an email service rewrites to count clicks), close to Gmail's 102 KB clipping"
    ) in result.output
    # The preview's clipping meter weighs it the same (its links lead to the preview).
    server = start(newsletter.root, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
        connection.request("GET", "/issue/2025-07-15-first/")
        page = connection.getresponse().read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()
    meter = re.search(r'<meter min="0" max="(\d+)"[^>]* value="(\d+)"', page)
    assert meter and int(meter.group(1)) == 102 * 1024, page
    assert round(int(meter.group(2)) / 1024) == 87, meter.group()
    assert "Email size 87.0 KB" in page


@pytest.mark.parametrize(
    ("front", "instead"),
    [
        ("title: T\ndate: 2025-07-15\nsubtitle: The dek.\n", "the subtitle"),
        ("title: T\ndate: 2025-07-15\n", "the first paragraph"),
    ],
)
def test_sum001_names_what_the_inbox_shows(
    newsletter: Newsletter, front: str, instead: str
) -> None:
    newsletter.issue(front=front, body="The first paragraph.\n")
    (finding,) = [f for f in run_checks(newsletter.root) if f.rule == "SUM001"]
    assert finding.message == (
        f"no `summary:`; the inbox shows {instead} instead; fix: add a one-sentence "
        "`summary:` of up to 140 characters"
    )
