"""Settings for behaviour the API reference leaves open or that only some accounts meet: refusals, readings, late errors."""

import pytest

from lighthouse_emulator.manual import ManualClock, in_process

FLEET = {'instances': [{'instance_id': 'lhins-00000001', 'state': 'STOPPED', 'system_disk': {'disk_id': 'lhdisk-00000001'},
                        'snapshots': [{'snapshot_id': 'lhsnap-00000001'}]}]}


@pytest.fixture
def emu():
    return in_process(FLEET, 'ap-guangzhou', 'AKIDREFUSE', 'refuse-key', ManualClock())


def call(emu, action, params):
    return emu.call(action, 'ap-guangzhou', params, 'AKIDREFUSE')['Response']


def denied(emu, action, ids_key, resource_id):
    answer = call(emu, action, {ids_key: [resource_id]})
    entries = answer['InstanceDeniedActionSet' if ids_key == 'InstanceIds' else 'SnapshotDeniedActionSet']
    return [(item['Action'], item['Code']) for item in entries[0]['DeniedActions']]


@pytest.mark.parametrize('resource_id', ['lhins-00000001', 'lhsnap-00000001'])
def test_a_refused_rollback_is_listed_and_refused_with_its_code(emu, resource_id):
    emu.service.settings.update({'refusals': {resource_id: {'ApplyInstanceSnapshot': 'UnauthorizedOperation.NoPermission'}}})
    answer = call(emu, 'ApplyInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotId': 'lhsnap-00000001'})
    assert answer['Error']['Code'] == 'UnauthorizedOperation.NoPermission'
    if resource_id.startswith('lhins'):
        listed = denied(emu, 'DescribeInstancesDeniedActions', 'InstanceIds', resource_id)
        assert ('ApplyInstanceSnapshot', 'UnauthorizedOperation.NoPermission') in listed
    else:
        listed = denied(emu, 'DescribeSnapshotsDeniedActions', 'SnapshotIds', resource_id)
        assert listed == [('RollbackInstanceSnapshot', 'UnauthorizedOperation.NoPermission')]


def test_a_refusal_of_another_action_leaves_the_rollback_alone(emu):
    emu.service.settings.update({'refusals': {'lhins-00000001': {'StartInstances': 'UnauthorizedOperation.NoPermission'}}})
    assert 'Error' not in call(emu, 'ApplyInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotId': 'lhsnap-00000001'})
    assert call(emu, 'StartInstances', {'InstanceIds': ['lhins-00000001']})['Error']['Code'] == 'UnauthorizedOperation.NoPermission'


@pytest.mark.parametrize('refusals', [[], {'lhins-00000001': []}, {'lhins-00000001': {'EnterRescueMode': 'X'}},
                                      {'lhins-00000001': {'StartInstances': 7}}])
def test_bad_refusals_are_rejected(emu, refusals):
    with pytest.raises(ValueError):
        emu.service.settings.update({'refusals': refusals})


# ---- the readings the API reference leaves open, and an error after the call was handled

def test_unknown_snapshot_ids_are_left_out_or_refused_as_the_setting_says(emu):
    asked = {'SnapshotIds': ['lhsnap-00000001', 'lhsnap-0000000z']}
    assert [item['SnapshotId'] for item in call(emu, 'DescribeSnapshots', asked)['SnapshotSet']] == ['lhsnap-00000001']
    emu.service.settings.update({'behaviour': {'unknown_snapshot_ids': 'error'}})
    assert call(emu, 'DescribeSnapshots', asked)['Error']['Code'] == 'ResourceNotFound.SnapshotIdNotFound'
    assert call(emu, 'DescribeSnapshotsDeniedActions', asked)['Error']['Code'] == 'ResourceNotFound.SnapshotIdNotFound'


@pytest.mark.parametrize('listed', [True, False])
def test_a_used_up_quota_is_listed_as_denied_or_only_refused_by_the_creation(emu, listed):
    emu.service.settings.update({'snapshot_quota_per_instance': 1, 'behaviour': {'quota_in_denied_actions': listed}})
    codes = dict(denied(emu, 'DescribeInstancesDeniedActions', 'InstanceIds', 'lhins-00000001'))
    assert (codes.get('CreateInstanceSnapshot') == 'LimitExceeded.SnapshotQuotaLimitExceeded') is listed
    assert call(emu, 'CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001'})['Error']['Code'] == 'LimitExceeded.SnapshotQuotaLimitExceeded'


def test_an_error_after_processing_answers_the_error_but_the_change_is_made(emu):
    emu.faults.add({'action': 'StartInstances', 'code': 'InternalError', 'processed': True})
    answer = call(emu, 'StartInstances', {'InstanceIds': ['lhins-00000001']})
    assert answer['Error']['Code'] == 'InternalError'
    started = call(emu, 'DescribeInstances', {'InstanceIds': ['lhins-00000001']})['InstanceSet'][0]
    assert (started['InstanceState'], started['LatestOperationRequestId']) == ('STARTING', answer['RequestId'])
