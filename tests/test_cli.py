"""The command line, as a user runs it: help, version, init, render, build, and errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import SAMPLE_SLUG, Newsletter
from publisher import __version__
from publisher.cli import cli


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.output == f"publisher, version {__version__}\n"


def test_python_dash_m_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "publisher", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout


@pytest.mark.parametrize("command", [[], *[[name] for name in cli.commands]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = run(*command, "-h")
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    description = result.output.split("\n", 1)[1].split("Options:")[0]
    assert "publisher " in description, "the help text shows no example"
    target = cli if not command else cli.commands[command[0]]
    for param in target.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{command} {param.name} has no help"


def test_init_lays_out_a_folder_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "my-news"
    result = run("init", str(target), "--name", "My News")
    assert result.exit_code == 0, result.output
    assert (target / "newsletter.toml").is_file()
    (issue,) = (target / "issues").glob("*-welcome.md")
    assert "title: Welcome to My News" in issue.read_text(encoding="utf-8")
    assert not (target / "templates").exists()  # the bundled theme serves
    before = (target / "newsletter.toml").read_bytes()
    again = run("init", str(target))
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output
    assert (target / "newsletter.toml").read_bytes() == before


def test_init_with_theme_copies_the_templates(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "t"), "--theme")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t" / "templates" / "email.mjml.j2").is_file()


def test_a_new_user_renders_the_issue_they_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "fresh"
    assert run("init", str(target)).exit_code == 0
    monkeypatch.chdir(target)
    (target / "issues" / "2025-09-01-my-first.md").write_text(
        "---\ntitle: My first\ndate: 2025-09-01\n---\nHello **readers**.\n", encoding="utf-8"
    )
    for fmt, expected in [
        ("html", "<!DOCTYPE html>"),
        ("text", "Hello readers."),
        ("mjml", "<mjml"),
    ]:
        result = run("render", "issues/2025-09-01-my-first.md", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert expected in result.output
    by_slug = run("render", "my-first", "-f", "text")
    assert by_slug.exit_code == 0 and "Hello readers." in by_slug.output


def test_render_unknown_issue(newsletter: Newsletter) -> None:
    result = run("-C", str(newsletter.root), "render", "nope")
    assert result.exit_code == 1
    assert "error: no issue file or slug 'nope'" in result.output
    assert "fix: give the issue's file" in result.output


def test_build_writes_email_files(sample: Path) -> None:
    result = run("-C", str(sample), "build")
    assert result.exit_code == 0, result.output
    folder = sample / "site" / SAMPLE_SLUG
    assert (folder / "email.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "The wires under the sea" in (folder / "email.txt").read_text(encoding="utf-8")
    # The lead photo is published through the image pipeline, never as the source file.
    assert not (folder / "lead.jpg").exists()
    assert [p.name[:10] for p in folder.glob("lead-1200w.*.jpg")] == ["lead-1200w"]
    assert "built 1 issue into" in result.output


def test_build_is_byte_identical(sample: Path) -> None:
    assert run("-C", str(sample), "build", "--out", str(sample / "a")).exit_code == 0
    assert run("-C", str(sample), "build", "--out", str(sample / "b")).exit_code == 0
    files_a = sorted(p.relative_to(sample / "a") for p in (sample / "a").rglob("*"))
    files_b = sorted(p.relative_to(sample / "b") for p in (sample / "b").rglob("*"))
    assert files_a == files_b
    for rel in files_a:
        if (sample / "a" / rel).is_file():
            assert (sample / "a" / rel).read_bytes() == (sample / "b" / rel).read_bytes(), rel


def test_drafts_and_scheduled_issues_are_not_built(newsletter: Newsletter) -> None:
    newsletter.issue("2025-01-01-live.md", title="Live", date="2025-01-01")
    newsletter.issue("2025-01-02-wip.md", title="WIP", date="2025-01-02", draft="true")
    newsletter.issue("2999-01-01-later.md", title="Later", date="2999-01-01")
    result = run("-C", str(newsletter.root), "build")
    assert result.exit_code == 0, result.output
    site = newsletter.root / "site"
    assert [p.name for p in site.iterdir() if (p / "email.html").exists()] == ["live"]
    assert "built 1 issue into site in " in result.output
    assert "(1 scheduled skipped); 1 draft not published (issues/2025-01-02-wip.md): remove " in (
        result.output
    )
    assert "`draft: true` from a draft's front matter to publish it" in result.output


def test_bad_input_exits_1_without_traceback_and_keeps_site(newsletter: Newsletter) -> None:
    newsletter.issue("2025-01-01-good.md", title="Good", date="2025-01-01")
    assert run("-C", str(newsletter.root), "build").exit_code == 0
    site = newsletter.root / "site"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    bad = newsletter.issue("2025-01-02-bad.md", front="title: Bad\ndate: 2025-02-30\n")
    author_file = bad.read_bytes()
    result = run("-C", str(newsletter.root), "build")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "issues/2025-01-02-bad.md:3: '2025-02-30' is not a date" in result.output.replace(
        str(newsletter.root) + "/", ""
    )
    assert "fix: write the date as YYYY-MM-DD" in result.output
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert bad.read_bytes() == author_file
    assert not [p for p in newsletter.root.iterdir() if p.name.startswith(".site")]


def test_template_errors_name_the_template_and_line(newsletter: Newsletter) -> None:
    newsletter.issue()
    templates = newsletter.root / "templates"
    templates.mkdir()
    (templates / "email.txt.j2").write_text(
        "{{ issue.title }}\n{{ issue.nope }}\n", encoding="utf-8"
    )
    result = run("-C", str(newsletter.root), "render", "first", "-f", "text")
    assert result.exit_code == 1
    assert "templates/email.txt.j2:2: template error:" in result.output
    assert "'nope'" in result.output
    (templates / "email.txt.j2").write_text("{% if %}\n", encoding="utf-8")
    result = run("-C", str(newsletter.root), "render", "first", "-f", "text")
    assert result.exit_code == 1
    assert "templates/email.txt.j2:1: template error:" in result.output


def test_invalid_mjml_from_a_theme(newsletter: Newsletter) -> None:
    newsletter.issue()
    (newsletter.root / "templates").mkdir()
    (newsletter.root / "templates" / "email.mjml.j2").write_text(
        "<mjml><mj-body><mj-section>", encoding="utf-8"
    )
    result = run("-C", str(newsletter.root), "render", "first")
    assert result.exit_code == 1
    assert "email.mjml.j2: the email template produced invalid MJML" in result.output


def test_out_must_not_hold_author_files(newsletter: Newsletter) -> None:
    newsletter.issue()
    for out in (".", "issues", "issues/site"):
        result = run("-C", str(newsletter.root), "build", "--out", str(newsletter.root / out))
        assert result.exit_code == 1, out
        assert "refusing to build into" in result.output
    assert (newsletter.root / "issues" / "2025-07-15-first.md").is_file()


def test_a_local_logo_is_published_where_the_email_points(newsletter: Newsletter) -> None:
    from PIL import Image

    newsletter.issue()
    (newsletter.root / "brand").mkdir()
    Image.new("RGB", (320, 80), "teal").save(newsletter.root / "brand" / "logo.png")
    newsletter.settings('base_url = "https://n.example/"\nlogo = "brand/logo.png"\n')
    result = run("-C", str(newsletter.root), "build")
    assert result.exit_code == 0, result.output
    site = newsletter.root / "site"
    # Shown 160 px wide: the published file is twice that, named by its content.
    (logo,) = (site / "brand").glob("logo-320w.*.png")
    html = (site / "first" / "email.html").read_text(encoding="utf-8")
    assert f'src="https://n.example/brand/{logo.name}"' in html
    assert 'height="40"' in html  # 320×80 shown 160 px wide
    newsletter.settings('base_url = "https://n.example/"\nlogo = "missing.png"\n')
    result = run("-C", str(newsletter.root), "build")
    assert result.exit_code == 1
    assert "newsletter.toml:2: setting `logo`: 'missing.png' is not a file" in result.output
