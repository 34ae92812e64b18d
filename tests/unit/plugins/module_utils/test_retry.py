# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError, WaitTimeoutError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Retry
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


def test_gives_up_after_max_attempts_with_the_last_error(clock):
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


def test_lost_answer_to_a_mutating_call_is_not_retried(clock):
    call = Scripted(NETWORK, 'never reached')
    with pytest.raises(LighthouseError):
        retry(clock).call(call, idempotent=False)
    assert call.calls == 1


@pytest.mark.parametrize('error', [THROTTLED, INTERNAL])
def test_mutating_call_rejected_by_the_api_is_retried(clock, error):
    call = Scripted(error, 'answer')
    assert retry(clock).call(call, idempotent=False) == 'answer'
    assert call.calls == 2


def test_busy_resource_is_settled_then_retried(clock):
    call = Scripted(BUSY, BUSY, 'answer')
    settled = []
    assert retry(clock).call_when_busy(call, settled.append, Deadline(60, clock)) == 'answer'
    assert settled == [BUSY, BUSY]
    assert call.calls == 3
    assert clock.sleeps == [0.375, 0.75]


def test_busy_retry_still_absorbs_throttling(clock):
    call = Scripted(THROTTLED, BUSY, THROTTLED, 'answer')
    settled = []
    assert retry(clock).call_when_busy(call, settled.append, Deadline(60, clock)) == 'answer'
    assert settled == [BUSY]
    assert call.calls == 4


def test_busy_forever_ends_at_the_deadline_with_the_busy_error(clock):
    call = Scripted(BUSY)
    with pytest.raises(LighthouseError) as caught:
        retry(clock).call_when_busy(call, lambda err: None, Deadline(10, clock))
    assert caught.value is BUSY
    assert clock.now - 100.0 <= 10


def test_settle_failure_propagates(clock):
    timeout = WaitTimeoutError('lhins-aaaaaaaa to settle', 10, 'instance_state=STOPPING')

    def settle(err):
        raise timeout

    with pytest.raises(WaitTimeoutError) as caught:
        retry(clock).call_when_busy(Scripted(BUSY), settle, Deadline(10, clock))
    assert caught.value is timeout


def test_fatal_error_while_waiting_out_busy_is_raised_at_once(clock):
    fatal = LighthouseError('UnsupportedOperation.InvalidInstanceState', 'wrong state', 'req-s')
    call = Scripted(BUSY, fatal, 'never reached')
    with pytest.raises(LighthouseError) as caught:
        retry(clock).call_when_busy(call, lambda err: None, Deadline(60, clock))
    assert caught.value is fatal
    assert call.calls == 2


def test_waiting_out_busy_needs_a_deadline(clock):
    with pytest.raises(ValueError):
        retry(clock).call_when_busy(Scripted(BUSY), lambda err: None, None)


# ---- send_replanned: a busy refusal is planned again, not repeated blindly

class Sender:
    """send() for send_replanned: records what it is given; requests named in `refuse` raise the next of its errors."""

    def __init__(self, **refuse):
        self.refuse = refuse
        self.sent = []

    def __call__(self, request):
        self.sent.append(request)
        if self.refuse.get(request):
            raise self.refuse[request].pop(0)


def test_send_replanned_sends_every_request_in_order_without_replanning_or_pausing(clock):
    send = Sender()
    retry(clock).send_replanned(['a', 'b'], send, lambda request: pytest.fail('replanned'), Deadline(60, clock))
    assert send.sent == ['a', 'b']
    assert clock.sleeps == []


def test_send_replanned_sends_what_the_replan_still_needs_in_place_of_a_busy_request_after_a_pause(clock):
    send = Sender(a=[BUSY])
    replanned = []

    def replan(request):
        replanned.append((request, clock.now))
        return ['a2', 'a3']

    retry(clock, rand=1.0).send_replanned(['a', 'b'], send, replan, Deadline(60, clock))
    assert send.sent == ['a', 'a2', 'a3', 'b']
    assert replanned == [('a', 100.0)]
    assert clock.sleeps == [0.5]  # delay(1) with the jitter at the top


def test_send_replanned_sends_nothing_more_and_does_not_pause_when_the_replan_needs_nothing(clock):
    send = Sender(a=[BUSY])
    retry(clock).send_replanned(['a', 'b'], send, lambda request: [], Deadline(60, clock))
    assert send.sent == ['a', 'b']
    assert clock.sleeps == []


def test_send_replanned_pauses_longer_after_each_refusal(clock):
    send = Sender(a=[BUSY, BUSY])
    retry(clock, rand=1.0).send_replanned(['a'], send, lambda request: [request], Deadline(60, clock))
    assert send.sent == ['a', 'a', 'a']
    assert clock.sleeps == [0.5, 1.0]


def test_send_replanned_raises_other_errors_without_replanning(clock):
    fatal = LighthouseError('UnsupportedOperation.InvalidInstanceState', 'wrong state', 'req-s')
    send = Sender(a=[fatal])
    with pytest.raises(LighthouseError) as caught:
        retry(clock).send_replanned(['a', 'b'], send, lambda request: pytest.fail('replanned'), Deadline(60, clock))
    assert caught.value is fatal
    assert send.sent == ['a']


def test_send_replanned_raises_a_replan_failure(clock):
    timeout = WaitTimeoutError('lhins-aaaaaaaa to settle', 10, 'instance_state=STOPPING')

    def replan(request):
        raise timeout

    with pytest.raises(WaitTimeoutError) as caught:
        retry(clock).send_replanned(['a'], Sender(a=[BUSY]), replan, Deadline(10, clock))
    assert caught.value is timeout


def test_send_replanned_raises_the_busy_error_rather_than_pause_past_the_deadline(clock):
    deadline = Deadline(10, clock)

    def replan(request):
        clock.sleep(9.8)  # settling took nearly all the time there was
        return [request]

    send = Sender(a=[BUSY])
    with pytest.raises(LighthouseError) as caught:
        retry(clock, rand=1.0).send_replanned(['a'], send, replan, deadline)
    assert caught.value is BUSY
    assert send.sent == ['a']
    assert clock.sleeps == [9.8]


def test_send_replanned_raises_the_busy_error_at_the_deadline_without_replanning(clock):
    deadline = Deadline(10, clock)
    clock.sleep(10)
    with pytest.raises(LighthouseError) as caught:
        retry(clock).send_replanned(['a'], Sender(a=[BUSY]), lambda request: pytest.fail('replanned'), deadline)
    assert caught.value is BUSY
