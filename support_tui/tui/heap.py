"""Full garbage collections at quiet moments, not in the middle of a streamed reply.

Textual builds thousands of short-lived, cache-carrying line strips every frame, so the collector's oldest
generation fills quickly and a full collection (30-100 ms over a console's live objects, measured in the
console benchmark) landed inside a turn's frames, on top of the frame's own 25-35 ms. While the console
runs, automatic full collections are off; the console asks for one when a turn ends and after a quiet
minute. The young generations collect as usual, and reference counting frees everything else at once.
"""

from __future__ import annotations

import gc
import time

NEVER = 2**31 - 1
"""A threshold the oldest generation's counter never reaches."""


def collect_from_now() -> None:
    """Garbage collection on, as usual: the command line starts the console with it off (cli.main), so the
    hundreds of thousands of objects created before the first frame are not scanned while they are made."""
    gc.enable()


PUT_OFF_LIMIT = 3
"""Quiet-moment checks in a row that may find a turn running before the collection runs anyway."""

_holders = 0
_saved: tuple[int, int, int] | None = None


class QuietCollector:
    """One console's hold on the collector: while any console holds it, automatic full collections are off
    (the thresholds are the process's, so two consoles in one process share one saved setting)."""

    def __init__(self) -> None:
        self.holding = False
        self.collections = 0
        """Full collections run by this console."""
        self.longest_ms = 0.0
        """The longest of them, in milliseconds (what a person waited at a quiet moment)."""
        self.put_off = 0

    def hold(self) -> None:
        """Stop automatic full collections (idempotent)."""
        global _holders, _saved
        if self.holding:
            return
        self.holding = True
        if _holders == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], NEVER)
        _holders += 1

    def release(self) -> None:
        """Let go; the last console to let go gives the collector its thresholds back (the next automatic
        full collection then comes as usual)."""
        global _holders, _saved
        if not self.holding:
            return
        self.holding = False
        _holders -= 1
        if _holders == 0 and _saved is not None:
            gc.set_threshold(*_saved)
            _saved = None

    def collect(self, *, quiet: bool = True) -> bool:
        """A full collection now, if the middle generation has been collected since the last full one (so
        something may have become old garbage); True when one ran. Not ``quiet`` (a turn runs), it is put
        off, but only ``PUT_OFF_LIMIT`` times in a row: a console busy without a pause still collects."""
        if not self.holding or gc.get_count()[2] == 0:
            return False
        if not quiet and self.put_off < PUT_OFF_LIMIT:
            self.put_off += 1
            return False
        self.put_off = 0
        started = time.perf_counter()
        gc.collect()
        self.collections += 1
        self.longest_ms = max(self.longest_ms, (time.perf_counter() - started) * 1000)
        return True
