# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes shared by the unit tests: a clock whose sleep advances it, and scripted calls (the cloud is tests/unit/plugins/emulated.py)."""

from __future__ import annotations


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []
        self.pauses = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def pause(self, seconds):
        """A sleep that is also recorded in `pauses`: give it to a Retry to tell its pauses from the waits."""
        self.pauses.append(seconds)
        self.sleep(seconds)


class Scripted:
    """A callable that plays back outcomes, the last one forever: exceptions are raised, values returned."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
