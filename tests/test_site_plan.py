"""The site plan and its executor: the build owns only what it wrote, publishes static/ and the
files an issue links, runs one at a time, resolves links between issues, and stops on check's
errors, all through the command line as a user runs it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner, Result

from conftest import Newsletter, tree
from publisher.build.output import LOCK_FILE
from publisher.build.pipeline import build
from publisher.cli import cli
from publisher.config import CACHE_DIR
from publisher.errors import PublisherError
from publisher.model.issue import Issue
from publisher.site.plan import plan_site


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


@pytest.fixture
def news(newsletter: Newsletter) -> Newsletter:
    newsletter.issue("2025-07-01-bridge.md", title="The bridge", date="2025-07-01")
    newsletter.issue("2025-07-08-grain.md", title="Grain", date="2025-07-08")
    return newsletter


# --- the output folder is publisher's, and only that -------------------------------------------


@pytest.mark.parametrize("out", ["../docs", ".git", ".", "..", "issues", "templates", "static"])
def test_out_folders_that_hold_other_files_are_refused(news: Newsletter, out: str) -> None:
    docs = news.root.parent / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text("mine", encoding="utf-8")
    (news.root / ".git").mkdir()
    (news.root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    for folder in ("templates", "static"):
        (news.root / folder).mkdir()
    before = tree(news.root.parent)
    result = run(news.root, "build", "--out", out)
    assert result.exit_code == 1, result.output
    assert "refusing to build into" in result.output
    assert "fix:" in result.output
    assert tree(news.root.parent) == before
    assert not (news.root.parent / ".docs.spare").exists()


def test_out_into_a_folder_holding_git_is_refused(news: Newsletter, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    (pages / ".git").mkdir(parents=True)
    result = run(news.root, "build", "--out", str(pages))
    assert result.exit_code == 1
    assert "it holds a git repository" in result.output
    assert [p.name for p in pages.iterdir()] == [".git"]


def test_a_file_put_in_site_by_hand_is_never_lost(news: Newsletter) -> None:
    assert run(news.root, "build").exit_code == 0
    site = news.root / "site"
    (site / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    (site / ".well-known").mkdir()
    (site / ".well-known" / "security.txt").write_text("Contact: x\n", encoding="utf-8")
    news.issue("2025-07-08-grain.md", title="Grain, edited", date="2025-07-08")
    for _ in range(2):
        result = run(news.root, "build")
        assert result.exit_code == 1, result.output
        assert "publisher did not write: .well-known/security.txt, CNAME" in result.output
        assert "static/CNAME" in result.output
        assert (site / "CNAME").read_text(encoding="utf-8") == "news.example.org\n"
        assert (site / ".well-known" / "security.txt").is_file()


def test_a_file_put_in_site_while_a_build_runs_is_never_lost(news: Newsletter) -> None:
    """The build stops before its swap, which would take the file away with the old site."""
    assert run(news.root, "build").exit_code == 0
    site = news.root / "site"
    before = tree(site)
    news.issue("2025-07-08-grain.md", title="Grain, edited", date="2025-07-08")

    def meanwhile(issues: Sequence[Issue]) -> Iterator[Issue]:
        (site / "CNAME").write_text("news.example.org\n", encoding="utf-8")  # mid-build
        yield from issues

    with pytest.raises(PublisherError, match="publisher did not write: CNAME"):
        build(news.root, progress=meanwhile)
    assert tree(site) == {**before, "CNAME": hashlib.sha256(b"news.example.org\n").hexdigest()}
    result = run(news.root, "build")  # and as often as it runs again
    assert result.exit_code == 1 and "static/CNAME" in result.output, result.output
    (news.root / "static").mkdir()
    (site / "CNAME").rename(news.root / "static" / "CNAME")
    assert run(news.root, "build").exit_code == 0
    assert (site / "CNAME").read_text(encoding="utf-8") == "news.example.org\n"
    assert "Grain, edited" in (site / "grain" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [".site.old", ".site.spare"])
@pytest.mark.parametrize("built", [True, False])
def test_a_folder_of_yours_under_a_name_publisher_uses_is_never_touched(
    news: Newsletter, name: str, built: bool
) -> None:
    if built:
        assert run(news.root, "build").exit_code == 0
        shutil.rmtree(news.root / ".site.spare", ignore_errors=True)  # none after a first build
    before = tree(news.root / "site") if built else {}
    mine = news.root / name
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    news.issue("2025-07-08-grain.md", title="Grain, edited", date="2025-07-08")
    for _ in range(2):
        result = run(news.root, "build")
        assert result.exit_code == 1, result.output
        assert (
            f"refusing to use {mine}" in result.output and "no build of publisher" in result.output
        )
        assert tree(mine) == {"notes.txt": hashlib.sha256(b"mine").hexdigest()}
        assert (tree(news.root / "site") if built else {}) == before
        assert built or not (news.root / "site").exists()


def test_the_site_keeps_its_permissions(news: Newsletter) -> None:
    assert run(news.root, "build").exit_code == 0
    site = news.root / "site"
    site.chmod(0o750)
    news.issue("2025-07-08-grain.md", title="Grain, edited", date="2025-07-08")
    assert run(news.root, "build").exit_code == 0
    assert "Grain, edited" in (site / "grain" / "index.html").read_text(encoding="utf-8")
    assert stat.S_IMODE(site.stat().st_mode) == 0o750


def test_static_files_are_published_and_kept_across_builds(news: Newsletter) -> None:
    static = news.root / "static"
    (static / ".well-known").mkdir(parents=True)
    (static / "CNAME").write_bytes(b"news.example.org\n")
    (static / ".well-known" / "security.txt").write_bytes(b"Contact: mailto:a@example.org\n")
    (static / "favicon.ico").write_bytes(bytes(range(256)))
    site = news.root / "site"
    for n in range(3):
        news.issue("2025-07-08-grain.md", title=f"Grain {n}", date="2025-07-08")
        result = run(news.root, "build")
        assert result.exit_code == 0, result.output
        assert (site / "CNAME").read_bytes() == b"news.example.org\n"
        assert (site / ".well-known" / "security.txt").read_bytes().startswith(b"Contact:")
        assert (site / "favicon.ico").read_bytes() == bytes(range(256))
        assert f"Grain {n}" in (site / "grain" / "index.html").read_text(encoding="utf-8")
    (static / "CNAME").unlink()
    assert run(news.root, "build").exit_code == 0
    assert not (site / "CNAME").exists()  # publisher wrote it, so publisher may remove it


def test_a_static_file_over_a_generated_one_is_an_error_naming_both(news: Newsletter) -> None:
    (news.root / "static").mkdir()
    (news.root / "static" / "feed.xml").write_text("<rss/>", encoding="utf-8")
    result = run(news.root, "build")
    assert result.exit_code == 1
    assert "error: static/feed.xml: static/feed.xml would be published at feed.xml" in result.output
    assert "already the feed" in result.output
    assert not (news.root / "site").exists()
    check = run(news.root, "check")
    assert "SITE001" in check.output and check.exit_code == 1


# --- one build at a time ------------------------------------------------------------------------


def test_a_second_build_waits_or_fails_at_once(news: Newsletter) -> None:
    import fcntl

    (news.root / CACHE_DIR).mkdir()
    with open(news.root / CACHE_DIR / LOCK_FILE, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run(news.root, "build", "--no-wait")
        assert result.exit_code == 1
        assert "another build of this folder is running" in result.output
        assert not (news.root / "site").exists()
        waiting = subprocess.Popen(
            [sys.executable, "-m", "publisher", "-C", str(news.root), "build"],
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        said = waiting.stderr.readline()  # said before it waits for the lock
        assert "waiting for another build of this folder to finish" in said
        assert waiting.poll() is None and not (news.root / "site").exists()
        fcntl.flock(held, fcntl.LOCK_UN)
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, said + err
    assert (news.root / "site" / "grain" / "index.html").is_file()


def test_two_newsletters_building_into_one_folder_take_turns(
    news: Newsletter, tmp_path: Path
) -> None:
    import fcntl

    other = Newsletter(tmp_path / "other")
    other.issue("2025-07-01-other.md", title="Other", date="2025-07-01")
    shared = tmp_path / "www" / "site"
    assert run(news.root, "build", "--out", str(shared)).exit_code == 0
    before = tree(shared)
    held = os.open(shared.parent, os.O_RDONLY)  # as the first newsletter's build holds it
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run(other.root, "build", "--out", str(shared), "--no-wait")
        assert result.exit_code == 1, result.output
        assert f"another build into {shared.parent}/ is running" in result.output
        assert tree(shared) == before
    finally:
        os.close(held)


def test_two_builds_at_once_leave_a_whole_current_site(newsletter: Newsletter) -> None:
    count = 300
    for n in range(count):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=n)
        newsletter.issue(f"{day}-issue-{n}.md", title=f"Issue {n} round 0", date=str(day))
    command = [sys.executable, "-m", "publisher", "-C", str(newsletter.root), "build"]
    site = newsletter.root / "site"
    for round_ in range(1, 6):
        first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        for process in (first, second):
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0 or "another build" in err, err
        leftovers = [p for p in site.rglob("*") if "publisher-tmp" in p.name]
        assert leftovers == []
        for n in range(0, count, 7):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=n)
            page = (site / f"issue-{n}" / "index.html").read_text(encoding="utf-8")
            assert f"Issue {n} round {round_ - 1}" in page, (round_, n)
        for n in range(0, count, 7):  # edit between rounds
            day = dt.date(2024, 1, 1) + dt.timedelta(days=n)
            newsletter.issue(
                f"{day}-issue-{n}.md", title=f"Issue {n} round {round_}", date=str(day)
            )


# --- links between issues and linked files ------------------------------------------------------


def linking(news: Newsletter) -> Path:
    """A folder issue that links last week's issue by its file and a PDF beside it."""
    path = news.issue(
        "2025-07-15-cables/index.md",
        title="Cables",
        date="2025-07-15",
        body="""\
            As [last week](../2025-07-08-grain.md) showed, and [the costs][bridge] too;
            see the [data sheet](datasheet.pdf).

            [bridge]: ../2025-07-01-bridge.md#costs
            """,
    )
    (path.parent / "datasheet.pdf").write_bytes(b"%PDF-1.4 data sheet")
    (path.parent / "notes.txt").write_text("private notes", encoding="utf-8")
    return path


def test_links_to_issue_files_become_their_pages_everywhere(news: Newsletter) -> None:
    linking(news)
    result = run(news.root, "build")
    assert result.exit_code == 0, result.output
    site = news.root / "site"
    base = "https://news.example.org/"
    email = lxml.html.fromstring((site / "cables" / "email.html").read_bytes())
    hrefs = email.xpath("//a/@href")
    assert f"{base}grain/" in hrefs and f"{base}bridge/#costs" in hrefs
    assert f"{base}cables/datasheet.pdf" in hrefs
    assert not [h for h in hrefs if ".md" in h]
    page = lxml.html.fromstring((site / "cables" / "index.html").read_bytes())
    assert {"../grain/", "../bridge/#costs", "datasheet.pdf"} <= set(
        page.xpath("//article//a/@href")
    )
    text = (site / "cables" / "email.txt").read_text(encoding="utf-8")
    assert f"{base}grain/" in text and f"{base}bridge/#costs" in text
    for feed in ("atom.xml", "feed.xml"):
        entry = next(e for e in feedparser.parse(site / feed).entries if e.title == "Cables")
        content = entry.content[0].value
        assert f'href="{base}grain/"' in content and f'href="{base}bridge/#costs"' in content
    assert (site / "cables" / "datasheet.pdf").read_bytes() == b"%PDF-1.4 data sheet"
    assert not (site / "cables" / "notes.txt").exists()  # not linked: not published


def test_a_link_to_a_draft_stops_the_build_and_leaves_the_site(news: Newsletter) -> None:
    linking(news)
    assert run(news.root, "build").exit_code == 0
    before = tree(news.root / "site")
    news.issue("2025-07-08-grain.md", title="Grain", date="2025-07-08", draft="true")
    result = run(news.root, "build")
    assert result.exit_code == 1
    assert (
        "issues/2025-07-15-cables/index.md:5:16: error LNK006 '../2025-07-08-grain.md' links to "
        "the draft issue 'grain'"
    ) in result.output
    assert "nothing was published" in result.output
    assert tree(news.root / "site") == before
    check = run(news.root, "check")
    assert "LNK006" in check.output and check.exit_code == 1


def test_a_file_outside_the_issue_folder_is_refused(news: Newsletter, tmp_path: Path) -> None:
    path = linking(news)
    secret = tmp_path / "secret.txt"
    secret.write_text("PASSWORD=hunter2", encoding="utf-8")
    (path.parent / "leak.txt").symlink_to(secret)
    text = path.read_text(encoding="utf-8") + "\n[x](leak.txt) and [y](../../newsletter.toml)\n"
    path.write_text(text, encoding="utf-8")
    result = run(news.root, "build")
    assert result.exit_code == 1
    assert "error LNK005 'leak.txt' leads to" in result.output
    assert "error LNK005 '../../newsletter.toml' leads to newsletter.toml" in result.output
    assert not (news.root / "site").exists()


def test_check_names_the_real_slug_for_a_wrong_issue_link(news: Newsletter) -> None:
    news.issue(
        "2025-07-15-cables.md",
        title="Cables",
        date="2025-07-15",
        body="See [last week](../2025-07-08-grain/) and [old](2025-06-01-grain.md).\n",
    )
    output = run(news.root, "check").output
    assert "links to '2025-07-08-grain', which is not an issue; fix: its slug is 'grain'" in output
    assert (
        "which is not an issue file; fix: link to that issue's file, or to its page ../grain/"
        in (output)
    )


def test_build_refuses_what_check_calls_an_error(news: Newsletter) -> None:
    assert run(news.root, "build").exit_code == 0
    before = tree(news.root / "site")
    news.issue("2025-07-08-grain.md", title="Grain", date="2025-07-08", body="[x](../nowhere/)\n")
    result = run(news.root, "build")
    assert result.exit_code == 1
    assert "issues/2025-07-08-grain.md:5:5: error LNK001 '../nowhere/' links to 'nowhere'" in (
        result.output
    )
    assert tree(news.root / "site") == before


def test_a_cached_issue_whose_link_breaks_is_placed_exactly(news: Newsletter) -> None:
    news.issue("2025-07-08-grain.md", title="Grain", date="2025-07-08", body="Grain.\n")
    body = "Intro.\n\nSee [last week](../grain/) again.\n"
    news.issue("2025-07-15-ports.md", title="Ports", date="2025-07-15", body=body)
    assert run(news.root, "build").exit_code == 0
    news.issue(
        "2025-07-08-grain.md", title="Grain", date="2025-07-08", body="Grain.\n", draft="true"
    )
    result = run(news.root, "build")  # ports is not rendered again: its link is checked anew
    assert result.exit_code == 1
    assert "issues/2025-07-15-ports.md:7:17: error LNK006" in result.output


def test_check_follows_out(news: Newsletter, tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert run(news.root, "build", "--out", str(out)).exit_code == 0
    news.issue("2025-07-08-grain.md", title="Grain", date="2025-07-08", slug="renamed")
    assert "ID003" not in run(news.root, "check").output  # site/ was never built
    assert "ID003" in run(news.root, "check", "--out", str(out)).output


# --- slugs that cannot be published -------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "why"),
    [
        ("feed.xml", "is a name the site uses"),
        ("assets", "is a name the site uses"),
        ("tags", "is a name the site uses"),
        ("page", "is a name the site uses"),
        ("feeds", "is a name the site uses"),
        ("index.html", "is a name the site uses"),
        ("publisher.json", "is a name the site uses"),
        ("CNAME", "is a name static/ or the logo uses"),
        ("re:invent", "(a link would read it as a URL scheme)"),
        ("x" * 300, "is 300 characters long; at most 80"),
    ],
)
def test_slugs_the_site_cannot_publish(news: Newsletter, slug: str, why: str) -> None:
    (news.root / "static").mkdir()
    (news.root / "static" / "CNAME").write_text("news.example.org\n", encoding="utf-8")
    news.issue("2025-07-08-grain.md", title="Grain", date="2025-07-08", slug=f'"{slug}"')
    for command in ("check", "build"):
        result = run(news.root, command)
        assert result.exit_code == 1, result.output
        assert "issues/2025-07-08-grain.md:4:" in result.output, result.output
        assert why in result.output
        assert "Traceback" not in result.output
    assert not (news.root / "site").exists()


def test_slugs_equal_after_case_folding_clash(news: Newsletter) -> None:
    composed = unicodedata.normalize("NFC", "Café")
    decomposed = unicodedata.normalize("NFD", "café")
    news.issue("2025-07-10-a.md", title="A", date="2025-07-10", slug=composed)
    news.issue("2025-07-11-b.md", title="B", date="2025-07-11", slug=decomposed)
    result = run(news.root, "build")
    assert result.exit_code == 1
    assert "issues/2025-07-11-b.md:4: slug 'café' is used by" in unicodedata.normalize(
        "NFC", result.output
    )
    assert "ID001" in run(news.root, "check").output


def test_new_cuts_long_slugs_and_explains_bad_ones(news: Newsletter) -> None:
    title = " ".join(["Everything you wanted to know about undersea cables"] * 6)
    result = run(news.root, "new", title)
    assert result.exit_code == 0
    slug = Path(result.output.strip()).stem[len("2025-07-01-") :]
    assert len(slug) <= 80 and not slug.endswith("-")
    assert title.lower().replace(" ", "-").startswith(slug)
    result = run(news.root, "new", "Anything", "--slug", "../x")
    assert result.exit_code == 1
    assert "the slug '../x' cannot be a web address: it contains '/'" in result.output


# --- the plan is pure ---------------------------------------------------------------------------


FEEDS = ("feed.xml", "atom.xml", "feed.json")


def test_the_plan_lists_every_path_without_touching_the_disk(news: Newsletter) -> None:
    from publisher.config import load_config
    from publisher.model.issue import load_issues

    config = load_config(news.root)
    issues = load_issues(news.root, config)
    before = sorted(os.listdir(news.root))
    plan = plan_site(news.root, config, issues, ["energy"])
    assert sorted(os.listdir(news.root)) == before
    assert set(plan.outputs) == {
        "index.html",
        "assets/style.css",
        "tags/energy/index.html",
        *(f"{folder}{n}" for folder in ("", "tags/energy/", "feeds/2025/") for n in FEEDS),
        "sitemap.xml",
        "publisher.json",
        *(f"{s}/{n}" for s in ("grain", "bridge") for n in ("index.html", "email.html")),
        *(f"{s}/{n}" for s in ("grain", "bridge") for n in ("email.txt", "email.eml")),
    }
    assert plan.problems == []


def test_a_link_to_a_draft_by_its_slug_is_refused_too(news: Newsletter) -> None:
    news.issue("2025-07-09-wip.md", title="WIP", date="2025-07-09", draft="true")
    news.issue("2025-07-10-x.md", title="X", date="2025-07-10", body="[soon](../wip/)\n")
    result = run(news.root, "build")
    assert result.exit_code == 1
    assert "error LNK006 '../wip/' links to the draft issue 'wip'" in result.output


def test_a_linked_issue_renamed_by_its_front_matter_renders_the_link_again(
    news: Newsletter,
) -> None:
    news.issue("2025-07-01-bridge/index.md", title="The bridge", date="2025-07-01")
    (news.root / "issues" / "2025-07-01-bridge.md").unlink()
    news.issue("2025-07-15-x.md", title="X", date="2025-07-15", body="[b](2025-07-01-bridge/)\n")
    assert run(news.root, "build").exit_code == 0
    assert "../bridge/" in (news.root / "site" / "x" / "index.html").read_text(encoding="utf-8")
    news.issue("2025-07-01-bridge/index.md", title="The bridge", date="2025-07-01", slug="span")
    assert run(news.root, "build").exit_code == 0
    page = (news.root / "site" / "x" / "index.html").read_text(encoding="utf-8")
    assert "../span/" in page and "../bridge/" not in page
