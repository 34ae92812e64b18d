# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import OperationFailedError, WaitTimeoutError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import state_of
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import (
    DONE,
    FAILED,
    PENDING,
    Deadline,
    Waiter,
)
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fakes import Scripted

STOPPING = {'instance_id': 'lhins-aaaaaaaa', 'instance_state': 'STOPPING', 'latest_operation': 'StopInstances',
            'latest_operation_state': 'OPERATING', 'latest_operation_request_id': 'req-1', 'cpu': 2}
STOPPED = dict(STOPPING, instance_state='STOPPED', latest_operation_state='SUCCESS')
FAILED_STOP = dict(STOPPING, instance_state='RUNNING', latest_operation_state='FAILED')


def test_deadline_counts_down_on_its_clock(clock):
    deadline = Deadline(10, clock)
    clock.sleep(4)
    assert (deadline.elapsed(), deadline.remaining()) == (4, 6)
    clock.sleep(7)
    assert deadline.remaining() == 0


def test_done_at_once_returns_without_sleeping(clock):
    assert Waiter(sleep=clock.sleep).wait('stop', Scripted((DONE, STOPPED)), Deadline(60, clock), state_of) is STOPPED
    assert clock.sleeps == []


def test_polls_short_first_then_longer_up_to_the_cap(clock):
    probe = Scripted(*[(PENDING, STOPPING)] * 7 + [(DONE, STOPPED)])
    assert Waiter(sleep=clock.sleep).wait('stop', probe, Deadline(60, clock), state_of) is STOPPED
    assert probe.calls == 8
    assert clock.sleeps == [0.25, 0.375, 0.5625, 0.84375, 1.0, 1.0, 1.0]


def test_an_operation_just_sent_is_first_looked_at_after_the_first_interval(clock):
    probe = Scripted((PENDING, STOPPING), (DONE, STOPPED))
    assert Waiter(sleep=clock.sleep).wait('stop', probe, Deadline(60, clock), state_of, just_sent=True) is STOPPED
    assert probe.calls == 2
    assert clock.sleeps == [0.25, 0.375]


def test_a_deadline_shorter_than_the_first_interval_cuts_the_first_pause(clock):
    probe = Scripted((DONE, STOPPED))
    assert Waiter(sleep=clock.sleep).wait('stop', probe, Deadline(0.1, clock), state_of, just_sent=True) is STOPPED
    assert clock.sleeps == [0.1]


def test_failed_operation_fails_at_once_with_details(clock):
    probe = Scripted((PENDING, STOPPING), (FAILED, FAILED_STOP))
    with pytest.raises(OperationFailedError) as caught:
        Waiter(sleep=clock.sleep).wait('StopInstances on lhins-aaaaaaaa', probe, Deadline(1200, clock), state_of)
    assert clock.sleeps == [0.25]
    assert caught.value.request_id == 'req-1'
    assert caught.value.message == ('StopInstances on lhins-aaaaaaaa failed: instance lhins-aaaaaaaa: instance_state=RUNNING, latest_operation=StopInstances, '
                                    'latest_operation_state=FAILED, latest_operation_request_id=req-1')


def test_deadline_fails_naming_what_and_last_seen(clock):
    probe = Scripted((PENDING, STOPPING))
    with pytest.raises(WaitTimeoutError) as caught:
        Waiter(sleep=clock.sleep).wait('lhins-aaaaaaaa to stop', probe, Deadline(3, clock), state_of)
    assert clock.now == 103.0  # the last sleep is cut to the deadline, then it looks one final time
    assert probe.calls == len(clock.sleeps) + 1
    assert caught.value.code == 'WaitTimeout'
    assert caught.value.message == ('timed out after 3s waiting for lhins-aaaaaaaa to stop; last seen: instance lhins-aaaaaaaa: instance_state=STOPPING, '
                                    'latest_operation=StopInstances, latest_operation_state=OPERATING, latest_operation_request_id=req-1')


def test_condition_met_at_the_final_look_succeeds(clock):
    probe = Scripted((PENDING, STOPPING), (PENDING, STOPPING), (DONE, STOPPED))
    assert Waiter(sleep=clock.sleep).wait('stop', probe, Deadline(0.5, clock), state_of) is STOPPED
    assert clock.sleeps == [0.25, 0.25]


def test_errors_of_the_probe_propagate(clock):
    with pytest.raises(OperationFailedError):
        Waiter(sleep=clock.sleep).wait('stop', Scripted(OperationFailedError('x', 'y')), Deadline(60, clock), state_of)
