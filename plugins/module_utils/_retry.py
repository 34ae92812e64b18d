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


# The documented default rate limits of the Lighthouse API: calls a second, per action and account.
RATE_LIMITS = {
    'ApplyInstanceSnapshot': 20, 'CreateInstanceSnapshot': 20, 'DeleteSnapshots': 20, 'DescribeDisks': 20,
    'DescribeInstances': 100, 'DescribeInstancesDeniedActions': 10, 'DescribeRegions': 10, 'DescribeSnapshots': 20,
    'DescribeSnapshotsDeniedActions': 20, 'RebootInstances': 10, 'StartInstances': 10, 'StopInstances': 10,
}
DEFAULT_RATE_LIMIT = 10


class Retry:
    """Jittered exponential backoff for throttled and transient errors, within the task's deadline.

    The n-th retry sleeps between half and all of ``min(max_delay, base_delay * 2**(n-1))`` seconds.
    With a deadline, retrying goes on until the next sleep would pass it; without one, it stops after
    ``max_attempts`` calls. The last error is then raised unchanged. Fatal and busy errors are raised at
    once (a busy resource is waited out by LighthouseModule.settle_and_send, which plans again).
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
        """Return func(), retrying throttled errors and, when `idempotent`, transient ones.

        A throttled call was refused before the API acted on it. A transient error (a lost answer, a
        timeout, an internal error) may come after a change took effect, so a mutating call is not sent
        again here: LighthouseModule.settle_and_send finds out from the resources what happened.
        """
        attempt = 1
        while True:
            try:
                return func()
            except LighthouseError as err:
                retryable = err.kind == THROTTLED or (err.kind == TRANSIENT and idempotent)
                if not retryable or (deadline is None and attempt >= self.max_attempts) or not self.backoff(attempt, deadline):
                    raise
            attempt += 1


class Pacer:
    """Keeps one task's calls of each action under the action's documented rate limit (a token bucket).

    A burst of up to a second's worth of calls goes at once; beyond that, calls are spaced out, so that
    a task that polls does not itself cause throttling.
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep, limits=None):
        self._clock = clock
        self._sleep = sleep
        self._limits = RATE_LIMITS if limits is None else limits
        self._buckets = {}  # action -> (tokens, time they were counted)

    def wait(self, action):
        """Sleep, if needed, until a call of `action` keeps within its rate limit; count the call."""
        limit = self._limits.get(action, DEFAULT_RATE_LIMIT)
        now = self._clock()
        tokens, counted = self._buckets.get(action, (limit, now))
        tokens = min(limit, tokens + (now - counted) * limit)
        if tokens < 1:
            self._sleep((1 - tokens) / limit)
            now, tokens = self._clock(), 1
        self._buckets[action] = (tokens - 1, now)
