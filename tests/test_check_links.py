"""`publisher check --links`: each link to another site asked over real HTTP (a local server),
gone pages an error at file:line, permanent redirects a warning naming the new address,
refusals and timeouts "could not check"; answers kept a day; no request without --links."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from conftest import SETTINGS, LinkServer, Newsletter
from publisher.cli import cli

SUMMARY = 'summary: "S."\n'


def write(newsletter: Newsletter, server: LinkServer, paths: list[str], extra: str = "") -> Path:
    """Write an issue that links each path of the server, one a line from line 5."""
    newsletter.settings(SETTINGS + extra)
    body = "".join(f"Line [{p}]({server.url}{p}) here.\n\n" for p in paths)
    return newsletter.issue(body=body, front=f"title: T\ndate: 2025-07-15\n{SUMMARY}")


def check(newsletter: Newsletter, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(newsletter.root), "check", *args])


def finding(result: Result, rule: str) -> list[str]:
    return [line for line in result.output.splitlines() if f" {rule} " in line]


def test_gone_pages_are_errors_at_their_line(
    newsletter: Newsletter, link_server: LinkServer
) -> None:
    write(newsletter, link_server, ["/ok", "/gone", "/removed", "/found", "/no-head"])
    result = check(newsletter, "--links")
    assert result.exit_code == 1, result.output
    gone = finding(result, "LNK008")
    assert len(gone) == 2, result.output
    url = link_server.url
    assert gone[0].startswith("issues/2025-07-15-first.md:8:") and f"{url}/gone" in gone[0]
    assert "answers 404" in gone[0] and "fix:" in gone[0]
    assert gone[1].startswith("issues/2025-07-15-first.md:10:") and "answers 410" in gone[1]
    online = [line for rule in ("LNK008", "LNK009", "LNK010") for line in finding(result, rule)]
    for fine in ["/ok", "/found", "/no-head"]:  # 200, a temporary redirect, GET after HEAD
        assert not any(f"{url}{fine} " in line for line in online), result.output
    assert ("HEAD", "/no-head") in link_server.requests
    assert ("GET", "/no-head") in link_server.requests
    assert ("GET", "/ok") not in link_server.requests  # HEAD was enough


def test_a_permanent_redirect_is_a_warning_naming_the_new_address(
    newsletter: Newsletter, link_server: LinkServer
) -> None:
    write(newsletter, link_server, ["/moved", "/moved-for-good"])
    result = check(newsletter, "--links")
    assert result.exit_code == 0, result.output  # warnings only
    moved = finding(result, "LNK009")
    assert len(moved) == 2, result.output
    assert f"has moved for good (301) to {link_server.url}/ok" in moved[0]
    assert "(308) to https://elsewhere.example/new" in moved[1]
    assert link_server.seen("/ok") == 0  # redirects are never followed


def test_refusals_and_timeouts_could_not_be_checked(
    newsletter: Newsletter, link_server: LinkServer
) -> None:
    write(
        newsletter,
        link_server,
        ["/forbidden", "/slow-down", "/slow"],
    )
    result = check(newsletter, "--links", "--timeout", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    found = {f["message"].split()[0]: f for f in json.loads(result.output)}
    unknown = {url for url, f in found.items() if f["rule"] == "LNK010"}
    url = link_server.url
    assert unknown == {f"{url}/forbidden", f"{url}/slow-down", f"{url}/slow"}
    assert found[f"{url}/slow"]["message"].endswith("could not be checked: no answer in time")
    assert found[f"{url}/slow-down"]["level"] == "info"


def test_answers_are_kept_a_day_but_could_not_check_is_asked_again(
    newsletter: Newsletter, link_server: LinkServer
) -> None:
    write(newsletter, link_server, ["/ok", "/gone", "/moved", "/forbidden"])
    first = check(newsletter, "--links")
    asked = len(link_server.requests)
    second = check(newsletter, "--links")
    assert second.output == first.output
    again = link_server.requests[asked:]
    assert {path for _, path in again} == {"/forbidden"}
    kept = newsletter.root / ".publisher-cache" / "links.json"
    data = json.loads(kept.read_text(encoding="utf-8"))
    data = {u: {**a, "checked": a["checked"] - 25 * 3600} for u, a in data.items()}
    kept.write_text(json.dumps(data), encoding="utf-8")  # as if a day and an hour had passed
    check(newsletter, "--links")
    assert link_server.seen("/gone") == 4  # HEAD and GET, twice


def test_check_without_links_makes_no_request(
    newsletter: Newsletter, link_server: LinkServer
) -> None:
    write(newsletter, link_server, ["/gone", "/moved"])
    result = check(newsletter)
    assert result.exit_code == 0, result.output
    assert not re.search(r"LNK00[789]", result.output)
    assert link_server.requests == []
    assert not (newsletter.root / ".publisher-cache" / "links.json").exists()


def test_an_address_no_client_can_read_could_not_be_checked(newsletter: Newsletter) -> None:
    newsletter.issue(
        body="A [broken](https://[::1/x) address, and [a port](https://a.example:abc/x).\n",
        front=f"title: T\ndate: 2025-07-15\n{SUMMARY}",
    )
    result = check(newsletter, "--links", "--timeout", "1")
    assert "Traceback" not in result.output and result.exception is None, result.output
    assert len(finding(result, "LNK010")) == 2, result.output
