# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""The collection's one backoff policy: jittered exponential backoff, within the task's deadline."""

from __future__ import annotations

import random
import time

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import BUSY, THROTTLED, TRANSIENT, LighthouseError


class Retry:
    """Jittered exponential backoff for throttled and transient errors; busy resources on request.

    The n-th retry sleeps between half and all of ``min(max_delay, base_delay * 2**(n-1))`` seconds.
    Retrying stops after ``max_attempts`` calls, or earlier when the next sleep would pass the
    deadline; the last error is then raised unchanged. Fatal errors are raised at once.
    """

    def __init__(self, max_attempts=6, base_delay=0.5, max_delay=8.0, sleep=time.sleep, rand=random.random):
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._random = rand

    def delay(self, attempt):
        """Seconds to sleep after the `attempt`-th failed call (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + self._random() * ceiling / 2

    def call(self, func, deadline=None, idempotent=True):
        """Return func(), retrying throttled and transient errors.

        A transient error without a RequestId (the request may never have reached the API, or its
        answer was lost) is retried only when `idempotent`: a mutating call may already have run.
        """
        attempt = 1
        while True:
            try:
                return func()
            except LighthouseError as err:
                delay = self.delay(attempt)
                if not _retryable(err, idempotent) or attempt >= self.max_attempts or _passes(deadline, delay):
                    raise
                self._sleep(delay)
            attempt += 1

    def call_when_busy(self, func, settle, deadline, idempotent=True):
        """Like call(), and when the resource is busy: settle(error), back off, call again, until the deadline.

        `settle` waits for the resource to finish its current operation (usually with a Waiter on the
        same deadline) and may raise, e.g. WaitTimeoutError.
        """
        if deadline is None:
            raise ValueError('waiting out a busy resource needs a deadline')
        attempt = 1
        while True:
            try:
                return self.call(func, deadline, idempotent)
            except LighthouseError as err:
                if err.kind != BUSY:
                    raise
                settle(err)
                delay = self.delay(attempt)
                if _passes(deadline, delay):
                    raise
                self._sleep(delay)
            attempt += 1

    def send_replanned(self, requests, send, replan, deadline):
        """send(request) for each of `requests` in turn; a request refused as busy is planned again, not repeated.

        On a busy refusal, replan(request) waits for the request's resources to settle, looks at them again
        and returns the requests still needed in its place, none when another client got there meanwhile.
        Those are sent after a pause of delay() (the n-th refusal pausing as the n-th retry does). Other
        errors, and a busy refusal at the deadline or whose pause would pass it, are raised.
        """
        pending = list(requests)
        refusals = 0
        while pending:
            request = pending.pop(0)
            try:
                send(request)
            except LighthouseError as err:
                if err.kind != BUSY or deadline.expired():
                    raise
                refusals += 1
                replanned = replan(request)
                if replanned:
                    delay = self.delay(refusals)
                    if _passes(deadline, delay):
                        raise
                    self._sleep(delay)
                pending[:0] = replanned


def _retryable(err, idempotent):
    if err.kind == THROTTLED:
        return True
    return err.kind == TRANSIENT and (idempotent or err.request_id is not None)


def _passes(deadline, delay):
    """True when sleeping `delay` seconds would pass the deadline, if there is one."""
    return deadline is not None and delay > deadline.remaining()
