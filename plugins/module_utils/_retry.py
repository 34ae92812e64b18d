# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""The collection's one backoff policy: jittered exponential backoff, within the task's deadline."""

from __future__ import annotations

import random
import time

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import THROTTLED, TRANSIENT, LighthouseError


class Retry:
    """Jittered exponential backoff for throttled and transient errors, within the task's deadline.

    The n-th retry sleeps between half and all of ``min(max_delay, base_delay * 2**(n-1))`` seconds.
    Retrying stops after ``max_attempts`` calls, or earlier when the next sleep would pass the
    deadline; the last error is then raised unchanged. Fatal and busy errors are raised at once
    (a busy resource is waited out by LighthouseModule.settle_and_send, which plans again).
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

    def backoff(self, attempt, deadline=None):
        """Sleep delay(attempt) and return True; return False at once when that sleep would pass the deadline."""
        delay = self.delay(attempt)
        if deadline is not None and delay > deadline.remaining():
            return False
        self._sleep(delay)
        return True

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
                if not _retryable(err, idempotent) or attempt >= self.max_attempts or not self.backoff(attempt, deadline):
                    raise
            attempt += 1


def _retryable(err, idempotent):
    if err.kind == THROTTLED:
        return True
    return err.kind == TRANSIENT and (idempotent or err.request_id is not None)
