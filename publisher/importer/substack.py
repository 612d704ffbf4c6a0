"""Substack's export: a zip of ``posts.csv`` and ``posts/<id>.<slug>.html`` bodies.

Its other files (``*.delivers.csv``, ``*.opens.csv``, ``email_list*.csv``) hold readers'
personal data: they are never opened.
"""

from __future__ import annotations

import zipfile
from html import escape
from pathlib import Path

from publisher.importer.entry import (
    MAX_BODY_BYTES,
    Batch,
    Entry,
    TooBig,
    csv_rows,
    one_line,
    parse_date,
    read_member,
    site_url,
)
from publisher.importer.html import Dropped, to_markdown

SKIPPED_TYPES = {"page": "a page", "thread": "a discussion thread"}


def find_csv(names: list[str]) -> str | None:
    """Return the zip's ``posts.csv``, at its root or one folder down."""
    found = [
        n for n in names if n == "posts.csv" or (n.count("/") == 1 and n.endswith("/posts.csv"))
    ]
    return min(found, key=len) if found else None


def read(source: Path, old_site: str = "") -> Batch:
    """Read a Substack export zip."""
    batch = Batch(source)
    base = site_url(old_site)
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        csv_name = find_csv(names)
        if csv_name is None:
            batch.fail("posts.csv", "not in the zip", "give the zip Substack's export made")
            return batch
        prefix = csv_name.removesuffix("posts.csv")
        bodies = {n for n in names if n.startswith(prefix + "posts/") and n.endswith(".html")}
        used: set[str] = set()
        hint = "export again from Substack (a field of over 128 KB is no export's)"
        for where, row in csv_rows(archive, csv_name, batch, hint):
            found = _post_files(where, row, prefix, batch)
            if found is None:
                continue
            where, slug, name = found
            used.add(name)
            if name not in bodies:
                batch.fail(
                    where,
                    f"no {name} in the export",
                    "export again from Substack (its newest posts sometimes miss their file)",
                )
                continue
            entry = _entry(archive, name, slug, where, row, base, batch)
            if entry is not None:
                batch.entries.append(entry)
        for name in sorted(bodies - used):
            batch.notes.append(f"{name}: skipped, no row of posts.csv names it")
    return batch


def _post_files(
    where: str, row: dict[str, str | None], prefix: str, batch: Batch
) -> tuple[str, str, str] | None:
    """Return where a row of ``posts.csv`` is (its post id added), its slug and its body's
    file; None when the row is skipped or has no usable post id (the batch says which)."""
    post_id = (row.get("post_id") or "").strip()
    if "." not in post_id:
        batch.fail(where, f"post_id {post_id!r} is not <number>.<slug>", "export again")
        return None
    where += f" (post {post_id})"
    kind = (row.get("type") or "newsletter").strip().lower()
    if kind in SKIPPED_TYPES:
        batch.notes.append(f"{where}: skipped, {SKIPPED_TYPES[kind]}")
        return None
    return where, post_id.split(".", 1)[1], f"{prefix}posts/{post_id}.html"


def _entry(
    archive: zipfile.ZipFile,
    name: str,
    slug: str,
    where: str,
    row: dict[str, str | None],
    base: str,
    batch: Batch,
) -> Entry | None:
    """Return one post as an Entry, its body read from the zip's file ``name``; None when it
    cannot be read (the batch says why)."""
    title = one_line(row.get("title"))
    date = parse_date(row.get("post_date")) or parse_date(row.get("email_sent_at"))
    if not title or date is None:
        what = "no title" if not title else f"no usable post_date {row.get('post_date')!r}"
        batch.fail(where, f"has {what}", "give it one in Substack and export again")
        return None
    dropped: Dropped = Dropped()
    url = f"{base}p/{slug}" if base else f"/p/{slug}/"
    try:
        html = read_member(archive, name, MAX_BODY_BYTES).decode("utf-8")
    except TooBig as exc:
        batch.fail(where, str(exc), "split the post, or leave it out")
        return None
    except UnicodeDecodeError:
        batch.fail(where, f"{name} is not UTF-8 text", "export again")
        return None
    audio = (row.get("podcast_url") or "").strip()
    if audio.startswith(("https://", "http://")):  # a podcast's episode, as a link
        html = f'<p><a href="{escape(audio)}">Listen to the episode</a></p>' + html
    return Entry(
        where=where,
        title=title,
        date=date,
        slug=slug,
        body=to_markdown(html, url if base else "", dropped),
        subtitle=one_line(row.get("subtitle")),
        draft=(row.get("is_published") or "").strip().lower() != "true",
        old_id=url if base else "",
        old_url=url,
        dropped=dropped,
    )
