# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import creation_failed
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot, lighthouse_snapshot_apply
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, instance, snapshot

OPTIONS = dict(state='present', instance_id='lhins-00000001', snapshot_name='pre-deploy', snapshot_ids=None, tags=None, keep_backups=None)


def present(run_module, name='pre-deploy', **args):
    return run_module(lighthouse_snapshot.main, dict(ARGS, instance_id='lhins-00000001', snapshot_name=name, **args))


def absent(run_module, **args):
    return run_module(lighthouse_snapshot.main, dict(ARGS, state='absent', **args))


def seconds(cloud, duration):
    return cloud.settings['durations'][duration]


# ---- local validation

@pytest.mark.parametrize('changes', [
    {},
    {'snapshot_name': 'n' * 60},
    {'state': 'absent', 'snapshot_ids': ['lhsnap-00000001'], 'snapshot_name': None, 'instance_id': None},
])
def test_check_options_accepts(changes):
    lighthouse_snapshot.check_options(dict(OPTIONS, **changes))


@pytest.mark.parametrize('changes, code, fragment', [
    ({'instance_id': 'web-1'}, 'InvalidParameterValue.InstanceIdMalformed', "'web-1'"),
    ({'state': 'absent', 'snapshot_ids': ['lhsnap-00000001', 'lhsnap-1']}, 'InvalidParameterValue.SnapshotIdMalformed', "'lhsnap-1'"),
    ({'snapshot_name': 'n' * 61}, 'InvalidParameterValue.SnapshotNameTooLong', 'snapshot_name is 61 characters long'),
    ({'snapshot_name': ''}, 'ClientError', 'snapshot_name must not be empty'),
    ({'snapshot_ids': ['lhsnap-00000001']}, 'InvalidParameter.ParameterConflict', 'snapshot_ids is only used with state=absent'),
    ({'state': 'absent', 'tags': {'k': 'v'}}, 'InvalidParameter.ParameterConflict', 'tags is only used with state=present'),
    ({'tags': dict(('k%d' % number, 'v') for number in range(11))}, 'InvalidParameterValue', 'tags has 11 tags; a snapshot takes at most 10'),
    ({'state': 'absent', 'snapshot_name': None, 'keep_backups': 0}, 'InvalidParameterValue', 'keep_backups is 0; expected a number of backups of at '
     'least 1'),
    ({'keep_backups': 2}, 'InvalidParameter.ParameterConflict', 'keep_backups needs state=absent and the instance_id whose backups it keeps'),
    ({'state': 'absent', 'instance_id': None, 'snapshot_name': None, 'keep_backups': 2}, 'InvalidParameter.ParameterConflict', 'keep_backups needs'),
])
def test_check_options_refuses(changes, code, fragment):
    with pytest.raises(LighthouseError) as caught:
        lighthouse_snapshot.check_options(dict(OPTIONS, **changes))
    assert caught.value.code == code
    assert fragment in caught.value.message


@pytest.mark.parametrize('operation, state, expected', [
    ('CreateInstanceSnapshot', 'FAILED', True),
    ('CreateInstanceSnapshot', 'SUCCESS', False),
    ('CreateInstanceSnapshot', 'OPERATING', False),
    ('RollbackInstanceSnapshot', 'FAILED', False),  # a failed rollback leaves the snapshot usable
])
def test_creation_failed(operation, state, expected):
    assert creation_failed({'latest_operation': operation, 'latest_operation_state': state}) is expected


# ---- state=present

def test_takes_a_snapshot_and_waits_until_it_is_normal(run_module, cloud, clock):
    cloud.seed(instance(1, snapshots=[snapshot(1, name='baseline')]))
    result = present(run_module)
    assert cloud.sent() == [('CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotName': 'pre-deploy'})]
    assert result['changed'] is True
    snap = result['snapshot']
    assert (snap['snapshot_name'], snap['snapshot_state'], snap['percent'], snap['disk_id']) == ('pre-deploy', 'NORMAL', 100, 'lhdisk-00000001')
    assert snap['latest_operation_request_id'] == result['request_id']
    assert result['diff'] == {'before': {'snapshot_name': 'pre-deploy', 'state': 'absent'},
                              'after': {'snapshot_name': 'pre-deploy', 'state': 'present'}}
    assert clock.now - 100 >= seconds(cloud, 'snapshot')


def test_a_new_snapshot_carries_the_tags_given(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1, name='baseline')]))
    result = present(run_module, tags={'tencentcloud.lighthouse:backup-of': 'lhins-00000001', 'run': 'friday-1'})
    assert cloud.sent()[0][1]['Tags'] == [{'Key': 'tencentcloud.lighthouse:backup-of', 'Value': 'lhins-00000001'},
                                          {'Key': 'run', 'Value': 'friday-1'}]
    assert result['snapshot']['tags'] == {'tencentcloud.lighthouse:backup-of': 'lhins-00000001', 'run': 'friday-1'}


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_existing_snapshot_of_that_name_is_enough(run_module, cloud, check_mode):
    cloud.seed(instance(1, snapshots=[snapshot(1, name='pre-deploy'), snapshot(2, name='pre-deploy')]),
               instance(2, snapshots=[snapshot(3, name='pre-deploy')]))
    result = present(run_module, _ansible_check_mode=check_mode)
    assert result['changed'] is False
    assert result['snapshot']['snapshot_id'] == 'lhsnap-00000002'  # the newer of the two on this disk
    assert result['request_id'] is None
    assert cloud.sent() == []


@pytest.mark.parametrize('name', ['Pre-deploy', 'pre-deploy ', 'pre'])
def test_only_the_exact_name_counts(run_module, cloud, name):
    # Even where the API's name filter matches every name containing the value.
    cloud.seed(instance(1, snapshots=[snapshot(1, name=name)]), behaviour={'name_filter': 'substring'})
    assert present(run_module)['changed'] is True
    assert len(cloud.sent()) == 1


def test_a_snapshot_whose_creation_failed_does_not_count(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1, name='pre-deploy', latest_operation_state='FAILED')]))
    result = present(run_module)
    assert result['changed'] is True
    assert result['snapshot']['snapshot_id'] != 'lhsnap-00000001'


def test_a_snapshot_still_being_created_is_waited_for(run_module, cloud, clock):
    cloud.seed(instance(1, snapshots=[snapshot(1, name='pre-deploy', state='CREATING')]))
    result = present(run_module)
    assert result['changed'] is False
    assert result['snapshot']['snapshot_state'] == 'NORMAL'
    assert cloud.sent() == []
    assert clock.now - 100 >= seconds(cloud, 'snapshot')


def test_check_mode_shows_what_it_would_take(run_module, cloud):
    cloud.seed(instance(1))
    result = present(run_module, _ansible_check_mode=True)
    assert result['changed'] is True
    assert result['snapshot'] == {'snapshot_id': None, 'snapshot_name': 'pre-deploy', 'disk_id': 'lhdisk-00000001',
                                  'disk_usage': 'SYSTEM_DISK', 'disk_size': 40}
    assert cloud.sent() == []


def test_without_wait_returns_the_snapshot_being_created(run_module, cloud, clock):
    cloud.seed(instance(1))
    result = present(run_module, wait=False)
    assert result['snapshot']['snapshot_state'] == 'CREATING'
    assert clock.sleeps == []


def creations(cloud):
    """The error code of each CreateInstanceSnapshot call (None when accepted), with when it was sent."""
    return [(entry['error_code'], cloud.at(entry)) for entry in cloud.journal() if entry['action'] == 'CreateInstanceSnapshot']


def test_a_busy_disk_is_waited_out_before_the_snapshot_is_asked_for(run_module, cloud, clock):
    # Another snapshot of the system disk is being created: the cloud would refuse a second one until it is done.
    cloud.seed(instance(1, snapshots=[snapshot(1, name='nightly', state='CREATING')]))
    result = present(run_module)
    [(error_code, sent_at)] = creations(cloud)
    assert error_code is None
    assert sent_at - 100 >= seconds(cloud, 'snapshot')
    assert result['snapshot']['snapshot_state'] == 'NORMAL'


def test_a_busy_refusal_is_waited_out_and_the_snapshot_asked_for_again(run_module, cloud):
    # Another client asks for a snapshot of the disk just before us: ours is refused until that one is done.
    cloud.seed(instance(1))
    cloud.before('CreateInstanceSnapshot', lambda: cloud.elsewhere('CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotName': 'nightly'}))
    result = present(run_module)
    assert [error_code for error_code, _sent_at in creations(cloud)] == ['UnsupportedOperation.DiskBusy', None]
    assert cloud.pauses() == [0.5]
    assert (result['changed'], result['snapshot']['snapshot_state']) == (True, 'NORMAL')


def test_the_quota_error_names_the_instance_and_says_what_to_do(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1), snapshot(2, name='weekly')]), snapshot_quota_per_instance=2)
    result = present(run_module)
    refused = next(entry for entry in cloud.journal() if entry['action'] == 'CreateInstanceSnapshot')
    assert result['failed'] is True
    assert result.get('changed', False) is False
    assert result['error_code'] == 'LimitExceeded.SnapshotQuotaLimitExceeded'
    assert result['request_id'] == refused['request_id']
    assert result['msg'] == (
        'Failed to create snapshot pre-deploy of instance lhins-00000001: the snapshot quota is used up (%s); the region holds 2 '
        'snapshots; the backups this collection took of instance lhins-00000001: none. Free room by deleting snapshots that are no '
        'longer needed (lighthouse_snapshot with state=absent, by id or with instance_id and keep_backups to delete the older backups; '
        'keep_backups of lighthouse_snapshot_apply and snapshot_rollback_keep_backups of the role delete them after each rollback), or '
        'raise the quota, then try again' % refused['error_message'])


def test_a_failed_creation_fails_at_once(run_module, cloud, clock):
    cloud.seed(instance(1))
    cloud.faults.add({'action': 'CreateInstanceSnapshot', 'kind': 'async_failed'})
    result = present(run_module)
    assert result['error_code'] == 'OperationFailed'
    assert result['changed'] is True
    assert 'latest_operation_state=FAILED' in result['msg']
    assert clock.now - 100 < seconds(cloud, 'snapshot') + 1


def test_the_deadline_fails_saying_what_it_saw(run_module, cloud):
    cloud.seed(instance(1), durations={'snapshot': 3600})
    result = present(run_module, wait_timeout=10)
    assert result['error_code'] == 'WaitTimeout'
    [snapshot_id] = cloud.snapshot_ids()
    assert 'timed out after 10s waiting for the creation of snapshot %s' % snapshot_id in result['msg']
    assert 'last seen: snapshot %s: snapshot_state=CREATING' % snapshot_id in result['msg']


# ---- state=absent

def test_deletes_by_id_in_batches_of_10_skipping_unknown_ids(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(number) for number in range(1, 24)]))
    wanted = ['lhsnap-%08d' % number for number in range(1, 24)] + ['lhsnap-99999999']
    result = absent(run_module, snapshot_ids=wanted)
    assert [len(params['SnapshotIds']) for _action, params in cloud.sent()] == [10, 10, 3]
    assert result['changed'] is True
    assert result['snapshots'] == wanted[:23]
    assert len(result['request_ids']) == 3
    assert cloud.snapshot_ids() == []


def test_deletes_every_snapshot_of_the_instance_with_that_name(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1, name='old'), snapshot(2, name='old'), snapshot(3, name='keep')]),
               instance(2, snapshots=[snapshot(4, name='old')]))
    result = absent(run_module, instance_id='lhins-00000001', snapshot_name='old', snapshot_ids=['lhsnap-00000001', 'lhsnap-00000003'])
    assert result['snapshots'] == ['lhsnap-00000001', 'lhsnap-00000003', 'lhsnap-00000002']
    assert cloud.snapshot_ids() == ['lhsnap-00000004']


BACKUP = {'tencentcloud.lighthouse:backup-of': 'lhins-00000001'}


def with_backups(cloud):
    """lhins-00000001 with baseline, three backups the collection took of it, a hand-made snapshot and a backup of another instance."""
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1, 'baseline', created_time='2025-12-01T00:00:00Z'),
                                                 snapshot(2, 'backup-a', created_time='2025-12-02T00:00:00Z', tags=BACKUP),
                                                 snapshot(3, 'backup-b', created_time='2025-12-03T00:00:00Z', tags=BACKUP),
                                                 snapshot(4, 'backup-c', created_time='2025-12-04T00:00:00Z', tags=BACKUP),
                                                 snapshot(5, 'hand-made', created_time='2025-11-01T00:00:00Z', tags={'owner': 'ops'})]),
               instance(2, snapshots=[snapshot(6, 'backup-x', created_time='2025-11-01T00:00:00Z',
                                               tags={'tencentcloud.lighthouse:backup-of': 'lhins-00000002'})]))
    cloud.settings.update({'snapshot_quota_per_instance': 10})


@pytest.mark.parametrize('check_mode', [True, False], ids=['check', 'real'])
def test_keep_backups_deletes_only_the_older_backups_the_collection_took_of_the_instance(run_module, cloud, check_mode):
    with_backups(cloud)
    result = absent(run_module, instance_id='lhins-00000001', keep_backups=1, _ansible_check_mode=check_mode)
    assert (result['changed'], result['snapshots']) == (True, ['lhsnap-00000003', 'lhsnap-00000002'])
    left = set(cloud.snapshot_ids())
    if check_mode:
        assert cloud.sent() == [] and len(left) == 6
    else:
        assert left == {'lhsnap-00000001', 'lhsnap-00000004', 'lhsnap-00000005', 'lhsnap-00000006'}


def test_keep_backups_never_deletes_a_backup_the_disk_was_rolled_back_to(run_module, cloud):
    with_backups(cloud)
    undone = run_module(lighthouse_snapshot_apply.main, dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000002'))
    assert undone['changed'] is True
    result = absent(run_module, instance_id='lhins-00000001', keep_backups=1)
    assert result['snapshots'] == ['lhsnap-00000003']
    assert set(cloud.snapshot_ids()) == {'lhsnap-00000001', 'lhsnap-00000002', 'lhsnap-00000004', 'lhsnap-00000005', 'lhsnap-00000006'}


@pytest.mark.parametrize('check_mode', [False, True])
def test_nothing_left_to_delete_is_no_change(run_module, cloud, check_mode):
    cloud.seed(instance(1, snapshots=[snapshot(1, name='keep')]))
    result = absent(run_module, instance_id='lhins-00000001', snapshot_name='old', snapshot_ids=['lhsnap-00000009'],
                    _ansible_check_mode=check_mode)
    assert (result['changed'], result['snapshots'], result['request_ids']) == (False, [], [])
    assert cloud.sent() == []


def test_check_mode_lists_what_it_would_delete(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1), snapshot(2)]))
    result = absent(run_module, snapshot_ids=['lhsnap-00000001', 'lhsnap-00000002'], _ansible_check_mode=True)
    assert result['changed'] is True
    assert result['snapshots'] == ['lhsnap-00000001', 'lhsnap-00000002']
    assert result['diff'] == {'before': {'snapshots': ['lhsnap-00000001', 'lhsnap-00000002']}, 'after': {'snapshots': []}}
    assert cloud.sent() == []
    assert cloud.snapshot_ids() == ['lhsnap-00000001', 'lhsnap-00000002']


def test_a_snapshot_being_created_is_waited_for_before_it_is_deleted(run_module, cloud, clock):
    cloud.seed(instance(1, snapshots=[snapshot(1, state='CREATING'), snapshot(2)]))
    result = absent(run_module, snapshot_ids=['lhsnap-00000001', 'lhsnap-00000002'])
    assert result['changed'] is True
    assert len(cloud.sent()) == 1
    assert cloud.snapshot_ids() == []
    assert clock.now - 100 >= seconds(cloud, 'snapshot')


def refused_as_busy(cloud, meanwhile):
    """The next DeleteSnapshots is refused as busy; `meanwhile()`, another client's doing, happens as it is sent."""
    cloud.faults.add({'action': 'DeleteSnapshots', 'code': 'UnsupportedOperation.SnapshotBusy'})
    cloud.before('DeleteSnapshots', meanwhile)


def deleted_elsewhere(cloud, *snapshot_ids):
    return lambda: cloud.elsewhere('DeleteSnapshots', {'SnapshotIds': list(snapshot_ids)})


def test_a_busy_refusal_is_waited_out_and_the_delete_sent_again_after_a_pause(run_module, cloud, clock):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    # Another client rolls the instance back to the snapshot: it is ROLLBACKING meanwhile.
    refused_as_busy(cloud, lambda: cloud.elsewhere('ApplyInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotId': 'lhsnap-00000001'}))
    result = absent(run_module, snapshot_ids=['lhsnap-00000001'])
    assert cloud.sent() == [('DeleteSnapshots', {'SnapshotIds': ['lhsnap-00000001']})] * 2
    assert (result['changed'], len(result['request_ids'])) == (True, 1)
    assert cloud.snapshot_ids() == []
    assert clock.now - 100 >= seconds(cloud, 'rollback')
    assert cloud.pauses() == [0.5]


def test_a_busy_refusal_is_sent_again_only_for_the_snapshots_still_there(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1), snapshot(2)]))
    refused_as_busy(cloud, deleted_elsewhere(cloud, 'lhsnap-00000001'))
    result = absent(run_module, snapshot_ids=['lhsnap-00000001', 'lhsnap-00000002'])
    assert 'failed' not in result
    assert cloud.sent() == [('DeleteSnapshots', {'SnapshotIds': ['lhsnap-00000001', 'lhsnap-00000002']}),
                            ('DeleteSnapshots', {'SnapshotIds': ['lhsnap-00000002']})]
    assert (result['changed'], len(result['request_ids'])) == (True, 1)
    assert cloud.snapshot_ids() == []
    assert cloud.pauses() == [0.5]


def test_a_busy_refusal_whose_snapshots_are_deleted_meanwhile_sends_nothing_more(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1), snapshot(2)]))
    refused_as_busy(cloud, deleted_elsewhere(cloud, 'lhsnap-00000001', 'lhsnap-00000002'))
    result = absent(run_module, snapshot_ids=['lhsnap-00000001', 'lhsnap-00000002'])
    assert 'failed' not in result
    assert len(cloud.sent()) == 1
    assert (result['changed'], result['request_ids']) == (False, [])
    assert result['snapshots'] == ['lhsnap-00000001', 'lhsnap-00000002']
    assert cloud.pauses() == [0.5]  # one backoff pause before looking again; then nothing more to send


@pytest.mark.parametrize('args, fragment', [
    ({'state': 'absent', 'instance_id': 'lhins-00000001'}, 'state is absent but any of the following are missing: snapshot_ids, snapshot_name'),
    ({'state': 'absent', 'snapshot_name': 'old'}, "missing parameter(s) required by 'snapshot_name': instance_id"),
    ({'instance_id': 'lhins-00000001'}, 'state is present but all of the following are missing: snapshot_name'),
    ({'instance_id': 'lhins-00000001', 'snapshot_name': 'x' * 61}, 'snapshot_name is 61 characters long'),
    ({'instance_id': 'lhins-1', 'snapshot_name': 'x'}, "malformed instance id(s): 'lhins-1'"),
    ({'state': 'gone', 'snapshot_ids': ['lhsnap-00000001']}, 'value of state must be one of: present, absent, got: gone'),
])
def test_bad_input_fails_before_any_call(run_module, cloud, args, fragment):
    result = run_module(lighthouse_snapshot.main, dict(ARGS, **args))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert cloud.calls() == []
