# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The in-process emulator behind the real Client: answers, errors, faults and time as the SDK would give them."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._client import Client
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Retry
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ELSEWHERE, EmulatedCloud, instance, snapshot


class Credential:
    secret_id = 'AKIDUNITTEST'


@pytest.fixture
def emulated(clock):
    cloud = EmulatedCloud(clock)
    cloud.seed(instance(1, snapshots=[snapshot(1)]), instance(2, 'STOPPED'))
    return cloud


def client(cloud, clock):
    return Client(cloud.sdk_client(Credential(), 'ap-guangzhou', None), 'ap-guangzhou', Retry(sleep=clock.sleep, rand=lambda: 1.0))


def test_answers_carry_the_request_id_the_journal_shows(emulated, clock):
    answer = client(emulated, clock).call('DescribeInstances', {'InstanceIds': ['lhins-00000001']})
    assert [item['InstanceId'] for item in answer['InstanceSet']] == ['lhins-00000001']
    entry = emulated.journal()[-1]
    assert (entry['request_id'], entry['secret_id'], entry['params']) == (answer['RequestId'], 'AKIDUNITTEST', {'InstanceIds': ['lhins-00000001']})


def test_api_errors_become_lighthouse_errors_with_their_request_id(emulated, clock):
    with pytest.raises(LighthouseError) as caught:
        client(emulated, clock).call('StartInstances', {'InstanceIds': ['lhins-00000001']})
    assert caught.value.code == 'UnsupportedOperation.InvalidInstanceState'
    assert caught.value.request_id == emulated.journal()[-1]['request_id']


def test_the_clients_retry_meets_the_emulators_faults_and_rate_limits(emulated, clock):
    emulated.faults.add({'action': 'DescribeInstances', 'code': 'InternalError', 'count': 2})
    emulated.faults.add({'action': 'DescribeSnapshots', 'kind': 'drop'})
    emulated.settings.update({'rate_limits': {'DescribeDisks': 1}})
    lighthouse = client(emulated, clock)
    lighthouse.call('DescribeInstances')
    lighthouse.call('DescribeSnapshots')
    lighthouse.call('DescribeDisks')
    lighthouse.call('DescribeDisks')
    assert [(entry['action'], entry['error_code']) for entry in emulated.journal()] == [
        ('DescribeInstances', 'InternalError'), ('DescribeInstances', 'InternalError'), ('DescribeInstances', None),
        ('DescribeSnapshots', None), ('DescribeSnapshots', None),
        ('DescribeDisks', None), ('DescribeDisks', 'RequestLimitExceeded'), ('DescribeDisks', 'RequestLimitExceeded'), ('DescribeDisks', None)]
    assert clock.sleeps == [0.5, 1.0, 0.5, 0.5, 1.0]  # one second after the first DescribeDisks, the second one passes


def test_operations_advance_with_the_fake_clock_only(emulated, clock):
    request_id = client(emulated, clock).call('StopInstances', {'InstanceIds': ['lhins-00000001']})['RequestId']
    assert emulated.instance('lhins-00000001')['InstanceState'] == 'STOPPING'
    clock.sleep(emulated.settings['durations']['stop'])
    stopped = emulated.instance('lhins-00000001')
    assert (stopped['InstanceState'], stopped['LatestOperationState'], stopped['LatestOperationRequestId']) == ('STOPPED', 'SUCCESS', request_id)
    assert emulated.at(emulated.journal()[0]) == 100


def test_another_clients_doings_are_not_journaled(emulated, clock):
    emulated.before('StartInstances', lambda: emulated.elsewhere('StartInstances', {'InstanceIds': ['lhins-00000002']}))
    with pytest.raises(LighthouseError) as caught:
        client(emulated, clock).call('StartInstances', {'InstanceIds': ['lhins-00000002']})
    assert caught.value.code == 'UnsupportedOperation.LatestOperationUnfinished'
    assert emulated.instance('lhins-00000002')['LatestOperationRequestId'] == ELSEWHERE
    assert emulated.mutations() == ['StartInstances']


def test_pauses_are_the_gaps_after_busy_refusals(emulated, clock):
    lighthouse = client(emulated, clock)
    emulated.faults.add({'action': 'StopInstances', 'code': 'UnsupportedOperation.LatestOperationUnfinished'})
    emulated.faults.add({'action': 'StartInstances', 'code': 'InvalidParameterValue'})
    for action in ('StopInstances', 'StartInstances'):
        with pytest.raises(LighthouseError):
            lighthouse.call(action, {'InstanceIds': ['lhins-00000001']})
        clock.sleep(0.5)
        lighthouse.call('DescribeInstances')
    assert emulated.pauses() == [0.5]
