"""Smoke test with tccli, the Tencent Cloud command line (skipped when tccli is not on PATH)."""

import json
import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which('tccli') is None, reason='tccli is not on PATH')


def tccli(emu, home, *args):
    command = ['tccli', 'lighthouse'] + list(args) + ['--endpoint', emu.url, '--region', emu.region,
                                                      '--secretId', emu.secret_id, '--secretKey', emu.secret_key, '--output', 'json']
    env = dict(os.environ, HOME=str(home))  # tccli writes ~/.tccli
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_tccli_describe_and_rollback(emu, seeded, tmp_path):
    instances, snapshots = seeded.instances, seeded.snapshots
    listed = tccli(emu, tmp_path, 'DescribeInstances', '--Limit', '2')
    assert listed.returncode == 0, listed.stderr
    assert [i['InstanceName'] for i in json.loads(listed.stdout)['InstanceSet']] == ['lh-0001', 'lh-0002']

    instance_id, snapshot_id = instances['lh-0001']['InstanceId'], snapshots['lh-0001'][0]['SnapshotId']
    applied = tccli(emu, tmp_path, 'ApplyInstanceSnapshot', '--InstanceId', instance_id, '--SnapshotId', snapshot_id)
    assert applied.returncode == 0, applied.stderr
    request_id = json.loads(applied.stdout)['RequestId']
    waiter = json.dumps({'expr': 'SnapshotSet[0].LatestOperationState', 'to': 'SUCCESS', 'timeout': 30, 'interval': 1})
    waited = tccli(emu, tmp_path, 'DescribeSnapshots', '--SnapshotIds', json.dumps([snapshot_id]), '--waiter', waiter)
    assert waited.returncode == 0, waited.stderr
    assert emu.call('DescribeSnapshots', {'SnapshotIds': [snapshot_id]})['SnapshotSet'][0]['LatestOperationRequestId'] == request_id

    failed = tccli(emu, tmp_path, 'StartInstances', '--InstanceIds', json.dumps(['lhins-zzzzzzzz']))
    assert failed.returncode == 255 and 'ResourceNotFound.InstanceIdNotFound' in failed.stderr
