"""Every RSS and Atom document a rich site publishes, through the real W3C feed validator (#35:
"valid in the W3C validator"): a reference no one here wrote. Its ``feedvalidator`` package is
vendored in ``tests/fixtures/feedvalidator`` (see its README); it validates the bytes given and
never fetches anything (the network is cut off while it runs, to be sure)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from conftest import SETTINGS, Newsletter
from publisher.build.pipeline import build

VENDORED = Path(__file__).parent / "fixtures" / "feedvalidator"
NOW = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
BASE = "https://news.example.org/"
#: The rich site's RSS and Atom documents: the site's, each language's, each tag's and each year's
#: (RFC 5005 archives: 2024 and 2025 are marked fh:archive, 2026 holds the current year's).
DOCUMENTS = tuple(
    f"{folder}{name}"
    for folder in (
        "",
        "en/",
        "fr/",
        "tags/energy/",
        "tags/shipping/",
        *(f"feeds/{year}/" for year in (2024, 2025, 2026)),
    )
    for name in ("feed.xml", "atom.xml")
)


BODY = """\
Opening words with [a link](https://example.com/a?b=1&c=2).

![A crane](crane.png "Cranes at dawn | Photo: A. Writer")

## Section

Text with a note.[^1] Last words.

[^1]: The note, with *emphasis*.
"""


def validator() -> Any:
    """Import the vendored validator; its import sets the process's default socket timeout
    (for its own URL fetching), which is put back for the other tests."""
    if str(VENDORED) not in sys.path:
        sys.path.insert(0, str(VENDORED))
    timeout = socket.getdefaulttimeout()
    try:
        import feedvalidator
    finally:
        socket.setdefaulttimeout(timeout)
    return feedvalidator


@contextlib.contextmanager
def offline() -> Iterator[list[str]]:
    """Refuse (and record) any name lookup or connection while in the block."""
    attempts: list[str] = []
    names = ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection")
    saved = {name: getattr(socket, name) for name in names}

    def refuse(name: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{name}{args!r}")
            raise OSError(f"the feed validator must not use the network ({name})")

        return refused

    for name in names:
        setattr(socket, name, refuse(name))
    try:
        yield attempts
    finally:
        for name, function in saved.items():
            setattr(socket, name, function)


def findings(document: bytes, url: str) -> tuple[list[str], list[str]]:
    """Validate ``document`` as published at ``url``: (its errors and warnings at the online
    validator's level (AA), formatted; the names of those events' classes)."""
    feedvalidator = validator()
    from feedvalidator import compatibility
    from feedvalidator.formatter.text_plain import Formatter

    with offline() as attempts:
        try:
            events = feedvalidator.validateString(document, firstOccurrenceOnly=1, base=url)[
                "loggedEvents"
            ]
        except feedvalidator.logging.ValidationFailure as failure:
            events = [failure.event]
    assert not attempts, f"{url}: the validator tried the network: {attempts}"
    shown = compatibility.AA(events)
    return list(Formatter(shown)), [type(event).__name__ for event in shown]


def report(url: str, messages: list[str]) -> str:
    return f"W3C feed validator on {url}:\n" + "\n".join(messages)


# --- a rich site ---------------------------------------------------------------------------------


def rich(newsletter: Newsletter) -> Newsletter:
    """Issues over three years (so yearly archive documents), two tags, English and French with
    a translation, an image, footnotes, a non-Latin title, an ``updated:`` date and an ``id:``
    that is no IRI."""
    newsletter.settings(SETTINGS + "\n[feeds]\nlimit = 2\n")
    issue = newsletter.issue
    issue("2024-03-01-cranes.md", body=BODY, title="Cranes", date="2024-03-01", tags="[energy]")
    issue(
        "2024-09-01-kabel.md",
        body=BODY,
        title='"Ποσειδώνας: 海底ケーブルの話"',
        date="2024-09-01",
        tags="[energy, shipping]",
        summary="Cables, in Greek and Japanese.",
    )
    issue(
        "2025-01-10-ports.md",
        body=BODY,
        title='"Ports & <power>"',
        date="2025-01-10",
        updated="2025-02-01",
        tags="[shipping]",
    )
    issue(  # an id imported from Ghost: its post's id, no IRI (Atom gets one made from it)
        "2025-05-05-grain.md",
        body=BODY,
        title="Grain",
        date="2025-05-05",
        tags="[shipping]",
        id='"5f1a2b3c4d5e6f7a8b9c0d1e"',
    )
    issue(
        "2025-05-06-ble.md",
        body=BODY,
        title="Blé",
        date="2025-05-06",
        tags="[shipping]",
        language="fr",
        translation_of="grain",
    )
    issue("2026-02-02-last.md", body=BODY, title="Last", date="2026-02-02", tags="[energy]")
    Image.new("RGB", (640, 400), "teal").save(newsletter.root / "issues" / "crane.png")
    return newsletter


def documents(site: Path) -> dict[str, bytes]:
    """Every RSS and Atom document under ``site``, by path."""
    found = [*site.rglob("feed.xml"), *site.rglob("atom.xml")]
    return {path.relative_to(site).as_posix(): path.read_bytes() for path in sorted(found)}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    newsletter = rich(Newsletter(tmp_path_factory.mktemp("rich") / "news"))
    build(newsletter.root, now=NOW)
    return documents(newsletter.root / "site")


def test_an_id_that_is_no_iri_stays_the_guid_and_gets_an_atom_id_of_its_own(
    site: dict[str, bytes],
) -> None:
    import feedparser

    ghost = "5f1a2b3c4d5e6f7a8b9c0d1e"
    guids = {e.title: e.id for e in feedparser.parse(site["feeds/2025/feed.xml"]).entries}
    ids = {e.title: e.id for e in feedparser.parse(site["feeds/2025/atom.xml"]).entries}
    assert guids["Grain"] == ghost  # the old feed's readers know the item by it
    tagged = {e.title: e.id for e in feedparser.parse(site["tags/shipping/atom.xml"]).entries}
    assert ids["Grain"].startswith("urn:uuid:")
    assert tagged["Grain"] == ids["Grain"]  # the same one wherever the issue is


def test_the_rich_site_publishes_every_kind_of_feed_document(site: dict[str, bytes]) -> None:
    assert sorted(site) == sorted(DOCUMENTS)  # each one is validated below
    archives = [p for p in DOCUMENTS if b"<fh:archive" in site[p]]
    assert sorted(archives) == [
        f"feeds/{y}/{n}" for y in (2024, 2025) for n in ("atom.xml", "feed.xml")
    ]
    assert "海底ケーブル".encode() in site["feeds/2024/atom.xml"]
    assert (
        b'xml:lang="fr"' in site["atom.xml"] and b"<language>fr</language>" in site["fr/feed.xml"]
    )
    # The image travels in the content (RSS and Atom have no enclosure or media element for it).
    assert b"crane-640w" in site["feed.xml"] and b"crane-640w" in site["atom.xml"]
    assert b"<updated>2025-02-01" in site["feeds/2025/atom.xml"]
    assert b"footnote" in site["atom.xml"]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_each_feed_document_is_valid_in_the_w3c_validator(
    site: dict[str, bytes], path: str
) -> None:
    messages, _ = findings(site[path], BASE + path)
    assert not messages, report(BASE + path, messages)


def test_the_bundled_example_s_feeds_are_valid_in_the_w3c_validator(sample: Path) -> None:
    build(sample, now=NOW)
    example = documents(sample / "site")
    assert {"feed.xml", "atom.xml"} <= set(example)
    base = re.search(r'^base_url = "(.*)"$', (sample / "newsletter.toml").read_text(), re.M)
    assert base, "the example's settings have a base_url"
    root = base.group(1).rstrip("/") + "/"
    failed = {}
    for path, document in example.items():
        messages, _ = findings(document, root + path)
        if messages:
            failed[path] = report(root + path, messages)
    assert not failed, "\n\n".join(failed.values())


# --- the harness catches problems ----------------------------------------------------------------

#: A damage done to a built document, and the finding it must bring: (document, damage, event).
BROKEN: dict[str, tuple[str, Callable[[bytes], bytes], str]] = {
    "atom.xml without its self link": (
        "atom.xml",
        lambda doc: re.sub(rb'<link[^>]*rel="self"[^>]*/>', b"", doc, count=1),
        "MissingSelf",
    ),
    "atom.xml without its feed id": (
        "atom.xml",
        lambda doc: re.sub(rb"<id>[^<]*</id>", b"", doc, count=1),
        "MissingElement",
    ),
    "feed.xml with a broken date": (
        "feed.xml",
        lambda doc: re.sub(
            rb"<pubDate>[^<]*</pubDate>", b"<pubDate>yesterday</pubDate>", doc, count=1
        ),
        "InvalidRFC2822Date",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_validator_catches_a_broken_document(site: dict[str, bytes], case: str) -> None:
    path, damage, expected = BROKEN[case]
    broken = damage(site[path])
    assert broken != site[path], f"{case}: the damage changed nothing"
    messages, kinds = findings(broken, BASE + path)
    assert expected in kinds, report(BASE + path, messages)
