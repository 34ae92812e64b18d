"""Per-action, per-SecretId rate limits over a sliding one-second window."""

import collections
import time

from .errors import ApiError


class RateLimiter:
    """At most ``limit`` accepted calls of an action per SecretId in any one second (rejected calls do not count)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._calls = collections.defaultdict(collections.deque)

    def check(self, secret_id, action, limit):
        now = self.clock()
        window = self._calls[(secret_id, action)]
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            raise ApiError('RequestLimitExceeded', '%s allows %d requests per second.' % (action, limit))
        window.append(now)

    def clear(self):
        self._calls.clear()
