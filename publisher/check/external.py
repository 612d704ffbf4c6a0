"""``publisher check --links``: whether each link to another site still leads somewhere.

Each address is asked once (HEAD, then GET where HEAD is refused), a few at a time per site,
without following redirects: a 404 or 410 is an error at the link's line, a permanent redirect
a warning naming the new address, and a refusal (403, 429, 5xx), a timeout or no connection
"could not check". What a site answered is kept a day in ``.publisher-cache/links.json``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from publisher import __version__
from publisher.check.rules import Finding, Locator, Rule
from publisher.config import CACHE_DIR, Config
from publisher.model.issue import Issue

if TYPE_CHECKING:
    from publisher.model.markdown import Document

#: Where the answers are kept, inside the newsletter folder, and for how long.
CACHE_FILE = "links.json"
KEPT = 24 * 3600
#: Requests at once: to one site, and in all.
PER_HOST, AT_ONCE = 2, 8
#: Seconds to wait for a site before its links could not be checked (``check --timeout``).
TIMEOUT = 10.0
USER_AGENT = f"publisher/{__version__} (newsletter link check)"
OK, MOVED, GONE, UNKNOWN = "ok", "moved", "gone", "unknown"


@dataclass(frozen=True)
class Answer:
    """What a site answered for one address."""

    kind: str
    status: int = 0
    #: MOVED: the new address; UNKNOWN: why it could not be checked.
    detail: str = ""
    checked: float = 0.0


@dataclass(frozen=True)
class Link:
    """A link to another site, where an issue has it."""

    url: str
    file: str
    position: tuple[int, int]


def links_of(issue: Issue, doc: Document, file: str) -> list[Link]:
    """Return every http(s) link of an issue's body to another site, with its line."""
    where = Locator(issue)
    found = []
    for token in doc.tokens:
        if token.type != "inline":
            continue
        for child in token.children or []:
            href = str(child.attrGet("href") or "").strip() if child.type == "link_open" else ""
            if urlsplit(href).scheme in ("http", "https"):
                found.append(Link(href, file, where.find(token, href)))
    return found


def link_findings(
    links: Iterable[Link], config: Config, root: Path, timeout: float = TIMEOUT
) -> list[Finding]:
    """Ask each linked site about its address; return a finding for each link that is gone,
    moved for good, or could not be checked."""
    links = [link for link in links if not link.url.startswith(config.base_url)]
    answers = ask_all({urldefrag(link.url)[0] for link in links}, timeout, root / CACHE_DIR)
    found = []
    for link in links:
        answer = answers[urldefrag(link.url)[0]]
        finding = _finding(link, answer)
        if finding is not None:
            found.append(finding)
    return found


def _finding(link: Link, answer: Answer) -> Finding | None:
    if answer.kind == GONE:
        return Rule.LNK008.at(
            link.file,
            link.position,
            f"{link.url} answers {answer.status}: the page is gone; fix: link to where it "
            "moved (a search for its title often finds it), or to an archived copy",
        )
    if answer.kind == MOVED:
        return Rule.LNK009.at(
            link.file,
            link.position,
            f"{link.url} has moved for good ({answer.status}) to {answer.detail}; "
            f"fix: link to {answer.detail}",
        )
    if answer.kind == UNKNOWN:
        return Rule.LNK010.at(
            link.file, link.position, f"{link.url} could not be checked: {answer.detail}"
        )
    return None


def ask_all(urls: set[str], timeout: float, cache_dir: Path) -> dict[str, Answer]:
    """Return each address's answer: from the cache when it is under a day old, else asked."""
    now = time.time()
    kept = {u: a for u, a in _read(cache_dir / CACHE_FILE).items() if now - a.checked < KEPT}
    todo = sorted(urls - set(kept))
    hosts: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(PER_HOST))
    for url in todo:  # made here, not in the threads: a defaultdict is not made for threads
        hosts[_host(url)]
    headers = {"User-Agent": USER_AGENT}
    with (
        httpx.Client(headers=headers, timeout=timeout, follow_redirects=False) as client,
        ThreadPoolExecutor(AT_ONCE) as pool,
    ):
        asked = dict(zip(todo, pool.map(lambda u: _ask(client, u, hosts), todo), strict=True))
    if asked:
        answers = kept | {u: a for u, a in asked.items() if a.kind != UNKNOWN}
        _write(cache_dir / CACHE_FILE, answers)
    return kept | asked


def _ask(client: httpx.Client, url: str, hosts: dict[str, threading.Semaphore]) -> Answer:
    """Ask one site about one address: HEAD, then GET if HEAD is refused."""
    with hosts[_host(url)]:
        try:
            response = client.head(url)
            if response.status_code >= 400:  # many servers refuse or mishandle HEAD
                with client.stream("GET", url) as streamed:
                    response = streamed
        except httpx.TimeoutException:
            return Answer(UNKNOWN, detail="no answer in time", checked=time.time())
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            return Answer(UNKNOWN, detail=f"no connection ({exc})", checked=time.time())
    return _answer(url, response)


def _host(url: str) -> str:
    """Return the address's host and port (empty for one that cannot be read, such as an
    unclosed ``[``: asking for it says why)."""
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


def _answer(url: str, response: httpx.Response) -> Answer:
    """Tell what a response says of its address."""
    status, now = response.status_code, time.time()
    if status in (301, 308):
        where = urljoin(url, response.headers.get("Location", ""))
        return Answer(MOVED, status, where, now)
    if status in (404, 410):
        return Answer(GONE, status, checked=now)
    if status < 400:
        return Answer(OK, status, checked=now)
    why = {403: "the site refuses robots", 429: "the site asks to slow down"}
    return Answer(UNKNOWN, status, f"{status}, {why.get(status, 'the site answered an error')}")


def _read(path: Path) -> dict[str, Answer]:
    """Return the kept answers; none when the file is missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {url: Answer(**fields) for url, fields in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _write(path: Path, answers: dict[str, Answer]) -> None:
    """Keep the answers (a temporary file, then a rename: never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_suffix(".tmp")
    data = {url: asdict(answer) for url, answer in sorted(answers.items())}
    spare.write_text(json.dumps(data, indent=1), encoding="utf-8")
    spare.replace(path)
