"""Rendering issues: one at a time here, or on a standard pool of processes when there are
enough of them to pay for starting it.

A job is an issue loaded without its Markdown and the signature of the file it was loaded from:
the worker reads the body again from that very file (or loads the file anew if it changed
since). Problems come back as data, so that every issue's are reported together, in order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from publisher.build.keys import Signature, signature_of
from publisher.check import Finding, errors_of
from publisher.config import Config
from publisher.errors import Problem, PublisherError
from publisher.model.issue import Issue, load_one, with_body
from publisher.render.issue import lazy_index, read_body, render_issue
from publisher.render.message import compose
from publisher.render.pages import page_article
from publisher.render.rendered import Rendered
from publisher.render.shelf import Shelf
from publisher.render.theme import Theme

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

#: Fewer issues than this render in the building process: starting processes costs more.
PARALLEL_FROM = 8

#: An issue to render, with the signature of the file its front matter was read from.
Job = tuple[Issue, Signature | None]
#: A rendering and its errors by ``check``'s rules, or the problems that stopped it.
Outcome = tuple[Rendered, list[Finding]] | list[Problem]


@dataclasses.dataclass(frozen=True)
class Renderer:
    """Renders jobs with one newsletter's settings, theme and image shelf."""

    config: Config
    theme: Theme
    now: dt.datetime
    shelf: Shelf

    def __call__(self, job: Job) -> Outcome:
        """Render one issue, its ready-to-send message included (when there is a sender and
        no error), and run ``check``'s error rules on it."""
        light, known = job
        issue = with_body(light, partial(_same_file, known)) if known is not None else None
        if issue is None:
            issue, problems, _ = load_one(light.source, self.config)  # warned when loaded
            if issue is None:
                return problems
        config, root = self.config, self.theme.root
        try:
            doc = read_body(issue, root, lazy_index(root, config, self.now))
            rendered = render_issue(issue, config, self.theme, doc, shelf=self.shelf)
            page = page_article(rendered, config.base_url)
            rendered = dataclasses.replace(rendered, mjml="", issue=light, page_article=page)
            errors = errors_of(issue, doc, rendered, config, root, self.now)
            if config.author.email and not errors:
                rendered = dataclasses.replace(rendered, eml=compose(issue, rendered, config))
            return rendered, errors
        except PublisherError as exc:
            return exc.problems


def _same_file(known: Signature, status: os.stat_result) -> bool:
    return known == signature_of(status)


def render_all(jobs: Sequence[Job], renderer: Renderer, processes: int) -> Iterator[Outcome]:
    """Yield each job's outcome, in order: on ``processes`` processes if there are enough
    jobs to pay for them."""
    if processes < 2 or len(jobs) < PARALLEL_FROM:
        yield from map(renderer, jobs)
        return
    import multiprocessing  # not loaded for the few issues of a usual build
    from concurrent.futures import ProcessPoolExecutor

    # Fork where it is safe (Linux, and no thread runs during a build); the platform's
    # default elsewhere (macOS's system libraries do not survive a fork).
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    pool = ProcessPoolExecutor(
        processes, mp_context=context, initializer=_start, initargs=(renderer,)
    )
    try:
        with _sigint_ignored():  # by the processes from their start, before their initializer
            outcomes = pool.map(_render, jobs, chunksize=max(1, min(32, len(jobs) // 16)))
        log.debug("rendering %d issues on %d processes", len(jobs), processes)
        yield from outcomes
    except BaseException:  # a problem, Ctrl-C, or the caller stopped: stop the others now
        pool.shutdown(wait=False, cancel_futures=True)
        _terminate(pool)
        pool.shutdown()  # and wait for the pool's own thread, which sees them end
        raise
    pool.shutdown()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while the pool's processes start (they are forked with it ignored, so one
    arriving before their initializer runs cannot stop them mid-start); then as before."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread handles signals
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """End a pool's processes at once, mid-rendering (what they rendered is thrown away)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


_RENDERER: Renderer | None = None


def _start(renderer: Renderer) -> None:
    """Ready a rendering process: its renderer, and its end with the building process's (a
    build killed outright cannot tell its pool to stop: its processes would wait forever)."""
    import multiprocessing

    global _RENDERER
    _RENDERER = renderer
    # Ctrl-C reaches every process of the terminal's group: the building process alone
    # handles it (and ends this one); a rendering process stopped mid-task by it could
    # leave the pool's queues locked.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """Wait for the building process to end; then end this one at once."""
    import multiprocessing.connection

    multiprocessing.connection.wait([parent])
    os._exit(1)


def _render(job: Job) -> Outcome:
    assert _RENDERER is not None
    return _RENDERER(job)
