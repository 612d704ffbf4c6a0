"""The issue model: front matter per the contract, with file, line and fix for every mistake."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Newsletter
from publisher.config import Config, load_config
from publisher.errors import PublisherError
from publisher.model.issue import derive_id, load_issue, load_issues

CONFIG = Config(base_url="https://news.example.org/")


def problem_of(path: Path) -> tuple[int | None, str, str]:
    with pytest.raises(PublisherError) as info:
        load_issue(path, CONFIG)
    (problem,) = info.value.problems
    assert problem.file == path
    assert problem.hint
    return problem.line, problem.message, problem.hint


def test_a_full_front_matter(newsletter: Newsletter) -> None:
    path = newsletter.issue(
        "2025-07-15-grain.md",
        title='"Grain: the long way round"',
        date="2025-07-15T08:30:00+02:00",
        subtitle="Why it matters",
        tags="[food, shipping]",
        draft="true",
        updated="2025-07-16",
        summary="A summary.",
    )
    issue = load_issue(path, CONFIG)
    assert issue.title == "Grain: the long way round"
    assert issue.date == dt.datetime(2025, 7, 15, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert issue.slug == "grain"
    assert issue.tags == ("food", "shipping")
    assert issue.draft is True
    assert issue.updated is not None and issue.updated.date() == dt.date(2025, 7, 16)
    assert issue.url(CONFIG) == "https://news.example.org/grain/"
    assert issue.id == "tag:news.example.org,2025-07-15:/grain/"
    assert issue.body_line == 10


def test_folder_issue_and_slug_override(newsletter: Newsletter) -> None:
    path = newsletter.issue("2025-08-01-ports/index.md", title="Ports", date="2025-08-01")
    issue = load_issue(path, CONFIG)
    assert issue.slug == "ports"
    assert issue.folder == path.parent
    other = newsletter.issue("notes.md", title="N", date="2025-08-02", slug="custom-slug")
    assert load_issue(other, CONFIG).slug == "custom-slug"


def test_id_stays_when_title_changes(newsletter: Newsletter) -> None:
    path = newsletter.issue(title="One")
    first = load_issue(path, CONFIG).id
    newsletter.issue(title="Another title entirely")
    assert load_issue(path, CONFIG).id == first
    pinned = newsletter.issue("2025-07-16-x.md", id="urn:uuid:1234", date="2025-07-16")
    assert load_issue(pinned, CONFIG).id == "urn:uuid:1234"


def test_date_without_zone_takes_the_settings_zone(newsletter: Newsletter) -> None:
    config = load_config(newsletter.root)
    config = Config(**{**config.__dict__, "timezone": "America/New_York"})
    issue = load_issue(newsletter.issue(date="2025-07-15"), config)
    assert issue.date.utcoffset() == dt.timedelta(hours=-4)
    assert derive_id(config, issue.date, "x").startswith("tag:news.example.org,2025-07-15:")


def test_bom_and_crlf_just_work(newsletter: Newsletter) -> None:
    path = newsletter.root / "issues" / "2025-07-15-crlf.md"
    path.write_bytes(b"\xef\xbb\xbf---\r\ntitle: Windows\r\ndate: 2025-07-15\r\n---\r\nBody\r\n")
    issue = load_issue(path, CONFIG)
    assert issue.title == "Windows"
    assert issue.body == "Body\n"


def test_bad_yaml_points_at_the_line(newsletter: Newsletter) -> None:
    path = newsletter.issue(front="title: ok\ndate: 2025-07-15\ntags: [a, b\n")
    line, message, _ = problem_of(path)
    assert message.startswith("front matter is not valid YAML")
    assert line in (4, 5)


def test_unclosed_front_matter(newsletter: Newsletter) -> None:
    path = newsletter.root / "issues" / "x.md"
    path.write_text("---\ntitle: x\ndate: 2025-01-01\nBody\n", encoding="utf-8")
    assert problem_of(path) == (
        1,
        "front matter is not closed",
        "add a line `---` after the last front-matter key",
    )


def test_no_front_matter(newsletter: Newsletter) -> None:
    path = newsletter.root / "issues" / "x.md"
    path.write_text("# Just markdown\n", encoding="utf-8")
    line, message, hint = problem_of(path)
    assert (line, message) == (1, "no front matter")
    assert "---" in hint


@pytest.mark.parametrize("missing", ["title", "date"])
def test_missing_required_key(newsletter: Newsletter, missing: str) -> None:
    meta = {"title": "T", "date": "2025-01-01"}
    del meta[missing]
    path = newsletter.issue(front="".join(f"{k}: {v}\n" for k, v in meta.items()))
    line, message, hint = problem_of(path)
    assert line == 1  # the front matter's opening line
    assert message == f"`{missing}` is missing"
    assert hint == f"add a line `{missing}: ...` to the front matter"


@pytest.mark.parametrize("value", ["2025-13-45", "next tuesday", "'2025-02-30'"])
def test_bad_date(newsletter: Newsletter, value: str) -> None:
    path = newsletter.issue(front=f"title: T\ndate: {value}\n")
    line, message, hint = problem_of(path)
    assert line == 3
    assert "date" in message
    assert "YYYY-MM-DD" in hint


@pytest.mark.parametrize(
    ("front", "key", "fix"),
    [
        ("tags: europe\n", "tags", "write a list"),
        ('draft: "yes"\n', "draft", "draft: true"),
        ("title: [a, b]\n", "title", "quote the value"),
        ("subtitle: 12\n", "subtitle", "quote the value"),
    ],
)
def test_wrong_types(newsletter: Newsletter, front: str, key: str, fix: str) -> None:
    base = "title: T\ndate: 2025-01-01\n"
    if key == "title":
        base = "date: 2025-01-01\n"
    path = newsletter.issue(front=base + front)
    line, message, hint = problem_of(path)
    assert message.startswith(f"`{key}` must be")
    assert line == base.count("\n") + 2
    assert fix in hint


def test_non_utf8_file_names_the_line(newsletter: Newsletter) -> None:
    path = newsletter.root / "issues" / "latin1.md"
    path.write_bytes(b"---\ntitle: T\ndate: 2025-01-01\n---\nCaf\xe9\n")
    line, message, hint = problem_of(path)
    assert line == 5
    assert message == "not UTF-8 text (byte 0xe9)"
    assert "UTF-8" in hint


def test_unknown_key_is_warned(newsletter: Newsletter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    path = newsletter.issue(front="title: T\ndate: 2025-01-01\nsubtitel: oops\n")
    load_issue(path, CONFIG)
    assert f"{path.name}:4: unknown front-matter key `subtitel` is ignored" in caplog.text


def test_all_files_reported_together_and_duplicates(newsletter: Newsletter) -> None:
    newsletter.issue("2025-01-01-a.md", front="date: 2025-01-01\n")
    newsletter.issue("2025-01-02-b.md", front="title: B\n")
    newsletter.issue("2025-01-03-same.md", title="C", date="2025-01-03")
    newsletter.issue("2025-01-04-d.md", title="D", date="2025-01-04", slug="same")
    with pytest.raises(PublisherError) as info:
        load_issues(newsletter.root, CONFIG)
    messages = sorted(p.message for p in info.value.problems)
    assert messages[0] == "`date` is missing"
    assert messages[1] == "`title` is missing"
    assert messages[2].startswith("slug 'same' is used by")


def test_issues_are_sorted_newest_first(newsletter: Newsletter) -> None:
    newsletter.issue("2025-01-01-old.md", title="Old", date="2025-01-01")
    newsletter.issue("2025-03-01-new.md", title="New", date="2025-03-01")
    newsletter.issue("README.md", title="not an issue", date="2025-03-01")
    assert [i.slug for i in load_issues(newsletter.root, CONFIG)] == ["new", "old"]


YAML_BITS = [
    "title: A\n", "date: 2025-07-15\n", "tags: [a, b]\n", "summary: 'x: y'\n", "draft: yes\n",
    "n: 012\n", "key: value: bad\n", "- item\n", "  indented: 1\n", "é: ü\n", "a: \"\\u00e9\"\n",
    "x: [unclosed\n", "y: {a: 1}\n", "z: |\n  block\n", "? complex\n", "t: 1.5e3\n", "&a v: *a\n",
    "q: 'it''s'\n", "# comment\n", "r: !!str 1\n", "\t\n", "s: ~\n", "u: 2025-07-15T10:00:00Z\n",
]  # fmt: skip


@given(st.lists(st.sampled_from(YAML_BITS), max_size=8).map("".join))
@settings(max_examples=300, deadline=None)
def test_libyaml_and_pure_yaml_read_front_matter_alike(text: str) -> None:
    from publisher.errors import PublisherError
    from publisher.model.frontmatter import _loader, _parse_yaml

    outcomes = []
    for fast in (True, False):
        try:
            outcomes.append(_parse_yaml(text, Path("x.md"), _loader(fast)))
        except PublisherError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1], text


def test_the_body_read_again_is_the_body_loaded_or_nothing(newsletter: Newsletter) -> None:
    """A build keeps issues without their Markdown and reads it again to render them: the
    same text as loading the file gives (BOM, CRLF and control characters too), and none once
    the file has changed."""
    import dataclasses
    import os

    from publisher.model.issue import with_body

    path = newsletter.issue(body="One\n\nTwo\x07 words.\n")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    config = load_config(newsletter.root)
    loaded = load_issue(path, config)
    light = dataclasses.replace(loaded, body="")
    status = path.stat()

    def same(now: os.stat_result) -> bool:
        return (now.st_size, now.st_mtime_ns, now.st_ino) == (
            status.st_size,
            status.st_mtime_ns,
            status.st_ino,
        )

    again = with_body(light, same)
    assert again == loaded
    assert again is not None and again.body == "One\n\nTwo words.\n"
    path.write_text(path.read_text(encoding="utf-8") + "Three.\n", encoding="utf-8")
    assert with_body(light, same) is None


def test_every_front_matter_problem_is_told_at_once_in_line_order(newsletter: Newsletter) -> None:
    path = newsletter.issue(front='date: someday\ntags: [a, 3]\nslug: "a b"\ndraft: "no"\n')
    with pytest.raises(PublisherError) as info:
        load_issue(path, CONFIG)
    assert [(p.line, p.message) for p in info.value.problems] == [
        (1, "`title` is missing"),
        (2, "'someday' is not a date"),
        (3, "every tag must be a non-empty string"),
        (4, "slug 'a b' cannot be a URL path segment: it contains U+0020"),
        (5, "`draft` must be true or false, not str"),
    ]


def test_an_unknown_front_matter_key_names_the_closest(
    newsletter: Newsletter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    load_issue(newsletter.issue(front="title: T\ndate: 2025-01-01\nsumary: S\n"), CONFIG)
    assert "unknown front-matter key `sumary` is ignored; did you mean `summary`?" in caplog.text


def alias_bomb(key: str) -> str:
    """Front matter of nine nested lists of nine aliases each: 9**9 items once expanded."""
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [{','.join([f'*{before}'] * 9)}]")
    return "title: Bomb\ndate: 2025-02-01\n" + "\n".join(levels) + f"\n{key}: *i\n"


@pytest.mark.parametrize("key", ["image_focus", "language", "tags", "unknown"])
def test_an_alias_bomb_is_refused_at_its_first_alias_fast_and_small(
    newsletter: Newsletter, key: str
) -> None:
    """Before, `image_focus: *i` grew to 11-13 GB and ended in MemoryError."""
    import time
    import tracemalloc

    from click.testing import CliRunner

    from publisher.cli import cli

    path = newsletter.issue("2025-02-01-bomb.md", front=alias_bomb(key))
    assert len(path.read_bytes()) < 400
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "check", str(path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5  # before: minutes, then MemoryError
    assert peak < 100_000_000, peak  # before: gigabytes
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert (
        "issues/2025-02-01-bomb.md:5:1: error FM001 front matter cannot use YAML aliases (`*a`)"
        in result.output
    )


@pytest.mark.parametrize(
    ("front", "line", "alias"),
    [
        ("title: &t T\ndate: 2025-01-01\nsubject: *t\n", 4, "t"),
        ("title: T\ndate: 2025-01-01\ntags: &a [*a]\n", 4, "a"),  # a list in itself
        ("title: *Breaking news\ndate: 2025-01-01\n", 2, "Breaking"),
    ],
)
def test_front_matter_takes_no_alias(
    newsletter: Newsletter, front: str, line: int, alias: str
) -> None:
    """No front matter needs one; a title that starts with * is told to quote it."""
    problem_line, problem, hint = problem_of(newsletter.issue(front=front))
    assert (problem_line, problem) == (line, f"front matter cannot use YAML aliases (`*{alias}`)")
    assert 'a value that starts with * needs quotes: `title: "*Breaking* news"`' in hint


@pytest.mark.parametrize(
    ("front", "problem"),
    [
        ("title: " + "[" * 100_000 + "]" * 100_000, "nested too deeply to read"),
        ("title: T\nx:\n" + "- " * 3000 + "a", "nested too deeply to read"),
        ("title: " + "1" * 5000, "a number of 5000 characters is too long to read"),
        ("title: 1" + ":1" * 300_000, "a number of 600001 characters is too long to read"),
    ],
    ids=["flow", "block", "digits", "base 60"],
)
def test_front_matter_too_deep_or_too_long_a_number_is_refused(
    newsletter: Newsletter, front: str, problem: str
) -> None:
    """Before: a RecursionError, or a ValueError (Python reads no int of 4,301 digits)."""
    _, message, _ = problem_of(newsletter.issue(front=front + "\ndate: 2025-01-01\n"))
    assert message == f"front matter is not valid YAML: {problem}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("../../../evil", "'../../../evil'"),
        ("a" * 100_000, repr("a" * 80 + "…")),
        ('"en\\n"', "'en\\n'"),
        ("en-" + "abcdefgh-" * 4 + "x1", "'en-abcdefgh-abcdefgh-abcdefgh-abcdefgh-x1'"),
    ],
    ids=["a path", "100,000 characters", "a line break", "over 35 characters"],
)
def test_the_language_is_a_language_tag(newsletter: Newsletter, value: str, shown: str) -> None:
    """Before, `language: ../../../evil` loaded evil/LC_MESSAGES/publisher.mo and reached the
    page's lang="..."; 100,000 characters were a "File name too long"."""
    path = newsletter.issue(front=f"title: T\ndate: 2025-01-01\nlanguage: {value}\n")
    assert problem_of(path) == (
        4,
        f"`language` {shown} is not a language tag",
        'use a BCP 47 tag such as "en", "fr" or "pt-BR"',
    )


@pytest.mark.parametrize(("value", "tag"), [("pt-BR", "pt-BR"), ('""', "en"), ("", "en")])
def test_a_language_tag_or_none_is_taken(newsletter: Newsletter, value: str, tag: str) -> None:
    path = newsletter.issue(front=f"title: T\ndate: 2025-01-01\nlanguage: {value}\n")
    assert load_issue(path, CONFIG).language == tag


def test_a_tag_must_make_a_usable_folder_name(newsletter: Newsletter) -> None:
    """Each tag's page is tags/<its slug>/: 300 characters were a "File name too long"."""
    path = newsletter.issue(front=f"title: T\ndate: 2025-01-01\ntags: [ok, {'a' * 300}]\n")
    assert problem_of(path) == (
        4,
        f"tag '{'a' * 80}…' cannot name its page's folder: its slug is 300 characters long; at "
        "most 80 make a usable address",
        "shorten the tag",
    )


def test_a_slug_must_fit_a_folder_name_in_bytes(newsletter: Newsletter) -> None:
    path = newsletter.issue(front="title: T\ndate: 2025-01-01\nslug: " + "\U00020000" * 64 + "\n")
    line, message, _ = problem_of(path)
    assert line == 4
    assert message.endswith("it is 256 bytes long in UTF-8; a folder name takes at most 255")
    path.write_text(path.read_text(encoding="utf-8").replace("\U00020000", "", 1), "utf-8")
    assert load_issue(path, CONFIG).slug == "\U00020000" * 63


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[[0.5, 0.5], 0.5]", "`image_focus` must be two fractions, not a list of lists or tables"),
        ("[0.5, 0.5, 0.5]", "`image_focus` [0.5, 0.5, 0.5] is not a point of the image"),
        ("[true, 0.5]", "`image_focus` [True, 0.5] is not a point of the image"),
        ("2, 3", "`image_focus` '2, 3' is not a point of the image"),
    ],
)  # fmt: skip
def test_a_point_that_is_not_two_fractions(
    newsletter: Newsletter, value: str, message: str
) -> None:
    path = newsletter.issue(front=f"title: T\ndate: 2025-01-01\nimage_focus: {value}\n")
    assert problem_of(path)[:2] == (4, message)


def test_a_long_value_is_quoted_in_80_characters(newsletter: Newsletter) -> None:
    path = newsletter.issue(front=f"title: T\ndate: {'9' * 10_000}-01-01\n")
    assert problem_of(path)[1] == repr("9" * 80 + "…") + " is not a date"
