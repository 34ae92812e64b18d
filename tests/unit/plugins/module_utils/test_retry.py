# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import RATE_LIMITS, Pacer, Retry
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import Deadline
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fakes import Scripted

THROTTLED = LighthouseError('RequestLimitExceeded', 'slow down', 'req-t')
NETWORK = LighthouseError('ClientNetworkError', 'Read timed out.')
INTERNAL = LighthouseError('InternalError', 'oops', 'req-i')
BUSY = LighthouseError('UnsupportedOperation.LatestOperationUnfinished', 'busy', 'req-b')


def retry(clock, rand=0.5):
    return Retry(sleep=clock.sleep, rand=lambda: rand)


@pytest.mark.parametrize('attempt, rand, expected', [
    (1, 0.0, 0.25),
    (1, 1.0, 0.5),
    (2, 0.0, 0.5),
    (3, 1.0, 2.0),
    (5, 1.0, 8.0),
    (9, 1.0, 8.0),   # capped at max_delay
    (9, 0.0, 4.0),   # never less than half the cap: jitter cannot make it hammer the API
])
def test_delay_is_jittered_exponential_and_capped(attempt, rand, expected):
    assert Retry(rand=lambda: rand).delay(attempt) == expected


@pytest.mark.parametrize('error', [THROTTLED, NETWORK, INTERNAL])
def test_retries_throttled_and_transient_errors_then_succeeds(clock, error):
    call = Scripted(error, error, 'answer')
    assert retry(clock).call(call) == 'answer'
    assert call.calls == 3
    assert clock.sleeps == [0.375, 0.75]


def test_without_a_deadline_gives_up_after_max_attempts_with_the_last_error(clock):
    call = Scripted(THROTTLED)
    with pytest.raises(LighthouseError) as caught:
        retry(clock).call(call)
    assert caught.value is THROTTLED
    assert call.calls == 6
    assert len(clock.sleeps) == 5


def test_gives_up_rather_than_sleep_past_the_deadline(clock):
    call = Scripted(THROTTLED)
    deadline = Deadline(2, clock)
    with pytest.raises(LighthouseError) as caught:
        retry(clock, rand=1.0).call(call, deadline)
    assert caught.value is THROTTLED
    assert clock.sleeps == [0.5, 1.0]  # the next sleep (2.0) would end after the deadline
    assert clock.now - 100.0 <= 2


@pytest.mark.parametrize('error', [
    LighthouseError('AuthFailure.SignatureFailure', 'bad signature', 'req-a'),
    LighthouseError('LimitExceeded.SnapshotQuotaLimitExceeded', 'quota', 'req-q'),
    LighthouseError('ResourceNotFound.InstanceIdNotFound', 'gone', 'req-n'),
    BUSY,
])
def test_fatal_quota_and_busy_errors_are_not_retried_by_call(clock, error):
    call = Scripted(error, 'never reached')
    with pytest.raises(LighthouseError) as caught:
        retry(clock).call(call)
    assert caught.value is error
    assert call.calls == 1
    assert clock.sleeps == []


def test_with_a_deadline_throttling_is_retried_until_the_deadline_not_max_attempts(clock):
    call = Scripted(*[THROTTLED] * 20 + ['answer'])
    assert retry(clock, rand=1.0).call(call, Deadline(600, clock)) == 'answer'
    assert call.calls == 21
    assert max(clock.sleeps) == 8.0


@pytest.mark.parametrize('error', [NETWORK, INTERNAL])
def test_a_transient_error_of_a_mutating_call_is_not_retried_it_may_have_taken_effect(clock, error):
    call = Scripted(error, 'never reached')
    with pytest.raises(LighthouseError) as caught:
        retry(clock).call(call, Deadline(600, clock), idempotent=False)
    assert caught.value is error
    assert call.calls == 1


def test_a_throttled_mutating_call_is_retried_the_api_refused_it_before_acting(clock):
    call = Scripted(THROTTLED, 'answer')
    assert retry(clock).call(call, idempotent=False) == 'answer'
    assert call.calls == 2


# ---- Pacer: one task keeps under each action's rate limit

def test_pacer_lets_a_second_s_worth_of_calls_through_at_once(clock):
    pacer = Pacer(clock, clock.sleep, {'DescribeSnapshots': 20})
    for _ in range(20):
        pacer.wait('DescribeSnapshots')
    assert clock.sleeps == []


def test_pacer_spaces_out_calls_beyond_the_limit(clock):
    pacer = Pacer(clock, clock.sleep, {'StopInstances': 2})
    for _ in range(5):
        pacer.wait('StopInstances')
    assert clock.sleeps == [0.5, 0.5, 0.5]


def test_pacer_counts_each_action_on_its_own_and_refills_with_time(clock):
    pacer = Pacer(clock, clock.sleep, {'StartInstances': 1})
    pacer.wait('StartInstances')
    pacer.wait('DescribeRegions')  # not listed: the default limit
    clock.sleep(1)
    pacer.wait('StartInstances')
    assert clock.sleeps == [1]


def test_pacer_knows_every_action_the_collection_calls():
    assert set(RATE_LIMITS) >= {'ApplyInstanceSnapshot', 'CreateInstanceSnapshot', 'DeleteSnapshots', 'DescribeInstances',
                                'DescribeInstancesDeniedActions', 'DescribeSnapshots', 'DescribeSnapshotsDeniedActions',
                                'RebootInstances', 'StartInstances', 'StopInstances'}


def test_backoff_sleeps_the_attempt_s_delay(clock):
    assert retry(clock).backoff(2, Deadline(60, clock)) is True
    assert clock.sleeps == [0.75]


def test_backoff_without_a_deadline_always_sleeps(clock):
    assert retry(clock).backoff(10) is True
    assert clock.sleeps == [6.0]


def test_backoff_refuses_a_sleep_past_the_deadline(clock):
    deadline = Deadline(1, clock)
    assert retry(clock).backoff(3, deadline) is False
    assert clock.sleeps == [] and deadline.remaining() == 1
