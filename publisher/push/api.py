"""Talking to an email service's API: one client, every failure a user's message, rate limits
waited out within a bound, and a dry run that shows each request instead of making it."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import httpx

from publisher.errors import PublisherError
from publisher.push.service import Service

#: The only place the key is read from.
KEY_VARIABLE = "PUBLISHER_PUSH_KEY"
#: Seconds a push waits in all when a service asks it to slow down (429 with Retry-After).
MAX_WAIT = 30.0
#: Times one request is tried again after a 429, however short the waits.
MAX_RETRIES = 5
#: What a dry run says where the service would give an id.
NEW_ID = "{new id}"
#: Strings a dry run shows whole; longer ones by their size.
SHOWN = 60


class Api:
    """A client of one service: JSON in and out, errors as ``PublisherError``."""

    def __init__(
        self,
        service: Service,
        key: str,
        timeout: int,
        show: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service, self.timeout, self.show, self.sleep = service, timeout, show, sleep
        self.base = service.base_url(key)
        self.host = urlsplit(self.base).netloc
        self.waited = 0.0
        self.client = httpx.Client(
            base_url=self.base,
            headers={"Accept": "application/json", **service.headers(key)},
            auth=service.auth(key),
            timeout=timeout,
        )

    @property
    def dry_run(self) -> bool:
        """Return whether requests are shown instead of made."""
        return self.show is not None

    def close(self) -> None:
        """Close the connections."""
        self.client.close()

    def get(self, path: str) -> Any | None:
        """Return the JSON at ``path``, or None when the service has nothing there (404)."""
        if self.show is not None:
            self.show(f"GET {self.base}{path}  (to check it is still a draft)")
            return None
        response = self._request("GET", path)
        if response.status_code == 404:
            return None
        return self._answer(response, "GET", path)

    def send(
        self, method: str, path: str, body: dict[str, Any], params: dict[str, str] | None = None
    ) -> Any:
        """Make a request that writes ``body`` (JSON); return the answer's JSON."""
        if self.show is not None:
            query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
            self.show(f"{method} {self.base}{path}{query}")
            for header, value in self.service.pinned.items():
                self.show(f"  header {header}: {value}")
            for line in describe(body):
                self.show(f"  {line}")
            return {}
        response = self._request(method, path, json=body, params=params)
        return self._answer(response, method, path)

    def delete(self, path: str) -> None:
        """Delete what ``path`` names (a draft publisher just made and could not finish)."""
        if self.show is None:
            self._answer(self._request("DELETE", path), "DELETE", path)

    def dig(self, data: Any, *keys: str | int) -> Any:
        """Return ``data[k1][k2]...`` of an answer (in a dry run, a stand-in for an id)."""
        if self.show is not None:
            return NEW_ID
        try:
            for key in keys:
                data = data[key]
        except (KeyError, IndexError, TypeError):
            raise PublisherError.at(
                f"{self.service.name} answered without the expected "
                f"{'.'.join(str(k) for k in keys)}",
                hint=f"check url under [push]: it must be {self.service.name}'s address",
            ) from None
        return data

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Make a request, waiting out 429s within MAX_WAIT; connection failures are errors."""
        for _ in range(MAX_RETRIES + 1):
            try:
                response = self.client.request(method, path, **options)
            except httpx.TimeoutException as exc:
                raise PublisherError.at(
                    f"no answer from {self.host} within {self.timeout} s",
                    hint="check url under [push] (and your connection); for a slow service, "
                    "raise timeout under [push]",
                ) from exc
            except httpx.TransportError as exc:
                raise PublisherError.at(
                    f"cannot reach {self.service.name} at {self.host}: {exc or type(exc).__name__}",
                    hint="check url under [push] and this machine's network connection",
                ) from exc
            if response.status_code != 429:
                return response
            wait = retry_after(response.headers.get("Retry-After"))
            if wait is None or self.waited + wait > MAX_WAIT:
                raise self._too_fast(wait)
            self.waited += wait
            self.sleep(wait)
        raise self._too_fast(None)

    def _too_fast(self, wait: float | None) -> PublisherError:
        asked = f"; it asks to wait {wait:.0f} s" if wait is not None else ""
        later = f"in {wait:.0f} s" if wait is not None and wait > MAX_WAIT else "in a minute"
        return PublisherError.at(
            f"{self.service.name} is limiting the rate of requests (429 Too Many Requests){asked}",
            hint=f"push again {later}: publisher waits at most {MAX_WAIT:.0f} s in all",
        )

    def _answer(self, response: httpx.Response, method: str, path: str) -> Any:
        """Return a successful answer's JSON, or raise the service's refusal as a message."""
        status = response.status_code
        if 200 <= status < 300:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise PublisherError.at(
                    f"{self.host} answered {method} {path} with something that is not JSON",
                    hint=f"check url under [push]: it must be {self.service.name}'s address",
                ) from None
        raise refusal(self.service, status, _phrase(status), service_message(response))


def refusal(service: Service, status: int, reason: str, message: str) -> PublisherError:
    """Return the error for a status ``service`` answered with ``message``."""
    name, said = service.name, f": {message}" if message else ""
    if status in (401, 403):
        right = " and the right to edit drafts" if status == 403 else ""
        return PublisherError.at(
            f"{name} refused the key ({status} {reason}){said}",
            hint=f"set {KEY_VARIABLE} to {service.key_shape}{right}",
        )
    hint = service.hint(status, message)
    if status == 404:
        return PublisherError.at(
            f"{name} has nothing at that address (404 {reason}){said}",
            hint=hint or f"check url under [push]: it must be {name}'s address",
        )
    if status < 500:
        return PublisherError.at(
            f"{name} refused the {service.thing} ({status} {reason}){said}",
            hint=hint or "fix what it names, in the issue or under [push] in newsletter.toml",
        )
    return PublisherError.at(
        f"{name} failed ({status} {reason}){said}", hint="try again later; nothing was recorded"
    )


def _phrase(status: int) -> str:
    """Return the standard words for an HTTP status (servers word them differently)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def service_message(response: httpx.Response) -> str:
    """Return what a service says of a refusal, in its own words, on one line."""
    try:
        data = response.json()
    except ValueError:
        return " ".join(response.text.split())[:300]
    return " ".join(_messages(data).split())[:600]


def _messages(data: Any) -> str:
    """Gather the messages of listmonk, Buttondown, Mailchimp, Kit and Ghost error bodies."""
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        return "; ".join(filter(None, (_messages(item) for item in data)))
    if not isinstance(data, dict):
        return ""
    parts = [str(data[k]) for k in ("message", "title", "detail", "context") if data.get(k)]
    if isinstance(data.get("field"), str) and parts:
        parts[0] = f"{data['field']}: {parts[0]}"
    if "errors" in data:
        parts.append(_messages(data["errors"]))
    return " ".join(dict.fromkeys(p for p in parts if p)) if parts else ""


def retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def describe(body: dict[str, Any], prefix: str = "") -> list[str]:
    """Return a request's fields, one a line: short values as they are, long ones by size."""
    lines = []
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            lines += describe(value, f"{name}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                lines += describe(item, f"{name}[{i}].")
        elif isinstance(value, str) and (len(value) > SHOWN or "\n" in value):
            lines.append(f"{name}: {len(value):,} characters")
        else:
            lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    return lines
