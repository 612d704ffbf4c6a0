"""Every Markdown feature the project supports, built through ``build()`` and read back from
every output: no markup shows as escaped text, and footnotes link both ways."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from PIL import Image

from conftest import Newsletter
from publisher.build.pipeline import build

SLUG = "kitchen-sink"
PAGE_URL = f"https://news.example.org/{SLUG}/"

#: Everything an issue may hold. Outside code there is no literal ``<``, ``>`` or entity, so
#: none may appear as text in any output: angle brackets there are markup that leaked.
KITCHEN_SINK = """\
![A crane at dawn](crane.png "Cranes at dawn | Photo: A. Writer")

The opening paragraph has **bold**, *italic*, ~~struck~~ and `inline <b>code</b> & more` words,
"double quotes", 'single quotes', an en dash 10--20, an em dash---like this---and an ellipsis...
It cites a first note[^first] and a second one.[^second] It cites the first note again.[^first]
Then an inline note.^[Written *inline*, with a [link](https://example.org/inline).]

## A section heading

### A smaller heading

A bare link https://example.org/bare and an angle link <https://example.org/angle>, a
[link to the archive](../) and [an anchor](#notes), and a mail link <ada@example.org>.
A hard break follows.\\
After the break, a small picture ![a buoy](buoy.png) inside the text.

- First item
- Second item
  - Nested item with `x < y`
  - Another nested item
    1. Deeply nested, ordered
- Third item

1. One
2. Two

| Left | Centre | Right |
| :--- | :---: | ---: |
| a **bold** cell | `a <code> cell` | 1,000 |
| ~~old~~ new | "quoted" | 2--3 |

> A block quote with *emphasis*.
>
> > And a nested one.

[![A linked crane](crane.png "Linked | Photo: B. Writer")](https://example.org/cranes)

```python
if a < b and c > d:
    print("<tag> & &amp;")
```

    indented <code> & block

***

::: note
A note with a footnote.[^second]
:::

::: correction
A correction with **bold**.
:::

::: sponsor
A sponsor's message.
:::

[Read more](https://example.org/more){.button}

Source: the Kitchen Sink Institute, https://example.org/source

[^first]: The first note, with a [link](https://example.org/first) and `code <here>`.

[^second]: The second note.

    It has a second paragraph.
"""

#: The code of the kitchen sink, whose angle brackets and entities are the author's.
CODE = (
    "inline <b>code</b> & more",
    "x < y",
    "a <code> cell",
    'if a < b and c > d: print("<tag> & &amp;")',
    "indented <code> & block",
    "code <here>",
)

#: Text that is, or holds, escaped markup: an angle bracket, or an entity left as text.
MARKUP = re.compile(r"[<>]|&(?:[a-z]+|#\d+|#x[0-9a-f]+);", re.IGNORECASE)
#: Where the author's angle brackets belong (and what holds no text a reader sees).
CODE_TAGS = {"code", "pre", "style", "script"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the kitchen-sink issue once for every test here."""
    newsletter = Newsletter(tmp_path_factory.mktemp("kitchen") / "news")
    newsletter.issue(
        f"2025-03-03-{SLUG}.md",
        title='"Ports & power: \\"everything\\" at once"',
        date="2025-03-03",
        summary='"Every kind of Markdown -- an issue\'s whole range."',
        tags="[tests]",
        body=KITCHEN_SINK,
    )
    folder = newsletter.root / "issues"
    Image.new("RGB", (640, 400), "teal").save(folder / "crane.png")
    Image.new("RGB", (320, 200), "orange").save(folder / "buoy.png")
    build(newsletter.root)
    return newsletter.root / "site"


def _in_code(element: lxml.html.HtmlElement) -> bool:
    """Whether the element is code: a code element, or the email's code box (a table cell its
    lines are in, which shows them without relying on ``white-space``)."""
    return any(
        e.tag in CODE_TAGS or "code-box" in (e.get("class") or "").split()
        for e in (element, *element.iterancestors())
    )


def _texts(root: lxml.html.HtmlElement) -> Iterator[tuple[lxml.html.HtmlElement, str]]:
    """Yield every text and attribute value of a parsed document with the element it is in
    (comments' own text, such as Outlook's conditional comments, is not shown)."""
    for element in root.iter():
        if isinstance(element.tag, str):
            yield element, element.text or ""
            for value in element.attrib.values():
                yield element, value
        parent = element.getparent()
        if parent is not None:
            yield parent, element.tail or ""


def parse_html(html: str) -> lxml.html.HtmlElement:
    """Parse a whole HTML document, or a fragment (a feed's content) inside a ``<div>``."""
    if html.lstrip()[:9].lower() in ("<!doctype", "<html>") or html.lstrip().startswith("<html "):
        return lxml.html.document_fromstring(html)
    return lxml.html.fromstring(f"<div>{html}</div>")


def escaped_markup(html: str) -> list[str]:
    """Return the texts of an HTML document or fragment that show markup outside code."""
    return [
        text.strip()
        for element, text in _texts(parse_html(html))
        if MARKUP.search(text) and not _in_code(element)
    ]


def code_with_brackets(html: str) -> int:
    """Return how many code elements show an angle bracket (the test's own sanity check)."""
    return sum(1 for e in parse_html(html).iter("code") if "<" in e.text_content())


def feed_fields(site: Path) -> dict[str, tuple[str, bool]]:
    """Return each feed's fields for the issue: name -> (value, whether it is HTML)."""
    fields: dict[str, tuple[str, bool]] = {}
    rss = lxml.etree.parse(str(site / "feed.xml")).getroot()
    (item,) = rss.iter("item")
    for child in item:
        tag = lxml.etree.QName(child).localname
        if tag in ("title", "description", "encoded"):
            fields[f"feed.xml {tag}"] = (child.text or "", tag != "title")
    atom = lxml.etree.parse(str(site / "atom.xml")).getroot()
    (entry,) = atom.iter("{http://www.w3.org/2005/Atom}entry")
    for child in entry:
        tag = lxml.etree.QName(child).localname
        if tag in ("title", "summary", "content"):
            fields[f"atom.xml {tag}"] = (child.text or "", child.get("type") == "html")
    (entry_json,) = json.loads((site / "feed.json").read_text(encoding="utf-8"))["items"]
    for key in ("title", "summary", "content_html"):
        fields[f"feed.json {key}"] = (entry_json[key], key == "content_html")
    return fields


def test_the_kitchen_sink_renders_in_every_output(site: Path) -> None:
    page = (site / SLUG / "index.html").read_text(encoding="utf-8")
    email = (site / SLUG / "email.html").read_text(encoding="utf-8")
    for name, html in [("page", page), ("email.html", email)]:
        assert escaped_markup(html) == [], name
        assert code_with_brackets(html) >= 4, name  # the code kept its brackets, escaped
    assert escaped_markup((site / "index.html").read_text(encoding="utf-8")) == []
    fields = feed_fields(site)
    assert {n for n, (_, is_html) in fields.items() if is_html} >= {
        "feed.xml encoded",
        "atom.xml content",
        "feed.json content_html",
    }
    for name, (value, is_html) in fields.items():
        assert value, name
        if is_html:
            assert escaped_markup(value) == [], name
            if "description" not in name and "summary" not in name:
                assert code_with_brackets(value) >= 4, name
        else:
            assert not MARKUP.search(value), (name, value)


def test_the_plain_text_shows_no_markup(site: Path) -> None:
    text = (site / SLUG / "email.txt").read_text(encoding="utf-8")
    # Quoted lines start with "> "; lines are joined, as wrapping may split the code.
    lines = (re.sub(r"^(?:> ?)+", "", line) for line in text.split("\n"))
    flat = " ".join(" ".join(lines).split())
    for code in CODE:
        assert code in flat
        flat = flat.replace(code, "")
    assert not MARKUP.search(flat), MARKUP.findall(flat)
    assert "[1]" in flat and "[3]" in flat  # the notes, numbered as on the web


def test_footnotes_link_to_their_notes_and_back(site: Path) -> None:
    page = lxml.html.parse(str(site / SLUG / "index.html")).getroot()
    ids = page.xpath("//@id")
    assert len(ids) == len(set(ids))  # every id once
    article = page.find_class("article-body")[0]
    refs = article.xpath(".//sup[@class='footnote-ref']/a")
    # first, second, first again, inline, second again (in the callout)
    assert [a.text_content() for a in refs] == ["[1]", "[2]", "[1]", "[3]", "[2]"]
    (notes,) = article.xpath(".//section[@class='footnotes']")
    items = notes.xpath("./ol/li")
    assert len(items) == 3
    assert items[0].text_content().startswith("The first note, with a link and code <here>.")
    assert "It has a second paragraph." in items[1].text_content()
    assert items[2].text_content().startswith("Written inline, with a link.")
    for a in refs:
        href = a.get("href")
        assert href.startswith("#")
        note = page.get_element_by_id(href[1:])
        assert note in items
    backs = notes.xpath(".//a[@class='footnote-backref']")
    assert len(backs) == len(refs)  # a way back to each reference
    for back in backs:
        href = back.get("href")
        assert href.startswith("#")
        assert page.get_element_by_id(href[1:]) in refs
    # The notes come last in the article, after the source line.
    assert article.xpath("./*")[-1] == notes


def test_footnote_links_in_feeds_lead_to_the_issue_page(site: Path) -> None:
    for name, (value, is_html) in feed_fields(site).items():
        if not is_html or "description" in name or "summary" in name:
            continue
        fragment = parse_html(value)
        refs = fragment.xpath(".//sup[@class='footnote-ref']/a/@href")
        backs = fragment.xpath(".//a[@class='footnote-backref']/@href")
        assert len(refs) == 5 and len(backs) == 5, name
        for href in refs + backs:
            assert re.fullmatch(re.escape(PAGE_URL) + r"#fn(ref)?[0-9:]+", href), (name, href)
