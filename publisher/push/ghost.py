"""Ghost (Admin API): a draft post. Ghost emails a post only when it is published with a
newsletter named, and publisher never names one nor publishes.

https://docs.ghost.org/admin-api/#token-authentication
https://docs.ghost.org/admin-api/posts/creating-a-post
https://docs.ghost.org/admin-api/posts/updating-a-post
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any, ClassVar

import httpx

from publisher.push.api import Api
from publisher.push.service import Draft, Remote, Service

ADMIN = "/ghost/api/admin"
#: Ghost keeps HTML in an HTML card as it is; outside one it converts it, losing what its
#: editor has no card for.
CARD = "<!--kg-card-begin: html-->\n{}\n<!--kg-card-end: html-->"
#: Ghost's longest excerpt.
EXCERPT = 300


class GhostToken(httpx.Auth):
    """Signs each request with a fresh five-minute token made from the key ``id:secret``."""

    def __init__(self, key: str) -> None:
        self.id, _, self.secret = key.partition(":")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        import jwt  # PyJWT: HS256 over the hex-decoded secret, the key's id as kid

        now = int(time.time())
        claims = {"iat": now, "exp": now + 5 * 60, "aud": "/admin/"}
        token = jwt.encode(
            claims, bytes.fromhex(self.secret), algorithm="HS256", headers={"kid": self.id}
        )
        request.headers["Authorization"] = f"Ghost {token}"
        yield request


class Ghost(Service):
    """Ghost's posts; a post is updated only while its status is draft."""

    name = "ghost"
    thing = "post"
    docs = "https://docs.ghost.org/admin-api/posts/creating-a-post"
    whole_email = False
    key_shape = "a Ghost Admin API key, id:secret (Settings > Integrations)"
    pinned: ClassVar[dict[str, str]] = {"Accept-Version": "v5.0"}

    def check_key(self, key: str) -> str | None:
        id_, _, secret = key.partition(":")
        try:
            bytes.fromhex(secret)
        except ValueError:
            return "is not id:secret with a hexadecimal secret"
        return None if id_ and secret else "is not id:secret"

    def auth(self, key: str) -> httpx.Auth | None:
        return GhostToken(key)

    def fetch(self, api: Api, remote_id: int | str) -> Remote | None:
        data = api.get(f"{ADMIN}/posts/{remote_id}/")
        if data is None:
            return None
        post = api.dig(data, "posts", 0)
        status = str(post.get("status", ""))
        return Remote(remote_id, status, status == "draft", {"updated_at": post.get("updated_at")})

    def create(self, api: Api, draft: Draft) -> int | str:
        answer = api.send("POST", f"{ADMIN}/posts/", self._body(draft), {"source": "html"})
        return api.dig(answer, "posts", 0, "id")  # type: ignore[no-any-return]

    def update(self, api: Api, remote: Remote, draft: Draft) -> None:
        # Ghost refuses an update without the updated_at it last gave (someone else's edit).
        stamp = remote.extra.get("updated_at") or "{updated_at of the GET}"
        body = self._body(draft, updated_at=stamp)
        api.send("PUT", f"{ADMIN}/posts/{remote.id}/", body, {"source": "html"})

    def _body(self, draft: Draft, **more: Any) -> dict[str, Any]:
        excerpt = draft.preheader
        if len(excerpt) > EXCERPT:
            excerpt = excerpt[: EXCERPT - 1].rsplit(" ", 1)[0] + "…"
        post = {
            "title": draft.title,
            "slug": draft.slug,
            "html": CARD.format(draft.content),
            "custom_excerpt": excerpt,
            "email_subject": draft.subject,
            "status": "draft",  # never published: only publishing with a newsletter emails it
            **more,
        }
        return {"posts": [post]}

    def adds(self) -> str:
        return (
            "Ghost shows the issue's body in its newsletter template, with its own header, "
            "footer, unsubscribe link and plain-text version, once you publish it with a "
            "newsletter chosen in Ghost"
        )

    def link(self, remote_id: int | str) -> str:
        return f"{self.base_url('')}/ghost/#/editor/post/{remote_id}"

    def hint(self, status: int, message: str) -> str | None:
        if status == 409:
            return "someone edited the post in Ghost meanwhile: push again"
        return None
