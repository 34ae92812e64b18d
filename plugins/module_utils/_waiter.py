# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""One deadline per module run and a poll loop that fails clearly.

An asynchronous operation is done only when the resource reports our own RequestId with SUCCESS (never an
older SUCCESS); FAILED fails at once, and the deadline fails (never warns), naming what was last seen.
"""

from __future__ import annotations

import time

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import OperationFailedError, WaitTimeoutError

# What a probe reports, together with the value it observed.
DONE = 'done'
PENDING = 'pending'
FAILED = 'failed'


class Deadline:
    """A point in time `timeout` seconds after creation, on a monotonic clock."""

    def __init__(self, timeout, clock=time.monotonic):
        self.timeout = timeout
        self._clock = clock
        self._start = clock()

    def elapsed(self):
        return self._clock() - self._start

    def remaining(self):
        return max(0.0, self.timeout - self.elapsed())


class Waiter:
    """Polls a probe until it reports DONE, short intervals first, growing to `max_interval`.

    A probe is a callable returning ``(status, value)`` with status DONE, PENDING or FAILED.
    FAILED raises OperationFailedError at once; the deadline raises WaitTimeoutError. Both messages
    name what was awaited and the last value seen.
    """

    def __init__(self, first_interval=0.25, max_interval=1.0, growth=1.5, sleep=time.sleep):
        self.first_interval = first_interval
        self.max_interval = max_interval
        self.growth = growth
        self._sleep = sleep

    def wait(self, what, probe, deadline, describe, just_sent=False):
        """Return the value of the first DONE observation; `describe(value)` shows the last one in failures.

        `just_sent`: the operation awaited was accepted a moment ago and cannot have ended yet, so the first look comes
        after the first interval instead of at once.
        """
        interval = self.first_interval
        if just_sent:
            interval = self._pause(interval, deadline.remaining())
        while True:
            status, value = probe()
            if status == DONE:
                return value
            if status == FAILED:
                request_id = value.get('latest_operation_request_id') if isinstance(value, dict) else None
                raise OperationFailedError(what, describe(value), request_id)
            remaining = deadline.remaining()
            if remaining <= 0:
                raise WaitTimeoutError(what, deadline.timeout, describe(value))
            interval = self._pause(interval, remaining)

    def _pause(self, interval, remaining):
        """Sleep `interval`, cut to the `remaining` time; return the next interval."""
        self._sleep(min(interval, remaining))
        return min(interval * self.growth, self.max_interval)
