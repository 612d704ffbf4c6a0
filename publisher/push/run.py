"""``publisher push``: one issue made a draft in the email service, or that draft updated."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publisher.config import UNSUBSCRIBE_PRESETS, Config, setting_problem
from publisher.errors import PublisherError
from publisher.model.issue import Issue
from publisher.push.api import KEY_VARIABLE, Api
from publisher.push.buttondown import Buttondown
from publisher.push.ghost import Ghost
from publisher.push.kit import Kit
from publisher.push.listmonk import Listmonk
from publisher.push.mailchimp import Mailchimp
from publisher.push.record import RECORD_FILE, record, recorded
from publisher.push.service import Draft, Remote, Service
from publisher.render.issue import find_issue, render_issue, theme_for_render

SERVICES: dict[str, type[Service]] = {
    s.name: s for s in (Buttondown, Listmonk, Mailchimp, Kit, Ghost)
}


@dataclass
class Pushed:
    """What a push did: the draft's id, whether it is new, and what to tell the writer."""

    service: Service
    remote_id: int | str
    created: bool
    dry_run: bool
    notes: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """Return what the writer is told, one line each."""
        name, thing = self.service.name, self.service.thing
        if self.dry_run:
            return [*self.notes, "dry run: nothing was sent to " + name]
        done = "created a draft" if self.created else "updated the draft"
        link = self.service.link(self.remote_id)
        lines = [f"{done} {thing} in {name}: {self.remote_id}" + (f" ({link})" if link else "")]
        lines += self.notes
        lines.append(f"note: {self.service.adds()}")
        lines.append(f"nothing was sent or scheduled: review the {thing} and send it from {name}")
        if self.created:
            lines.append(
                f"its id is recorded in {RECORD_FILE}: commit that file, so that a push from "
                "another machine updates this same draft"
            )
        return lines


def push_issue(
    root: Path, name: str, dry_run: bool = False, show: Callable[[str], None] = print
) -> Pushed:
    """Make the issue named by file or slug a draft in the settings' service, or update the
    draft a previous push made; with ``dry_run``, show each request instead of making it."""
    config, issue = find_issue(root, name)
    service = chosen_service(config)
    key = _key(service, dry_run)
    draft, notes = make_draft(root, config, issue, service)
    remote_id = recorded(root, service.name, issue.slug)
    if dry_run:
        state = "set" if key else "not set"
        show(
            f"dry run: nothing is sent; a push would make these requests to {service.name} "
            f"(key from {KEY_VARIABLE}: {state}; it is never shown)"
        )
    api = Api(service, key, config.push.timeout, show if dry_run else None)
    try:
        remote_id, created = _push(api, service, draft, remote_id, notes)
    finally:
        api.close()
    if not dry_run:
        record(root, service.name, issue.slug, remote_id)
    return Pushed(service, remote_id, created, dry_run, notes)


def _push(
    api: Api, service: Service, draft: Draft, remote_id: int | str | None, notes: list[str]
) -> tuple[int | str, bool]:
    """Update the recorded draft when it still is one, else make one; return (id, created)."""
    name, thing = service.name, service.thing
    if remote_id is not None:
        remote = service.fetch(api, remote_id)
        if remote is None and api.dry_run:
            remote = Remote(remote_id, "draft", True)
        if remote is None:
            notes.append(
                f"note: {name} no longer has the {thing} {remote_id} recorded for this issue in "
                f"{RECORD_FILE}: a new draft was made"
            )
        elif not remote.draft:
            raise PublisherError.at(
                f"{name} {thing} {remote_id}, recorded for {draft.slug!r}, is {remote.status!r}, "
                f"not a draft: publisher never changes a {thing} that was sent or scheduled",
                Path(RECORD_FILE),
                hint=f"to push this issue as a new draft, delete its line under {name!r} in "
                f"{RECORD_FILE}; to change the {thing} itself, do it in {name}",
            )
        else:
            service.update(api, remote, draft)
            return remote_id, False
    return service.create(api, draft), True


def chosen_service(config: Config) -> Service:
    """Return the service under [push], its settings checked for what it needs."""
    settings = config.push
    if not settings.service:
        raise PublisherError(
            setting_problem(
                config,
                "push",
                None,
                "no email service to push to",
                'set service under [push], e.g. service = "listmonk" (or buttondown, '
                "mailchimp, kit, ghost)",
            )
        )
    service = SERVICES[settings.service](settings)
    problem = _needs(settings.service, settings.url, settings.lists)
    if problem is not None:
        key, message, hint = problem
        raise PublisherError(setting_problem(config, "push", key, message, hint))
    return service


def _needs(service: str, url: str, lists: tuple[int | str, ...]) -> tuple[str, str, str] | None:
    """Return (key, message, fix) for a setting ``service`` needs and lacks, or None."""
    if service in ("listmonk", "ghost") and not url:
        where = "listmonk" if service == "listmonk" else "Ghost site (or its admin domain)"
        return (
            "url",
            f"{service} needs url: the address of your {where}",
            ('set url under [push], e.g. url = "https://lists.example.org"'),
        )
    if service == "listmonk" and (not lists or not all(isinstance(i, int) for i in lists)):
        return (
            "lists",
            "listmonk needs lists: the ids (numbers) of the lists to send to",
            ("set lists under [push], e.g. lists = [3] (listmonk shows each list's id)"),
        )
    if service == "mailchimp" and len(lists) != 1:
        return (
            "lists",
            "mailchimp needs lists: one audience id",
            (
                'set lists under [push] to your audience id, e.g. lists = ["a1b2c3d4e5"] '
                "(Audience > Settings > Audience name and defaults)"
            ),
        )
    return None


def _key(service: Service, dry_run: bool) -> str:
    """Return the key from the environment (a dry run may go without)."""
    key = os.environ.get(KEY_VARIABLE, "").strip()
    fix = f"set the environment variable {KEY_VARIABLE} to {service.key_shape} (it is never "
    fix += "read from or written to a file)"
    if not key:
        if dry_run:
            return ""
        raise PublisherError.at(f"no key for {service.name}", hint=fix)
    wrong = service.check_key(key)
    if wrong:
        raise PublisherError.at(f"{KEY_VARIABLE} {wrong} (its value is not shown)", hint=fix)
    return key


def make_draft(
    root: Path, config: Config, issue: Issue, service: Service
) -> tuple[Draft, list[str]]:
    """Render the issue for ``service``: a whole email's unsubscribe link is its merge tag."""
    notes = []
    tag = UNSUBSCRIBE_PRESETS.get(service.name)
    if service.whole_email and tag and config.unsubscribe.link != tag:
        notes.append(
            f"note: the pushed email's unsubscribe link is {service.name}'s merge tag {tag}, "
            "not the link that [unsubscribe] in the settings gives"
        )
        unsubscribe = dataclasses.replace(config.unsubscribe, service=service.name, url="")
        config = dataclasses.replace(config, unsubscribe=unsubscribe)
    rendered = render_issue(issue, config, theme_for_render(root))
    date = issue.date if issue.date.tzinfo else issue.date.replace(tzinfo=config.tz)
    draft = Draft(
        slug=issue.slug,
        title=issue.title,
        subject=issue.email_subject,
        preheader=rendered.view.preheader,
        html=rendered.html,
        text=rendered.text,
        content=rendered.article_html,
        date=date.isoformat(),
        sender_name=config.author.name or config.name,
        sender_email=config.author.email,
    )
    return draft, notes
