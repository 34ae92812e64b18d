# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An emulated Lighthouse fleet whose instances are real SSH hosts on loopback (the emulator's sshd backend).

usage: emulated_fleet.py start DIR [--instances N | --fleet FILE] [--time-scale X]
       emulated_fleet.py stop DIR

``start`` launches tests/emulator/run.py in a session of its own, so that it outlives this command
(molecule's create and destroy steps are separate ansible-playbook runs), waits until it listens and
writes into DIR:

- ``emulator.json``: url, pid, credentials and region, and the TENCENTCLOUD_* environment for the modules;
- ``inventory.yml``: one host per instance, named like the instance, in the emulator's order, with
  ansible_host/ansible_port/ansible_user/ansible_ssh_private_key_file, ``lighthouse_instance_id``, ``lighthouse_region``,
  ``lighthouse_emulator_disk_dir`` (the directory that is the instance's system disk) and
  ``snapshot_rollback_marker_dir`` (a directory on that disk).

``stop`` ends the emulator (which stops every sshd) and removes DIR's backend directory.
Standard library only. The demo (demo.py) imports this file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(REPOSITORY, 'tests', 'emulator', 'run.py')
SECRET_ID = 'AKIDLIGHTHOUSEEMULATOR'
SECRET_KEY = 'emulator-secret-key'
REGION = 'ap-guangzhou'
STARTUP_TIMEOUT = 30
# Loopback hosts that come and go on ports of their own: never ask about or record their host keys.
SSH_ARGS = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'


def _files(directory: str) -> dict[str, str]:
    names = ('emulator.json', 'inventory.yml', 'emulator.out', 'emulator.log', 'backend')
    return {name: os.path.join(directory, name) for name in names}


LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def require_loopback(url: str) -> None:
    """Refuse an emulator URL that is not on this machine's loopback: tests send traffic nowhere else."""
    if urllib.parse.urlparse(url).hostname not in LOOPBACK:
        raise SystemExit('the emulator must listen on loopback, not %s' % url)


def control(url: str, path: str, body: object = None) -> object:
    """Call the emulator's control API (``/_emulator/<path>``); returns the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request('%s/_emulator/%s' % (url, path), data=data, headers={'Content-Type': 'application/json'},
                                     method='GET' if body is None else 'POST')
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def _wait_listening(process: subprocess.Popen, out_path: str, log_path: str) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        with open(out_path, encoding='utf-8') as out:
            line = out.readline()
        if line.startswith('LISTENING ') and line.endswith('\n'):
            return line.split()[1]
        time.sleep(0.05)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    with open(log_path, encoding='utf-8') as log:
        raise SystemExit('the emulator did not start within %d s:\n%s' % (STARTUP_TIMEOUT, log.read()))


def inventory(state: dict) -> dict:
    """An Ansible YAML inventory (as a dict) with one host per instance of the emulator's ``state``."""
    hosts = {}
    for instance in state['instances']:
        hosts[instance['InstanceName']] = {
            'ansible_host': instance['ssh_host'],
            'ansible_port': instance['ssh_port'],
            'ansible_user': instance['ssh_user'],
            'ansible_ssh_private_key_file': instance['private_key'],
            'lighthouse_instance_id': instance['InstanceId'],
            'lighthouse_region': instance['region'],
            'lighthouse_emulator_disk_dir': instance['disk_dir'],
            # The role's completion marker is then real guest state: a rollback of the disk removes it.
            'snapshot_rollback_marker_dir': os.path.join(instance['disk_dir'], 'var', 'lib', 'tencentcloud-lighthouse'),
        }
    # The hosts are this machine: use this Python rather than discover one (discovery may find a broken shim).
    return {'all': {'hosts': hosts, 'vars': {'ansible_ssh_common_args': SSH_ARGS, 'ansible_python_interpreter': sys.executable}}}


def start(directory: str, instances: int = 3, time_scale: float = 0.05, fleet: str | None = None) -> dict:
    """Start the emulator with ``instances`` RUNNING instances, or the fleet file ``fleet``; returns the facts written to emulator.json."""
    files = _files(directory)
    os.makedirs(files['backend'], exist_ok=True)
    command = [sys.executable, EMULATOR, '--port', '0', '--region', REGION, '--secret-id', SECRET_ID, '--secret-key', SECRET_KEY,
               '--backend', 'sshd', '--backend-dir', files['backend'], '--time-scale', str(time_scale)]
    command += ['--fleet', fleet] if fleet else ['--instances', str(instances)]
    with open(files['emulator.out'], 'w', encoding='utf-8') as out, open(files['emulator.log'], 'w', encoding='utf-8') as log:
        # A session of its own: it survives this process and stop() can end it with its process group.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=log, start_new_session=True)  # pylint: disable=consider-using-with
    url = _wait_listening(process, files['emulator.out'], files['emulator.log'])
    facts = {
        'url': url, 'pid': process.pid, 'secret_id': SECRET_ID, 'secret_key': SECRET_KEY, 'region': REGION,
        # No TENCENTCLOUD_REGION: as with the inventory plugin, each host's lighthouse_region names it.
        'environment': {'TENCENTCLOUD_SECRET_ID': SECRET_ID, 'TENCENTCLOUD_SECRET_KEY': SECRET_KEY,
                        'TENCENTCLOUD_LIGHTHOUSE_ENDPOINT': url},
        'inventory': files['inventory.yml'],
    }
    with open(files['emulator.json'], 'w', encoding='utf-8') as handle:
        json.dump(facts, handle, indent=2)
    with open(files['inventory.yml'], 'w', encoding='utf-8') as handle:
        json.dump(inventory(control(url, 'state')), handle, indent=2)  # JSON is YAML
    return facts


def _reap(pid: int) -> None:
    """Collect the exit status of ``pid`` if it is our child (the demo's case), so that it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop(directory: str) -> bool:
    """Stop the emulator started in ``directory``; returns whether one was running."""
    files = _files(directory)
    try:
        with open(files['emulator.json'], encoding='utf-8') as handle:
            pid = json.load(handle)['pid']
    except FileNotFoundError:
        return False
    os.remove(files['emulator.json'])
    try:
        os.killpg(pid, signal.SIGTERM)  # the emulator stops its sshd servers on SIGTERM
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            _reap(pid)
            os.killpg(pid, 0)
            time.sleep(0.05)
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    shutil.rmtree(files['backend'], ignore_errors=True)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=('start', 'stop'))
    parser.add_argument('directory')
    parser.add_argument('--instances', type=int, default=3)
    parser.add_argument('--fleet', help='a fleet file of the emulator (tests/emulator/README.md), instead of --instances')
    parser.add_argument('--time-scale', type=float, default=0.05)
    arguments = parser.parse_args()
    if arguments.action == 'start':
        print(json.dumps(start(arguments.directory, arguments.instances, arguments.time_scale, arguments.fleet)))
    else:
        print(json.dumps({'stopped': stop(arguments.directory)}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
