"""Email services on a real local HTTP server (pytest-httpserver), each keeping its documented
contract: its routes, how it checks the key, what it refuses and what it answers, from the
recorded requests and responses in tests/push/<service>.json. A request to any other endpoint
(send, schedule, publish, test) is kept in ``unexpected`` and answered 405."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import jwt
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "push"
KEY = "publisher-test:KEY-9f3a-us6"
GHOST_KEY = "65a1f0c2e4b5d6a7b8c9d0e1:" + "ab" * 32
#: A recorded request shows a body too big to write out as <the ...> or <its ...>.
PLACEHOLDER = re.compile(r"<(?:the|its) [^<>]*>")

Route = tuple[str, str, Callable[..., Response]]


@dataclass
class Seen:
    """One request as it arrived."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    #: Header names in lower case.
    headers: dict[str, str]


def recorded(name: str) -> dict[str, Any]:
    """Return the recorded requests and responses of a service."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def like(sent: Any, shape: Any) -> bool:
    """Tell whether ``sent`` is the recorded ``shape`` (a <the ...> part stands for any text)."""
    if isinstance(shape, dict):
        return (
            isinstance(sent, dict)
            and sent.keys() == shape.keys()
            and all(like(sent[k], v) for k, v in shape.items())
        )
    if isinstance(shape, list):
        return isinstance(sent, list) and len(sent) == len(shape) and all(map(like, sent, shape))
    if isinstance(shape, str) and PLACEHOLDER.search(shape):
        parts = [re.escape(p) for p in PLACEHOLDER.split(shape)]
        return isinstance(sent, str) and re.fullmatch(".+".join(parts), sent, re.S) is not None
    return bool(sent == shape)


def reply(status: int, body: Any = None) -> Response:
    text = "" if body is None else json.dumps(body)
    return Response(text, status=status, content_type="application/json")


class Fake:
    """A service's API on ``server``: its routes, its drafts, and every request it was sent."""

    name: ClassVar[str]

    def __init__(self, server: HTTPServer, key: str = KEY) -> None:
        self.server, self.key = server, key
        self.fixture = recorded(self.name)
        self.requests: list[Seen] = []
        self.unexpected: list[str] = []
        #: What reached readers: anything sent, scheduled, published or emailed.
        self.sent: list[str] = []
        self.items: dict[str, dict[str, Any]] = {}
        #: Answers given first, before any route (429s, failures).
        self.queue: list[Response] = []
        server.expect_request(re.compile("^/.*")).respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def handle(self, request: Request) -> Response:
        seen = Seen(
            request.method,
            request.path,
            request.args.to_dict(),
            request.get_json(silent=True),
            {k.lower(): v for k, v in request.headers.items()},
        )
        self.requests.append(seen)
        if self.queue:
            return self.queue.pop(0)
        if not self.authorised(request):
            return self.refuse_key()
        for method, pattern, answer in self.routes():
            found = re.fullmatch(pattern, request.path)
            if found and method == request.method:
                return answer(seen, *found.groups())
        self.unexpected.append(f"{request.method} {request.path}")
        return reply(405, {"message": "publisher must never call this endpoint"})

    def writes(self) -> list[Seen]:
        return [r for r in self.requests if r.method != "GET"]

    def authorised(self, request: Request) -> bool:
        raise NotImplementedError

    def refuse_key(self) -> Response:
        bad = self.fixture.get("bad_key", {"status": 401, "response": {"message": "bad key"}})
        return reply(bad["status"], bad["response"])

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def canned(self, name: str) -> Response:
        answer = self.fixture[name]
        return reply(answer["status"], answer["response"])

    def new_id(self, first: Any) -> Any:
        return first if not self.items else f"{first}{len(self.items)}"


class Listmonk(Fake):
    """https://listmonk.app/docs/apis/campaigns/: a campaign is made a draft; PUT is taken
    while it is draft, scheduled or paused (publisher must stop at anything but draft)."""

    name = "listmonk"
    lists: ClassVar[set[int]] = {3}

    def authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"token {self.key}"

    def refuse_key(self) -> Response:
        return reply(403, {"message": "Invalid API credentials"})

    def routes(self) -> list[Route]:
        return [
            ("POST", r"/api/campaigns", self.create),
            ("GET", r"/api/campaigns/(\d+)", self.get),
            ("PUT", r"/api/campaigns/(\d+)", self.update),
        ]

    def create(self, seen: Seen) -> Response:
        if not set(seen.body["lists"]) <= self.lists:
            return self.canned("no_subscribers")
        campaign_id = str(len(self.items) + 1)
        self.items[campaign_id] = {**seen.body, "status": "draft"}
        return self.get(seen, campaign_id)

    def get(self, seen: Seen, campaign_id: str) -> Response:
        if campaign_id not in self.items:
            return reply(404, {"message": "Campaign not found."})
        data = {**self.fixture["create"]["response"]["data"], **self.items[campaign_id]}
        return reply(200, {"data": {**data, "id": int(campaign_id)}})

    def update(self, seen: Seen, campaign_id: str) -> Response:
        if self.items[campaign_id]["status"] not in ("draft", "scheduled", "paused"):
            return self.canned("cannot_update")
        self.items[campaign_id].update(seen.body)
        return self.get(seen, campaign_id)


class Buttondown(Fake):
    """https://docs.buttondown.com/api-emails-create: before API version 2026-04-01 an email
    created without a status is sent at once (about_to_send)."""

    name = "buttondown"

    def authorised(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Token {self.key}"

    def routes(self) -> list[Route]:
        return [
            ("POST", r"/v1/emails", self.create),
            ("GET", r"/v1/emails/([0-9a-f-]+)", self.get),
            ("PATCH", r"/v1/emails/([0-9a-f-]+)", self.update),
        ]

    def status(self, seen: Seen) -> str:
        version = seen.headers.get("x-api-version", "2024-07-01")
        default = "draft" if version >= "2026-04-01" else "about_to_send"
        status = str(seen.body.get("status", default))
        if status != "draft":
            self.sent.append(f"{seen.method} {seen.path}: status {status}")
        return status

    def create(self, seen: Seen) -> Response:
        email_id = self.new_id(self.fixture["create"]["response"]["id"])
        self.items[email_id] = {**seen.body, "status": self.status(seen)}
        return self.get(seen, email_id)

    def get(self, seen: Seen, email_id: str) -> Response:
        if email_id not in self.items:
            return reply(404, {"detail": "Not found."})
        email = {**self.fixture["create"]["response"], **self.items[email_id], "id": email_id}
        return reply(200, email)

    def update(self, seen: Seen, email_id: str) -> Response:
        self.items[email_id].update({**seen.body, "status": self.status(seen)})
        return self.get(seen, email_id)


class Mailchimp(Fake):
    """https://mailchimp.com/developer/marketing/api/campaigns/: a campaign is saved ("save")
    with its settings; its content is set by PUT .../content; send and schedule are actions."""

    name = "mailchimp"
    refuse_content = False

    def authorised(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        decoded = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
        return decoded.partition(":")[2] == self.key

    def refuse_key(self) -> Response:
        return reply(
            401,
            {
                "title": "API Key Invalid",
                "status": 401,
                "detail": "Your API key "
                "may be invalid, or you've attempted to access the wrong datacenter.",
            },
        )

    def routes(self) -> list[Route]:
        one = r"/3.0/campaigns/([0-9a-f]+)"
        return [
            ("POST", r"/3.0/campaigns", self.create),
            ("GET", one, self.get),
            ("PATCH", one, self.update),
            ("PUT", one + "/content", self.content),
            ("DELETE", one, self.delete),
        ]

    def create(self, seen: Seen) -> Response:
        if seen.body["recipients"]["list_id"] != "a1b2c3d4e5":
            return self.canned("unknown_audience")
        campaign_id = self.new_id(self.fixture["create"]["response"]["id"])
        self.items[campaign_id] = {**seen.body, "status": "save"}
        return self.get(seen, campaign_id)

    def get(self, seen: Seen, campaign_id: str) -> Response:
        if campaign_id not in self.items:
            return reply(404, {"title": "Resource Not Found", "status": 404})
        campaign = {**self.fixture["create"]["response"], **self.items[campaign_id]}
        return reply(200, {**campaign, "id": campaign_id})

    def update(self, seen: Seen, campaign_id: str) -> Response:
        self.items[campaign_id].update(seen.body)
        return self.get(seen, campaign_id)

    def content(self, seen: Seen, campaign_id: str) -> Response:
        if self.refuse_content:
            return self.canned("content_refused")
        self.items[campaign_id]["content"] = seen.body
        return reply(200, seen.body)

    def delete(self, seen: Seen, campaign_id: str) -> Response:
        del self.items[campaign_id]
        return reply(204)


class Kit(Fake):
    """https://developers.kit.com/api-reference/broadcasts/create-a-broadcast: a send_at
    schedules the broadcast; public true publishes it on the creator profile."""

    name = "kit"

    def authorised(self, request: Request) -> bool:
        return request.headers.get("X-Kit-Api-Key") == self.key

    def routes(self) -> list[Route]:
        return [
            ("POST", r"/v4/broadcasts", self.create),
            ("GET", r"/v4/broadcasts/(\d+)", self.get),
            ("PUT", r"/v4/broadcasts/(\d+)", self.update),
        ]

    def refused(self, seen: Seen) -> Response | None:
        if seen.body.get("email_template_id", 2) != 2:
            return self.canned("invalid")
        if seen.body.get("send_at") or seen.body.get("public"):
            self.sent.append(f"{seen.method} {seen.path}: scheduled or public")
        return None

    def create(self, seen: Seen) -> Response:
        refused = self.refused(seen)
        if refused:
            return refused
        broadcast_id = str(self.new_id(self.fixture["create"]["response"]["broadcast"]["id"]))
        self.items[broadcast_id] = {**seen.body, "status": "draft"}
        return self.get(seen, broadcast_id)

    def get(self, seen: Seen, broadcast_id: str) -> Response:
        if broadcast_id not in self.items:
            return reply(404, {"errors": ["Not Found"]})
        broadcast = {**self.fixture["create"]["response"]["broadcast"], **self.items[broadcast_id]}
        return reply(200, {"broadcast": {**broadcast, "id": int(broadcast_id)}})

    def update(self, seen: Seen, broadcast_id: str) -> Response:
        refused = self.refused(seen)
        if refused:
            return refused
        self.items[broadcast_id].update(seen.body)
        return self.get(seen, broadcast_id)


class Ghost(Fake):
    """https://docs.ghost.org/admin-api/: a five-minute HS256 token signed with the key's
    secret; a post is emailed only when published with ?newsletter=; an update needs the
    post's current updated_at."""

    name = "ghost"
    admin = "/ghost/api/admin/posts/"

    def __init__(self, server: HTTPServer) -> None:
        super().__init__(server, GHOST_KEY)

    def authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        key_id, _, secret = self.key.partition(":")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token, bytes.fromhex(secret), algorithms=["HS256"], audience="/admin/"
            )
        except jwt.PyJWTError:
            return False
        return (
            scheme == "Ghost"
            and header.get("kid") == key_id
            and claims["exp"] - claims["iat"] <= 300
        )

    def refuse_key(self) -> Response:
        return reply(401, {"errors": [{"message": "Invalid token", "type": "UnauthorizedError"}]})

    def routes(self) -> list[Route]:
        return [
            ("POST", self.admin, self.create),
            ("GET", self.admin + r"([0-9a-f]+)/", self.get),
            ("PUT", self.admin + r"([0-9a-f]+)/", self.update),
        ]

    def refused(self, seen: Seen) -> Response | None:
        post = seen.body["posts"][0]
        if "newsletter" in seen.query or post.get("status") != "draft":
            self.sent.append(f"{seen.method} {seen.path}: {post.get('status')} {seen.query}")
        if len(post["title"]) > 255:
            return self.canned("invalid")
        return None

    def create(self, seen: Seen) -> Response:
        refused = self.refused(seen)
        if refused:
            return refused
        post_id = self.new_id(self.fixture["create"]["response"]["posts"][0]["id"])
        stamp = f"2025-07-15T08:00:0{len(self.items)}.000Z"
        self.items[post_id] = {**seen.body["posts"][0], "updated_at": stamp}
        return self.get(seen, post_id, 201)

    def get(self, seen: Seen, post_id: str, status: int = 200) -> Response:
        if post_id not in self.items:
            return reply(404, {"errors": [{"message": "Post not found.", "type": "NotFoundError"}]})
        post = {**self.fixture["create"]["response"]["posts"][0], **self.items[post_id]}
        return reply(status, {"posts": [{**post, "id": post_id}]})

    def update(self, seen: Seen, post_id: str) -> Response:
        refused = self.refused(seen)
        if refused:
            return refused
        post = seen.body["posts"][0]
        if post.get("updated_at") != self.items[post_id]["updated_at"]:
            return reply(
                409,
                {
                    "errors": [
                        {
                            "message": "Saving failed! Someone else is editing this post.",
                            "type": "UpdateCollisionError",
                        }
                    ]
                },
            )
        self.items[post_id].update({**post, "updated_at": "2025-07-15T09:00:00.000Z"})
        return self.get(seen, post_id)


FAKES: dict[str, type[Fake]] = {f.name: f for f in (Listmonk, Buttondown, Mailchimp, Kit, Ghost)}
