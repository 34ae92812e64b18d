# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every changing module when the network or the API misbehaves: lost answers, errors after the change, throttling.

The rule under test: a change is sent again only when the cloud shows the first did not take effect, and a
change that took effect is reported as one (``changed``, its RequestId), whatever the answer said.
"""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_instance_power as power
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot as snapshots
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot_apply as apply
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, instance, snapshot

ROLLBACK = dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001')
# Faults after which the change took effect although the answer says otherwise, and one after which it did not.
AFTER_PROCESSING = [{'code': 'InternalError', 'processed': True}, {'code': 'InternalError.UnknownError', 'processed': True},
                    {'code': 'ResourceInsufficient.SystemBusy', 'processed': True}, {'kind': 'drop', 'processed': True}]
BEFORE_PROCESSING = [{'kind': 'drop'}, {'code': 'InternalError'}, {'code': 'ServiceUnavailable'}]
# Seconds Describe* keeps showing what a call changed as it was before: longer than the whole rollback or stop, so
# for that long nothing tells a change that took effect from one that never reached the API.
SLOW_READS = [8, 15]
LOST_AFTER_PROCESSING = [{'kind': 'drop', 'processed': True}, {'code': 'InternalError', 'processed': True}]
# (seeded state, state asked for, action): the power changes the API refuses once the instance is where they take it.
GUARDED_POWER = [('RUNNING', 'stopped', 'StopInstances'), ('STOPPED', 'running', 'StartInstances')]


def handled(cloud, action):
    """How many calls of `action` took effect in the emulator."""
    return len([entry for entry in cloud.journal() if entry['action'] == action and entry['handled']])


def sent(cloud, action):
    return len([entry for entry in cloud.journal() if entry['action'] == action])


# ---- ApplyInstanceSnapshot

def assert_rolled_back_once(result, cloud):
    """The task succeeded, sent one rollback that the cloud made, and reports it as made."""
    assert 'failed' not in result, result['msg']
    assert (sent(cloud, 'ApplyInstanceSnapshot'), handled(cloud, 'ApplyInstanceSnapshot')) == (1, 1)
    made = cloud.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    assert (result['changed'], result['request_id'], result['snapshot']['latest_operation_state']) == (True, made, 'SUCCESS')


@pytest.mark.parametrize('fault', AFTER_PROCESSING)
def test_a_rollback_answered_with_an_error_after_it_was_made_is_adopted(run_module, cloud, fault):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    cloud.faults.add(dict(fault, action='ApplyInstanceSnapshot'))
    assert_rolled_back_once(run_module(apply.main, ROLLBACK), cloud)


def test_a_force_rollback_whose_instance_runs_again_is_adopted_not_made_twice(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1)]), behaviour={'start_after_rollback': True})
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'drop', 'processed': True})
    result = run_module(apply.main, dict(ROLLBACK, force=True))
    assert (result['changed'], result['instance']['instance_state']) == (True, 'RUNNING')
    assert handled(cloud, 'ApplyInstanceSnapshot') == 1


@pytest.mark.parametrize('fault', [{'code': 'InternalError'}, {'code': 'ServiceUnavailable'}])
def test_a_rollback_refused_before_the_api_acted_is_not_sent_again_but_fails_at_the_deadline(run_module, cloud, fault):
    # The error does not say whether the rollback was made, and sending it again could roll back twice.
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    cloud.faults.add(dict(fault, action='ApplyInstanceSnapshot'))
    result = run_module(apply.main, dict(ROLLBACK, wait_timeout=30))
    assert (result['failed'], result['changed'], result['error_code']) == (True, True, fault['code'])
    assert 'ApplyInstanceSnapshot may have taken effect: its outcome is unknown after %s' % fault['code'] in result['msg']
    assert (sent(cloud, 'ApplyInstanceSnapshot'), handled(cloud, 'ApplyInstanceSnapshot')) == (1, 0)


def test_a_lost_answer_unresolved_by_the_deadline_fails_saying_the_rollback_may_have_been_made(run_module, cloud):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'drop'})
    result = run_module(apply.main, dict(ROLLBACK, wait_timeout=3))
    assert (result['failed'], result['changed'], result['error_code']) == (True, True, 'ClientNetworkError')
    assert 'ApplyInstanceSnapshot may have taken effect: its outcome is unknown after ClientNetworkError' in result['msg']
    assert handled(cloud, 'ApplyInstanceSnapshot') == 0


@pytest.mark.parametrize('lag', SLOW_READS)
@pytest.mark.parametrize('fault', LOST_AFTER_PROCESSING)
def test_a_rollback_whose_answer_is_lost_is_made_once_however_long_reads_lag(run_module, cloud, fault, lag):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]), describe_lag=lag)
    cloud.faults.add(dict(fault, action='ApplyInstanceSnapshot'))
    assert_rolled_back_once(run_module(apply.main, ROLLBACK), cloud)


@pytest.mark.parametrize('lag', SLOW_READS)
def test_a_rollback_lost_before_the_api_while_reads_lag_fails_at_the_deadline_saying_it_may_have_been_made(run_module, cloud, lag):
    # Nothing the module can read tells a rollback that never arrived from one that Describe* does not show yet,
    # and sending it again could roll back twice: the task waits for a sign until its deadline.
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]), describe_lag=lag)
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'drop'})
    result = run_module(apply.main, dict(ROLLBACK, wait_timeout=60))
    assert (result['failed'], result['changed'], result['error_code']) == (True, True, 'ClientNetworkError')
    assert 'ApplyInstanceSnapshot may have taken effect: its outcome is unknown after ClientNetworkError' in result['msg']
    assert (sent(cloud, 'ApplyInstanceSnapshot'), handled(cloud, 'ApplyInstanceSnapshot')) == (1, 0)
    assert 60 <= result['elapsed'] < 62


def test_a_backup_answered_with_an_error_after_it_was_taken_is_adopted_then_the_rollback_made(run_module, cloud):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    cloud.faults.add({'action': 'CreateInstanceSnapshot', 'code': 'InternalError', 'processed': True})
    result = run_module(apply.main, dict(ROLLBACK, backup=True, backup_name='before-it'))
    assert (result['changed'], cloud.snapshot(result['backup_snapshot_id'])['SnapshotName']) == (True, 'before-it')
    assert (handled(cloud, 'CreateInstanceSnapshot'), handled(cloud, 'ApplyInstanceSnapshot')) == (1, 1)


# ---- backups: one per run, found again by a retry

def test_a_retried_task_reuses_its_backup(run_module, cloud):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'code': 'UnauthorizedOperation.NoPermission'})
    first = run_module(apply.main, dict(ROLLBACK, backup=True))
    assert first['failed'] is True and first['backup_snapshot_id']
    again = run_module(apply.main, dict(ROLLBACK, backup=True))
    assert (again['changed'], again['backup_snapshot_id']) == (True, first['backup_snapshot_id'])
    assert handled(cloud, 'CreateInstanceSnapshot') == 1


def test_the_backup_of_a_killed_run_is_found_and_reported_even_with_the_quota_used_up(run_module, cloud):
    # The backup was taken after the stop (the disk has not changed since), then the run died; it used the last of the quota.
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1), snapshot(2, 'before-rollback-to-lhsnap-00000001-20260101T000000Z',
                                                                       created_time='2026-01-01T00:00:00Z')]))
    result = run_module(apply.main, dict(ROLLBACK, backup=True))
    assert (result['changed'], result['backup_snapshot_id']) == (True, 'lhsnap-00000002')
    assert sent(cloud, 'CreateInstanceSnapshot') == 0


def test_a_backup_older_than_the_last_stop_is_not_reused(run_module, cloud):
    # Taken before the instance last ran: the disk may have changed since, so a new backup is taken.
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1), snapshot(2, 'before-rollback-to-lhsnap-00000001-20240101T000000Z',
                                                                       created_time='2024-01-01T00:00:00Z')]), snapshot_quota_per_instance=3)
    result = run_module(apply.main, dict(ROLLBACK, backup=True))
    assert result['backup_snapshot_id'] not in ('lhsnap-00000002', None)
    assert handled(cloud, 'CreateInstanceSnapshot') == 1


def test_a_quota_refused_only_by_the_creation_fails_before_the_rollback(run_module, cloud):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]), snapshot_quota_per_instance=1, behaviour={'quota_in_denied_actions': False})
    result = run_module(apply.main, dict(ROLLBACK, backup=True))
    assert result['error_code'] == 'LimitExceeded.SnapshotQuotaLimitExceeded'
    assert sent(cloud, 'ApplyInstanceSnapshot') == 0


# ---- StopInstances, StartInstances

@pytest.mark.parametrize('fault', AFTER_PROCESSING)
def test_a_stop_answered_with_an_error_after_it_was_made_is_adopted(run_module, cloud, fault):
    cloud.seed(instance(1), instance(2))
    cloud.faults.add(dict(fault, action='StopInstances'))
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001', 'lhins-00000002'], state='stopped'))
    assert 'failed' not in result, result['msg']
    assert (result['changed'], [item['instance_state'] for item in result['instances']]) == (True, ['STOPPED', 'STOPPED'])
    assert (sent(cloud, 'StopInstances'), handled(cloud, 'StopInstances')) == (1, 1)
    assert result['request_ids'] == [cloud.instance('lhins-00000001')['LatestOperationRequestId']]


@pytest.mark.parametrize('fault', BEFORE_PROCESSING)
def test_a_start_that_never_reached_the_api_is_sent_again(run_module, cloud, fault):
    cloud.seed(instance(1, 'STOPPED'))
    cloud.faults.add(dict(fault, action='StartInstances'))
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001'], state='running'))
    assert (result['changed'], result['instances'][0]['instance_state']) == (True, 'RUNNING')
    assert (sent(cloud, 'StartInstances'), handled(cloud, 'StartInstances')) == (2, 1)


@pytest.mark.parametrize('lag', SLOW_READS)
@pytest.mark.parametrize('seeded, state, action', GUARDED_POWER)
def test_a_lost_power_answer_is_a_change_however_long_reads_lag(run_module, cloud, seeded, state, action, lag):
    cloud.seed(instance(1, seeded), describe_lag=lag)
    cloud.faults.add({'action': action, 'kind': 'drop', 'processed': True})
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001'], state=state))
    assert 'failed' not in result, result['msg']
    assert (result['changed'], result['instances'][0]['instance_state']) == (True, state.upper())
    assert handled(cloud, action) == 1
    assert result['request_ids'] == [cloud.instance('lhins-00000001')['LatestOperationRequestId']]


@pytest.mark.parametrize('lag', SLOW_READS)
@pytest.mark.parametrize('seeded, state, action', GUARDED_POWER)
def test_a_power_call_lost_before_the_api_while_reads_lag_is_sent_again_at_once(run_module, cloud, seeded, state, action, lag):
    # Sending it again cannot act twice (the API refuses it once the instance is there), so its answer decides.
    cloud.seed(instance(1, seeded), describe_lag=lag)
    cloud.faults.add({'action': action, 'kind': 'drop'})
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001'], state=state))
    assert (result['changed'], result['instances'][0]['instance_state']) == (True, state.upper())
    lost, made = [entry for entry in cloud.journal() if entry['action'] == action]
    assert (lost['handled'], made['handled'], made['error_code']) == (False, True, None)
    assert cloud.at(made) - cloud.at(lost) < 1


def test_a_lost_restart_is_adopted_not_restarted_twice(run_module, cloud):
    cloud.seed(instance(1))
    cloud.faults.add({'action': 'RebootInstances', 'kind': 'drop', 'processed': True})
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001'], state='restarted'))
    assert (result['changed'], handled(cloud, 'RebootInstances')) == (True, 1)


# ---- CreateInstanceSnapshot, DeleteSnapshots

def test_a_snapshot_answered_with_an_error_after_it_was_taken_is_adopted(run_module, cloud):
    cloud.seed(instance(1, snapshots=[]))
    cloud.faults.add({'action': 'CreateInstanceSnapshot', 'code': 'InternalError', 'processed': True})
    result = run_module(snapshots.main, dict(ARGS, instance_id='lhins-00000001', snapshot_name='nightly'))
    assert (result['changed'], result['snapshot']['snapshot_state']) == (True, 'NORMAL')
    assert result['request_id'] == result['snapshot']['latest_operation_request_id']
    assert handled(cloud, 'CreateInstanceSnapshot') == 1


@pytest.mark.parametrize('reading', ['omit', 'error'])
def test_a_deletion_answered_with_an_error_after_it_was_made_is_adopted(run_module, cloud, reading):
    cloud.seed(instance(1, snapshots=[snapshot(1), snapshot(2, 'old')]), behaviour={'unknown_snapshot_ids': reading})
    cloud.faults.add({'action': 'DeleteSnapshots', 'code': 'InternalError', 'processed': True})
    result = run_module(snapshots.main, dict(ARGS, state='absent', snapshot_ids=['lhsnap-00000002']))
    assert (result['changed'], handled(cloud, 'DeleteSnapshots'), cloud.snapshot_ids()) == (True, 1, ['lhsnap-00000001'])


@pytest.mark.parametrize('reading', ['omit', 'error'])
def test_deleting_a_snapshot_already_gone_is_no_change_whichever_reading_the_api_has(run_module, cloud, reading):
    cloud.seed(instance(1, snapshots=[snapshot(1)]), behaviour={'unknown_snapshot_ids': reading})
    result = run_module(snapshots.main, dict(ARGS, state='absent', snapshot_ids=['lhsnap-0000000z', 'lhsnap-00000001']))
    assert (result['changed'], result['snapshots'], cloud.snapshot_ids()) == (True, ['lhsnap-00000001'], [])
    again = run_module(snapshots.main, dict(ARGS, state='absent', snapshot_ids=['lhsnap-0000000z', 'lhsnap-00000001']))
    assert (again['changed'], again['snapshots']) == (False, [])


# ---- throttling and transient errors of reads: bounded by the deadline, not by a count

def test_a_rollback_outlasts_long_throttling_and_internal_errors_of_its_reads(run_module, cloud):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]))
    cloud.faults.add({'action': 'DescribeSnapshots', 'code': 'RequestLimitExceeded', 'count': 12})
    cloud.faults.add({'action': 'DescribeInstances', 'code': 'InternalError', 'count': 10})
    result = run_module(apply.main, ROLLBACK)
    assert (result['changed'], result['snapshot']['latest_operation_state']) == (True, 'SUCCESS')
    assert handled(cloud, 'ApplyInstanceSnapshot') == 1


def test_a_throttled_change_is_sent_again_until_accepted(run_module, cloud):
    cloud.seed(instance(1))
    cloud.faults.add({'action': 'StopInstances', 'code': 'RequestLimitExceeded', 'count': 9})
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001'], state='stopped'))
    assert (result['changed'], sent(cloud, 'StopInstances'), handled(cloud, 'StopInstances')) == (True, 10, 1)


def test_throttling_past_the_deadline_fails_with_the_throttling_error(run_module, cloud):
    cloud.seed(instance(1))
    cloud.faults.add({'action': 'StopInstances', 'code': 'RequestLimitExceeded', 'count': 1000})
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001'], state='stopped', wait_timeout=30))
    assert (result['failed'], result['error_code']) == (True, 'RequestLimitExceeded')
    assert handled(cloud, 'StopInstances') == 0


# ---- the world changed between the look and the call

def test_a_stop_refused_because_another_client_has_just_stopped_the_instance_ends_unchanged(run_module, cloud, clock):
    cloud.seed(instance(1))

    def stopped_elsewhere():
        cloud.elsewhere('StopInstances', {'InstanceIds': ['lhins-00000001']})
        clock.sleep(cloud.settings['durations']['stop'])

    cloud.before('StopInstances', stopped_elsewhere)
    result = run_module(power.main, dict(ARGS, instance_ids=['lhins-00000001'], state='stopped'))
    assert (result.get('failed', False), result['changed'], result['instances'][0]['instance_state']) == (False, False, 'STOPPED')
    assert [entry['error_code'] for entry in cloud.journal() if entry['action'] == 'StopInstances'] == ['UnsupportedOperation.InvalidInstanceState']
