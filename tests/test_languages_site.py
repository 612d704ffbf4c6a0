"""A site whose issues are in more than one language: an archive and feeds per language, and
translations (``translation_of:``) that link each other. Built for real, read with feedparser
and lxml. (``test_languages.py`` has the theme's words in each language.)"""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from click.testing import CliRunner
from test_preview import get

from conftest import SETTINGS, Newsletter
from publisher.build.pipeline import build
from publisher.check import run_checks
from publisher.cli import cli
from publisher.errors import PublisherError
from publisher.preview.server import start

BASE = "https://news.example.org/"
FEEDS = ("feed.xml", "atom.xml", "feed.json")


def bilingual(newsletter: Newsletter, extra: str = "") -> Newsletter:
    """Write two English issues and a French one that translates the newer."""
    newsletter.settings(SETTINGS + extra)
    newsletter.issue("2025-07-01-older.md", title="Older", date="2025-07-01", tags="[trade]")
    newsletter.issue("2025-07-15-grain.md", title="Grain", date="2025-07-15", tags="[russia]")
    newsletter.issue(
        "2025-07-16-ble.md",
        title="Blé",
        date="2025-07-16",
        tags="[russie]",
        language="fr",
        translation_of="grain",
    )
    return newsletter


def built(newsletter: Newsletter) -> Path:
    build(newsletter.root)
    return newsletter.root / "site"


def parsed(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return feed


def page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.parse(str(path)).getroot()


def test_each_language_has_its_archive_and_feeds(newsletter: Newsletter) -> None:
    site = built(bilingual(newsletter))
    main = {e.link: e.id for e in parsed(site / "atom.xml").entries}
    for folder, titles in (("en", ["Grain", "Older"]), ("fr", ["Blé"])):
        for name in ("feed.xml", "atom.xml"):
            feed = parsed(site / folder / name)
            assert feed.feed.language == folder, (folder, name)
            assert [e.title for e in feed.entries] == titles
            assert {e.link: e.id for e in feed.entries}.items() <= main.items()  # same ids
            self = next(x.href for x in feed.feed.links if x.rel == "self")
            assert self == f"{BASE}{folder}/{name}"
        data = json.loads((site / folder / "feed.json").read_text(encoding="utf-8"))
        assert data["language"] == folder and data["feed_url"] == f"{BASE}{folder}/feed.json"
        assert [i["title"] for i in data["items"]] == titles
        assert all(i["id"] in main.values() for i in data["items"])
        archive = page(site / folder / "index.html")
        assert archive.get("lang") == folder
        listed = archive.xpath('//ol[@class="issue-list"]//h2/a/text()')
        assert listed == titles
        assert archive.xpath('//link[@rel="canonical"]/@href') == [f"{BASE}{folder}/"]
        feeds = archive.xpath('//head/link[@type="application/atom+xml"]/@href')
        assert feeds == [f"{BASE}{folder}/atom.xml"]
    assert parsed(site / "fr/atom.xml").feed.title == "Test Weekly — Français"


def test_the_main_feeds_keep_every_issue_each_in_its_language(newsletter: Newsletter) -> None:
    site = built(bilingual(newsletter))
    atom = parsed(site / "atom.xml")
    assert atom.feed.language == "en" and len(atom.entries) == 3
    root = lxml.etree.parse(str(site / "atom.xml")).getroot()
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.get(lang) for e in entries] == ["fr", None, None]  # the feed's own: en
    data = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    assert data["language"] == "en"
    assert [i.get("language") for i in data["items"]] == ["fr", None, None]
    assert [t for i in data["items"] for t in i.get("tags", [])] == ["russie", "russia", "trade"]


def test_the_main_archive_links_each_language(newsletter: Newsletter) -> None:
    site = built(bilingual(newsletter))
    archive = page(site / "index.html")
    assert archive.get("lang") == "en"
    links = archive.xpath('//nav[@class="languages"]//a')
    assert [(a.get("href"), a.get("hreflang"), a.text) for a in links] == [
        ("en/", "en", "English"),
        ("fr/", "fr", "Français"),
    ]
    assert len(archive.xpath('//ol[@class="issue-list"]/li')) == 3  # every issue, as before
    french = page(site / "fr/index.html")
    assert french.xpath('//nav[@class="languages"]//a[@aria-current="page"]/text()') == ["Français"]
    assert french.xpath('//nav[@class="languages"]//a/@href') == ["../en/", "../fr/"]
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{BASE}fr/</loc>" in sitemap and f"<loc>{BASE}en/</loc>" in sitemap


def test_a_language_archive_goes_on_in_pages(newsletter: Newsletter) -> None:
    site = built(bilingual(newsletter, "\n[archive]\nper_page = 1\n"))
    assert (site / "en/page/2/index.html").is_file() and not (site / "fr/page").exists()
    second = page(site / "en/page/2/index.html")
    assert second.xpath('//ol[@class="issue-list"]//h2/a/text()') == ["Older"]
    assert second.xpath('//head/link[@rel="prev"]/@href') == [f"{BASE}en/"]
    assert second.xpath('//nav[@class="pager"]//a[@rel="prev"]/@href') == ["../../../en/"]
    assert second.xpath('//link[@rel="stylesheet"]/@href') == [
        "../../../assets/style.css",
        "../../../pagefind/pagefind-ui.css",  # the search box, three folders up too
    ]


def test_translations_link_each_other(newsletter: Newsletter) -> None:
    site = built(bilingual(newsletter))
    versions = {"en": f"{BASE}grain/", "fr": f"{BASE}ble/", "x-default": f"{BASE}grain/"}
    for slug, other, name in (("grain", "ble", "Français"), ("ble", "grain", "English")):
        issue = page(site / slug / "index.html")
        alternates = issue.xpath("//head/link[@hreflang]")
        assert {a.get("hreflang"): a.get("href") for a in alternates} == versions, slug
        assert all(a.get("rel") == "alternate" for a in alternates)
        visible = issue.xpath('//p[@class="translations"]/a')
        assert [(a.get("href"), a.text) for a in visible] == [(f"../{other}/", name)]
    french = page(site / "ble/index.html")
    assert french.get("lang") == "fr"
    assert french.xpath('//p[@class="translations"]/text()')[0].strip() == "Également en\u202f:"
    assert not page(site / "older/index.html").xpath("//head/link[@hreflang]")


def test_one_language_has_no_language_folders(newsletter: Newsletter) -> None:
    newsletter.settings(SETTINGS)
    newsletter.issue("2025-07-15-grain.md", title="Grain", date="2025-07-15", language="en")
    site = built(newsletter)
    assert not (site / "en").exists()
    assert not page(site / "index.html").xpath('//nav[@class="languages"]')


def test_a_language_archive_is_rewritten_only_for_its_issues(newsletter: Newsletter) -> None:
    site = built(bilingual(newsletter))
    french = {n: (site / "fr" / n).stat().st_ino for n in ("index.html", *FEEDS)}
    english = (site / "en/index.html").read_bytes()
    newsletter.issue("2025-07-20-more.md", title="More", date="2025-07-20")
    site = built(newsletter)
    for name, inode in french.items():
        assert (site / "fr" / name).stat().st_ino == inode, name
    assert (site / "en/index.html").read_bytes() != english


def test_a_slug_that_is_a_language_folder_is_refused(newsletter: Newsletter) -> None:
    bilingual(newsletter)
    newsletter.issue("2025-07-10-fr.md", title="France", date="2025-07-10")
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 1, result.output
    assert (
        "issues/2025-07-10-fr.md:1: slug 'fr' is a name the archive of the issues in that "
        "language (the issues are in 2 languages) uses at the site's root"
    ) in result.output
    assert "fix: give the issue another `slug:`, e.g. `slug: fr-issue`" in result.output
    assert not (newsletter.root / "site").exists()


def findings_of(newsletter: Newsletter) -> list[str]:
    return [f.format() for f in run_checks(newsletter.root) if f.rule.startswith("LANG")]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (
            "translation_of: grian",
            "issues/2025-07-20-x.md:5:1: error LANG001 `translation_of: grian` names no issue; "
            "fix: did you mean `translation_of: grain`?",
        ),
        (
            "translation_of: 2025-07-15-grain.md",  # by its file name: a second French one
            "issues/2025-07-20-x.md:5:1: error LANG002 this translation of 'grain' is in 'fr', "
            "as 'ble' (2025-07-16-ble.md) is, a translation of it already; fix: set this "
            "issue's `language:` to the language it is written in, or remove its "
            "`translation_of:` if it is no translation",
        ),
        (
            "translation_of: ble",
            "issues/2025-07-20-x.md:5:1: error LANG003 `translation_of: ble` names a "
            "translation (of 'grain'), not an original; fix: name the original: "
            "`translation_of: grain`",
        ),
    ],
)
def test_check_finds_wrong_translations(newsletter: Newsletter, front: str, expected: str) -> None:
    bilingual(newsletter)
    assert findings_of(newsletter) == []
    newsletter.issue(
        "2025-07-20-x.md", front=f"title: X\ndate: 2025-07-20\nlanguage: fr\n{front}\n"
    )
    assert findings_of(newsletter) == [expected]
    with pytest.raises(PublisherError) as raised:
        build(newsletter.root)
    assert expected.split(" error ")[1].split(" ", 1)[1].split("; fix")[0] in str(raised.value)


def test_a_translation_in_the_originals_language_is_found(newsletter: Newsletter) -> None:
    bilingual(newsletter)
    newsletter.issue("2025-07-20-x.md", front="title: X\ndate: 2025-07-20\ntranslation_of: grain\n")
    assert findings_of(newsletter) == [
        "issues/2025-07-20-x.md:4:1: error LANG002 this translation of 'grain' is in 'en', as "
        "'grain' (2025-07-15-grain.md) is, the original; fix: set this issue's `language:` to "
        "the language it is written in, or remove its `translation_of:` if it is no translation"
    ]


def test_preview_serves_the_language_folders(newsletter: Newsletter) -> None:
    bilingual(newsletter)
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        status, body = get(running, "/site/fr/")
        assert status == 200 and "Blé" in body and "Grain" not in body
        for name in ("feed.xml", "atom.xml"):
            status, body = get(running, f"/site/fr/{name}")
            assert status == 200, name
            feed = feedparser.parse(body)
            assert not feed.bozo and feed.feed.language == "fr", name
        status, body = get(running, "/site/en/feed.json")
        assert status == 200
        assert [i["title"] for i in json.loads(body)["items"]] == ["Grain", "Older"]
        status, body = get(running, "/site/ble/")
        assert status == 200 and 'hreflang="en" href="http://127.0.0.1:' in body
        assert '/site/grain/">' in body
    finally:
        running.shutdown()
        running.server_close()


def test_a_new_translation_is_linked_from_the_built_original(newsletter: Newsletter) -> None:
    """The original's page is written again when a translation of it appears."""
    site = built(bilingual(newsletter))
    ble = newsletter.root / "issues/2025-07-16-ble.md"
    ble.write_text(
        ble.read_text(encoding="utf-8").replace("translation_of: grain\n", ""), encoding="utf-8"
    )
    site = built(newsletter)
    assert not page(site / "grain/index.html").xpath("//head/link[@hreflang]")
    bilingual(newsletter)
    site = built(newsletter)
    assert page(site / "grain/index.html").xpath("//head/link[@hreflang='fr']/@href") == [
        f"{BASE}ble/"
    ]
