"""The control API: journal, faults, reset, settings, state; and rate limits."""

import json
import time
import urllib.request

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from conftest import SECOND, TIME_SCALE
from harness import EmulatorError


def test_journal_records_accepted_and_rejected_requests(emu, error_of):
    start = emu.journal()[-1]['seq'] if emu.journal() else 0
    emu.call('DescribeInstances', {'Limit': 5})
    assert error_of('DescribeInstances', secret_key='wrong') == 'AuthFailure.SignatureFailure'
    assert error_of('DescribeInstances', {'Limit': 500}) == 'InvalidParameterValue.OutOfRange'
    entries = emu.journal(since=start)
    assert [(e['action'], e['error_code']) for e in entries] == [
        ('DescribeInstances', None), ('DescribeInstances', 'AuthFailure.SignatureFailure'), ('DescribeInstances', 'InvalidParameterValue.OutOfRange')]
    first = entries[0]
    assert (first['region'], first['params'], first['secret_id']) == ('ap-guangzhou', {'Limit': 5}, emu.secret_id)
    assert len(first['request_id']) == 36 and isinstance(first['time'], float)
    assert entries[1]['secret_id'] == emu.secret_id  # named by the rejected request; the key is never recorded
    assert 'wrong' not in json.dumps(entries)
    assert [e['seq'] for e in emu.journal(since=entries[1]['seq'])] == [entries[2]['seq']]


def test_journal_survives_nothing_but_reset(emu):
    emu.call('DescribeRegions')
    assert emu.journal()
    emu.reset()
    assert emu.journal() == []


def _changes(history):
    return [(e['instance_id'], e['previous'], e['state'], e['operation'], e['request_id']) for e in history]


def test_history_records_instance_state_changes_at_the_time_they_happen(emu, seeded):
    instance_id = seeded.instances['lh-0001']['InstanceId']
    snapshot_id = seeded.snapshots['lh-0001'][0]['SnapshotId']
    assert emu.history() == []
    before = time.time()
    stop = emu.call('StopInstances', {'InstanceIds': [instance_id]})['RequestId']
    time.sleep(40 * TIME_SCALE)  # the stop (2 s) ends long before anybody looks
    looked = time.time()
    history = emu.history()
    assert _changes(history) == [(instance_id, 'RUNNING', 'STOPPING', 'StopInstances', stop),
                                 (instance_id, 'STOPPING', 'STOPPED', 'StopInstances', stop)]
    assert before <= history[0]['time'] < history[1]['time'] < looked - 20 * TIME_SCALE
    assert history[1]['time'] - history[0]['time'] == pytest.approx(2 * TIME_SCALE, abs=0.01)
    assert history[0]['region'] == 'ap-guangzhou' and history[0]['seq'] < history[1]['seq']
    # A rollback of a STOPPED instance leaves its state alone; a start and a failed stop do not.
    emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})
    emu.wait_settled(lambda: emu.instance(instance_id))
    start = emu.call('StartInstances', {'InstanceIds': [instance_id]})['RequestId']
    emu.wait_settled(lambda: emu.instance(instance_id))
    emu.fault('StopInstances', kind='async_failed')
    failed = emu.call('StopInstances', {'InstanceIds': [instance_id]})['RequestId']
    emu.wait_settled(lambda: emu.instance(instance_id))
    later = emu.history(since=history[1]['seq'])
    assert _changes(later) == [(instance_id, 'STOPPED', 'STARTING', 'StartInstances', start),
                               (instance_id, 'STARTING', 'RUNNING', 'StartInstances', start),
                               (instance_id, 'RUNNING', 'STOPPING', 'StopInstances', failed),
                               (instance_id, 'STOPPING', 'RUNNING', 'StopInstances', failed)]


def test_history_of_a_rollback_of_a_running_instance_and_after_a_reset(emu, seeded):
    instance_id = seeded.instances['lh-0002']['InstanceId']
    snapshot_id = seeded.snapshots['lh-0002'][0]['SnapshotId']
    emu.settings(behaviour={'start_after_rollback': True})
    rollback = emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})['RequestId']
    emu.wait_settled(lambda: emu.instance(instance_id))
    history = emu.history()
    assert [(e['state'], e['operation'], e['request_id']) for e in history] == [
        ('STOPPING', 'ApplyInstanceSnapshot', rollback), ('STOPPED', 'ApplyInstanceSnapshot', rollback),
        ('STARTING', 'ApplyInstanceSnapshot', rollback), ('RUNNING', 'ApplyInstanceSnapshot', rollback)]
    # The stop, the rollback (4 s) and the start follow each other without a gap.
    assert history[3]['time'] - history[0]['time'] == pytest.approx(8 * TIME_SCALE, abs=0.01)
    emu.reset()
    assert emu.history() == []
    emu.call('StopInstances', {'InstanceIds': [instance_id]})
    assert emu.history()[0]['seq'] > history[-1]['seq']  # numbered on across resets, like the journal


def test_error_fault_with_count_and_match(emu, seeded, error_of):
    ids = [i['InstanceId'] for i in seeded.instances.values()]
    fault = emu.fault('StopInstances', code='InternalError', count=2, match={'InstanceId': ids[1]})
    assert fault['id'] and emu.faults()[0]['count'] == 2
    emu.call('StopInstances', {'InstanceIds': [ids[0]]})  # does not match
    assert error_of('StopInstances', {'InstanceIds': [ids[1], ids[2]]}) == 'InternalError'
    assert emu.faults()[0]['count'] == 1
    assert error_of('StopInstances', {'InstanceIds': [ids[1]]}) == 'InternalError'
    assert emu.faults() == []
    emu.call('StopInstances', {'InstanceIds': [ids[1]]})
    entries = emu.journal()
    assert [(e['error_code'], e['fault']) for e in entries[-3:]] == [('InternalError', 'error'), ('InternalError', 'error'), (None, None)]


def test_error_fault_message(emu):
    emu.fault('DescribeRegions', code='RequestLimitExceeded', message='slow down')
    with pytest.raises(TencentCloudSDKException) as info:
        emu.call('DescribeRegions')
    assert (info.value.code, info.value.message) == ('RequestLimitExceeded', 'slow down')


def test_delay_fault(emu):
    emu.fault('DescribeRegions', kind='delay', seconds=0.5)
    started = time.monotonic()
    assert emu.call('DescribeRegions')['TotalCount'] == 16
    assert time.monotonic() - started >= 0.5
    assert emu.journal()[-1]['fault'] == 'delay'


def test_delay_fault_times_out_the_client(emu):
    emu.fault('DescribeRegions', kind='delay', seconds=2)
    client = emu.client(timeout=0.5)
    with pytest.raises(TencentCloudSDKException) as info:
        client.call('DescribeRegions', {})
    assert info.value.code == 'ClientNetworkError'
    emu.wait_for(lambda: emu.journal() and emu.journal()[-1]['fault'] == 'delay')  # the server still answers, late


def test_drop_fault_is_a_network_error_and_changes_nothing(emu, seeded):
    instance_id = seeded.instances['lh-0001']['InstanceId']
    emu.fault('StopInstances', kind='drop')
    with pytest.raises(TencentCloudSDKException) as info:
        emu.call('StopInstances', {'InstanceIds': [instance_id]})
    assert info.value.code == 'ClientNetworkError'
    assert emu.instance(instance_id)['InstanceState'] == 'RUNNING'
    assert emu.journal()[-2]['fault'] == 'drop'


def test_processed_drop_fault_runs_the_action(emu, seeded):
    instance_id = seeded.instances['lh-0001']['InstanceId']
    emu.fault('StopInstances', kind='drop', processed=True)
    with pytest.raises(TencentCloudSDKException) as info:
        emu.call('StopInstances', {'InstanceIds': [instance_id]})
    assert info.value.code == 'ClientNetworkError'
    dropped = emu.journal()[-1]
    found = emu.instance(instance_id)
    assert found['LatestOperation'] == 'StopInstances'
    assert found['LatestOperationRequestId'] == dropped['request_id']


def test_async_failed_rollback(emu, seeded):
    instances, snapshots = seeded.instances, seeded.snapshots
    instance_id, snapshot_id = instances['lh-0001']['InstanceId'], snapshots['lh-0001'][0]['SnapshotId']
    emu.fault('ApplyInstanceSnapshot', kind='async_failed', match={'InstanceId': instance_id})
    request_id = emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})['RequestId']
    snapshot = emu.wait_settled(lambda: emu.snapshot(snapshot_id))
    assert (snapshot['SnapshotState'], snapshot['LatestOperationState'], snapshot['LatestOperationRequestId']) == ('NORMAL', 'FAILED', request_id)
    instance = emu.instance(instance_id)
    assert (instance['InstanceState'], instance['LatestOperationState'], instance['LatestOperationRequestId']) == ('STOPPED', 'FAILED', request_id)
    # the snapshot is still usable
    second = emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})['RequestId']
    emu.wait_fields(lambda: emu.snapshot(snapshot_id), LatestOperationState='SUCCESS')
    assert emu.wait_settled(lambda: emu.instance(instance_id))['LatestOperationRequestId'] == second


def test_async_failed_power_and_create(emu, seeded, error_of):
    instances = seeded.instances
    ids = [instances['lh-0001']['InstanceId'], instances['lh-0002']['InstanceId']]
    emu.fault('StopInstances', kind='async_failed', match={'InstanceId': ids[1]})
    emu.call('StopInstances', {'InstanceIds': ids})
    settled = [emu.wait_settled(lambda i=i: emu.instance(i)) for i in ids]
    assert {i['InstanceId']: (i['InstanceState'], i['LatestOperationState']) for i in settled} == {
        ids[0]: ('STOPPED', 'SUCCESS'), ids[1]: ('RUNNING', 'FAILED')}
    emu.fault('CreateInstanceSnapshot', kind='async_failed', match={'InstanceId': ids[1]})
    spared_id = emu.call('CreateInstanceSnapshot', {'InstanceId': ids[0]})['SnapshotId']
    assert emu.wait_settled(lambda: emu.snapshot(spared_id))['LatestOperationState'] == 'SUCCESS'
    snapshot_id = emu.call('CreateInstanceSnapshot', {'InstanceId': ids[1]})['SnapshotId']
    failed = emu.wait_fields(lambda: emu.snapshot(snapshot_id), LatestOperationState='FAILED')
    assert (failed['SnapshotState'], failed['Percent']) == ('NORMAL', 0)
    assert error_of('ApplyInstanceSnapshot', {'InstanceId': ids[1], 'SnapshotId': snapshot_id}) == 'UnsupportedOperation.InvalidSnapshotState'
    emu.call('DeleteSnapshots', {'SnapshotIds': [snapshot_id]})


@pytest.mark.parametrize('spec', [
    {'action': 'NoSuchAction', 'code': 'X'},
    {'action': 'StopInstances'},
    {'action': 'StopInstances', 'kind': 'explode'},
    {'action': 'StopInstances', 'kind': 'delay'},
    {'action': 'StopInstances', 'code': 'X', 'count': 0},
    {'action': 'StopInstances', 'code': 'X', 'match': {'Zone': 'x'}},
    {'action': 'StopInstances', 'code': 'X', 'surprise': True},
])
def test_bad_faults_are_rejected(emu, spec):
    with pytest.raises(EmulatorError, match='400'):
        emu.control('POST', 'faults', spec)
    assert emu.faults() == []


def test_clear_faults(emu):
    emu.fault('DescribeRegions', code='InternalError', count=5)
    assert emu.clear_faults() == []
    assert emu.call('DescribeRegions')['TotalCount'] == 16


def test_reset_variants(emu):
    emu.call('StopInstances', {'InstanceIds': [emu.state()['instances'][0]['InstanceId']]})
    emu.fault('DescribeRegions', code='InternalError')
    emu.settings(time_scale=5)
    state = emu.reset()
    assert len(state['instances']) == 3 and all(i['InstanceState'] == 'RUNNING' for i in state['instances'])
    assert (emu.faults(), state['settings']['time_scale']) == ([], 0.02)
    assert len(emu.reset(instances=7)['instances']) == 7
    assert emu.call('DescribeRegions', secret_id=SECOND['secret_id'], secret_key=SECOND['secret_key'])  # the start fleet's credentials stay
    state = emu.reset(fleet={'instances': [{'name': 'solo', 'state': 'STOPPED', 'region': 'ap-tokyo'}]})
    assert [(i['InstanceName'], i['InstanceState'], i['region']) for i in state['instances']] == [('solo', 'STOPPED', 'ap-tokyo')]
    with pytest.raises(EmulatorError, match='400'):
        emu.reset(fleet={'instances': [{'name': 'bad', 'state': 'SLEEPING'}]})
    assert [i['InstanceName'] for i in emu.state()['instances']] == ['solo']  # a bad fleet changes nothing
    with pytest.raises(EmulatorError, match='unknown key'):
        emu.reset(fleet={'instances': [{'nmae': 'typo'}]})


def test_settings(emu):
    assert emu.settings()['durations']['rollback'] == 4.0
    changed = emu.settings(durations={'rollback': 1.5}, rate_limits={'DescribeRegions': 3}, snapshot_quota_per_instance=5)
    assert (changed['durations']['rollback'], changed['rate_limits']['DescribeRegions'], changed['snapshot_quota_per_instance']) == (1.5, 3, 5)
    for bad in ({'durations': {'warp': 1}}, {'time_scale': -1}, {'behaviour': {'rollback_operation_name': 'Undo'}}, {'colour': 'blue'}):
        with pytest.raises(EmulatorError, match='400'):
            emu.settings(**bad)
    assert emu.settings()['durations']['rollback'] == 1.5


def test_state_shapes(emu):
    state = emu.state()
    assert state['server']['url'] == emu.url
    assert state['backend'] == {'name': 'null'}
    assert set(state) == {'server', 'backend', 'settings', 'instances', 'disks', 'snapshots'}
    assert all(r['region'] == 'ap-guangzhou' for kind in ('instances', 'disks', 'snapshots') for r in state[kind])
    assert state['instances'][0]['PublicAddresses'] == ['198.18.0.2']


def test_unknown_control_endpoint(emu):
    with pytest.raises(EmulatorError, match='404'):
        emu.control('GET', 'nothing')
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(emu.url + '/elsewhere')


def test_rate_limit(emu, error_of):
    emu.settings(rate_limits={'DescribeRegions': 2})
    emu.call('DescribeRegions')
    emu.call('DescribeRegions')
    assert error_of('DescribeRegions') == 'RequestLimitExceeded'
    assert emu.call('DescribeRegions', secret_id=SECOND['secret_id'], secret_key=SECOND['secret_key'])  # per SecretId
    assert emu.call('DescribeInstances')  # per action
    assert emu.journal()[-3]['error_code'] == 'RequestLimitExceeded'
    time.sleep(1.05)
    assert emu.call('DescribeRegions')['TotalCount'] == 16


def test_default_rate_limit_of_apply_is_20_per_second(emu, seeded):
    instance_id = seeded.instances['lh-0001']['InstanceId']
    codes = []
    for attempt in range(21):
        try:
            emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': 'lhsnap-zzzzzzzz'})
        except TencentCloudSDKException as error:
            codes.append(error.code)
    assert codes == ['ResourceNotFound.SnapshotIdNotFound'] * 20 + ['RequestLimitExceeded']
