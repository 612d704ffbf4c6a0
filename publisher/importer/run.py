"""``publisher import SOURCE``: an export's posts into issue files, never overwriting one.

Each entry becomes ``issues/<date>-<slug>.md`` (or, with its images downloaded, a folder with
``index.md`` and the images), checked by loading it back with the real loader before it is
written. ``imported.json``, at the newsletter's root, maps each old address and feed id to its
file: a second import of the same export finds every entry there and changes nothing.
"""

from __future__ import annotations

import json
import unicodedata
import zipfile
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher.config import Config, load_config
from publisher.config.addresses import MAX_SLUG
from publisher.config.place import Invalid
from publisher.errors import Problem, PublisherError, collecting
from publisher.importer import buttondown, feed, ghost, images, substack
from publisher.importer.entry import Batch, Entry
from publisher.importer.markdown import remote_images
from publisher.model import redirects
from publisher.model.issue import (
    FOLDER_INDEX,
    ISSUES_DIR,
    is_valid_slug,
    load_folder,
    parse_issue,
    title_slug,
)
from publisher.site.plan import SITE_NAMES

MAPPING_FILE = "imported.json"
FORMATS = ("substack", "buttondown", "ghost", "feed")


@dataclass
class Report:
    """What an import did, entry by entry."""

    lines: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    written: int = 0
    unchanged: int = 0
    kept: int = 0

    def summary(self, dry_run: bool) -> str:
        """Return the closing line."""
        if not self.written and not self.kept and not self.problems and self.unchanged:
            return f"nothing to import: all {self.unchanged} entries were imported before"
        verb = "would import" if dry_run else "imported"
        parts = [f"{verb} {self.written} {'issue' if self.written == 1 else 'issues'}"]
        if self.unchanged:
            parts.append(f"{self.unchanged} imported before")
        if self.kept:
            parts.append(f"{self.kept} kept (a file of that name exists)")
        if self.problems:
            parts.append(f"{len(self.problems)} could not be imported")
        return ", ".join(parts)


def detect(source: str) -> str:
    """Return the format of ``source``: a URL or an XML file is a feed, a zip is Substack's or
    Buttondown's by what it holds, a JSON file with ``db`` is Ghost's."""
    if is_url(source):
        return "feed"
    path = Path(source)
    if not path.is_file():
        raise PublisherError.at(f"no file {source}", hint="give an export file or a feed URL")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if substack.find_csv(names):
            return "substack"
        if "emails.csv" in names or "emails.json" in names:
            return "buttondown"
        raise PublisherError.at(
            "this zip is neither Substack's export (posts.csv) nor Buttondown's (emails.csv)",
            path,
            hint="give the zip as the service made it, or name its format with --format",
        )
    with path.open("rb") as handle:  # (its first bytes only: the export may be large)
        head = handle.read(4096)
    if feed.is_feed(head):
        return "feed"
    if head.lstrip().startswith(b"{"):
        return "ghost"
    raise PublisherError.at(
        "cannot tell what export this is",
        path,
        hint="give --format substack, buttondown, ghost or feed",
    )


def is_url(source: str) -> bool:
    """Return whether ``source`` is an http(s) address."""
    return urlsplit(source).scheme in ("http", "https")


def read(source: str, fmt: str, old_site: str) -> Batch:
    """Read an export in format ``fmt``."""
    if fmt == "feed":
        return feed.read(source, is_url(source))
    if is_url(source):
        raise PublisherError.at(
            f"a {fmt} export is a file, not an address", hint="download it, then give its path"
        )
    path = Path(source)
    try:
        if fmt == "substack":
            return substack.read(path, old_site)
        if fmt == "buttondown":
            return buttondown.read(path, old_site)
        return ghost.read(path, old_site)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise PublisherError.at(
            f"cannot read the {fmt} export: {exc}", path, hint=f"give the file {fmt} made"
        ) from exc


def run(
    root: Path,
    source: str,
    fmt: str | None = None,
    dry_run: bool = False,
    download_images: bool = False,
    old_site: str = "",
    echo: Callable[[str], None] = lambda line: None,
    old_feed: str = "",
) -> Report:
    """Import ``source`` into ``root``'s issues; return what was done. With ``old_feed`` (the
    old site's feed, a URL or a file), each post it holds takes its id there as its feed id."""
    config = load_config(root)
    batch = read(source, fmt or detect(source), old_site)
    if old_feed:
        feed.take_ids(old_feed, is_url(old_feed), batch, echo)
    mapping_path = root / MAPPING_FILE
    known = {_record_key(r): r for r in _load_mapping(mapping_path)}
    importer = _Import(root, config, batch, known, dry_run, download_images, echo)
    try:
        for entry in sorted(batch.entries, key=lambda e: (e.date, e.slug, e.old_id)):
            importer.entry(entry)
        for note in batch.notes:
            echo(note)
    finally:  # what was written is recorded, even when an entry failed half-way
        if not dry_run:
            _save_mapping(mapping_path, list(known.values()))
    return importer.report


class _Import:
    """One import's state: the issues already there, the slugs taken, the record so far."""

    def __init__(
        self,
        root: Path,
        config: Config,
        batch: Batch,
        known: dict[str, dict[str, Any]],
        dry_run: bool,
        download_images: bool,
        echo: Callable[[str], None],
    ) -> None:
        self.root, self.config, self.batch, self.known = root, config, batch, known
        self.dry_run, self.download_images, self.echo = dry_run, download_images, echo
        self.report = Report(problems=list(batch.problems))
        self.issues = root / ISSUES_DIR
        existing = load_folder(root, config).issues
        # The slugs an imported issue may not take: its neighbours', and the site's own names.
        self.taken = {_fold(i.slug) for i in existing} | {_fold(n) for n in SITE_NAMES}
        self.by_id = {i.id: i.source for i in existing}
        self.by_redirect = {page: i.source for i in existing for page in i.redirect_from}
        self.planned: set[str] = set()

    def entry(self, entry: Entry) -> None:
        """Import one entry: find it imported before, or place it, check it and write it."""
        key = _key(entry)
        if self._imported_before(entry, key):
            return
        day = entry.date.date().isoformat()
        slug = _slug(entry)
        name = f"{day}-{slug}"
        # (a folder without index.md holds the images of an import that stopped: it goes on)
        candidates = (self.issues / name / FOLDER_INDEX, self.issues / f"{name}.md")
        clash = None if name in self.planned else next((p for p in candidates if p.exists()), None)
        if clash is not None:
            self._clash(entry, key, clash, self._compose(entry, slug))
            return
        slug = _free_slug(slug, self.taken)
        self.taken.add(_fold(slug))
        name = f"{day}-{slug}"  # its slug is the file name's: no `slug:` needed
        self.planned.add(name)
        remote = remote_images(entry.body)
        folder_form = self.download_images and bool(remote)
        path = self.issues / name / FOLDER_INDEX if folder_form else self.issues / f"{name}.md"
        text = self._compose(entry, slug)
        problems = _check(text, path, self.config)
        if problems:
            source = _source(self.batch)
            self.report.problems += [
                Problem(f"{entry.where}: {p.message}", source, None, p.hint) for p in problems
            ]
            return
        notes = self._images(entry, path, remote, folder_form)
        self._write(entry, key, slug, path, notes)

    def _imported_before(self, entry: Entry, key: str) -> bool:
        """Return whether the entry was imported before: by the record, or as an existing
        issue, moved or re-dated since, with its id or its old address."""
        before = self.known.get(key)
        if before and (self.root / str(before.get("file"))).exists():
            self.report.unchanged += 1
            self.echo(f"unchanged: {before['file']} (imported before)")
            return True
        found = _existing_issue(entry, self.config, self.by_id, self.by_redirect)
        if found is None:
            return False
        file = _relative(found, self.root)
        self.report.unchanged += 1
        self.echo(f"unchanged: {file} (imported before)")
        self.known[key] = _record(entry, file)
        return True

    def _clash(self, entry: Entry, key: str, clash: Path, text: str) -> None:
        """Report a file already at the entry's name: the same import, or kept as it is."""
        file = clash.relative_to(self.root).as_posix()
        if clash.is_file() and clash.read_text(encoding="utf-8") == text:
            self.report.unchanged += 1
            self.echo(f"unchanged: {file} (imported before)")
            self.known[key] = _record(entry, file)
            return
        self.report.kept += 1
        self.echo(
            f"kept: {file} exists and is not overwritten ({entry.where} not imported): "
            "it is kept as it is"
        )

    def _images(self, entry: Entry, path: Path, remote: list[str], folder_form: bool) -> list[str]:
        """Download the entry's images beside it when asked (its body then shows the saved
        files); return the report's notes about them."""
        notes = []
        if remote and folder_form and not self.dry_run:
            saved, failed = images.download(remote, path.parent)
            entry.body = _local_images(entry.body, saved)
            notes += [f"image {url} stays remote: {why}" for url, why in failed.items()]
            if saved:
                notes.append(f"{len(saved)} {_plural(len(saved), 'image')} saved beside it")
        elif remote and not folder_form:
            notes.append(
                f"{len(remote)} remote {_plural(len(remote), 'image')} "
                "(`--download-images` saves them beside the issue)"
            )
        return notes

    def _write(self, entry: Entry, key: str, slug: str, path: Path, notes: list[str]) -> None:
        """Write the issue file (never over another) and record it; report what was done."""
        others = self.taken - {_fold(slug)}
        if refused := no_redirect(entry, self.config, slug, others):
            notes.append(refused)
        if entry.dropped:
            left = ", ".join(f"{kind} ({n})" for kind, n in sorted(entry.dropped.items()))
            notes.append(f"left out: {left}")
        relative = path.relative_to(self.root).as_posix()
        self.echo(f"{'would write' if self.dry_run else 'wrote'}: {relative}  ({entry.where})")
        for note in notes:
            self.echo(f"  {note}")
        if not self.dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
                handle.write(compose(entry, self.config, slug, others))
        self.report.written += 1
        self.known[key] = _record(entry, relative)
        if redirect := redirect_path(entry, self.config, slug, others):
            self.taken.add(_fold(redirect.strip("/")))  # a page of one folder: no later slug

    def _compose(self, entry: Entry, slug: str) -> str:
        return compose(entry, self.config, slug, self.taken - {_fold(slug)})


def _source(batch: Batch) -> Path | None:
    return batch.source if isinstance(batch.source, Path) else None


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _slug(entry: Entry) -> str:
    """Return the entry's slug here: its old one when usable, else one from its title."""
    from publisher.scaffold import short_slug

    for slug in (entry.slug.lower(), short_slug(title_slug(entry.title))):
        if slug and len(slug) <= MAX_SLUG and is_valid_slug(slug):
            return slug
    return "post"


def _existing_issue(
    entry: Entry, config: Config, by_id: dict[str, Path], by_redirect: dict[str, Path]
) -> Path | None:
    """Return the file of the existing issue an entry became before, whatever its name now:
    the one whose ``id:`` is the entry's old id, or that redirects from its old address."""
    if entry.old_id and entry.old_id in by_id:
        return by_id[entry.old_id]
    if not entry.old_url:
        return None
    old = urlsplit(entry.old_url).path or "/"
    if not _has_suffix(old) and not old.endswith("/"):
        old += "/"
    try:
        return by_redirect.get(redirects.redirect_path(old, config.base_url))
    except Invalid:
        return None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _local_images(body: str, saved: dict[str, str]) -> str:
    """Return a body whose images point at their saved files: each address replaced where it
    is a whole link target (``](url)``, ``](url "title")``), the longest first, so that
    ``a.png`` never takes ``a.png?w=2``'s place."""
    for url in sorted(saved, key=len, reverse=True):
        for end in (")", ' "'):
            body = body.replace(f"]({url}{end}", f"]({saved[url]}{end}")
    return body


def _fold(slug: str) -> str:
    """Return a slug as a file system that ignores case and normalisation sees it."""
    return unicodedata.normalize("NFC", slug).casefold()


def _free_slug(slug: str, taken: set[str]) -> str:
    """Return ``slug``, or ``slug-2``, ``slug-3``... when it is taken."""
    candidate, n = slug, 2
    while _fold(candidate) in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _check(text: str, path: Path, config: Config) -> list[Problem]:
    """Return the problems the real loader finds in an issue file about to be written."""
    with collecting():
        try:
            parse_issue(text, path, config)
        except PublisherError as exc:
            return exc.problems
    return []


def _old_path(entry: Entry, config: Config, slug: str) -> str:
    """Return the old address's path on this site, when it differs from the new page's."""
    if not entry.old_url:
        return ""
    old = urlsplit(entry.old_url).path or "/"
    if not _has_suffix(old) and not old.endswith("/"):
        old += "/"
    new = (urlsplit(config.base_url).path or "/") + slug + "/"
    return "" if old in ("/", new) else old


def _refused(path: str, config: Config, taken: Container[str]) -> bool:
    """Return whether ``path`` cannot be a redirect page here: the loader refuses it, or it is
    the page of an issue (a slug in ``taken``) or a name the site uses itself."""
    try:
        file = redirects.redirect_path(path, config.base_url)
    except Invalid:
        return True
    first = file.split("/", 1)[0]
    return file == f"{first}/index.html" and _fold(first) in taken


def redirect_path(
    entry: Entry, config: Config, slug: str, taken: Container[str] = frozenset()
) -> str:
    """Return the old address's path on this site, when a redirect page is needed there and
    can be one (else "": ``no_redirect`` says why)."""
    old = _old_path(entry, config, slug)
    return "" if not old or _refused(old, config, taken) else old


def no_redirect(
    entry: Entry, config: Config, slug: str, taken: Container[str] = frozenset()
) -> str:
    """Return the report's note when the entry's old address cannot be a page of this site
    (``…/story.php``, ``…/.hidden/x/``, another issue's page): it is imported without a
    redirect."""
    old = _old_path(entry, config, slug)
    if not old or not _refused(old, config, taken):
        return ""
    return f"old address {entry.old_url} cannot be a page of the new site: no redirect"


def _has_suffix(path: str) -> bool:
    return "." in path.rsplit("/", 1)[-1]


def _yaml(value: str) -> str:
    """Quote a value for front matter (a JSON string is YAML)."""
    return json.dumps(value, ensure_ascii=False)


def compose(entry: Entry, config: Config, slug: str, taken: Container[str] = frozenset()) -> str:
    """Return the issue file an entry becomes, as the issue ``slug`` (``taken``: the slugs of
    the other issues, whose pages its redirect may not take)."""
    lines = ["---", f"title: {_yaml(entry.title)}"]
    if entry.subtitle:
        lines.append(f"subtitle: {_yaml(entry.subtitle)}")
    lines.append(f"date: {entry.date.isoformat()}")
    if entry.author and entry.author != config.author.name:
        lines.append(f"author: {_yaml(entry.author)}")
    if entry.tags:
        lines.append(f"tags: [{', '.join(_yaml(t) for t in entry.tags)}]")
    if entry.summary:
        lines.append(f"summary: {_yaml(entry.summary)}")
    if entry.draft:
        lines.append("draft: true")
    if entry.old_id:
        lines.append(f"id: {_yaml(entry.old_id)}")
    redirect = redirect_path(entry, config, slug, taken)
    if redirect:
        lines.append(f"redirect_from: [{_yaml(redirect)}]")
    lines += ["---", "", entry.body.rstrip("\n") or "", ""]
    return "\n".join(lines)


def _key(entry: Entry) -> str:
    """Return what finds an entry in the import record: its old id, else its old address, else
    (a feed entry with neither guid nor link) its date and title, never an empty key."""
    return entry.old_id or entry.old_url or f"{entry.date.isoformat()} {entry.title}"


def _record_key(record: dict[str, Any]) -> str:
    key = record.get("old_id") or record.get("old_url") or record.get("key")
    return str(key) if key else f"file:{record.get('file')}"  # (an older record: matches none)


def _record(entry: Entry, file: str) -> dict[str, str]:
    record = {"old_url": entry.old_url, "old_id": entry.old_id, "file": file}
    if not entry.old_id and not entry.old_url:
        record["key"] = _key(entry)  # neither id nor address: found again by date and title
    return record


def _load_mapping(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (ValueError, OSError) as exc:
        raise PublisherError.at(
            f"cannot read the import record: {exc}",
            path,
            hint="mend its JSON, or move it away (a new one lists this import only)",
        ) from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise PublisherError.at(
            "this is not publisher's import record (a list of old and new addresses)",
            path,
            hint=f"rename the file: publisher keeps its record of imports in {MAPPING_FILE}",
        )
    return data


def _save_mapping(path: Path, records: list[dict[str, Any]]) -> None:
    """Write the import record, sorted, and only when it changed (same bytes otherwise)."""
    if not records:
        return
    ordered = sorted(records, key=lambda r: (str(r.get("file")), str(r.get("old_id"))))
    text = json.dumps(ordered, ensure_ascii=False, indent=2) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
