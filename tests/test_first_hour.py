"""The first hour of a new author: from `publisher init` to a first site, following only the
README, the guides in docs/ and `--help`, with real processes where the README runs commands."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from conftest import REPO, SETTINGS, Newsletter
from publisher.cli import cli
from publisher.preview.server import start

README = (REPO / "README.md").read_text(encoding="utf-8")
#: The guides, by their path in the repository.
DOCS = {
    path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
    for path in sorted((REPO / "docs").rglob("*.md"))
}


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def readme_block(heading: str) -> list[str]:
    """Return the commands of the first ```sh block under ``heading``, comments removed."""
    section = README.split(heading, 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_steps_end_with_a_site_of_one_issue(tmp_path: Path) -> None:
    lines = readme_block("## Your own newsletter")
    assert lines[0].startswith("publisher init") and lines[-1] == "publisher build"
    # The preview serves until Ctrl-C: its own tests drive it; every other line runs as written.
    script = "set -e\n" + "\n".join(line for line in lines if " preview" not in line) + "\n"
    publisher = shutil.which("publisher") or str(Path(sys.executable).parent / "publisher")
    # The newsletter goes in a folder of its own (`~/my-newsletter`), wherever the steps start:
    # here a home of its own, and a start in another folder, as a clone of publisher would be.
    home, clone = tmp_path / "home", tmp_path / "publisher"
    home.mkdir()
    clone.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "PATH": f"{Path(publisher).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert not any(clone.iterdir()), "the steps wrote into the folder they started in"
    site = home / "my-newsletter" / "site"
    pages = [p.parent.name for p in site.glob("*/index.html") if p.parent.name != "tags"]
    assert len(pages) == 1 and pages[0].endswith("welcome"), pages
    assert "built 1 issue into site" in done.stderr
    assert (
        "1 draft not published (issues/" in done.stderr and "the-grain-corridor.md" in done.stderr
    )
    assert "remove `draft: true`" in done.stderr


def test_a_placeholder_base_url_is_flagged_and_its_ids_are_not_kept(
    newsletter: Newsletter,
) -> None:
    placeholder = SETTINGS.replace("https://news.example.org/", "https://example.com/")
    newsletter.settings(placeholder)
    newsletter.issue("2025-07-15-x.md")
    check = run(newsletter.root, "check")
    assert re.search(
        r"newsletter.toml:\d+:1: warning SET004 base_url 'https://example.com/' is a placeholder",
        check.output,
    )
    built = run(newsletter.root, "build")
    assert built.exit_code == 0 and "is a placeholder" in built.output
    newsletter.settings(placeholder.replace("https://example.com/", "https://real.news/"))
    assert "SET004" not in run(newsletter.root, "check").output
    assert "ID003" not in run(newsletter.root, "check").output  # tag:example.com is not kept
    rebuilt = run(newsletter.root, "build")
    assert rebuilt.exit_code == 0 and "feed readers" not in rebuilt.output
    assert "tag:example.com" not in rebuilt.output


@pytest.mark.parametrize("host", ["example.org", "news.example.net", "site.test", "localhost"])
def test_every_reserved_example_host_is_a_placeholder(newsletter: Newsletter, host: str) -> None:
    newsletter.settings(SETTINGS.replace("news.example.org", host))
    assert "SET004" in run(newsletter.root, "check").output


def test_no_email_service_chosen_warns_and_still_builds(newsletter: Newsletter) -> None:
    newsletter.settings(SETTINGS.replace('service = "mailchimp"\n', ""))
    newsletter.issue("2025-07-15-x.md")
    check = run(newsletter.root, "check")
    assert "warning SET005 no email service chosen" in check.output
    assert 'fix: set service under [unsubscribe], e.g. service = "buttondown"' in check.output
    assert run(newsletter.root, "build").exit_code == 0
    email = (newsletter.root / "site" / "x" / "email.html").read_text(encoding="utf-8")
    assert "#choose-your-email-service" in email and "{{ unsubscribe_url }}" not in email
    server = start(newsletter.root, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
        connection.request("GET", "/")
        assert "SET005" in connection.getresponse().read().decode()
    finally:
        server.shutdown()
        server.server_close()


def test_every_build_reports_the_same_warnings(newsletter: Newsletter) -> None:
    newsletter.settings(SETTINGS.replace('email = "ada@example.org"\n', ""))
    newsletter.issue("2025-07-15-x.md", body="Text\n\n#### Deep heading\n")
    first = run(newsletter.root, "build")
    second = run(newsletter.root, "build")  # nothing changed: served from the cache
    assert "no sender address" in first.output
    warnings = [line for line in first.output.splitlines() if line.startswith("warning")]
    assert warnings == [line for line in second.output.splitlines() if line.startswith("warning")]


def test_send_dry_run_prints_the_envelope(
    newsletter: Newsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", "hunter2")
    newsletter.settings(SETTINGS + '\n[smtp]\nhost = "smtp.example.org"\nuser = "ada"\n')
    newsletter.issue("2025-07-15-x.md")
    result = run(
        newsletter.root, "send", "x", "--to", "a@example.org", "--to", "b@example.org", "--dry-run"
    )
    assert result.exit_code == 0
    assert "to:       a@example.org, b@example.org" in result.output
    assert "server:   smtp.example.org:587, security starttls" in result.output
    assert "login:    as ada (password from PUBLISHER_SMTP_PASSWORD: set)" in result.output
    assert "hunter2" not in result.output
    assert result.output.index("dry run") < result.output.index("Subject:")


def test_names_that_do_not_match_suggest_the_closest(newsletter: Newsletter) -> None:
    newsletter.issue("2025-07-15-heat-pumps.md", title="Heat pumps")
    newsletter.issue("2025-07-22-grain.md", title="Grain")
    for args in (["render", "heat-pump"], ["send", "heat-pump", "--to", "a@example.org"]):
        result = run(newsletter.root, *args)
        assert result.exit_code == 1
        assert "no issue file or slug 'heat-pump'; did you mean 'heat-pumps'?" in result.output
    server = start(newsletter.root, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=5)
        connection.request("GET", "/issue/2025-07-15-heat-pump/")
        response = connection.getresponse()
        assert response.status == 404
        assert "Did you mean 2025-07-15-heat-pumps?" in response.read().decode()
    finally:
        server.shutdown()
        server.server_close()


def test_the_readme_says_why_an_email_opened_from_disk_shows_no_images() -> None:
    assert "opening\n`site/<slug>/email.html` from disk shows its images broken" in README
    assert "use `publisher preview`" in README


def test_the_docs_command_list_is_publisher_help() -> None:
    shown = DOCS["docs/index.md"].split("`publisher --help`:\n\n```\n", 1)[1].split("```", 1)[0]
    assert shown == CliRunner().invoke(cli, ["--help"], prog_name="publisher").output


def test_the_readme_command_table_names_every_command() -> None:
    table = README.split("## Commands\n", 1)[1].split("\n## ", 1)[0]
    for name in cli.commands:  # type: ignore[attr-defined]
        assert f"| `publisher {name}" in table, f"the README's command table lacks {name}"


def shown_commands(text: str) -> list[list[str]]:
    """Return the arguments after ``publisher`` of every command that ``text`` shows: in ```sh
    blocks (comments removed) and in `code` of its own in the prose."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        lines += [line.split("  #", 1)[0] for line in block.splitlines()]
    lines += re.findall(r"`(publisher [^`]*)`", text)
    commands = []
    for line in lines:
        for part in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(part)
            if "publisher" in words:
                commands.append(words[words.index("publisher") + 1 :])
    return commands


def _option(command: click.Command, word: str) -> click.Option | None:
    """Return ``command``'s option ``word`` (None for -h and --help); fail if it has none."""
    name = word.split("=", 1)[0]
    if name in ("-h", "--help"):
        return None
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    raise AssertionError(f"`publisher {command.name}` has no option {word}")


def parse(args: list[str]) -> None:
    """Fail unless ``args`` name a command, its options and their allowed values (a word in
    capitals, such as COMMAND, stands for any command)."""
    command: click.Command = cli
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word.startswith("-"):
            option = _option(command, word)
            if option is not None and not (option.is_flag or option.count or "=" in word):
                value = rest.pop(0)
                if isinstance(option.type, click.Choice):
                    assert value in option.type.choices, f"{word} {value}: not a choice"
        elif isinstance(command, click.Group):
            if word.isupper():
                return
            assert word in command.commands, f"no command {word!r}"
            command = command.commands[word]


@pytest.mark.parametrize("where", ["README.md", *DOCS])
def test_every_command_shown_exists_with_its_options(where: str) -> None:
    """Every `publisher` command the README or a guide shows is a real one, with real options
    and allowed values, as `publisher COMMAND --help` lists them."""
    text = README if where == "README.md" else DOCS[where]
    commands = shown_commands(text)
    for args in commands:
        try:
            parse(args)
        except AssertionError as exc:
            raise AssertionError(f"{where}: publisher {shlex.join(args)}: {exc}") from None
    if where in ("README.md", "docs/index.md", "docs/publishing.md", "docs/sending.md"):
        assert commands, f"{where} shows no command"


def test_help_loads_the_command_line_alone() -> None:
    """``publisher --help`` answers at once: it loads none of the code that does the work, in
    a process of its own as a user runs it."""
    code = (
        "import runpy, sys\n"
        "heavy, sys.argv = set(sys.argv[1:]), ['publisher', '--help']\n"
        "try:\n"
        "    runpy.run_module('publisher', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('loaded:', *sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    heavy = ["jinja2", "markdown_it", "yaml", "sqlite3", "publisher.config", "publisher.build"]
    done = subprocess.run(
        [sys.executable, "-c", code, *heavy], capture_output=True, text=True, check=True
    )
    assert "Usage: publisher" in done.stdout
    assert done.stderr.strip() == "loaded:"


@pytest.mark.parametrize("command", sorted(cli.commands))  # type: ignore[attr-defined]
def test_every_command_help_ends_with_an_example(command: str) -> None:
    output = CliRunner().invoke(cli, [command, "--help"]).output
    description = output.split("\nOptions:", 1)[0].strip().splitlines()
    assert re.match(r"\s+Example: publisher " + command + r"\b", description[-1]), output
