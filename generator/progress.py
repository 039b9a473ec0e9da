"""What a long build is doing, on one line of a terminal redrawn in place (docs/cli.md, "Progress").

Only for people watching: nothing is written unless the stream is a terminal, and `-q` silences it.
The line is cleared before the diagnostics and the summary are printed, so they read as without it.
"""

from __future__ import annotations

import time
from typing import TextIO

# A count redrawn at most this often: a terminal line per file would cost more than reading a small file.
REDRAW_SECONDS = 0.1
CLEAR_LINE = "\r\x1b[K"  # back to the line's start, then erase to its end (ECMA-48 EL)


class Progress:
    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream  # None: silent
        self._drawn = False
        self._last = 0.0

    @classmethod
    def on_terminal(cls, stream: TextIO, quiet: bool = False) -> Progress:
        """Progress on `stream` when it is a terminal and not `quiet`; otherwise silent."""
        return cls(stream if not quiet and stream.isatty() else None)

    @property
    def shown(self) -> bool:
        return self._stream is not None

    def stage(self, text: str) -> None:
        """A new step: always drawn."""
        self._draw(text)

    def count(self, text: str, done: int, total: int) -> None:
        """Progress within a step, e.g. files read: drawn at most every REDRAW_SECONDS, and at the end."""
        if self._stream is None:
            return
        now = time.monotonic()
        if done == total or now - self._last >= REDRAW_SECONDS:
            self._draw(f"{text} {done:,}/{total:,}")

    def clear(self) -> None:
        """Erase the line, so that what is printed next starts on a clean one."""
        if self._stream is not None and self._drawn:
            self._stream.write(CLEAR_LINE)
            self._stream.flush()
            self._drawn = False

    def _draw(self, text: str) -> None:
        if self._stream is None:
            return
        self._stream.write(f"{CLEAR_LINE}gen-bundle: {text}")
        self._stream.flush()
        self._drawn = True
        self._last = time.monotonic()
