"""The sshd backend end to end: instances are real OpenSSH servers, system disks are directories."""

import os
import shutil
import subprocess

import pytest

from harness import EmulatorProcess

pytestmark = pytest.mark.skipif(not os.path.exists('/usr/sbin/sshd') or not shutil.which('ssh'),
                                reason='the sshd backend needs /usr/sbin/sshd and ssh (apt-get install openssh-server)')


def ssh(details, command, timeout=20):
    return subprocess.run(['ssh', '-i', details['private_key'], '-p', str(details['ssh_port']), '-o', 'BatchMode=yes',
                           '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
                           '-o', 'ConnectTimeout=5', '%s@%s' % (details['ssh_user'], details['ssh_host']), command],
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def sshd_emu(tmp_path):
    with EmulatorProcess(instances=2, time_scale=0.02, backend='sshd', backend_dir=str(tmp_path)) as emu:
        yield emu


def test_sshd_backend_end_to_end(sshd_emu, tmp_path):
    emu = sshd_emu
    state = emu.state()
    details = state['instances'][0]
    instance_id, port = details['InstanceId'], details['ssh_port']
    assert details['PublicAddresses'] == ['127.0.0.1'] and details['disk_dir'].startswith(str(tmp_path))
    assert state['backend']['private_key'] == str(tmp_path / 'id_ed25519')
    assert ssh(details, 'echo before > $LIGHTHOUSE_DISK/before.txt && echo $LIGHTHOUSE_INSTANCE_ID').stdout.strip() == instance_id

    snapshot_id = emu.call('CreateInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotName': 'golden'})['SnapshotId']
    emu.wait_fields(lambda: emu.snapshot(snapshot_id), SnapshotState='NORMAL')
    assert os.path.exists(tmp_path / 'snapshots' / snapshot_id / 'before.txt')
    assert ssh(details, 'echo after > $LIGHTHOUSE_DISK/after.txt').returncode == 0

    emu.call('StopInstances', {'InstanceIds': [instance_id]})
    assert emu.wait_settled(lambda: emu.instance(instance_id))['InstanceState'] == 'STOPPED'
    assert ssh(details, 'true').returncode != 0
    assert emu.state()['instances'][0]['sshd_running'] is False
    assert ssh(state['instances'][1], 'true').returncode == 0  # the other instance is untouched

    emu.call('StartInstances', {'InstanceIds': [instance_id]})
    assert emu.wait_settled(lambda: emu.instance(instance_id))['InstanceState'] == 'RUNNING'
    assert emu.state()['instances'][0]['ssh_port'] == port
    assert ssh(details, 'cat $LIGHTHOUSE_DISK/after.txt').stdout == 'after\n'

    emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshot_id})
    assert emu.wait_settled(lambda: emu.instance(instance_id))['InstanceState'] == 'STOPPED'
    assert ssh(details, 'true').returncode != 0
    emu.call('StartInstances', {'InstanceIds': [instance_id]})
    emu.wait_settled(lambda: emu.instance(instance_id))
    assert ssh(details, 'ls $LIGHTHOUSE_DISK').stdout.split() == ['before.txt', 'disk-id']

    emu.call('RebootInstances', {'InstanceIds': [instance_id]})
    assert emu.wait_settled(lambda: emu.instance(instance_id))['InstanceState'] == 'RUNNING'
    assert ssh(details, 'true').returncode == 0

    emu.call('DeleteSnapshots', {'SnapshotIds': [snapshot_id]})
    assert not os.path.exists(tmp_path / 'snapshots' / snapshot_id)


def test_stop_ends_open_sessions(sshd_emu):
    emu = sshd_emu
    details = emu.state()['instances'][0]
    session = subprocess.Popen(['ssh', '-i', details['private_key'], '-p', str(details['ssh_port']), '-o', 'BatchMode=yes',
                                '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
                                '%s@127.0.0.1' % details['ssh_user'], 'echo up; sleep 60'], stdout=subprocess.PIPE, text=True)
    try:
        assert session.stdout.readline() == 'up\n'
        emu.call('StopInstances', {'InstanceIds': [details['InstanceId']]})
        emu.wait_settled(lambda: emu.instance(details['InstanceId']))
        assert session.wait(timeout=10) != 0
    finally:
        session.kill()
        session.wait()
        session.stdout.close()


def test_reset_and_exit_stop_every_sshd(tmp_path):
    emu = EmulatorProcess(instances=2, time_scale=0.02, backend='sshd', backend_dir=str(tmp_path)).start()
    try:
        old = emu.state()['instances']
        new = emu.reset(instances=1)['instances']
        assert ssh(new[0], 'true').returncode == 0
        assert all(ssh(details, 'true').returncode != 0 for details in old if details['ssh_port'] != new[0]['ssh_port'])
    finally:
        emu.stop()
    assert ssh(new[0], 'true').returncode != 0
    assert not [name for name in os.listdir(tmp_path / 'sshd') if name.endswith('.pid') and _alive(tmp_path / 'sshd' / name)]


def _alive(pid_file):
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True
