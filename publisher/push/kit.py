"""Kit (API v4): a broadcast with no send time and not public, which stays a draft.

https://developers.kit.com/api-reference/broadcasts/create-a-broadcast
https://developers.kit.com/api-reference/broadcasts/update-a-broadcast
"""

from __future__ import annotations

from typing import Any

from publisher.push.api import Api
from publisher.push.service import Draft, Remote, Service


class Kit(Service):
    """Kit's broadcasts; one with a send_at is scheduled (or sent), and publisher leaves it."""

    name = "kit"
    thing = "broadcast"
    public_url = "https://api.kit.com"
    docs = "https://developers.kit.com/api-reference/broadcasts/create-a-broadcast"
    whole_email = False
    key_shape = "a Kit v4 API key (Settings > Developer)"

    def headers(self, key: str) -> dict[str, str]:
        return {"X-Kit-Api-Key": key}

    def fetch(self, api: Api, remote_id: int | str) -> Remote | None:
        data = api.get(f"/v4/broadcasts/{remote_id}")
        if data is None:
            return None
        broadcast = api.dig(data, "broadcast")
        status = str(broadcast.get("status") or "draft")
        if broadcast.get("send_at") and status == "draft":  # a send time is a schedule
            status = "scheduled"
        return Remote(remote_id, status, status == "draft")

    def create(self, api: Api, draft: Draft) -> int | str:
        answer = api.send("POST", "/v4/broadcasts", self._body(draft))
        return api.dig(answer, "broadcast", "id")  # type: ignore[no-any-return]

    def update(self, api: Api, remote: Remote, draft: Draft) -> None:
        api.send("PUT", f"/v4/broadcasts/{remote.id}", self._body(draft))

    def _body(self, draft: Draft) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subject": draft.subject,
            "preview_text": draft.preheader,
            "description": draft.title,
            "content": draft.content,
            "public": False,  # true would publish it on the creator profile
            "published_at": draft.date,
            "send_at": None,  # a time here schedules the broadcast
        }
        if self.settings.template:
            body["email_template_id"] = self.settings.template
        return body

    def adds(self) -> str:
        which = f"template {self.settings.template}" if self.settings.template else "default"
        return (
            f"Kit puts the issue's body into its {which} email template, with its own header, "
            "footer, unsubscribe link, postal address and plain-text version"
        )

    def hint(self, status: int, message: str) -> str | None:
        if "template" in message.lower():
            return "check template under [push]: a Kit email template's id, or 0"
        return None
