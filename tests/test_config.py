"""Settings: the declared schema, defaults, every error reported together, unknown keys warned."""

from __future__ import annotations

import dataclasses
import logging
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import Newsletter
from publisher.cli import cli
from publisher.config import (
    UNSUBSCRIBE_PRESETS,
    Colors,
    Config,
    load_config,
    settings_template,
)
from publisher.errors import PublisherError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "newsletter.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_without_a_settings_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(tmp_path)
    assert config == Config()
    assert config.fonts.stylesheet == ""  # no remote fonts unless asked
    assert "publisher init" in caplog.text


def test_values_are_read_and_base_url_gets_a_slash(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
name = "Dispatch"
base_url = "https://example.org/news"
timezone = "Europe/Berlin"
[colors]
accent = "#c00"
[unsubscribe]
service = "listmonk"
[social]
Mastodon = "https://mastodon.social/@d"
""",
        )
    )
    assert config.name == "Dispatch"
    assert config.base_url == "https://example.org/news/"
    assert config.colors.accent == "#c00"
    assert config.colors.text == Colors().text
    assert config.unsubscribe.link == "{{ UnsubscribeURL }}"
    assert config.social == {"Mastodon": "https://mastodon.social/@d"}
    assert str(config.tz) == "Europe/Berlin"


@pytest.mark.parametrize(("service", "tag"), sorted(UNSUBSCRIBE_PRESETS.items()))
def test_unsubscribe_presets(tmp_path: Path, service: str, tag: str) -> None:
    config = load_config(write(tmp_path, f'[unsubscribe]\nservice = "{service}"\n'))
    assert config.unsubscribe.link == tag


def test_custom_unsubscribe(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[unsubscribe]\nservice = "custom"\nurl = "[[UNSUB]]"\n'))
    assert config.unsubscribe.link == "[[UNSUB]]"


def test_all_errors_are_reported_together_with_lines_and_fixes(tmp_path: Path) -> None:
    with pytest.raises(PublisherError) as info:
        load_config(
            write(
                tmp_path,
                """name = "X"
base_url = "example.org"
language = "english please"
timezone = "Mars/Olympus"

[colors]
text = "black"

[unsubscribe]
service = "pigeon"
""",
            )
        )
    problems = {p.message.split("`")[1]: p for p in info.value.problems}
    assert set(problems) == {
        "base_url",
        "language",
        "timezone",
        "colors.text",
        "unsubscribe.service",
    }
    assert problems["base_url"].line == 2
    assert problems["language"].line == 3
    assert problems["timezone"].line == 4
    assert problems["colors.text"].line == 7
    assert problems["unsubscribe.service"].line == 10
    assert all(p.hint and p.file == tmp_path / "newsletter.toml" for p in problems.values())
    text = info.value.format(tmp_path)
    assert "newsletter.toml:2: setting `base_url`" in text
    assert "fix: write where site/ will be published" in text


def test_wrong_type_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PublisherError) as info:
        load_config(write(tmp_path, "name = 42\n"))
    (problem,) = info.value.problems
    assert problem.line == 1
    assert "must be a string, not int" in problem.message
    assert problem.hint == 'put the value in double quotes: name = "..."'


def test_a_name_of_control_characters_is_empty(tmp_path: Path) -> None:
    with pytest.raises(PublisherError) as info:
        load_config(write(tmp_path, 'name = "\\u0001"\n'))
    assert any(p.message.endswith("is empty") for p in info.value.problems)


def test_toml_syntax_error_has_line(tmp_path: Path) -> None:
    with pytest.raises(PublisherError) as info:
        load_config(write(tmp_path, 'name = "ok"\nbase_url = https://x\n'))
    (problem,) = info.value.problems
    assert problem.line == 2
    assert problem.message.startswith("settings are not valid TOML")


def test_unknown_keys_are_warned_with_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    config = load_config(write(tmp_path, 'name = "A"\ncolour = "red"\n[footer]\nadress = "x"\n'))
    assert config.name == "A"
    assert "newsletter.toml:2: unknown setting `colour` is ignored" in caplog.text
    assert "newsletter.toml:4: unknown setting `footer.adress` is ignored" in caplog.text


def test_settings_template_documents_every_key_and_parses(tmp_path: Path) -> None:
    text = settings_template(name="Hello", base_url="https://h.example/")
    data = tomllib.loads(text)
    assert data["name"] == "Hello"
    uncommented = text.replace("\n# ", "\n")
    for field in dataclasses.fields(Config):
        if field.metadata.get("internal"):
            continue
        assert field.metadata["doc"], field.name
        assert f"{field.name} =" in uncommented or f"[{field.name}]" in text
    assert load_config(write(tmp_path, text)).name == "Hello"


def test_unknown_keys_and_wrong_choices_name_the_closest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    text = '[footer]\nadress = "x"\n[smtp]\nsecurity = "startls"\n'
    with pytest.raises(PublisherError) as info:
        load_config(write(tmp_path, text))
    assert "newsletter.toml:2: unknown setting `footer.adress` is ignored; did you mean " in (
        caplog.text
    )
    assert "`address`?" in caplog.text
    (problem,) = info.value.problems
    assert (problem.line, problem.message) == (
        4,
        "setting `smtp.security`: 'startls' is not one of starttls, tls, none; did you mean "
        "'starttls'?",
    )


def test_a_wrong_value_in_a_table_of_links_is_told_at_its_own_line(tmp_path: Path) -> None:
    text = '[social]\nMastodon = "https://m.example/@a"\nBlog = 3\nShop = "shop.example"\n'
    with pytest.raises(PublisherError) as info:
        load_config(write(tmp_path, text))
    assert [(p.line, p.message) for p in info.value.problems] == [
        (3, "setting `social.Blog`: must be a string, not int"),
        (4, "setting `social.Shop`: 'shop.example' is not an absolute http(s) URL"),
    ]


@pytest.mark.parametrize("setting", ["logo", "logo_dark"])
def test_a_logo_file_that_is_no_picture_is_an_error_at_its_setting(
    newsletter: Newsletter, setting: str
) -> None:
    from PIL import Image

    newsletter.issue()
    Image.new("RGB", (320, 80), "teal").save(newsletter.root / "good.png")
    (newsletter.root / "bad.png").write_bytes(b"")
    logos = 'logo = "good.png"\nlogo_dark = "good.png"\n'.replace(
        f'{setting} = "good', f'{setting} = "bad'
    )
    newsletter.settings(f'name = "N"\nbase_url = "https://n.example/"\n{logos}')
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = 3 if setting == "logo" else 4
    assert (
        f"newsletter.toml:{line}: setting `{setting}`: 'bad.png' cannot be the logo: "
        "it is an empty file" in result.output
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "lists or tables nested too deeply to read"),
        ("{a = " * 5000 + "1" + "}" * 5000, "lists or tables nested too deeply to read"),
        ("1" * 5000, "a number too long to read"),
    ],
    ids=["lists", "tables", "digits"],
)
def test_settings_tomllib_cannot_read_are_told_at_the_file(
    newsletter: Newsletter, value: str, message: str
) -> None:
    """Before: a RecursionError or ValueError traceback out of tomllib."""
    newsletter.settings(f'name = "N"\nx = {value}\n')
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "check"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"newsletter.toml:1:1: error FM003 settings are not valid TOML: {message}" in (
        result.output
    )


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("base_url", "'" + "a" * 80 + "…' is not an absolute http(s) URL"),
        ("language", "'" + "a" * 80 + "…' is not a language tag"),
        ("timezone", "'" + "a" * 80 + "…' is not a known time zone"),
    ],
)
def test_a_long_value_is_quoted_in_80_characters(tmp_path: Path, key: str, shown: str) -> None:
    """Before, a 100,000-character time zone was an OSError traceback (File name too long)."""
    value = "a" * 100_000
    with pytest.raises(PublisherError) as info:
        load_config(write(tmp_path, f'{key} = "{value}"\n'))
    (problem,) = info.value.problems
    assert problem.message.startswith(f"setting `{key}`: {shown}")
    assert len(problem.message) < 200
