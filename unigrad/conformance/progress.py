"""Progress of a conformance run on stderr: a bar redrawn in place on a terminal; without one
(logs, CI) a plain line at most every ``interval`` seconds, so logs stay short."""
from __future__ import annotations

import sys
import time


class Progress:
    """Call with ``(done, total, result)`` after each case."""

    def __init__(self, device: str, stream=None, interval: float = 5.0, tty: bool | None = None) -> None:
        self.device = device
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.tty = self.stream.isatty() if tty is None else tty
        self.failed = 0
        self.started = self.last = time.monotonic()
        self.drawn = 0.0

    def __call__(self, done: int, total: int, result) -> None:
        self.failed += result.status in ("failed", "error")
        now = time.monotonic()
        if self.tty:
            if done == total or now - self.drawn >= 0.1:
                self._bar(done, total)
                self.drawn = now
            return
        if now - self.last >= self.interval and done < total:
            self.last = now
            self.stream.write(f"conformance {self.device}: {done}/{total} cases, {self.failed} failed, "
                              f"{now - self.started:.0f} s\n")
            self.stream.flush()

    def _bar(self, done: int, total: int) -> None:
        width = 40
        filled = int(width * done / total)
        failed = f" {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r{self.device} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{failed}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()
