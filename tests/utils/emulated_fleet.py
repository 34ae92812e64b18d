# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An emulated Lighthouse fleet whose instances are real SSH hosts on loopback (the emulator's sshd backend).

usage: emulated_fleet.py start DIR [--instances N | --fleet FILE] [--time-scale X] [--order-by KEY ...]
       emulated_fleet.py stop DIR
       emulated_fleet.py run DIR [the options of start] -- COMMAND [ARGUMENT ...]

``start`` launches the emulator detached (tests/emulator/harness.py), so that it outlives this command
(molecule's create and destroy steps are separate ansible-playbook runs), waits until it listens and
writes into DIR:

- ``emulator.json``: url, pid, credentials and region, and the TENCENTCLOUD_* environment for the modules;
- ``inventory.yml``: one host per instance, named like the instance, in the emulator's order, with
  ansible_host/ansible_port/ansible_user/ansible_ssh_private_key_file, ``lighthouse_instance_id``, ``lighthouse_region``,
  ``lighthouse_emulator_disk_dir`` (the directory that is the instance's system disk) and
  ``snapshot_rollback_marker_dir`` (a directory on that disk);
- ``plugin/lighthouse.yml``: the same hosts through the inventory plugin (its ``order_by`` from ``--order-by``), with
  the variables the plugin does not set, the connection's among them, in ``plugin/host_vars`` and ``plugin/group_vars``.

``stop`` ends the emulator (which stops every sshd) and removes DIR's backend directory.
``run`` starts the fleet, runs COMMAND with the TENCENTCLOUD_* environment, stops the fleet and exits with COMMAND's status.
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

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPOSITORY, 'tests', 'emulator'))

from harness import (  # noqa: E402 pylint: disable=wrong-import-position
    DEFAULT_SECRET_ID as SECRET_ID,
    DEFAULT_SECRET_KEY as SECRET_KEY,
    EmulatorError,
    EmulatorProcess,
    control,
)

REGION = 'ap-guangzhou'
# Loopback hosts that come and go on ports of their own: never ask about or record their host keys.
SSH_ARGS = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'


def _files(directory: str) -> dict[str, str]:
    names = ('emulator.json', 'inventory.yml', 'plugin', 'backend')
    return {name: os.path.join(directory, name) for name in names}


LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def require_loopback(url: str) -> None:
    """Refuse an emulator URL that is not on this machine's loopback: tests send traffic nowhere else."""
    if urllib.parse.urlparse(url).hostname not in LOOPBACK:
        raise SystemExit('the emulator must listen on loopback, not %s' % url)


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


# What the inventory plugin sets itself: the plugin inventory's host_vars leave them out.
PLUGIN_VARIABLES = ('lighthouse_instance_id', 'lighthouse_region')


def _write_json(path: str, data: object) -> None:
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(data, handle, indent=2)  # JSON is YAML


def write_plugin_inventory(directory: str, static: dict, regions: list, order_by: list) -> str:
    """Write ``directory``/lighthouse.yml, the inventory plugin's configuration for the fleet of the inventory ``static``,
    and beside it the hosts' other variables (host_vars, group_vars), which Ansible reads with that source; returns its path."""
    shutil.rmtree(directory, ignore_errors=True)
    for name in ('host_vars', 'group_vars'):
        os.makedirs(os.path.join(directory, name))
    for host, variables in static['all']['hosts'].items():
        _write_json(os.path.join(directory, 'host_vars', host + '.yml'),
                    {key: value for key, value in variables.items() if key not in PLUGIN_VARIABLES})
    _write_json(os.path.join(directory, 'group_vars', 'all.yml'), static['all']['vars'])
    # The credentials and the endpoint come from the TENCENTCLOUD_* environment.
    config = {'plugin': 'tencentcloud.lighthouse.lighthouse', 'regions': regions}
    if order_by:
        config['order_by'] = order_by
    path = os.path.join(directory, 'lighthouse.yml')
    _write_json(path, config)
    return path


def start(directory: str, instances: int = 3, time_scale: float = 0.05, fleet: str | None = None, order_by: list | None = None) -> dict:
    """Start the emulator with ``instances`` RUNNING instances, or the fleet file ``fleet``; returns the facts written to emulator.json.

    ``order_by`` is the ``order_by`` of the plugin inventory."""
    files = _files(directory)
    os.makedirs(files['backend'], exist_ok=True)
    # Detached: it survives this process, and stop() ends it with its process group (its sshd servers with it).
    process = EmulatorProcess(fleet=fleet, instances=None if fleet else instances, region=REGION, time_scale=time_scale, backend='sshd',
                              backend_dir=files['backend'], workdir=directory, detached=True)
    try:
        url = process.start().url
    except EmulatorError as error:
        raise SystemExit(str(error)) from None
    state = control(url, 'state')
    static = inventory(state)
    regions = list(dict.fromkeys(instance['region'] for instance in state['instances']))
    facts = {
        'url': url, 'pid': process.pid, 'secret_id': SECRET_ID, 'secret_key': SECRET_KEY, 'region': REGION,
        # The region of tasks that name none; the inventories give each host its own (lighthouse_region).
        'environment': {'TENCENTCLOUD_SECRET_ID': SECRET_ID, 'TENCENTCLOUD_SECRET_KEY': SECRET_KEY,
                        'TENCENTCLOUD_LIGHTHOUSE_ENDPOINT': url, 'TENCENTCLOUD_REGION': REGION},
        'inventory': files['inventory.yml'],
        'plugin_inventory': write_plugin_inventory(files['plugin'], static, regions, order_by or []),
    }
    _write_json(files['emulator.json'], facts)
    _write_json(files['inventory.yml'], static)
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


def run(directory: str, command: list, **options) -> int:
    """Start a fleet in ``directory`` with the options of start(), run ``command`` against it, stop it; returns the command's status."""
    facts = start(directory, **options)
    print(json.dumps(facts), flush=True)
    try:
        return subprocess.call(command, env=dict(os.environ, **facts['environment']))
    finally:
        stop(directory)


def main(argv: list) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     usage='%(prog)s {start,stop,run} DIR [options] [-- COMMAND [ARGUMENT ...]]')
    parser.add_argument('action', choices=('start', 'stop', 'run'))
    parser.add_argument('directory')
    parser.add_argument('--instances', type=int, default=3)
    parser.add_argument('--fleet', help='a fleet file of the emulator (tests/emulator/README.md), instead of --instances')
    parser.add_argument('--time-scale', type=float, default=0.05)
    parser.add_argument('--order-by', action='append', default=[], metavar='KEY',
                        help="a key of the inventory plugin's order_by in DIR/plugin/lighthouse.yml, such as --order-by=-instance_name; "
                             'repeat it for the keys that break ties')
    # What follows the first "--" is run's command, passed on as it is.
    split = argv.index('--') if '--' in argv else len(argv)
    arguments, command = parser.parse_args(argv[:split]), argv[split + 1:]
    if arguments.action == 'run' and not command:
        parser.error('run needs the command to run after "--", for example: -- ansible-playbook -i DIR/plugin/lighthouse.yml site.yml')
    if arguments.action != 'run' and command:
        parser.error('%s takes no command (only run does), got: %s' % (arguments.action, ' '.join(command)))
    options = {'instances': arguments.instances, 'time_scale': arguments.time_scale, 'fleet': arguments.fleet,
               'order_by': arguments.order_by}
    if arguments.action == 'run':
        return run(arguments.directory, command, **options)
    if arguments.action == 'start':
        print(json.dumps(start(arguments.directory, **options)))
    else:
        print(json.dumps({'stopped': stop(arguments.directory)}))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
