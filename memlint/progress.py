"""Progress on stderr: ``memlint: 120/491 files`` on one line of a terminal.

Only when stderr is a terminal (a pipe, a file, CI logs and editors get
nothing), only once a run has taken ``MEMLINT_PROGRESS_DELAY`` seconds (1 by
default: short runs stay quiet), redrawn at most ten times a second, and
erased when the run ends, so that what follows starts on a clean line. It
uses only a carriage return and spaces: no terminal escape sequences.
"""
from __future__ import annotations

import os
import time
from typing import IO, Callable, Optional

DELAY_ENV = "MEMLINT_PROGRESS_DELAY"
DEFAULT_DELAY = 1.0  # seconds before the first line
INTERVAL = 0.1  # seconds between redraws


class Progress:
    """Called as ``progress(done, total)`` whenever a file is done."""

    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.monotonic, delay: Optional[float] = None) -> None:
        self.stream = stream
        self.clock = clock
        self.enabled = _is_terminal(stream)
        self.delay = _delay() if delay is None else delay
        self.started = clock()
        self.drawn_at: Optional[float] = None
        self.width = 0  # of the line on the screen

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < self.delay or (self.drawn_at is not None and now - self.drawn_at < INTERVAL and done < total):
            return
        self._draw(f"memlint: {done}/{total} files")
        self.drawn_at = now

    def finish(self) -> None:
        """Erase the line, if one was drawn."""
        if self.width:
            self._draw("")
            self.width = 0

    def _draw(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self.width) + "\r" * (not text))
        self.stream.flush()
        self.width = len(text)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def _delay() -> float:
    """``MEMLINT_PROGRESS_DELAY`` (seconds), else the default; a bad value is the default."""
    try:
        return max(0.0, float(os.environ.get(DELAY_ENV, DEFAULT_DELAY)))
    except ValueError:
        return DEFAULT_DELAY
