"""``publisher init``: lay out a new newsletter folder without overwriting anything."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from publisher.config import SETTINGS_FILE, settings_template
from publisher.errors import PublisherError
from publisher.issue import ISSUES_DIR
from publisher.theme import TEMPLATES_DIR, default_theme_dir

WELCOME = """\
---
title: Welcome to {name}
subtitle: What this newsletter is, and what to expect from it
date: {date}
summary: A first issue to show how a newsletter is written with publisher.
tags: [meta]
draft: true
---

This is your first issue. Edit it, or add another file beside it in `issues/`.

## How an issue is written

Each issue is a Markdown file in `issues/`. The front matter above holds its title,
date and summary. Below it, write as you would anywhere else:

- **bold**, *italic*, ~~struck~~ and [links](https://commonmark.org/help/);
- images, whose title becomes the caption, with the credit after a vertical bar;
- footnotes, which become endnotes in the email.[^1]

> A block quote becomes a pull quote.

Sources: your own notes.

[^1]: Like this one.
"""


def init(target: Path, name: str | None = None, with_theme: bool = False) -> list[Path]:
    """Create settings and a sample issue in ``target``; return the paths written."""
    target = target.resolve()
    name = name or target.name.replace("-", " ").replace("_", " ").title() or "My Newsletter"
    today = dt.date.today().isoformat()
    files: dict[Path, str] = {
        target / SETTINGS_FILE: settings_template(name=name, base_url="https://example.com/"),
        target / ISSUES_DIR / f"{today}-welcome.md": WELCOME.format(name=name, date=today),
    }
    gitignore = target / ".gitignore"
    if not gitignore.exists():  # an existing one is the author's: leave it be
        files[gitignore] = "site/\n.site.*\n.publisher-cache/\n"
    theme_target = target / TEMPLATES_DIR
    existing = [p for p in files if p.exists()]
    if with_theme and theme_target.exists():
        existing.append(theme_target)
    if existing:
        raise PublisherError.at(
            "refusing to overwrite " + ", ".join(str(p) for p in existing),
            hint="run `publisher init` in an empty folder, or move those files away first",
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    written = list(files)
    if with_theme:
        shutil.copytree(default_theme_dir(), theme_target)
        written.append(theme_target)
    return written
