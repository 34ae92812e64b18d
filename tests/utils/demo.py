# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make demo: the real rollback playbook against an emulated fleet of three real SSH hosts.

Starts the Lighthouse API emulator (sshd backend: each instance is an OpenSSH server on loopback whose
system disk is a directory), deploys a "bad release" file onto every instance over SSH, runs
``ansible-playbook tencentcloud.lighthouse.rollback`` back to the snapshot "baseline", shows that the
file is gone and that every instance is RUNNING and answers over SSH, prints the role's journal and
the API calls that changed something, and stops the emulator. The journal stays in tests/output/demo/journal.json.
Exits non-zero if anything is off.
Needs the collection on ANSIBLE_COLLECTIONS_PATH (``make demo`` builds it) and /usr/sbin/sshd.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from emulated_fleet import SSH_ARGS, control, start, stop

BAD_FILE = 'release-2.0-broken.txt'
MUTATING = ('StopInstances', 'StartInstances', 'ApplyInstanceSnapshot', 'CreateInstanceSnapshot')
STEPS = ('preflight', 'stop', 'rollback', 'start', 'verify', 'total')
# In the checkout's tests/output (ignored by git), where the other test outputs go.
JOURNAL_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'output', 'demo', 'journal.json')


def ssh(host: dict, command: str) -> subprocess.CompletedProcess:
    """Run ``command`` on an inventory host, as Ansible would reach it."""
    argv = ['ssh', '-i', host['ansible_ssh_private_key_file'], '-p', str(host['ansible_port']), '-o', 'BatchMode=yes',
            '-o', 'ConnectTimeout=5', *shlex.split(SSH_ARGS), '%s@%s' % (host['ansible_user'], host['ansible_host']), command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


def title(text: str) -> None:
    print('\n=== %s ===' % text, flush=True)


def run_playbook(facts: dict, journal_path: str) -> int:
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    command = [ansible_playbook if os.path.exists(ansible_playbook) else 'ansible-playbook', 'tencentcloud.lighthouse.rollback',
               '-i', facts['inventory'], '-e', 'snapshot_rollback_snapshot_name=baseline',
               '-e', 'snapshot_rollback_journal_path=%s' % journal_path]
    print('$ ' + ' '.join(command), flush=True)
    # The modules find the emulator and its credentials in the environment, as they would find the cloud's.
    return subprocess.call(command, env=dict(os.environ, **facts['environment']))


def check_hosts(facts: dict, hosts: dict) -> bool:
    """Print one line per host; True when every one is RUNNING, reachable and rid of the bad release."""
    states = {item['InstanceId']: item['InstanceState'] for item in control(facts['url'], 'state')['instances']}
    healthy = True
    print('%-8s %-15s %-8s %-4s %s' % ('host', 'instance', 'state', 'ssh', BAD_FILE))
    for name, host in hosts.items():
        answer = ssh(host, 'test -e "$LIGHTHOUSE_DISK/%s" && echo present || echo gone' % BAD_FILE)
        state = states[host['lighthouse_instance_id']]
        print('%-8s %-15s %-8s %-4s %s' % (name, host['lighthouse_instance_id'], state, 'ok' if answer.returncode == 0 else 'DOWN',
                                           answer.stdout.strip() or '?'))
        healthy = healthy and state == 'RUNNING' and answer.stdout.strip() == 'gone'
    return healthy


def print_journal(facts: dict, journal_path: str) -> None:
    if not os.path.exists(journal_path):
        print('(no journal: the playbook stopped before any host was done)')
        return
    with open(journal_path, encoding='utf-8') as handle:
        entries = json.load(handle)
    print('run id %s' % entries[0]['run_id'])
    for entry in entries:
        seconds = ', '.join('%s %ss' % (step, entry['seconds'][step]) for step in STEPS if entry['seconds'].get(step) is not None)
        print('%s  %s  %s -> %s (%s)  %s' % (entry['host'], entry['outcome'], entry['instance_id'],
                                             entry['snapshot_id'], entry['snapshot_name'], seconds))
    title('What it did: the API calls that changed something, in order')
    calls = [call for call in control(facts['url'], 'journal') if call['action'] in MUTATING and not call['error_code']]
    for call in calls:
        instance = call['params'].get('InstanceId') or ', '.join(call['params'].get('InstanceIds', []))
        print('+%6.2fs  %-22s %s' % (call['time'] - calls[0]['time'], call['action'], instance))


def main() -> int:
    directory = tempfile.mkdtemp(prefix='lighthouse-demo-')
    # The journal outlives the emulator's directory, so that the path the demo prints can be opened; each demo starts
    # it afresh (the role appends to it).
    os.makedirs(os.path.dirname(JOURNAL_PATH), exist_ok=True)
    if os.path.exists(JOURNAL_PATH):
        os.remove(JOURNAL_PATH)
    try:
        title('Starting an emulated fleet: 3 Lighthouse instances, each a real SSH server on loopback')
        facts = start(directory, instances=3, time_scale=0.1)
        with open(facts['inventory'], encoding='utf-8') as handle:
            hosts = json.load(handle)['all']['hosts']
        print('API %s; inventory %s' % (facts['url'], facts['inventory']))

        title('A bad release goes out: %s written onto every instance over SSH' % BAD_FILE)
        for name, host in hosts.items():
            written = ssh(host, 'echo "release 2.0 (broken)" > "$LIGHTHOUSE_DISK/%s" && ls "$LIGHTHOUSE_DISK"' % BAD_FILE)
            if written.returncode != 0:
                print('cannot reach %s over SSH: %s' % (name, written.stderr.strip()))
                return 1
            print('%s: %s' % (name, ' '.join(written.stdout.split())))

        title('Rolling every host back to its snapshot "baseline", one at a time')
        status = run_playbook(facts, JOURNAL_PATH)

        title('After the rollback')
        healthy = check_hosts(facts, hosts)
        title("The role's journal (kept in %s)" % JOURNAL_PATH)
        print_journal(facts, JOURNAL_PATH)
        ok = status == 0 and healthy
        title('Demo %s' % ('passed: every host is back on its snapshot, running and reachable' if ok else 'FAILED'))
        return 0 if ok else 1
    finally:
        stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
