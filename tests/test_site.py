"""`publisher build`: the web archive and feeds, read back with real parsers."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
import rnc2rng
from PIL import Image

from conftest import SAMPLE_SLUG, Newsletter
from publisher.build.pipeline import build

SCHEMAS = Path(__file__).parent / "schemas"
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def atom_schema() -> lxml.etree.RelaxNG:
    """Return RFC 4287's RELAX NG grammar (the compact syntax converted by rnc2rng)."""
    rng = rnc2rng.dumps(rnc2rng.loads((SCHEMAS / "atom.rnc").read_text(encoding="utf-8")))
    # rnc2rng declares the empty namespace as a prefix, which XML does not allow.
    rng = rng.replace('xmlns:local=""', "")
    return lxml.etree.RelaxNG(lxml.etree.fromstring(rng.encode("utf-8")))


def read_feed(path: Path, **kwargs: object) -> feedparser.FeedParserDict:
    """Parse an RSS or Atom file with feedparser."""
    return feedparser.parse(path.read_bytes(), **kwargs)


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def archive(newsletter: Newsletter, count: int = 3) -> Newsletter:
    """Write ``count`` issues a week apart, tagged, with links, images and a footnote."""
    for n in range(count):
        day = dt.date(2025, 1, 6) + dt.timedelta(weeks=n)
        newsletter.issue(
            f"{day}-week-{n}.md",
            title=f'"Week {n}: ports & <power>"',
            date=str(day),
            tags="[Energy, shipping]" if n % 2 else "[energy]",
            summary=f"Summary of week {n}.",
            body=f"""\
                Opening of week {n} with [a relative link](../week-0/) and [an anchor](#notes).

                ![A crane](crane.png "Cranes at dawn | Photo: A. Writer")

                ## Section

                Text with a note.[^1] Last words of week {n}.

                [^1]: The note.
                """,
        )
    Image.new("RGB", (640, 400), "teal").save(newsletter.root / "issues" / "crane.png")
    return newsletter


def built(newsletter: Newsletter) -> Path:
    build(newsletter.root, now=NOW)
    return newsletter.root / "site"


# --- layout ----------------------------------------------------------------------------------


def test_layout(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    expected = {
        "index.html",
        "feed.xml",
        "atom.xml",
        "feed.json",
        "sitemap.xml",
        "assets/style.css",
        "tags/energy/index.html",
        "tags/shipping/index.html",
    }
    for n in range(3):
        expected |= {f"week-{n}/index.html", f"week-{n}/email.html", f"week-{n}/email.txt"}
    files = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    assert expected <= files, expected - files


def test_drafts_and_scheduled_are_not_in_site_or_feeds(newsletter: Newsletter) -> None:
    archive(newsletter, 1)
    newsletter.issue("2025-02-01-draft.md", title="Secret draft", date="2025-02-01", draft="true")
    newsletter.issue("2027-01-01-later.md", title="Scheduled later", date="2027-01-01")
    site = built(newsletter)
    everything = b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())
    assert b"Secret draft" not in everything
    assert b"Scheduled later" not in everything
    assert not (site / "draft").exists() and not (site / "later").exists()


# --- feeds -------------------------------------------------------------------------------------


def test_feeds_parse_with_full_content_and_front_matter_dates(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    for name in ("feed.xml", "atom.xml"):  # feedparser 6 does not read JSON Feed: see below
        parsed = read_feed(site / name)
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        entries = parsed.entries
        assert [e.title for e in entries] == [
            "Week 2: ports & <power>",
            "Week 1: ports & <power>",
            "Week 0: ports & <power>",
        ]
        newest = entries[0]
        assert newest.link == "https://news.example.org/week-2/"
        assert newest.id == "tag:news.example.org,2025-01-20:/week-2/"
        assert newest.published_parsed[:3] == (2025, 1, 20)
        content = newest.content[0].value if "content" in newest else newest.summary
        assert "Last words of week 2." in content
        assert "The note." in content
        assert {t.term for t in newest.tags} == {"energy"}
        assert newest.author == "Ada Writer" or "Ada Writer" in newest.get("author", "")
        assert parsed.feed.title == "Test Weekly"


def test_atom_is_valid_against_rfc_4287(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    schema = atom_schema()
    document = lxml.etree.parse(str(site / "atom.xml"))
    assert schema.validate(document), schema.error_log
    root = document.getroot()
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == "https://news.example.org/atom.xml"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    for entry in root.iter(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}content").get("type") == "html"
        assert entry.find(f"{ATOM}link").get("href").startswith("https://news.example.org/")


def test_rss_channel_and_items(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    rss = lxml.etree.parse(str(site / "feed.xml")).getroot()
    channel = rss.find("channel")
    assert channel.findtext("link") == "https://news.example.org/"
    self_link = channel.find("{http://www.w3.org/2005/Atom}link")
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == "https://news.example.org/feed.xml"
    assert channel.findtext("language") == "en"
    assert channel.findtext("lastBuildDate") == "Mon, 20 Jan 2025 00:00:00 +0000"
    item = channel.find("item")
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.findtext("author") == "ada@example.org (Ada Writer)"
    assert item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")


def test_json_feed_has_its_required_fields(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    feed = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Test Weekly"
    assert feed["feed_url"] == "https://news.example.org/feed.json"
    assert feed["home_page_url"] == "https://news.example.org/"
    assert feed["language"] == "en"
    for item in feed["items"]:
        assert item["id"] and item["url"].startswith("https://")
        assert item["content_html"]
        assert dt.datetime.fromisoformat(item["date_published"]).tzinfo is not None
    # The feed names the image at 1200 px at most (this one is 640 px wide), by its content.
    assert re.fullmatch(
        r"https://news\.example\.org/week-2/crane-640w\.[0-9a-f]{10}\.png",
        feed["items"][0]["image"],
    )


def test_every_url_in_feeds_and_emails_is_absolute(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    fragments: list[str] = []
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse(
            (site / name).read_bytes(), sanitize_html=False, resolve_relative_uris=False
        )
        fragments += [e.content[0].value for e in parsed.entries]
    feed = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    fragments += [i["content_html"] for i in feed["items"]]
    fragments += [p.read_text(encoding="utf-8") for p in site.glob("*/email.html")]
    urls = []
    for fragment in fragments:
        tree = lxml.html.fromstring(f"<div>{fragment}</div>")
        urls += tree.xpath("//@href | //@src")
        urls += [part.split()[0] for s in tree.xpath("//@srcset") for part in s.split(",")]
    assert len(urls) > 20
    for url in urls:
        assert url.startswith(("https://", "*|")), url


def test_feed_limit_and_newest_first(newsletter: Newsletter) -> None:
    archive(newsletter, 5)
    (newsletter.root / "newsletter.toml").write_text(
        (newsletter.root / "newsletter.toml").read_text() + "\n[feeds]\nlimit = 2\n"
    )
    site = built(newsletter)
    for name in ("feed.xml", "atom.xml"):
        parsed = read_feed(site / name)
        assert [e.link.rsplit("/", 2)[1] for e in parsed.entries] == ["week-4", "week-3"]
    items = json.loads((site / "feed.json").read_text(encoding="utf-8"))["items"]
    assert [i["url"].rsplit("/", 2)[1] for i in items] == ["week-4", "week-3"]


def test_control_characters_never_break_the_feeds(newsletter: Newsletter) -> None:
    newsletter.issue(
        front='title: "Bell\\a and nul\\0 title"\ndate: 2025-01-01\n', body="Body\x0b text\x1f.\n"
    )
    site = built(newsletter)
    for name in ("feed.xml", "atom.xml"):
        lxml.etree.parse(str(site / name))  # raises on a forbidden character
    assert read_feed(site / "atom.xml").entries[0].title == "Bell and nul title"


def test_a_description_of_control_characters_falls_back_to_the_name(
    newsletter: Newsletter,
) -> None:
    """A description with nothing a feed can carry (found by Hypothesis: feedgen refused the
    empty description) reads as if there were none."""
    from conftest import SETTINGS

    described = 'description = "\\u001f"\nlanguage = "en"'
    newsletter.settings(SETTINGS.replace('language = "en"', described))
    newsletter.issue()
    site = built(newsletter)
    assert read_feed(site / "feed.xml").feed.description == "Test Weekly"


def test_build_time_never_shows(newsletter: Newsletter) -> None:
    archive(newsletter, 2)
    build(newsletter.root, now=NOW, out=newsletter.root / "a")
    build(newsletter.root, now=NOW + dt.timedelta(days=300), out=newsletter.root / "b")
    assert tree_digest(newsletter.root / "a") == tree_digest(newsletter.root / "b")


# --- permanent ids ------------------------------------------------------------------------------


def test_title_edit_keeps_ids_and_dates(newsletter: Newsletter) -> None:
    archive(newsletter, 2)
    before = read_feed(built(newsletter) / "atom.xml").entries
    newsletter.issue("2025-01-13-week-1.md", title="A new title", date="2025-01-13")
    after = read_feed(built(newsletter) / "atom.xml").entries
    assert [e.id for e in after] == [e.id for e in before]
    assert [e.published for e in after] == [e.published for e in before]
    assert after[0].title == "A new title"


def test_renamed_slug_warns_and_says_how_to_pin(
    newsletter: Newsletter, caplog: pytest.LogCaptureFixture
) -> None:
    archive(newsletter, 1)
    built(newsletter)
    old = newsletter.root / "issues" / "2025-01-06-week-0.md"
    text = old.read_text(encoding="utf-8").replace("../week-0/", "../renamed/")  # its own link
    old.unlink()
    old.with_name("2025-01-06-renamed.md").write_text(text, encoding="utf-8")
    caplog.set_level(logging.WARNING)
    built(newsletter)
    assert (
        "the published issue 'week-0' (id tag:news.example.org,2025-01-06:/week-0/)" in caplog.text
    )
    assert "add `id: tag:news.example.org,2025-01-06:/week-0/` to its front matter" in caplog.text


def test_renamed_slug_with_pinned_id_is_quiet(
    newsletter: Newsletter, caplog: pytest.LogCaptureFixture
) -> None:
    archive(newsletter, 1)
    built(newsletter)
    old = newsletter.root / "issues" / "2025-01-06-week-0.md"
    text = old.read_text(encoding="utf-8").replace("../week-0/", "../renamed/")
    old.unlink()
    old.with_name("2025-01-06-renamed.md").write_text(
        text.replace("---\n", "---\nid: tag:news.example.org,2025-01-06:/week-0/\n", 1),
        encoding="utf-8",
    )
    caplog.set_level(logging.WARNING)
    site = built(newsletter)
    assert "feed readers" not in caplog.text
    assert (site / "renamed" / "index.html").is_file()


# --- web pages -----------------------------------------------------------------------------------


def test_issue_page_has_meta_links_and_navigation(newsletter: Newsletter) -> None:
    archive(newsletter)
    newsletter.settings(
        (newsletter.root / "newsletter.toml").read_text()
        + '\n[subscribe]\naction = "https://mail.example/subscribe"\n'
    )
    page = lxml.html.parse(str(built(newsletter) / "week-1" / "index.html")).getroot()
    head = {
        (m.get("property") or m.get("name")): m.get("content") for m in page.xpath("//head/meta")
    }
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://news.example.org/week-1/"]
    assert head["og:title"] == "Week 1: ports & <power>"
    # A 640×400 image gives a card of the card's shape, as large as it allows: 640×336.
    assert re.fullmatch(
        r"https://news\.example\.org/week-1/crane-card\.[0-9a-f]{10}\.jpg", head["og:image"]
    )
    assert (head["og:image:width"], head["og:image:height"]) == ("640", "336")
    assert head["og:image:alt"] == head["twitter:image:alt"] == "A crane"
    assert head["twitter:card"] == "summary_large_image"
    assert head["description"] == "Summary of week 1."
    assert set(page.xpath("//link[@rel='alternate']/@type")) == {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
    }
    assert page.xpath("//a[@rel='prev']/@href") == ["../week-0/"]
    assert page.xpath("//a[@rel='next']/@href") == ["../week-2/"]
    assert page.xpath("//form/@action") == ["https://mail.example/subscribe"]
    # Relative: a copy of site/ works anywhere.
    assert [re.sub(r"\.[0-9a-f]{10}\.", ".", s) for s in page.xpath("//img/@src")] == [
        "crane-640w.png"
    ]
    assert page.xpath("//figcaption")[0].text_content() == "Cranes at dawn Photo: A. Writer"


def test_pages_are_accessible(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    for path in ("index.html", "week-1/index.html", "tags/energy/index.html"):
        page = lxml.html.parse(str(site / path)).getroot()
        assert page.get("lang") == "en"
        for landmark in ("header", "nav", "main", "footer"):
            assert page.xpath(f"//{landmark}"), (path, landmark)
        levels = [int(h.tag[1]) for h in page.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1 and levels.count(1) == 1, (path, levels)
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), (path, levels)
        assert all(img.get("alt") is not None for img in page.iter("img"))


def test_tag_pages_list_their_issues(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    page = lxml.html.parse(str(site / "tags" / "shipping" / "index.html")).getroot()
    assert page.xpath("//h1")[0].text == "shipping"
    assert page.xpath("//ol[@class='issue-list']//a/@href") == ["../../week-1/"]
    energy = lxml.html.parse(str(site / "tags" / "energy" / "index.html")).getroot()
    assert len(energy.xpath("//ol[@class='issue-list']/li")) == 3  # "Energy" and "energy" merge


def test_sitemap_lists_every_page(newsletter: Newsletter) -> None:
    site = built(archive(newsletter))
    tree = lxml.etree.parse(str(site / "sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = tree.xpath("//s:loc/text()", namespaces=ns)
    assert locs[0] == "https://news.example.org/"
    assert "https://news.example.org/week-2/" in locs
    assert tree.xpath("//s:url[2]/s:lastmod/text()", namespaces=ns) == ["2025-01-20"]


def test_sample_site_is_complete(sample: Path) -> None:
    build(sample, now=NOW + dt.timedelta(days=365))
    site = sample / "site"
    assert (site / SAMPLE_SLUG / "index.html").is_file()
    assert len(list((site / SAMPLE_SLUG).glob("lead-*w.*.jpg"))) == 2  # 600 and 1200 px
    index = lxml.html.parse(str(site / "index.html")).getroot()
    assert index.xpath("//h2/a/@href") == [f"{SAMPLE_SLUG}/"]


# --- atomic output ---------------------------------------------------------------------------


def test_a_killed_build_leaves_the_old_site_whole(newsletter: Newsletter) -> None:
    archive(newsletter, 2)
    site = built(newsletter)
    old = tree_digest(site)
    for n in range(150):  # enough work that kills land in every phase of a build
        day = f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        newsletter.issue(f"{day}-more-{n}.md", title=f"More {n}", date=day, body="Words. " * 400)
    build(newsletter.root, now=NOW, out=newsletter.root / "reference")
    new = tree_digest(newsletter.root / "reference")
    command = [sys.executable, "-m", "publisher", "-C", str(newsletter.root), "build"]
    started = time.perf_counter()
    subprocess.run([*command, "--out", str(newsletter.root / "timing")], check=True)
    whole = time.perf_counter() - started
    killed = 0
    moments = sorted(random.Random(7).uniform(0.05, 1.0) for _ in range(20))
    for fraction in moments:  # 20 moments across the build, start-up and swap included
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * fraction)
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        after = tree_digest(site)
        assert after in (old, new), f"a mixed tree after a kill at {fraction:.0%} of a build"
    assert killed >= 12, "the builds finished before they could be killed"
    # The next build cleans up what the kills left, and no lock of theirs holds it back.
    build(newsletter.root, now=NOW, wait=False)
    assert tree_digest(site) == new
    spare = newsletter.root / ".site.spare"
    assert not [p for p in (*site.rglob("*"), *spare.rglob("*")) if "publisher-tmp" in p.name]
    leftovers = {p.name for p in newsletter.root.iterdir() if p.name.startswith(".site")}
    assert leftovers <= {".site.spare"}  # the tree the next build writes into


def test_a_killed_builds_rendering_processes_end_with_it(newsletter: Newsletter) -> None:
    """They would otherwise wait for work forever (and hold the folder's build lock)."""
    archive(newsletter, 12)
    command = [sys.executable, "-m", "publisher", "-v", "-C", str(newsletter.root)]
    proc = subprocess.Popen(
        [*command, "build", "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # said once the rendering processes are started
        if b"rendering 12 issues on 2 processes" in line:
            break
    else:
        pytest.fail("the build never said it started its rendering processes")
    proc.send_signal(signal.SIGKILL)
    # Its output pipes close once every process that shares them has ended: the rendering
    # processes too.
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    build(newsletter.root, now=NOW, wait=False)  # and no lock of theirs holds the next back


def test_ctrl_c_ends_a_parallel_build_at_once(newsletter: Newsletter) -> None:
    """Ctrl-C reaches every process of the terminal's group: the build stops, its rendering
    processes with it, and the old site stays (a worker stopped mid-task by it could leave
    the pool's queues locked: 5 builds in 64 once hung)."""
    import fcntl

    archive(newsletter, 2)
    site = built(newsletter)
    old = tree_digest(site)
    count = 1000  # seconds of rendering: the interrupt lands in it, even on a busy machine
    for n in range(count):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=n)
        newsletter.issue(f"{day}-more-{n}.md", title=f"More {n}", date=str(day), body="W. " * 300)
    command = [sys.executable, "-m", "publisher", "-v", "-C", str(newsletter.root), "build"]
    for _ in range(4):
        proc = subprocess.Popen(
            [*command, "-j", "2"],
            stderr=subprocess.PIPE,
            start_new_session=True,
            # As from a terminal: a shell's background job (a CI runner's, say) ignores it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert proc.stderr is not None
        for line in proc.stderr:  # said once the rendering processes are started
            if f"rendering {count} issues on 2 processes".encode() in line:
                break
        else:
            pytest.fail("the build never said it started its rendering processes")
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        _, err = proc.communicate(timeout=60)  # a hung build fails here
        assert proc.returncode == 1, err.decode()
        assert b"Traceback" not in err and b"Aborted" in err, err.decode()
        assert tree_digest(site) == old
    with open(newsletter.root / ".publisher-cache" / "build.lock", "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # no process of theirs holds it


def test_a_cache_that_cannot_be_saved_leaves_a_complete_site_and_a_warning(
    newsletter: Newsletter,
) -> None:
    """As on a disk that fills up once the site is swapped in: the cache's database cannot
    grow (a file size limit stands in for the full disk)."""
    # The search index's files would outgrow the limit before the cache does.
    settings = newsletter.root / "newsletter.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text + "\n[search]\nenabled = false\n", encoding="utf-8")
    archive(newsletter, 3)
    site = built(newsletter)
    cache = newsletter.root / ".publisher-cache" / "cache.sqlite"
    limit = cache.stat().st_size
    for n in range(6):  # each adds a rendering the database has no room for
        newsletter.issue(
            f"2025-03-{n + 1:02d}-new-{n}.md", title=f"New {n}", date=f"2025-03-0{n + 1}"
        )

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "publisher", "-C", str(newsletter.root), "build"]
    done = subprocess.run(command, capture_output=True, text=True, preexec_fn=full_disk)
    assert done.returncode == 0, done.stderr
    assert "the site is complete, but the build cache could not be saved" in done.stderr
    assert "Traceback" not in done.stderr
    assert (site / "new-5" / "index.html").is_file()
    build(newsletter.root, now=NOW)  # and the next build, with room, catches up
    assert tree_digest(site) == tree_digest(build_fresh(newsletter))


def build_fresh(newsletter: Newsletter) -> Path:
    out = newsletter.root.parent / "fresh"
    build(newsletter.root, now=NOW, out=out, cache=False)
    return out


def test_feed_entries_never_share_an_updated_instant(newsletter: Newsletter) -> None:
    """The W3C validator warns about two entries with the same atom:updated."""
    for slug in ("a", "b", "c"):
        newsletter.issue(f"2025-02-02-{slug}.md", title=slug.upper(), date="2025-02-02")
    site = built(newsletter)
    root = lxml.etree.parse(str(site / "atom.xml")).getroot()
    updated = [e.findtext(f"{ATOM}updated") for e in root.iter(f"{ATOM}entry")]
    assert updated == [
        "2025-02-02T00:00:00+00:00",
        "2025-02-01T23:59:59+00:00",
        "2025-02-01T23:59:58+00:00",
    ]
    published = [e.findtext(f"{ATOM}published") for e in root.iter(f"{ATOM}entry")]
    assert set(published) == {"2025-02-02T00:00:00+00:00"}  # publication dates stay as written


def test_rss_items_name_their_author_once(newsletter: Newsletter) -> None:
    """RSS <author> must be an email; a guest author goes in dc:creator, never both."""
    newsletter.issue("2025-01-01-own.md", title="Own", date="2025-01-01")
    newsletter.issue("2025-01-02-guest.md", title="Guest", date="2025-01-02", author="Guest Writer")
    rss = lxml.etree.parse(str(built(newsletter) / "feed.xml")).getroot()
    dc = "{http://purl.org/dc/elements/1.1/}creator"
    guest, own = rss.iter("item")
    assert (guest.findtext("author"), guest.findtext(dc)) == (None, "Guest Writer")
    assert (own.findtext("author"), own.findtext(dc)) == ("ada@example.org (Ada Writer)", None)


def test_default_colours_meet_wcag_aa() -> None:
    from publisher.check import contrast
    from publisher.config import Colors

    c = Colors()
    pairs = {
        "text": (c.text, c.background),
        "link": (c.link, c.background),
        "muted": (c.muted, c.background),
        "dark text": (c.dark_text, c.dark_background),
        "dark link": (c.dark_link, c.dark_background),
        "dark muted (theme)": ("#a8b0b8", c.dark_background),
    }
    for name, (fg, bg) in pairs.items():
        assert contrast(fg, bg) >= 4.5, (name, round(contrast(fg, bg), 2))
    assert round(contrast("#000", "#fff"), 1) == 21.0


def test_progress_bar_on_a_terminal(newsletter: Newsletter) -> None:
    import pty

    for n in range(60):
        newsletter.issue(f"2025-01-{n % 28 + 1:02d}-p{n}.md", title=f"P{n}", date="2025-01-01")
    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "publisher", "-C", str(newsletter.root), "build"],
        stderr=follower,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"Rendering" in output
    assert b"built 60 issues into " in output
    assert b"(0 scheduled skipped)" in output
