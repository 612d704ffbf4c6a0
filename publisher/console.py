"""The terminal: how messages are shown (a label, in colour on a terminal) and a progress bar
for long builds."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import ClassVar, TypeVar

import click

from publisher.errors import log, logger

T = TypeVar("T")


def setup_logging(verbose: int, quiet: int) -> None:
    """Show publisher's messages on standard error: ``-v`` says more, ``-q`` less."""
    import logging

    class Formatter(logging.Formatter):
        COLOURS: ClassVar[dict[int, str]] = {logging.WARNING: "yellow", logging.ERROR: "red"}

        def __init__(self, colour: bool) -> None:
            super().__init__()
            self.colour = colour

        def format(self, record: logging.LogRecord) -> str:
            message = record.getMessage()
            if record.levelno >= logging.WARNING:
                label = record.levelname.lower() + ":"
                if self.colour:
                    colour = self.COLOURS.get(record.levelno, "red")
                    label = click.style(label, fg=colour, bold=True)
                return f"{label} {message}"
            return message

    level = logging.INFO - 10 * verbose + 10 * quiet
    handler = logging.StreamHandler(sys.stderr)
    colour = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    handler.setFormatter(Formatter(colour))
    publisher_log = logger()
    publisher_log.handlers[:] = [handler]
    publisher_log.setLevel(max(logging.DEBUG, min(level, logging.ERROR)))
    publisher_log.propagate = False


#: Builds with more issues than this show a progress bar on a terminal.
PROGRESS_FROM = 50


def progress_bar(items: Sequence[T]) -> Iterator[T]:
    """Show a progress bar on a terminal for long builds; stay silent otherwise."""
    import logging

    if len(items) < PROGRESS_FROM or not sys.stderr.isatty() or log.level > logging.INFO:
        yield from items
        return
    with click.progressbar(items, label="Rendering", file=sys.stderr) as bar:
        yield from bar
