# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import BURST_SECONDS, RATE_LIMITS, RATE_SHARE, Pacer, Retry
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


# ---- Pacer: calls keep inside each action's rate limit, alone or shared

def test_pacer_lets_quick_calls_run_a_little_ahead(clock):
    pacer = Pacer(clock, clock.sleep, {'DescribeInstances': 100})
    for _call in range(15):  # spaced at 75 calls a second, up to 0.2 s ahead
        pacer.wait('DescribeInstances')
    assert clock.sleeps == []


def test_pacer_spaces_calls_at_the_rate_share_of_the_limit(clock):
    pacer = Pacer(clock, clock.sleep, {'StopInstances': 2})
    for _call in range(3):
        pacer.wait('StopInstances')
    spacing = 1 / (2 * RATE_SHARE)
    assert clock.sleeps == pytest.approx([spacing - BURST_SECONDS, spacing])


def test_pacer_counts_each_action_on_its_own_and_lets_time_pass(clock):
    pacer = Pacer(clock, clock.sleep, {'StartInstances': 1})
    pacer.wait('StartInstances')
    pacer.wait('DescribeRegions')  # not listed: the default limit, its own schedule
    clock.sleep(2)
    pacer.wait('StartInstances')
    assert clock.sleeps == [2]


def shared_pacers(clock, directory, count):
    pacers = [Pacer(clock, clock.sleep, {'DescribeInstancesDeniedActions': 10}) for _pacer in range(count)]
    for pacer in pacers:
        pacer.share(str(directory), 'AKIDexample')
    return pacers


def test_shared_pacers_take_successive_slots(clock, tmp_path):
    # Three tasks of one control node (three processes, in life) with the same account, calling at the same
    # moment: each takes the next slot of one schedule.
    slept = []
    for pacer in shared_pacers(clock, tmp_path / 'pacing', 5):
        pacer._sleep = slept.append  # pylint: disable=protected-access
        pacer.wait('DescribeInstancesDeniedActions')
    # Slots every 1 / (10 x RATE_SHARE) s from BURST_SECONDS ago: the first ones go at once, the others wait for theirs.
    slots = [number / (10 * RATE_SHARE) - BURST_SECONDS for number in range(5)]
    assert slept == pytest.approx([slot for slot in slots if slot > 0]) and len(slept) == 3
    names = os.listdir(str(tmp_path / 'pacing'))
    assert len(names) == 1 and names[0].endswith('-DescribeInstancesDeniedActions')
    assert 'AKIDexample' not in names[0]  # the account is kept as a hash
    assert stat.S_IMODE(os.stat(str(tmp_path / 'pacing')).st_mode) == 0o700


def test_pacers_of_other_accounts_do_not_wait_for_each_other(clock, tmp_path):
    first, second = shared_pacers(clock, tmp_path, 2)
    second.share(str(tmp_path), 'AKIDother')
    first.wait('StopInstances')
    second.wait('StopInstances')
    assert clock.sleeps == []


@pytest.mark.parametrize('content', [b'', b'not a number', b'1e12'])
def test_a_shared_schedule_that_is_empty_garbled_or_far_ahead_starts_afresh(clock, tmp_path, content):
    pacer, = shared_pacers(clock, tmp_path, 1)
    (tmp_path / ('%s-StopInstances' % hashlib.sha256(b'AKIDexample').hexdigest()[:16])).write_bytes(content)
    pacer.wait('StopInstances')
    assert clock.sleeps == []


def test_a_directory_others_can_write_is_not_shared(clock, tmp_path):
    directory = tmp_path / 'pacing'
    directory.mkdir()
    directory.chmod(0o777)
    first, second = shared_pacers(clock, directory, 2)
    first.wait('StopInstances')
    second.wait('StopInstances')
    assert clock.sleeps == [] and os.listdir(str(directory)) == []


def test_a_directory_that_cannot_be_made_leaves_the_pacer_alone(clock, tmp_path):
    (tmp_path / 'file').write_text('')
    pacer, = shared_pacers(clock, tmp_path / 'file' / 'pacing', 1)
    for _call in range(4):
        pacer.wait('StopInstances')
    spacing = 1 / (10 * RATE_SHARE)
    assert clock.sleeps == pytest.approx([2 * spacing - BURST_SECONDS, spacing])  # its own schedule still paces it


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
