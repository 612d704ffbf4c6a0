"""`publisher push`: each email service on a real local HTTP server keeping its documented
contract (tests/push_fakes.py), the requests checked against the recorded ones
(tests/push/<service>.json). A push makes a draft, a second push updates the same draft, and no
request ever reaches a send, schedule or publish endpoint."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer

import push_fakes as fakes
from conftest import Newsletter
from publisher.build.pipeline import build
from publisher.cli import cli
from push_fakes import GHOST_KEY, KEY, Fake, like, reply

SETTINGS = {
    "listmonk": "lists = [3]\n",
    "buttondown": "",
    "mailchimp": 'lists = ["a1b2c3d4e5"]\n',
    "kit": "",
    "ghost": "",
}
TAGS = {"listmonk": "{{ UnsubscribeURL }}", "buttondown": "{{ unsubscribe_url }}"}
TAGS["mailchimp"] = "*|UNSUB|*"


def push(root: Path, *args: str, key: str | None = KEY) -> Result:
    env = {"PUBLISHER_PUSH_KEY": key} if key is not None else {}
    return CliRunner(env=env).invoke(cli, ["-C", str(root), "push", *args])


def record(root: Path) -> dict[str, Any]:
    return json.loads((root / "publisher-push.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def configure(newsletter: Newsletter, service: str, url: str, extra: str = "") -> None:
    text = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    push_table = f'\n[push]\nservice = "{service}"\nurl = "{url}"\n{SETTINGS[service]}{extra}'
    newsletter.settings(text + push_table)


@pytest.fixture
def issue(newsletter: Newsletter) -> Path:
    return newsletter.issue(name="2025-07-15-first.md", summary="The preheader.")


def serve(httpserver: HTTPServer, newsletter: Newsletter, name: str, extra: str = "") -> Fake:
    fake = fakes.FAKES[name](httpserver)
    configure(newsletter, name, fake.url, extra)
    return fake


@pytest.fixture
def served(httpserver: HTTPServer) -> Iterator[list[Fake]]:
    """The fakes a test serves; none may have been sent a request outside its contract."""
    started: list[Fake] = []
    yield started
    for fake in started:
        assert fake.unexpected == [], fake.unexpected
        assert fake.sent == [], fake.sent


def start(served: list[Fake], httpserver: HTTPServer, newsletter: Newsletter, name: str) -> Fake:
    fake = serve(httpserver, newsletter, name)
    served.append(fake)
    return fake


def check_recorded(fake: Fake, step: str, seen: fakes.Seen) -> None:
    """The request is the recorded one of ``step`` (its method, path, query, headers, body)."""
    shape = fake.fixture[step]["request"]
    assert (seen.method, seen.path) == (shape["method"], shape["path"])
    assert seen.query == shape.get("query", {})
    for header, value in shape.get("headers", {}).items():
        assert seen.headers.get(header.lower()) == value
    assert like(seen.body, shape.get("json", fake.fixture["create"]["request"]["json"])), seen.body


@pytest.mark.parametrize("name", ["listmonk", "buttondown", "mailchimp", "kit", "ghost"])
def test_a_push_makes_a_draft_and_a_second_updates_it_never_a_duplicate(
    name: str, newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    """Each service's documented create and update calls (the "docs" URL of its fixture:
    listmonk https://listmonk.app/docs/apis/campaigns/, Buttondown
    https://docs.buttondown.com/api-emails-create, Mailchimp
    https://mailchimp.com/developer/marketing/api/campaigns/add-campaign/, Kit
    https://developers.kit.com/api-reference/broadcasts/create-a-broadcast, Ghost
    https://docs.ghost.org/admin-api/posts/creating-a-post); nothing is sent or scheduled."""
    fake = start(served, httpserver, newsletter, name)
    key = GHOST_KEY if name == "ghost" else KEY

    first = push(newsletter.root, "first", key=key)
    assert first.exit_code == 0, first.output
    created = fake.writes()
    check_recorded(fake, "create", created[0])
    remote_id = record(newsletter.root)[name]["first"]
    assert str(remote_id) in first.output and "created a draft" in first.output

    issue.write_text(issue.read_text(encoding="utf-8") + "\nA correction.\n", encoding="utf-8")
    second = push(newsletter.root, "first", key=key)
    assert second.exit_code == 0, second.output
    assert "updated the draft" in second.output
    updates = fake.writes()[len(created) :]
    check_recorded(fake, "update", updates[0])
    assert len(fake.items) == 1  # updated, not duplicated
    assert record(newsletter.root) == {name: {"first": remote_id}}
    pushed = json.dumps(updates[-1].body)
    assert "A correction." in pushed
    if name in TAGS:  # the whole email, its unsubscribe link the service's merge tag
        assert json.dumps(TAGS[name])[1:-1] in pushed
    assert "nothing was sent or scheduled" in second.output
    assert key not in first.output + second.output


def test_buttondown_pins_the_api_version_and_always_says_draft(
    newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    """https://docs.buttondown.com/api-emails-create and .../api-versioning: without a status
    (before 2026-04-01) an email is sent at once; the fake sends it, so fakes.sent stays empty
    only if every write pins the version and says draft."""
    fake = start(served, httpserver, newsletter, "buttondown")
    assert push(newsletter.root, "first").exit_code == 0
    assert push(newsletter.root, "first").exit_code == 0
    for seen in fake.writes():
        assert seen.headers["x-api-version"] == "2026-04-01"
        assert seen.body["status"] == "draft"
        assert seen.body["body"].startswith(
            "<!-- buttondown-editor-mode: naked -->\n<!DOCTYPE html>"
        )


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("listmonk", "status", "scheduled"),
        ("listmonk", "status", "finished"),
        ("buttondown", "status", "sent"),
        ("mailchimp", "status", "sent"),
        ("kit", "send_at", "2025-07-16T08:00:00Z"),
        ("ghost", "status", "published"),
    ],
)
def test_a_draft_that_was_sent_or_scheduled_is_refused_never_replaced(
    name: str,
    field: str,
    value: str,
    newsletter: Newsletter,
    issue: Path,
    httpserver: HTTPServer,
    served: list[Fake],
) -> None:
    """listmonk would take a PUT on a scheduled campaign (canEditCampaign, cmd/campaigns.go;
    https://listmonk.app/docs/apis/campaigns/): publisher asks first and stops."""
    fake = start(served, httpserver, newsletter, name)
    key = GHOST_KEY if name == "ghost" else KEY
    assert push(newsletter.root, "first", key=key).exit_code == 0
    before = (newsletter.root / "publisher-push.json").read_bytes()
    (item,) = fake.items.values()
    item[field] = value
    writes = len(fake.writes())

    result = push(newsletter.root, "first", key=key)
    assert result.exit_code == 1
    assert f"is {value!r}" in result.output or "is 'scheduled'" in result.output
    assert "not a draft: publisher never changes" in result.output
    assert "fix: to push this issue as a new draft, delete its line" in result.output
    assert "Traceback" not in result.output
    assert len(fake.writes()) == writes
    assert (newsletter.root / "publisher-push.json").read_bytes() == before


def test_mailchimp_content_is_its_own_call_and_a_campaign_without_it_is_deleted(
    newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    """https://mailchimp.com/developer/marketing/api/campaign-content/set-campaign-content/:
    the campaign is made, then its content set; refused content deletes the new campaign."""
    fake = start(served, httpserver, newsletter, "mailchimp")
    fake.refuse_content = True  # type: ignore[attr-defined]
    result = push(newsletter.root, "first")
    assert result.exit_code == 1
    assert "mailchimp refused the campaign (400 Bad Request): Invalid Resource" in result.output
    assert "Your Campaign content could not be saved." in result.output
    steps = [(s.method, s.path) for s in fake.writes()]
    assert steps == [
        ("POST", "/3.0/campaigns"),
        ("PUT", "/3.0/campaigns/42694e9e57/content"),
        ("DELETE", "/3.0/campaigns/42694e9e57"),
    ]
    check_recorded(fake, "content", fake.writes()[1])
    assert fake.items == {}
    assert not (newsletter.root / "publisher-push.json").exists()


@pytest.mark.parametrize(
    ("name", "extra", "said", "fix"),
    [
        (
            "listmonk",
            "",
            "There are no subscribers in the selected lists",
            "check lists under [push]: the ids of your listmonk lists",
        ),
        ("mailchimp", "", "recipients.list_id: Invalid MailChimp List ID", "audience id"),
        (
            "kit",
            "template = 9\n",
            "422 Unprocessable Entity): Email template not found",
            "template",
        ),
    ],
)
def test_an_unknown_list_or_template_is_the_services_own_message_and_writes_nothing(
    name: str,
    extra: str,
    said: str,
    fix: str,
    newsletter: Newsletter,
    issue: Path,
    httpserver: HTTPServer,
    served: list[Fake],
) -> None:
    """listmonk's campaigns.noSubs (cmd/campaigns.go), Mailchimp's Invalid Resource
    (https://mailchimp.com/developer/marketing/docs/errors/), Kit's 422
    (https://developers.kit.com/api-reference/broadcasts/create-a-broadcast)."""
    fake = start(served, httpserver, newsletter, name)
    settings = newsletter.root / "newsletter.toml"
    text = settings.read_text(encoding="utf-8").replace("[3]", "[4]").replace("a1b2c3d4e5", "zzz")
    settings.write_text(text + extra, encoding="utf-8")
    result = push(newsletter.root, "first")
    assert result.exit_code == 1
    assert said in result.output and fix in result.output.split("fix:")[1]
    assert "Traceback" not in result.output
    assert fake.items == {}
    assert not (newsletter.root / "publisher-push.json").exists()


def test_ghost_validation_message_is_shown(
    newsletter: Newsletter, httpserver: HTTPServer, served: list[Fake]
) -> None:
    """https://docs.ghost.org/admin-api/#errors: a 422 ValidationError with its context."""
    newsletter.issue(name="2025-07-15-first.md", title="T" * 300)
    start(served, httpserver, newsletter, "ghost")
    result = push(newsletter.root, "first", key=GHOST_KEY)
    assert result.exit_code == 1
    assert "ghost refused the post (422" in result.output
    assert "Validation error, cannot save post." in result.output
    assert "exceeds maximum length of 255 characters" in result.output


@pytest.mark.parametrize(("name", "status"), [("buttondown", 401), ("listmonk", 403)])
def test_a_bad_key_is_named_and_never_shown(
    name: str,
    status: int,
    newsletter: Newsletter,
    issue: Path,
    httpserver: HTTPServer,
    served: list[Fake],
) -> None:
    """Buttondown answers 401 {"detail": "Invalid token."} (https://docs.buttondown.com/
    api-authentication); listmonk 403 for bad credentials (https://listmonk.app/docs/apis/apis/)."""
    start(served, httpserver, newsletter, name)
    wrong = "someone:else-wrong-key"
    result = push(newsletter.root, "first", key=wrong)
    assert result.exit_code == 1
    assert f"{name} refused the key ({status}" in result.output
    assert "fix: set PUBLISHER_PUSH_KEY to" in result.output
    assert wrong not in result.output
    assert not (newsletter.root / "publisher-push.json").exists()


def test_a_rate_limit_is_waited_out_when_retry_after_is_short(
    newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    """https://developers.kit.com/api-reference/overview (429 and Retry-After)."""
    fake = start(served, httpserver, newsletter, "kit")
    fake.queue += [reply(429, {"errors": ["Rate limit hit."]})] * 2
    for response in fake.queue:
        response.headers["Retry-After"] = "0"
    result = push(newsletter.root, "first")
    assert result.exit_code == 0, result.output
    assert len(fake.items) == 1


def test_a_rate_limit_longer_than_the_bound_is_a_clear_error_at_once(
    newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    """https://mailchimp.com/developer/marketing/docs/fundamentals/#api-limits: 429."""
    fake = start(served, httpserver, newsletter, "mailchimp")
    fake.queue.append(reply(429, {"title": "Too Many Requests", "status": 429}))
    fake.queue[0].headers["Retry-After"] = "120"
    result = push(newsletter.root, "first")
    assert result.exit_code == 1
    assert "limiting the rate of requests (429 Too Many Requests); it asks to wait 120 s" in (
        result.output
    )
    assert "fix: push again in 120 s" in result.output
    assert len(fake.requests) == 1


def test_no_answer_in_time_is_a_timeout(newsletter: Newsletter, issue: Path) -> None:
    """A server that takes the connection and never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        configure(newsletter, "buttondown", url, "timeout = 1\n")
        result = push(newsletter.root, "first")
    assert result.exit_code == 1
    assert "no answer from 127.0.0.1" in result.output and "within 1 s" in result.output
    assert "raise timeout under [push]" in result.output


def test_no_server_is_a_clear_error(newsletter: Newsletter, issue: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    configure(newsletter, "kit", f"http://127.0.0.1:{port}")
    result = push(newsletter.root, "first")
    assert result.exit_code == 1
    assert f"cannot reach kit at 127.0.0.1:{port}" in result.output
    assert "check url under [push]" in result.output
    assert "Traceback" not in result.output


def test_a_draft_deleted_in_the_service_is_made_again(
    newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    """listmonk answers 404 for a campaign it no longer has."""
    fake = start(served, httpserver, newsletter, "listmonk")
    assert push(newsletter.root, "first").exit_code == 0
    fake.items.clear()
    result = push(newsletter.root, "first")
    assert result.exit_code == 0, result.output
    assert "no longer has the campaign 1" in result.output
    assert record(newsletter.root) == {"listmonk": {"first": 1}}
    assert [s.method for s in fake.writes()] == ["POST", "POST"]


def test_dry_run_shows_each_request_and_makes_none(
    newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    fake = start(served, httpserver, newsletter, "mailchimp")
    result = push(newsletter.root, "first", "--dry-run")
    assert result.exit_code == 0, result.output
    assert fake.requests == []
    assert f"POST {fake.url}/3.0/campaigns\n" in result.output
    assert '  settings.subject_line: "First issue"\n' in result.output
    assert '  recipients.list_id: "a1b2c3d4e5"\n' in result.output
    assert f"PUT {fake.url}/3.0/campaigns/{{new id}}/content\n" in result.output
    assert "  html: " in result.output and " characters\n" in result.output
    assert KEY not in result.output and "key from PUBLISHER_PUSH_KEY: set" in result.output
    assert not (newsletter.root / "publisher-push.json").exists()


def test_the_key_comes_only_from_the_environment(newsletter: Newsletter, issue: Path) -> None:
    configure(newsletter, "kit", "https://kit.invalid")
    result = push(newsletter.root, "first", key=None)
    assert result.exit_code == 1
    assert "error: no key for kit\n  fix: set the environment variable PUBLISHER_PUSH_KEY" in (
        result.output
    )


def test_settings_a_service_needs_are_asked_for_at_their_line(
    newsletter: Newsletter, issue: Path
) -> None:
    text = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    newsletter.settings(text + '\n[push]\nservice = "listmonk"\nlists = [3]\n')
    result = push(newsletter.root, "first")
    assert result.exit_code == 1
    line = text.count("\n") + 2
    assert f"newsletter.toml:{line}: listmonk needs url" in result.output
    newsletter.settings(text)
    assert "no email service to push to" in push(newsletter.root, "first").output


def test_a_damaged_record_is_an_error_and_kept(
    newsletter: Newsletter, issue: Path, httpserver: HTTPServer, served: list[Fake]
) -> None:
    fake = start(served, httpserver, newsletter, "kit")
    damaged = '{\n<<<<<<< HEAD\n  "kit": {"first": 30}\n'
    (newsletter.root / "publisher-push.json").write_text(damaged, encoding="utf-8")
    result = push(newsletter.root, "first")
    assert result.exit_code == 1
    assert "publisher-push.json:2: the record of pushed drafts is not valid JSON" in result.output
    assert (newsletter.root / "publisher-push.json").read_text(encoding="utf-8") == damaged
    assert fake.requests == []


def test_lists_must_be_ids(newsletter: Newsletter, issue: Path) -> None:
    text = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    newsletter.settings(text + '\n[push]\nservice = "listmonk"\nlists = [0, ""]\n')
    result = push(newsletter.root, "first")
    assert result.exit_code == 1
    line = text.count("\n") + 4
    assert f"newsletter.toml:{line}: setting `push.lists`: every id must be a whole number" in (
        result.output
    )
    assert "fix: write the ids in a list: lists = [3]" in result.output


def test_the_push_settings_render_no_email_again(newsletter: Newsletter, issue: Path) -> None:
    """Only `publisher push` reads [push]: a build after an edit of it renders nothing."""
    assert build(newsletter.root, jobs=1).rendered == 1
    text = (newsletter.root / "newsletter.toml").read_text(encoding="utf-8")
    newsletter.settings(text + '\n[push]\nservice = "kit"\ntemplate = 4\n')
    assert build(newsletter.root, jobs=1).rendered == 0
