"""Mailchimp (Marketing API 3.0): a regular campaign saved as a draft; its content is a call of
its own, and a campaign whose content cannot be set is deleted again.

https://mailchimp.com/developer/marketing/api/campaigns/add-campaign/
https://mailchimp.com/developer/marketing/api/campaign-content/set-campaign-content/
"""

from __future__ import annotations

from typing import Any

import httpx

from publisher.errors import PublisherError
from publisher.push.api import Api
from publisher.push.service import Draft, Remote, Service


class Mailchimp(Service):
    """Mailchimp's campaigns: status "save" is a draft; sending and scheduling are actions
    publisher never calls."""

    name = "mailchimp"
    thing = "campaign"
    docs = "https://mailchimp.com/developer/marketing/api/campaigns/"
    key_shape = "a Mailchimp API key, which ends in its data centre (e.g. ...-us6)"

    def base_url(self, key: str) -> str:
        if self.settings.url:
            return self.settings.url.rstrip("/")
        centre = key.rpartition("-")[2] if "-" in key else "<dc>"
        return f"https://{centre}.api.mailchimp.com"

    def check_key(self, key: str) -> str | None:
        return None if self.settings.url or "-" in key else "has no data centre (-us6) at its end"

    def auth(self, key: str) -> httpx.Auth | None:
        return httpx.BasicAuth("publisher", key)  # any user name; the key is the password

    def fetch(self, api: Api, remote_id: int | str) -> Remote | None:
        data = api.get(f"/3.0/campaigns/{remote_id}")
        if data is None:
            return None
        status = str(api.dig(data, "status"))
        return Remote(remote_id, status, status == "save")

    def create(self, api: Api, draft: Draft) -> int | str:
        answer = api.send("POST", "/3.0/campaigns", {"type": "regular", **self._settings(draft)})
        campaign = api.dig(answer, "id")
        try:
            self._content(api, campaign, draft)
        except PublisherError:
            api.delete(f"/3.0/campaigns/{campaign}")  # no half-made campaign stays behind
            raise
        return campaign  # type: ignore[no-any-return]

    def update(self, api: Api, remote: Remote, draft: Draft) -> None:
        api.send("PATCH", f"/3.0/campaigns/{remote.id}", self._settings(draft))
        self._content(api, remote.id, draft)

    def _settings(self, draft: Draft) -> dict[str, Any]:
        if not draft.sender_email:
            raise PublisherError.at(
                "Mailchimp needs a reply-to address for the campaign",
                hint='set email under [author] in newsletter.toml, e.g. email = "you@example.org"',
            )
        return {
            "recipients": {"list_id": str(self.settings.lists[0])},
            "settings": {
                "subject_line": draft.subject,
                "preview_text": draft.preheader,
                "title": draft.title,
                "from_name": draft.sender_name,
                "reply_to": draft.sender_email,
            },
        }

    def _content(self, api: Api, campaign: int | str, draft: Draft) -> None:
        body = {"html": draft.html, "plain_text": draft.text}
        api.send("PUT", f"/3.0/campaigns/{campaign}/content", body)

    def adds(self) -> str:
        return (
            "Mailchimp sends the email as it is (custom HTML), and adds its own footer only "
            "if the email lacks the merge tags its rules ask for"
        )

    def hint(self, status: int, message: str) -> str | None:
        lowered = message.lower()
        if "list" in lowered or "audience" in lowered:
            return 'check lists under [push]: your audience id, e.g. lists = ["a1b2c3d4e5"]'
        return None
