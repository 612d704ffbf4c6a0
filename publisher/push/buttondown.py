"""Buttondown: an email created with status "draft", always (an email created without a status
is sent), on a pinned API version.

https://docs.buttondown.com/api-emails-create
https://docs.buttondown.com/api-versioning
"""

from __future__ import annotations

from typing import Any, ClassVar

from publisher.push.api import Api
from publisher.push.service import Draft, Remote, Service

#: The pinned API version: under it an email created without a status is a draft, and sending
#: through the API needs a confirmation header publisher never sends.
API_VERSION = "2026-04-01"
#: Buttondown's naked mode: the body is the email's HTML as it is, in no template of its own.
NAKED = "<!-- buttondown-editor-mode: naked -->\n"


class Buttondown(Service):
    """Buttondown's emails API; an email is updated only while its status is draft."""

    name = "buttondown"
    thing = "email"
    public_url = "https://api.buttondown.com"
    docs = "https://docs.buttondown.com/api-emails-introduction"
    key_shape = "your Buttondown API key (Settings > API)"
    pinned: ClassVar[dict[str, str]] = {"X-API-Version": API_VERSION}

    def headers(self, key: str) -> dict[str, str]:
        return {**self.pinned, "Authorization": f"Token {key}"}

    def fetch(self, api: Api, remote_id: int | str) -> Remote | None:
        data = api.get(f"/v1/emails/{remote_id}")
        if data is None:
            return None
        status = str(api.dig(data, "status"))
        return Remote(remote_id, status, status == "draft")

    def create(self, api: Api, draft: Draft) -> int | str:
        return api.dig(api.send("POST", "/v1/emails", self._body(draft)), "id")  # type: ignore[no-any-return]

    def update(self, api: Api, remote: Remote, draft: Draft) -> None:
        api.send("PATCH", f"/v1/emails/{remote.id}", self._body(draft))

    def _body(self, draft: Draft) -> dict[str, Any]:
        return {
            "subject": draft.subject,
            "body": NAKED + draft.html,
            "description": draft.preheader,
            "status": "draft",  # left out, older API versions send the email at once
        }

    def adds(self) -> str:
        return (
            "Buttondown keeps the email's HTML as it is (naked mode) and makes its own "
            "plain-text version"
        )

    def link(self, remote_id: int | str) -> str:
        return f"https://buttondown.com/emails/{remote_id}"
