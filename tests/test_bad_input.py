"""The bad-input catalogue: every case run through the CLI as a user would.

Each case gets exit status 1 with a message naming the file (and line where there is one) and
the fix, no traceback, the previous site/ byte-identical and no author file touched; or, where
that is right, a warning and a good build. ``python tests/test_bad_input.py`` prints every case
with the message it gets.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import lxml.etree
import pytest
from click.testing import CliRunner

from conftest import SETTINGS, Newsletter
from publisher.cli import cli
from publisher.render.theme import default_theme_dir

GOOD = "title: Good\ndate: 2025-01-01\nsummary: Fine.\n"


@dataclass
class Case:
    """One bad input: how to make it, what to run, and what the user must be told."""

    setup: Callable[[Newsletter], None]
    expect: list[str]
    command: list[str] = field(default_factory=lambda: ["build"])
    status: int = 1
    check: Callable[[Newsletter], None] | None = None


def issue(name: str, content: str | bytes) -> Callable[[Newsletter], None]:
    def setup(n: Newsletter) -> None:
        path = n.root / "issues" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return setup


def settings(text: str) -> Callable[[Newsletter], None]:
    def setup(n: Newsletter) -> None:
        (n.root / "newsletter.toml").write_text(text, encoding="utf-8")

    return setup


def template(name: str, text: str) -> Callable[[Newsletter], None]:
    def setup(n: Newsletter) -> None:
        (n.root / "templates").mkdir(exist_ok=True)
        (n.root / "templates" / name).write_text(text, encoding="utf-8")

    return setup


def both(*steps: Callable[[Newsletter], None]) -> Callable[[Newsletter], None]:
    def setup(n: Newsletter) -> None:
        for step in steps:
            step(n)

    return setup


def feeds_parse(n: Newsletter) -> None:
    for name in ("feed.xml", "atom.xml"):
        lxml.etree.parse(str(n.root / "site" / name))


def built(slug: str) -> Callable[[Newsletter], None]:
    def check(n: Newsletter) -> None:
        assert (n.root / "site" / slug / "email.html").is_file(), slug

    return check


def symlink_loop(n: Newsletter) -> None:
    (n.root / "issues" / "loop-a.md").symlink_to(n.root / "issues" / "loop-b.md")
    (n.root / "issues" / "loop-b.md").symlink_to(n.root / "issues" / "loop-a.md")


def new_issue(title: str) -> Callable[[Newsletter], None]:
    return lambda n: None


def out_under_a_file(n: Newsletter) -> None:
    (n.root / "blocker").write_text("a file, not a folder", encoding="utf-8")


def own_folder(name: str) -> Callable[[Newsletter], None]:
    def setup(n: Newsletter) -> None:
        shutil.rmtree(n.root / name, ignore_errors=True)
        (n.root / name).mkdir()
        (n.root / name / "notes.txt").write_text("mine", encoding="utf-8")

    return setup


def own_folder_intact(name: str) -> Callable[[Newsletter], None]:
    def check(n: Newsletter) -> None:
        assert [p.name for p in (n.root / name).iterdir()] == ["notes.txt"]
        assert (n.root / name / "notes.txt").read_text(encoding="utf-8") == "mine"

    return check


MJML = (default_theme_dir() / "email.mjml.j2").read_text(encoding="utf-8")
BIG = "---\n" + GOOD + "---\n" + ("Words words words. " * 600_000)


def secret_link(name: str, body: str) -> Callable[[Newsletter], None]:
    """An issue whose file ``name`` is a symbolic link to a private file outside the folder."""

    def setup(n: Newsletter) -> None:
        secret = n.root.parent / "private.txt"
        secret.write_text("PASSWORD=hunter2", encoding="utf-8")
        path = n.issue("2025-02-01-leak/index.md", front="title: L\ndate: 2025-02-01\n", body=body)
        (path.parent / name).symlink_to(secret)

    return setup


def fake_image(n: Newsletter) -> None:
    path = n.issue(
        "2025-02-01-leak/index.md", front="title: L\ndate: 2025-02-01\n", body="![x](page.html)\n"
    )
    (path.parent / "page.html").write_text("<script>alert(1)</script>", encoding="utf-8")


def linked_issue_symlink(n: Newsletter) -> None:
    secret = n.root.parent / "private.md"
    secret.write_text("---\ntitle: S\ndate: 2025-02-01\n---\nPASSWORD=hunter2\n", encoding="utf-8")
    (n.root / "issues" / "2025-02-01-leak.md").symlink_to(secret)


def static_file(name: str) -> Callable[[Newsletter], None]:
    def setup(n: Newsletter) -> None:
        (n.root / "static").mkdir(exist_ok=True)
        (n.root / "static" / name).write_text("x", encoding="utf-8")

    return setup


def hand_made(n: Newsletter) -> None:
    (n.root / "site" / "CNAME").write_text("news.example.org\n", encoding="utf-8")


CASES: dict[str, Case] = {
    "invalid YAML": Case(
        issue("2025-02-01-bad.md", "---\ntitle: [oops\ndate: 2025-02-01\n---\nText\n"),
        ["issues/2025-02-01-bad.md:", "front matter is not valid YAML", "fix:"],
    ),
    "front matter not closed": Case(
        issue("2025-02-01-bad.md", "---\ntitle: T\ndate: 2025-02-01\nText\n"),
        ["issues/2025-02-01-bad.md:1: front matter is not closed", "fix: add a line `---`"],
    ),
    "missing title": Case(
        issue("2025-02-01-bad.md", "---\ndate: 2025-02-01\n---\nText\n"),
        ["issues/2025-02-01-bad.md:1: `title` is missing", "fix: add a line `title: ...`"],
    ),
    "missing date": Case(
        issue("2025-02-01-bad.md", "---\ntitle: T\n---\nText\n"),
        ["issues/2025-02-01-bad.md:1: `date` is missing", "fix: add a line `date: ...`"],
    ),
    "impossible date": Case(
        issue("2025-02-01-bad.md", "---\ntitle: T\ndate: 2025-02-30\n---\nText\n"),
        ["issues/2025-02-01-bad.md:3: '2025-02-30' is not a date", "fix: write the date as"],
    ),
    "tags as a string": Case(
        issue("2025-02-01-bad.md", "---\ntitle: T\ndate: 2025-02-01\ntags: energy\n---\nX\n"),
        ["issues/2025-02-01-bad.md:4: `tags` must be a list, not str", "fix: write a list"],
    ),
    'draft as "yes"': Case(
        issue("2025-02-01-bad.md", '---\ntitle: T\ndate: 2025-02-01\ndraft: "yes"\n---\nX\n'),
        ["issues/2025-02-01-bad.md:4: `draft` must be true or false", "fix: write `draft: true`"],
    ),
    "date as a number": Case(
        issue("2025-02-01-bad.md", "---\ntitle: T\ndate: 20250201\n---\nText\n"),
        ["issues/2025-02-01-bad.md:3: `date` must be text or a date, not int", "fix:"],
    ),
    "empty file": Case(
        issue("2025-02-01-empty.md", ""),
        ["issues/2025-02-01-empty.md:1: no front matter", "fix: start the file with a line `---`"],
    ),
    "only front matter": Case(
        issue("2025-02-01-only.md", "---\ntitle: Only\ndate: 2025-02-01\n---\n"),
        ["warning: issues/2025-02-01-only.md:4: the issue has no text below its front matter"],
        status=0,
        check=built("only"),
    ),
    # -- hardening, front matter and settings (#32) --
    "a YAML alias bomb in front matter (9**9 items in 382 bytes)": Case(
        issue(
            "2025-02-01-bomb.md",
            '---\ntitle: Bomb\ndate: 2025-02-01\na: &a ["x","x","x","x","x","x","x","x","x"]\n'
            + "".join(
                f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n"
                for a, b in zip("abcdefgh", "bcdefghi", strict=True)
            )
            + "image_focus: *i\n---\nText\n",
        ),
        [
            "issues/2025-02-01-bomb.md:5: front matter cannot use YAML aliases (`*a`)",
            "fix: write the value out in full instead of the alias; a value that starts with * "
            'needs quotes: `title: "*Breaking* news"`',
        ],
    ),
    "a YAML alias in front matter": Case(
        issue(
            "2025-02-01-alias.md", "---\ntitle: &t Same\ndate: 2025-02-01\nsubject: *t\n---\nX\n"
        ),
        ["issues/2025-02-01-alias.md:4: front matter cannot use YAML aliases (`*t`)", "fix: write"],
    ),
    "front matter nested 100,000 deep": Case(
        issue(
            "2025-02-01-deep.md",
            "---\ntitle: " + "[" * 100_000 + "]" * 100_000 + "\ndate: 2025-02-01\n---\nX\n",
        ),
        ["issues/2025-02-01-deep.md:2: front matter is not valid YAML: nested too deeply to read"],
    ),
    "a number of 5,000 digits in front matter": Case(
        issue("2025-02-01-number.md", "---\ntitle: T\ndate: " + "1" * 5000 + "\n---\nX\n"),
        [
            "issues/2025-02-01-number.md:3: front matter is not valid YAML: a number of 5000 "
            "characters is too long to read",
            "fix: write one `key: value` per line; quote a value",
        ],
    ),
    "a 100,000-character language in front matter": Case(
        issue(
            "2025-02-01-lang.md",
            "---\ntitle: T\ndate: 2025-02-01\nlanguage: " + "a" * 100_000 + "\n---\nX\n",
        ),
        [
            "issues/2025-02-01-lang.md:4: `language` '" + "a" * 80 + "…' is not a language tag",
            'fix: use a BCP 47 tag such as "en", "fr" or "pt-BR"',
        ],
    ),
    "a path as the language in front matter": Case(
        issue(
            "2025-02-01-lang.md",
            "---\ntitle: T\ndate: 2025-02-01\nlanguage: ../../../evil\n---\nX\n",
        ),
        [
            "issues/2025-02-01-lang.md:4: `language` '../../../evil' is not a language tag",
            'fix: use a BCP 47 tag such as "en", "fr" or "pt-BR"',
        ],
    ),
    "a 300-character tag": Case(
        issue(
            "2025-02-01-tag.md",
            "---\ntitle: T\ndate: 2025-02-01\ntags: [" + "a" * 300 + "]\n---\nX\n",
        ),
        [
            f"issues/2025-02-01-tag.md:4: tag '{'a' * 80}…' cannot name its page's folder: its "
            "slug is 300 characters long; at most 80 make a usable address",
            "fix: shorten the tag",
        ],
    ),
    "a slug of 280 bytes": Case(
        issue(
            "2025-02-01-wide.md",
            "---\ntitle: T\ndate: 2025-02-01\nslug: " + "\U00020000" * 70 + "\n---\nX\n",
        ),
        [
            "issues/2025-02-01-wide.md:4: slug '",
            "it is 280 bytes long in UTF-8; a folder name takes at most 255",
        ],
    ),
    "settings nested 100,000 deep": Case(
        settings(SETTINGS + "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        [
            "newsletter.toml: settings are not valid TOML: lists or tables nested too deeply",
            "fix: nest lists and tables a few levels at most",
        ],
    ),
    "settings nested 100,000 deep, checked": Case(
        settings(SETTINGS + "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ["newsletter.toml:1:1: error FM003 settings are not valid TOML: lists or tables nested"],
        command=["check"],
    ),
    "a number of 5,000 digits in the settings": Case(
        settings(SETTINGS + "x = " + "1" * 5000 + "\n"),
        [
            "newsletter.toml: settings are not valid TOML: a number too long to read",
            "fix: a TOML integer has at most 19 digits",
        ],
    ),
    "a 100,000-character time zone in the settings": Case(
        settings(SETTINGS.replace('timezone = "UTC"', 'timezone = "' + "a" * 100_000 + '"')),
        [
            "newsletter.toml:4: setting `timezone`: '" + "a" * 80 + "…' is not a known time zone",
            'fix: use an IANA name such as "UTC"',
        ],
    ),
    "a 1,000-character language in the settings": Case(
        settings(SETTINGS.replace('language = "en"', 'language = "' + "a" * 1000 + '"')),
        ["newsletter.toml:3: setting `language`: '" + "a" * 80 + "…' is not a language tag"],
    ),
    "non-UTF-8 bytes": Case(
        issue("2025-02-01-latin.md", b"---\ntitle: T\ndate: 2025-02-01\n---\nCaf\xe9\n"),
        ["issues/2025-02-01-latin.md:5: not UTF-8 text (byte 0xe9)", "fix: save the file as UTF-8"],
    ),
    "UTF-8 BOM and CRLF": Case(
        issue(
            "2025-02-01-windows.md",
            b"\xef\xbb\xbf---\r\ntitle: Win\r\ndate: 2025-02-01\r\n---\r\nOk\r\n",
        ),
        ["built 2 issues"],
        status=0,
        check=built("windows"),
    ),
    "NUL and control characters": Case(
        issue(
            "2025-02-01-ctl.md",
            b'---\ntitle: "Bell\\a nul\\0 title"\ndate: 2025-02-01\n---\n'
            b"Body\x00 with\x0b controls\x1f.\n",
        ),
        ["warning: issues/2025-02-01-ctl.md:5: control character U+0000 removed", "fix: delete"],
        status=0,
        check=both(built("ctl"), feeds_parse),
    ),
    "a 10 MB issue": Case(
        issue("2025-02-01-huge.md", BIG),
        ["issues/2025-02-01-huge.md:1: the file is 11.4 MB", "fix: split it into several issues"],
    ),
    "a binary file named .md": Case(
        issue("2025-02-01-photo.md", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
        ["issues/2025-02-01-photo.md:3: this is not a text file", "fix: move it out of issues/"],
    ),
    "a binary file that is not .md": Case(
        issue("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
        ["built 1 issue"],
        status=0,
    ),
    "duplicate slugs": Case(
        issue("2025-02-01-other.md", "---\ntitle: T\ndate: 2025-02-01\nslug: good\n---\nX\n"),
        ["slug 'good' is used by", "fix: give one of them another `slug:`"],
    ),
    "duplicate ids": Case(
        issue(
            "2025-02-01-other.md",
            "---\ntitle: T\ndate: 2025-02-01\nid: tag:news.example.org,2025-01-01:/good/\n---\nX\n",
        ),
        ["issues/2025-02-01-other.md:4: id 'tag:news.example.org,2025-01-01:/good/' is used by"],
    ),
    "a missing local image": Case(
        issue(
            "2025-02-01-pic.md", "---\ntitle: P\ndate: 2025-02-01\n---\n\n![A chart](chart.png)\n"
        ),
        ["issues/2025-02-01-pic.md:6:12: error IMG003 image 'chart.png' not found", "fix:"],
    ),
    "a missing local image, checked": Case(
        issue(
            "2025-02-01-pic.md", "---\ntitle: P\ndate: 2025-02-01\n---\n\n![A chart](chart.png)\n"
        ),
        ["issues/2025-02-01-pic.md:6:12: error IMG003 image 'chart.png' not found", "fix:"],
        command=["check"],
    ),
    "a link to a missing issue": Case(
        issue(
            "2025-02-01-link.md", "---\ntitle: L\ndate: 2025-02-01\n---\nSee [this](../nope/).\n"
        ),
        ["issues/2025-02-01-link.md:5:12: error LNK001 '../nope/' links to 'nope'", "fix:"],
        command=["check"],
    ),
    "unknown settings keys": Case(
        settings(SETTINGS + 'colour = "red"\n'),
        ["warning: newsletter.toml:", "unknown setting `unsubscribe.colour` is ignored", "fix:"],
        status=0,
    ),
    "a bad base_url": Case(
        settings(SETTINGS.replace("https://news.example.org/", "news.example.org")),
        ["newsletter.toml:2: setting `base_url`: 'news.example.org' is not an absolute http(s)"],
    ),
    "bad colours": Case(
        settings(SETTINGS + '\n[colors]\ntext = "dark grey"\n'),
        ["newsletter.toml:17: setting `colors.text`: 'dark grey' is not a colour", "fix: write"],
    ),
    "settings that are not TOML": Case(
        settings('name = "Unclosed\n'),
        ["newsletter.toml:1: settings are not valid TOML", "fix: see https://toml.io"],
    ),
    "a setting of the wrong type": Case(
        settings("name = 42\n"),
        ["newsletter.toml:1: setting `name`: must be a string, not int", "fix: put the value"],
    ),
    # -- hardening, themes and MJML (#32) --
    "emphasis nested past what an email can hold": Case(
        issue("2025-02-01-x.md", "---\n" + GOOD + "---\nText\n\n" + "*" * 300 + "x" + "*" * 300),
        [
            "issues/2025-02-01-x.md:8: the markup here nests more than 100 elements",
            "fix: close what opens here sooner",
        ],
    ),
    "HTML tags nested past what an email can hold": Case(
        issue("2025-02-01-x.md", "---\n" + GOOD + "---\n" + "<div>\n" * 150),
        ["issues/2025-02-01-x.md:106:1: error NEST001 the markup here nests more than 100"],
        command=["check"],
    ),
    "quotes nested past what Markdown reads": Case(
        issue("2025-02-01-x.md", "---\n" + GOOD + "---\n" + "> " * 30 + "Lost.\n"),
        ["issues/2025-02-01-x.md:6:1: error NEST001 quotes, lists or boxes nested 20 levels"],
    ),
    "a theme template that runs a shell command": Case(
        template("email.txt.j2", '{{ cycler.__init__.__globals__.os.popen("id").read() }}\n'),
        ["templates/email.txt.j2:1: template error: the theme's sandbox stops this", "fix: a"],
    ),
    "a theme template that divides by zero": Case(
        template("email.txt.j2", "{{ issue.title }}\n{{ 1 / 0 }}\n"),
        ["templates/email.txt.j2:2: template error: ZeroDivisionError", "fix: fix the"],
    ),
    "a theme template that extends itself": Case(
        template("email.txt.j2", '{% extends "email.txt.j2" %}\n'),
        ["templates/email.txt.j2:1: template error: the template calls itself without end"],
    ),
    "a theme template that is not UTF-8": Case(
        both(
            template("base.html.j2", ""),
            lambda n: (n.root / "templates" / "base.html.j2").write_bytes(b"\xff") and None,
        ),
        ["templates/base.html.j2:1: template error: the template is not UTF-8 text (byte 0xff)"],
    ),
    "a Jinja syntax error in a theme template": Case(
        template("email.txt.j2", "{{ issue.title }}\n{% if %}\n"),
        ["templates/email.txt.j2:2: template error:", "fix: fix the Jinja syntax"],
    ),
    "an undefined variable in a theme template": Case(
        template("email.txt.j2", "{{ issue.title }}\n{{ issue.nope }}\n"),
        [
            "templates/email.txt.j2:2: template error: "
            "'publisher.render.context.IssueView object' has no"
        ],
    ),
    "invalid MJML from a theme": Case(
        template("email.mjml.j2", MJML.replace("</mj-body>", "")),
        ["templates/email.mjml.j2: the email template produced invalid MJML", "fix: check the"],
    ),
    "an output folder that cannot be written": Case(
        out_under_a_file,
        ["cannot build into", "blocker is a file, not a folder", "fix: choose another --out"],
        command=["build", "--out", "blocker/site"],
    ),
    "--out inside issues/": Case(
        lambda n: None,
        ["refusing to build into", "issues/site: it holds your own files", "fix: build into"],
        command=["build", "--out", "issues/site"],
    ),
    "--out at the project root": Case(
        lambda n: None,
        ["refusing to build into", "it holds your own files"],
        command=["build", "--out", "."],
    ),
    "a symbolic link loop in issues/": Case(
        symlink_loop,
        ["warning: issues/loop-a.md: a symbolic link that leads nowhere", "fix: point the link"],
        status=0,
    ),
    "right-to-left title": Case(
        issue(
            "2025-02-01-rtl.md",
            '---\ntitle: "שלום עולם"\ndate: 2025-02-01\nslug: שלום\n---\nטקסט\n',
        ),
        ["built 2 issues"],
        status=0,
        check=both(built("שלום"), feeds_parse),
    ),
    "CJK title, slug from the title": Case(
        lambda n: None,
        ["issues/2025-03-01-東京の夜.md"],
        command=["new", "東京の夜", "--date", "2025-03-01"],
        status=0,
    ),
    "emoji title, slug from the title": Case(
        lambda n: None,
        ["issues/2025-03-01-launch-day.md"],
        command=["new", "🚀 Launch day 🎉", "--date", "2025-03-01"],
        status=0,
    ),
    "an image that is a symbolic link out of the folder": Case(
        secret_link("chart.png", "![Chart](chart.png)\n"),
        ["issues/2025-02-01-leak/index.md:5:", "error IMG006", "fix: copy the image"],
    ),
    "a linked file that is a symbolic link out of the folder": Case(
        secret_link("data.txt", "[data](data.txt)\n"),
        ["issues/2025-02-01-leak/index.md:5:", "error LNK005", "fix: copy the file"],
    ),
    "an issue file that is a symbolic link out of the folder": Case(
        linked_issue_symlink,
        ["issues/2025-02-01-leak.md: a symbolic link to a file outside", "fix: copy the issue"],
    ),
    "a web page shown as an image": Case(
        fake_image, ["issues/2025-02-01-leak/index.md:5:", "error IMG007", "fix: export"]
    ),
    "a slug the site uses itself": Case(
        issue("2025-02-01-x.md", "---\ntitle: X\ndate: 2025-02-01\nslug: feed.xml\n---\nText\n"),
        ["issues/2025-02-01-x.md:4: slug 'feed.xml' is a name the site uses", "fix:"],
    ),
    "a slug that reads as a URL scheme": Case(
        issue("2025-02-01-x.md", "---\ntitle: X\ndate: 2025-02-01\nslug: re:invent\n---\nText\n"),
        ["issues/2025-02-01-x.md:4:", "a link would read it as a URL scheme", "fix:"],
    ),
    "a static file over a generated one": Case(
        static_file("index.html"),
        ["static/index.html would be published at index.html", "fix: rename or remove"],
    ),
    "a file put in site/ by hand": Case(
        hand_made, ["publisher did not write: CNAME", "fix: to publish a file", "static/CNAME"]
    ),
    "a link to a draft": Case(
        both(
            issue("2025-02-02-wip.md", "---\ntitle: W\ndate: 2025-02-02\ndraft: true\n---\nT\n"),
            issue(
                "2025-02-03-x.md", "---\ntitle: X\ndate: 2025-02-03\n---\n[w](2025-02-02-wip.md)\n"
            ),
        ),
        [
            "issues/2025-02-03-x.md:5:",
            "error LNK006",
            "the draft issue 'wip'",
            "nothing was published",
        ],
    ),
    # -- hardening, messages and sending (#32) --
    "an encoded word in the title that adds a Bcc": Case(
        issue(
            "2025-02-01-x.md",
            "---\ntitle: =?utf-8?q?Weekly=0D=0ABcc:_everyone@victim.example?=\n"
            "date: 2025-02-01\n---\nText\n",
        ),
        ["built"],
        status=0,
        check=lambda n: eml_reads_back(
            n, "x", subject="=?utf-8?q?Weekly=0D=0ABcc:_everyone@victim.example?="
        ),
    ),
    "an encoded word in the subject that ends the headers": Case(
        issue(
            "2025-02-01-x.md",
            "---\ntitle: X\nsubject: =?utf-8?b?V2Vla2x5DQoNCllvdXIgYWNjb3VudCBpcyBsb2NrZWQ6IGh0"
            "dHBzOi8vZXZpbC5leGFtcGxlLw==?=\ndate: 2025-02-01\n---\nText\n",
        ),
        ["built"],
        status=0,
        check=lambda n: eml_reads_back(
            n,
            "x",
            subject="=?utf-8?b?V2Vla2x5DQoNCllvdXIgYWNjb3VudCBpcyBsb2NrZWQ6IGh0"
            "dHBzOi8vZXZpbC5leGFtcGxlLw==?=",
        ),
    ),
    "an encoded word in the author's name": Case(
        settings(
            SETTINGS.replace(
                'name = "Ada Writer"',
                'name = "=?utf-8?q?Weekly=0D=0ABcc:_everyone@victim.example?="',
            )
        ),
        ["built"],
        status=0,
        check=lambda n: eml_reads_back(
            n, "good", name="=?utf-8?q?Weekly=0D=0ABcc:_everyone@victim.example?="
        ),
    ),
    "an encoded word in the newsletter's name, the sender's name": Case(
        settings(
            SETTINGS.replace('name = "Ada Writer"\n', "").replace(
                'name = "Test Weekly"', 'name = "=?utf-8?q?Test=0D=0A=0D=0AA_new_body?="'
            )
        ),
        ["built"],
        status=0,
        check=lambda n: eml_reads_back(n, "good", name="=?utf-8?q?Test=0D=0A=0D=0AA_new_body?="),
    ),
    "an author's name that holds another address": Case(
        settings(SETTINGS.replace("Ada Writer", "Zoë <boss@bank.example>")),
        ["built"],
        status=0,
        check=lambda n: eml_reads_back(n, "good", name="Zoë <boss@bank.example>"),
    ),
    "an encoded word in the one-click unsubscribe URL": Case(
        settings(
            SETTINGS + 'header_url = "https://e.example/u?x==?utf-8?q?=0D=0ABcc:_x@y.example?="\n'
        ),
        [
            "newsletter.toml:15:",
            "unsubscribe.header_url",
            "holds =?, which mail programs read",
            "fix: write its ? as %3F",
        ],
    ),
    "an encoded word in the sender's address": Case(
        settings(SETTINGS.replace("ada@example.org", "=?utf-8?q?=0D=0A?=@example.org")),
        ["newsletter.toml:8:", "author.email", "holds =?, which mail programs read", "fix:"],
    ),
    "a --to address with a non-ASCII name part": Case(
        lambda n: None,
        [
            "to:       jörg@example.org, me@xn--bcher-kva.example",
            "SMTPUTF8: the server must offer it, for jörg@example.org",
        ],
        command=[
            "send",
            "good",
            "--to",
            "jörg@example.org",
            "--to",
            "me@bücher.example",
            "--dry-run",
        ],
        status=0,
    ),
    "a title with a line separator": Case(
        issue("2025-02-01-x.md", '---\ntitle: "A\\u2028B"\ndate: 2025-02-01\n---\nText\n'),
        ["warning: issues/2025-02-01-x.md:2: `title` holds a line break", "fix: write `title`"],
        status=0,
    ),
    "a lone surrogate escape in the front matter": Case(
        issue("2025-02-01-x.md", '---\ntitle: "A\\ud800"\ndate: 2025-02-01\n---\nText\n'),
        ["issues/2025-02-01-x.md:2: `title` holds a lone surrogate", "fix:"],
    ),
    "a script address as the card image": Case(
        issue(
            "2025-02-01-x.md", '---\ntitle: X\ndate: 2025-02-01\nimage: "javascript:x"\n---\nT\n'
        ),
        ["issues/2025-02-01-x.md:4: `image` 'javascript:x' is neither a web address", "fix:"],
    ),
    "a second target smuggled into header_url": Case(
        settings(SETTINGS + '\nheader_url = "https://e.example/u>, <mailto:evil@x.example"\n'),
        ["newsletter.toml:", "unsubscribe.header_url", "is not one https:// URL", "fix:"],
    ),
    "an author email that is no address": Case(
        settings(SETTINGS.replace('email = "ada@example.org"', 'email = "not-an-email"')),
        ["newsletter.toml:8: setting `author.email`: 'not-an-email' is not an email address"],
    ),
    "a newsletter name with a line break": Case(
        settings(SETTINGS.replace('name = "Test Weekly"', 'name = "Test\\nWeekly"')),
        ["warning: newsletter.toml:1: setting `name` holds a line break", "fix:"],
        status=0,
    ),
    "two addresses in one --to": Case(
        lambda n: None,
        ["Invalid value for '--to'", "one address per --to"],
        command=["send", "good", "--to", "me@example.org, victim@example.org", "--dry-run"],
        status=2,
    ),
    "an encoded word as a --to address, for the To header (#33)": Case(
        lambda n: None,
        ["Invalid value for '--to'", "is not one address (it holds =?, which mail programs read"],
        command=[
            "send",
            "good",
            "--to",
            "=?utf-8?b?QQ0KQmNjOiB4QHkuZXhhbXBsZQ==?=@example.org",
            "--dry-run",
        ],
        status=2,
    ),
    # -- hardening, the build and its folders (#32) --
    "a folder of yours named .site.old beside site/": Case(
        both(own_folder(".site.old"), issue("2025-02-01-new.md", f"---\n{GOOD}---\nNew.\n")),
        [".site.old: publisher keeps the site while it is swapped there", "move .site.old away"],
        check=own_folder_intact(".site.old"),
    ),
    "a folder of yours named .site.spare beside site/": Case(
        both(own_folder(".site.spare"), issue("2025-02-01-new.md", f"---\n{GOOD}---\nNew.\n")),
        [".site.spare: publisher keeps the previous site there", "move .site.spare away"],
        check=own_folder_intact(".site.spare"),
    ),
}


def eml_reads_back(n: Newsletter, slug: str, subject: str = "", name: str = "") -> None:
    """The built email.eml has exactly our headers, from our sender, and the author's text."""
    import email
    from email import policy

    data = (n.root / "site" / slug / "email.eml").read_bytes()
    parsed = email.message_from_bytes(data, policy=policy.default)
    keys = ["From", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]
    assert [k for k in parsed if not k.startswith("List-")] == keys, data[:500]
    assert parsed["List-Unsubscribe"] == "<*|UNSUB|*>"  # the service's merge tag, whole
    (sender,) = parsed["From"].addresses
    assert sender.addr_spec == "ada@example.org"
    assert parsed["Subject"] == subject or not subject
    assert sender.display_name == name or not name
    assert parsed.get_body(("plain",)) is not None


def snapshot(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if not p.is_symlink() and p.is_file() and not str(p.relative_to(folder)).startswith(skip)
    }


def prepare(name: str, root: Path) -> Newsletter:
    """Make a folder with one good issue, build it, then apply the case."""
    newsletter = Newsletter(root)
    newsletter.issue("2025-01-01-good.md", front=GOOD, body="All fine here.\n")
    first = CliRunner().invoke(cli, ["-C", str(root), "build"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    CASES[name].setup(newsletter)
    return newsletter


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    root = tmp_path / "news"
    newsletter = prepare(name, root)
    site_before = snapshot(root / "site")
    authors_before = snapshot(root, skip=("site", ".site", ".publisher-cache"))
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, case.command, catch_exceptions=False)
    output = result.output
    assert result.exit_code == case.status, output
    assert "Traceback" not in output
    for expected in case.expect:
        assert expected in output, f"{expected!r} not in:\n{output}"
    if case.status == 1:
        assert snapshot(root / "site") == site_before, "the previous site/ changed"
    authors_after = snapshot(root, skip=("site", ".site", ".publisher-cache"))
    if case.command[0] != "new":
        assert authors_after == authors_before, "an author file changed"
    else:
        assert set(authors_after) - set(authors_before) == {output.strip()}
    if case.check:
        case.check(newsletter)


def test_the_catalogue_is_long_enough() -> None:
    assert len(CASES) >= 30


if __name__ == "__main__":  # print the catalogue with the message each case gets
    import os
    import tempfile

    for name in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            prepare(name, Path(tmp) / "news")
            os.chdir(Path(tmp) / "news")
            result = CliRunner().invoke(cli, CASES[name].command, catch_exceptions=False)
            lines = [line for line in result.output.splitlines() if line.strip()]
            print(f"- **{name}** (exit {result.exit_code}): " + " / ".join(lines[:3]))
    sys.exit(0)
