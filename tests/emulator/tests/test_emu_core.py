"""The emulator core in-process (no HTTP): injectable time, Describe* lag, name filters and seeded operations."""

import pytest

from lighthouse_emulator.emulator import DROP
from lighthouse_emulator.manual import START, ManualClock, in_process
from lighthouse_emulator.model import iso


@pytest.fixture
def clock():
    return ManualClock()


def emulator(clock, fleet):
    return in_process(fleet, 'ap-guangzhou', 'AKIDCORE', 'core-key', clock)


def call(emu, action, params=None):
    return emu.call(action, 'ap-guangzhou', params or {}, 'AKIDCORE')['Response']


def instance(emu, instance_id):
    return call(emu, 'DescribeInstances', {'InstanceIds': [instance_id]})['InstanceSet'][0]


ONE = {'instances': [{'instance_id': 'lhins-core0001', 'snapshots': [{'snapshot_id': 'lhsnap-core0001'}]}]}


def test_calls_run_the_pipeline_on_the_injected_clock(clock):
    emu = emulator(clock, ONE)
    clock.sleep(5)
    request_id = call(emu, 'StopInstances', {'InstanceIds': ['lhins-core0001']})['RequestId']
    stopping = instance(emu, 'lhins-core0001')
    assert (stopping['InstanceState'], stopping['LatestOperationStartedTime']) == ('STOPPING', iso(START + 5))
    clock.sleep(2)
    assert (instance(emu, 'lhins-core0001')['InstanceState'], emu.history.since(0)[-1]['time']) == ('STOPPED', START + 7)
    entry = emu.journal.since(0)[0]
    assert (entry['time'], entry['request_id'], entry['secret_id']) == (START + 5, request_id, 'AKIDCORE')


def test_calls_meet_the_common_checks_rate_limits_and_faults(clock):
    emu = emulator(clock, dict(ONE, rate_limits={'DescribeRegions': 1}))
    assert call(emu, 'NoSuchAction')['Error']['Code'] == 'InvalidAction'
    assert emu.call('DescribeInstances', 'xx-nowhere', {}, 'AKIDCORE')['Response']['Error']['Code'] == 'UnsupportedRegion'
    call(emu, 'DescribeRegions')
    assert call(emu, 'DescribeRegions')['Error']['Code'] == 'RequestLimitExceeded'
    emu.faults.add({'action': 'DescribeInstances', 'kind': 'delay', 'seconds': 3})
    emu.faults.add({'action': 'DescribeInstances', 'kind': 'drop'})
    call(emu, 'DescribeInstances')
    assert clock() == 3
    assert emu.call('DescribeInstances', 'ap-guangzhou', {}, 'AKIDCORE') is DROP


def test_describe_lag_shows_what_a_call_changed_as_it_was_before(clock):
    emu = emulator(clock, dict(ONE, describe_lag=1.5))
    before = instance(emu, 'lhins-core0001')
    request_id = call(emu, 'ApplyInstanceSnapshot', {'InstanceId': 'lhins-core0001', 'SnapshotId': 'lhsnap-core0001'})['RequestId']
    assert instance(emu, 'lhins-core0001') == before
    assert call(emu, 'DescribeSnapshots')['SnapshotSet'][0]['SnapshotState'] == 'NORMAL'
    assert emu.state()['instances'][0]['InstanceState'] == 'STOPPING'  # the control API shows the truth
    assert call(emu, 'StopInstances', {'InstanceIds': ['lhins-core0001']})['Error']['Code'] == 'UnsupportedOperation.LatestOperationUnfinished'
    clock.sleep(1.5)
    seen = instance(emu, 'lhins-core0001')
    assert (seen['InstanceState'], seen['LatestOperationRequestId']) == ('STOPPING', request_id)


@pytest.mark.parametrize('name_filter, names', [('exact', ['weekly']), ('substring', ['weekly', 'weekly-2'])])
def test_name_filters_match_exactly_or_by_substring(clock, name_filter, names):
    snapshots = [{'name': 'weekly'}, {'name': 'weekly-2'}, {'name': 'daily'}]
    emu = emulator(clock, {'instances': [{'snapshots': snapshots}], 'snapshot_quota_per_instance': 3, 'behaviour': {'name_filter': name_filter}})
    found = call(emu, 'DescribeSnapshots', {'Filters': [{'Name': 'snapshot-name', 'Values': ['weekly']}]})['SnapshotSet']
    assert sorted(item['SnapshotName'] for item in found) == names


def test_a_fleet_sets_latest_operations_and_creation_times(clock):
    emu = emulator(clock, {'instances': [{
        'instance_id': 'lhins-core0001', 'state': 'STOPPED', 'latest_operation': 'ApplyInstanceSnapshot', 'latest_operation_request_id': 'req-r2',
        'snapshots': [{'snapshot_id': 'lhsnap-core0001', 'created_time': '2025-03-01T10:00:00Z',
                       'latest_operation_state': 'FAILED'}]}]})
    seen = instance(emu, 'lhins-core0001')
    assert (seen['LatestOperation'], seen['LatestOperationState'], seen['LatestOperationRequestId']) == ('ApplyInstanceSnapshot', 'SUCCESS', 'req-r2')
    snapshot = call(emu, 'DescribeSnapshots')['SnapshotSet'][0]
    assert (snapshot['CreatedTime'], snapshot['LatestOperation'], snapshot['LatestOperationState']) == (
        '2025-03-01T10:00:00Z', 'CreateInstanceSnapshot', 'FAILED')
    error = call(emu, 'ApplyInstanceSnapshot', {'InstanceId': 'lhins-core0001', 'SnapshotId': 'lhsnap-core0001'})['Error']
    assert error['Code'] == 'UnsupportedOperation.InvalidSnapshotState'


@pytest.mark.parametrize('fleet, message', [
    ({'describe_lag': -1}, 'describe_lag must be a number >= 0'),
    ({'behaviour': {'name_filter': 'fuzzy'}}, 'behaviour.name_filter must be one of exact, substring'),
    ({'instances': [{'latest_operation_state': 1}]}, 'instances[0].latest_operation_state must be a string'),
    ({'instances': [{'snapshots': [{'created_time': 'yesterday'}]}]}, "created_time must look like 2025-01-01T00:00:00Z, not 'yesterday'"),
])
def test_bad_new_fleet_keys_are_refused(clock, fleet, message):
    with pytest.raises(ValueError) as caught:
        emulator(clock, fleet)
    assert message in str(caught.value)
