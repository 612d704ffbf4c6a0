"""Feeds per tag, every issue ever through per-year archive feeds (RFC 5005, JSON Feed's
``next_url``), and the archive page in pages: built for real, read with feedparser and lxml."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
from click.testing import CliRunner
from test_preview import get
from test_site import atom_schema

from conftest import SETTINGS, Newsletter
from publisher.build.pipeline import build
from publisher.cli import cli
from publisher.preview.server import start

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
BASE = "https://news.example.org/"
FH = "{http://purl.org/syndication/history/1.0}archive"
#: Two issues in 2024, two in 2025, one in 2026; the odd ones are also about energy.
DATES = ("2024-03-01", "2024-09-01", "2025-01-10", "2025-05-05", "2026-02-02")


def history(newsletter: Newsletter, extra: str = "[feeds]\nlimit = 2\n") -> Newsletter:
    """Write the issues of ``DATES``, tagged, with settings ``extra``."""
    newsletter.settings(SETTINGS + "\n" + extra)
    for n, day in enumerate(DATES):
        add(newsletter, n, day)
    return newsletter


def add(newsletter: Newsletter, n: int, day: str) -> None:
    tags = "[Russia, Energy]" if n % 2 else "[russia]"
    newsletter.issue(f"{day}-i{n}.md", title=f"Issue {n}", date=day, tags=tags)


def built(newsletter: Newsletter) -> Path:
    build(newsletter.root, now=NOW)
    return newsletter.root / "site"


def parsed(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, (path, feed.get("bozo_exception"))
    return feed


def link(feed: feedparser.FeedParserDict, rel: str) -> str | None:
    return next((x.href for x in feed.feed.links if x.rel == rel), None)


def local(site: Path, url: str) -> Path:
    assert url.startswith(BASE), url
    return site / url.removeprefix(BASE)


def all_ids(site: Path) -> list[str]:
    """Return every published issue's permanent id, newest first (the manifest's)."""
    issues = json.loads((site / "publisher.json").read_text(encoding="utf-8"))["issues"]
    ordered = sorted(issues, key=lambda i: i["published"], reverse=True)
    return [i["id"] for i in ordered]


# --- feeds per tag -------------------------------------------------------------------------------


def test_each_tag_has_its_feeds_beside_its_page(newsletter: Newsletter) -> None:
    site = built(history(newsletter, "[feeds]\nlimit = 20\n"))
    main = {e.link: e.id for e in parsed(site / "feed.xml").entries}
    for name in ("feed.xml", "atom.xml"):
        feed = parsed(site / "tags" / "energy" / name)
        assert [e.title for e in feed.entries] == ["Issue 3", "Issue 1"]
        assert {e.link: e.id for e in feed.entries}.items() <= main.items()  # same ids
        assert link(feed, "self") == f"{BASE}tags/energy/{name}"
        assert feed.feed.title == "Test Weekly — Energy"
    assert len(parsed(site / "tags" / "russia" / "feed.xml").entries) == 5
    atom = lxml.etree.parse(site / "tags" / "energy" / "atom.xml")
    atom_schema().assertValid(atom)
    assert atom.findtext("{http://www.w3.org/2005/Atom}id") == f"{BASE}tags/energy/"
    data = json.loads((site / "tags" / "energy" / "feed.json").read_text(encoding="utf-8"))
    assert data["feed_url"] == f"{BASE}tags/energy/feed.json"
    assert [i["title"] for i in data["items"]] == ["Issue 3", "Issue 1"]


def test_tag_feeds_keep_the_feeds_limit(newsletter: Newsletter) -> None:
    site = built(history(newsletter))
    assert [e.title for e in parsed(site / "tags/russia/atom.xml").entries] == [
        "Issue 4",
        "Issue 3",
    ]


def test_the_tag_page_announces_and_lists_its_own_feeds_first(newsletter: Newsletter) -> None:
    site = built(history(newsletter))
    page = lxml.html.parse(str(site / "tags" / "energy" / "index.html")).getroot()
    announced = [
        (x.get("title"), x.get("href")) for x in page.xpath('//head/link[@rel="alternate"]')
    ]
    assert announced == [
        ("Test Weekly — Energy (RSS)", f"{BASE}tags/energy/feed.xml"),
        ("Test Weekly — Energy (Atom)", f"{BASE}tags/energy/atom.xml"),
        ("Test Weekly — Energy (JSON Feed)", f"{BASE}tags/energy/feed.json"),
        ("Test Weekly (RSS)", f"{BASE}feed.xml"),
        ("Test Weekly (Atom)", f"{BASE}atom.xml"),
        ("Test Weekly (JSON Feed)", f"{BASE}feed.json"),
    ]
    shown = page.xpath('//main//a[contains(@href, "tags/energy/")]/@href')
    assert {f"{BASE}tags/energy/{n}" for n in ("feed.xml", "atom.xml", "feed.json")} <= set(shown)
    front = lxml.html.parse(str(site / "index.html")).getroot()
    assert not front.xpath('//link[contains(@href, "tags/")]')  # the site's pages: its feeds


# --- the whole history ---------------------------------------------------------------------------


def test_every_issue_is_reachable_from_the_main_feeds(newsletter: Newsletter) -> None:
    site = built(history(newsletter))
    every = all_ids(site)
    assert len(every) == 5
    for name in ("feed.xml", "atom.xml"):
        main = parsed(site / name)
        assert len(main.entries) == 2
        ids = [e.id for e in main.entries]
        url, seen, years = link(main, "prev-archive"), list(ids), []
        while url:
            archive = parsed(local(site, url))
            years.append(url)
            assert link(archive, "self") == url
            assert link(archive, "current") == BASE + name
            seen += [e.id for e in archive.entries]
            url = link(archive, "prev-archive")
        assert years == [f"{BASE}feeds/{y}/{name}" for y in (2026, 2025, 2024)]
        assert set(seen) == set(every)
        assert every[:2] == ids  # the main feed's ids are the archives' for the same issues
        root = lxml.etree.parse(site / name).getroot()
        assert not root.findall(f".//{FH}")


def test_archives_hold_their_year_and_are_marked(newsletter: Newsletter) -> None:
    site = built(history(newsletter))
    for name in ("feed.xml", "atom.xml"):
        archive = parsed(site / "feeds" / "2025" / name)
        assert [e.title for e in archive.entries] == ["Issue 3", "Issue 2"]
        assert link(archive, "next-archive") == f"{BASE}feeds/2026/{name}"
        assert link(archive, "prev-archive") == f"{BASE}feeds/2024/{name}"
        assert link(parsed(site / "feeds" / "2024" / name), "prev-archive") is None
        assert link(parsed(site / "feeds" / "2026" / name), "next-archive") is None
        for year, marked in ((2024, 1), (2025, 1), (2026, 0)):  # 2026 is not over
            head = lxml.etree.parse(site / "feeds" / str(year) / name).getroot()
            channel = head.find("channel")
            marks = (channel if channel is not None else head).findall(FH)
            assert len(marks) == marked, year  # in the head (RSS: the channel)
        assert link(parsed(site / "feeds" / "2026" / name), "current") == BASE + name
    atom_schema().assertValid(lxml.etree.parse(site / "feeds" / "2025" / "atom.xml"))


def test_json_feed_chains_every_year_with_next_url(newsletter: Newsletter) -> None:
    site = built(history(newsletter))
    feed = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    seen = [i["id"] for i in feed["items"]]
    pages = []
    while "next_url" in feed:
        pages.append(feed["next_url"])
        feed = json.loads(local(site, feed["next_url"]).read_text(encoding="utf-8"))
        assert feed["feed_url"] == pages[-1]
        seen += [i["id"] for i in feed["items"]]
    assert pages == [f"{BASE}feeds/{y}/feed.json" for y in (2026, 2025, 2024)]
    assert set(seen) == set(all_ids(site))


def test_a_past_year_is_never_rewritten_for_a_later_issue(newsletter: Newsletter) -> None:
    site = built(history(newsletter))
    names = ("feed.xml", "atom.xml", "feed.json")
    past = {n: (site / "feeds/2024" / n).read_bytes() for n in names}
    inodes = {n: (site / "feeds/2024" / n).stat().st_ino for n in names}
    before_2025 = (site / "feeds/2025/atom.xml").read_bytes()
    add(newsletter, 5, "2026-06-01")
    add(newsletter, 6, "2025-12-01")  # a late addition to 2025 changes 2025, not 2024
    site = built(newsletter)
    for name in names:
        assert (site / "feeds/2024" / name).read_bytes() == past[name], name
        assert (site / "feeds/2024" / name).stat().st_ino == inodes[name], name
    assert (site / "feeds/2025/atom.xml").read_bytes() != before_2025
    assert "Issue 5" in (site / "feeds/2026/atom.xml").read_text(encoding="utf-8")


def test_a_past_year_is_its_issues_and_links_alone(newsletter: Newsletter, tmp_path: Path) -> None:
    """A past year's documents depend on its issues and the years beside it: a site with one
    issue of the next year, and one with more of it and a year after, agree byte for byte."""
    site = built(history(newsletter))
    short = Newsletter(tmp_path / "short")
    short.settings(SETTINGS + "\n[feeds]\nlimit = 2\n")
    for n, day in enumerate(DATES[:3]):
        add(short, n, day)
    build(short.root, now=NOW)
    for name in ("feed.xml", "atom.xml", "feed.json"):
        assert (short.root / "site/feeds/2024" / name).read_bytes() == (
            site / "feeds/2024" / name
        ).read_bytes(), name


def test_archives_can_be_left_out(newsletter: Newsletter) -> None:
    site = built(history(newsletter, "[feeds]\nlimit = 2\narchives = false\n"))
    assert not (site / "feeds").exists()
    assert link(parsed(site / "atom.xml"), "prev-archive") is None
    assert "next_url" not in json.loads((site / "feed.json").read_text(encoding="utf-8"))


# --- the archive page in pages -------------------------------------------------------------------


def head_links(page: Path) -> dict[str, str]:
    root = lxml.html.parse(str(page)).getroot()
    return {rel: root.xpath(f'//head/link[@rel="{rel}"]/@href') for rel in ("prev", "next")}


def test_the_archive_page_goes_on_in_pages(newsletter: Newsletter) -> None:
    site = built(history(newsletter, "[archive]\nper_page = 2\n"))
    assert head_links(site / "index.html") == {"prev": [], "next": [f"{BASE}page/2/"]}
    assert head_links(site / "page/2/index.html") == {
        "prev": [BASE],
        "next": [f"{BASE}page/3/"],
    }
    assert head_links(site / "page/3/index.html") == {"prev": [f"{BASE}page/2/"], "next": []}
    assert not (site / "page/4").exists()
    listed = []
    for page in ("index.html", "page/2/index.html", "page/3/index.html"):
        root = lxml.html.parse(str(site / page)).getroot()
        listed += [a.text for a in root.xpath('//ol[@class="issue-list"]//h2/a')]
    assert listed == [f"Issue {n}" for n in range(4, -1, -1)]
    middle = lxml.html.parse(str(site / "page/2/index.html")).getroot()
    assert middle.xpath('//nav//a[@rel="prev"]/@href') == ["../../"]
    assert middle.xpath('//nav//a[@rel="next"]/@href') == ["../../page/3/"]
    assert (site / "page/2" / "../../page/3/index.html").resolve().is_file()
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{BASE}page/2/</loc>" in sitemap and f"<loc>{BASE}page/3/</loc>" in sitemap


def test_one_archive_page_until_it_passes_its_length(newsletter: Newsletter) -> None:
    site = built(history(newsletter, "[archive]\nper_page = 5\n"))
    assert not (site / "page").exists()
    assert head_links(site / "index.html") == {"prev": [], "next": []}
    site = built(history(newsletter, "[archive]\nper_page = 0\n"))
    assert not (site / "page").exists()


def test_pages_and_archives_are_listed_in_the_manifest(newsletter: Newsletter) -> None:
    site = built(history(newsletter, "[archive]\nper_page = 2\n"))
    files = set(json.loads((site / "publisher.json").read_text(encoding="utf-8"))["files"])
    assert {"page/2/index.html", "feeds/2024/feed.json", "tags/energy/atom.xml"} <= files
    history(newsletter, "[archive]\nper_page = 0\n")
    assert CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"]).exit_code == 0
    assert not (site / "page").exists()  # its own files, gone when no longer planned


def test_preview_serves_the_new_files(newsletter: Newsletter) -> None:
    history(newsletter, "[archive]\nper_page = 2\n[feeds]\nlimit = 2\n")
    running = start(newsletter.root, "127.0.0.1", 0)
    try:
        status, page = get(running, "/site/page/2/")
        assert status == 200 and "Issue 2" in page and "Issue 4" not in page
        for path in ("tags/energy/atom.xml", "feeds/2025/feed.xml", "feed.xml"):
            status, body = get(running, f"/site/{path}")
            assert status == 200, path
            assert not feedparser.parse(body).bozo, path
        status, body = get(running, "/site/feeds/2024/feed.json")
        assert status == 200
        assert [i["title"] for i in json.loads(body)["items"]] == ["Issue 1", "Issue 0"]
    finally:
        running.shutdown()
        running.server_close()
