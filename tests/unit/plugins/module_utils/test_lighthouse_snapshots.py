# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot and denied-action helpers of _lighthouse: creating snapshots, waiting for disks to settle."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError, OperationFailedError, WaitTimeoutError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    INSTANCE,
    SNAPSHOT,
    create_snapshot,
    denied_actions,
    wait_snapshot_created,
    wait_system_disk_settled,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import Deadline, NoopWaiter, Waiter
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fake_cloud import FakeCloud, busy, denial, instance, snapshot


@pytest.fixture
def cloud(clock):
    return FakeCloud(clock, [instance(1)], [snapshot(1)])


@pytest.fixture
def waiter(clock):
    return Waiter(sleep=clock.sleep)


def test_denied_actions_of_an_instance_and_a_snapshot(cloud):
    cloud.denied['lhins-00000001'] = [denial('StartInstances', 'UnsupportedOperation.InvalidInstanceState', 'running')]
    assert denied_actions(cloud, INSTANCE, 'lhins-00000001') == [
        {'action': 'StartInstances', 'code': 'UnsupportedOperation.InvalidInstanceState', 'message': 'running'}]
    assert denied_actions(cloud, SNAPSHOT, 'lhsnap-00000001') == []
    assert cloud.calls == [('DescribeInstancesDeniedActions', {'InstanceIds': ['lhins-00000001']}),
                           ('DescribeSnapshotsDeniedActions', {'SnapshotIds': ['lhsnap-00000001']})]


def test_denied_actions_checks_the_id_first(cloud):
    with pytest.raises(LighthouseError) as caught:
        denied_actions(cloud, SNAPSHOT, 'snap-1')
    assert caught.value.code == 'InvalidParameterValue.SnapshotIdMalformed'
    assert cloud.calls == []


def test_denied_actions_without_an_entry_for_the_id_is_empty(cloud, monkeypatch):
    monkeypatch.setattr(cloud, '_DescribeInstancesDeniedActions', lambda params: {'InstanceDeniedActionSet': []})
    assert denied_actions(cloud, INSTANCE, 'lhins-00000001') == []


def test_wait_system_disk_settled_waits_for_snapshots_of_the_disk(cloud, clock, waiter):
    creating = snapshot(2, SnapshotState='CREATING', LatestOperationState='OPERATING')
    cloud.snapshots[creating['SnapshotId']] = creating
    cloud.later(3, lambda: creating.update(SnapshotState='NORMAL', LatestOperationState='SUCCESS'))
    settled = wait_system_disk_settled(cloud, 'lhins-00000001', Deadline(60, clock), waiter)
    assert settled['instance_id'] == 'lhins-00000001'
    assert clock.now - 100 >= 3


def test_wait_system_disk_settled_times_out_naming_the_busy_snapshot(cloud, clock, waiter):
    cloud.snapshots['lhsnap-00000002'] = snapshot(2, SnapshotState='CREATING', LatestOperationState='OPERATING')
    with pytest.raises(WaitTimeoutError) as caught:
        wait_system_disk_settled(cloud, 'lhins-00000001', Deadline(5, clock), waiter)
    assert caught.value.message.startswith('timed out after 5s waiting for instance lhins-00000001 and the snapshots of its '
                                           'system disk to finish their operations; last seen: instance lhins-00000001: ')
    assert '; snapshot lhsnap-00000002: snapshot_state=CREATING' in caught.value.message


def test_wait_system_disk_settled_with_the_noop_waiter_returns_none(cloud, clock):
    assert wait_system_disk_settled(cloud, 'lhins-00000001', Deadline(5, clock), NoopWaiter()) is None
    assert cloud.calls == []


def test_create_snapshot_sends_name_and_tags_and_returns_the_ids(cloud, clock, waiter):
    snapshot_id, request_id = create_snapshot(cloud, 'lhins-00000001', Deadline(60, clock), name='before', tags={'env': 'prod'}, waiter=waiter)
    assert cloud.calls == [('CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotName': 'before',
                                                       'Tags': [{'Key': 'env', 'Value': 'prod'}]})]
    assert cloud.snapshots[snapshot_id]['LatestOperationRequestId'] == request_id
    assert cloud.snapshots[snapshot_id]['SnapshotState'] == 'CREATING'


def test_create_snapshot_without_name_lets_the_cloud_choose(cloud, clock, waiter):
    create_snapshot(cloud, 'lhins-00000001', Deadline(60, clock), waiter=waiter)
    assert cloud.calls == [('CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001'})]


def test_create_snapshot_waits_out_a_busy_disk(cloud, clock, waiter):
    creating = snapshot(2, SnapshotState='CREATING', LatestOperationState='OPERATING')
    cloud.snapshots[creating['SnapshotId']] = creating
    cloud.later(2, lambda: creating.update(SnapshotState='NORMAL', LatestOperationState='SUCCESS'))
    cloud.errors['CreateInstanceSnapshot'] = [busy('UnsupportedOperation.DiskBusy')]
    create_snapshot(cloud, 'lhins-00000001', Deadline(60, clock), waiter=waiter)
    assert cloud.settled_errors == ['UnsupportedOperation.DiskBusy']
    assert clock.now - 100 >= 2
    assert cloud.actions().count('CreateInstanceSnapshot') == 2


def test_create_snapshot_fails_at_once_on_quota(cloud, clock, waiter):
    cloud.errors['CreateInstanceSnapshot'] = [LighthouseError('LimitExceeded.SnapshotQuotaLimitExceeded', 'quota', 'req-1')]
    with pytest.raises(LighthouseError) as caught:
        create_snapshot(cloud, 'lhins-00000001', Deadline(60, clock), waiter=waiter)
    assert caught.value.code == 'LimitExceeded.SnapshotQuotaLimitExceeded'
    assert cloud.actions() == ['CreateInstanceSnapshot']


def test_create_snapshot_without_a_snapshot_id_in_the_answer_is_an_invalid_response(cloud, clock, monkeypatch):
    monkeypatch.setattr(cloud, '_CreateInstanceSnapshot', lambda params: {'RequestId': 'req-9'})
    with pytest.raises(LighthouseError) as caught:
        create_snapshot(cloud, 'lhins-00000001', Deadline(60, clock))
    assert (caught.value.code, caught.value.request_id) == ('InvalidResponse', 'req-9')


def test_wait_snapshot_created_returns_the_normal_snapshot(cloud, clock, waiter):
    snapshot_id, request_id = create_snapshot(cloud, 'lhins-00000001', Deadline(60, clock), waiter=waiter)
    created = wait_snapshot_created(cloud, snapshot_id, request_id, Deadline(60, clock), waiter)
    assert (created['snapshot_id'], created['snapshot_state'], created['latest_operation_state']) == (snapshot_id, 'NORMAL', 'SUCCESS')
    assert 3 <= clock.now - 100 <= 4


def test_wait_snapshot_created_treats_an_unlisted_snapshot_as_pending(cloud, clock, waiter):
    late = snapshot(7, SnapshotState='NORMAL', LatestOperationRequestId='req-7')
    cloud.later(2, lambda: cloud.snapshots.update({late['SnapshotId']: late}))
    created = wait_snapshot_created(cloud, late['SnapshotId'], 'req-7', Deadline(60, clock), waiter)
    assert created['snapshot_id'] == late['SnapshotId']
    assert clock.now - 100 >= 2


def test_wait_snapshot_created_ignores_another_requests_success(cloud, clock, waiter):
    with pytest.raises(WaitTimeoutError) as caught:
        wait_snapshot_created(cloud, 'lhsnap-00000001', 'req-mine', Deadline(3, clock), waiter)
    assert 'the creation of snapshot lhsnap-00000001 (request req-mine)' in caught.value.message


def test_wait_snapshot_created_fails_at_once_when_the_creation_failed(cloud, clock, waiter):
    cloud.snapshots['lhsnap-00000001'].update(LatestOperationState='FAILED', LatestOperationRequestId='req-1')
    with pytest.raises(OperationFailedError) as caught:
        wait_snapshot_created(cloud, 'lhsnap-00000001', 'req-1', Deadline(60, clock), waiter)
    assert caught.value.request_id == 'req-1'
    assert clock.sleeps == []


def test_wait_snapshot_created_with_the_noop_waiter_lists_it_once(cloud, clock):
    listed = wait_snapshot_created(cloud, 'lhsnap-00000001', 'req-x', Deadline(60, clock), NoopWaiter())
    assert listed['snapshot_id'] == 'lhsnap-00000001'
    assert cloud.actions() == ['DescribeSnapshots']
