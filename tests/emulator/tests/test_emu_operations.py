"""Mutating actions: state machines, LatestOperation fields, preconditions and denied-action lists."""

import time

import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.lighthouse.v20200324 import lighthouse_client, models

SLOW = {'time_scale': 0.25}  # stop/start 0.5 s, reboot 0.75 s, snapshot 0.75 s, rollback 1 s: slow enough to observe


def test_apply_instance_snapshot_request_id_through_the_sdk(emu, seeded):
    """Acceptance: the RequestId of ApplyInstanceSnapshot on a RUNNING instance becomes the snapshot's LatestOperationRequestId."""
    instances, snapshots = seeded.instances, seeded.snapshots
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=emu.endpoint, protocol='http'))
    client = lighthouse_client.LighthouseClient(credential.Credential(emu.secret_id, emu.secret_key), 'ap-guangzhou', profile)
    instance_id, snapshot_id = instances['lh-0001']['InstanceId'], snapshots['lh-0001'][0]['SnapshotId']
    assert instances['lh-0001']['InstanceState'] == 'RUNNING'

    request = models.ApplyInstanceSnapshotRequest()
    request.InstanceId, request.SnapshotId = instance_id, snapshot_id
    request_id = client.ApplyInstanceSnapshot(request).RequestId

    describe = models.DescribeSnapshotsRequest()
    describe.SnapshotIds = [snapshot_id]
    deadline = time.monotonic() + 10
    while True:
        found = client.DescribeSnapshots(describe).SnapshotSet[0]
        if found.LatestOperationState != 'OPERATING' or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert (found.LatestOperation, found.LatestOperationState, found.LatestOperationRequestId) == ('RollbackInstanceSnapshot', 'SUCCESS', request_id)
    assert (found.SnapshotState, found.Percent) == ('NORMAL', 100)
    done = emu.instance(instance_id)
    assert (done['LatestOperation'], done['LatestOperationState'], done['LatestOperationRequestId']) == ('ApplyInstanceSnapshot', 'SUCCESS', request_id)
    assert done['InstanceState'] == 'STOPPED'


def test_rollback_of_a_running_instance_goes_through_stopping(emu, seeded):
    emu.settings(**SLOW)
    instances, snapshots = seeded.instances, seeded.snapshots
    instance_id, snapshot_id = instances['lh-0002']['InstanceId'], snapshots['lh-0002'][0]['SnapshotId']
    request_id = emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})['RequestId']
    during = emu.instance(instance_id)
    assert (during['InstanceState'], during['LatestOperationState'], during['LatestOperationRequestId']) == ('STOPPING', 'OPERATING', request_id)
    assert during['LatestOperationStartedTime'].endswith('Z')
    rolling = emu.snapshot(snapshot_id)
    assert (rolling['SnapshotState'], rolling['Percent'], rolling['LatestOperationState']) == ('ROLLBACKING', 0, 'OPERATING')
    emu.wait_for(lambda: 0 < emu.snapshot(snapshot_id)['Percent'] < 100, timeout=10)  # stopped, now rolling back
    assert emu.instance(instance_id)['InstanceState'] == 'STOPPED'
    done = emu.wait_fields(lambda: emu.snapshot(snapshot_id), SnapshotState='NORMAL', Percent=100)
    assert (done['LatestOperationState'], done['LatestOperationRequestId']) == ('SUCCESS', request_id)
    assert emu.wait_fields(lambda: emu.instance(instance_id), LatestOperationState='SUCCESS')['InstanceState'] == 'STOPPED'


def test_rollback_of_a_stopped_instance(emu, seeded):
    instances, snapshots = seeded.instances, seeded.snapshots
    instance_id, snapshot_id = instances['lh-0003']['InstanceId'], snapshots['lh-0003'][0]['SnapshotId']
    emu.call('StopInstances', {'InstanceIds': [instance_id]})
    emu.wait_fields(lambda: emu.instance(instance_id), InstanceState='STOPPED', LatestOperationState='SUCCESS')
    request_id = emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})['RequestId']
    emu.wait_fields(lambda: emu.snapshot(snapshot_id), LatestOperationState='SUCCESS')
    done = emu.wait_fields(lambda: emu.instance(instance_id), LatestOperationState='SUCCESS')
    assert (done['InstanceState'], done['LatestOperationRequestId']) == ('STOPPED', request_id)


def test_behaviour_switches(emu, seeded):
    instances, snapshots = seeded.instances, seeded.snapshots
    emu.settings(behaviour={'start_after_rollback': True, 'rollback_operation_name': 'RollbackInstanceSnapshot'})
    instance_id, snapshot_id = instances['lh-0001']['InstanceId'], snapshots['lh-0001'][0]['SnapshotId']
    request_id = emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})['RequestId']
    done = emu.wait_fields(lambda: emu.instance(instance_id), LatestOperationState='SUCCESS')
    assert (done['InstanceState'], done['LatestOperation'], done['LatestOperationRequestId']) == ('RUNNING', 'RollbackInstanceSnapshot', request_id)
    denied = emu.call('DescribeInstancesDeniedActions', {'InstanceIds': [instance_id]})['InstanceDeniedActionSet'][0]['DeniedActions']
    assert [d['Action'] for d in denied] == ['StartInstances']
    emu.call('StopInstances', {'InstanceIds': [instance_id]})
    denied = emu.call('DescribeInstancesDeniedActions', {'InstanceIds': [instance_id]})['InstanceDeniedActionSet'][0]['DeniedActions']
    assert 'RollbackInstanceSnapshot' in [d['Action'] for d in denied]


@pytest.mark.parametrize('action, during, after', [
    ('StopInstances', 'STOPPING', 'STOPPED'),
    ('RebootInstances', 'REBOOTING', 'RUNNING'),
])
def test_power_operations(emu, seeded, action, during, after):
    emu.settings(**SLOW)
    instances = seeded.instances
    ids = [instances['lh-0001']['InstanceId'], instances['lh-0002']['InstanceId']]
    request_id = emu.call(action, {'InstanceIds': ids, 'StopType': 'HARD'})['RequestId']
    for instance_id in ids:
        running = emu.instance(instance_id)
        assert (running['InstanceState'], running['LatestOperation'], running['LatestOperationState']) == (during, action, 'OPERATING')
        assert running['LatestOperationRequestId'] == request_id
    for instance_id in ids:
        assert emu.wait_fields(lambda: emu.instance(instance_id), LatestOperationState='SUCCESS')['InstanceState'] == after


def test_start_after_stop(emu, seeded):
    instance_id = seeded.instances['lh-0001']['InstanceId']
    emu.call('StopInstances', {'InstanceIds': [instance_id]})
    emu.wait_fields(lambda: emu.instance(instance_id), InstanceState='STOPPED')
    request_id = emu.call('StartInstances', {'InstanceIds': [instance_id]})['RequestId']
    done = emu.wait_fields(lambda: emu.instance(instance_id), InstanceState='RUNNING')
    assert (done['LatestOperation'], done['LatestOperationState'], done['LatestOperationRequestId']) == ('StartInstances', 'SUCCESS', request_id)


def test_power_preconditions(emu, seeded, error_of):
    emu.settings(**SLOW)
    ids = [i['InstanceId'] for i in seeded.instances.values()]
    assert error_of('StartInstances', {'InstanceIds': ids[:1]}) == 'UnsupportedOperation.InvalidInstanceState'
    assert error_of('StopInstances', {'InstanceIds': ids[:1], 'StopType': 'GENTLE'}) == 'InvalidParameterValue'
    assert error_of('StopInstances', {'InstanceIds': []}) == 'MissingParameter'
    assert error_of('StopInstances', {}) == 'MissingParameter'
    assert error_of('StopInstances', {'InstanceIds': [ids[0], ids[0]]}) == 'InvalidParameterValue.Duplicated'
    assert error_of('StartInstances', {'InstanceIds': ['lhins-zzzzzzzz']}) == 'ResourceNotFound.InstanceIdNotFound'
    assert error_of('StartInstances', {'InstanceIds': ['lhins-%08d' % n for n in range(101)]}) == 'InvalidParameterValue.LimitExceeded'
    assert error_of('StartInstances', {'InstanceIds': ids, 'StopType': 'SOFT'}) == 'UnknownParameter'
    emu.call('StopInstances', {'InstanceIds': ids[:1]})
    assert error_of('StopInstances', {'InstanceIds': ids[:1]}) == 'UnsupportedOperation.LatestOperationUnfinished'
    assert error_of('StartInstances', {'InstanceIds': ids[:1]}) == 'UnsupportedOperation.LatestOperationUnfinished'
    # all or nothing: one bad instance fails the call and changes none
    emu.wait_fields(lambda: emu.instance(ids[0]), InstanceState='STOPPED')
    assert error_of('RebootInstances', {'InstanceIds': ids}) == 'UnsupportedOperation.InvalidInstanceState'
    assert [emu.instance(i)['InstanceState'] for i in ids[1:]] == ['RUNNING', 'RUNNING']


def test_apply_preconditions(emu, error_of):
    emu.reset(fleet={'time_scale': 0.25, 'instances': [
        {'name': 'ok', 'snapshots': [{'name': 'good'}, {'name': 'creating', 'state': 'CREATING'}, {'name': 'big', 'disk_size': 80}],
         'data_disks': [{'snapshots': [{'name': 'data'}]}]},
        {'name': 'other', 'snapshots': [{'name': 'others'}]},
        {'name': 'pending', 'state': 'PENDING', 'snapshots': [{'name': 'pendings'}]},
        {'name': 'rescue', 'state': 'RESCUE_MODE', 'snapshots': [{'name': 'rescues'}]},
    ]})
    state = emu.state()
    ins = {i['InstanceName']: i['InstanceId'] for i in state['instances']}
    snap = {s['SnapshotName']: s['SnapshotId'] for s in state['snapshots']}

    def apply(instance_name, snapshot_name):
        return error_of('ApplyInstanceSnapshot', {'InstanceId': ins.get(instance_name, instance_name), 'SnapshotId': snap.get(snapshot_name, snapshot_name)})

    assert apply('ok', 'creating') == 'UnsupportedOperation.InvalidSnapshotState'
    assert apply('ok', 'good') == 'UnsupportedOperation.DiskBusy'  # another snapshot of the disk is being created
    assert apply('ok', 'others') == 'ResourceNotFound.SnapshotNotFound'  # another instance's snapshot
    assert apply('ok', 'data') == 'ResourceNotFound.SnapshotNotFound'  # a DATA_DISK snapshot of this instance
    assert apply('pending', 'others') == 'ResourceNotFound.SnapshotNotFound'
    assert apply('lhins-bad', 'good') == 'InvalidParameterValue.InstanceIdMalformed'
    assert apply('ok', 'lhsnap-bad') == 'InvalidParameterValue.SnapshotIdMalformed'
    assert apply('lhins-zzzzzzzz', 'good') == 'ResourceNotFound.InstanceIdNotFound'
    assert apply('ok', 'lhsnap-zzzzzzzz') == 'ResourceNotFound.SnapshotIdNotFound'
    assert error_of('ApplyInstanceSnapshot', {'InstanceId': ins['ok']}) == 'MissingParameter'
    emu.wait_fields(lambda: emu.snapshot(snap['creating']), SnapshotState='NORMAL')
    assert apply('ok', 'big') == 'InvalidParameterValue.DiskSizeNotMatch'
    assert apply('pending', 'pendings') == 'OperationDenied.InstanceCreating'
    assert apply('rescue', 'rescues') == 'UnsupportedOperation.InvalidInstanceState'

    emu.call('ApplyInstanceSnapshot', {'InstanceId': ins['ok'], 'SnapshotId': snap['good']})
    assert apply('ok', 'good') == 'UnsupportedOperation.LatestOperationUnfinished'
    assert error_of('DeleteSnapshots', {'SnapshotIds': [snap['good']]}) == 'UnsupportedOperation.InvalidSnapshotState'
    assert error_of('CreateInstanceSnapshot', {'InstanceId': ins['ok']}) == 'UnsupportedOperation.LatestOperationUnfinished'


def test_create_snapshot(emu, seeded, error_of):
    emu.settings(**SLOW)
    instance_id = seeded.instances['lh-0001']['InstanceId']
    tags = [{'Key': 'k', 'Value': 'v'}]
    answer = emu.call('CreateInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotName': 'before-upgrade', 'Tags': tags})
    created = emu.snapshot(answer['SnapshotId'])
    assert (created['SnapshotState'], created['LatestOperation'], created['LatestOperationState']) == ('CREATING', 'CreateInstanceSnapshot', 'OPERATING')
    assert (created['LatestOperationRequestId'], created['SnapshotName'], created['Tags']) == (answer['RequestId'], 'before-upgrade', tags)
    assert error_of('CreateInstanceSnapshot', {'InstanceId': instance_id}) == 'UnsupportedOperation.DiskBusy'
    done = emu.wait_fields(lambda: emu.snapshot(answer['SnapshotId']), SnapshotState='NORMAL')
    assert (done['Percent'], done['LatestOperationState'], done['DiskUsage'], done['DiskSize']) == (100, 'SUCCESS', 'SYSTEM_DISK', 40)
    assert emu.call('DescribeSnapshots')['SnapshotSet'][0]['SnapshotId'] == answer['SnapshotId']  # newest first
    assert emu.instance(instance_id)['LatestOperation'] == 'RunInstances'  # a snapshot is not an instance operation


def test_create_snapshot_errors_and_quota(emu, seeded, error_of):
    instance_id = seeded.instances['lh-0001']['InstanceId']
    assert error_of('CreateInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotName': 'x' * 61}) == 'InvalidParameterValue.SnapshotNameTooLong'
    assert error_of('CreateInstanceSnapshot', {'InstanceId': instance_id, 'Tags': [{'Key': 'k'}]}) == 'InvalidParameter'
    assert error_of('CreateInstanceSnapshot', {'InstanceId': instance_id, 'Tags': [{'Key': str(n), 'Value': ''} for n in range(11)]}) \
        == 'InvalidParameterValue.LimitExceeded'
    assert error_of('CreateInstanceSnapshot', {'InstanceId': 'lhins-zzzzzzzz'}) == 'ResourceNotFound.InstanceIdNotFound'
    emu.settings(snapshot_quota_per_instance=1)  # 3 instances, 3 snapshots: the region's quota is used up
    assert error_of('CreateInstanceSnapshot', {'InstanceId': instance_id}) == 'LimitExceeded.SnapshotQuotaLimitExceeded'
    emu.settings(snapshot_quota_per_instance=2)
    for attempt in range(3):
        created = emu.call('CreateInstanceSnapshot', {'InstanceId': instance_id})
        emu.wait_fields(lambda: emu.snapshot(created['SnapshotId']), SnapshotState='NORMAL')
        assert emu.snapshot(created['SnapshotId'])['SnapshotName'] == created['SnapshotId']
    assert error_of('CreateInstanceSnapshot', {'InstanceId': instance_id}) == 'LimitExceeded.SnapshotQuotaLimitExceeded'


def test_delete_snapshots(emu, seeded, error_of):
    snapshot_ids = [s[0]['SnapshotId'] for s in seeded.snapshots.values()]
    assert error_of('DeleteSnapshots', {'SnapshotIds': ['lhsnap-%08d' % n for n in range(11)]}) == 'InvalidParameterValue.LimitExceeded'
    assert error_of('DeleteSnapshots', {'SnapshotIds': [snapshot_ids[0], 'lhsnap-zzzzzzzz']}) == 'ResourceNotFound.SnapshotIdNotFound'
    assert error_of('DeleteSnapshots', {'SnapshotIds': [snapshot_ids[0]] * 2}) == 'InvalidParameterValue.Duplicated'
    emu.call('DeleteSnapshots', {'SnapshotIds': snapshot_ids[:2]})
    assert [s['SnapshotId'] for s in emu.call('DescribeSnapshots')['SnapshotSet']] == snapshot_ids[2:]


def test_denied_actions_follow_the_preconditions(emu, seeded):
    emu.settings(**SLOW)
    instances, snapshots = seeded.instances, seeded.snapshots
    instance_id, snapshot_id = instances['lh-0001']['InstanceId'], snapshots['lh-0001'][0]['SnapshotId']

    def instance_denied():
        answer = emu.call('DescribeInstancesDeniedActions', {'InstanceIds': [instance_id]})['InstanceDeniedActionSet']
        assert answer[0]['InstanceId'] == instance_id
        return {d['Action']: d['Code'] for d in answer[0]['DeniedActions']}

    def snapshot_denied():
        answer = emu.call('DescribeSnapshotsDeniedActions', {'SnapshotIds': [snapshot_id, 'lhsnap-zzzzzzzz']})['SnapshotDeniedActionSet']
        assert [a['SnapshotId'] for a in answer] == [snapshot_id]
        return {d['Action']: d['Code'] for d in answer[0]['DeniedActions']}

    assert instance_denied() == {'StartInstances': 'UnsupportedOperation.InvalidInstanceState'}
    assert snapshot_denied() == {}
    emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})
    busy = 'UnsupportedOperation.LatestOperationUnfinished'
    assert instance_denied() == {'StartInstances': busy, 'StopInstances': busy, 'RebootInstances': busy,
                                 'CreateInstanceSnapshot': busy, 'ApplyInstanceSnapshot': busy}
    assert snapshot_denied() == {'RollbackInstanceSnapshot': 'UnsupportedOperation.DiskLatestOperationUnfinished',
                                 'DeleteSnapshots': 'UnsupportedOperation.InvalidSnapshotState'}
    emu.wait_fields(lambda: emu.instance(instance_id), LatestOperationState='SUCCESS')
    assert instance_denied() == {'StopInstances': 'UnsupportedOperation.InvalidInstanceState',
                                 'RebootInstances': 'UnsupportedOperation.InvalidInstanceState'}
    assert snapshot_denied() == {}


def test_denied_actions_parameter_rules(error_of):
    assert error_of('DescribeInstancesDeniedActions', {'InstanceIds': ['lhins-zzzzzzzz']}) == 'ResourceNotFound.InstanceIdNotFound'
    assert error_of('DescribeInstancesDeniedActions', {'InstanceIds': ['x']}) == 'InvalidParameterValue.InstanceIdMalformed'
    assert error_of('DescribeSnapshotsDeniedActions', {'SnapshotIds': ['x']}) == 'InvalidParameterValue.SnapshotIdMalformed'
    assert error_of('DescribeSnapshotsDeniedActions', {'SnapshotIds': ['lhsnap-%08d' % n for n in range(101)]}) == 'InvalidParameterValue.LimitExceeded'


def test_seeded_transitions_settle(emu):
    emu.reset(fleet={'time_scale': 0.25, 'instances': [{'name': 'stopping', 'state': 'STOPPING'}, {'name': 'rebooting', 'state': 'REBOOTING'},
                                                       {'name': 'snap', 'snapshots': [{'state': 'CREATING'}]}]})
    state = emu.state()
    ins = {i['InstanceName']: i for i in state['instances']}
    assert (ins['stopping']['InstanceState'], ins['stopping']['LatestOperation'], ins['stopping']['LatestOperationState']) == \
        ('STOPPING', 'StopInstances', 'OPERATING')
    creating = next(s for s in state['snapshots'] if s['DiskId'] == ins['snap']['SystemDisk']['DiskId'])
    assert creating['SnapshotState'] == 'CREATING'
    assert emu.wait_fields(lambda: emu.instance(ins['stopping']['InstanceId']), LatestOperationState='SUCCESS')['InstanceState'] == 'STOPPED'
    assert emu.wait_fields(lambda: emu.instance(ins['rebooting']['InstanceId']), LatestOperationState='SUCCESS')['InstanceState'] == 'RUNNING'
    assert emu.wait_fields(lambda: emu.snapshot(creating['SnapshotId']), LatestOperationState='SUCCESS')['SnapshotState'] == 'NORMAL'
