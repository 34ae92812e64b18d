"""Fixtures: one emulator process per pytest(-xdist) worker, reset before every test."""

import os
import sys
import types

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import EmulatorProcess  # noqa: E402

TIME_SCALE = 0.02  # a 4 s rollback takes 80 ms
TEMPORARY = {'secret_id': 'AKIDTEMPORARYCREDENTIAL', 'secret_key': 'temporary-key', 'token': 'temporary-token'}
SECOND = {'secret_id': 'AKIDSECONDUSER', 'secret_key': 'second-key'}
FLEET = {'instances': 3, 'time_scale': TIME_SCALE, 'credentials': [TEMPORARY, SECOND]}


@pytest.fixture(scope='session')
def emulator_process():
    with EmulatorProcess(fleet=FLEET) as emulator:
        yield emulator


@pytest.fixture
def emu(emulator_process):
    """The worker's emulator, reset to FLEET: 3 RUNNING instances lh-0001..3 with a 'baseline' snapshot each."""
    emulator_process.reset()
    return emulator_process


@pytest.fixture
def error_of(emu):
    """error_of(action, params, **client_args) -> the error code the call fails with."""
    def call(action, params=None, **client_args):
        with pytest.raises(TencentCloudSDKException) as info:
            emu.call(action, params, **client_args)
        assert info.value.requestId
        return info.value.code
    return call


@pytest.fixture
def seeded(emu):
    """``.instances``: the seeded instances by name; ``.snapshots``: each instance's system-disk snapshots, by instance name."""
    state = emu.state()
    instances = {i['InstanceName']: i for i in state['instances']}
    snapshots = {}
    for instance in instances.values():
        disk_id = instance['SystemDisk']['DiskId']
        snapshots[instance['InstanceName']] = [s for s in state['snapshots'] if s['DiskId'] == disk_id]
    return types.SimpleNamespace(instances=instances, snapshots=snapshots)
