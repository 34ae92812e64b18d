# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""The collection's one backoff policy (jittered exponential backoff, within the task's deadline) and its pacing of calls."""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import stat
import time

from ansible.module_utils.common.text.converters import to_bytes

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


# Calls of an action are spaced at RATE_SHARE of its rate limit, and may run up to BURST_SECONDS ahead of that
# schedule, so that a task's few quick calls go at once: within any second they use at most HEADROOM of the limit,
# which leaves room for network jitter.
HEADROOM = 0.9
RATE_SHARE = 0.75
BURST_SECONDS = (HEADROOM - RATE_SHARE) / RATE_SHARE
# A slot further ahead than this is not believed (a schedule file left by a clock that jumped): the call goes now.
LONGEST_PACE = 60.0


class Pacer:
    """Spaces the calls of each action evenly, inside the action's documented rate limit (RATE_SHARE of it).

    Each call takes the next free slot of its action's schedule and sleeps until it (a slot up to BURST_SECONDS
    in the past goes at once). After share(), the schedule is shared by every task of the control node that uses
    the same account (a small file per account and action, under a lock), so that a batch of tasks started
    together keeps inside the limit instead of being throttled; where no file can be used, the task keeps its own.
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep, limits=None):
        self._clock = clock
        self._sleep = sleep
        self._limits = RATE_LIMITS if limits is None else limits
        self._next = {}  # action -> the next free slot, for a schedule of this task's own
        self._shared = None  # (directory, account key) once shared

    def share(self, directory, account):
        """Share the schedules with the other tasks of this control node that use `account` (a SecretId, never stored)."""
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            info = os.stat(directory)
        except OSError:
            return
        # Only a private directory of this user: anyone else who can write there could hold the calls back.
        if info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            self._shared = (directory, hashlib.sha256(to_bytes(account)).hexdigest()[:16])

    def wait(self, action):
        """Sleep, if needed, until the next free slot of `action`; take it."""
        spacing = 1.0 / (self._limits.get(action, DEFAULT_RATE_LIMIT) * RATE_SHARE)
        now = self._clock()
        slot = self._take_slot(action, now, spacing)
        if slot > now:
            self._sleep(slot - now)

    def _take_slot(self, action, now, spacing):
        if self._shared:
            try:
                return _take_shared_slot(os.path.join(self._shared[0], '%s-%s' % (self._shared[1], action)), now, spacing)
            except OSError:
                pass  # the shared schedule cannot be used: this task keeps its own
        slot = _slot(self._next.get(action), now)
        self._next[action] = slot + spacing
        return slot


def _slot(next_free, now):
    """The slot a call takes: the schedule's next free one (None: a new schedule), at most BURST_SECONDS in the past."""
    if next_free is None or next_free > now + LONGEST_PACE:
        return now - BURST_SECONDS
    return max(now - BURST_SECONDS, next_free)


def _take_shared_slot(path, now, spacing):
    """The next free slot of the schedule in `path` (the monotonic time it holds), which then moves on by `spacing`."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            next_free = float(os.read(descriptor, 64))
        except ValueError:
            next_free = None  # a new (empty) schedule, or one that is not a number: start afresh
        slot = _slot(next_free, now)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, to_bytes(repr(slot + spacing)))
        return slot
    finally:
        os.close(descriptor)  # which releases the lock
