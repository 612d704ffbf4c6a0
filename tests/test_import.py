"""`publisher import`: Substack, Buttondown and Ghost exports and RSS/Atom feeds into issue files.

Every export here is made by the test in the shape the services' own exports have; feeds by URL
and images come from a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner, Result

from conftest import Newsletter, serve_from
from publisher.cli import cli
from publisher.config import load_config
from publisher.model.issue import issue_files, load_issue

FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).replace(microsecond=0)
HOSTILE = (
    "<script>alert('pwned')</script>"
    '<p>Click <a href="javascript:alert(1)">here</a>'
    '<img src="https://tracker.example/open.gif?u=1" width="1" height="1"></p>'
    '<p><img src="https://example.org/x.png" alt="Safe" onerror="alert(2)"></p>'
    '<iframe src="https://ads.example/frame"></iframe>'
    '<object data="https://evil.example/x.swf"></object>'
    '<p><img src="javascript:alert(3)" alt="x"></p>'
)
#: What must never reach an imported file.
FORBIDDEN = (
    "<script",
    "alert(",
    "javascript:",
    "onerror",
    "tracker.example",
    "<iframe",
    "evil.example",
)


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def tree(root: Path) -> dict[str, str]:
    """Return every file under ``root`` (but the settings) with the digest of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def loaded(root: Path) -> dict[str, Any]:
    """Load every issue file with the real loader, by file name."""
    config = load_config(root)
    return {
        p.relative_to(root / "issues").as_posix(): load_issue(p, config) for p in issue_files(root)
    }


def make_zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


# --- Substack -----------------------------------------------------------------------------------

SUBSTACK_BODY = (
    """\
<h2>Who lays them</h2>
<p>Cables carry 99% of traffic<a class="footnote-anchor" data-component-name="FootnoteAnchorToDOM"
 id="footnote-anchor-1" href="#footnote-1" target="_self">1</a>, mostly unseen.</p>
<div class="captioned-image-container"><figure><a class="image-link image2" target="_blank"
 href="https://substack-post-media.s3.amazonaws.com/public/images/ship_1200x800.jpeg">
<div class="image2-inset"><picture>
<source type="image/webp" srcset="https://substackcdn.com/x 424w">
<img src="https://substackcdn.com/image/fetch/w_1456,c_limit,f_auto,q_auto:good/https%3A%2F%2Fsubstack-post-media.s3.amazonaws.com%2Fpublic%2Fimages%2Fship_1200x800.jpeg"
 alt="A cable ship at dawn" width="1200" height="800"></picture></div></a>
<div class="image-link-expand"><button><svg></svg></button></div>
<figcaption class="image-caption">The Léon Thévenin off Cape Town. Photo: Jane Roe</figcaption>
</figure></div>
<p class="button-wrapper" data-attrs="{}"><a class="button primary"
 href="https://wires.substack.com/subscribe?utm_source=post"><span>Subscribe now</span></a></p>
<blockquote><p>The sea keeps its secrets.</p></blockquote>
<ul><li>Laying</li><li>Guarding</li></ul>
<div class="subscription-widget-wrap" data-attrs="{}">
<div class="subscription-widget show-subscribe">
<div class="preamble"><p class="cta-caption">Thanks for reading Wires! Subscribe for free to receive
new posts.</p></div><form class="subscription-widget-subscribe"><input type="email" name="email">
<input type="submit" value="Subscribe"></form></div></div>
<p class="button-wrapper"><a class="button primary"
 href="https://wires.substack.com/p/wires?utm_source=substack&amp;utm_content=share&amp;action=share">
<span>Share</span></a></p>
<div id="youtube2-dQw4w9WgXcQ" class="youtube-wrap"
 data-attrs="{&quot;videoId&quot;:&quot;dQw4w9WgXcQ&quot;}"
 data-component-name="Youtube2ToDOM"><div class="youtube-inner">
<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"></iframe></div></div>
"""
    + HOSTILE
    + """
<div class="footnote" data-component-name="FootnoteToDOM">
<a id="footnote-1" href="#footnote-anchor-1"
 class="footnote-number" contenteditable="false" target="_self">1</a><div class="footnote-content">
<p>By <a href="https://example.org/telegeography">one estimate</a>.</p></div></div>
"""
)

SUBSTACK_HEADER = (
    "post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,audience,title,subtitle,"
    "podcast_url"
)


def substack_zip(path: Path, extra_rows: tuple[list[str], ...] = ()) -> Path:
    rows = [
        [
            "101.wires",
            "2024-03-05T09:00:00.000Z",
            "true",
            "2024-03-05T09:00:02.000Z",
            "",
            "newsletter",
            "everyone",
            "The wires: under the sea",
            "Who lays them &#x201C;and why&#x201D;",
            "",
        ],
        [
            "102.moskva",
            "2024-04-01T06:30:00.000Z",
            "TRUE",
            "",
            "",
            "newsletter",
            "everyone",
            "Москва: утро",
            "",
            "",
        ],
        [
            "103.half-done",
            "2024-05-01T09:00:00.000Z",
            "false",
            "",
            "",
            "newsletter",
            "everyone",
            "Half done",
            "",
            "https://audio.example/half-done.mp3",
        ],
        [
            "104.next-year",
            FUTURE.isoformat().replace("+00:00", "Z"),
            "true",
            "",
            "",
            "newsletter",
            "everyone",
            "Next year",
            "",
            "",
        ],
        [
            "105.about",
            "2023-01-01T00:00:00.000Z",
            "true",
            "",
            "",
            "page",
            "everyone",
            "About",
            "",
            "",
        ],
        *extra_rows,
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SUBSTACK_HEADER.split(","))
    writer.writerows(rows)
    return make_zip(
        path,
        {
            "posts.csv": out.getvalue(),
            "posts/101.wires.html": SUBSTACK_BODY,
            "posts/102.moskva.html": "<p>Город просыпается.</p>",
            "posts/103.half-done.html": "<p>Not finished.</p>",
            "posts/104.next-year.html": "<p>Scheduled.</p>",
            "posts/105.about.html": "<p>About.</p>",
            "posts/101.opens.csv": "post_id,timestamp,email\n101.wires,1,reader@secret.example\n",
            "email_list.wires.csv": "email,active_subscription\nreader@secret.example,true\n",
        },
    )


def test_substack_export_becomes_issues_a_writer_would_have_written(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    source = substack_zip(tmp_path / "export.zip")
    result = run(
        newsletter.root, "import", str(source), "--old-site", "https://wires.substack.com/"
    )
    assert result.exit_code == 0, result.output
    issues = newsletter.root / "issues"
    assert sorted(p.name for p in issues.iterdir()) == [
        "2024-03-05-wires.md",
        "2024-04-01-moskva.md",
        "2024-05-01-half-done.md",
        f"{FUTURE.date().isoformat()}-next-year.md",
    ]
    assert "posts.csv:6 (post 105.about): skipped, a page" in result.output
    text = (issues / "2024-03-05-wires.md").read_text(encoding="utf-8")
    assert text.startswith(
        "---\n"
        'title: "The wires: under the sea"\n'
        'subtitle: "Who lays them “and why”"\n'
        "date: 2024-03-05T09:00:00+00:00\n"
        'id: "https://wires.substack.com/p/wires"\n'
        'redirect_from: ["/p/wires/"]\n'
        "---\n"
    )
    assert "## Who lays them" in text
    assert "Cables carry 99% of traffic[^1], mostly unseen." in text
    assert (
        "![A cable ship at dawn](https://substack-post-media.s3.amazonaws.com/public/images/"
        'ship_1200x800.jpeg "The Léon Thévenin off Cape Town | Photo: Jane Roe")'
    ) in text
    assert "> The sea keeps its secrets." in text
    assert "- Laying\n- Guarding" in text
    assert "[Watch on YouTube](https://www.youtube.com/watch?v=dQw4w9WgXcQ)" in text
    assert "[^1]: By [one estimate](https://example.org/telegeography)." in text
    for gone in ("Subscribe", "Share", "Thanks for reading", *FORBIDDEN):
        assert gone not in text
    report = result.output
    assert "wrote: issues/2024-03-05-wires.md  (posts.csv:2 (post 101.wires))" in report
    for kind in (
        "subscribe button (1)",
        "share button (1)",
        "subscribe form (1)",
        "script (1)",
        "tracking pixel (1)",
        "script link (1)",
        "event handler (1)",
    ):
        assert kind in report
    assert "2 remote images (`--download-images` saves them beside the issue)" in report
    assert "secret.example" not in report + "".join(
        p.read_text(encoding="utf-8") for p in newsletter.root.rglob("*") if p.is_file()
    )
    issues_loaded = loaded(newsletter.root)
    wires = issues_loaded["2024-03-05-wires.md"]
    assert (wires.title, wires.id) == (
        "The wires: under the sea",
        "https://wires.substack.com/p/wires",
    )
    assert wires.date == dt.datetime(2024, 3, 5, 9, tzinfo=dt.UTC)
    moskva = issues_loaded["2024-04-01-moskva.md"]
    assert (moskva.title, moskva.body.strip()) == ("Москва: утро", "Город просыпается.")
    draft = issues_loaded["2024-05-01-half-done.md"]
    assert draft.draft
    assert draft.body.strip().startswith(
        "[Listen to the episode](https://audio.example/half-done.mp3)"
    )
    scheduled = issues_loaded[f"{FUTURE.date().isoformat()}-next-year.md"]
    assert (scheduled.draft, scheduled.date) == (False, FUTURE)
    mapping = json.loads((newsletter.root / "imported.json").read_text(encoding="utf-8"))
    assert {
        "old_url": "https://wires.substack.com/p/wires",
        "old_id": "https://wires.substack.com/p/wires",
        "file": "issues/2024-03-05-wires.md",
    } in mapping
    assert len(mapping) == 4
    check = run(newsletter.root, "check")
    assert check.exit_code == 0, check.output
    assert "remote image 'https://example.org/x.png'" in check.output


def test_a_second_import_changes_nothing_and_says_so(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    source = substack_zip(tmp_path / "export.zip")
    assert run(newsletter.root, "import", str(source)).exit_code == 0
    before = tree(newsletter.root)
    again = run(newsletter.root, "import", str(source))
    assert again.exit_code == 0, again.output
    assert "unchanged: issues/2024-03-05-wires.md (imported before)" in again.output
    assert "nothing to import: all 4 entries were imported before" in again.output
    assert tree(newsletter.root) == before


def test_the_same_export_gives_the_same_bytes(tmp_path: Path) -> None:
    source = substack_zip(tmp_path / "export.zip")
    trees = []
    for name in ("one", "two"):
        folder = Newsletter(tmp_path / name)
        result = run(folder.root, "import", str(source), "--old-site", "https://w.substack.com")
        assert result.exit_code == 0, result.output
        trees.append(tree(folder.root))
    assert trees[0] == trees[1]
    assert "imported.json" in trees[0]


def test_an_imported_file_edited_since_is_left_as_it_is(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    source = substack_zip(tmp_path / "export.zip")
    assert run(newsletter.root, "import", str(source)).exit_code == 0
    edited = newsletter.root / "issues/2024-04-01-moskva.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA line of mine.\n", encoding="utf-8")
    before = tree(newsletter.root)
    again = run(newsletter.root, "import", str(source))
    assert "unchanged: issues/2024-04-01-moskva.md (imported before)" in again.output
    assert "nothing to import: all 4 entries were imported before" in again.output
    assert tree(newsletter.root) == before


def test_an_existing_file_is_never_overwritten(newsletter: Newsletter, tmp_path: Path) -> None:
    mine = newsletter.issue("2024-03-05-wires.md", body="My own words.\n", title="Mine")
    original = mine.read_bytes()
    result = run(newsletter.root, "import", str(substack_zip(tmp_path / "export.zip")))
    assert result.exit_code == 0, result.output
    assert (
        "kept: issues/2024-03-05-wires.md exists and is not overwritten "
        "(posts.csv:2 (post 101.wires) not imported)"
    ) in result.output
    assert mine.read_bytes() == original
    assert (newsletter.root / "issues/2024-04-01-moskva.md").exists()


def test_a_file_of_the_authors_named_like_the_record_is_left_alone(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    mine = newsletter.root / "imported.json"
    mine.write_text('{"my": "notes"}\n', encoding="utf-8")
    result = run(newsletter.root, "import", str(substack_zip(tmp_path / "e.zip")))
    assert result.exit_code == 1
    assert "imported.json: this is not publisher's import record" in result.stderr
    assert mine.read_text(encoding="utf-8") == '{"my": "notes"}\n'
    assert list((newsletter.root / "issues").iterdir()) == []


def test_dry_run_lists_what_would_be_written_and_writes_nothing(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    before = tree(newsletter.root)
    result = run(newsletter.root, "import", str(substack_zip(tmp_path / "e.zip")), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would write: issues/2024-03-05-wires.md" in result.output
    assert "would import 4 issues" in result.output
    assert tree(newsletter.root) == before


def test_a_malformed_entry_is_named_and_the_rest_imported(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    broken = (
        [
            "106.lost",
            "2024-06-01T09:00:00.000Z",
            "true",
            "",
            "",
            "newsletter",
            "everyone",
            "Lost",
            "",
            "",
        ],
        ["107.undated", "soon", "true", "", "", "newsletter", "everyone", "Undated", "", ""],
    )
    broken += (
        [
            "108.huge",
            "2024-06-02T09:00:00.000Z",
            "true",
            "",
            "",
            "newsletter",
            "everyone",
            "Huge",
            "",
            "",
        ],
    )
    source = substack_zip(tmp_path / "export.zip", broken)
    with zipfile.ZipFile(source, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("posts/107.undated.html", "<p>x</p>")
        archive.writestr("posts/108.huge.html", "<p>" + "a" * 6_000_000 + "</p>")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 1
    assert "posts.csv:7 (post 106.lost): no posts/106.lost.html in the export" in result.stderr
    assert "posts.csv:8 (post 107.undated): has no usable post_date 'soon'" in result.stderr
    assert "posts.csv:9 (post 108.huge): posts/108.huge.html is 6 MB" in result.stderr
    assert "imported 4 issues, 3 could not be imported" in result.stdout
    assert len(list((newsletter.root / "issues").iterdir())) == 4


# --- Buttondown ---------------------------------------------------------------------------------


def test_buttondown_export_in_both_editor_modes(newsletter: Newsletter, tmp_path: Path) -> None:
    emails = [
        {
            "id": "0a1",
            "subject": "رسالة الأسبوع",
            "publish_date": "2024-02-01 08:00:00+00:00",
            "slug": "weekly-letter",
            "status": "sent",
            "description": "Notes from the week.",
        },
        {
            "id": "0a2",
            "subject": "Plain notes",
            "publish_date": "2024-02-08 08:00:00+00:00",
            "slug": "plain-notes",
            "status": "sent",
        },
        {
            "id": "0a3",
            "subject": "Not yet",
            "publish_date": "2024-02-09 08:00:00+00:00",
            "slug": "not-yet",
            "status": "draft",
        },
        {
            "id": "0a4",
            "subject": "Soon",
            "publish_date": FUTURE.isoformat(),
            "slug": "soon",
            "status": "scheduled",
        },
        {
            "id": "0a5",
            "subject": "Gone",
            "publish_date": "2024-02-10 08:00:00+00:00",
            "slug": "gone",
            "status": "sent",
        },
    ]
    source = make_zip(
        tmp_path / "buttondown.zip",
        {
            "emails.json": json.dumps(emails),
            "emails/weekly-letter.md": "<!-- buttondown-editor-mode: fancy -->\n"
            "<p>مرحبا بكم.</p><figure><img src='https://example.org/sea.jpg' alt='The sea'>"
            "<figcaption>Low tide. Photo: Sami</figcaption></figure>"
            "<p>{{ subscribe_form }}</p>" + HOSTILE,
            "emails/plain-notes.md": "<!-- buttondown-editor-mode: plaintext -->\n"
            "A note[^1] in *Markdown*.\n\n{{ subscribe_form }}\n\n"
            "<script>alert('x')</script>\n\n[Click](javascript:alert(1))\n\n[^1]: The note.\n",
            "emails/not-yet.md": "Draft text.\n",
            "emails/soon.md": "Later.\n",
        },
    )
    result = run(newsletter.root, "import", str(source), "--old-site", "https://buttondown.com/wk")
    assert result.exit_code == 1, result.output
    assert "emails.json[4] (email gone): no emails/gone.md in the export" in result.stderr
    issues = loaded(newsletter.root)
    weekly = issues["2024-02-01-weekly-letter.md"]
    assert (weekly.title, weekly.summary) == ("رسالة الأسبوع", "Notes from the week.")
    assert weekly.id == "https://buttondown.com/wk/archive/weekly-letter/"
    assert '![The sea](https://example.org/sea.jpg "Low tide | Photo: Sami")' in weekly.body
    plain = issues["2024-02-08-plain-notes.md"].body
    assert "A note[^1] in *Markdown*." in plain and "[^1]: The note." in plain
    assert issues["2024-02-09-not-yet.md"].draft
    assert issues[f"{FUTURE.date().isoformat()}-soon.md"].date == FUTURE
    for issue in issues.values():
        assert "subscribe_form" not in issue.body
        for gone in FORBIDDEN:
            assert gone not in issue.body
    assert "template tag (1)" in result.output


# --- Ghost --------------------------------------------------------------------------------------

GHOST_HTML = (
    """\
<p>Intro<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>.</p>
<figure class="kg-card kg-image-card kg-card-hascaption"><img src="https://ghost.example/content/images/reef.jpg"
 class="kg-image" alt="A reef" loading="lazy" width="2000" height="1333">
<figcaption>The reef at noon.
 Photo: Ana Lima</figcaption></figure>
<div class="kg-card kg-callout-card kg-callout-card-blue"><div class="kg-callout-emoji">💡</div>
<div class="kg-callout-text">Worth knowing.</div></div>
<figure class="kg-card kg-bookmark-card"><a class="kg-bookmark-container" href="https://example.org/report">
<div class="kg-bookmark-content"><div class="kg-bookmark-title">The report</div></div></a></figure>
<div class="kg-card kg-signup-card"><h2>Sign up</h2><form><input type="email"></form></div>
<!--members-only-->
<p>For members.</p>
"""
    + HOSTILE
    + """
<hr class="footnotes-sep"><section class="footnotes"><ol class="footnotes-list">
<li id="fn1" class="footnote-item"><p>A source.
<a href="#fnref1" class="footnote-backref">↩︎</a></p></li>
</ol></section>
"""
)


def ghost_export(posts: list[Any]) -> dict[str, Any]:
    return {
        "db": [
            {
                "meta": {"exported_on": 1700000000000, "version": "5.80.0"},
                "data": {
                    "posts": posts,
                    "posts_meta": [
                        {"post_id": "6500000000000000000000a1", "meta_description": "Reefs."}
                    ],
                    "tags": [
                        {"id": "t1", "name": "Oceans", "slug": "oceans", "visibility": "public"},
                        {
                            "id": "t2",
                            "name": "#newsletter",
                            "slug": "hash-newsletter",
                            "visibility": "internal",
                        },
                    ],
                    "posts_tags": [
                        {
                            "id": "pt1",
                            "post_id": "6500000000000000000000a1",
                            "tag_id": "t2",
                            "sort_order": 0,
                        },
                        {
                            "id": "pt2",
                            "post_id": "6500000000000000000000a1",
                            "tag_id": "t1",
                            "sort_order": 1,
                        },
                    ],
                    "users": [
                        {
                            "id": "u1",
                            "name": "Ana Lima",
                            "email": "ana@ghost.example",
                            "password": "$2a$10$secret-hash",
                        }
                    ],
                    "posts_authors": [
                        {
                            "id": "pa1",
                            "post_id": "6500000000000000000000a1",
                            "author_id": "u1",
                            "sort_order": 0,
                        }
                    ],
                    "api_keys": [{"id": "k1", "secret": "sk-very-secret-value"}],
                    "members": [{"email": "member@secret.example"}],
                },
            }
        ]
    }


def test_ghost_export(newsletter: Newsletter, tmp_path: Path) -> None:
    post = {"type": "post", "visibility": "public", "created_at": "2024-01-01T00:00:00.000Z"}
    posts = [
        {
            **post,
            "id": "6500000000000000000000a1",
            "title": "Reefs “under” stress",
            "slug": "reefs",
            "status": "published",
            "published_at": "2024-01-10T12:00:00.000Z",
            "html": GHOST_HTML,
            "custom_excerpt": "What the heat does to reefs.",
        },
        {
            **post,
            "id": "6500000000000000000000a2",
            "title": "Unsaved",
            "slug": "unsaved",
            "status": "draft",
            "published_at": None,
            "html": None,
        },
        {
            **post,
            "id": "6500000000000000000000a3",
            "title": "Saved draft",
            "slug": "saved",
            "status": "draft",
            "published_at": None,
            "html": "<p>Draft.</p>",
        },
        {
            **post,
            "id": "6500000000000000000000a4",
            "title": "Later",
            "slug": "later",
            "status": "scheduled",
            "published_at": FUTURE.isoformat(),
            "html": "<p>Later.</p>",
        },
        {
            **post,
            "id": "6500000000000000000000a5",
            "title": "About",
            "slug": "about",
            "type": "page",
            "status": "published",
            "published_at": "2023-01-01T00:00:00.000Z",
            "html": "<p>Hi</p>",
        },
        "not a post",
    ]
    source = tmp_path / "ghost.json"
    source.write_text(json.dumps(ghost_export(posts)), encoding="utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 1, result.output
    assert "posts[5]: is not a post (an object)" in result.stderr
    assert "posts[1] (post unsaved): skipped, a draft Ghost never rendered" in result.stdout
    assert "posts[4] (post about): skipped, a page" in result.stdout
    issues = loaded(newsletter.root)
    assert sorted(issues) == [
        "2024-01-01-saved.md",
        "2024-01-10-reefs.md",
        f"{FUTURE.date().isoformat()}-later.md",
    ]
    reefs = issues["2024-01-10-reefs.md"]
    assert (reefs.id, reefs.tags, reefs.author) == (
        "6500000000000000000000a1",
        ("Oceans",),
        "Ana Lima",
    )
    assert reefs.summary == "What the heat does to reefs."
    assert "Intro[^1]." in reefs.body and "[^1]: A source." in reefs.body
    assert (
        "![A reef](https://ghost.example/content/images/reef.jpg"
        ' "The reef at noon | Photo: Ana Lima")' in reefs.body
    )
    assert "::: note\nWorth knowing.\n:::" in reefs.body
    assert "[The report](https://example.org/report)" in reefs.body
    assert "Sign up" not in reefs.body and "↩" not in reefs.body
    for gone in FORBIDDEN:
        assert gone not in reefs.body
    text = (newsletter.root / "issues/2024-01-10-reefs.md").read_text(encoding="utf-8")
    assert "redirect_from" not in text  # Ghost's old address /reefs/ is the new one
    assert issues["2024-01-01-saved.md"].draft
    everything = result.output + "".join(
        p.read_text(encoding="utf-8") for p in newsletter.root.rglob("*") if p.is_file()
    )
    for secret in ("sk-very-secret-value", "secret-hash", "member@secret.example", "ana@ghost"):
        assert secret not in everything


def test_a_file_that_is_not_an_export_is_a_clear_error(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    source = tmp_path / "ghost.json"
    source.write_text('{"db": [', encoding="utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 1
    assert "the file: is not JSON" in result.stderr
    odd = make_zip(tmp_path / "odd.zip", {"readme.txt": "hi"})
    result = run(newsletter.root, "import", str(odd))
    assert result.exit_code == 1
    assert "neither Substack's export (posts.csv) nor Buttondown's" in result.stderr


# --- RSS and Atom -------------------------------------------------------------------------------

RSS = (
    """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Old Wires</title><link>https://old.example/</link><description>d</description>
<item>
 <title>東京の朝</title>
 <link>https://medium.com/@wires/tokyo-morning-1a2b3c?source=rss-abc</link>
 <guid isPermaLink="false">https://medium.com/p/1a2b3c4d5e6f</guid>
 <dc:creator>Kenji Sato</dc:creator>
 <category>japan</category><category>cities</category>
 <pubDate>Tue, 05 Mar 2024 10:00:00 +0100</pubDate>
 <content:encoded><![CDATA[<p>朝の街<sup class="footnote-ref"><a href="#fn1">1</a></sup>.</p>
<figure><img src="/img/tokyo.jpg" alt="A street">
<figcaption>Shinjuku. Photo: K. Sato</figcaption></figure>
<section class="footnotes"><ol><li id="fn1"><p>Note.</p></li></ol></section>
<img src="https://medium.com/_/stat?event=post.clientViewed&amp;postId=1a2b" width="1" height="1">
<hr><p><a href="https://medium.com/p/1">東京の朝</a> was originally published in <a href="https://medium.com/x">X</a>
 on Medium, where people are continuing the conversation by highlighting and responding
 to this story.</p>
]]>"""
    + "<![CDATA["
    + HOSTILE
    + """]]></content:encoded>
</item>
<item>
 <title>Short one</title>
 <link>https://old.example/short-one/</link>
 <guid>https://old.example/?p=12</guid>
 <pubDate>Mon, 04 Mar 2024 08:00:00 +0000</pubDate>
 <description>Only a summary.</description>
</item>
</channel></rss>
"""
)

ATOM = """\
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
 <title>Archive</title><id>urn:archive:{n}</id><updated>2024-01-01T00:00:00Z</updated>
 {prev}
 <entry><title>Entry {n}</title><id>urn:uuid:0000000{n}</id>
  <link href="https://old.example/entry-{n}/"/>
  <published>2024-0{n}-02T00:00:00Z</published><updated>2024-0{n}-02T00:00:00Z</updated>
  <content type="html">&lt;p&gt;Body {n}&lt;/p&gt;</content></entry>
</feed>
"""


def atom_pages(folder: Path) -> Path:
    """Write an Atom feed of one entry linking to two older archive pages (RFC 5005)."""
    (folder / "archive").mkdir(parents=True, exist_ok=True)
    link = '<link rel="prev-archive" href="{}"/>'
    (folder / "feed.atom").write_text(ATOM.format(n=3, prev=link.format("archive/2.atom")), "utf-8")
    (folder / "archive/2.atom").write_text(ATOM.format(n=2, prev=link.format("1.atom")), "utf-8")
    (folder / "archive/1.atom").write_text(ATOM.format(n=1, prev=""), "utf-8")
    return folder / "feed.atom"


def test_rss_file(newsletter: Newsletter, tmp_path: Path) -> None:
    source = tmp_path / "feed.xml"
    source.write_text(RSS, encoding="utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    issues = loaded(newsletter.root)
    tokyo = issues["2024-03-05-tokyo-morning-1a2b3c.md"]
    assert tokyo.id == "https://medium.com/p/1a2b3c4d5e6f"
    assert tokyo.date == dt.datetime(2024, 3, 5, 9, tzinfo=dt.UTC)
    assert (tokyo.title, tokyo.author, tokyo.tags) == (
        "東京の朝",
        "Kenji Sato",
        ("japan", "cities"),
    )
    assert "朝の街[^1]." in tokyo.body and "[^1]: Note." in tokyo.body
    assert '![A street](https://medium.com/img/tokyo.jpg "Shinjuku | Photo: K. Sato")' in tokyo.body
    assert "originally published" not in tokyo.body and "_/stat" not in tokyo.body
    assert tokyo.body.rstrip().endswith("[^1]: Note.") and "\n---" not in tokyo.body
    assert tokyo.summary == ""  # the feed gives none: the loader derives one
    for gone in FORBIDDEN:
        assert gone not in tokyo.body
    assert "platform footer (1)" in result.output
    assert issues["2024-03-04-short-one.md"].body.strip() == "Only a summary."
    assert "full text (the feed has only a summary) (1)" in result.output
    text = (newsletter.root / "issues/2024-03-05-tokyo-morning-1a2b3c.md").read_text("utf-8")
    assert 'redirect_from: ["/@wires/tokyo-morning-1a2b3c/"]' in text


def test_atom_file_with_archive_pages(newsletter: Newsletter, tmp_path: Path) -> None:
    result = run(newsletter.root, "import", str(atom_pages(tmp_path / "feeds")))
    assert result.exit_code == 0, result.output
    ids = sorted(i.id for i in loaded(newsletter.root).values())
    assert ids == ["urn:uuid:00000001", "urn:uuid:00000002", "urn:uuid:00000003"]


def test_feed_by_url_follows_its_archives(
    newsletter: Newsletter, http_server: tuple[str, Path]
) -> None:
    base_url, folder = http_server
    atom_pages(folder)
    result = run(newsletter.root, "import", base_url + "feed.atom")
    assert result.exit_code == 0, result.output
    assert sorted(loaded(newsletter.root)) == [
        "2024-01-02-entry-1.md",
        "2024-02-02-entry-2.md",
        "2024-03-02-entry-3.md",
    ]


def test_a_paged_atom_feed_is_read_page_by_page(newsletter: Newsletter, tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    source = atom_pages(folder)  # the same pages, linked as RFC 5005's paged feed instead
    for page in (source, folder / "archive/2.atom"):
        page.write_text(page.read_text("utf-8").replace('"prev-archive"', '"next"'), "utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    assert len(loaded(newsletter.root)) == 3


#: The old Substack site's feed, on its custom domain: the newest post only, with its guid.
OLD_FEED = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Wires</title><link>https://wires.example/</link>
<description>d</description><generator>Substack</generator>
<item><title>Москва: утро</title><link>https://wires.example/p/moskva</link>
<guid isPermaLink="false">substack:post:102</guid>
<pubDate>Mon, 01 Apr 2024 06:30:00 GMT</pubDate><description>d</description></item>
</channel></rss>
"""


def test_posts_in_the_old_feed_keep_the_ids_its_readers_know(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    source = substack_zip(tmp_path / "export.zip")
    (tmp_path / "feed.xml").write_text(OLD_FEED, encoding="utf-8")
    result = run(
        newsletter.root,
        "import",
        str(source),
        "--old-site",
        "https://wires.substack.com/",
        "--old-feed",
        str(tmp_path / "feed.xml"),
    )
    assert result.exit_code == 0, result.output
    assert "1 of 4 posts take their id from the old feed" in result.output
    ids = {issue.slug: issue.id for issue in loaded(newsletter.root).values()}
    assert ids["moskva"] == "substack:post:102"  # matched by its address, whatever the host
    assert ids["wires"] == "https://wires.substack.com/p/wires"  # not in the feed: as before


#: A WordPress feed's page: its generator, and one post per page.
WORDPRESS = """\
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Old Blog</title><link>https://blog.example/</link><description>d</description>
<generator>https://wordpress.org/?v=6.5</generator>
<item><title>Post {n}</title><link>https://blog.example/post-{n}/</link>
<guid isPermaLink="false">https://blog.example/?p={n}</guid>
<pubDate>Mon, 0{n} Jan 2024 10:00:00 +0000</pubDate>
<content:encoded><![CDATA[<p>Body {n}.</p>]]></content:encoded></item>
</channel></rss>
"""


@pytest.fixture
def wordpress() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server of a WordPress feed of three pages (``?paged=2``, ``3``; 4 is a
    404, as WordPress answers): its feed's URL, and the paths it was asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            page = {"/feed/": 1, "/feed/?paged=2": 2, "/feed/?paged=3": 3}.get(self.path)
            body = WORDPRESS.format(n=page).encode() if page else b"not found"
            self.send_response(200 if page else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed/", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_wordpress_feed_by_url_is_read_until_its_pages_end(
    newsletter: Newsletter, wordpress: tuple[str, list[str]]
) -> None:
    url, asked = wordpress
    result = run(newsletter.root, "import", url)
    assert result.exit_code == 0, result.output  # the 404 after the last page is its end
    assert sorted(i.id for i in loaded(newsletter.root).values()) == [
        f"https://blog.example/?p={n}" for n in (1, 2, 3)
    ]
    assert asked == ["/feed/", "/feed/?paged=2", "/feed/?paged=3", "/feed/?paged=4"]


def test_round_trip_the_new_feed_keeps_the_old_ids(
    newsletter: Newsletter, http_server: tuple[str, Path]
) -> None:
    base_url, folder = http_server
    (folder / "feed.xml").write_text(RSS, encoding="utf-8")
    old = feedparser.parse((folder / "feed.xml").read_bytes())
    result = run(newsletter.root, "import", base_url + "feed.xml")
    assert result.exit_code == 0, result.output
    built = run(newsletter.root, "build")
    assert built.exit_code == 0, built.output
    new = feedparser.parse((newsletter.root / "site/feed.xml").read_bytes())
    assert sorted(e.id for e in new.entries) == sorted(e.id for e in old.entries)
    atom = feedparser.parse((newsletter.root / "site/atom.xml").read_bytes())
    assert sorted(e.id for e in atom.entries) == sorted(e.id for e in old.entries)
    # The old addresses lead to the new pages: redirect pages, planned like every file.
    assert "unknown" not in built.output, built.output
    moved = newsletter.root / "site/@wires/tokyo-morning-1a2b3c/index.html"  # Medium's address
    assert moved.is_file(), sorted(p.name for p in (newsletter.root / "site").iterdir())
    page = lxml.html.parse(str(moved))
    canonical = page.xpath("//link[@rel='canonical']/@href")
    assert canonical and canonical[0].startswith(load_config(newsletter.root).base_url)
    assert (newsletter.root / "site" / canonical[0].split("/")[-2] / "index.html").is_file()
    assert page.xpath("//meta[@http-equiv='refresh']/@content") == [f"0; url={canonical[0]}"]
    manifest = json.loads((newsletter.root / "site/publisher.json").read_text(encoding="utf-8"))
    assert "@wires/tokyo-morning-1a2b3c/index.html" in json.dumps(manifest)


# --- --download-images --------------------------------------------------------------------------


class ImageServer:
    """A real HTTP server of a few images that records what it is asked for."""

    def __init__(self, files: dict[str, bytes], huge: dict[str, int]) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                if self.path in huge:  # says its size, and would send that much
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(huge[self.path]))
                    self.end_headers()
                    return
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def serving(served: ImageServer) -> Iterator[ImageServer]:
    """Serve ``served`` in a thread while the test runs (a fixture's body)."""
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
def images_server() -> Iterator[ImageServer]:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, "PNG")
    files = {"/img/red.png": buffer.getvalue(), "/img/page.png": b"<html>Not found</html>"}
    yield from serving(ImageServer(files, {"/img/huge.png": 25_000_000}))


def test_download_images_saves_them_beside_the_issue(
    newsletter: Newsletter, tmp_path: Path, images_server: ImageServer
) -> None:
    url = images_server.url
    body = (
        f'<figure><img src="{url}/img/red.png" alt="A red square"><figcaption>Red. Photo: Me'
        f'</figcaption></figure><p><img src="{url}/img/huge.png" alt="Huge"></p>'
        f'<p><img src="{url}/img/missing.png" alt="Missing"></p>'
        f'<p><img src="{url}/img/page.png" alt="A page"></p>'
    )
    csv_text = (
        SUBSTACK_HEADER + "\n201.pics,2024-03-05T09:00:00.000Z,true,,,newsletter,everyone,Pics,,\n"
    )
    source = make_zip(tmp_path / "e.zip", {"posts.csv": csv_text, "posts/201.pics.html": body})
    result = run(newsletter.root, "import", str(source), "--download-images")
    assert result.exit_code == 0, result.output
    folder = newsletter.root / "issues/2024-03-05-pics"
    assert sorted(p.name for p in folder.iterdir()) == ["index.md", "red.png"]
    text = (folder / "index.md").read_text(encoding="utf-8")
    assert '![A red square](red.png "Red | Photo: Me")' in text
    assert f"![Huge]({url}/img/huge.png)" in text and f"![Missing]({url}/img/missing.png)" in text
    assert f"image {url}/img/huge.png stays remote: 25.0 MB, over the 20 MB cap" in result.output
    assert f"image {url}/img/missing.png stays remote: HTTP 404" in result.output
    assert (
        f"image {url}/img/page.png stays remote: not an image publisher can read (image/png)"
    ) in result.output
    assert images_server.requests.count("/img/red.png") == 1
    # Interrupted before the issue was written: the image already saved is not fetched again.
    (folder / "index.md").unlink()
    (newsletter.root / "imported.json").unlink()
    again = run(newsletter.root, "import", str(source), "--download-images")
    assert again.exit_code == 0, again.output
    assert images_server.requests.count("/img/red.png") == 1
    assert (folder / "index.md").read_text(encoding="utf-8") == text
    built = run(newsletter.root, "build")
    assert built.exit_code == 0, built.output


def test_no_network_without_a_url_or_download_images(
    newsletter: Newsletter, tmp_path: Path, images_server: ImageServer
) -> None:
    body = f'<p><img src="{images_server.url}/img/red.png" alt="Red"></p>'
    csv_text = (
        SUBSTACK_HEADER + "\n201.pics,2024-03-05T09:00:00.000Z,true,,,newsletter,everyone,Pics,,\n"
    )
    source = make_zip(tmp_path / "e.zip", {"posts.csv": csv_text, "posts/201.pics.html": body})
    serve_from(newsletter.root / "newsletter.toml", "https://news.example.org/")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    assert images_server.requests == []
    assert (newsletter.root / "issues/2024-03-05-pics.md").exists()


def test_older_substack_csv_and_a_title_over_two_lines(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    csv_text = (
        "post_id,post_date,is_published,email_sent_at,type,audience,title,subtitle,podcast_url\n"
        '301.old-style,2019-07-26T20:48:19.814Z,true,,newsletter,everyone,"A title\n'
        'over two lines",&#x201C;Quoted&#x201D;,\n'
    )
    source = make_zip(
        tmp_path / "e.zip", {"posts.csv": csv_text, "posts/301.old-style.html": "<p>Old.</p>"}
    )
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    text = (newsletter.root / "issues/2019-07-26-old-style.md").read_text(encoding="utf-8")
    assert 'title: "A title over two lines"\nsubtitle: "“Quoted”"\n' in text
    issue = loaded(newsletter.root)["2019-07-26-old-style.md"]
    assert (issue.title, issue.subtitle) == ("A title over two lines", "“Quoted”")
    assert issue.date == dt.datetime(2019, 7, 26, 20, 48, 19, tzinfo=dt.UTC)


# --- Findings of the review --------------------------------------------------------------------


def rss(items: str, link: str = "https://old.example/") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>T</title>'
        f"<link>{link}</link><description>d</description>{items}</channel></rss>\n"
    )


def test_feed_entries_without_guid_or_link_are_each_imported(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    items = "".join(
        f"<item><title>Item {n}</title><pubDate>Mon, 0{n} Jan 2024 10:00:00 +0000</pubDate>"
        f"<description>Body {n}.</description></item>"
        for n in (1, 2, 3)
    )
    source = tmp_path / "feed.xml"
    source.write_text(rss(items), encoding="utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    assert "imported 3 issues" in result.output
    assert len(loaded(newsletter.root)) == 3
    mapping = json.loads((newsletter.root / "imported.json").read_text(encoding="utf-8"))
    assert len(mapping) == 3 and all(r["key"] for r in mapping)
    again = run(newsletter.root, "import", str(source))
    assert "nothing to import: all 3 entries were imported before" in again.output


def test_a_post_whose_old_address_cannot_be_a_page_is_imported_without_redirect(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    items = "".join(
        f"<item><title>Item {n}</title><link>https://old.example{path}</link>"
        f"<guid>urn:item:{n}</guid><pubDate>Mon, 0{n} Jan 2024 10:00:00 +0000</pubDate>"
        f"<description>Body {n}.</description></item>"
        for n, path in ((1, "/story.php?id=5"), (2, "/.hidden/x/"))
    )
    source = tmp_path / "feed.xml"
    source.write_text(rss(items), encoding="utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    assert "imported 2 issues" in result.output
    for old in ("https://old.example/story.php", "https://old.example/.hidden/x/"):
        assert f"old address {old} cannot be a page of the new site: no redirect" in result.output
    issues = loaded(newsletter.root)
    assert len(issues) == 2 and all(not i.redirect_from for i in issues.values())
    assert run(newsletter.root, "build").exit_code == 0


def test_an_imported_slug_never_takes_an_existing_issues_or_the_sites_own(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    newsletter.issue("2025-07-15-welcome.md", title="Welcome")
    items = "".join(
        f"<item><title>{slug.title()}</title><link>https://old.example/{slug}/</link>"
        f"<guid>urn:item:{n}</guid><pubDate>Mon, 0{n} Jan 2024 10:00:00 +0000</pubDate>"
        f"<description>Body {n}.</description></item>"
        for n, slug in ((1, "welcome"), (2, "tags"), (3, "page"))
    )
    source = tmp_path / "feed.xml"
    source.write_text(rss(items), encoding="utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    slugs = sorted(i.slug for i in loaded(newsletter.root).values())
    assert slugs == ["page-2", "tags-2", "welcome", "welcome-2"]
    built = run(newsletter.root, "build")
    assert built.exit_code == 0, built.output


def test_an_imported_issue_moved_or_redated_is_not_imported_again(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    items = "".join(
        f"<item><title>Item {n}</title><link>https://old.example/item-{n}/</link>"
        f"<guid>urn:item:{n}</guid><pubDate>Mon, 0{n} Jan 2024 10:00:00 +0000</pubDate>"
        f"<description>Body {n}.</description></item>"
        for n in (1, 2)
    )
    source = tmp_path / "feed.xml"
    source.write_text(rss(items), encoding="utf-8")
    assert run(newsletter.root, "import", str(source)).exit_code == 0
    issues = newsletter.root / "issues"
    (issues / "2024-01-01-item-1").mkdir()
    (issues / "2024-01-01-item-1.md").rename(issues / "2024-01-01-item-1/index.md")
    (issues / "2024-01-02-item-2.md").rename(issues / "2024-02-20-item-2.md")
    before = tree(newsletter.root)
    again = run(newsletter.root, "import", str(source))
    assert again.exit_code == 0, again.output
    assert "nothing to import: all 2 entries were imported before" in again.output
    assert "unchanged: issues/2024-01-01-item-1/index.md (imported before)" in again.output
    assert "unchanged: issues/2024-02-20-item-2.md (imported before)" in again.output
    record = json.loads((newsletter.root / "imported.json").read_text(encoding="utf-8"))
    assert sorted(r["file"] for r in record) == [
        "issues/2024-01-01-item-1/index.md",  # the record follows the files
        "issues/2024-02-20-item-2.md",
    ]
    del before["imported.json"]
    assert {k: v for k, v in tree(newsletter.root).items() if k != "imported.json"} == before
    (newsletter.root / "imported.json").unlink()  # found by their ids alone
    third = run(newsletter.root, "import", str(source))
    assert "nothing to import: all 2 entries were imported before" in third.output
    assert len(loaded(newsletter.root)) == 2
    assert run(newsletter.root, "check").exit_code == 0


def test_a_file_in_the_way_is_kept_as_it_is_and_no_move_suggested(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    newsletter.issue("2024-03-05-wires.md", body="My own words.\n", title="Mine")
    result = run(newsletter.root, "import", str(substack_zip(tmp_path / "export.zip")))
    kept = next(line for line in result.output.splitlines() if line.startswith("kept:"))
    assert "move" not in kept and "kept as it is" in kept


#: Markdown that tries to get a script or a redirect past the cleaning of a Markdown body.
EVASIONS = (
    "<scr<script>x</script>ipt>alert(1)</script>",
    'Text <a href="jav&#x61;script:alert(1)">here</a>.',
    "[x](<javascript:alert(1)>)",
    "[y][ref]\n\n[ref]: javascript:alert(1)",
    "![z](JaVa&#x09;ScRiPt:alert(1))",
    "<JAVASCRIPT:alert(1)>",
    '<form action="https://evil.example/steal"><input name="card"></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "Inline <scr<b>ipt>alert(1)</scr<b>ipt> tag.",
    "> [q](jav&#x61;script:alert(1))",
)


def buttondown_markdown(path: Path, body: str) -> Path:
    emails = [
        {
            "id": "1",
            "subject": "Plain",
            "publish_date": "2024-02-08 08:00:00+00:00",
            "slug": "plain",
            "status": "sent",
        }
    ]
    return make_zip(
        path,
        {
            "emails.json": json.dumps(emails),
            "emails/plain.md": f"<!-- buttondown-editor-mode: plaintext -->\n{body}",
        },
    )


@pytest.mark.parametrize("evasion", EVASIONS)
def test_no_script_gets_through_a_markdown_body(
    newsletter: Newsletter, tmp_path: Path, evasion: str
) -> None:
    body = f"Before, *kept*: [a link](https://example.org/).\n\n{evasion}\n\nAfter.\n"
    result = run(newsletter.root, "import", str(buttondown_markdown(tmp_path / "b.zip", body)))
    assert result.exit_code == 0, result.output
    text = (newsletter.root / "issues/2024-02-08-plain.md").read_text(encoding="utf-8")
    assert "Before, *kept*: [a link](https://example.org/)." in text and "After." in text
    if "<b>" not in evasion:  # (that one's tags are all kept: <b> and text)
        assert "script link (" in result.output or "unsafe HTML (" in result.output
    decoded = " ".join(html.unescape(text).split()).lower().replace(" ", "")
    for gone in ("<script", "javascript:", "<form", "<meta", "evil.example", "<input"):
        assert gone not in decoded, text
    built = run(newsletter.root, "build")
    assert built.exit_code == 0, built.output
    page = (newsletter.root / "site/plain/index.html").read_text(encoding="utf-8").lower()
    assert "javascript:" not in page and "<form" not in page and "evil.example" not in page


def test_text_of_an_html_body_that_reads_as_markdown_stays_text(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    literal = (
        "[click](javascript:alert(1))",
        "# Not a heading",
        "1. not a list",
        "::: note",
        "> not a quote",
    )
    body = "<p>Intro.</p>" + "".join(f"<p>{html.escape(t)}</p>" for t in literal)
    csv_text = SUBSTACK_HEADER + "\n201.text,2024-03-05T09:00:00.000Z,true,,,newsletter,e,T,,\n"
    source = make_zip(tmp_path / "e.zip", {"posts.csv": csv_text, "posts/201.text.html": body})
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    built = run(newsletter.root, "build")
    assert built.exit_code == 0, built.output
    page = lxml.html.parse(str(newsletter.root / "site/text/index.html"))
    article = page.xpath("//*[p[normalize-space()='Intro.']]")[0]
    paragraphs = [" ".join(p.text_content().split()) for p in article.xpath("./p")]
    assert paragraphs == ["Intro.", *literal]
    assert not article.xpath(".//a | .//h1 | .//ol | .//blockquote | .//aside | .//div")


def test_template_tags_in_code_are_kept(newsletter: Newsletter, tmp_path: Path) -> None:
    code = "```jinja\n{% for x in xs %}\n\n{{ x }}\n{% endfor %}\n```"
    body = f"Use `{{{{ name }}}}` in Jinja.\n\n{code}\n\n{{{{ subscribe_form }}}}\n\nEnd.\n"
    result = run(newsletter.root, "import", str(buttondown_markdown(tmp_path / "b.zip", body)))
    assert result.exit_code == 0, result.output
    text = loaded(newsletter.root)["2024-02-08-plain.md"].body
    assert "Use `{{ name }}` in Jinja." in text
    assert code in text
    assert "subscribe_form" not in text and "End." in text
    assert "template tag (1)" in result.output


def test_template_tags_in_the_code_of_an_html_body_are_kept(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    body = "<p><code>{{ name }}</code></p><p>{{ a }} and {{ b }}</p><p>{{ subscribe_form }}</p>"
    csv_text = SUBSTACK_HEADER + "\n201.tmpl,2024-03-05T09:00:00.000Z,true,,,newsletter,e,T,,\n"
    source = make_zip(tmp_path / "e.zip", {"posts.csv": csv_text, "posts/201.tmpl.html": body})
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    text = loaded(newsletter.root)["2024-03-05-tmpl.md"].body
    assert "`{{ name }}`" in text and "\\{\\{ a \\}\\} and \\{\\{ b \\}\\}" in text
    assert "subscribe_form" not in text


@pytest.fixture
def two_images() -> Iterator[ImageServer]:
    from PIL import Image

    files = {}
    for path, colour in (("/img/a.png", (200, 0, 0)), ("/img/a.png?w=2", (0, 0, 200))):
        buffer = io.BytesIO()
        Image.new("RGB", (20, 20), colour).save(buffer, "PNG")
        files[path] = buffer.getvalue()
    yield from serving(ImageServer(files, {}))


def test_downloaded_images_whose_addresses_share_a_start_each_get_their_file(
    newsletter: Newsletter, tmp_path: Path, two_images: ImageServer
) -> None:
    url = two_images.url
    body = (
        f'<p><img src="{url}/img/a.png" alt="A"></p><p><img src="{url}/img/a.png?w=2" alt="B"></p>'
    )
    csv_text = SUBSTACK_HEADER + "\n201.pics,2024-03-05T09:00:00.000Z,true,,,newsletter,e,T,,\n"
    source = make_zip(tmp_path / "e.zip", {"posts.csv": csv_text, "posts/201.pics.html": body})
    result = run(newsletter.root, "import", str(source), "--download-images")
    assert result.exit_code == 0, result.output
    text = (newsletter.root / "issues/2024-03-05-pics/index.md").read_text(encoding="utf-8")
    assert "![A](a.png)" in text and "![B](a-2.png)" in text


def test_an_image_address_httpx_refuses_stays_remote_and_the_record_is_saved(
    newsletter: Newsletter, tmp_path: Path, images_server: ImageServer
) -> None:
    url = images_server.url
    body = f"![Red]({url}/img/red.png)\n\n![Bad](http://[::1/x.png)\n"
    source = buttondown_markdown(tmp_path / "b.zip", body)
    result = run(newsletter.root, "import", str(source), "--download-images")
    assert result.exit_code == 0, result.output
    assert "image http://[::1/x.png stays remote: " in result.output
    text = (newsletter.root / "issues/2024-02-08-plain/index.md").read_text(encoding="utf-8")
    assert "![Red](red.png)" in text and "![Bad](http://[::1/x.png)" in text
    record = json.loads((newsletter.root / "imported.json").read_text(encoding="utf-8"))
    assert [r["file"] for r in record] == ["issues/2024-02-08-plain/index.md"]


def test_the_record_is_saved_when_a_later_entry_fails(
    newsletter: Newsletter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.importer import images

    calls: list[str] = []

    def failing(urls: list[str], folder: Path) -> tuple[dict[str, str], dict[str, str]]:
        calls.append(folder.name)
        if len(calls) == 2:
            raise RuntimeError("the disk is gone")
        return {}, {u: "not fetched here" for u in urls}

    monkeypatch.setattr(images, "download", failing)
    rows = "".join(
        f"20{n}.p{n},2024-03-0{n}T09:00:00.000Z,true,,,newsletter,e,T{n},,\n" for n in (1, 2)
    )
    files = {f"posts/20{n}.p{n}.html": f'<img src="https://x.example/{n}.png">' for n in (1, 2)}
    source = make_zip(tmp_path / "e.zip", {"posts.csv": SUBSTACK_HEADER + "\n" + rows, **files})
    with pytest.raises(RuntimeError):
        run(newsletter.root, "import", str(source), "--download-images")
    record = json.loads((newsletter.root / "imported.json").read_text(encoding="utf-8"))
    assert [r["file"] for r in record] == ["issues/2024-03-01-p1/index.md"]


def ghost_post(**fields: Any) -> dict[str, Any]:
    return {
        "type": "post",
        "id": "6500000000000000000000b1",
        "title": "Placeholders",
        "slug": "placeholders",
        "status": "published",
        "published_at": "2024-01-10T12:00:00.000Z",
        **fields,
    }


def test_ghosts_url_placeholder_becomes_the_old_sites_address(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    post = ghost_post(
        html='<p><img src="__GHOST_URL__/content/images/a.jpg" alt="A">'
        '<a href="__GHOST_URL__/other/">other</a></p>',
        feature_image="__GHOST_URL__/content/images/f.jpg",
        feature_image_caption='By <a href="__GHOST_URL__/author/">me</a>',
    )
    source = tmp_path / "ghost.json"
    source.write_text(json.dumps(ghost_export([post])), encoding="utf-8")
    without = run(newsletter.root, "import", str(source))
    assert without.exit_code == 1
    assert "posts[0] (post placeholders)" in without.stderr
    assert "--old-site https://your-ghost-site" in without.stderr
    result = run(newsletter.root, "import", str(source), "--old-site", "https://old.example/gp")
    assert result.exit_code == 0, result.output
    body = loaded(newsletter.root)["2024-01-10-placeholders.md"].body
    assert "__GHOST_URL__" not in body
    assert '![](https://old.example/gp/content/images/f.jpg "By me")' in body
    assert "![A](https://old.example/gp/content/images/a.jpg)" in body
    assert "[other](https://old.example/gp/other/)" in body


def test_a_ghost_feature_image_cannot_add_attributes(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    post = ghost_post(
        html="<p>Body.</p>",
        feature_image='https://old.example/f.jpg" onerror="alert(1)',
        feature_image_alt='A "quoted" <b>alt</b>',
        feature_image_caption="<i>Caption</i> <script>alert(2)</script>",
    )
    source = tmp_path / "ghost.json"
    source.write_text(json.dumps(ghost_export([post])), encoding="utf-8")
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 0, result.output
    body = loaded(newsletter.root)["2024-01-10-placeholders.md"].body
    assert "onerror" not in body.replace("%22%20onerror", "") and "alert(" not in body
    image = (
        '![A "quoted" <b>alt</b>](https://old.example/f.jpg%22%20onerror=%22alert%281%29 "Caption")'
    )
    assert body.strip().startswith(image)


def test_an_export_index_over_the_cap_is_refused_before_it_is_read(
    newsletter: Newsletter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.importer import entry

    monkeypatch.setattr(entry, "MAX_INDEX_BYTES", 1000, raising=False)
    emails = [
        {
            "id": str(n),
            "subject": "S",
            "publish_date": "2024-02-08 08:00:00+00:00",
            "slug": f"s{n}",
            "status": "sent",
            "body": "x" * 100,
        }
        for n in range(20)
    ]
    zipped = make_zip(tmp_path / "b.zip", {"emails.json": json.dumps(emails)})
    result = run(newsletter.root, "import", str(zipped))
    assert result.exit_code == 1
    assert "emails.json: " in result.stderr and "over the 1 KB cap" in result.stderr
    ghost = tmp_path / "ghost.json"
    ghost.write_text(json.dumps(ghost_export([ghost_post(html="<p>" + "x" * 2000 + "</p>")])))
    result = run(newsletter.root, "import", str(ghost))
    assert result.exit_code == 1
    assert "ghost.json" in result.stderr and "over the 1 KB cap" in result.stderr
    feed_file = tmp_path / "feed.xml"
    items = "<item><title>T</title><guid>g</guid><description>" + "x" * 2000 + "</description>"
    feed_file.write_text(rss(items + "<pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate></item>"))
    result = run(newsletter.root, "import", str(feed_file))
    assert result.exit_code == 1
    assert "feed.xml" in result.stderr and "over the 1 KB cap" in result.stderr
    assert list((newsletter.root / "issues").iterdir()) == []


def test_a_feed_by_url_over_the_cap_is_refused(
    newsletter: Newsletter, http_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.importer import entry

    monkeypatch.setattr(entry, "MAX_INDEX_BYTES", 1000, raising=False)
    base_url, folder = http_server
    item = "<item><title>T</title><guid>g</guid><description>" + "x" * 5000
    item += "</description><pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate></item>"
    (folder / "feed.xml").write_text(rss(item), encoding="utf-8")
    result = run(newsletter.root, "import", base_url + "feed.xml")
    assert result.exit_code == 1
    assert (
        f"{base_url}feed.xml: cannot be read (the feed is 5 KB, over the 1 KB cap)" in result.stderr
    )


def test_a_csv_field_over_the_limit_is_an_error_naming_its_row(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    huge = ["109.huge-title", "2024-06-01T09:00:00.000Z", "true", "", "", "newsletter", "e"]
    huge += ["x" * 140_000, "", ""]
    source = substack_zip(tmp_path / "export.zip", (huge,))
    result = run(newsletter.root, "import", str(source))
    assert result.exit_code == 1
    assert "posts.csv:7: cannot be read (field larger than field limit" in result.stderr
    assert (newsletter.root / "issues/2024-03-05-wires.md").exists()
    button = make_zip(
        tmp_path / "b.zip",
        {"emails.csv": "id,subject,publish_date,slug,status\n1," + "x" * 140_000 + ",,s,sent\n"},
    )
    result = run(newsletter.root, "import", str(button))
    assert result.exit_code == 1
    assert "emails.csv:2: cannot be read (field larger than field limit" in result.stderr


def test_an_address_that_is_no_address_in_an_html_body_is_dropped(
    newsletter: Newsletter, tmp_path: Path
) -> None:
    body = (
        '<p>A <a href="http://[::1/page">link</a>.</p><p><img src="http://[::1/x.png" alt="X"></p>'
    )
    csv_text = SUBSTACK_HEADER + "\n201.bad,2024-03-05T09:00:00.000Z,true,,,newsletter,e,T,,\n"
    source = make_zip(tmp_path / "e.zip", {"posts.csv": csv_text, "posts/201.bad.html": body})
    result = run(newsletter.root, "import", str(source), "--old-site", "https://w.example/")
    assert result.exit_code == 0, result.output
    text = loaded(newsletter.root)["2024-03-05-bad.md"].body
    assert "[::1" not in text and "A link." in text
    assert "bad address (2)" in result.output
