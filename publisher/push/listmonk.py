"""listmonk (self-hosted): a campaign, created and updated as a draft, never started.

https://listmonk.app/docs/apis/campaigns/
"""

from __future__ import annotations

from typing import Any

from publisher.push.api import Api
from publisher.push.service import Draft, Remote, Service


class Listmonk(Service):
    """listmonk's campaigns API; a campaign is updated only while its status is draft."""

    name = "listmonk"
    thing = "campaign"
    docs = "https://listmonk.app/docs/apis/campaigns/"
    key_shape = "an API user and its token, as user:token (Admin > Users)"

    def check_key(self, key: str) -> str | None:
        return None if ":" in key.strip(":") else "is not user:token"

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"token {key}"}

    def fetch(self, api: Api, remote_id: int | str) -> Remote | None:
        data = api.get(f"/api/campaigns/{remote_id}")
        if data is None:
            return None
        status = str(api.dig(data, "data", "status"))
        return Remote(remote_id, status, status == "draft")

    def create(self, api: Api, draft: Draft) -> int | str:
        answer = api.send("POST", "/api/campaigns", self._body(draft))
        return api.dig(answer, "data", "id")  # type: ignore[no-any-return]

    def update(self, api: Api, remote: Remote, draft: Draft) -> None:
        api.send("PUT", f"/api/campaigns/{remote.id}", self._body(draft))

    def _body(self, draft: Draft) -> dict[str, Any]:
        # Never send_at: a campaign is scheduled only by a status change, which publisher
        # never asks for.
        body: dict[str, Any] = {
            "name": draft.title,
            "subject": draft.subject,
            "lists": list(self.settings.lists),
            "type": "regular",
            "content_type": "html",
            "body": draft.html,
            "altbody": draft.text,
        }
        if draft.sender_email:
            body["from_email"] = f"{draft.sender_name} <{draft.sender_email}>".strip()
        if self.settings.template:
            body["template_id"] = self.settings.template
        return body

    def adds(self) -> str:
        which = f"template {self.settings.template}" if self.settings.template else "default"
        return (
            f"listmonk puts the email inside its {which} campaign template: for the email as "
            'publisher made it, use a template that holds only {{ template "content" . }} '
            "(template = its id under [push])"
        )

    def link(self, remote_id: int | str) -> str:
        return f"{self.base_url('')}/admin/campaigns/{remote_id}"

    def hint(self, status: int, message: str) -> str | None:
        if "list" in message.lower() or "subscribers" in message.lower():
            return "check lists under [push]: the ids of your listmonk lists (Lists page)"
        if "template" in message.lower():
            return "check template under [push]: a listmonk campaign template's id, or 0"
        return None
