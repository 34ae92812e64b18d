"""The refusals setting: an action forbidden on one resource whatever its state, as a CAM policy may."""

import pytest

from lighthouse_emulator.backends import Backend
from lighthouse_emulator.emulator import Emulator

FLEET = {'instances': [{'instance_id': 'lhins-00000001', 'state': 'STOPPED', 'system_disk': {'disk_id': 'lhdisk-00000001'},
                        'snapshots': [{'snapshot_id': 'lhsnap-00000001'}]}]}


@pytest.fixture
def emu():
    return Emulator(FLEET, 'ap-guangzhou', 'AKIDREFUSE', 'refuse-key', Backend())


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
