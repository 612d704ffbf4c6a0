"""Heading anchors: stable section ids, links to them that resolve (or a ``check`` finding),
the hover link on the page, emails that lead to the page's section; and the page's JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from conftest import Newsletter, serve_from
from publisher.build.pipeline import build
from publisher.cli import cli

NOW = dt.datetime(2025, 8, 1, tzinfo=dt.UTC)
BODY = """\
Opening paragraph, [down to the costs](#costs)
and [the other issue's figures](2025-07-01-other.md#figures).

## Costs

Text.

## Москва и мир

### 東京の朝

## Content

## Costs

## !!!

A claim.[^1]

[^1]: The note.
"""
OTHER = "Other text.\n\n## Figures\n\nNumbers.\n\n## Figures 2\n"
#: The ids BODY's headings get, in order.
IDS = ["costs", "moskva-i-mir", "dongjingnochao", "content-2", "costs-2", "section"]


def write(newsletter: Newsletter, body: str = BODY) -> Path:
    newsletter.issue("2025-07-01-other.md", title="Other", date="2025-07-01", body=OTHER)
    return newsletter.issue("2025-07-15-first.md", title="First", date="2025-07-15", body=body)


def page(out: Path, slug: str = "first") -> Any:
    return lxml_html.fromstring((out / slug / "index.html").read_text(encoding="utf-8"))


def heading_ids(tree: Any) -> list[str]:
    return [
        str(h.get("id")) for h in tree.xpath("//div[@class='article-body']/*[self::h2 or self::h3]")
    ]


def test_headings_get_unique_ascii_ids_that_no_page_id_takes(newsletter: Newsletter) -> None:
    write(newsletter)
    build(newsletter.root, now=NOW, out=newsletter.root / "site")
    tree = page(newsletter.root / "site")
    assert heading_ids(tree) == IDS
    every = [str(e.get("id")) for e in tree.xpath("//*[@id]")]
    assert len(every) == len(set(every)), every  # not `content`, nor a footnote's fn1
    assert {"content", "fn1", "fnref1"} <= set(every)


def test_editing_a_heading_renames_no_other(newsletter: Newsletter) -> None:
    path = write(newsletter)
    build(newsletter.root, now=NOW, out=newsletter.root / "site")
    path.write_text(
        path.read_text(encoding="utf-8").replace("## Content", "## Contents of the cable"),
        encoding="utf-8",
    )
    build(newsletter.root, now=NOW, out=newsletter.root / "site")
    assert heading_ids(page(newsletter.root / "site")) == [
        *IDS[:3],
        "contents-of-the-cable",
        *IDS[4:],
    ]


def test_links_to_sections_resolve_on_the_pages(newsletter: Newsletter) -> None:
    write(newsletter)
    out = newsletter.root / "site"
    build(newsletter.root, now=NOW, out=out)
    tree = page(out)
    same = tree.xpath("//a[text()='down to the costs']/@href")
    assert same == ["#costs"] and tree.xpath("//*[@id='costs']")
    other = tree.xpath("//a[text()='the other issue’s figures']/@href")
    assert other == ["../other/#figures"]
    assert page(out, "other").xpath("//h2[@id='figures']")


def test_the_page_has_a_link_to_each_section_the_feeds_and_email_none(
    newsletter: Newsletter,
) -> None:
    write(newsletter)
    out = newsletter.root / "site"
    build(newsletter.root, now=NOW, out=out)
    heading = page(out).xpath("//h2[@id='costs']")[0]
    (anchor,) = heading.xpath("a[@class='anchor']")
    assert anchor.get("href") == "#costs" and anchor.get("aria-labelledby") == "costs"
    assert anchor.xpath("span[@aria-hidden='true']/text()") == ["#"]
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    content = next(i for i in feed["items"] if i["title"] == "First")["content_html"]
    assert 'id="costs"' in content and "anchor" not in content
    email = (out / "first" / "email.html").read_text(encoding="utf-8")
    assert 'class="anchor"' not in email


def test_the_email_links_to_the_page_s_section(newsletter: Newsletter) -> None:
    write(newsletter)
    out = newsletter.root / "site"
    build(newsletter.root, now=NOW, out=out)
    email = lxml_html.fromstring((out / "first" / "email.html").read_text(encoding="utf-8"))
    hrefs = email.xpath("//a/@href")
    assert "https://news.example.org/first/#costs" in hrefs
    assert "https://news.example.org/other/#figures" in hrefs
    text = (out / "first" / "email.txt").read_text(encoding="utf-8")
    assert "https://news.example.org/first/#costs" in text


def check(newsletter: Newsletter) -> list[str]:
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "check"])
    return [line for line in result.output.splitlines() if "LNK007" in line]


def test_links_to_sections_that_exist_are_not_findings(newsletter: Newsletter) -> None:
    write(
        newsletter,
        BODY + "\n[Top](#top), [note](#fn1), [again](#costs-2), [page](../other/#figures-2).\n",
    )
    assert check(newsletter) == []


def test_an_unknown_section_is_a_finding_with_the_closest_ids(newsletter: Newsletter) -> None:
    body = BODY.replace("(#costs)", "(#cost)").replace("md#figures)", "md#figure)")
    write(newsletter, body + "\n[Page](../other/#nothing-like-it).\n")
    found = check(newsletter)
    assert found == [
        "issues/2025-07-15-first.md:5:40: warning LNK007 '#cost': this issue has no section "
        "#cost, so the link opens at the top of the page; did you mean #costs or #costs-2?; "
        "fix: use a heading's id (its page shows it as the # link beside the heading)",
        "issues/2025-07-15-first.md:6:33: warning LNK007 '2025-07-01-other.md#figure': issue "
        "'other' has no section #figure, so the link opens at the top of the page; did you "
        "mean #figures or #figures-2?; fix: use a heading's id (its page shows it as the # "
        "link beside the heading)",
        "issues/2025-07-15-first.md:26:8: warning LNK007 '../other/#nothing-like-it': issue "
        "'other' has no section #nothing-like-it, so the link opens at the top of the page; "
        "its sections are #figures, #figures-2; fix: use a heading's id (its page shows it as "
        "the # link beside the heading)",
    ]


@pytest.mark.browser
def test_the_section_link_shows_on_hover_and_leads_to_the_section(
    newsletter: Newsletter, http_server: tuple[str, Path], browser: Any
) -> None:
    base_url, www = http_server
    serve_from(newsletter.root / "newsletter.toml", base_url)
    write(newsletter)
    build(newsletter.root, now=NOW, out=www)
    tab = browser.new_page(viewport={"width": 800, "height": 600})
    try:
        tab.goto(base_url + "first/")
        anchor = tab.locator("h2#costs a.anchor")
        opacity = "e => getComputedStyle(e).opacity"
        tab.mouse.move(0, 0)
        tab.wait_for_function(
            "getComputedStyle(document.querySelector('#costs .anchor')).opacity === '0'"
        )
        assert anchor.evaluate(opacity) == "0"
        tab.hover("h2#costs")
        tab.wait_for_function(
            "getComputedStyle(document.querySelector('#costs .anchor')).opacity === '1'"
        )
        anchor.click()
        tab.wait_for_url(base_url + "first/#costs")
        assert tab.evaluate("document.querySelector(':target').id") == "costs"
    finally:
        tab.close()


# --- structured data ------------------------------------------------------------------------


def json_ld(tree: Any) -> Any:
    (script,) = tree.xpath("//script[@type='application/ld+json']")
    return json.loads(script.text)


def test_an_issue_page_describes_itself_as_a_blog_posting(newsletter: Newsletter) -> None:
    from PIL import Image

    path = newsletter.issue(
        "2025-07-15-first/index.md",
        title="First",
        date="2025-07-15",
        updated="2025-07-20T09:30:00+02:00",
        tags="[energy]",
        body="![Cranes at dusk](crane.png)\n\nText.\n",
    )
    Image.new("RGB", (1600, 900), "navy").save(path.parent / "crane.png")
    out = newsletter.root / "site"
    build(newsletter.root, now=NOW, out=out)
    data = json_ld(page(out))
    assert list(data) == [
        "@context", "@type", "headline", "description", "url", "mainEntityOfPage",
        "inLanguage", "datePublished", "dateModified", "author", "publisher", "image", "keywords",
    ]  # fmt: skip
    assert (data["@context"], data["@type"], data["headline"]) == (
        "https://schema.org",
        "BlogPosting",
        "First",
    )
    assert data["url"] == data["mainEntityOfPage"]["@id"] == "https://news.example.org/first/"
    assert data["datePublished"] == "2025-07-15T00:00:00+00:00"
    assert data["dateModified"] == "2025-07-20T09:30:00+02:00"
    assert data["author"] == {"@type": "Person", "name": "Ada Writer"}
    assert data["publisher"] == {
        "@type": "Organization",
        "name": "Test Weekly",
        "url": "https://news.example.org/",
    }
    (image,) = data["image"]
    assert image.startswith("https://news.example.org/first/")
    assert (out / "first" / image.rsplit("/", 1)[1]).is_file()  # published, so crawlable
    assert data["keywords"] == ["energy"]
    assert not page(out, ".").xpath("//script[@type='application/ld+json']")  # the archive


def test_a_title_cannot_end_the_script(newsletter: Newsletter) -> None:
    newsletter.issue(title='"</script><script>alert(1)</script>"', date="2025-07-15")
    out = newsletter.root / "site"
    build(newsletter.root, now=NOW, out=out)
    tree = page(out, "first")
    assert not tree.xpath("//script[not(@type='application/ld+json')]")
    assert json_ld(tree)["headline"] == "</script><script>alert(1)</script>"
    assert "<\\/script><script>" in (out / "first" / "index.html").read_text(encoding="utf-8")


def test_the_publisher_s_logo(newsletter: Newsletter) -> None:
    newsletter.settings(
        (newsletter.root / "newsletter.toml")
        .read_text(encoding="utf-8")
        .replace('language = "en"', 'language = "en"\nlogo = "https://cdn.example.org/logo.png"')
    )
    newsletter.issue()
    out = newsletter.root / "site"
    build(newsletter.root, now=NOW, out=out)
    logo = json_ld(page(out, "first"))["publisher"]["logo"]
    assert logo == {"@type": "ImageObject", "url": "https://cdn.example.org/logo.png"}
