"""UTM tags (`[links] utm = true`): on the email's links to other sites, in its HTML, text and
.eml; never on the newsletter's own links, the unsubscribe link, skipped hosts, web pages or
feeds; never over a parameter a link has already."""

from __future__ import annotations

import email
import re
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import SETTINGS, Newsletter
from publisher.build.pipeline import build
from publisher.cli import cli

BODY = """\
Read [the report](https://example.org/report) and [the data](https://data.example.net/x?page=2#t),
[a tagged one](https://example.org/a?utm_source=friend), [our archive](https://news.example.org/)
and [a form](https://forms.gov.uk/apply). Write to [us](mailto:ada@example.org).
"""
TAGS = {"utm_source": ["test-weekly"], "utm_medium": ["email"], "utm_campaign": ["first"]}
SKIP = '[links]\nutm = true\nutm_skip_hosts = ["gov.uk"]\n'
CUSTOM = '[unsubscribe]\nservice = "custom"\nurl = "https://esp.example.com/u?list=3"\n'


def settings(extra: str) -> str:
    return SETTINGS.replace('[unsubscribe]\nservice = "mailchimp"\n', "") + extra


def built(newsletter: Newsletter, extra: str) -> Path:
    newsletter.settings(settings(extra))
    newsletter.issue(body=BODY)
    build(newsletter.root)
    return newsletter.root / "site"


def hrefs(path: Path) -> list[str]:
    tree = lxml.html.fromstring(path.read_bytes())
    return [str(a.get("href")) for a in tree.iter("a") if a.get("href")]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_emails_links_to_other_sites_get_utm_tags(newsletter: Newsletter) -> None:
    site = built(newsletter, SKIP + CUSTOM)
    links = hrefs(site / "first" / "email.html")
    by_start = {url.split("?")[0].split("#")[0]: url for url in links}
    report = by_start["https://example.org/report"]
    assert query(report) == TAGS
    data = by_start["https://data.example.net/x"]
    assert query(data) == {"page": ["2"], **TAGS}  # kept, first, and the fragment last
    assert data.endswith("#t")
    tagged = by_start["https://example.org/a"]
    assert query(tagged)["utm_source"] == ["friend"]  # never overridden
    assert query(tagged)["utm_campaign"] == ["first"]
    assert by_start["https://forms.gov.uk/apply"] == "https://forms.gov.uk/apply"  # skipped
    own = [u for u in links if u.startswith("https://news.example.org/")]
    assert own and not any("utm_" in u for u in own)  # the archive, "view online"
    assert "https://esp.example.com/u?list=3" in links  # the unsubscribe link, untouched
    assert "mailto:ada@example.org" in links
    text = (site / "first" / "email.txt").read_text(encoding="utf-8")
    tagged_in_text = {u for u in re.findall(r"https?://\S+", text) if "utm_medium" in u}
    assert tagged_in_text == {u for u in links if "utm_medium" in u}  # the text twin's match


def test_the_eml_carries_the_tagged_links(newsletter: Newsletter) -> None:
    site = built(newsletter, SKIP)
    message = email.message_from_bytes((site / "first" / "email.eml").read_bytes())
    parts: list[Message] = [p for p in message.walk() if not p.is_multipart()]
    bodies = [str(p.get_payload(decode=True), "utf-8") for p in parts]  # type: ignore[arg-type]
    assert all("utm_medium=email" in body for body in bodies[:2]), bodies


def test_web_pages_and_feeds_are_never_tagged(newsletter: Newsletter) -> None:
    site = built(newsletter, SKIP)
    for name in ["first/index.html", "index.html", "feed.xml", "atom.xml", "feed.json"]:
        text = (site / name).read_text(encoding="utf-8")
        assert "utm_medium" not in text and "utm_campaign" not in text, name


@pytest.mark.parametrize("extra", ["", "[links]\nutm = false\n"])
def test_without_utm_no_link_is_tagged(newsletter: Newsletter, extra: str) -> None:
    site = built(newsletter, extra)
    for name in ["email.html", "email.txt"]:
        assert "utm_medium" not in (site / "first" / name).read_text(encoding="utf-8")


def test_a_skipped_host_with_a_scheme_is_a_clear_error(newsletter: Newsletter) -> None:
    newsletter.settings(settings('[links]\nutm = true\nutm_skip_hosts = ["https://gov.uk/"]\n'))
    newsletter.issue(body=BODY)
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 1
    assert "newsletter.toml:" in result.output and "utm_skip_hosts" in result.output
    assert "without https://" in result.output


def test_turning_utm_on_renders_the_emails_again(newsletter: Newsletter) -> None:
    site = built(newsletter, "")
    assert "utm_medium" not in (site / "first" / "email.html").read_text(encoding="utf-8")
    newsletter.settings(settings(SKIP))
    build(newsletter.root)
    assert "utm_medium=email" in (site / "first" / "email.html").read_text(encoding="utf-8")


def test_odd_addresses_in_the_text_twin_are_tagged_whole_or_left_alone(
    newsletter: Newsletter,
) -> None:
    newsletter.settings(settings(SKIP + CUSTOM))
    body = "See https://d.example/wiki/Cable_(sea). Or https://[fe80::1/ x.\n"
    newsletter.issue(body=body)
    result = CliRunner().invoke(cli, ["-C", str(newsletter.root), "build"])
    assert result.exit_code == 0 and result.exception is None, result.output
    text = (newsletter.root / "site" / "first" / "email.txt").read_text(encoding="utf-8")
    assert "https://d.example/wiki/Cable_(sea)?utm_source=test-weekly" in text
    assert "https://[fe80::1/" in text  # no address a client can read: as written
