"""Buttondown's export: a zip of ``emails.json`` (or ``emails.csv``) and ``emails/<slug>.md``.

A body starting ``<!-- buttondown-editor-mode: fancy -->`` is HTML; any other is Markdown.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

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
    summary_of,
)
from publisher.importer.html import Dropped, to_markdown
from publisher.importer.markdown import clean_markdown

MODE = re.compile(r"^\s*<!--\s*buttondown-editor-mode:\s*(\w+)\s*-->\s*", re.I)
SKIPPED_STATUSES = {"deleted", "errored"}


def _rows(archive: zipfile.ZipFile, names: list[str], batch: Batch) -> list[tuple[str, Any]]:
    if "emails.json" in names:
        try:
            data = json.loads(read_member(archive, "emails.json").decode("utf-8"))
        except TooBig as exc:
            batch.fail("emails.json", str(exc), "export again from Buttondown, or ask its support")
            return []
        except (ValueError, UnicodeDecodeError) as exc:
            batch.fail("emails.json", f"is not JSON ({exc})", "export again from Buttondown")
            return []
        if not isinstance(data, list):
            batch.fail("emails.json", "is not a list of emails", "export again from Buttondown")
            return []
        return [(f"emails.json[{i}]", row) for i, row in enumerate(data)]
    hint = "export again from Buttondown (a field of over 128 KB is no export's)"
    return list(csv_rows(archive, "emails.csv", batch, hint))


def read(source: Path, old_site: str = "") -> Batch:
    """Read a Buttondown export zip."""
    batch = Batch(source)
    base = site_url(old_site)
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        for where, row in _rows(archive, names, batch):
            if not isinstance(row, dict):
                batch.fail(where, "is not an email (an object)", "export again from Buttondown")
                continue
            slug = str(row.get("slug") or "").strip()
            where += f" (email {slug or row.get('id', '?')})"
            status = str(row.get("status") or "sent").strip().lower()
            if status in SKIPPED_STATUSES:
                batch.notes.append(f"{where}: skipped, its status is {status}")
                continue
            title = one_line(str(row.get("subject") or ""))
            date = parse_date(str(row.get("publish_date") or "")) or parse_date(
                str(row.get("creation_date") or "")
            )
            if not slug or not title or date is None:
                missing = "slug" if not slug else "subject" if not title else "publish_date"
                batch.fail(where, f"has no {missing}", "give it one in Buttondown, export again")
                continue
            name = f"emails/{slug}.md"
            if name in names:
                try:
                    raw = read_member(archive, name, MAX_BODY_BYTES).decode("utf-8", "replace")
                except TooBig as exc:
                    batch.fail(where, str(exc), "split the email, or leave it out")
                    continue
            elif isinstance(row.get("body"), str):
                raw = row["body"]
            else:
                batch.fail(where, f"no {name} in the export", "export again from Buttondown")
                continue
            url = f"{base}archive/{slug}/" if base else f"/archive/{slug}/"
            dropped: Dropped = Dropped()
            mode = MODE.match(raw)
            text = raw[mode.end() :] if mode else raw
            fancy = mode.group(1).lower() == "fancy" if mode else text.lstrip().startswith("<")
            body = (
                to_markdown(text, url if base else "", dropped)
                if fancy
                else (clean_markdown(text, dropped))
            )
            batch.entries.append(
                Entry(
                    where=where,
                    title=title,
                    date=date,
                    slug=slug,
                    body=body,
                    summary=summary_of(str(row.get("description") or "")),
                    draft=status == "draft",
                    old_id=url if base else "",
                    old_url=url,
                    dropped=dropped,
                )
            )
    return batch
