# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import describe_instances, describe_snapshots
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot_apply as module
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, ELSEWHERE, instance, snapshot

PARAMS = dict(instance_id='lhins-00000001', snapshot_id='lhsnap-00000001', snapshot_name=None, force=False,
              backup=False, backup_name=None, wait=True, wait_timeout=1200, after_request_id=None, created_before=None, name_pattern=None,
              backup_tags=None, keep_backups=None, instances=None, stop=False, stop_type='SOFT_FIRST', start=False,
              restart_on_failure=True, max_unavailable=None, fleet=None, fleet_tags=None)
ROLLBACK = ('ApplyInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotId': 'lhsnap-00000001'})


def an_instance(state='STOPPED', **fields):
    """lhins-00000001 as _lighthouse describes it: the 40 GB system disk lhdisk-00000001."""
    return dict({'instance_id': 'lhins-00000001', 'instance_state': state, 'system_disk': {'disk_id': 'lhdisk-00000001', 'disk_size': 40},
                 'latest_operation': 'StopInstances', 'latest_operation_state': 'SUCCESS', 'latest_operation_request_id': 'req-stop'}, **fields)


def a_snapshot(**fields):
    """lhsnap-00000001 as _lighthouse describes it: a NORMAL snapshot of lhdisk-00000001."""
    return dict({'snapshot_id': 'lhsnap-00000001', 'snapshot_state': 'NORMAL', 'disk_usage': 'SYSTEM_DISK', 'disk_id': 'lhdisk-00000001',
                 'disk_size': 40, 'latest_operation': 'CreateInstanceSnapshot', 'latest_operation_state': 'SUCCESS',
                 'latest_operation_request_id': 'req-create'}, **fields)


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
    ({'backup_tags': {'run': 'r-1'}}, 'ClientError', 'backup_tags is only used with backup: true'),
    ({'keep_backups': 0}, 'ClientError', 'keep_backups is 0; expected a number of backups of at least 1'),
    ({'keep_backups': 2, 'wait': False}, 'ClientError', 'keep_backups needs wait: true'),
])
def test_check_options_refuses(changes, code, fragment):
    with pytest.raises(LighthouseError) as caught:
        module.check_options(dict(PARAMS, **changes))
    assert caught.value.code == code
    assert fragment in caught.value.message


# ---- name resolution

DISK_SNAPSHOTS = [snapshot(1, 'baseline', created_time='2025-01-01T00:01:00Z'), snapshot(2, 'dup', created_time='2025-01-01T00:02:00Z'),
                  snapshot(3, 'dup', created_time='2025-01-01T00:03:00Z'), snapshot(4, 'Baseline', created_time='2025-01-01T00:04:00Z')]


def resolve(cloud, client, name):
    cloud.seed(instance(1, snapshots=DISK_SNAPSHOTS), instance(2, snapshots=[snapshot(5, 'other-disk')]))
    chosen = module.resolve_snapshots(client, [dict(PARAMS, snapshot_id=None, snapshot_name=name)], {'lhins-00000001': an_instance()}, {})
    if isinstance(chosen['lhins-00000001'], LighthouseError):
        raise chosen['lhins-00000001']
    return chosen['lhins-00000001']


def test_the_snapshots_of_several_instances_are_resolved_together_each_failing_alone(cloud, client):
    """Twelve instances: by a name (five disks per call), by id (one call) and by a cut-off (one call); a missing name fails its
    instance only."""
    cloud.seed(*[instance(number, snapshots=[snapshot(number, 'baseline' if number != 3 else 'other', created_time='2025-01-01T00:00:00Z')])
                 for number in range(1, 13)])
    instances = dict((item['instance_id'], item) for item in describe_instances(client, ['lhins-%08d' % number for number in range(1, 13)]))
    before = len(cloud.calls())
    by_name = [dict(PARAMS, instance_id='lhins-%08d' % number, snapshot_id=None, snapshot_name='baseline') for number in range(1, 9)]
    by_id = [dict(PARAMS, instance_id='lhins-%08d' % number, snapshot_id='lhsnap-%08d' % number) for number in (9, 10)]
    by_time = [dict(PARAMS, instance_id='lhins-%08d' % number, snapshot_id=None, created_before='x') for number in (11, 12)]
    cutoff = datetime.datetime(2025, 1, 2, tzinfo=datetime.timezone.utc)
    chosen = module.resolve_snapshots(client, by_name + by_id + by_time, instances, {'lhins-00000011': cutoff, 'lhins-00000012': cutoff})
    filters = [[(item['Name'], len(item['Values'])) for item in params.get('Filters', [])] for _action, params in cloud.calls()[before:]]
    # by id; by name, 5 + 3 disks, then the disk of the instance whose name was not found; by cut-off, 2 disks
    assert filters == [[], [('disk-id', 5), ('snapshot-name', 1)], [('disk-id', 3), ('snapshot-name', 1)], [('disk-id', 1)], [('disk-id', 2)]]
    assert chosen.pop('lhins-00000003').message.startswith("no snapshot of the system disk lhdisk-00000003 of instance lhins-00000003 is named 'baseline'")
    assert chosen == dict(zip(['lhins-%08d' % number for number in range(1, 13) if number != 3],
                              describe_snapshots(client, ['lhsnap-%08d' % number for number in range(1, 13) if number != 3])))


@pytest.mark.parametrize('name, snapshot_id', [('baseline', 'lhsnap-00000001'), ('Baseline', 'lhsnap-00000004')])
def test_a_name_is_matched_exactly_among_the_system_disk_snapshots(cloud, client, name, snapshot_id):
    assert resolve(cloud, client, name)['snapshot_id'] == snapshot_id
    assert cloud.calls() == [('DescribeSnapshots', {'Filters': [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']},
                                                                {'Name': 'snapshot-name', 'Values': [name]}], 'Offset': 0, 'Limit': 100})]


@pytest.mark.parametrize('name', ['base', 'other-disk'])
def test_a_name_without_a_match_lists_the_disks_snapshots(cloud, client, name):
    with pytest.raises(LighthouseError) as caught:
        resolve(cloud, client, name)
    assert caught.value.code == 'ResourceNotFound.SnapshotNotFound'
    assert caught.value.message == (
        "no snapshot of the system disk lhdisk-00000001 of instance lhins-00000001 is named %r; its snapshots, newest first: "
        "'Baseline' (lhsnap-00000004), 'dup' (lhsnap-00000003), 'dup' (lhsnap-00000002), 'baseline' (lhsnap-00000001)" % name)


def test_a_name_on_a_disk_without_snapshots_says_so():
    error = module.name_error('baseline', an_instance(), [], [])
    assert error.message.endswith("is named 'baseline'; it has no snapshots")


def test_an_ambiguous_name_is_refused_listing_the_candidates_newest_first(cloud, client):
    with pytest.raises(LighthouseError) as caught:
        resolve(cloud, client, 'dup')
    assert caught.value.code == 'InvalidParameterValue'
    assert caught.value.message == (
        "2 snapshots of the system disk lhdisk-00000001 of instance lhins-00000001 are named 'dup': "
        "lhsnap-00000003 (created 2025-01-01T00:03:00Z), lhsnap-00000002 (created 2025-01-01T00:02:00Z); choose one with snapshot_id")


# ---- pre-flight decisions

def test_check_snapshot_disk_accepts_the_instances_system_disk():
    module.check_snapshot_disk(an_instance(), a_snapshot())


@pytest.mark.parametrize('fields, message', [
    ({'disk_id': 'lhdisk-00000002'},
     'snapshot lhsnap-00000001 was taken of the system disk lhdisk-00000002, not of the system disk lhdisk-00000001 of instance lhins-00000001'),
    ({'disk_id': 'lhdisk-0000000d', 'disk_usage': 'DATA_DISK'},
     'snapshot lhsnap-00000001 was taken of the data disk lhdisk-0000000d, not of the system disk lhdisk-00000001 of instance lhins-00000001'),
    ({'disk_usage': 'DATA_DISK'},
     'snapshot lhsnap-00000001 was taken of the data disk lhdisk-00000001, not of the system disk lhdisk-00000001'),
])
def test_check_snapshot_disk_refuses_another_disk_naming_both(fields, message):
    with pytest.raises(LighthouseError) as caught:
        module.check_snapshot_disk(an_instance(), a_snapshot(**fields))
    assert caught.value.code == 'ResourceNotFound.SnapshotNotFound'
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize('fields, code, message', [
    ({'snapshot_state': 'CREATING'}, 'UnsupportedOperation.InvalidSnapshotState',
     'snapshot lhsnap-00000001 is CREATING; only a NORMAL snapshot can be applied'),
    ({'latest_operation_state': 'FAILED'}, 'UnsupportedOperation.InvalidSnapshotState', 'the creation of snapshot lhsnap-00000001 failed'),
    ({'disk_size': 20}, 'InvalidParameterValue.DiskSizeNotMatch',
     'snapshot lhsnap-00000001 is of a 20 GB disk, but the system disk lhdisk-00000001 is now 40 GB'),
])
def test_check_snapshot_usable_refuses(fields, code, message):
    with pytest.raises(LighthouseError) as caught:
        module.check_snapshot_usable(an_instance(), a_snapshot(**fields))
    assert (caught.value.code, caught.value.message) == (code, message)


def test_check_snapshot_usable_accepts_a_snapshot_whose_last_rollback_failed():
    module.check_snapshot_usable(an_instance(), a_snapshot(latest_operation='RollbackInstanceSnapshot', latest_operation_state='FAILED'))


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
    on_instance = an_instance(state, latest_operation_request_id=instance_request)
    on_snapshot = a_snapshot(latest_operation=operation, latest_operation_state=operation_state, latest_operation_request_id=snapshot_request)
    assert module.already_applied(on_instance, on_snapshot) is expected


@pytest.mark.parametrize('state, force', [('STOPPED', False), ('STOPPED', True), ('RUNNING', True)])
def test_check_power_state_accepts(state, force):
    module.check_power_state(an_instance(state), force)


@pytest.mark.parametrize('state, force, message', [
    ('RUNNING', False, 'instance lhins-00000001 is RUNNING; stop it first, or set force: true to let the API force-stop it'
                       ' (its latest operation: StopInstances SUCCESS (request req-stop))'),
    ('RESCUE_MODE', True, 'instance lhins-00000001 is RESCUE_MODE; a rollback needs it RUNNING or STOPPED'),
    ('SHUTDOWN', False, 'instance lhins-00000001 is SHUTDOWN; a rollback needs it RUNNING or STOPPED'),
    ('LAUNCH_FAILED', True, 'instance lhins-00000001 is LAUNCH_FAILED; a rollback needs it RUNNING or STOPPED'),
])
def test_check_power_state_refuses(state, force, message):
    with pytest.raises(LighthouseError) as caught:
        module.check_power_state(an_instance(state), force)
    assert (caught.value.code, caught.value.message) == ('UnsupportedOperation.InvalidInstanceState', message)


def test_check_power_state_names_the_stop_that_failed():
    stop_failed = an_instance('RUNNING', latest_operation='StopInstances', latest_operation_state='FAILED', latest_operation_request_id='req-9')
    with pytest.raises(LighthouseError) as caught:
        module.check_power_state(stop_failed, False)
    assert caught.value.message.endswith('(its latest operation: StopInstances FAILED (request req-9))')


def denial(action, code):
    return {'action': action, 'code': code, 'message': 'denied'}


def test_blocking_denials_keeps_what_concerns_this_task():
    instance_denied = [denial('StartInstances', 'UnsupportedOperation.InvalidInstanceState'), denial('ApplyInstanceSnapshot', 'A'),
                       denial('RollbackInstanceSnapshot', 'B'), denial('CreateInstanceSnapshot', 'LimitExceeded.SnapshotQuotaLimitExceeded')]
    snapshot_denied = [denial('DeleteSnapshots', 'C'), denial('RollbackInstanceSnapshot', 'D')]
    without_backup = module.blocking_denials(instance_denied, snapshot_denied, backup=False)
    assert [(item['resource'], item['code']) for item in without_backup] == [('instance', 'A'), ('instance', 'B'), ('snapshot', 'D')]
    with_backup = module.blocking_denials(instance_denied, snapshot_denied, backup=True)
    assert ('instance', 'LimitExceeded.SnapshotQuotaLimitExceeded') in [(item['resource'], item['code']) for item in with_backup]


# ---- whole runs through main(), against the emulated cloud on the manual clock

def roll_back(run_module, **args):
    """Run the module for lhins-00000001 and lhsnap-00000001 (unless `args` say otherwise); return its result."""
    arguments = dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001', _ansible_diff=True)
    arguments.update(args)
    return run_module(module.main, dict((key, value) for key, value in arguments.items() if value is not None))


def stopped_web1(cloud, *snapshots, **spec):
    """lhins-00000001, STOPPED, with `snapshots` of its system disk (default: lhsnap-00000001 'baseline')."""
    cloud.seed(instance(1, 'STOPPED', snapshots=list(snapshots) or [snapshot(1)], **spec))


def test_check_mode_runs_the_preflight_and_sends_nothing(run_module, cloud, clock):
    cloud.seed(instance(1, snapshots=[snapshot(1)]))
    result = roll_back(run_module, force=True, backup=True, _ansible_check_mode=True)
    assert cloud.mutations() == []
    assert 'DescribeInstancesDeniedActions' in cloud.actions() and 'DescribeSnapshotsDeniedActions' in cloud.actions()
    assert result['changed'] is True
    assert (result['request_id'], result['backup_snapshot_id']) == (None, None)
    started = cloud.instance('lhins-00000001')['LatestOperationRequestId']
    assert result['diff'] == {
        'before': {'instance_state': 'RUNNING', 'snapshot_id': None, 'latest_operation': 'RunInstances SUCCESS (request %s)' % started},
        'after': {'instance_state': 'STOPPED or RUNNING', 'snapshot_id': 'lhsnap-00000001',
                  'latest_operation': 'ApplyInstanceSnapshot of lhsnap-00000001 (not sent in check mode)'},
    }
    assert clock.sleeps == []


def test_rolls_back_a_stopped_instance_and_waits_for_its_own_request(run_module, cloud, clock):
    # The snapshot's previous rollback succeeded, and Describe* shows ours only after 1 s: only ours may end the wait.
    stopped_web1(cloud, snapshot(1, latest_operation='RollbackInstanceSnapshot', latest_operation_state='SUCCESS',
                                 latest_operation_request_id='req-older'))
    cloud.settings.update({'describe_lag': 1})
    result = roll_back(run_module)
    assert cloud.sent() == [ROLLBACK]
    assert result['changed'] is True
    assert result['request_id'] == cloud.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    assert result['snapshot']['latest_operation_request_id'] == result['request_id']
    assert result['snapshot']['latest_operation_state'] == 'SUCCESS'
    assert result['instance']['instance_state'] == 'STOPPED'
    assert result['diff']['after'] == {'instance_state': 'STOPPED', 'snapshot_id': 'lhsnap-00000001',
                                       'latest_operation': 'ApplyInstanceSnapshot SUCCESS (request %s)' % result['request_id']}
    assert 4 <= clock.now - 100 <= 5  # returned within one poll of the 4 s operation's end


def test_check_mode_result_has_the_shape_of_a_real_run(run_module, cloud):
    stopped_web1(cloud)
    checked = roll_back(run_module, _ansible_check_mode=True)
    real = roll_back(run_module)
    assert sorted(checked) == sorted(real)
    assert {'backup_snapshot_id', 'changed', 'diff', 'instance', 'request_id', 'snapshot'} <= set(real)


def test_rerun_on_the_same_snapshot_sends_nothing(run_module, cloud):
    stopped_web1(cloud)
    first = roll_back(run_module)
    calls_before = len(cloud.calls())
    for check_mode in (False, True):
        again = roll_back(run_module, backup=True, _ansible_check_mode=check_mode)
        assert again['changed'] is False
        assert (again['request_id'], again['backup_snapshot_id']) == (None, None)
        assert again['diff']['before'] == again['diff']['after']
        assert again['diff']['before']['snapshot_id'] == 'lhsnap-00000001'
        assert again['instance']['latest_operation_request_id'] == first['request_id']
    new_calls = cloud.actions()[calls_before:]
    assert [action for action in new_calls if not action.startswith('Describe')] == []
    assert 'DescribeInstancesDeniedActions' not in new_calls


def test_diff_names_the_snapshot_the_instance_is_on_when_moving_to_another(run_module, cloud):
    stopped_web1(cloud, snapshot(1), snapshot(2, 'release', latest_operation='RollbackInstanceSnapshot', latest_operation_state='SUCCESS',
                                              latest_operation_request_id='req-r2'),
                 latest_operation='ApplyInstanceSnapshot', latest_operation_request_id='req-r2')
    result = roll_back(run_module)
    assert result['diff']['before']['snapshot_id'] == 'lhsnap-00000002'
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000001'


def test_resolves_a_unique_name_among_the_system_disk_snapshots(run_module, cloud):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1, 'other'), snapshot(2, 'baseline')]),
               instance(2, 'STOPPED', snapshots=[snapshot(3, 'baseline')]))
    result = roll_back(run_module, snapshot_id=None, snapshot_name='baseline')
    assert result['snapshot']['snapshot_id'] == 'lhsnap-00000002'
    assert result['snapshot']['disk_id'] == 'lhdisk-00000001'


def test_refuses_a_running_instance_without_force_and_sends_nothing(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1)]))
    result = roll_back(run_module)
    assert 'stop it first, or set force: true' in result['msg']
    assert cloud.mutations() == []


@pytest.mark.parametrize('start_after_rollback, final_state', [(False, 'STOPPED'), (True, 'RUNNING')])
def test_force_rolls_back_a_running_instance_whatever_the_cloud_does_after(run_module, cloud, clock, start_after_rollback, final_state):
    cloud.seed(instance(1, snapshots=[snapshot(1)]), behaviour={'start_after_rollback': start_after_rollback})
    result = roll_back(run_module, force=True)
    assert result['instance']['instance_state'] == final_state
    assert result['instance']['latest_operation_state'] == 'SUCCESS'
    # stop 2 s + rollback 4 s (+ start 2 s): the task waits until the instance has settled
    expected = 8 if start_after_rollback else 6
    assert expected <= clock.now - 100 <= expected + 1
    assert cloud.sent() == [ROLLBACK]


def test_a_failed_rollback_fails_at_once_with_its_details(run_module, cloud, clock):
    stopped_web1(cloud)
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'async_failed'})
    result = roll_back(run_module)
    request_id = cloud.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    assert (result['failed'], result['changed'], result['error_code'], result['request_id']) == (True, True, 'OperationFailed', request_id)
    assert result['msg'].startswith('Failed to roll back instance lhins-00000001 to snapshot lhsnap-00000001: the rollback of instance '
                                    'lhins-00000001 to snapshot lhsnap-00000001 (request %s) failed: ' % request_id)
    assert 'latest_operation_state=FAILED' in result['msg']
    assert clock.now - 100 <= 5
    assert result['backup_snapshot_id'] is None


def test_the_deadline_fails_saying_what_it_last_saw(run_module, cloud, clock):
    stopped_web1(cloud)
    cloud.settings.update({'durations': {'rollback': 100}})
    result = roll_back(run_module, wait_timeout=10)
    assert result['request_id'] == cloud.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    message = result['msg']
    assert 'timed out after 10s waiting for the rollback of instance lhins-00000001 to snapshot lhsnap-00000001' in message
    assert 'last seen: instance lhins-00000001: instance_state=STOPPED, latest_operation=ApplyInstanceSnapshot' in message
    assert 'snapshot lhsnap-00000001: snapshot_state=ROLLBACKING, percent=' in message
    assert clock.now - 100 == pytest.approx(10)
    assert result['changed'] is True


def test_wait_false_returns_right_after_the_request(run_module, cloud, clock):
    stopped_web1(cloud)
    result = roll_back(run_module, wait=False)
    assert clock.sleeps == []
    assert result['changed'] is True
    assert result['snapshot']['snapshot_state'] == 'ROLLBACKING'
    assert result['snapshot']['latest_operation_request_id'] == result['request_id']


@pytest.mark.parametrize('state, outcome', [('STOPPING', 'rolled back'), ('STARTING', 'refused')])
def test_a_transitional_instance_is_waited_out_then_judged(run_module, cloud, clock, state, outcome):
    cloud.seed(instance(1, state, snapshots=[snapshot(1)]))
    result = roll_back(run_module)
    if outcome == 'refused':
        assert 'is RUNNING; stop it first' in result['msg']
        assert cloud.mutations() == []
    else:
        assert result['changed'] is True
        assert cloud.sent() == [ROLLBACK]
    assert clock.now - 100 >= cloud.settings['durations']['stop']


def test_a_stopping_instance_is_polled_without_reading_the_snapshot_each_time(run_module, cloud):
    cloud.seed(instance(1, 'STOPPING', snapshots=[snapshot(1)]))
    roll_back(run_module)
    before_rollback = cloud.actions()[:cloud.actions().index('ApplyInstanceSnapshot')]
    assert before_rollback.count('DescribeInstances') > 2  # polled while it stopped
    assert before_rollback.count('DescribeSnapshots') == 2  # the first look, and once it had stopped


def test_the_rollback_is_polled_on_the_instance_and_the_snapshot_read_at_its_end(run_module, cloud):
    stopped_web1(cloud)
    roll_back(run_module)
    after_rollback = cloud.actions()[cloud.actions().index('ApplyInstanceSnapshot') + 1:]
    assert after_rollback.count('DescribeInstances') > 2
    assert after_rollback.count('DescribeSnapshots') == 1


def test_a_failed_wait_reads_the_snapshot_to_show_the_progress(cloud, client):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    seen = {'instance': {'instance_id': 'lhins-00000001'}}
    assert module.with_snapshot(client, seen, 'lhsnap-00000001')['snapshot']['snapshot_id'] == 'lhsnap-00000001'
    assert module.with_snapshot(client, seen, 'lhsnap-00000009') == seen  # unreadable: the view as it was
    complete = dict(seen, snapshot={'snapshot_id': 'lhsnap-00000001'})
    assert module.with_snapshot(client, complete, 'lhsnap-00000001') is complete


def test_a_missing_snapshot_fails_without_waiting_for_the_instance(run_module, cloud, clock):
    cloud.seed(instance(1, 'STOPPING', snapshots=[snapshot(2)]))
    result = roll_back(run_module)
    assert result['error_code'] == 'ResourceNotFound.SnapshotIdNotFound'
    assert clock.sleeps == []


def test_a_settling_instance_past_the_deadline_fails_clearly(run_module, cloud):
    cloud.seed(instance(1, 'STOPPING', snapshots=[snapshot(1)]), durations={'stop': 60})
    result = roll_back(run_module, wait_timeout=5)
    assert result['msg'].startswith('Failed to roll back instance lhins-00000001 to snapshot lhsnap-00000001: timed out after 5s waiting for '
                                    'instance lhins-00000001 to be ready for a rollback; last seen: instance lhins-00000001: instance_state=STOPPING')
    assert cloud.mutations() == []


def test_a_busy_disk_is_waited_out_before_the_rollback(run_module, cloud, clock):
    # Another client's snapshot of the disk is being created: the cloud denies the rollback until it is done.
    stopped_web1(cloud)
    cloud.elsewhere('CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001'})
    roll_back(run_module)
    assert cloud.sent() == [ROLLBACK]
    assert clock.now - 100 >= cloud.settings['durations']['snapshot'] + cloud.settings['durations']['rollback']


@pytest.mark.parametrize('refused_on, listed_as, behaviour, check_mode', [
    ('lhins-00000001', 'ApplyInstanceSnapshot', {}, False),
    ('lhins-00000001', 'RollbackInstanceSnapshot', {'rollback_operation_name': 'RollbackInstanceSnapshot'}, True),
    ('lhsnap-00000001', 'RollbackInstanceSnapshot', {}, False),
])
def test_a_fatal_denial_fails_with_the_clouds_code(run_module, cloud, refused_on, listed_as, behaviour, check_mode):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]), behaviour=behaviour,
               refusals={refused_on: {'ApplyInstanceSnapshot': 'UnauthorizedOperation.NoPermission'}})
    result = roll_back(run_module, _ansible_check_mode=check_mode)
    noun = 'instance' if refused_on.startswith('lhins') else 'snapshot'
    assert result['error_code'] == 'UnauthorizedOperation.NoPermission'
    assert ': the cloud denies %s on %s %s: ' % (listed_as, noun, refused_on) in result['msg']
    assert cloud.mutations() == []


def test_denials_unrelated_to_the_task_are_ignored(run_module, cloud):
    stopped_web1(cloud)
    cloud.settings.update({'snapshot_quota_per_instance': 1, 'refusals': {'lhsnap-00000001': {'DeleteSnapshots': 'UnauthorizedOperation.NoPermission'}}})
    # Listed as denied: StartInstances is fine, StopInstances (STOPPED), CreateInstanceSnapshot (quota), DeleteSnapshots (refused).
    assert roll_back(run_module)['changed'] is True


def test_a_busy_rollback_request_is_sent_again_after_the_preflight_passes_again_and_a_pause(run_module, cloud):
    stopped_web1(cloud)
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'code': 'UnsupportedOperation.LatestOperationUnfinished'})
    result = roll_back(run_module)
    assert cloud.sent() == [ROLLBACK, ROLLBACK]
    assert cloud.actions().count('DescribeInstancesDeniedActions') == 2
    refused, sent = [entry for entry in cloud.journal() if entry['action'] == 'ApplyInstanceSnapshot']
    assert cloud.at(sent) - cloud.at(refused) == 0.5
    assert result['changed'] is True
    assert result['instance']['latest_operation_request_id'] == result['request_id']


def rolled_back_elsewhere(cloud):
    """Our ApplyInstanceSnapshot comes too late: another client has just rolled lhins-00000001 back to lhsnap-00000001."""
    cloud.before('ApplyInstanceSnapshot', lambda: cloud.elsewhere(*ROLLBACK))


def test_a_busy_rollback_request_is_not_sent_again_when_another_client_applied_the_snapshot_meanwhile(run_module, cloud):
    stopped_web1(cloud)
    rolled_back_elsewhere(cloud)
    result = roll_back(run_module)
    assert cloud.sent() == [ROLLBACK]
    assert (result['changed'], result['request_id'], result['backup_snapshot_id']) == (False, None, None)
    assert cloud.pauses() == [0.5]  # one backoff pause before looking again; then nothing more to send
    assert (result['instance']['instance_state'], result['instance']['latest_operation_request_id']) == ('STOPPED', ELSEWHERE)
    assert (result['snapshot']['snapshot_state'], result['snapshot']['latest_operation_request_id']) == ('NORMAL', ELSEWHERE)
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000001'


def test_a_busy_rollback_request_not_sent_again_still_reports_the_backup_as_a_change(run_module, cloud):
    stopped_web1(cloud)
    rolled_back_elsewhere(cloud)
    result = roll_back(run_module, backup=True)
    assert cloud.mutations() == ['CreateInstanceSnapshot', 'ApplyInstanceSnapshot']
    assert result['changed'] is True
    assert result['backup_snapshot_id'] in cloud.snapshot_ids()
    assert result['request_id'] is None


def test_a_busy_rollback_request_is_not_repeated_once_the_instance_runs(run_module, cloud):
    stopped_web1(cloud)
    # Someone starts the instance just before our rollback request arrives.
    cloud.before('ApplyInstanceSnapshot', lambda: cloud.elsewhere('StartInstances', {'InstanceIds': ['lhins-00000001']}))
    result = roll_back(run_module)
    assert result['error_code'] == 'UnsupportedOperation.InvalidInstanceState'
    assert cloud.mutations() == ['ApplyInstanceSnapshot']


def test_backup_is_taken_and_normal_before_the_rollback(run_module, cloud, clock):
    stopped_web1(cloud)
    result = roll_back(run_module, backup=True, backup_name='before-test')
    assert cloud.mutations() == ['CreateInstanceSnapshot', 'ApplyInstanceSnapshot']
    backup_id = result['backup_snapshot_id']
    assert cloud.snapshot(backup_id)['SnapshotState'] == 'NORMAL'
    assert cloud.snapshot(backup_id)['SnapshotName'] == 'before-test'
    calls = cloud.calls()
    between = calls[cloud.actions().index('CreateInstanceSnapshot'):cloud.actions().index('ApplyInstanceSnapshot')]
    assert ('DescribeSnapshots', {'Filters': [{'Name': 'snapshot-id', 'Values': [backup_id]}], 'Offset': 0, 'Limit': 100}) in between
    assert clock.now - 100 >= 3 + 4


def test_backup_gets_a_default_name(run_module, cloud):
    stopped_web1(cloud)
    result = roll_back(run_module, backup=True)
    assert cloud.snapshot(result['backup_snapshot_id'])['SnapshotName'].startswith('before-rollback-to-lhsnap-00000001-')


def test_a_refused_backup_fails_before_the_rollback(run_module, cloud):
    stopped_web1(cloud)
    cloud.faults.add({'action': 'CreateInstanceSnapshot', 'code': 'LimitExceeded.SnapshotQuotaLimitExceeded'})
    result = roll_back(run_module, backup=True)
    refused = next(entry for entry in cloud.journal() if entry['action'] == 'CreateInstanceSnapshot')
    assert (result['error_code'], result['request_id']) == ('LimitExceeded.SnapshotQuotaLimitExceeded', refused['request_id'])
    assert cloud.mutations() == ['CreateInstanceSnapshot']
    assert (result.get('changed', False), result['backup_snapshot_id']) == (False, None)


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_quota_the_cloud_lists_as_denied_fails_in_the_preflight(run_module, cloud, check_mode):
    stopped_web1(cloud)
    cloud.settings.update({'snapshot_quota_per_instance': 1})
    result = roll_back(run_module, backup=True, _ansible_check_mode=check_mode)
    assert result['error_code'] == 'LimitExceeded.SnapshotQuotaLimitExceeded'
    assert cloud.mutations() == []


def test_a_failed_backup_reports_the_snapshot_it_made(run_module, cloud):
    stopped_web1(cloud)
    cloud.faults.add({'action': 'CreateInstanceSnapshot', 'kind': 'async_failed'})
    result = roll_back(run_module, backup=True)
    assert (result['failed'], result['changed'], result['error_code']) == (True, True, 'OperationFailed')
    assert result['backup_snapshot_id'] in cloud.snapshot_ids()
    assert 'ApplyInstanceSnapshot' not in cloud.actions()


# ---- after_request_id: the rollback follows only the operation it was told to follow

def test_after_request_id_rolls_back_right_after_that_operation(run_module, cloud):
    stopped_web1(cloud, snapshot(1), snapshot(2, 'release'))
    stop = cloud.instance('lhins-00000001')['LatestOperationRequestId']
    result = roll_back(run_module, after_request_id=stop)
    assert cloud.sent() == [ROLLBACK]
    assert result['changed'] is True


@pytest.mark.parametrize('check_mode', [False, True], ids=['real', 'check'])
def test_after_request_id_refuses_an_instance_another_client_has_worked_on_since(run_module, cloud, check_mode):
    stopped_web1(cloud)
    result = roll_back(run_module, after_request_id='req-our-stop', _ansible_check_mode=check_mode)
    assert cloud.mutations() == []
    assert (result['failed'], result['error_code']) == (True, 'OperationChanged')
    latest = cloud.instance('lhins-00000001')['LatestOperationRequestId']
    assert ('the latest operation of instance lhins-00000001 is StopInstances SUCCESS (request %s), not the operation of request '
            'req-our-stop that the rollback was to follow: another client is working on the instance, so no rollback was sent'
            % latest) in result['msg']


def test_after_request_id_refuses_when_another_clients_rollback_to_another_snapshot_comes_first(run_module, cloud):
    # Two runs found the instance stopped: the other run's rollback to lhsnap-00000002 arrives just before ours.
    stopped_web1(cloud, snapshot(1), snapshot(2, 'release'))
    stop = cloud.instance('lhins-00000001')['LatestOperationRequestId']
    cloud.before('ApplyInstanceSnapshot', lambda: cloud.elsewhere('ApplyInstanceSnapshot', {'InstanceId': 'lhins-00000001',
                                                                                            'SnapshotId': 'lhsnap-00000002'}))
    result = roll_back(run_module, after_request_id=stop)
    assert cloud.sent() == [ROLLBACK]  # refused while the other rollback ran, and not sent again
    assert (result['failed'], result['error_code'], result['request_id']) == (True, 'OperationChanged', None)
    assert 'ApplyInstanceSnapshot' in result['msg'] and ELSEWHERE in result['msg']


def test_after_request_id_lets_through_another_clients_rollback_to_the_same_snapshot(run_module, cloud):
    stopped_web1(cloud)
    stop = cloud.instance('lhins-00000001')['LatestOperationRequestId']
    rolled_back_elsewhere(cloud)
    result = roll_back(run_module, after_request_id=stop)
    assert cloud.sent() == [ROLLBACK]
    assert (result.get('failed', False), result['changed'], result['request_id']) == (False, False, None)
    assert result['instance']['latest_operation_request_id'] == ELSEWHERE


# ---- created_before: the newest snapshot before a point in time

def three_generations(cloud):
    stopped_web1(cloud, snapshot(1, 'nightly-1', created_time='2026-12-05T16:00:00Z'),
                 snapshot(2, 'nightly-2', created_time='2026-12-06T05:00:00Z'),
                 snapshot(3, 'pre-deploy', created_time='2026-12-06T05:50:00Z'),
                 snapshot(4, 'nightly-3', created_time='2026-12-06T07:00:00Z'))


@pytest.mark.parametrize('check_mode', [False, True], ids=['real', 'check'])
def test_created_before_rolls_back_to_the_newest_snapshot_before_the_cutoff(run_module, cloud, check_mode):
    three_generations(cloud)
    # 14:00 in UTC+8 is 06:00 UTC: pre-deploy (05:50) is the newest before it; nightly-3 (07:00) is after.
    result = roll_back(run_module, snapshot_id=None, created_before='2026-12-06T14:00:00+08:00', _ansible_check_mode=check_mode)
    assert (result['changed'], result['cutoff']) == (True, '2026-12-06T06:00:00Z')
    assert (result['snapshot']['snapshot_id'], result['snapshot']['created_time']) == ('lhsnap-00000003', '2026-12-06T05:50:00Z')
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000003'
    assert cloud.sent() == ([] if check_mode else [('ApplyInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotId': 'lhsnap-00000003'})])


def test_created_before_with_a_name_pattern(run_module, cloud):
    three_generations(cloud)
    result = roll_back(run_module, snapshot_id=None, created_before='2026-12-06T06:00:00Z', name_pattern='nightly-*', _ansible_check_mode=True)
    assert result['snapshot']['snapshot_id'] == 'lhsnap-00000002'


def test_created_before_without_a_snapshot_before_fails_listing_the_nearest_and_sends_nothing(run_module, cloud):
    three_generations(cloud)
    result = roll_back(run_module, snapshot_id=None, created_before='2026-12-01T00:00:00Z')
    assert (result['failed'], result['error_code']) == (True, 'ResourceNotFound.SnapshotNotFound')
    assert result['msg'].startswith("Failed to roll back instance lhins-00000001 to snapshot the newest before '2026-12-01T00:00:00Z': "
                                    "no NORMAL snapshot was created before 2026-12-01T00:00:00Z; the nearest: lhsnap-00000001")
    assert cloud.mutations() == []


@pytest.mark.parametrize('args, message', [
    ({'created_before': 'after lunch'}, "created_before is 'after lunch'; expected an ISO 8601 time with its offset"),
    ({'created_before': '2026-12-06T14:00:00'}, "created_before is '2026-12-06T14:00:00'; expected an ISO 8601 time with its offset"),
    ({'created_before': '-2h', 'snapshot_id': 'lhsnap-00000001'}, 'parameters are mutually exclusive: snapshot_id|snapshot_name|created_before'),
    ({'name_pattern': 'nightly-*', 'snapshot_name': 'baseline'}, "missing parameter(s) required by 'name_pattern': created_before"),
], ids=['no-time', 'no-offset', 'with-an-id', 'pattern-alone'])
def test_created_before_is_checked_before_any_call(run_module, cloud, args, message):
    three_generations(cloud)
    result = roll_back(run_module, **dict({'snapshot_id': None}, **args))
    assert result['failed'] is True and message in result['msg']
    assert cloud.calls() == []


# ---- backups that know they are backups, and retention

BACKUP = {'tencentcloud.lighthouse:backup-of': 'lhins-00000001'}


def with_backups(cloud):
    """lhins-00000001 STOPPED on disk 1 with: the target baseline, three backups of its own (tagged), a foreign snapshot.

    All taken before the emulated clock's start (2026-01-01), so that a backup taken now is the newest.
    """
    stopped_web1(cloud, snapshot(1, 'baseline', created_time='2025-12-01T00:00:00Z'),
                 snapshot(2, 'backup-a', created_time='2025-12-02T00:00:00Z', tags=BACKUP),
                 snapshot(3, 'backup-b', created_time='2025-12-03T00:00:00Z', tags=BACKUP),
                 snapshot(4, 'backup-c', created_time='2025-12-04T00:00:00Z', tags=BACKUP),
                 snapshot(5, 'hand-made', created_time='2025-11-01T00:00:00Z', tags={'owner': 'ops'}))
    cloud.settings.update({'snapshot_quota_per_instance': 10})


def test_a_backup_carries_the_collections_tag_and_the_tags_given(run_module, cloud):
    stopped_web1(cloud)
    result = roll_back(run_module, backup=True, backup_tags={'tencentcloud.lighthouse:run': 'friday-1'})
    tags = dict((tag['Key'], tag['Value']) for tag in cloud.snapshot(result['backup_snapshot_id'])['Tags'])
    assert tags == {'tencentcloud.lighthouse:backup-of': 'lhins-00000001', 'tencentcloud.lighthouse:run': 'friday-1'}


@pytest.mark.parametrize('check_mode', [True, False], ids=['check', 'real'])
def test_keep_backups_deletes_only_the_collections_older_backups_once_the_rollback_succeeded(run_module, cloud, check_mode):
    with_backups(cloud)
    result = roll_back(run_module, backup=True, keep_backups=2, _ansible_check_mode=check_mode)
    # The new backup and backup-c are kept; backup-a and backup-b go; the target and the hand-made snapshot stay.
    assert result['deleted_backup_ids'] == ['lhsnap-00000003', 'lhsnap-00000002']
    left = set(cloud.snapshot_ids())
    if check_mode:
        assert cloud.mutations() == [] and {'lhsnap-00000002', 'lhsnap-00000003'} <= left
    else:
        assert cloud.mutations() == ['CreateInstanceSnapshot', 'ApplyInstanceSnapshot', 'DeleteSnapshots']
        assert left == {'lhsnap-00000001', 'lhsnap-00000004', 'lhsnap-00000005', result['backup_snapshot_id']}


def test_keep_backups_never_deletes_the_snapshot_rolled_back_to(run_module, cloud):
    with_backups(cloud)
    result = roll_back(run_module, snapshot_id='lhsnap-00000002', keep_backups=1)
    assert result['deleted_backup_ids'] == ['lhsnap-00000003']
    assert 'lhsnap-00000002' in cloud.snapshot_ids()


def test_a_failed_rollback_deletes_no_backup(run_module, cloud):
    with_backups(cloud)
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'async_failed'})
    result = roll_back(run_module, backup=True, keep_backups=1)
    assert (result['failed'], result['error_code']) == (True, 'OperationFailed')
    assert 'DeleteSnapshots' not in cloud.mutations()
    assert {'lhsnap-00000002', 'lhsnap-00000003', 'lhsnap-00000004'} <= set(cloud.snapshot_ids())


@pytest.mark.parametrize('quota_in_denied_actions', [True, False], ids=['denied-in-the-preflight', 'refused-on-creation'])
def test_a_used_up_quota_names_the_collections_backups_and_how_to_free_room(run_module, cloud, quota_in_denied_actions):
    with_backups(cloud)
    cloud.settings.update({'snapshot_quota_per_instance': 5, 'behaviour': {'quota_in_denied_actions': quota_in_denied_actions}})
    result = roll_back(run_module, backup=True)
    assert (result['failed'], result['error_code']) == (True, 'LimitExceeded.SnapshotQuotaLimitExceeded')
    assert ('the region holds 5 snapshots; the backups this collection took of instance lhins-00000001: lhsnap-00000004 (created '
            '2025-12-04T00:00:00Z), lhsnap-00000003 (created 2025-12-03T00:00:00Z), lhsnap-00000002 (created 2025-12-02T00:00:00Z). '
            'Free room by deleting snapshots') in result['msg']
    assert 'ApplyInstanceSnapshot' not in cloud.mutations()


# ---- as Ansible runs it: main() with module arguments, on a fleet whose operations end at once

@pytest.fixture
def fleet(cloud):
    """lhins-00000001 STOPPED and lhins-00000002 RUNNING, each with its snapshot 'baseline'; operations end at once, so no wait sleeps."""
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]), instance(2, snapshots=[snapshot(2)]))
    cloud.settings.update({'durations': dict.fromkeys(cloud.settings['durations'], 0)})
    return cloud


@pytest.mark.parametrize('args, fragment', [
    ({'snapshot_name': 'baseline'}, 'parameters are mutually exclusive: snapshot_id|snapshot_name'),
    ({'snapshot_id': None}, 'one of the following is required: snapshot_id, snapshot_name'),
    ({'wait_timeout': 0}, 'wait_timeout must be a positive number of seconds'),
    ({'wait_timeout': 'soon'}, "argument 'wait_timeout' is of type"),
    ({'force': 'maybe'}, "argument 'force' is of type"),
    ({'instance_id': 'web-1'}, "malformed instance id(s): 'web-1'"),
    ({'backup_name': 'x'}, 'backup_name is only used with backup: true'),
])
def test_bad_arguments_fail_before_any_call(run_module, fleet, args, fragment):
    arguments = dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001')
    arguments.update(args)
    result = run_module(module.main, dict((key, value) for key, value in arguments.items() if value is not None))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert fleet.calls() == []


def test_main_rolls_back_and_reports(run_module, fleet, clock):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001', _ansible_diff=True))
    assert result['changed'] is True
    assert result['request_id'] == fleet.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    assert result['snapshot']['latest_operation_state'] == 'SUCCESS'
    assert result['backup_snapshot_id'] is None
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000001'
    assert isinstance(result['elapsed'], float)
    # The rollback ends at once on this clock; its first look still comes one poll interval after it was accepted.
    assert clock.sleeps == [0.25]
    assert fleet.actions()[-3:] == ['ApplyInstanceSnapshot', 'DescribeInstances', 'DescribeSnapshots']


def test_main_check_mode_sends_nothing(run_module, fleet):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000002', snapshot_name='baseline', force=True,
                                          _ansible_check_mode=True))
    assert result['changed'] is True
    assert result['request_id'] is None
    assert fleet.mutations() == []


def test_main_refusal_reports_the_ids_and_code(run_module, fleet):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000002'))
    assert result['failed'] is True
    assert result['msg'].startswith('Failed to roll back instance lhins-00000001 to snapshot lhsnap-00000002: snapshot lhsnap-00000002 '
                                    'was taken of the system disk lhdisk-00000002, not of the system disk lhdisk-00000001')
    assert result['error_code'] == 'ResourceNotFound.SnapshotNotFound'
    assert (result['instance_id'], result['snapshot_id'], result['request_id']) == ('lhins-00000001', 'lhsnap-00000002', None)
    assert fleet.mutations() == []


def test_main_failed_rollback_reports_its_request_id(run_module, fleet):
    fleet.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'async_failed'})
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_name='baseline'))
    assert result['failed'] is True
    assert result['changed'] is True
    assert result['error_code'] == 'OperationFailed'
    assert result['request_id'] == fleet.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    assert result['snapshot_name'] == 'baseline'
    assert "Failed to roll back instance lhins-00000001 to snapshot 'baseline': the rollback of" in result['msg']


def test_bad_options_are_reported_before_credentials_or_region_are_looked_for(run_module):
    # No region, no keys, and no emulated cloud: building the client would fail with a ClientError.
    result = run_module(module.main, {'instance_id': 'web-1', 'snapshot_name': 'baseline'})
    assert result['error_code'] == 'InvalidParameterValue.InstanceIdMalformed'
