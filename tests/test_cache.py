"""The build cache never serves stale output; parallel builds equal serial ones byte for byte."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import publisher.build.cache
import publisher.build.keys
from conftest import Newsletter
from publisher.build.pipeline import build
from publisher.errors import PublisherError
from publisher.render.theme import default_theme_dir


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def fresh(newsletter: Newsletter, tmp_path: Path) -> dict[str, str]:
    """Build the same folder with no cache at all, elsewhere, and return its tree."""
    out = tmp_path / "fresh"
    shutil.rmtree(out, ignore_errors=True)
    build(newsletter.root, out=out, cache=False, jobs=1)
    return digest(out)


@pytest.fixture
def archive(newsletter: Newsletter) -> Newsletter:
    for n in range(12):
        folder = f"2025-02-{n + 1:02d}-issue-{n}"
        path = newsletter.issue(
            f"{folder}/index.md",
            title=f"Issue {n}",
            date=f"2025-02-{n + 1:02d}",
            tags="[energy]" if n % 2 else "[trade]",
            body=f"Paragraph {n}, [a link](https://example.org/{n}).\n\n![A chart](chart.png)\n",
        )
        Image.new("RGB", (300 + n, 200), "teal").save(path.parent / "chart.png")
    return newsletter


def rebuild_matches_fresh(newsletter: Newsletter, tmp_path: Path) -> dict[str, str]:
    build(newsletter.root)
    site = digest(newsletter.root / "site")
    assert site == fresh(newsletter, tmp_path)
    return site


def test_unchanged_rebuild_reuses_everything(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root)
    site = archive.root / "site"
    inode = (site / "issue-3" / "email.html").stat().st_ino
    build(archive.root)
    assert (site / "issue-3" / "email.html").stat().st_ino == inode  # nothing was rewritten
    assert digest(site) == fresh(archive, tmp_path)


def test_cache_follows_an_issue_edit(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root)
    path = archive.root / "issues" / "2025-02-04-issue-3" / "index.md"
    path.write_text(path.read_text().replace("Paragraph 3", "Edited paragraph"), encoding="utf-8")
    site = rebuild_matches_fresh(archive, tmp_path)
    assert "Edited paragraph" in (archive.root / "site" / "issue-3" / "email.html").read_text()
    assert site


def test_cache_follows_an_image_change(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root)
    chart = archive.root / "issues" / "2025-02-04-issue-3" / "chart.png"
    Image.new("RGB", (480, 100), "teal").save(chart)
    rebuild_matches_fresh(archive, tmp_path)
    html = (archive.root / "site" / "issue-3" / "email.html").read_text()
    assert 'width="480"' in html


@pytest.mark.parametrize("setting", ["logo", "logo_dark"])
def test_cache_follows_a_logo_change(archive: Newsletter, tmp_path: Path, setting: str) -> None:
    toml = archive.root / "newsletter.toml"
    toml.write_text(f'logo = "logo.png"\nlogo_dark = "dark.png"\n{toml.read_text()}')
    for name in ("logo.png", "dark.png"):
        Image.new("RGB", (320, 80), "teal").save(archive.root / name)
    build(archive.root)
    file = "logo.png" if setting == "logo" else "dark.png"
    Image.new("RGB", (320, 80), "orange").save(archive.root / file)
    site = rebuild_matches_fresh(archive, tmp_path)  # the email names the new file
    assert sum(name.startswith(Path(file).stem) for name in site) == 1, sorted(site)


def test_cache_follows_a_template_change(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root)
    templates = archive.root / "templates"
    templates.mkdir()
    text = (default_theme_dir() / "email.txt.j2").read_text(encoding="utf-8")
    (templates / "email.txt.j2").write_text(text.replace('_("view_online")', '"On the web"'))
    rebuild_matches_fresh(archive, tmp_path)
    assert "On the web:" in (archive.root / "site" / "issue-0" / "email.txt").read_text()


def test_cache_follows_a_settings_change(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root)
    toml = archive.root / "newsletter.toml"
    toml.write_text(toml.read_text().replace("Test Weekly", "Renamed Weekly"), encoding="utf-8")
    rebuild_matches_fresh(archive, tmp_path)
    assert "Renamed Weekly" in (archive.root / "site" / "index.html").read_text()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the issues ``publisher render`` renders (rather than serve from the cache)."""
    import publisher.render.issue

    seen: list[str] = []
    real = publisher.render.issue.render_issue

    def counting(issue, config, theme, doc=None, index=None, shelf=None):  # type: ignore[no-untyped-def]
        seen.append(issue.slug)
        return real(issue, config, theme, doc, index, shelf)

    monkeypatch.setattr(publisher.render.issue, "render_issue", counting)
    return seen


def test_only_what_changed_is_rendered(archive: Newsletter) -> None:
    assert build(archive.root).rendered == 12
    assert build(archive.root).rendered == 0
    path = archive.root / "issues" / "2025-02-04-issue-3" / "index.md"
    path.write_text(path.read_text() + "\nMore.\n", encoding="utf-8")
    assert build(archive.root).rendered == 1
    assert "More." in (archive.root / "site" / "issue-3" / "email.txt").read_text()


def test_a_deleted_site_comes_back_from_the_cache_whole(
    archive: Newsletter, tmp_path: Path
) -> None:
    """The cache keeps no message: email.eml is made again from the kept HTML and text."""
    build(archive.root, jobs=1)
    site = archive.root / "site"
    before = digest(site)
    assert any(name.endswith("email.eml") for name in before)
    shutil.rmtree(site)
    shutil.rmtree(archive.root / ".site.spare", ignore_errors=True)
    assert build(archive.root, jobs=1).rendered == 0
    assert digest(site) == before == fresh(archive, tmp_path)


def test_cache_follows_the_version(
    archive: Newsletter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(archive.root, jobs=1)
    monkeypatch.setattr(publisher.build.keys, "__version__", "99.0")
    assert build(archive.root, jobs=1).rendered == 12
    assert digest(archive.root / "site") == fresh(archive, tmp_path)


def test_cache_follows_added_removed_and_renamed_issues(
    archive: Newsletter, tmp_path: Path
) -> None:
    build(archive.root)
    shutil.rmtree(archive.root / "issues" / "2025-02-05-issue-4")
    archive.issue("2025-03-01-new.md", title="Brand new", date="2025-03-01", tags="[trade]")
    (archive.root / "issues" / "2025-02-06-issue-5").rename(
        archive.root / "issues" / "2025-02-06-moved"
    )
    rebuild_matches_fresh(archive, tmp_path)
    site = archive.root / "site"
    assert not (site / "issue-4").exists() and not (site / "issue-5").exists()
    assert len(list((site / "moved").glob("chart-*w.*.png"))) == 1


def test_builds_without_the_cache_leave_no_file_the_next_calls_foreign(
    archive: Newsletter, tmp_path: Path
) -> None:
    """Once the cache is new (deleted, another format, ``--no-cache``), what the old site held
    is known from its manifest: the old versions of changed files go, and nothing is taken for
    a file of someone else's."""
    chart = archive.root / "issues" / "2025-02-04-issue-3" / "chart.png"
    build(archive.root)
    for width, cache in ((360, False), (420, False), (480, True), (520, True)):
        Image.new("RGB", (width, 100), "teal").save(chart)  # new variants, by new names
        build(archive.root, cache=cache)
    assert digest(archive.root / "site") == fresh(archive, tmp_path)
    spare = archive.root / ".site.spare"
    assert sorted(p.name for p in (spare / "issue-3").iterdir()) == sorted(
        p.name for p in (archive.root / "site" / "issue-3").iterdir()
    )


def test_a_hand_edited_site_file_is_not_reused(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root)
    page = archive.root / "site" / "issue-2" / "email.html"
    page.write_text("tampered", encoding="utf-8")
    build(archive.root)
    assert page.read_text() != "tampered"
    assert digest(archive.root / "site") == fresh(archive, tmp_path)


def test_scheduled_issue_appears_when_its_day_comes(newsletter: Newsletter) -> None:
    import datetime as dt

    newsletter.issue("2030-01-01-later.md", title="Later", date="2030-01-01")
    build(newsletter.root, now=dt.datetime(2029, 12, 31, tzinfo=dt.UTC))
    assert not (newsletter.root / "site" / "later").exists()
    build(newsletter.root, now=dt.datetime(2030, 1, 2, tzinfo=dt.UTC))
    assert (newsletter.root / "site" / "later" / "email.html").is_file()


def test_parallel_build_equals_serial(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root, out=tmp_path / "serial", jobs=1, cache=False)
    build(archive.root, out=tmp_path / "parallel", jobs=2, cache=False)
    serial, parallel = digest(tmp_path / "serial"), digest(tmp_path / "parallel")
    assert len(serial) > 40
    assert serial == parallel


def test_issue_pages_rendered_in_parallel_are_the_serial_ones(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    """A build on several processes writes the same bytes as one on a single process; a
    mistake in the page template is reported the same."""
    from publisher.build.workers import PARALLEL_FROM

    for n in range(PARALLEL_FROM + 8):
        newsletter.issue(
            f"2025-03-{n % 28 + 1:02d}-issue-{n}.md",
            title=f"Issue {n}",
            date=f"2025-03-{n % 28 + 1:02d}",
            tags="[energy]" if n % 3 else "[trade, energy]",
            body=f"Paragraph {n} with [a link](https://example.org/{n}).\n",
        )
    build(newsletter.root, out=tmp_path / "serial", jobs=1, cache=False)
    build(newsletter.root, out=tmp_path / "parallel", jobs=2)
    assert digest(tmp_path / "serial") == digest(tmp_path / "parallel")
    theme = newsletter.root / "templates"
    theme.mkdir(exist_ok=True)
    page = (default_theme_dir() / "issue.html.j2").read_text(encoding="utf-8")
    (theme / "issue.html.j2").write_text(page.replace("{{ issue.title }}", "{{ issue.nope }}"))
    errors = []
    for jobs in (1, 2):
        with pytest.raises(PublisherError) as failed:
            build(newsletter.root, out=tmp_path / f"broken-{jobs}", jobs=jobs, cache=False)
        errors.append([(p.message, p.file, p.line) for p in failed.value.problems])
    assert errors[0] == errors[1]
    assert "issue.html.j2" in str(errors[0][0][1])


def test_parallel_errors_are_the_serial_ones_in_order(archive: Newsletter) -> None:
    """Issues render as the archive loads, finishing in any order: what stops the build is
    reported all the same, in the same order, and no site is written."""
    from publisher.build.pipeline import CheckFailed

    for n in (2, 9):
        path = archive.root / "issues" / f"2025-02-{n + 1:02d}-issue-{n}" / "index.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text + f"\n![Missing](missing-{n}.png)\n", encoding="utf-8")
    reports = []
    for jobs in (1, 2):
        with pytest.raises(CheckFailed) as failed:
            build(archive.root, jobs=jobs, cache=False)
        reports.append(failed.value.format(archive.root))
        assert not (archive.root / "site").exists()
    assert reports[0] == reports[1]
    assert "missing-2.png" in reports[0] and "missing-9.png" in reports[0]


def test_a_corrupt_cache_is_ignored(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root)
    cache = archive.root / ".publisher-cache" / publisher.build.cache.CACHE_FILE
    cache.write_bytes(b"garbage" * 100)
    rebuild_matches_fresh(archive, tmp_path)
    data = cache.read_bytes()
    cut = len(data) // 2
    cache.write_bytes(data[:cut] + bytes(255 - b for b in data[cut : cut + 8192]))
    rebuild_matches_fresh(archive, tmp_path)


def test_after_every_build_the_spare_tree_holds_the_site_by_hard_links(
    archive: Newsletter,
) -> None:
    """The tree the next build writes into already holds this build's files (the very same
    files, not copies), so an edit right after a full rebuild writes only what it changes."""
    site, spare = archive.root / "site", archive.root / ".site.spare"

    def inodes(tree: Path) -> dict[Path, int]:
        return {p.relative_to(tree): p.stat().st_ino for p in tree.rglob("*") if p.is_file()}

    build(archive.root)
    settings = archive.root / "newsletter.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("Test Weekly", "Renamed Weekly"), encoding="utf-8")
    assert build(archive.root).rendered == 12  # every issue again
    before = inodes(site)
    assert inodes(spare) == before
    path = archive.root / "issues" / "2025-02-06-issue-5" / "index.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    assert build(archive.root).rendered == 1
    after = inodes(site)
    assert inodes(spare) == after
    same = {p for p in after if after[p] == before.get(p)}
    assert Path("issue-0/email.html") in same and Path("issue-5/email.html") not in same
    assert len(same) > len(after) * 3 // 4
    assert not [p for p in archive.root.rglob("*.publisher-tmp")]


def test_a_web_template_edit_renders_no_email_again(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root, jobs=1)
    templates = archive.root / "templates"
    templates.mkdir()
    style = (default_theme_dir() / "style.css.j2").read_text(encoding="utf-8")
    (templates / "style.css.j2").write_text(style + "\n/* mine */\n", encoding="utf-8")
    page = (default_theme_dir() / "issue.html.j2").read_text(encoding="utf-8")
    (templates / "issue.html.j2").write_text(page.replace("<article", "<article data-mine"))
    # The emails did not change: nothing was rendered again.
    assert build(archive.root, jobs=1).rendered == 0
    site = archive.root / "site"
    assert "/* mine */" in (site / "assets" / "style.css").read_text(encoding="utf-8")
    assert "data-mine" in (site / "issue-0" / "index.html").read_text(encoding="utf-8")
    assert digest(site) == fresh(archive, tmp_path)


def files_and_inodes(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_ino for p in site.rglob("*") if p.is_file()}


def test_an_email_template_edit_rewrites_only_the_files_whose_bytes_change(
    archive: Newsletter, tmp_path: Path
) -> None:
    build(archive.root, jobs=1)
    site = archive.root / "site"
    before = files_and_inodes(site)
    templates = archive.root / "templates"
    templates.mkdir()
    text = (default_theme_dir() / "email.txt.j2").read_text(encoding="utf-8")
    (templates / "email.txt.j2").write_text(text + "\n{# a note to myself #}\n")
    # Every issue renders again (the theme changed), to the very same bytes: nothing is written.
    assert build(archive.root, jobs=1).rendered == 12
    assert files_and_inodes(site) == before
    (templates / "email.txt.j2").write_text(text.replace('_("view_online")', '"On the web"'))
    assert build(archive.root, jobs=1).rendered == 12
    after = files_and_inodes(site)
    changed = {path for path, inode in after.items() if before.get(path) != inode}
    # The plain texts changed, and the messages that carry them; no web page did.
    assert {path.rpartition("/")[2] for path in changed} == {"email.txt", "email.eml"}
    assert len(changed) == 2 * 12
    assert digest(site) == fresh(archive, tmp_path)


def test_a_time_zone_edit_loads_every_issue_again(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root, jobs=1)
    toml = archive.root / "newsletter.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'timezone = "UTC"' in text
    toml.write_text(text.replace('"UTC"', '"Asia/Tokyo"'), encoding="utf-8")
    rebuild_matches_fresh(archive, tmp_path)
    assert "+09:00" in (archive.root / "site" / "atom.xml").read_text(encoding="utf-8")


def add_settings(newsletter: Newsletter, tables: str) -> None:
    settings = newsletter.root / "newsletter.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n" + tables, encoding="utf-8")


def test_a_setting_no_output_reads_renders_nothing(archive: Newsletter) -> None:
    build(archive.root, jobs=1)
    site = archive.root / "site"
    before = files_and_inodes(site)
    add_settings(archive, "# a comment\n[smtp]\ntimeout = 5\n")
    assert build(archive.root, jobs=1).rendered == 0
    after = files_and_inodes(site)
    assert after == before  # not a file written again


def test_a_web_only_setting_renders_pages_not_emails(archive: Newsletter, tmp_path: Path) -> None:
    build(archive.root, jobs=1)
    site = archive.root / "site"
    email = (site / "issue-0" / "email.html").stat().st_ino
    add_settings(archive, '[subscribe]\naction = "https://forms.example.org/join"\n')
    add_settings(archive, "[feeds]\nlimit = 3\n")
    assert build(archive.root, jobs=1).rendered == 0
    assert (site / "issue-0" / "email.html").stat().st_ino == email
    assert "forms.example.org/join" in (site / "issue-0" / "index.html").read_text()
    assert (site / "feed.xml").read_text().count("<item>") == 3
    assert digest(site) == fresh(archive, tmp_path)


def test_a_template_that_names_a_send_setting_follows_it(
    archive: Newsletter, tmp_path: Path
) -> None:
    templates = archive.root / "templates"
    templates.mkdir()
    text = (default_theme_dir() / "email.txt.j2").read_text(encoding="utf-8")
    (templates / "email.txt.j2").write_text(text + "Sent through {{ newsletter.smtp.host }}\n")
    build(archive.root, jobs=1)
    add_settings(archive, '[smtp]\nhost = "mail.example.org"\n')
    assert build(archive.root, jobs=1).rendered == 12
    assert "Sent through mail.example.org" in (archive.root / "site/issue-0/email.txt").read_text()
    assert digest(archive.root / "site") == fresh(archive, tmp_path)


def render(newsletter: Newsletter, name: str, fmt: str = "html") -> str:
    from click.testing import CliRunner

    from publisher.cli import cli

    args = ["-C", str(newsletter.root), "render", name, "--format", fmt]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_render_gives_what_the_build_published_without_rendering(
    archive: Newsletter, renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    build(archive.root, jobs=1)
    renders.clear()
    site = archive.root / "site" / "issue-3"
    html = render(archive, "issue-3")
    assert html == (site / "email.html").read_text(encoding="utf-8") + "\n"
    assert render(archive, "issue-3", "text") == (site / "email.txt").read_text(encoding="utf-8")
    monkeypatch.chdir(archive.root)
    assert render(archive, "issues/2025-02-04-issue-3/index.md") == html
    assert render(archive, "issues/2025-02-04-issue-3") == html
    assert renders == []  # served from the build's cache
    assert "<mj-" in render(archive, "issue-3", "mjml")  # MJML is never kept: rendered
    assert renders == ["issue-3"]


@pytest.mark.parametrize("change", ["issue", "image", "settings", "template"])
def test_render_is_never_stale(archive: Newsletter, renders: list[str], change: str) -> None:
    build(archive.root, jobs=1)
    folder = archive.root / "issues" / "2025-02-04-issue-3"
    if change == "issue":
        path = folder / "index.md"
        path.write_text(path.read_text().replace("Paragraph 3", "Edited paragraph"))
        wanted = "Edited paragraph"
    elif change == "image":
        Image.new("RGB", (480, 100), "teal").save(folder / "chart.png")
        wanted = 'width="480"'
    elif change == "settings":
        settings = archive.root / "newsletter.toml"
        settings.write_text(settings.read_text().replace("Test Weekly", "Renamed Weekly"))
        wanted = "Renamed Weekly"
    else:
        (archive.root / "templates").mkdir()
        text = (default_theme_dir() / "email.txt.j2").read_text(encoding="utf-8")
        (archive.root / "templates" / "email.txt.j2").write_text(text + "Theirs truly\n")
        wanted = "Theirs truly"
    renders.clear()
    assert wanted in render(archive, "issue-3", "text" if change == "template" else "html")
    assert renders == ["issue-3"]


def test_the_spare_tree_is_trusted_only_while_untouched(
    archive: Newsletter, tmp_path: Path
) -> None:
    build(archive.root)
    build(archive.root)
    site, spare = archive.root / "site", archive.root / ".site.spare"
    shutil.rmtree(archive.root / "issues" / "2025-02-04-issue-3")
    build(archive.root)
    assert not (site / "issue-3").exists() and not (spare / "issue-3").exists()
    stray = spare / "issue-5" / "stray.txt"
    stray.write_text("not publisher's", encoding="utf-8")
    (spare / "issue-5" / "email.html").write_text("tampered", encoding="utf-8")
    path = archive.root / "issues" / "2025-02-06-issue-5" / "index.md"
    path.write_text(path.read_text() + "\nMore.\n", encoding="utf-8")
    # A file no build wrote is never deleted, nor published: the build stops and names it.
    with pytest.raises(PublisherError, match=r"\.site\.spare/ holds files .*issue-5/stray\.txt"):
        build(archive.root)
    assert stray.read_text(encoding="utf-8") == "not publisher's"
    stray.rename(archive.root / "stray.txt")
    build(archive.root)  # each file of the spare tree is checked: nothing stale is kept
    assert not (site / "issue-3").exists()
    assert digest(site) == fresh(archive, tmp_path)


#: Dependencies that do not shape what a build writes, and what they are for.
NOT_IN_OUTPUT = {
    "click": "the command line",
    "watchfiles": "the preview's watcher",
    "backports": "the cache's compression (backports.zstd)",
    "httpx": "push, import, check --links: the network",
    "jwt": "publisher push: Ghost's Admin API token (PyJWT)",
    "bs4": "publisher import: the exports' boilerplate found by class (beautifulsoup4)",
    "markdownify": "publisher import: exported HTML bodies into Markdown",
    "feedparser": "publisher import: RSS and Atom feeds",
    "pagefind": "the search index, whose own key holds Pagefind's version (build/search.py)",
}


def test_every_dependency_that_shapes_the_output_is_in_the_cache_key() -> None:
    """Upgrading a library that shapes what a build writes renders everything again, so the
    base key names every dependency but those listed as not shaping the output."""
    import importlib.metadata
    import re

    names: dict[str, list[str]] = {}
    for name, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            names.setdefault(re.sub(r"[-_.]+", "-", distribution).lower(), []).append(name)
    required = importlib.metadata.requires("publisher") or []
    missing = []
    for requirement in required:
        if "extra ==" in requirement:
            continue
        distribution = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        modules = names.get(re.sub(r"[-_.]+", "-", distribution).lower(), [])
        if not modules and "python_version" in requirement:
            continue  # a backport this Python does not need
        if not any(m in publisher.build.keys.LIBRARIES or m in NOT_IN_OUTPUT for m in modules):
            missing.append(distribution)
    assert not missing


@pytest.mark.parametrize("change", ["a new tagged issue", "tags edited", "an issue deleted"])
def test_a_change_every_issue_page_shows_finishes(newsletter: Newsletter, change: str) -> None:
    """A change that renders every issue page again (the tags, the list of issues) in an
    archive of over a hundred issues: the build finishes, as a writer runs it."""
    for n in range(120):
        day = f"2024-{n // 28 + 1:02d}-{n % 28 + 1:02d}"
        newsletter.issue(f"{day}-issue-{n}.md", title=f"Issue {n}", date=day, tags="[energy]")
    command = [sys.executable, "-m", "publisher", "-q", "-C", str(newsletter.root), "build"]
    subprocess.run(command, check=True, timeout=300)
    issues = newsletter.root / "issues"
    if change == "a new tagged issue":
        newsletter.issue("2025-01-01-new.md", title="New", date="2025-01-01", tags="[grain]")
    elif change == "tags edited":
        newsletter.issue("2024-01-01-issue-0.md", title="Issue 0", date="2024-01-01", tags="[x]")
    else:
        (issues / "2024-01-02-issue-1.md").unlink()
    subprocess.run(command, check=True, timeout=120)
    pages = list((newsletter.root / "site").glob("*/index.html"))
    assert len(pages) == {"a new tagged issue": 121, "tags edited": 120}.get(change, 119)
