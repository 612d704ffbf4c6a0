"""The build cache never serves stale output; parallel builds equal serial ones byte for byte."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import publisher.cache
from conftest import Newsletter
from publisher.build import build
from publisher.errors import PublisherError
from publisher.theme import default_theme_dir


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
    """Count the issues a (serial) build renders."""
    import publisher.render

    seen: list[str] = []
    real = publisher.render.render_issue

    def counting(issue, config, theme, doc=None, index=None, shelf=None):  # type: ignore[no-untyped-def]
        seen.append(issue.slug)
        return real(issue, config, theme, doc, index, shelf)

    monkeypatch.setattr(publisher.render, "render_issue", counting)
    return seen


def test_only_what_changed_is_rendered(archive: Newsletter, renders: list[str]) -> None:
    build(archive.root, jobs=1)
    assert len(renders) == 12
    renders.clear()
    build(archive.root, jobs=1)
    assert renders == []
    path = archive.root / "issues" / "2025-02-04-issue-3" / "index.md"
    path.write_text(path.read_text() + "\nMore.\n", encoding="utf-8")
    build(archive.root, jobs=1)
    assert renders == ["issue-3"]


def test_a_deleted_site_comes_back_from_the_cache_whole(
    archive: Newsletter, renders: list[str], tmp_path: Path
) -> None:
    """The cache keeps no message: email.eml is made again from the kept HTML and text."""
    build(archive.root, jobs=1)
    site = archive.root / "site"
    before = digest(site)
    assert any(name.endswith("email.eml") for name in before)
    shutil.rmtree(site)
    shutil.rmtree(archive.root / ".site.spare", ignore_errors=True)
    renders.clear()
    build(archive.root, jobs=1)
    assert renders == []
    assert digest(site) == before == fresh(archive, tmp_path)


def test_cache_follows_the_version(
    archive: Newsletter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renders: list[str]
) -> None:
    build(archive.root, jobs=1)
    renders.clear()
    monkeypatch.setattr(publisher.cache, "__version__", "99.0")
    build(archive.root, jobs=1)
    assert len(renders) == 12
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
    """Where there are rendering processes, they render the issue pages too: the
    same bytes as one process makes; a mistake in the page template is reported the same."""
    from publisher.build import PARALLEL_FROM

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


def test_a_page_template_error_met_in_the_process_forked_first_is_reported_as_here(
    archive: Newsletter, tmp_path: Path
) -> None:
    """An issue edited while the page template is broken: the pages go to the process forked
    as the build started, and its error names the template and line as the building
    process would."""
    build(archive.root, jobs=2)
    theme = archive.root / "templates"
    theme.mkdir(exist_ok=True)
    page = (default_theme_dir() / "issue.html.j2").read_text(encoding="utf-8")
    (theme / "issue.html.j2").write_text(page.replace("{{ issue.title }}", "{{ issue.nope }}"))
    path = archive.root / "issues" / "2025-02-06-issue-5" / "index.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    errors = []
    for jobs in (2, 1):
        with pytest.raises(PublisherError) as failed:
            build(archive.root, jobs=jobs)
        errors.append([(p.message, p.file, p.line) for p in failed.value.problems])
    assert errors[0] == errors[1]
    assert str(errors[0][0][1]).endswith("issue.html.j2") and errors[0][0][2]


def test_parallel_errors_are_the_serial_ones_in_order(archive: Newsletter) -> None:
    """Issues render as the archive loads, finishing in any order: what stops the build is
    reported all the same, in the same order, and no site is written."""
    from publisher.build import CheckFailed

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
    cache = archive.root / ".publisher-cache"
    (cache / publisher.cache.INDEX_FILE).write_bytes(b"not a pickle")
    rebuild_matches_fresh(archive, tmp_path)
    for name in ("bodies.sqlite", "bodies.sqlite-wal"):
        if (cache / name).exists():
            (cache / name).write_bytes(b"garbage" * 100)
    rebuild_matches_fresh(archive, tmp_path)


def test_after_a_full_rebuild_the_spare_tree_is_one_build_behind(archive: Newsletter) -> None:
    site, spare = archive.root / "site", archive.root / ".site.spare"
    settings = archive.root / "newsletter.toml"
    for name in ("Renamed Weekly", "Weekly Again"):
        build(archive.root)
        if spare.exists():  # a new issue, whose folder the spare tree lacks
            archive.issue("2025-03-01-issue-new/index.md", title="New", date="2025-03-01")
        text = settings.read_text(encoding="utf-8").replace("Test Weekly", name)
        settings.write_text(text, encoding="utf-8")
    build(archive.root)  # every issue again
    assert (site / "issue-new").is_dir()
    live = {p.relative_to(site): p.stat().st_ino for p in site.rglob("*") if p.is_file()}
    kept = {p.relative_to(spare): p.stat().st_ino for p in spare.rglob("*") if p.is_file()}
    # The spare tree already holds this build's files (links, no copies), so the next edit
    # writes only what it changes.
    assert kept == live
    assert not [p for p in archive.root.rglob("*.publisher-tmp")]


def test_a_web_template_edit_renders_no_email_again(
    archive: Newsletter, renders: list[str], tmp_path: Path
) -> None:
    build(archive.root, jobs=1)
    renders.clear()
    templates = archive.root / "templates"
    templates.mkdir()
    style = (default_theme_dir() / "style.css.j2").read_text(encoding="utf-8")
    (templates / "style.css.j2").write_text(style + "\n/* mine */\n", encoding="utf-8")
    page = (default_theme_dir() / "issue.html.j2").read_text(encoding="utf-8")
    (templates / "issue.html.j2").write_text(page.replace("<article", "<article data-mine"))
    build(archive.root, jobs=1)
    assert renders == []  # the emails did not change: nothing was rendered again
    site = archive.root / "site"
    assert "/* mine */" in (site / "assets" / "style.css").read_text(encoding="utf-8")
    assert "data-mine" in (site / "issue-0" / "index.html").read_text(encoding="utf-8")
    assert digest(site) == fresh(archive, tmp_path)


def add_settings(newsletter: Newsletter, tables: str) -> None:
    settings = newsletter.root / "newsletter.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n" + tables, encoding="utf-8")


def test_a_setting_no_output_reads_renders_nothing(
    archive: Newsletter, renders: list[str], tmp_path: Path
) -> None:
    build(archive.root, jobs=1)
    renders.clear()
    site = archive.root / "site"
    before = {p: p.stat().st_ino for p in site.rglob("*") if p.is_file()}
    add_settings(archive, "# a comment\n[smtp]\ntimeout = 5\n")
    build(archive.root, jobs=1)
    assert renders == []
    after = {p: p.stat().st_ino for p in site.rglob("*") if p.is_file()}
    assert after == before  # not a file written again


def test_a_web_only_setting_renders_pages_not_emails(
    archive: Newsletter, renders: list[str], tmp_path: Path
) -> None:
    build(archive.root, jobs=1)
    renders.clear()
    site = archive.root / "site"
    email = (site / "issue-0" / "email.html").stat().st_ino
    add_settings(archive, '[subscribe]\naction = "https://forms.example.org/join"\n')
    add_settings(archive, "[feeds]\nlimit = 3\n")
    build(archive.root, jobs=1)
    assert renders == []
    assert (site / "issue-0" / "email.html").stat().st_ino == email
    assert "forms.example.org/join" in (site / "issue-0" / "index.html").read_text()
    assert (site / "feed.xml").read_text().count("<item>") == 3
    assert digest(site) == fresh(archive, tmp_path)


def test_a_template_that_names_a_send_setting_follows_it(
    archive: Newsletter, renders: list[str], tmp_path: Path
) -> None:
    templates = archive.root / "templates"
    templates.mkdir()
    text = (default_theme_dir() / "email.txt.j2").read_text(encoding="utf-8")
    (templates / "email.txt.j2").write_text(text + "Sent through {{ newsletter.smtp.host }}\n")
    build(archive.root, jobs=1)
    renders.clear()
    add_settings(archive, '[smtp]\nhost = "mail.example.org"\n')
    build(archive.root, jobs=1)
    assert len(renders) == 12
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
    build(archive.root)  # the spare tree drops issue-3's files and folder as it catches up
    assert not (spare / "issue-3").exists()
    (spare / "issue-5" / "stray.txt").write_text("not publisher's", encoding="utf-8")
    path = archive.root / "issues" / "2025-02-06-issue-5" / "index.md"
    path.write_text(path.read_text() + "\nMore.\n", encoding="utf-8")
    build(archive.root)  # its folder changed: looked at again, and the stray file goes
    assert not (site / "issue-3").exists()
    assert not (site / "issue-5" / "stray.txt").exists()
    assert digest(site) == fresh(archive, tmp_path)


def test_files_written_on_threads_make_their_folders_and_replace_whole(tmp_path: Path) -> None:
    """New files are written on several threads, each making its folder if need be, while
    links and copies into the same folders are made at once by the building thread."""
    from publisher.build import _Writer
    from publisher.cache import BuildCache

    source = tmp_path / "photo.png"
    source.write_bytes(b"picture")
    spare = tmp_path / "spare"
    spare.mkdir()
    writer = _Writer(spare, tmp_path / "live", BuildCache(tmp_path, "key", enabled=False))
    expected = {}
    with writer.writing_aside():
        for n in range(200):
            for name in ("email.html", "email.txt", "deep/er/page.html"):
                relative = f"issue-{n}/{name}"
                writer.put(relative, f"{relative}:1", partial(str, relative))
                expected[relative] = relative.encode()
            if n % 3 == 0:  # into a folder whose first file may not be written yet
                for relative in (f"issue-{n}/photo.png", f"issue-{n}/deep/photo.png"):
                    writer.put(relative, None, source=source, link=n % 2 == 0)
                    expected[relative] = b"picture"
    assert set(writer.outputs) == set(expected)
    for relative, data in expected.items():
        assert (spare / relative).read_bytes() == data
        assert writer.outputs[relative].size == len(data)
    # Written again: beside each file and renamed over it, never into it (a hard link may
    # share it with the live site), on the writing threads too.
    live = tmp_path / "live"
    for relative in expected:
        (live / relative).parent.mkdir(parents=True, exist_ok=True)
        os.link(spare / relative, live / relative)
    writer = _Writer(spare, live, BuildCache(tmp_path, "key", enabled=False))
    with writer.writing_aside():
        for relative in expected:
            writer.put(relative, f"{relative}:2", partial(str, relative.upper()))
    for relative, data in expected.items():
        assert (spare / relative).read_bytes() == relative.upper().encode()
        assert (live / relative).read_bytes() == data
    assert not [p for p in spare.rglob("*") if p.name.endswith(_Writer.TEMPORARY)]


def test_a_link_replaces_a_file_and_what_a_stopped_build_left(tmp_path: Path) -> None:
    from publisher.build import _link_over

    source = tmp_path / "new.html"
    source.write_text("new", encoding="utf-8")
    target = tmp_path / "spare" / "issue" / "email.html"
    _link_over(str(source), str(target))  # into a folder not made yet
    target.unlink()
    target.write_text("old", encoding="utf-8")
    Path(f"{target}.publisher-tmp").write_text("half", encoding="utf-8")
    _link_over(str(source), str(target))
    assert target.stat().st_ino == source.stat().st_ino
    assert source.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["email.html"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_new_site_takes_the_old_ones_place_in_one_step(tmp_path: Path) -> None:
    from publisher.build import _exchange

    new, out = tmp_path / "new", tmp_path / "site"
    for folder in (new, out):
        folder.mkdir()
        (folder / "index.html").write_text(folder.name, encoding="utf-8")
    assert _exchange(new, out)
    assert (out / "index.html").read_text(encoding="utf-8") == "new"
    assert (new / "index.html").read_text(encoding="utf-8") == "site"


#: Dependencies whose version changes nothing a build writes, and why.
NOT_IN_OUTPUT = {
    "click": "the command line",
    "watchfiles": "the preview's watcher",
    "backports": "the cache's compression (backports.zstd)",
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
        if not any(m in publisher.cache.LIBRARIES or m in NOT_IN_OUTPUT for m in modules):
            missing.append(distribution)
    assert not missing


def test_an_issue_rendered_again_reads_its_unchanged_images_bytes_not_pixels(
    archive: Newsletter, monkeypatch: pytest.MonkeyPatch, renders: list[str]
) -> None:
    """What the last build read of each picture holds for the same bytes, through a theme
    edit too, unless the code or library that reads pictures changed."""
    import publisher.images

    build(archive.root, jobs=1)
    opened: list[int] = []
    real = publisher.images._opened

    def counting(data: bytes) -> Any:
        opened.append(len(data))
        return real(data)

    monkeypatch.setattr(publisher.images, "_opened", counting)
    folder = archive.root / "issues" / "2025-02-06-issue-5"
    theme = archive.root / "templates" / "email.txt.j2"
    theme.parent.mkdir(exist_ok=True)
    text = (default_theme_dir() / "email.txt.j2").read_text(encoding="utf-8")
    for change, rendered, read in [
        ("text", 1, False),
        ("image", 1, True),  # a new picture is read (and its variants made)
        ("theme", 12, False),
        ("Pillow", 12, True),
    ]:
        monkeypatch.setattr(publisher.images, "_by_digest", {})  # as in a new process
        publisher.images._read.cache_clear()
        renders.clear()
        if change == "text":
            (folder / "index.md").write_text(
                (folder / "index.md").read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8"
            )
        elif change == "image":
            Image.new("RGB", (320, 200), "navy").save(folder / "chart.png")
        else:
            theme.write_text(text + f"{{# {change} #}}\n", encoding="utf-8")
        if change == "Pillow":
            monkeypatch.setattr(publisher.cache, "pictures_key", lambda: "another Pillow")
        build(archive.root, jobs=1)
        assert len(renders) == rendered
        assert bool(opened) == read, change
        opened.clear()


def test_what_a_full_rebuild_replaces_is_deleted_by_the_builds_after(archive: Newsletter) -> None:
    build(archive.root)
    settings = archive.root / "newsletter.toml"
    trash = archive.root / ".site.trash"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("Test Weekly", "Renamed Weekly"), encoding="utf-8")
    build(archive.root)  # every issue again, into the spare tree; then the spare's catch-up
    settings.write_text(text.replace("Test Weekly", "Weekly Again"), encoding="utf-8")
    build(archive.root)
    # What the catch-up replaced is set aside whole, not freed while the build waits...
    replaced = sorted(trash.iterdir())
    assert len(replaced) >= 12 * 3 and all(p.name.startswith("publisher-") for p in replaced)
    assert all(p.stat().st_nlink == 1 for p in replaced)
    (trash / "notes.txt").write_text("not publisher's", encoding="utf-8")
    path = archive.root / "issues" / "2025-02-06-issue-5" / "index.md"
    # ... and written over or deleted by the builds that follow, meanwhile (what is left when
    # one ends waits for the next), which leave alone what they did not put there.
    for n in range(20):
        path.write_text(path.read_text(encoding="utf-8") + f"\nMore {n}.\n", encoding="utf-8")
        build(archive.root)
        if not set(replaced) & set(trash.iterdir()):
            break
    assert not set(replaced) & set(trash.iterdir())
    assert (trash / "notes.txt").read_text(encoding="utf-8") == "not publisher's"


def test_a_full_rebuild_writes_over_what_the_last_one_set_aside(
    archive: Newsletter, tmp_path: Path
) -> None:
    """The files a full rebuild's catch-up set aside serve again as the files the next one
    writes (their inodes, not new ones); one linked from anywhere else is never written into."""
    settings = archive.root / "newsletter.toml"
    text = settings.read_text(encoding="utf-8")
    build(archive.root)
    for name in ("Renamed Weekly", "Weekly Again"):
        settings.write_text(text.replace("Test Weekly", name), encoding="utf-8")
        build(archive.root)
    trash = archive.root / ".site.trash"
    aside = {p.stat().st_ino: p.read_bytes() for p in trash.iterdir()}
    assert len(aside) >= 12 * 3
    shared = sorted(trash.iterdir())[0]
    os.link(shared, tmp_path / "elsewhere")  # a second name: never written into
    settings.write_text(text.replace("Test Weekly", "Weekly Once More"), encoding="utf-8")
    site = rebuild_matches_fresh(archive, tmp_path)
    written = {p.stat().st_ino for p in (archive.root / "site").rglob("*") if p.is_file()}
    assert len(written & set(aside)) >= 12 * 3 - 1
    elsewhere = tmp_path / "elsewhere"
    assert elsewhere.read_bytes() == aside[elsewhere.stat().st_ino]
    assert elsewhere.stat().st_ino not in written
    assert len(site) > 40


def test_an_edited_issue_renders_in_the_process_forked_as_the_build_starts(
    archive: Newsletter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In an archive of many issues, an issue just edited is rendered by the process a build
    forks first (readied while the index is read), which takes the last build's pictures from
    the index too: it reads the image's bytes, not its pixels. Its web page is rendered
    there as well."""
    import publisher.build
    import publisher.images
    import publisher.pages

    build(archive.root, jobs=2)
    log = tmp_path / "log"  # written from the forked process as well
    real_render, real_open = publisher.build._render_one, publisher.images._opened

    def render(*args: Any) -> Any:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"render {os.getpid()}\n")
        return real_render(*args)

    def opened(data: bytes) -> Any:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"pixels {os.getpid()}\n")
        return real_open(data)

    def page(self: Any, *args: Any) -> Any:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"page {os.getpid()}\n")
        return real_page(self, *args)

    real_page = publisher.pages.Pages.issue_page
    monkeypatch.setattr(publisher.build, "_render_one", render)
    monkeypatch.setattr(publisher.images, "_opened", opened)
    monkeypatch.setattr(publisher.pages.Pages, "issue_page", page)
    monkeypatch.setattr(publisher.images, "_by_digest", {})  # as in a new process
    publisher.images._read.cache_clear()
    path = archive.root / "issues" / "2025-02-06-issue-5" / "index.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build(archive.root, jobs=2)
    done = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert [what for what, _ in done] == ["render", "page"]
    assert len({pid for _, pid in done}) == 1
    assert int(done[0][1]) != os.getpid()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
@pytest.mark.parametrize("edit", ["issue", "stylesheet"])
def test_the_spare_tree_checked_in_the_forked_process_catches_a_file_edited_in_place(
    archive: Newsletter, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, edit: str
) -> None:
    """While an edited issue renders (or at once, with nothing to render), the process forked
    first looks at every file of the spare tree; a file changed in place since the last build
    (the spare tree shares it with the live site) is written again, not kept."""
    import time

    import publisher.build

    path = archive.root / "issues" / "2025-02-06-issue-5" / "index.md"
    build(archive.root, jobs=2)
    path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build(archive.root, jobs=2)  # the spare tree caught up: its files are the live site's
    log = tmp_path / "log"
    real = publisher.cache.BuildCache.changed_files

    def changed_files(self: Any, tree: str) -> frozenset[str]:
        changed = real(self, tree)
        log.write_text(f"{os.getpid()} {' '.join(sorted(changed))}", encoding="utf-8")
        return changed

    monkeypatch.setattr(publisher.cache.BuildCache, "changed_files", changed_files)
    real_write = publisher.build.write_site
    waited = []

    def write_site(writer: Any, *args: Any) -> Any:
        """Once what the forked process found has come: the files are kept at once."""
        deadline = time.monotonic() + 30
        while not writer.checked() and time.monotonic() < deadline:
            time.sleep(0.01)
        waited.append(writer.checked())
        return real_write(writer, *args)

    monkeypatch.setattr(publisher.build, "write_site", write_site)
    spare = archive.root / ".site.spare"
    for page in (spare / "issue-2" / "email.txt", spare / "tags" / "trade" / "index.html"):
        with page.open("r+", encoding="utf-8") as handle:  # in place: same inode and size
            text = handle.read()
            handle.seek(0)
            handle.write(text.swapcase())
    if edit == "issue":
        path.write_text(path.read_text(encoding="utf-8") + "\nMore again.\n", encoding="utf-8")
    else:
        (archive.root / "templates").mkdir()
        stylesheet = (default_theme_dir() / "style.css.j2").read_text(encoding="utf-8")
        (archive.root / "templates" / "style.css.j2").write_text(
            stylesheet + "\n/* edited */\n", encoding="utf-8"
        )
    build(archive.root, jobs=2)
    monkeypatch.setattr(publisher.build, "write_site", real_write)
    pid, *changed = log.read_text(encoding="utf-8").split()
    assert int(pid) != os.getpid() and changed == ["issue-2/email.txt", "tags/trade/index.html"]
    assert waited == [True]
    assert digest(archive.root / "site") == fresh(archive, tmp_path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
def test_the_forked_renderer_reports_errors_and_its_own_end(newsletter: Newsletter) -> None:
    """A job's error comes back with its traceback; jobs left when it ends fail, not hang."""
    import datetime as dt

    from publisher.build import _Helper
    from publisher.config import load_config
    from publisher.images import shelf_of
    from publisher.theme import Theme

    config, theme = load_config(newsletter.root), Theme(newsletter.root)
    now = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    helper = _Helper(config, theme, now, shelf_of(newsletter.root), None)
    try:
        assert helper.submit(sorted, [3, 1, 2]).result(timeout=60) == [1, 2, 3]
        error = helper.submit(int, "three").exception(timeout=60)
        assert isinstance(error, ValueError) and "three" in str(error)
        assert "in the rendering process" in error.__notes__[0]
        assert "Traceback" in error.__notes__[0]
        ended, left = helper.submit(os._exit, 3), helper.submit(sorted, [2, 1])
        for future in (ended, left):
            assert "ended unexpectedly" in str(future.exception(timeout=60))
    finally:
        helper.shutdown()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")
def test_the_forked_renderer_is_stopped_when_let_go_before_any_work(
    newsletter: Newsletter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Let go before it was sent anything (nothing to render, or a process per core to do
    it), the process forked first stops at once, not once it is ready."""
    import datetime as dt
    import time

    import publisher.build
    from publisher.build import _Helper
    from publisher.config import load_config
    from publisher.images import shelf_of
    from publisher.theme import Theme

    monkeypatch.setattr(publisher.build, "_ready", lambda *args: time.sleep(120))
    config, theme = load_config(newsletter.root), Theme(newsletter.root)
    now = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    helper = _Helper(config, theme, now, shelf_of(newsletter.root), None)
    pid = helper._pid
    time.sleep(0.2)  # in its readying
    helper.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()


def test_a_record_is_read_back_as_it_was_pickled_its_path_taken_from_the_build() -> None:
    """Records pickle their paths and shared time zones by name; a zone of its own pickles
    whole, and what is read back equals what was written."""
    import datetime as dt
    import zoneinfo

    from publisher.cache import Record, _pickled, _unpickled
    from publisher.issue import Issue

    source = Path("/news/issues/2025-02-01-a/index.md")
    shared = zoneinfo.ZoneInfo("Europe/Paris")
    for zone in (shared, zoneinfo.ZoneInfo.no_cache("Europe/Paris"), dt.UTC):
        date = dt.datetime(2025, 2, 1, 9, 30, tzinfo=zone)
        issue = Issue(source, "A", date, "a", "tag:x,2025:/a/", "", 5, tags=("energy",))
        record = Record((1, 2, 3, 4), issue, [])
        found = Path(str(source))
        back = _unpickled(_pickled(record), {str(source): found})
        assert back == record
        assert back.issue.source is found
        assert back.issue.date.utcoffset() == date.utcoffset()
        assert (back.issue.date.tzinfo is shared) == (zone is shared)
