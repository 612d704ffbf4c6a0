"""Property tests (hypothesis): arbitrary Markdown never breaks the email or the feeds, and
nothing unsafe reaches a reader."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import lxml.etree
import lxml.html
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_email import WORD, is_subsequence, source_words, visible_text

from publisher.config import Config
from publisher.errors import PublisherError
from publisher.model.issue import parse_issue
from publisher.render import feeds
from publisher.render.issue import render_issue
from publisher.render.rendered import Rendered
from publisher.render.theme import Theme

CONFIG = Config(name="Prop Weekly", base_url="https://prop.example.org/")
THEME = Theme(Path(__file__).parent)  # no templates/ here: the bundled theme
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DANGEROUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example/"></iframe>',
    '<form action="https://evil.example/"><input name=a></form>',
    '<div onclick="alert(1)">x</div>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    "<object data=https://evil.example/></object>",
    "<embed src=https://evil.example/>",
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<body onload="alert(1)">',
]

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0, max_codepoint=0x2FFFF),
    max_size=400,
)
markdown_bits = st.sampled_from(
    [
        "# ",
        "## ",
        "- ",
        "1. ",
        "> ",
        "**",
        "*",
        "`",
        "```\n",
        "~~",
        "[^1]",
        "[^1]: note\n",
        "| a | b |\n|---|---|\n",
        "\n\n",
        "\n",
        '![alt](pic.png "cap | credit")',
        "[l](../x/)",
        "<b>",
        "</b>",
        "<div>",
        "</div>",
        "&amp;",
        "&#0;",
        "\\",
        "---\n",
        ">>>>>>>>>>",
        "  \n",
    ]
)
markdown = st.lists(st.one_of(text, markdown_bits, st.sampled_from(DANGEROUS)), max_size=30).map(
    "".join
)


def render(body: str) -> Rendered:
    issue = parse_issue(
        f"---\ntitle: Property\ndate: 2025-01-01\n---\n{body}",
        Path("/nonexistent/issues/2025-01-01-property.md"),
        CONFIG,
    )
    return render_issue(issue, CONFIG, THEME)


def unsafe(html: str) -> list[str]:
    """Return what in an HTML document could run code or load an unsafe URL."""
    tree = lxml.html.document_fromstring(html)
    found = [el.tag for el in tree.iter("script", "iframe", "form", "object", "embed", "svg")]
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{el.tag}@{name}")
            squashed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name in ("href", "src", "action", "xlink:href") and squashed.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                found.append(f"{el.tag}@{name}={value[:30]}")
    return found


@SETTINGS
@given(markdown)
@example("```\n\x85" + "0" * 60 + " " + "0" * 17)  # NEL, a line end to some: removed
@example("```\n\u2028" + "0" * 60 + " " + "0" * 17)  # Unicode's line end: a line end
def test_any_markdown_renders_or_says_why(body: str) -> None:
    try:
        rendered = render(body)
    except PublisherError:
        return  # a user error with a message is an acceptable answer
    tree = lxml.html.document_fromstring(rendered.html)
    assert tree.find(".//body") is not None
    assert not unsafe(rendered.html), unsafe(rendered.html)
    assert not unsafe(f"<div>{rendered.article_html}</div>")
    for line in rendered.text.splitlines():
        if len(line) >= 78 and not line.startswith("    "):  # code keeps its lines
            assert max(len(word) for word in line.split()) > 60, line  # an unbreakable word


words = st.lists(st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True), min_size=1, max_size=8)
inline = st.tuples(
    st.sampled_from(["{}", "**{}**", "*{}*", "`{}`", "[{}](https://x.example/)", "~~{}~~"]),
    words,
).map(lambda t: t[0].format(" ".join(t[1])))
paragraph = st.lists(st.tuples(inline, st.sampled_from([" ", "\n"])), min_size=1, max_size=8).map(
    lambda parts: "".join(a + b for a, b in parts).strip()
)
document = st.lists(
    st.tuples(st.sampled_from(["", "## ", "- ", "> ", "1. "]), paragraph), min_size=1, max_size=6
).map(lambda blocks: "\n\n".join(prefix + p for prefix, p in blocks) + "\n")


@SETTINGS
@given(document)
def test_every_source_word_is_visible_in_order(body: str) -> None:
    rendered = render(body)
    source = source_words(body)
    seen = WORD.findall(visible_text(rendered.html))
    assert is_subsequence(source, seen), (source, seen)


@SETTINGS
@given(st.lists(st.tuples(text, markdown), min_size=1, max_size=4))
def test_feeds_stay_well_formed_and_safe(items: list[tuple[str, str]]) -> None:
    rendered = []
    for n, (title, body) in enumerate(items):
        safe_title = title.replace("\n", " ").strip() or "Untitled"
        try:
            issue = parse_issue(
                f"---\ntitle: {json_string(safe_title)}\ndate: 2025-01-{n + 1:02d}\n---\n{body}",
                Path(f"/nonexistent/issues/2025-01-{n + 1:02d}-item-{n}.md"),
                CONFIG,
            )
            rendered.append(render_issue(issue, CONFIG, THEME))
        except PublisherError:
            continue
    for make in (feeds.rss, feeds.atom):
        document = lxml.etree.fromstring(make(CONFIG, rendered))
        for content in document.iter(
            "{http://www.w3.org/2005/Atom}content",
            "{http://purl.org/rss/1.0/modules/content/}encoded",
        ):
            assert not unsafe(f"<div>{content.text or ''}</div>")
    feeds.json_feed(CONFIG, rendered)


def json_string(value: str) -> str:
    import json

    return json.dumps(value)


def test_dangerous_snippets_one_by_one() -> None:
    for snippet in DANGEROUS:
        rendered = render(f"Before.\n\n{snippet}\n\nAfter {snippet} inline.\n")
        assert not unsafe(rendered.html), (snippet, unsafe(rendered.html))
        assert not unsafe(f"<div>{rendered.article_html}</div>"), snippet
        assert "<script" not in rendered.html.lower()


def test_the_safety_check_itself_finds_danger() -> None:
    for snippet in DANGEROUS[:7] + DANGEROUS[9:17]:
        if "&#x09;" in snippet or snippet.startswith("["):
            continue
        assert unsafe(f"<div>{snippet}</div>"), snippet


def test_dates_never_come_from_the_clock() -> None:
    first = render("Same text.\n")
    later = render("Same text.\n")
    assert first.html == later.html
    assert dt.datetime.now().isoformat()[:16] not in first.html


_PART = st.sampled_from(["a", "b", "bc", "..", ".", "é", "a b"])


@given(
    st.lists(_PART, max_size=4),
    st.lists(_PART, max_size=4),
    st.sampled_from(["/", "//", "", "/a/"]),
    st.sampled_from(["/", "//", ""]),
    st.booleans(),
)
def test_a_path_is_shown_from_a_folder_as_pathlib_says(
    path: list[str], root: list[str], path_start: str, root_start: str, inside: bool
) -> None:
    """The quick way ``display_path`` shows a path inside the folder is pathlib's answer."""
    from publisher.errors import display_path

    folder = Path(root_start + "/".join(root))
    shown = Path(str(folder), *path) if inside else Path(path_start + "/".join(path))
    try:
        expected = str(shown.absolute().relative_to(folder.absolute()))
    except ValueError:
        expected = str(shown)
    assert display_path(shown, folder) == expected
