"""The plain-text twin: rendered from the token tree, wrapped, links as numbered references."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_SLUG, Newsletter
from publisher.config import load_config
from publisher.model.issue import load_issue, load_issues
from publisher.model.markdown import parse
from publisher.render.issue import render_issue
from publisher.render.text import WIDTH, render_text
from publisher.render.theme import Theme

BASE = "https://news.example.org/first/"


def text_of(body: str) -> str:
    return render_text(parse(body).tokens, BASE).body


def test_headings_lists_and_quotes() -> None:
    out = text_of(
        "## Section\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted **words**\n"
    )
    assert out == (
        "Section\n-------\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted words"
    )


def test_a_table_row_too_long_for_the_line_goes_on_indented() -> None:
    long = "word " * 16
    out = text_of(f"Country | Note\n--- | ---\nChad | {long}\nMali | short\n")
    lines = out.splitlines()
    assert lines[0] == "Country | Note"
    assert lines[1].startswith("Chad | word") and lines[2].startswith("  word")
    assert lines[-1] == "Mali | short"
    assert max(len(line) for line in lines) <= WIDTH


def test_links_become_numbered_references() -> None:
    result = render_text(
        parse(
            "See [the map](https://map.example/) and [this](../other/), "
            "again [the map](https://map.example/), and https://bare.example/.\n"
        ).tokens,
        BASE,
    )
    assert result.body == (
        "See the map [1] and this [2], again the map [1], and\nhttps://bare.example/."
    )
    assert result.links == ["https://map.example/", "https://news.example.org/other/"]


def test_images_as_alt_and_credit() -> None:
    out = text_of('![A ship in fog](ship.jpg "Off the coast | Photo: K. Lee")\n')
    assert out == "[Image: A ship in fog] (Photo: K. Lee)\nOff the coast"


def test_footnotes_are_collected() -> None:
    result = render_text(parse("Claim.[^x]\n\n[^x]: The note.\n").tokens, BASE)
    assert result.body == "Claim.[^1]"
    assert result.notes == [(1, "[^1] The note.")]


def test_links_and_footnotes_are_numbered_apart() -> None:
    body = "A [map](https://map.example/).[^a] More.[^b]\n\n[^a]: One.\n[^b]: Two [x](https://x.example/).\n"
    result = render_text(parse(body).tokens, BASE)
    assert result.body == "A map [1].[^1] More.[^2]"
    assert result.notes == [(1, "[^1] One."), (2, "[^2] Two x [2].")]
    assert result.links == ["https://map.example/", "https://x.example/"]


#: Where an author puts a footnote reference: after a word, before or after punctuation, at the
#: start of a paragraph, in emphasis, a list item, a heading, a quote or a table cell.
PLACES = [
    "season{ref}, which",
    "season,{ref} which",
    "season {ref} which",
    "{ref} Seasonal words",
    "*stressed{ref}* words",
    "- a list item{ref}",
    "## A heading{ref}",
    "> quoted{ref} text",
    "| a | b |\n|---|---|\n| cell{ref} | x |",
    "(in brackets{ref})",
    "a [link](https://l.example/){ref} here",
]


@given(st.lists(st.sampled_from(PLACES), min_size=1, max_size=6))
@settings(max_examples=80, deadline=None)
def test_footnote_markers_never_show_raw(places: list[str]) -> None:
    paragraphs = [p.format(ref=f"[^n{k}]") for k, p in enumerate(places)]
    notes = [f"[^n{k}]: Note {k} text." for k in range(len(places))]
    result = render_text(parse("\n\n".join(paragraphs) + "\n\n" + "\n".join(notes)).tokens, BASE)
    text = result.body + "\n" + "\n".join(n for _, n in result.notes)
    assert "[^n" not in text and "^]" not in text, text  # the author's labels never show
    for k in range(len(places)):
        assert f"[^{k + 1}]" in result.body, (k, result.body)
    expected = [f"[^{k + 1}] Note {k} text." for k in range(len(places))]
    assert [n for _, n in result.notes] == expected
    # Links are [n], notes [^n]: no mark means two things.
    for number in re.findall(r"\[(\d+)\]", result.body):
        assert int(number) <= len(result.links)


def test_code_is_indented_and_not_wrapped() -> None:
    line = "x" * 100
    assert text_of(f"```\n{line}\n```\n") == "    " + line


def test_raw_html_keeps_only_its_text() -> None:
    assert text_of("<div><script>bad()</script><b>Bold</b> words</div>\n") == "Bold words"


def test_lines_are_wrapped_under_78(sample: Path) -> None:
    config = load_config(sample)
    (issue,) = [i for i in load_issues(sample, config) if i.slug == SAMPLE_SLUG]
    text = render_issue(issue, config, Theme(sample)).text
    for line in text.splitlines():
        if len(line) >= 78:  # only a URL that cannot be broken may be longer
            assert " " not in line.split("] ", 1)[-1].strip(), line
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= WIDTH


def test_text_email_has_view_online_and_unsubscribe(newsletter: Newsletter) -> None:
    config = load_config(newsletter.root)
    issue = load_issue(newsletter.issue(body="Body with [a link](https://l.example/).\n"), config)
    text = render_issue(issue, config, Theme(newsletter.root)).text
    assert "View online: https://news.example.org/first/" in text
    assert "Unsubscribe: *|UNSUB|*" in text
    assert "1 Test Street, Testville" in text
    assert "[1] https://l.example/" in text
    assert "Body with a link [1]." in text


#: Text as authors and templates make it: words, long URLs, runs of spaces, tabs, line-ending
#: characters, no-break spaces and other Unicode; half of it plain words and spaces (the
#: fast way), half anything.
WRAP_PIECES = ["a", "bc", "défg", "https://example.org/a/very/long/path/" + "x" * 40, " ",
               "  ", "\t", "\r", "\x0b", "\x0c", "\u00a0", "\u202f", "—", "中文", "-",
               "\u2003"]  # fmt: skip
WRAP_TEXT = (
    st.lists(st.sampled_from(WRAP_PIECES), max_size=60)
    | st.lists(st.sampled_from(["a", "bc", "défg", "x" * 30, " ", " ", "  "]), max_size=80)
).map("".join)


@given(
    WRAP_TEXT,
    st.integers(min_value=1, max_value=90),
    st.sampled_from(["", "> ", "[1] ", "- "]),
    st.sampled_from(["", "  ", "    "]),
)
@settings(max_examples=600, deadline=None)
def test_the_fast_wrap_is_textwrap(text: str, width: int, first: str, rest: str) -> None:
    import textwrap

    class NoBreakSpacesKept(textwrap.TextWrapper):
        """textwrap, which breaks only at ASCII whitespace, as the fast wrap does."""

    from publisher.render.text import greedy_wrap

    oracle = NoBreakSpacesKept(
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    try:
        expected = oracle.wrap(text)
    except ValueError:  # textwrap refuses an indent as wide as the line
        return
    assert greedy_wrap(text, width, first, rest) == expected


# --- #34 row 12: links and notes told apart, each in reading order; struck text ---


def test_the_text_twin_numbers_links_and_notes_apart_in_reading_order(
    newsletter: Newsletter,
) -> None:
    from click.testing import CliRunner

    from publisher.cli import cli

    newsletter.issue(
        body="See the [previous issue](https://a.example/) and [the map](https://b.example/) "
        "for details.[^d] We meet ~~Tuesday [at the pub](https://pub.example/)~~ Wednesday.[^w]\n\n"
        "[^d]: The details, with [a source](https://c.example/).\n[^w]: Not Tuesday.\n"
    )
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "render", "first", "-f", "text"])
    assert result.exit_code == 0, result.output
    text = result.output
    flat = " ".join(text.split())
    assert "See the previous issue [1] and the map [2] for details.[^1]" in flat
    assert "We meet Wednesday.[^2]" in flat
    assert "~" not in text
    notes = text.split("\nNotes\n-----\n", 1)[1].split("\nLinks\n", 1)[0]
    assert " ".join(notes.split()) == "[^1] The details, with a source [3]. [^2] Not Tuesday."
    links = text.split("\nLinks\n-----\n", 1)[1].split("\n--\n", 1)[0]
    assert links.strip().splitlines() == [
        "[1] https://a.example/",
        "[2] https://b.example/",
        "[3] https://c.example/",
    ]
