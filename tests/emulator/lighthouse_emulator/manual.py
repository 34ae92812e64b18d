"""The emulator in-process on a manual clock, for tests: time moves only when something sleeps on the clock.

The emulator's own tests and the collection's unit tests both run it this way.
"""

from .backends import Backend
from .emulator import Emulator

# The Unix time at which a ManualClock reads 0: later than every creation time a test seeds, so new snapshots list first.
START = 1767225600  # 2026-01-01T00:00:00Z


class ManualClock:
    """A monotonic clock that moves only when slept on; ``sleeps`` lists every sleep, in order."""

    def __init__(self, now=0.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def in_process(fleet, region, secret_id, secret_key, clock):
    """An Emulator answering calls made in this process (``call``), whose time is ``clock``'s, on the no-op backend."""
    return Emulator(fleet, region, secret_id, secret_key, Backend(), clock=clock, wall=lambda: START + clock(), sleep=clock.sleep)
