# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lighthouse_snapshot_apply's batch form (instances, stop, start, max_unavailable) as Ansible runs it, against the emulator."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot_apply as module
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, instance, snapshot

BATCH = [{'instance_id': 'lhins-00000001'}, {'instance_id': 'lhins-00000002'}]


@pytest.fixture
def fleet(cloud):
    """Three RUNNING instances lhins-0000000<n>, each with its snapshot 'baseline' lhsnap-0000000<n>, on the emulator's durations."""
    cloud.seed(*[instance(number, snapshots=[snapshot(number)]) for number in (1, 2, 3)])
    return cloud


def run_batch(run_module, **args):
    arguments = dict(ARGS, instances=BATCH, snapshot_name='baseline', stop=True, start=True)
    arguments.update(args)
    return run_module(module.main, dict((key, value) for key, value in arguments.items() if value is not None))


def by_id(result):
    return dict((item['instance_id'], item) for item in result['instances'])


def test_a_batch_is_stopped_rolled_back_and_started_with_one_stop_and_one_start(run_module, fleet):
    result = run_batch(run_module)
    assert result['changed'] is True and 'failed' not in result
    assert fleet.mutations() == ['StopInstances', 'ApplyInstanceSnapshot', 'ApplyInstanceSnapshot', 'StartInstances']
    stop, start = fleet.sent()[0], fleet.sent()[-1]
    assert stop[1]['InstanceIds'] == start[1]['InstanceIds'] == ['lhins-00000001', 'lhins-00000002']
    for number, outcome in enumerate(result['instances'], 1):
        snapshot_id = 'lhsnap-%08d' % number
        assert outcome['rolled_back'] is True and outcome['failed'] is False and outcome['changed'] is True
        assert outcome['snapshot_id'] == snapshot_id
        assert outcome['request_id'] == fleet.snapshot(snapshot_id)['LatestOperationRequestId']
        # The instance as it is now: RUNNING, its latest operation this task's start.
        assert outcome['instance']['instance_state'] == 'RUNNING'
        assert outcome['instance']['latest_operation_request_id'] == outcome['start_request_id'] != outcome['stop_request_id']
    # Each rollback followed this task's own stop of its instance.
    rollbacks = [entry for entry in fleet.journal() if entry['action'] == 'ApplyInstanceSnapshot']
    assert [entry['params']['InstanceId'] for entry in rollbacks] == ['lhins-00000001', 'lhins-00000002']
    assert fleet.instance('lhins-00000003')['InstanceState'] == 'RUNNING'


def test_check_mode_reads_and_predicts_without_a_change(run_module, fleet):
    result = run_batch(run_module, _ansible_check_mode=True, _ansible_diff=True, max_unavailable=1,
                       fleet=[{'instance_id': 'lhins-00000003', 'name': 'web-3'}])
    assert result['changed'] is True and 'failed' not in result
    assert fleet.mutations() == []
    assert [item['changed'] for item in result['instances']] == [True, True]
    assert result['diff']['after']['lhins-00000001'] == {'instance_state': 'RUNNING', 'snapshot_id': 'lhsnap-00000001'}
    assert result['diff']['before']['lhins-00000002']['instance_state'] == 'RUNNING'


def test_the_disruption_budget_refuses_before_any_stop_naming_the_instance_down(run_module, fleet):
    fleet.elsewhere('StopInstances', {'InstanceIds': ['lhins-00000003']})
    result = run_batch(run_module, max_unavailable=1, fleet=[{'instance_id': 'lhins-00000003', 'name': 'web-3'}])
    assert result['failed'] is True and result['error_code'] == 'FleetUnavailable'
    assert 'Other instances of the fleet are down: web-3 (lhins-00000003) is STOPPING' in result['msg']
    assert fleet.mutations() == []
    assert [(item['step'], item['restarted']) for item in result['instances']] == [('fleet guard', False)] * 2


def test_the_budget_counts_tagged_instances_and_lets_the_batch_itself_be_down(run_module, cloud):
    cloud.seed(*[instance(number, snapshots=[snapshot(number)]) for number in (1, 2)],
               instance(3, 'STOPPED', tags={'app': 'shop'}))
    result = run_batch(run_module, max_unavailable=2, fleet_tags={'app': 'shop'})
    assert 'failed' not in result, result['msg']
    result = run_batch(run_module, max_unavailable=1, fleet_tags={'app': 'shop'}, _ansible_check_mode=True)
    assert result['error_code'] == 'FleetUnavailable' and 'web-3 (lhins-00000003) is STOPPED' in result['msg']


def test_a_stop_another_client_makes_between_the_looks_is_caught_and_the_batch_is_started_again(run_module, fleet):
    # Another run stops web-3 while this task's stop is on its way: the second look refuses, and what this task stopped runs again.
    fleet.before('StopInstances', lambda: fleet.elsewhere('StopInstances', {'InstanceIds': ['lhins-00000003']}))
    result = run_batch(run_module, max_unavailable=1, fleet=[{'instance_id': 'lhins-00000003', 'name': 'web-3'}])
    assert result['error_code'] == 'FleetUnavailable'
    assert fleet.mutations() == ['StopInstances', 'StartInstances']
    assert [(item['step'], item['restarted'], item['rolled_back']) for item in result['instances']] == [('fleet guard', True, False)] * 2
    assert [fleet.instance(item['instance_id'])['InstanceState'] for item in result['instances']] == ['RUNNING', 'RUNNING']


def test_a_failed_rollback_fails_its_instance_only_and_starts_it_again(run_module, fleet):
    fleet.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'async_failed', 'match': {'InstanceId': 'lhins-00000002'}})
    result = run_batch(run_module)
    assert result['failed'] is True and result['error_code'] == 'OperationFailed'
    assert result['msg'].startswith('Failed to roll back 2 instance(s): 1 of 2 instance(s) failed: lhins-00000002 at the rollback: ')
    first, second = result['instances']
    assert (first['failed'], first['rolled_back'], first['instance']['instance_state']) == (False, True, 'RUNNING')
    assert (second['failed'], second['step'], second['rolled_back'], second['restarted']) == (True, 'rollback', False, True)
    assert second['instance']['instance_state'] == 'RUNNING'
    starts = [params['InstanceIds'] for action, params in fleet.sent() if action == 'StartInstances']
    assert starts == [['lhins-00000001'], ['lhins-00000002']]


def test_an_instance_another_client_stopped_is_not_rolled_back_nor_started(run_module, fleet):
    fleet.before('StopInstances', lambda: fleet.elsewhere('StopInstances', {'InstanceIds': ['lhins-00000002']}))
    result = run_batch(run_module)
    first, second = result['instances']
    assert first['rolled_back'] is True and first['failed'] is False
    assert (second['step'], second['error_code'], second['restarted'], second['stop_request_id']) == ('stop', 'OperationChanged', False, None)
    assert 'another client stopped it meanwhile' in second['msg']
    assert [params['InstanceId'] for action, params in fleet.sent() if action == 'ApplyInstanceSnapshot'] == ['lhins-00000001']
    assert fleet.instance('lhins-00000002')['InstanceState'] == 'STOPPED'


def test_a_lost_answer_to_the_batch_stop_is_adopted_and_the_batch_goes_on(run_module, fleet):
    fleet.faults.add({'action': 'StopInstances', 'kind': 'drop', 'processed': True})
    result = run_batch(run_module)
    assert 'failed' not in result, result['msg']
    stops = [entry for entry in fleet.journal() if entry['action'] == 'StopInstances' and entry['handled']]
    assert len(stops) == 1
    assert [item['stop_request_id'] for item in result['instances']] == [stops[0]['request_id']] * 2
    assert all(item['rolled_back'] for item in result['instances'])


def test_an_entry_without_rollback_is_only_started_and_an_applied_one_is_not_rolled_back_again(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1)]), instance(2, 'STOPPED', snapshots=[snapshot(2)]), instance(3, 'STOPPED', snapshots=[snapshot(3)]))
    cloud.elsewhere('ApplyInstanceSnapshot', {'InstanceId': 'lhins-00000003', 'SnapshotId': 'lhsnap-00000003'})
    cloud.clock.sleep(10)
    entries = [{'instance_id': 'lhins-00000002', 'rollback': False}, {'instance_id': 'lhins-00000003'}]
    result = run_batch(run_module, instances=entries)
    assert 'failed' not in result, result['msg']
    assert cloud.mutations() == ['StartInstances']
    assert [(item['rolled_back'], item['instance']['instance_state']) for item in result['instances']] == [(False, 'RUNNING')] * 2
    assert cloud.instance('lhins-00000001')['InstanceState'] == 'RUNNING'


def test_backups_are_taken_before_the_stop_and_reused_by_name(run_module, fleet):
    result = run_batch(run_module, backup=True, backup_name='before-run-7', backup_tags={'run': '7'})
    assert 'failed' not in result, result['msg']
    assert fleet.mutations()[:3] == ['CreateInstanceSnapshot', 'CreateInstanceSnapshot', 'StopInstances']
    backups = [item['backup_snapshot_id'] for item in result['instances']]
    assert [fleet.snapshot(item)['SnapshotName'] for item in backups] == ['before-run-7'] * 2
    again = run_batch(run_module, backup=True, backup_name='before-run-7')
    assert [item['backup_snapshot_id'] for item in again['instances']] == backups


def test_the_pre_flight_reads_the_batch_together_each_entry_with_its_snapshot_and_fails_each_instance_alone(run_module, cloud):
    cloud.seed(instance(1, snapshots=[snapshot(1, 'baseline')]), instance(2, snapshots=[snapshot(2, 'golden')]),
               instance(3, snapshots=[snapshot(3, 'nightly-1', created_time='2025-01-01T00:00:00Z'),
                                      snapshot(4, 'nightly-2', created_time='2025-01-03T00:00:00Z')]),
               instance(4, snapshots=[snapshot(5, 'other')]), instance(5, snapshots=[snapshot(6)]))
    entries = [{'instance_id': 'lhins-00000001'}, {'instance_id': 'lhins-00000002', 'snapshot_name': 'golden'},
               {'instance_id': 'lhins-00000003', 'created_before': '2025-01-02T08:00:00+08:00', 'name_pattern': 'nightly-*'},
               {'instance_id': 'lhins-00000004'}, {'instance_id': 'lhins-00000005', 'snapshot_id': 'lhsnap-00000006'}]
    result = run_batch(run_module, instances=entries, _ansible_check_mode=True)
    outcomes = by_id(result)
    chosen = [outcomes['lhins-%08d' % number]['snapshot_id'] for number in (1, 2, 3, 5)]
    assert chosen == ['lhsnap-00000001', 'lhsnap-00000002', 'lhsnap-00000003', 'lhsnap-00000006']
    failed = outcomes['lhins-00000004']
    assert (failed['failed'], failed['step'], failed['error_code']) == (True, 'pre-flight', 'ResourceNotFound.SnapshotNotFound')
    assert "is named 'baseline'; its snapshots, newest first: 'other' (lhsnap-00000005)" in failed['msg']
    assert [item['failed'] for item in result['instances']].count(True) == 1
    assert result['failed'] is True and cloud.mutations() == []
    # One read of the instances and one of each kind of denied actions for the whole batch.
    reads = [params.get('InstanceIds') for action, params in cloud.calls() if action == 'DescribeInstances']
    assert reads == [[entry['instance_id'] for entry in entries]]
    assert failed['instance']['instance_id'] == 'lhins-00000004'
    actions = cloud.actions()
    assert [actions.count(action) for action in ('DescribeInstancesDeniedActions', 'DescribeSnapshotsDeniedActions')] == [1, 1]


def test_the_rollbacks_of_a_batch_are_awaited_together(run_module, cloud):
    ids = ['lhins-%08d' % number for number in range(1, 7)]
    cloud.seed(*[instance(number, snapshots=[snapshot(number)]) for number in range(1, 7)])
    result = run_batch(run_module, instances=[{'instance_id': instance_id} for instance_id in ids])
    assert 'failed' not in result, result['msg']
    calls = cloud.calls()
    last_rollback = max(index for index, (action, _params) in enumerate(calls) if action == 'ApplyInstanceSnapshot')
    start = next(index for index, (action, _params) in enumerate(calls) if action == 'StartInstances')
    waiting = calls[last_rollback + 1:start]
    # Each poll reads the six instances in one call, and their snapshots in one more once the instances show an outcome.
    assert set(len(params.get('InstanceIds') or params.get('SnapshotIds')) for _action, params in waiting) == {6}
    assert [action for action, _params in waiting][-2:] == ['DescribeInstances', 'DescribeSnapshots']
    assert all(item['rolled_back'] for item in result['instances'])


def test_a_failed_read_fails_the_pre_flight_of_the_batch_with_its_request_id(run_module, fleet):
    fleet.faults.add({'action': 'DescribeInstances', 'code': 'UnauthorizedOperation.NoPermission', 'count': 5})
    result = run_batch(run_module, _ansible_check_mode=True)
    denied = [entry for entry in fleet.journal() if entry['error_code']]
    assert [(item['step'], item['error_code'], item['error_request_id'], item['instance']) for item in result['instances']] == [
        ('pre-flight', 'UnauthorizedOperation.NoPermission', denied[0]['request_id'], {})] * 2
    assert len(denied) == 1


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_used_up_quota_fails_the_batch_at_its_pre_flight_when_it_takes_backups(run_module, fleet, check_mode):
    fleet.settings.update({'snapshot_quota_per_instance': 1})
    result = run_batch(run_module, backup=True, backup_name='before-run-7', _ansible_check_mode=check_mode)
    assert [(item['step'], item['error_code']) for item in result['instances']] == [('pre-flight', 'LimitExceeded.SnapshotQuotaLimitExceeded')] * 2
    assert fleet.mutations() == []


@pytest.mark.parametrize('args, fragment', [
    ({'instances': [{'instance_id': 'lhins-00000001', 'snapshot_id': 'lhsnap-00000001', 'snapshot_name': 'baseline'}]},
     'the entry of instances for lhins-00000001 gives snapshot_id and snapshot_name; expected at most one of'),
    ({'instances': [{'instance_id': 'lhins-00000001', 'name_pattern': 'nightly-*'}]},
     'the entry of instances for lhins-00000001 gives name_pattern without created_before'),
    ({'instances': [{'instance_id': 'lhins-00000001', 'created_before': 'yesterday'}]},
     "created_before of the entry of instances for lhins-00000001 is 'yesterday'; expected an ISO 8601 time"),
    ({'instances': BATCH * 2}, 'instances names lhins-00000001, lhins-00000002 more than once'),
    ({'instances': [{'instance_id': 'web-1'}]}, "malformed instance id(s): 'web-1'"),
    ({'snapshot_name': None}, 'no snapshot is given for lhins-00000001, lhins-00000002'),
    ({'snapshot_name': None, 'snapshot_id': 'lhsnap-00000001'}, 'snapshot_id is a snapshot of one instance'),
    ({'after_request_id': 'req-1'}, 'after_request_id is for one instance_id'),
    ({'max_unavailable': 0}, 'max_unavailable is 0; expected at least 1'),
    ({'fleet_tags': {'app': 'shop'}}, 'fleet_tags is only used with max_unavailable'),
    ({'wait': False}, 'start needs wait: true'),
    ({'instance_id': 'lhins-00000001'}, 'parameters are mutually exclusive: instance_id|instances'),
])
def test_bad_batch_arguments_fail_before_any_call(run_module, fleet, args, fragment):
    result = run_batch(run_module, **args)
    assert result['failed'] is True
    assert fragment in result['msg']
    assert fleet.calls() == []
