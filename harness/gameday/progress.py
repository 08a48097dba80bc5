"""Progress for long phases: a bar on a terminal, plain lines elsewhere (CI logs)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30


class PhaseProgress:
    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.game_started = time.monotonic()

    def line(self, message: str) -> None:
        elapsed = time.monotonic() - self.game_started
        print(f"[{elapsed:6.1f}s] {message}", file=self.stream, flush=True)

    def wait(
        self, phase: str, seconds: float, status: Callable[[], str] | None = None, tick: float = 1.0
    ) -> None:
        """Sleep through a timed phase, showing how far along it is."""
        self.line(f"{phase}: {seconds:.0f}s")
        started = time.monotonic()
        last_plain = started
        while (elapsed := time.monotonic() - started) < seconds:
            extra = f"  {status()}" if status else ""
            if self.tty:
                done = int(BAR_WIDTH * elapsed / seconds) if seconds else BAR_WIDTH
                bar = "#" * done + "." * (BAR_WIDTH - done)
                print(f"\r  {phase:<12} [{bar}] {elapsed:4.0f}/{seconds:.0f}s{extra}   ",
                      end="", file=self.stream, flush=True)  # fmt: skip
            elif time.monotonic() - last_plain >= 15:
                self.line(f"  {phase}: {elapsed:.0f}/{seconds:.0f}s{extra}")
                last_plain = time.monotonic()
            time.sleep(min(tick, max(seconds - elapsed, 0.01)))
        if self.tty:
            print(file=self.stream, flush=True)
