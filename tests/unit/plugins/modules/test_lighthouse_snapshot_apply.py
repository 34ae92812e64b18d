# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError, OperationFailedError, WaitTimeoutError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import normalize
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Retry
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import Deadline, Waiter
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot_apply as module
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fake_cloud import FakeCloud, busy, denial, instance, snapshot

ARGS = {'secret_id': 'AKIDUNITTEST', 'secret_key': 'unit-test-secret-key', 'region': 'ap-guangzhou'}
PARAMS = dict(instance_id='lhins-00000001', snapshot_id='lhsnap-00000001', snapshot_name=None, force=False,
              backup=False, backup_name=None, wait=True, wait_timeout=1200)
MUTATING = ['ApplyInstanceSnapshot', 'CreateInstanceSnapshot', 'StopInstances', 'StartInstances']


def applied(number=1, request_id='req-old-rollback', **fields):
    """A snapshot whose latest operation is a successful rollback with `request_id`."""
    return snapshot(number, LatestOperation='RollbackInstanceSnapshot', LatestOperationRequestId=request_id, **fields)


# ---- local validation

@pytest.mark.parametrize('changes', [
    {},
    {'snapshot_id': None, 'snapshot_name': 'baseline'},
    {'backup': True, 'backup_name': 'x' * 60},
    {'snapshot_id': None, 'snapshot_name': 'n' * 60},
])
def test_check_options_accepts(changes):
    module.check_options(dict(PARAMS, **changes))


@pytest.mark.parametrize('changes, code, fragment', [
    ({'instance_id': 'ins-1'}, 'InvalidParameterValue.InstanceIdMalformed', "'ins-1'"),
    ({'instance_id': 'lhins-ABCDEFGH'}, 'InvalidParameterValue.InstanceIdMalformed', 'lhins-xxxxxxxx'),
    ({'snapshot_id': 'lhsnap-1'}, 'InvalidParameterValue.SnapshotIdMalformed', "'lhsnap-1'"),
    ({'snapshot_id': None, 'snapshot_name': ''}, 'ClientError', 'snapshot_name must not be empty'),
    ({'snapshot_id': None, 'snapshot_name': 'n' * 61}, 'InvalidParameterValue.SnapshotNameTooLong', 'snapshot_name is 61 characters'),
    ({'backup': True, 'backup_name': 'b' * 61}, 'InvalidParameterValue.SnapshotNameTooLong', 'backup_name is 61 characters'),
    ({'backup_name': 'before'}, 'ClientError', 'backup_name is only used with backup: true'),
])
def test_check_options_refuses(changes, code, fragment):
    with pytest.raises(LighthouseError) as caught:
        module.check_options(dict(PARAMS, **changes))
    assert caught.value.code == code
    assert fragment in caught.value.message


# ---- name resolution

WEB1 = normalize(instance(1))
DISK_SNAPSHOTS = [snapshot(1, name='baseline'), snapshot(2, name='dup'), snapshot(3, name='dup'), snapshot(4, name='Baseline'),
                  snapshot(5, disk=2, name='other-disk')]


def resolve(clock, name):
    cloud = FakeCloud(clock, [instance(1)], DISK_SNAPSHOTS)
    work, result = rollback(cloud, clock, snapshot_id=None, snapshot_name=name)
    return work.resolve_snapshot(WEB1), cloud


@pytest.mark.parametrize('name, snapshot_id', [('baseline', 'lhsnap-00000001'), ('Baseline', 'lhsnap-00000004')])
def test_a_name_is_matched_exactly_among_the_system_disk_snapshots(clock, name, snapshot_id):
    found, cloud = resolve(clock, name)
    assert found['snapshot_id'] == snapshot_id
    assert cloud.calls == [('DescribeSnapshots', {'Filters': [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']},
                                                              {'Name': 'snapshot-name', 'Values': [name]}], 'Offset': 0, 'Limit': 100})]


@pytest.mark.parametrize('name', ['base', 'other-disk'])
def test_a_name_without_a_match_lists_the_disks_snapshots(clock, name):
    with pytest.raises(LighthouseError) as caught:
        resolve(clock, name)
    assert caught.value.code == 'ResourceNotFound.SnapshotNotFound'
    assert caught.value.message == (
        "no snapshot of the system disk lhdisk-00000001 of instance lhins-00000001 is named %r; its snapshots are: "
        "'baseline' (lhsnap-00000001), 'dup' (lhsnap-00000002), 'dup' (lhsnap-00000003), 'Baseline' (lhsnap-00000004)" % name)


def test_a_name_on_a_disk_without_snapshots_says_so():
    error = module.name_error('baseline', WEB1, [], [])
    assert error.message.endswith('its snapshots are: none')


def test_an_ambiguous_name_is_refused_listing_the_candidates_newest_first(clock):
    with pytest.raises(LighthouseError) as caught:
        resolve(clock, 'dup')
    assert caught.value.code == 'InvalidParameterValue'
    assert caught.value.message == (
        "2 snapshots of the system disk lhdisk-00000001 of instance lhins-00000001 are named 'dup': "
        "lhsnap-00000003 (created 2025-01-01T00:03:00Z), lhsnap-00000002 (created 2025-01-01T00:02:00Z); choose one with snapshot_id")


# ---- pre-flight decisions

def test_check_snapshot_disk_accepts_the_instances_system_disk():
    module.check_snapshot_disk(WEB1, normalize(snapshot(1)))


@pytest.mark.parametrize('fields, message', [
    ({'DiskId': 'lhdisk-00000002'},
     'snapshot lhsnap-00000009 was taken of the system disk lhdisk-00000002, not of the system disk lhdisk-00000001 of instance lhins-00000001'),
    ({'DiskId': 'lhdisk-0000000d', 'DiskUsage': 'DATA_DISK'},
     'snapshot lhsnap-00000009 was taken of the data disk lhdisk-0000000d, not of the system disk lhdisk-00000001 of instance lhins-00000001'),
    ({'DiskUsage': 'DATA_DISK'},
     'snapshot lhsnap-00000009 was taken of the data disk lhdisk-00000001, not of the system disk lhdisk-00000001'),
])
def test_check_snapshot_disk_refuses_another_disk_naming_both(fields, message):
    with pytest.raises(LighthouseError) as caught:
        module.check_snapshot_disk(WEB1, normalize(snapshot(9, **fields)))
    assert caught.value.code == 'ResourceNotFound.SnapshotNotFound'
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize('fields, code, message', [
    ({'SnapshotState': 'CREATING'}, 'UnsupportedOperation.InvalidSnapshotState',
     'snapshot lhsnap-00000001 is CREATING; only a NORMAL snapshot can be applied'),
    ({'LatestOperationState': 'FAILED'}, 'UnsupportedOperation.InvalidSnapshotState', 'the creation of snapshot lhsnap-00000001 failed'),
    ({'DiskSize': 20}, 'InvalidParameterValue.DiskSizeNotMatch',
     'snapshot lhsnap-00000001 is of a 20 GB disk, but the system disk lhdisk-00000001 is now 40 GB'),
])
def test_check_snapshot_usable_refuses(fields, code, message):
    with pytest.raises(LighthouseError) as caught:
        module.check_snapshot_usable(WEB1, normalize(snapshot(1, **fields)))
    assert (caught.value.code, caught.value.message) == (code, message)


def test_check_snapshot_usable_accepts_a_snapshot_whose_last_rollback_failed():
    module.check_snapshot_usable(WEB1, normalize(applied(1, LatestOperationState='FAILED')))


# The idempotence rule: (instance state, instance's request id, snapshot's operation, its state, its request id).
@pytest.mark.parametrize('state, instance_request, operation, operation_state, snapshot_request, expected', [
    ('STOPPED', 'r1', 'RollbackInstanceSnapshot', 'SUCCESS', 'r1', True),
    ('STOPPED', 'r1', 'ApplyInstanceSnapshot', 'SUCCESS', 'r1', True),  # either name
    ('RUNNING', 'r1', 'RollbackInstanceSnapshot', 'SUCCESS', 'r1', False),  # started again since
    ('STOPPING', 'r1', 'RollbackInstanceSnapshot', 'SUCCESS', 'r1', False),
    ('STOPPED', 'r2', 'RollbackInstanceSnapshot', 'SUCCESS', 'r1', False),  # something happened since
    ('STOPPED', 'r1', 'RollbackInstanceSnapshot', 'FAILED', 'r1', False),
    ('STOPPED', 'r1', 'RollbackInstanceSnapshot', 'OPERATING', 'r1', False),
    ('STOPPED', 'r1', 'CreateInstanceSnapshot', 'SUCCESS', 'r1', False),
    ('STOPPED', None, 'RollbackInstanceSnapshot', 'SUCCESS', None, False),  # no ids is no match
    ('STOPPED', '', 'RollbackInstanceSnapshot', 'SUCCESS', '', False),
    ('STOPPED', 'r1', None, None, None, False),
])
def test_already_applied(state, instance_request, operation, operation_state, snapshot_request, expected):
    on_instance = normalize(instance(1, state, LatestOperationRequestId=instance_request))
    on_snapshot = normalize(snapshot(1, LatestOperation=operation, LatestOperationState=operation_state,
                                     LatestOperationRequestId=snapshot_request))
    assert module.already_applied(on_instance, on_snapshot) is expected


@pytest.mark.parametrize('state, force', [('STOPPED', False), ('STOPPED', True), ('RUNNING', True)])
def test_check_power_state_accepts(state, force):
    module.check_power_state(normalize(instance(1, state)), force)


@pytest.mark.parametrize('state, force, message', [
    ('RUNNING', False, 'instance lhins-00000001 is RUNNING; stop it first, or set force: true to let the API force-stop it'),
    ('RESCUE_MODE', True, 'instance lhins-00000001 is RESCUE_MODE; a rollback needs it RUNNING or STOPPED'),
    ('SHUTDOWN', False, 'instance lhins-00000001 is SHUTDOWN; a rollback needs it RUNNING or STOPPED'),
    ('LAUNCH_FAILED', True, 'instance lhins-00000001 is LAUNCH_FAILED; a rollback needs it RUNNING or STOPPED'),
])
def test_check_power_state_refuses(state, force, message):
    with pytest.raises(LighthouseError) as caught:
        module.check_power_state(normalize(instance(1, state)), force)
    assert (caught.value.code, caught.value.message) == ('UnsupportedOperation.InvalidInstanceState', message)


def test_blocking_denials_keeps_what_concerns_this_task():
    instance_denied = normalize([denial('StartInstances', 'UnsupportedOperation.InvalidInstanceState'),
                                 denial('ApplyInstanceSnapshot', 'A'), denial('RollbackInstanceSnapshot', 'B'),
                                 denial('CreateInstanceSnapshot', 'LimitExceeded.SnapshotQuotaLimitExceeded')])
    snapshot_denied = normalize([denial('DeleteSnapshots', 'C'), denial('RollbackInstanceSnapshot', 'D')])
    without_backup = module.blocking_denials(instance_denied, snapshot_denied, backup=False)
    assert [(item['resource'], item['code']) for item in without_backup] == [('instance', 'A'), ('instance', 'B'), ('snapshot', 'D')]
    with_backup = module.blocking_denials(instance_denied, snapshot_denied, backup=True)
    assert ('instance', 'LimitExceeded.SnapshotQuotaLimitExceeded') in [(item['resource'], item['code']) for item in with_backup]


# ---- whole runs against a FakeCloud on a FakeClock

def rollback(cloud, clock, check_mode=False, timeout=1200, **changes):
    params = dict(PARAMS, wait_timeout=timeout, **changes)
    result = {}
    retry = Retry(sleep=clock.pause, rand=lambda: 1.0)
    work = module.Rollback(cloud, params, Deadline(timeout, clock), check_mode, Waiter(sleep=clock.sleep), result, retry)
    return work, result


def run(cloud, clock, **changes):
    work, result = rollback(cloud, clock, **changes)
    result.update(work.run())
    return result


def test_check_mode_runs_the_preflight_and_sends_nothing(clock):
    cloud = FakeCloud(clock, [instance(1, 'RUNNING')], [snapshot(1)])
    result = run(cloud, clock, check_mode=True, force=True, backup=True)
    assert cloud.mutations() == []
    assert 'DescribeInstancesDeniedActions' in cloud.actions() and 'DescribeSnapshotsDeniedActions' in cloud.actions()
    assert result['changed'] is True
    assert (result['request_id'], result['backup_snapshot_id']) == (None, None)
    assert result['diff'] == {
        'before': {'instance_state': 'RUNNING', 'snapshot_id': None, 'latest_operation': 'StartInstances SUCCESS (request req-power-1)'},
        'after': {'instance_state': 'STOPPED or RUNNING', 'snapshot_id': 'lhsnap-00000001',
                  'latest_operation': 'ApplyInstanceSnapshot of lhsnap-00000001 (not sent in check mode)'},
    }
    assert clock.sleeps == []


def test_rolls_back_a_stopped_instance_and_waits_for_its_own_request(clock):
    # The snapshot's previous rollback succeeded, and the cloud shows ours only after 1 s: only ours may end the wait.
    cloud = FakeCloud(clock, [instance(1)], [applied(1, request_id='req-older')])
    cloud.report_lag = 1
    result = run(cloud, clock)
    assert cloud.mutations() == ['ApplyInstanceSnapshot']
    assert result['changed'] is True
    assert result['request_id'].startswith('req-apply-')
    assert result['snapshot']['latest_operation_request_id'] == result['request_id']
    assert result['snapshot']['latest_operation_state'] == 'SUCCESS'
    assert result['instance']['instance_state'] == 'STOPPED'
    assert result['diff']['after'] == {'instance_state': 'STOPPED', 'snapshot_id': 'lhsnap-00000001',
                                       'latest_operation': 'ApplyInstanceSnapshot SUCCESS (request %s)' % result['request_id']}
    assert 4 <= clock.now - 100 <= 5  # returned within one poll of the 4 s operation's end


def test_check_mode_result_has_the_shape_of_a_real_run(clock):
    checked = run(FakeCloud(clock, [instance(1)], [snapshot(1)]), clock, check_mode=True)
    real = run(FakeCloud(clock, [instance(1)], [snapshot(1)]), clock)
    assert sorted(checked) == sorted(real) == ['backup_snapshot_id', 'changed', 'diff', 'instance', 'request_id', 'snapshot']


def test_rerun_on_the_same_snapshot_sends_nothing(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    first = run(cloud, clock)
    calls_before = len(cloud.calls)
    for check_mode in (False, True):
        again = run(cloud, clock, check_mode=check_mode, backup=True)
        assert again['changed'] is False
        assert (again['request_id'], again['backup_snapshot_id']) == (None, None)
        assert again['diff']['before'] == again['diff']['after']
        assert again['diff']['before']['snapshot_id'] == 'lhsnap-00000001'
        assert again['instance']['latest_operation_request_id'] == first['request_id']
    new_calls = [action for action, params in cloud.calls[calls_before:]]
    assert [action for action in new_calls if not action.startswith('Describe')] == []
    assert 'DescribeInstancesDeniedActions' not in new_calls


def test_diff_names_the_snapshot_the_instance_is_on_when_moving_to_another(clock):
    cloud = FakeCloud(clock, [instance(1, LatestOperation='ApplyInstanceSnapshot', LatestOperationRequestId='req-r2')],
                      [snapshot(1), applied(2, request_id='req-r2', name='release')])
    result = run(cloud, clock)
    assert result['diff']['before']['snapshot_id'] == 'lhsnap-00000002'
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000001'


def test_resolves_a_unique_name_among_the_system_disk_snapshots(clock):
    snapshots = [snapshot(1, name='other'), snapshot(2, name='baseline'), snapshot(3, disk=2, name='baseline')]
    cloud = FakeCloud(clock, [instance(1), instance(2)], snapshots)
    result = run(cloud, clock, snapshot_id=None, snapshot_name='baseline')
    assert result['snapshot']['snapshot_id'] == 'lhsnap-00000002'
    assert result['snapshot']['disk_id'] == 'lhdisk-00000001'


def test_refuses_a_running_instance_without_force_and_sends_nothing(clock):
    cloud = FakeCloud(clock, [instance(1, 'RUNNING')], [snapshot(1)])
    with pytest.raises(LighthouseError) as caught:
        run(cloud, clock)
    assert 'stop it first, or set force: true' in caught.value.message
    assert cloud.mutations() == []


@pytest.mark.parametrize('start_after_rollback, final_state', [(False, 'STOPPED'), (True, 'RUNNING')])
def test_force_rolls_back_a_running_instance_whatever_the_cloud_does_after(clock, start_after_rollback, final_state):
    cloud = FakeCloud(clock, [instance(1, 'RUNNING')], [snapshot(1)])
    cloud.start_after_rollback = start_after_rollback
    result = run(cloud, clock, force=True)
    assert result['instance']['instance_state'] == final_state
    assert result['instance']['latest_operation_state'] == 'SUCCESS'
    # stop 2 s + rollback 4 s (+ start 2 s): the task waits until the instance has settled
    expected = 8 if start_after_rollback else 6
    assert expected <= clock.now - 100 <= expected + 1
    assert cloud.mutations() == ['ApplyInstanceSnapshot']


def test_a_failed_rollback_fails_at_once_with_its_details(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.fail_rollbacks = True
    work, result = rollback(cloud, clock)
    with pytest.raises(OperationFailedError) as caught:
        work.run()
    request_id = work.request_id
    assert caught.value.request_id == request_id
    assert caught.value.message.startswith('the rollback of instance lhins-00000001 to snapshot lhsnap-00000001 (request %s) failed: '
                                           % request_id)
    assert 'latest_operation_state=FAILED' in caught.value.message
    assert clock.now - 100 <= 5
    assert result == {'backup_snapshot_id': None, 'changed': True}


def test_the_deadline_fails_saying_what_it_last_saw(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.seconds['rollback'] = 100
    work, result = rollback(cloud, clock, timeout=10)
    with pytest.raises(WaitTimeoutError) as caught:
        work.run()
    assert caught.value.request_id == work.request_id
    message = caught.value.message
    assert message.startswith('timed out after 10s waiting for the rollback of instance lhins-00000001 to snapshot lhsnap-00000001')
    assert 'last seen: instance lhins-00000001: instance_state=STOPPED, latest_operation=ApplyInstanceSnapshot' in message
    assert 'snapshot lhsnap-00000001: snapshot_state=ROLLBACKING, percent=0' in message
    assert clock.now - 100 == pytest.approx(10)
    assert result['changed'] is True


def test_wait_false_returns_right_after_the_request(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    result = run(cloud, clock, wait=False)
    assert clock.sleeps == []
    assert result['changed'] is True
    assert result['snapshot']['snapshot_state'] == 'ROLLBACKING'
    assert result['snapshot']['latest_operation_request_id'] == result['request_id']


@pytest.mark.parametrize('settles_to, outcome', [('STOPPED', 'rolled back'), ('RUNNING', 'refused')])
def test_a_transitional_instance_is_waited_out_then_judged(clock, settles_to, outcome):
    cloud = FakeCloud(clock, [instance(1, 'STOPPING', LatestOperationState='OPERATING')], [snapshot(1)])
    cloud.later(3, lambda: cloud.instances['lhins-00000001'].update(InstanceState=settles_to, LatestOperationState='SUCCESS'))
    if outcome == 'refused':
        with pytest.raises(LighthouseError) as caught:
            run(cloud, clock)
        assert 'is RUNNING; stop it first' in caught.value.message
        assert cloud.mutations() == []
    else:
        assert run(cloud, clock)['changed'] is True
        assert cloud.mutations() == ['ApplyInstanceSnapshot']
    assert clock.now - 100 >= 3


def test_a_missing_snapshot_fails_without_waiting_for_the_instance(clock):
    cloud = FakeCloud(clock, [instance(1, 'STOPPING', LatestOperationState='OPERATING')], [snapshot(2)])
    with pytest.raises(LighthouseError) as caught:
        run(cloud, clock)
    assert caught.value.code == 'ResourceNotFound.SnapshotIdNotFound'
    assert clock.sleeps == []


def test_a_settling_instance_past_the_deadline_fails_clearly(clock):
    cloud = FakeCloud(clock, [instance(1, 'STOPPING', LatestOperationState='OPERATING')], [snapshot(1)])
    with pytest.raises(WaitTimeoutError) as caught:
        run(cloud, clock, timeout=5)
    assert caught.value.message.startswith('timed out after 5s waiting for instance lhins-00000001 to be ready for a rollback; '
                                           'last seen: instance lhins-00000001: instance_state=STOPPING')
    assert cloud.mutations() == []


@pytest.mark.parametrize('listed_for, action', [
    ('lhins-00000001', 'ApplyInstanceSnapshot'),
    ('lhins-00000001', 'RollbackInstanceSnapshot'),
    ('lhsnap-00000001', 'RollbackInstanceSnapshot'),
])
def test_a_busy_denial_is_waited_out(clock, listed_for, action):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.denied[listed_for] = lambda: [denial(action, 'UnsupportedOperation.DiskBusy')] if clock.now < 103 else []
    run(cloud, clock)
    applies = [index for index, (name, params) in enumerate(cloud.calls) if name == 'ApplyInstanceSnapshot']
    assert len(applies) == 1
    assert clock.now - 100 >= 3 + 4


@pytest.mark.parametrize('listed_for, action, check_mode', [
    ('lhins-00000001', 'ApplyInstanceSnapshot', False),
    ('lhins-00000001', 'RollbackInstanceSnapshot', True),
    ('lhsnap-00000001', 'RollbackInstanceSnapshot', False),
])
def test_a_fatal_denial_fails_with_the_clouds_code(clock, listed_for, action, check_mode):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.denied[listed_for] = [denial('StartInstances', 'UnsupportedOperation.InvalidInstanceState'),
                                denial(action, 'UnauthorizedOperation.NoPermission', 'not for you')]
    with pytest.raises(LighthouseError) as caught:
        run(cloud, clock, check_mode=check_mode)
    noun = 'instance' if listed_for.startswith('lhins') else 'snapshot'
    assert caught.value.code == 'UnauthorizedOperation.NoPermission'
    assert caught.value.message == 'the cloud denies %s on %s %s: not for you' % (action, noun, listed_for)
    assert cloud.mutations() == []


def test_denials_unrelated_to_the_task_are_ignored(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.denied['lhins-00000001'] = [denial('StartInstances', 'UnsupportedOperation.InvalidInstanceState'),
                                      denial('CreateInstanceSnapshot', 'LimitExceeded.SnapshotQuotaLimitExceeded')]
    cloud.denied['lhsnap-00000001'] = [denial('DeleteSnapshots', 'UnsupportedOperation.InvalidSnapshotState')]
    assert run(cloud, clock)['changed'] is True


def test_a_busy_rollback_request_is_sent_again_after_the_preflight_passes_again_and_a_pause(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.errors['ApplyInstanceSnapshot'] = [busy('UnsupportedOperation.LatestOperationUnfinished')]
    result = run(cloud, clock)
    assert cloud.mutations() == ['ApplyInstanceSnapshot', 'ApplyInstanceSnapshot']
    assert cloud.actions().count('DescribeInstancesDeniedActions') == 2
    assert clock.pauses == [0.5]
    assert result['changed'] is True
    assert result['instance']['latest_operation_request_id'] == result['request_id']


def applied_elsewhere(cloud):
    """The next ApplyInstanceSnapshot is refused as busy: another client is rolling lhins-00000001 back to lhsnap-00000001."""
    def hook():
        del cloud.hooks['ApplyInstanceSnapshot']
        cloud._ApplyInstanceSnapshot({'InstanceId': 'lhins-00000001', 'SnapshotId': 'lhsnap-00000001'})
    cloud.errors['ApplyInstanceSnapshot'] = [busy('UnsupportedOperation.LatestOperationUnfinished')]
    cloud.hooks['ApplyInstanceSnapshot'] = hook


def test_a_busy_rollback_request_is_not_sent_again_when_another_client_applied_the_snapshot_meanwhile(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    applied_elsewhere(cloud)
    result = run(cloud, clock)
    assert cloud.mutations() == ['ApplyInstanceSnapshot']
    assert (result['changed'], result['request_id'], result['backup_snapshot_id']) == (False, None, None)
    assert clock.pauses == []
    elsewhere = cloud.instances['lhins-00000001']['LatestOperationRequestId']
    assert (result['instance']['instance_state'], result['instance']['latest_operation_request_id']) == ('STOPPED', elsewhere)
    assert (result['snapshot']['snapshot_state'], result['snapshot']['latest_operation_request_id']) == ('NORMAL', elsewhere)
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000001'


def test_a_busy_rollback_request_not_sent_again_still_reports_the_backup_as_a_change(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    applied_elsewhere(cloud)
    result = run(cloud, clock, backup=True)
    assert cloud.mutations() == ['CreateInstanceSnapshot', 'ApplyInstanceSnapshot']
    assert result['changed'] is True
    assert result['backup_snapshot_id'] in cloud.snapshots
    assert result['request_id'] is None


def test_a_busy_rollback_request_is_not_repeated_once_the_instance_runs(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.errors['ApplyInstanceSnapshot'] = [busy()]
    # Someone starts the instance while the rollback request is refused as busy.
    cloud.hooks['ApplyInstanceSnapshot'] = lambda: cloud.instances['lhins-00000001'].update(InstanceState='RUNNING')
    with pytest.raises(LighthouseError) as caught:
        run(cloud, clock)
    assert caught.value.code == 'UnsupportedOperation.InvalidInstanceState'
    assert cloud.actions().count('ApplyInstanceSnapshot') == 1
    assert clock.pauses == []


def test_backup_is_taken_and_normal_before_the_rollback(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    result = run(cloud, clock, backup=True, backup_name='before-test')
    assert cloud.mutations() == ['CreateInstanceSnapshot', 'ApplyInstanceSnapshot']
    backup_id = result['backup_snapshot_id']
    assert cloud.snapshots[backup_id]['SnapshotState'] == 'NORMAL'
    assert cloud.snapshots[backup_id]['SnapshotName'] == 'before-test'
    create_at = cloud.actions().index('CreateInstanceSnapshot')
    apply_at = cloud.actions().index('ApplyInstanceSnapshot')
    assert any(action == 'DescribeSnapshots' and params.get('Filters') == [{'Name': 'snapshot-id', 'Values': [backup_id]}]
               for action, params in cloud.calls[create_at:apply_at])
    assert clock.now - 100 >= 3 + 4


def test_backup_gets_a_default_name(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    result = run(cloud, clock, backup=True)
    assert cloud.snapshots[result['backup_snapshot_id']]['SnapshotName'].startswith('before-rollback-to-lhsnap-00000001-')


def test_a_refused_backup_fails_before_the_rollback(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.errors['CreateInstanceSnapshot'] = [LighthouseError('LimitExceeded.SnapshotQuotaLimitExceeded', 'quota', 'req-quota')]
    work, result = rollback(cloud, clock, backup=True)
    with pytest.raises(LighthouseError) as caught:
        work.run()
    assert (caught.value.code, caught.value.request_id) == ('LimitExceeded.SnapshotQuotaLimitExceeded', 'req-quota')
    assert cloud.mutations() == ['CreateInstanceSnapshot']
    assert result == {'backup_snapshot_id': None}


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_quota_the_cloud_lists_as_denied_fails_in_the_preflight(clock, check_mode):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    cloud.denied['lhins-00000001'] = [denial('CreateInstanceSnapshot', 'LimitExceeded.SnapshotQuotaLimitExceeded', 'quota used up')]
    with pytest.raises(LighthouseError) as caught:
        run(cloud, clock, backup=True, check_mode=check_mode)
    assert caught.value.code == 'LimitExceeded.SnapshotQuotaLimitExceeded'
    assert cloud.mutations() == []


def test_a_failed_backup_reports_the_snapshot_it_made(clock):
    cloud = FakeCloud(clock, [instance(1)], [snapshot(1)])
    original = cloud._CreateInstanceSnapshot

    def failing_create(params):
        answer = original(params)
        cloud.snapshots[answer['SnapshotId']]['LatestOperationState'] = 'FAILED'
        return answer
    cloud._CreateInstanceSnapshot = failing_create
    work, result = rollback(cloud, clock, backup=True)
    with pytest.raises(OperationFailedError):
        work.run()
    assert result['changed'] is True
    assert result['backup_snapshot_id'] in cloud.snapshots
    assert 'ApplyInstanceSnapshot' not in cloud.actions()


# ---- main(): the module as Ansible runs it

@pytest.fixture
def cloud(monkeypatch, clock):
    """The module talks to a FakeCloud whose operations end at once, so no wait sleeps."""
    fake = FakeCloud(clock, [instance(1), instance(2, 'RUNNING')], [snapshot(1), snapshot(2, disk=2)])
    fake.seconds = dict.fromkeys(fake.seconds, 0)
    monkeypatch.setattr(LighthouseModule, 'client', fake)
    return fake


@pytest.mark.parametrize('args, fragment', [
    ({'snapshot_name': 'baseline'}, 'parameters are mutually exclusive: snapshot_id|snapshot_name'),
    ({'snapshot_id': None}, 'one of the following is required: snapshot_id, snapshot_name'),
    ({'wait_timeout': 0}, 'wait_timeout must be a positive number of seconds'),
    ({'wait_timeout': 'soon'}, "argument 'wait_timeout' is of type"),
    ({'force': 'maybe'}, "argument 'force' is of type"),
    ({'instance_id': 'web-1'}, "malformed instance id(s): 'web-1'"),
    ({'backup_name': 'x'}, 'backup_name is only used with backup: true'),
])
def test_bad_arguments_fail_before_any_call(run_module, cloud, args, fragment):
    arguments = dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001')
    arguments.update(args)
    result = run_module(module.main, dict((key, value) for key, value in arguments.items() if value is not None))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert cloud.calls == []


def test_main_rolls_back_and_reports(run_module, cloud):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001', _ansible_diff=True))
    assert result['changed'] is True
    assert result['request_id'] == cloud.snapshots['lhsnap-00000001']['LatestOperationRequestId']
    assert result['snapshot']['latest_operation_state'] == 'SUCCESS'
    assert result['backup_snapshot_id'] is None
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000001'
    assert isinstance(result['elapsed'], float)


def test_main_check_mode_sends_nothing(run_module, cloud):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000002', snapshot_name='baseline', force=True,
                                          _ansible_check_mode=True))
    assert result['changed'] is True
    assert result['request_id'] is None
    assert cloud.mutations() == []


def test_main_refusal_reports_the_ids_and_code(run_module, cloud):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000002'))
    assert result['failed'] is True
    assert result['msg'].startswith('Failed to roll back instance lhins-00000001 to snapshot lhsnap-00000002: snapshot lhsnap-00000002 '
                                    'was taken of the system disk lhdisk-00000002, not of the system disk lhdisk-00000001')
    assert result['error_code'] == 'ResourceNotFound.SnapshotNotFound'
    assert (result['instance_id'], result['snapshot_id'], result['request_id']) == ('lhins-00000001', 'lhsnap-00000002', None)
    assert cloud.mutations() == []


def test_main_failed_rollback_reports_its_request_id(run_module, cloud):
    cloud.fail_rollbacks = True
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_name='baseline'))
    assert result['failed'] is True
    assert result['changed'] is True
    assert result['error_code'] == 'OperationFailed'
    assert result['request_id'] == cloud.snapshots['lhsnap-00000001']['LatestOperationRequestId']
    assert result['snapshot_name'] == 'baseline'
    assert "Failed to roll back instance lhins-00000001 to snapshot 'baseline': the rollback of" in result['msg']


def test_bad_options_are_reported_before_credentials_or_region_are_looked_for(run_module):
    # No region, no keys, and no fake client: building the client would fail with a ClientError.
    result = run_module(module.main, {'instance_id': 'web-1', 'snapshot_name': 'baseline'})
    assert result['error_code'] == 'InvalidParameterValue.InstanceIdMalformed'
