"""Progress of a long batch (``grader grade``): one redrawn line on a terminal, a few plain lines in a log.

Re-exported by :mod:`grader.reports.terminal`.
"""
from __future__ import annotations

import shutil
import threading
import time
from typing import Callable, TextIO


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def stream_is_tty(stream: object) -> bool:
    """``stream.isatty()``, False for streams without it or already closed."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """Counts ``total`` steps; call ``advance(label)`` after each and ``close()`` at the end.

    On a tty it redraws a single line (carriage return, at most every ``min_interval``
    seconds, always for the last step) with a bar, the count, elapsed time, an estimate of
    the time left and the last label. Elsewhere (a CI log, a pipe) it writes one plain line
    each time another tenth of the work is done, so a log gets about ten lines whatever
    ``total`` is. Safe to call from several threads. Usable as a context manager.
    """

    BAR_WIDTH = 24

    def __init__(self, total: int, stream: TextIO, *, min_interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = max(0, int(total))
        self.done = 0
        self.stream = stream
        self.tty = stream_is_tty(stream)
        self.min_interval = min_interval
        self._clock = clock
        self._start = clock()
        self._last_draw = -float("inf")
        self._last_tenth = 0
        self._drawn_width = 0
        self._printed_done = -1
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, label: str = "") -> None:
        """One more step done; ``label`` names it (e.g. the submission just graded)."""
        with self._lock:
            if self._closed:
                return
            self.done = min(self.done + 1, self.total) if self.total else self.done + 1
            label = " ".join(str(label).split())
            if self.tty:
                self._redraw(label)
            else:
                self._log(label)

    def close(self) -> None:
        """Finish: end the tty line, or write the final count if it was not written yet."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.tty:
                if self._drawn_width:
                    self.stream.write("\n")
            elif self._printed_done != self.done:
                self._write_line("")
            self.stream.flush()

    # ------------------------------------------------------------------ internals

    def _status(self) -> str:
        elapsed = self._clock() - self._start
        text = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        if self.total:
            text += f" ({100 * self.done // self.total}%)"
        text += f" {_duration(elapsed)}"
        if self.total and 0 < self.done < self.total:
            text += f", ~{_duration(elapsed / self.done * (self.total - self.done))} left"
        return text

    def _redraw(self, label: str) -> None:
        now = self._clock()
        if now - self._last_draw < self.min_interval and self.done != self.total:
            return
        self._last_draw = now
        filled = self.BAR_WIDTH * self.done // self.total if self.total else self.BAR_WIDTH
        bar = "=" * filled + (">" if filled < self.BAR_WIDTH else "") + " " * (self.BAR_WIDTH - filled - 1)
        line = f"[{bar[:self.BAR_WIDTH]}] {self._status()}  {label}"
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        line = line[:width]
        self.stream.write("\r" + line.ljust(self._drawn_width))
        self._drawn_width = len(line)
        self.stream.flush()

    def _log(self, label: str) -> None:
        tenth = 10 * self.done // self.total if self.total else self.done
        if (tenth > self._last_tenth or self.done == self.total) and self._printed_done != self.done:
            self._last_tenth = tenth
            self._write_line(label)

    def _write_line(self, label: str) -> None:
        self.stream.write(f"progress: {self._status()}" + (f"  last: {label}" if label else "") + "\n")
        self._printed_done = self.done
        self.stream.flush()
