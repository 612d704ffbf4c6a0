"""What every email service publisher pushes to has: the draft it is given, what it says of a
draft it holds, and the few calls that make or update one (never send, schedule or publish)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx

    from publisher.config.schema import Push
    from publisher.push.api import Api


@dataclass(frozen=True)
class Draft:
    """One issue as a service takes it."""

    slug: str
    #: The draft's name in the service's list of campaigns or posts.
    title: str
    subject: str
    preheader: str
    #: The whole email, its unsubscribe link the service's merge tag.
    html: str
    #: Its plain-text twin.
    text: str
    #: The issue's body alone (absolute URLs), for a service that wraps it in its own template.
    content: str
    #: The issue's date, ISO 8601.
    date: str
    sender_name: str
    sender_email: str


@dataclass(frozen=True)
class Remote:
    """A draft the service holds: its id, its status in the service's words, whether it is still
    a draft publisher may replace, and what an update needs of it (e.g. Ghost's updated_at)."""

    id: int | str
    status: str
    draft: bool
    extra: dict[str, Any] = field(default_factory=dict)


class Service:
    """An email service: where its API is, how a request is signed, and its draft calls."""

    #: Its name in the settings and in publisher-push.json.
    name: ClassVar[str]
    #: What it calls a draft: "campaign", "email", "post"...
    thing: ClassVar[str] = "draft"
    #: Its public API's address (empty: the settings must give url).
    public_url: ClassVar[str] = ""
    #: Where its API documents drafts (quoted in messages).
    docs: ClassVar[str] = ""
    #: Whether it takes the whole email (True) or the issue's body for its own template.
    whole_email: ClassVar[bool] = True
    #: How its key is written, for the message about a wrong one.
    key_shape: ClassVar[str] = "your API key"
    #: Headers every request carries that may be shown (never the key).
    pinned: ClassVar[dict[str, str]] = {}

    def __init__(self, settings: Push) -> None:
        self.settings = settings

    def base_url(self, key: str) -> str:
        """Return the API's address (``url`` in the settings, else the public one)."""
        return (self.settings.url or self.public_url).rstrip("/")

    def check_key(self, key: str) -> str | None:
        """Return what is wrong with the key's shape, or None."""
        return None

    def auth(self, key: str) -> httpx.Auth | None:
        """Return how requests are signed (or None: ``headers`` carry the key)."""
        return None

    def headers(self, key: str) -> dict[str, str]:
        """Return the headers every request carries (the key among them, where it goes there)."""
        return dict(self.pinned)

    def fetch(self, api: Api, remote_id: int | str) -> Remote | None:
        """Return the draft recorded as ``remote_id`` (None: the service no longer has it)."""
        raise NotImplementedError

    def create(self, api: Api, draft: Draft) -> int | str:
        """Make a new draft; return its id."""
        raise NotImplementedError

    def update(self, api: Api, remote: Remote, draft: Draft) -> None:
        """Replace the content of the draft ``remote`` (checked to be one) with ``draft``."""
        raise NotImplementedError

    def adds(self) -> str:
        """Say what the service adds to what publisher pushed."""
        return ""

    def link(self, remote_id: int | str) -> str:
        """Return where the draft is edited in the service, if known."""
        return ""

    def hint(self, status: int, message: str) -> str | None:
        """Return the fix for a refusal the service words as ``message``, if known."""
        return None
