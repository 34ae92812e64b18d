# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make bench: how much the rollback playbook adds to the cloud's own time, measured against the API emulator.

usage: bench.py [--fleet-size N] [--batches 1,10,50,canary] [--sample N] [--skip single,verify,fleet]

Prints one table per part; never fails on speed (it exits non-zero only when it cannot measure).

- single host: hosts on the local connection (verification costs nothing), rolled back one at a time by
  the playbook, then by a tccli-style script (stop, wait, apply, wait, start, wait, polling every second),
  against the same emulator in the same run;
- detection lag: from an operation's end in the emulator to the end of the role's task that waited for it;
- where the overhead goes: the single-host run's task results by kind, each counted from the result before it;
- verify: real SSH hosts (the emulator's sshd backend), from the instance RUNNING to the host verified;
- fleet: N instances on the local connection in rolling batches, with the documented rate limits.

Figures come from three clocks on this machine: the emulator's journal (API calls) and state history
(operation ends), and a callback plugin (callback_plugins/bench_timing.py) that stamps every task result.
Needs the collection on ANSIBLE_COLLECTIONS_PATH (``make bench`` builds it) and, for the verify part, /usr/sbin/sshd.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(REPOSITORY, 'tests', 'emulator'), os.path.join(REPOSITORY, 'tests', 'utils'),
                os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep)[0]]

from harness import EmulatorProcess  # noqa: E402 pylint: disable=wrong-import-position
from emulated_fleet import inventory as ssh_inventory, require_loopback  # noqa: E402 pylint: disable=wrong-import-position

# Emulated seconds of each phase, about what a small Lighthouse instance takes; the time scale shrinks them. Scaled
# to the single-host run they end half-way between two polls of a 1 s waiter (stop, rollback), which is what such a
# waiter loses on average; the start ends on a poll.
DURATIONS = {'stop': 45, 'rollback': 45, 'start': 30}
CLOUD_SECONDS = sum(DURATIONS.values())
SINGLE_SCALE = 4.0 / CLOUD_SECONDS  # 4 s of cloud time per host, as in issue 11's measurement
FLEET_SCALE = 2.0 / CLOUD_SECONDS
SINGLE_HOSTS = 4
VERIFY_HOSTS = 2
PEER_INTERVAL = 1.0
# Mutating calls take one id each (ApplyInstanceSnapshot) or a list (Stop/Start): the first bounds a batch's pace.
APPLY_RATE = 20
MODULE_PREFIX = 'tencentcloud.lighthouse.'
# Actions that run inside ansible-playbook; every other task result is a module run (a process, on the host or the control node).
CONTROLLER_ACTIONS = {'ansible.builtin.' + name for name in ('assert', 'debug', 'fail', 'set_fact', 'set_stats', 'include_tasks',
                                                             'validate_argument_spec')} | {MODULE_PREFIX + 'snapshot_rollback_run'}


def title(text):
    print('\n## %s\n' % text, flush=True)


def table(header, rows):
    """Print a Markdown table."""
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    for row in rows:
        print('| ' + ' | '.join(str(cell) for cell in row) + ' |')
    sys.stdout.flush()


def seconds(value):
    return '%.2f' % value if value is not None else 'n/a'


def emulator(instances, time_scale, backend='null', backend_dir=None):
    fleet = {'instances': instances, 'time_scale': time_scale, 'durations': DURATIONS}
    started = EmulatorProcess(fleet=fleet, backend=backend, backend_dir=backend_dir).start()
    require_loopback(started.url)
    return started


def local_inventory(state, directory):
    """One host per instance, on the local connection: a rollback then costs only the role and the API."""
    hosts = {item['InstanceName']: {'lighthouse_instance_id': item['InstanceId'], 'lighthouse_region': item['region']}
             for item in state['instances']}
    return {'all': {'hosts': hosts, 'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                                             'snapshot_rollback_marker_dir': os.path.join(directory, 'markers')}}}


class Run:
    """One ansible-playbook run of tencentcloud.lighthouse.rollback, with its timing files."""

    def __init__(self, emu, hosts_inventory, directory, name, extra_vars=None, forks=5):
        self.directory = os.path.join(directory, name)
        os.makedirs(self.directory)
        self.emu = emu
        self.paths = {name: os.path.join(self.directory, name) for name in ('inventory.json', 'journal.json', 'timing.jsonl', 'output.log')}
        with open(self.paths['inventory.json'], 'w', encoding='utf-8') as handle:
            json.dump(hosts_inventory, handle)
        self.extra_vars = dict({'snapshot_rollback_snapshot_name': 'baseline', 'snapshot_rollback_journal_path': self.paths['journal.json']},
                               **(extra_vars or {}))
        self.forks = forks
        self.began = self.wall = self.rc = self.cpu = None

    def play(self):
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), 'tencentcloud.lighthouse.rollback',
                   '-i', self.paths['inventory.json'], '-e', json.dumps(self.extra_vars)]
        # Pipelining, as the README's "Performance" advises: one SSH round trip per module run instead of several.
        env = dict(os.environ, **self.emu.env(), ANSIBLE_FORKS=str(self.forks), ANSIBLE_PIPELINING='True', BENCH_TIMING_FILE=self.paths['timing.jsonl'],
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, 'callback_plugins'), ANSIBLE_CALLBACKS_ENABLED='bench_timing')
        self.began, used = time.time(), children_cpu()
        with open(self.paths['output.log'], 'w', encoding='utf-8') as output:
            self.rc = subprocess.call(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        self.wall = time.time() - self.began
        self.cpu = children_cpu() - used
        return self

    def timing(self):
        with open(self.paths['timing.jsonl'], encoding='utf-8') as handle:
            return [json.loads(line) for line in handle]

    def entries(self):
        if not os.path.exists(self.paths['journal.json']):
            return []
        with open(self.paths['journal.json'], encoding='utf-8') as handle:
            return json.load(handle)

    def failure_hint(self):
        """The end of the output, for a run that failed."""
        with open(self.paths['output.log'], encoding='utf-8') as handle:
            return ''.join(handle.readlines()[-15:])


def calls_by_action(journal):
    return collections.Counter(call['action'] for call in journal)


def throttled(journal, factor):
    """The throttled answers, scaled by ``factor``: the total, and how many of each action."""
    by_action = calls_by_action(call for call in journal if (call['error_code'] or '').startswith('RequestLimitExceeded'))
    if not by_action:
        return '0'
    detail = ', '.join('%s %.0f' % (action, count * factor) for action, count in sorted(by_action.items()))
    return '%.0f (%s)' % (sum(by_action.values()) * factor, detail)


def operation_ends(journal, history, time_scale):
    """Per instance, the Unix times at which its stop, rollback and start ended in the emulator."""
    ends = collections.defaultdict(dict)
    for change in history:
        if change['state'] == 'STOPPED' and change['operation'] == 'StopInstances':
            ends[change['instance_id']]['stop'] = change['time']
        if change['state'] == 'RUNNING' and change['operation'] == 'StartInstances':
            ends[change['instance_id']]['start'] = change['time']
    rollback = DURATIONS['rollback'] * time_scale
    for call in journal:
        if call['action'] == 'ApplyInstanceSnapshot' and not call['error_code']:
            ends[call['params']['InstanceId']]['rollback'] = call['time'] + rollback
    return ends


def instance_ids_of(call):
    params = call['params']
    return params.get('InstanceIds') or [params.get('InstanceId')]


def detection_lags(ends, hosts_by_instance, timing, journal):
    """Per operation, the seconds from its end to the first sign that a module saw it: the end of the host's next
    collection task, or the next change the module asked of the instance (the rollback waits for the stop and goes on)."""
    lags = collections.defaultdict(list)
    module_results = [line for line in timing if line['action'].startswith(MODULE_PREFIX) and line['status'] != 'skipped']
    changes = [call for call in journal if not call['action'].startswith('Describe') and not call['error_code']]
    for instance_id, operations in ends.items():
        host = hosts_by_instance[instance_id]
        for operation, ended in operations.items():
            after = [line['time'] for line in module_results if line['host'] == host and line['time'] >= ended]
            after += [call['time'] for call in changes if instance_id in instance_ids_of(call) and call['time'] >= ended]
            if after:
                lags[operation].append(min(after) - ended)
    return lags


def children_cpu():
    """CPU seconds (user + system) of the ended child processes of this one, and of theirs: ansible-playbook and all it started."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def per_host_tasks(timing, hosts):
    """Tasks run, module runs, runs of the collection's modules and sh commands run on the host by the role's bookkeeping
    action, per host (skipped tasks cost little and are not counted)."""
    ran = [line for line in timing if line['status'] != 'skipped']
    modules = [line for line in ran if line['action'] not in CONTROLLER_ACTIONS]
    host_commands = [line for line in ran if line['action'] == MODULE_PREFIX + 'snapshot_rollback_run' and line.get('on_host')]
    return '%.1f / %.1f / %.1f / %.1f' % (len(ran) / hosts, len(modules) / hosts,
                                          sum(1 for line in modules if line['action'].startswith(MODULE_PREFIX)) / hosts,
                                          len(host_commands) / hosts)


def overhead_parts(run, timing, journal, hosts, cloud):
    """Table rows: where the role's overhead per host goes in a run of one host per batch. Each task result counts from the
    result before it (the fork, templating and module start-up of its task included); the batch's module run is the one
    during which ApplyInstanceSnapshot was sent, and the cloud's time is taken out of it."""
    lines = sorted(timing, key=lambda line: line['time'])
    applies = [call['time'] for call in journal if call['action'] == 'ApplyInstanceSnapshot']
    spent, runs = collections.Counter(), collections.Counter()
    spent['start-up'] = (lines[0]['time'] - run.began) + (run.began + run.wall - lines[-1]['time'])
    for before, line in zip(lines, lines[1:]):
        if line['status'] != 'skipped' and line['action'] == MODULE_PREFIX + 'snapshot_rollback_run':
            part = 'steps'
        elif line['status'] == 'skipped' or line['action'] in CONTROLLER_ACTIONS:
            part = 'other'
        elif any(before['time'] <= at <= line['time'] for at in applies):
            part = 'batch'
        else:
            part = 'modules'
        spent[part] += line['time'] - before['time']
        runs[part] += 1
    spent['batch'] -= cloud * hosts
    labels = [('start-up', "ansible-playbook's start-up and end, shared by the hosts"),
              ('modules', 'module runs other than the batch\'s (%.1f per host: the pre-flight, the last read)' % (runs['modules'] / hosts)),
              ('batch', "the batch's module run beyond the cloud's %.1f s: its start-up, its calls and the detection lag" % cloud),
              ('steps', "the role's bookkeeping steps (%.1f per host), with their sh commands on the host" % (runs['steps'] / hosts)),
              ('other', 'the other tasks, skipped ones included (%.1f per host)' % (runs['other'] / hosts))]
    return [[label, seconds(spent[part] / hosts)] for part, label in labels] + [['total: overhead per host', seconds(sum(spent.values()) / hosts)]]


def single_host(directory):
    """The role and the tccli-style script roll back SINGLE_HOSTS hosts each, one at a time."""
    title('Single host: %d hosts one at a time, %.1f s of cloud time per host (stop + rollback + start), local connection'
          % (SINGLE_HOSTS, CLOUD_SECONDS * SINGLE_SCALE))
    emu = emulator(SINGLE_HOSTS, SINGLE_SCALE)
    try:
        state = emu.state()
        run = Run(emu, local_inventory(state, directory), directory, 'single').play()
        if run.rc != 0:
            raise SystemExit('the playbook failed:\n' + run.failure_hint())
        journal, history = emu.journal(), emu.history()
        timing = run.timing()
        emu.reset()
        peer_wall = tccli_style_script(emu, [item['InstanceId'] for item in emu.state()['instances']])
        peer_journal = emu.journal()
        tccli_wall = tccli_journal = None
        tccli = os.environ.get('TCCLI') or shutil.which('tccli')
        if tccli and os.path.exists(tccli):
            emu.reset()
            tccli_wall = tccli_script(emu, tccli, [item['InstanceId'] for item in emu.state()['instances']], directory)
            tccli_journal = emu.journal()
    finally:
        emu.stop()
    cloud = CLOUD_SECONDS * SINGLE_SCALE
    role_per_host = run.wall / SINGLE_HOSTS
    rows = [['tencentcloud.lighthouse.rollback (wall / hosts, ansible-playbook start included)', seconds(role_per_host), seconds(cloud),
             seconds(role_per_host - cloud), '%.2f' % (role_per_host / cloud), '%.1f' % (len(journal) / SINGLE_HOSTS),
             per_host_tasks(timing, SINGLE_HOSTS), seconds(run.cpu / SINGLE_HOSTS)]]
    peers = [('in-process SDK script, 1 s waiter (no per-command start-up)', peer_wall, peer_journal)]
    if tccli_wall is not None:
        peers.insert(0, ('tccli script, --waiter at 1 s (one tccli process per call)', tccli_wall, tccli_journal))
    for label, wall, calls in peers:
        rows.append([label, seconds(wall / SINGLE_HOSTS), seconds(cloud), seconds(wall / SINGLE_HOSTS - cloud), '%.2f' % (wall / SINGLE_HOSTS / cloud),
                     '%.1f' % (len(calls) / SINGLE_HOSTS), 'n/a', 'n/a'])
    table(['run', 'wall per host (s)', 'cloud (s)', 'overhead per host (s)', 'wall / cloud', 'API calls per host',
           "tasks / module runs / of them the collection's / sh commands on the host, per host", 'control-node CPU per host (s)'], rows)
    for label, wall, _calls in peers:
        print('\nRole overhead / %s overhead: %.2f' % (label.split(',', maxsplit=1)[0], (role_per_host - cloud) / max(wall / SINGLE_HOSTS - cloud, 0.001)))
    if tccli_wall is None:
        print('\n(tccli not found: set TCCLI to its path, as make bench does, to compare with a tccli script)')
    print('\nAPI calls per host, by action:\n')
    role_calls, peer_calls = calls_by_action(journal), calls_by_action(peer_journal)
    table(['action', 'role', 'in-process SDK script'],
          [[action, '%.1f' % (role_calls[action] / SINGLE_HOSTS), '%.1f' % (peer_calls[action] / SINGLE_HOSTS)]
           for action in sorted(set(role_calls) | set(peer_calls))])

    hosts_by_instance = {host['lighthouse_instance_id']: name for name, host in local_inventory(state, directory)['all']['hosts'].items()}
    lags = detection_lags(operation_ends(journal, history, SINGLE_SCALE), hosts_by_instance, timing, journal)
    title('Detection lag: from the operation\'s end in the emulator to the end of the task that waited for it, or the next call it made')
    table(['operation', 'samples', 'median (s)', 'max (s)'],
          [[operation, len(lags[operation]), seconds(statistics.median(lags[operation])), seconds(max(lags[operation]))]
           for operation in ('stop', 'rollback', 'start') if lags[operation]])
    every = [lag for values in lags.values() for lag in values]
    print('\nAll operations: median %s s, max %s s (target: median <= 0.5 s)' % (seconds(statistics.median(every)), seconds(max(every))))

    title("Where the role's overhead per host goes, one host at a time (each task counted from the result before it)")
    table(['part', 'seconds per host'], overhead_parts(run, timing, journal, SINGLE_HOSTS, cloud))


def baseline_snapshots(state):
    """Each instance's snapshot named baseline, by instance id, from the emulator's state."""
    by_disk = {item['DiskId']: item['SnapshotId'] for item in state['snapshots'] if item['SnapshotName'] == 'baseline'}
    return {item['InstanceId']: by_disk[item['SystemDisk']['DiskId']] for item in state['instances']}


def tccli_style_script(emu, instance_ids):
    """What an operator's script does with tccli and --waiter at 1 s, host after host; returns its wall time.

    Same calls as ``tccli lighthouse StopInstances ...; tccli lighthouse DescribeInstances --waiter ...`` and
    so on, made through the SDK in this process, so that the peer pays no command start-up at all.
    """
    snapshots = baseline_snapshots(emu.state())

    def wait(action, params, field, wanted):
        while True:
            found = emu.call(action, params)[field][0]
            if wanted(found):
                return
            time.sleep(PEER_INTERVAL)

    began = time.time()
    for instance_id in instance_ids:
        emu.call('StopInstances', {'InstanceIds': [instance_id]})
        wait('DescribeInstances', {'InstanceIds': [instance_id]}, 'InstanceSet', lambda found: found['InstanceState'] == 'STOPPED')
        emu.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': snapshots[instance_id]})
        wait('DescribeSnapshots', {'SnapshotIds': [snapshots[instance_id]]}, 'SnapshotSet',
             lambda found: found['LatestOperationState'] == 'SUCCESS')
        emu.call('StartInstances', {'InstanceIds': [instance_id]})
        wait('DescribeInstances', {'InstanceIds': [instance_id]}, 'InstanceSet', lambda found: found['InstanceState'] == 'RUNNING')
    return time.time() - began


# An operator's shell script: tccli for every call, its --waiter polling every second. $1..$4: endpoint, region, and the
# instance/snapshot pairs as "id:snapshot" words from $5 on.
TCCLI_SCRIPT = r'''
set -eu
tccli="$TCCLI lighthouse --endpoint $1 --region $2 --output json"
shift 2
waiter() { printf '{"expr": "%s", "to": "%s", "timeout": 600, "interval": 1}' "$1" "$2"; }
for pair in "$@"; do
  instance=${pair%%:*} snapshot=${pair#*:}
  $tccli StopInstances --InstanceIds "[\"$instance\"]" >/dev/null
  $tccli DescribeInstances --InstanceIds "[\"$instance\"]" --waiter "$(waiter 'InstanceSet[0].InstanceState' STOPPED)" >/dev/null
  $tccli ApplyInstanceSnapshot --InstanceId "$instance" --SnapshotId "$snapshot" >/dev/null
  $tccli DescribeSnapshots --SnapshotIds "[\"$snapshot\"]" --waiter "$(waiter 'SnapshotSet[0].LatestOperationState' SUCCESS)" >/dev/null
  $tccli StartInstances --InstanceIds "[\"$instance\"]" >/dev/null
  $tccli DescribeInstances --InstanceIds "[\"$instance\"]" --waiter "$(waiter 'InstanceSet[0].InstanceState' RUNNING)" >/dev/null
done
'''


def tccli_script(emu, tccli, instance_ids, directory):
    """TCCLI_SCRIPT over the instances, host after host; returns its wall time."""
    snapshots = baseline_snapshots(emu.state())
    home = os.path.join(directory, 'tccli-home')  # tccli writes ~/.tccli
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, TCCLI=tccli, TENCENTCLOUD_SECRET_ID=emu.secret_id, TENCENTCLOUD_SECRET_KEY=emu.secret_key)
    began = time.time()
    subprocess.run(['bash', '-c', TCCLI_SCRIPT, 'tccli-script', emu.url, emu.region] + ['%s:%s' % (item, snapshots[item]) for item in instance_ids],
                   env=env, check=True)
    return time.time() - began


def verify(directory):
    """Real SSH hosts: from StartInstances' success to the role's verification done."""
    title('Verify: %d real SSH hosts (the emulator\'s sshd backend), one at a time' % VERIFY_HOSTS)
    backend_dir = os.path.join(directory, 'backend')
    os.makedirs(backend_dir)
    emu = emulator(VERIFY_HOSTS, SINGLE_SCALE, backend='sshd', backend_dir=backend_dir)
    try:
        hosts_inventory = ssh_inventory(emu.state())
        run = Run(emu, hosts_inventory, directory, 'verify').play()
        if run.rc != 0:
            raise SystemExit('the playbook failed:\n' + run.failure_hint())
        history = emu.history()
    finally:
        emu.stop()
    names = {host['lighthouse_instance_id']: name for name, host in hosts_inventory['all']['hosts'].items()}
    answered, verified = {}, {}
    for line in run.timing():
        # The role's first answer from the host after the start is the writing of its record, which ends the host's outcome step.
        if line['action'] == MODULE_PREFIX + 'snapshot_rollback_run' and line.get('step') == 'outcome':
            answered[line['host']] = line['time']
        if line['task'] == 'Record the journal entry':
            verified[line['host']] = line['time']
    rows = []
    for change in history:
        if change['state'] == 'RUNNING' and change['operation'] == 'StartInstances':
            host = names[change['instance_id']]
            rows.append([host, seconds(answered[host] - change['time']) if host in answered else 'n/a', seconds(verified[host] - change['time'])])
    table(['host', 'RUNNING -> answers over SSH, its record written (s)', 'RUNNING -> verified (s)'], rows)
    print('\nThe sshd of an instance is up when the emulator sees the start end (target: verify <= 1 s after that)')


def lower_bound(sizes):
    """Seconds no rollback can beat: each batch waits for its cloud time, after its last ApplyInstanceSnapshot is let through."""
    return sum(CLOUD_SECONDS * FLEET_SCALE + math.ceil(size / APPLY_RATE) - 1 for size in sizes)


def measured_batches(sizes, sample, known):
    """How many of the first batches to run: at least ``sample`` hosts, and once each batch size of the plan (but the
    remainder's) whose time is not ``known`` from an earlier run."""
    count = 1
    while count < len(sizes) and (sum(sizes[:count]) < sample or not set(sizes[:-1]) <= set(sizes[:count]) | set(known)):
        count += 1
    return count


def batch_spans(timing, hosts, sizes):
    """Seconds from the first to the last task result of each batch (``hosts`` in inventory order)."""
    spans, offset = [], 0
    for size in sizes:
        members = set(hosts[offset:offset + size])
        times = [line['time'] for line in timing if line['host'] in members]
        spans.append(max(times) - min(times))
        offset += size
    return spans


def extrapolated_wall(wall, sizes, ran, known):
    """The measured wall of the batches ``ran``, plus for each batch not run the ``known`` span of batches of its size
    (or, for a remainder, that of the last batch run)."""
    return wall + sum(known.get(size, known[ran[-1]]) for size in sizes[len(ran):])


def fleet(directory, size, plans, sample):
    # The batches the role expects are those the benchmark plans. Imported here: the other parts run with any role.
    from ansible_collections.tencentcloud.lighthouse.plugins.plugin_utils._snapshot_rollback import batch_sizes  # pylint: disable=import-outside-toplevel
    cloud = CLOUD_SECONDS * FLEET_SCALE
    title('Fleet: %d instances, %.1f s of cloud time per batch, documented rate limits, local connection' % (size, cloud))
    emu = emulator(size, FLEET_SCALE)
    rows, known = [], {}
    try:
        for label, serial in plans:
            sizes = batch_sizes(serial, size)
            ran = sizes[:measured_batches(sizes, sample, known)]
            emu.reset()
            hosts_inventory = local_inventory(emu.state(), directory)
            hosts = list(hosts_inventory['all']['hosts'])[:sum(ran)]
            hosts_inventory['all']['hosts'] = {host: hosts_inventory['all']['hosts'][host] for host in hosts}
            # The batches given as numbers: a percentage of the sample is not one of the fleet.
            run = Run(emu, hosts_inventory, directory, 'fleet-%d' % len(rows), {'snapshot_rollback_serial': ran}, forks=min(max(ran), 50)).play()
            journal = emu.journal()
            done = sum(1 for entry in run.entries() if entry['outcome'] == 'rolled_back')
            spans = batch_spans(run.timing(), hosts, ran)
            known.update({batch: statistics.median(span for ran_size, span in zip(ran, spans) if ran_size == batch) for batch in ran})
            wall = extrapolated_wall(run.wall, sizes, ran, known)
            factor = size / len(hosts)
            rows.append([label, '%d of %d (%s)' % (len(ran), len(sizes), ', '.join(map(str, ran))), seconds(wall), seconds(lower_bound(sizes)),
                         seconds(len(sizes) * cloud), '%.2f' % (wall / lower_bound(sizes)), '%.0f' % (len(journal) * factor),
                         '%.1f' % (len(journal) / len(hosts)), seconds(run.cpu / len(hosts)), throttled(journal, factor),
                         '%d of %d' % (len(hosts) - done, len(hosts)) + ('' if run.rc == 0 else ' (rc %d)' % run.rc)])
            print('fleet %s: %d hosts in %.0f s, rc %d' % (label, len(hosts), run.wall, run.rc), file=sys.stderr, flush=True)
    finally:
        emu.stop()
    table(['batches', 'batches run', 'wall (s)', 'lower bound (s)', 'cloud only (s)', 'wall / bound', 'API calls', 'per host',
           'control-node CPU per host (s)', 'throttled answers', 'failed hosts (of those run)'], rows)
    print("""
Wall, API calls and throttled answers are for all %d instances: each batch not run is counted at the median time of
the batches of its size run (in this plan or an earlier one), API calls and throttled answers pro rata. Lower bound: per batch, its cloud time plus the seconds
ApplyInstanceSnapshot's %d/s limit needs to let the batch through; cloud only: batches x cloud time."""
          % (size, APPLY_RATE))


FLEET_PLANS = {'1': ('1', 1), '10': ('10', 10), '50': ('50', 50), 'canary': ('[1, 10, "25%"]', [1, 10, '25%'])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--fleet-size', type=int, default=200)
    parser.add_argument('--batches', default='1,10,50,canary', help='fleet runs, among %s' % ', '.join(FLEET_PLANS))
    parser.add_argument('--sample', type=int, default=10, help='fleet runs roll back at least this many hosts, and one batch of each size')
    parser.add_argument('--skip', default='', help='parts to leave out: single, verify, fleet')
    arguments = parser.parse_args()
    skip = set(filter(None, arguments.skip.split(',')))
    began = time.time()
    with tempfile.TemporaryDirectory(prefix='lighthouse-bench-') as directory:
        print('# tencentcloud.lighthouse benchmark (%s, %d CPUs)' % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), os.cpu_count()))
        if 'single' not in skip:
            single_host(directory)
        if 'verify' not in skip:
            verify(directory)
        if 'fleet' not in skip:
            fleet(directory, arguments.fleet_size, [FLEET_PLANS[name] for name in arguments.batches.split(',')], arguments.sample)
    print('\nBenchmark done in %.0f s' % (time.time() - began))
    return 0


if __name__ == '__main__':
    sys.exit(main())
