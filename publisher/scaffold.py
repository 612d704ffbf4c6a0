"""``publisher init`` and ``publisher new``: lay out a folder or an issue, never overwriting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from publisher.config import SETTINGS_FILE, load_config, settings_template
from publisher.config.addresses import MAX_SLUG, slug_problem
from publisher.errors import PublisherError
from publisher.model.issue import FOLDER_INDEX, ISSUES_DIR, is_valid_slug, title_slug
from publisher.render.context import PageContext, TemplateContext
from publisher.render.theme import TEMPLATES_DIR, Theme, default_theme_dir
from publisher.workflow import WORKFLOW, installed_from, write_workflow

WELCOME = """\
---
title: Welcome to {name}
subtitle: What this newsletter is, and what to expect from it
date: {date}
summary: A first issue to show how a newsletter is written with publisher.
tags: [meta]
---

This is your first issue, so that your first `publisher build` shows a site. Edit it, or
delete this file once your own first issue is written (`publisher new "Title"`).

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


def init(
    target: Path,
    name: str | None = None,
    with_theme: bool = False,
    email: str | None = None,
    github_pages: bool = False,
    install: str | None = None,
) -> list[Path]:
    """Create settings and a sample issue in ``target``, and with ``github_pages`` a workflow
    that publishes the site (installing publisher from ``install``); return the paths written.

    In a newsletter folder already made, ``github_pages`` adds only the workflow.
    """
    target = target.resolve()
    spec = (install or installed_from()) if github_pages else ""
    if github_pages and (target / SETTINGS_FILE).exists():
        return [write_workflow(target, spec)]
    name = name or target.name.replace("-", " ").replace("_", " ").title() or "My Newsletter"
    today = dt.date.today().isoformat()
    files: dict[Path, str] = {
        target / SETTINGS_FILE: settings_template(
            name=name,
            base_url="https://example.com/",
            **({"author.email": email} if email else {}),
        ),
        target / ISSUES_DIR / f"{today}-welcome.md": WELCOME.format(name=name, date=today),
    }
    gitignore = target / ".gitignore"
    if not gitignore.exists():  # an existing one is the author's: leave it be
        files[gitignore] = "site/\n.site.*\n.publisher-cache/\n"
    checked = [*files, target / WORKFLOW] if github_pages else list(files)
    existing = [p for p in checked if p.exists()]
    if existing:
        raise PublisherError.at(
            "refusing to overwrite " + ", ".join(str(p) for p in existing),
            hint="run `publisher init` in an empty folder, or move those files away first",
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    written = list(files)
    if github_pages:
        written.append(write_workflow(target, spec))
    if with_theme:
        written += copy_theme(target)[0]
    return written


def theme_files() -> dict[str, Path]:
    """Return every file of the bundled theme, by its path inside the theme."""
    source = default_theme_dir()
    return {
        p.relative_to(source).as_posix(): p
        for p in sorted(source.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def copy_theme(root: Path, names: Sequence[str] = ()) -> tuple[list[Path], list[Path]]:
    """Copy the bundled theme (or the templates ``names``) into ``root/templates/``, never
    overwriting; return (files copied, files of the folder's own that were kept)."""
    available = theme_files()
    unknown = [n for n in names if n not in available]
    if unknown:
        raise PublisherError.at(
            f"no template {', '.join(repr(n) for n in unknown)} in the bundled theme",
            hint="choose among: " + ", ".join(n for n in available if "/" not in n),
        )
    copied, kept = [], []
    for name in names or list(available):
        target = root / TEMPLATES_DIR / name
        if target.exists():
            kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(available[name], target)
        copied.append(target)
    return copied, kept


def theme_listing(root: Path) -> list[str]:
    """Describe each template: whether the folder overrides it, its blocks and its context."""
    theme = Theme(root)
    contexts = {
        "email": ("TemplateContext", [f.name for f in dataclasses.fields(TemplateContext)]),
        "page": ("PageContext", [f.name for f in dataclasses.fields(PageContext)]),
        "style": ("the stylesheet's", ["newsletter", "rtl"]),
    }
    lines = [f"bundled theme: {default_theme_dir()}", ""]
    names = sorted(
        {n for n in theme_files() if n.endswith(".j2")}
        | {p.name for p in (root / TEMPLATES_DIR).glob("*.j2")}
    )
    for name in names:
        own = (root / TEMPLATES_DIR / name).is_file()
        kind = (
            "email"
            if name.startswith("email.")
            else "style"
            if name.startswith("style.")
            else "page"
        )
        blocks = sorted(theme.blocks_of(name, set()) or set())
        label, fields = contexts[kind]
        lines.append(
            f"{name:<16} {'yours' if own else 'bundled':<8} blocks: {', '.join(blocks) or '-'}"
        )
        lines.append(f"{'':<25} context: {label} ({', '.join(fields)}), and _() for words")
    return lines


SKELETON = """\
---
title: {title}
subtitle: ""
date: {date}
summary: ""
tags: [{tags}]
draft: true
---

Write the opening paragraph here: it is what readers see first.

## The first section

- A point
- Another point

Sources: where the facts come from.
"""


def new_issue(
    root: Path,
    title: str,
    date: dt.date | None = None,
    slug: str | None = None,
    tags: Sequence[str] = (),
    folder: bool = False,
) -> Path:
    """Write a draft issue with a skeleton body; return its path. Never overwrites."""
    config = load_config(root)
    date = date or dt.datetime.now(config.tz).date()
    if slug is not None:
        why = slug_problem(slug)
        if why is not None:
            raise PublisherError.at(
                f"the slug {slug!r} cannot be a web address: it {why}",
                hint='use letters, digits and hyphens, e.g. --slug "grain-corridor"',
            )
    slug = slug or short_slug(title_slug(title))
    if not slug or not is_valid_slug(slug):
        raise PublisherError.at(
            f"cannot make a URL slug from {title!r}",
            hint='give one with --slug, e.g. --slug "grain-corridor"',
        )
    name = f"{date.isoformat()}-{slug}"
    issues = root / ISSUES_DIR
    path = issues / name / FOLDER_INDEX if folder else issues / f"{name}.md"
    clashes = [p for p in (issues / name, issues / f"{name}.md") if p.exists()]
    if clashes:
        raise PublisherError.at(
            f"refusing to overwrite {clashes[0]}",
            hint="pick another title or --slug, or edit the existing issue",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    text = SKELETON.format(
        title=_yaml_string(title),
        date=date.isoformat(),
        tags=", ".join(_yaml_string(t) for t in tags),
    )
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write(text)
    return path


def short_slug(slug: str, limit: int = MAX_SLUG) -> str:
    """Cut a slug at the last word boundary that keeps it within ``limit`` characters."""
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1].rsplit("-", 1)[0]
    return (cut if cut else slug[:limit]).strip("-")


def _yaml_string(value: str) -> str:
    """Quote a value for YAML front matter (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)
