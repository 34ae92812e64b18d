"""The command line: startup line, loopback only, fleets, TLS, clean shutdown."""

import os
import signal
import subprocess
import sys

import pytest

from harness import RUN_PY, EmulatorError, EmulatorProcess

EXAMPLE_FLEET = os.path.join(os.path.dirname(RUN_PY), 'fleets', 'example.yml')


def test_first_line_is_listening_and_sigterm_exits_cleanly():
    process = subprocess.Popen([sys.executable, RUN_PY, '--instances', '1'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = process.stdout.readline().decode()
        assert line.startswith('LISTENING http://127.0.0.1:') and line.endswith('\n')
        assert int(line.rsplit(':', 1)[1]) > 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read() == b''
    finally:
        process.kill()
        process.stdout.close()
        process.wait()


@pytest.mark.parametrize('args, message', [
    (['--host', '0.0.0.0'], 'loopback'),
    (['--host', 'example.com'], 'loopback'),
    (['--backend', 'sshd'], '--backend sshd needs --backend-dir DIR'),
    (['--backend-dir', '/tmp'], '--backend-dir /tmp is for --backend sshd only'),
    (['--backend', 'sshd', '--backend-dir', RUN_PY + '/backend'], 'cannot create --backend-dir %s/backend: Not a directory' % RUN_PY),
    (['--fleet', '/nonexistent.json'], 'cannot start'),
])
def test_bad_command_lines_are_refused(args, message):
    result = subprocess.run([sys.executable, RUN_PY] + args, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0 and result.stdout == ''
    assert message in result.stderr and 'Traceback' not in result.stderr


@pytest.mark.skipif(not os.path.exists('/usr/sbin/sshd'), reason='the sshd backend needs OpenSSH\'s server')
def test_a_missing_backend_dir_is_created(tmp_path):
    backend_dir = tmp_path / 'not' / 'yet'
    with EmulatorProcess(instances=1, backend='sshd', backend_dir=str(backend_dir)) as emu:
        (instance,) = emu.state()['instances']
        assert instance['sshd_running'] and instance['disk_dir'].startswith(str(backend_dir))


def test_bad_fleet_is_refused(tmp_path):
    fleet = tmp_path / 'fleet.json'
    fleet.write_text('{"instances": [{"state": "FLYING"}]}')
    with pytest.raises(EmulatorError, match='state must be one of'):
        EmulatorProcess(fleet=str(fleet)).start()


def test_example_fleet(tmp_path):
    with EmulatorProcess(fleet=EXAMPLE_FLEET) as emu:
        state = emu.state()
        names = {i['InstanceName']: i for i in state['instances']}
        assert sorted(names) == ['db-1', 'sh-1', 'web-1', 'web-2']
        assert (names['db-1']['InstanceId'], names['db-1']['InstanceState']) == ('lhins-db000001', 'STOPPED')
        assert names['sh-1']['region'] == 'ap-shanghai' and names['sh-1']['PublicAddresses'] == ['203.0.113.10']
        assert state['settings']['time_scale'] == 0.1
        assert emu.call('DescribeRegions', secret_id='AKIDEXAMPLEOPERATOR', secret_key='example-operator-key')
        web2 = emu.call('DescribeSnapshots', {'Filters': [{'Name': 'instance-id', 'Values': [names['web-2']['InstanceId']]}]})
        assert sorted(s['SnapshotName'] for s in web2['SnapshotSet']) == ['baseline', 'in-progress', 'resized-since']


def test_instances_and_time_scale_flags_override_the_fleet():
    with EmulatorProcess(fleet=EXAMPLE_FLEET, instances=2, time_scale=0.5) as emu:
        state = emu.state()
        assert [i['InstanceName'] for i in state['instances']] == ['lh-0001', 'lh-0002']
        assert state['settings']['time_scale'] == 0.5


@pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
def test_tls():
    with EmulatorProcess(instances=1, tls=True) as emu:
        assert emu.url.startswith('https://127.0.0.1:')
        assert emu.call('DescribeInstances')['TotalCount'] == 1  # certificate not verified
        assert emu.call('DescribeRegions', ca_file=emu.state()['server']['tls_cert'])['TotalCount'] == 16  # verified


def test_other_region_and_credentials_flags():
    with EmulatorProcess(instances=1, region='ap-singapore', secret_id='AKIDCUSTOM', secret_key='custom') as emu:
        assert emu.call('DescribeInstances')['InstanceSet'][0]['Zone'] == 'ap-singapore-3'
        assert emu.journal()[-1]['secret_id'] == 'AKIDCUSTOM'


def test_harness_can_restart():
    emu = EmulatorProcess(instances=1)
    with emu:
        emu.call('DescribeRegions')
    with emu:
        assert emu.journal() == []  # a new process
        assert emu.call('DescribeInstances')['TotalCount'] == 1
    assert emu.log_path is not None and not os.path.exists(emu.log_path)
