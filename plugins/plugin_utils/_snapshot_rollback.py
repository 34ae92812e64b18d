# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private: the rules of the snapshot_rollback role, run on the controller by the action snapshot_rollback_run.

Every function is pure (its inputs are the role's variables and the results of its tasks), so each rule has unit
tests (tests/unit/plugins/plugin_utils/test_snapshot_rollback.py). Internal to the collection: may change with the role.
"""

from __future__ import annotations

import base64
import datetime
import difflib
import json
import os
import re

from ansible.errors import AnsibleError, AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.mod_args import ModuleArgsParser

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import FLEET_UNAVAILABLE, OPERATION_CHANGED, LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    BACKUP_TAG,
    STATE_SUCCESS,
    api_time,
    is_relative_cutoff,
    is_rollback,
    operation_summary,
    parse_cutoff,
)

POSITIVE_NUMBERS = ('wait_timeout', 'verify_timeout', 'health_timeout', 'health_interval', 'connection_timeout',
                    'max_unavailable')
TASK_FILES = ('pre_tasks', 'verify_tasks', 'post_tasks')
# Variables the role no longer has, with what replaces each: they only repeated the host variables the inventory plugin sets.
REMOVED_VARIABLES = {'snapshot_rollback_instance_id': 'the host variable lighthouse_instance_id',
                     'snapshot_rollback_region': 'the host variable lighthouse_region'}

# The ways to choose the snapshot, exactly one per host.
SNAPSHOT_CHOICES = ('snapshot_id', 'snapshot_name', 'created_before', 'undo_run_id')
BACKUP_NAME_PREFIX = 'before-rollback-'
# The tag naming the run on the backups the role takes (the modules add the instance's, BACKUP_TAG).
RUN_TAG = 'tencentcloud.lighthouse:run-id'
_RUN_ID_TIME = re.compile(r'(\d{8}T\d{6}Z)')

# The steps a host goes through, in order; a record on the guest names the last one it reached.
STEP_STOPPING = 'stopping'          # written before the stop: the disk has not been rolled back in this run
STEP_ROLLED_BACK = 'rolled_back'    # written as soon as the host answers after the start
STEP_DONE = 'done'                  # written after the verification and the post tasks

OUTCOME_TEXT = {'rolled_back': 'rolled back', 'resumed': 'rolled back earlier in this run, verified now',
                'skipped': 'already done in this run', 'planned': 'planned (check mode)',
                'checked': 'checked only (the tags selected no rollback step)'}

# How a host continues (the "resume" of a decision).
RESUME_FULL = 'full'      # stop, roll back, start, verify
RESUME_START = 'start'    # the disk is on the snapshot already: start (if needed) and verify
RESUME_DONE = 'done'      # this run already verified the host: nothing to do
RESUME_REFUSE = 'refuse'  # another run is working on the host: touch nothing


def _name(option):
    return 'snapshot_rollback_' + option


def check_variables(given, known, values, playbook_dir):
    """Every problem with the role's input, as messages naming the variable, the bad value and what is expected.

    ``given``: the names of the ``snapshot_rollback_*`` variables set anywhere; ``known``: the role's and the
    playbook's variable names; ``values``: the options to check, keyed without the prefix.
    """
    problems = []
    prefix = _name('')
    suffixes = {name[len(prefix):]: name for name in known if name.startswith(prefix)}
    for name in sorted(set(given) & set(REMOVED_VARIABLES)):
        problems.append('%s is no longer a variable of the role (removed in 0.2.0): set %s instead' % (name, REMOVED_VARIABLES[name]))
    for name in sorted(set(given) - set(known) - set(REMOVED_VARIABLES)):
        # Compared without the common prefix, which would make every name look close to every other.
        close = difflib.get_close_matches(name[len(prefix):], list(suffixes), n=1, cutoff=0.6)
        problems.append('unknown variable %s%s' % (name, '; did you mean %s?' % suffixes[close[0]] if close else ''))
    for option in POSITIVE_NUMBERS:
        value = values.get(option)
        if value is None:
            continue
        try:
            good = not isinstance(value, bool) and float(value) > 0
        except (TypeError, ValueError):
            good = False
        if not good:
            problems.append('%s is %r; expected a number greater than 0' % (_name(option), value))
    if 'snapshot_id' in values:
        problems += _snapshot_problems(values)
    keep = values.get('keep_backups')
    if keep not in (None, '') and (isinstance(keep, bool) or not str(keep).isdigit() or int(keep) < 1):
        problems.append('snapshot_rollback_keep_backups is %r; expected a whole number of backups of at least 1, or empty to keep every '
                        'backup' % (keep,))
    if 'serial' in values and _serial_steps(values['serial']) is None:
        problems.append(_serial_problem(values['serial']))
    for option in TASK_FILES:
        path = values.get(option)
        if path and not os.path.isfile(task_file_path(path, playbook_dir)):
            problems.append('%s is %r, but no such file exists (a path is absolute or relative to the playbook directory %s)'
                            % (_name(option), path, playbook_dir))
        elif path:
            problems += ['%s is %r, %s' % (_name(option), path, problem) for problem in task_file_problems(task_file_path(path, playbook_dir))]
    journal = values.get('journal_path')
    if journal:
        problems += _journal_problems(journal)
    for index, check in enumerate(values.get('health_checks') or []):
        if not isinstance(check, dict) or not check.get('name') or bool(check.get('url')) == bool(check.get('command')):
            problems.append('snapshot_rollback_health_checks[%d] is %r; expected a dict with a name and exactly one of url and '
                            'command' % (index, check))
    return problems


def _serial_steps(serial):
    """The steps of a serial value as (number, is_percentage) pairs, or None when one of them is not a valid step."""
    steps = []
    for step in serial if isinstance(serial, list) else [serial]:
        text = str(step).strip() if not isinstance(step, bool) else ''
        percentage = text.endswith('%')
        number = text[:-1] if percentage else text
        if not number.isdigit() or int(number) < 1 or (percentage and int(number) > 100):
            return None
        steps.append((int(number), percentage))
    return steps or None


def check_hosts(hosts, hostvars, given, known, values, playbook_dir):
    """Every problem with the input of the play's ``hosts``, every batch's, found before any host is touched.

    ``given`` and ``values`` (see check_variables()) are what the running host sees at every level; each host's own
    inventory variables (the ``snapshot_rollback_*`` names its ``hostvars`` hold, the only level that differs between
    hosts) override them. Each host needs an instance id. A problem of every host is given once; another is prefixed
    with the hosts it concerns.
    """
    owners = {}
    checked = {}  # the problems of each distinct set of a host's own variables: most hosts have none, and share one check
    for host in hosts:
        own = hostvars[host]
        names = _own_names(own)
        key = tuple((name, repr(own[name])) for name in names)
        if key not in checked:
            checked[key] = check_variables(sorted(set(given) | set(names)), known, own_values(values, own), playbook_dir)
        problems = list(checked[key])
        if not own.get('lighthouse_instance_id'):
            problems.append('no instance id: set the host variable lighthouse_instance_id (the inventory plugin tencentcloud.lighthouse.lighthouse '
                            'does) to the lhins- id of its instance')
        for problem in problems:
            owners.setdefault(problem, []).append(host)
    return [problem if len(found) == len(hosts) else '%s: %s' % (', '.join(found), problem) for problem, found in owners.items()]


def _own_names(host_variables):
    return sorted(name for name in host_variables.keys() if name.startswith(_name('')))


def own_values(values, host_variables):
    """``values`` (keyed without the prefix) with the host's own inventory variables over them."""
    names = _own_names(host_variables)
    return dict(values, **dict((option, host_variables[_name(option)]) for option in values if _name(option) in names))


def snapshot_choices(hosts, hostvars, values, run_id):
    """Each host's snapshot_choice(), by host, and the problems of the hosts that have none (their input passed check_hosts())."""
    choices, problems = {}, []
    for host in hosts:
        try:
            choices[host] = snapshot_choice(own_values(values, hostvars[host]), run_id)
        except LighthouseError as error:
            problems.append('%s: %s' % (host, error.message))
    return choices, problems


def _snapshot_problems(values):
    """What is wrong with the choice of the snapshot in ``values`` (see SNAPSHOT_CHOICES): exactly one way, a cut-off that reads
    as a time, a name pattern only with a cut-off."""
    chosen = [option for option in SNAPSHOT_CHOICES if values.get(option)]
    if not chosen:
        return ['no snapshot to roll back to: %s are all empty; set exactly one of them, for example -e snapshot_rollback_snapshot_name=baseline'
                % ', '.join(_name(option) for option in SNAPSHOT_CHOICES)]
    if len(chosen) > 1:
        return ['%s; expected exactly one of them, the snapshot to roll back to' % ' and '.join(
            '%s is %r' % (_name(option), values[option]) for option in chosen)]
    problems = []
    if values.get('name_pattern') and not values.get('created_before'):
        problems.append('snapshot_rollback_name_pattern is %r, but it only narrows snapshot_rollback_created_before, which is empty'
                        % values['name_pattern'])
    if values.get('created_before'):
        try:
            parse_cutoff(_name('created_before'), str(values['created_before']), datetime.datetime.now(datetime.timezone.utc))
        except LighthouseError as error:
            problems.append(error.message)
    return problems


def run_started(run_id):
    """The UTC time a run id starts with (generated run ids do: ``20261206T140000Z-3f2a``), or None."""
    found = _RUN_ID_TIME.match(run_id or '')
    if not found:
        return None
    return datetime.datetime.strptime(found.group(1), '%Y%m%dT%H%M%SZ').replace(tzinfo=datetime.timezone.utc)


def snapshot_choice(values, run_id):
    """The pre-flight's options that choose the host's snapshot, from ``values`` checked by check_variables().

    A cut-off relative to now is taken from the run's start, the time its id begins with, so that every batch and every
    resumption of the run chooses the same snapshot; a run id without that time refuses it (LighthouseError). An undo of
    run ``undo_run_id`` rolls back to the backup that run took, named as the role names its backups.
    """
    if values.get('undo_run_id'):
        return {'snapshot_name': backup_name_of(values['undo_run_id'])}
    if values.get('created_before'):
        text = str(values['created_before'])
        started = run_started(run_id)
        if started is None and is_relative_cutoff(text):
            raise LighthouseError(None, (
                'snapshot_rollback_created_before is %r, a time relative to the run\'s start, but the run id %r does not begin with that '
                'start (YYYYMMDDThhmmssZ, as generated run ids do), so a resumed run could choose another snapshot; give an absolute '
                'time such as 2026-12-06T14:00:00+08:00') % (text, run_id))
        cutoff = parse_cutoff(_name('created_before'), text, started or datetime.datetime.now(datetime.timezone.utc))
        return dict({'created_before': api_time(cutoff)}, **({'name_pattern': values['name_pattern']} if values.get('name_pattern') else {}))
    if values.get('snapshot_id'):
        return {'snapshot_id': values['snapshot_id']}
    return {'snapshot_name': values['snapshot_name']}


def undo_problem(snapshot, instance_id, undo_run_id):
    """Why ``snapshot`` is not the backup run ``undo_run_id`` took of ``instance_id`` (its tags say so), or None; None too
    when the run is no undo."""
    if not undo_run_id:
        return None
    tags = snapshot.get('tags') or {}
    if tags.get(RUN_TAG) == undo_run_id and tags.get(BACKUP_TAG) == instance_id:
        return None
    return ('snapshot %s is named as a backup of run %s, but its tags (%s) do not say that run took it of instance %s '
            '(%s=%s and %s=%s); it was not made by that run, so undoing the run cannot use it') % (
        snapshot.get('snapshot_id'), undo_run_id, ', '.join('%s=%s' % item for item in sorted(tags.items())) or 'none', instance_id,
        RUN_TAG, undo_run_id, BACKUP_TAG, instance_id)


def backup_name_of(run_id):
    """The name of the backups the role takes in run ``run_id`` (without snapshot_rollback_backup_name)."""
    return BACKUP_NAME_PREFIX + run_id


def _serial_problem(serial):
    return ('snapshot_rollback_serial is %r; expected a number of hosts greater than 0, a percentage such as "25%%", '
            'or a list of them such as [1, 10, "25%%"]' % (serial,))


def checked_serial(serial):
    """``serial`` when it is a valid value of the play keyword serial; raises AnsibleFilterError naming it otherwise.

    For the playbook's serial keyword, which Ansible evaluates before any task of the role can check it.
    """
    if _serial_steps(serial) is None:
        raise AnsibleFilterError('Nothing was changed: ' + _serial_problem(serial))
    return serial


def batch_sizes(serial, hosts):
    """The sizes of the batches the play keyword ``serial`` makes of ``hosts`` hosts, as Ansible makes them.

    ``serial``: a number of hosts, a percentage of the play's hosts ("25%", at least 1), or a list of them
    whose last one repeats until every host had its batch.
    """
    steps = _serial_steps(serial)
    sizes = []
    while sum(sizes) < hosts:
        number, percentage = steps[min(len(sizes), len(steps) - 1)]
        size = max(1, int(number / 100.0 * hosts)) if percentage else number
        sizes.append(min(size, hosts - sum(sizes)))
    return sizes


def batch_problem(batch, play_hosts, serial):
    """Why ``batch`` is not the batch that ``serial`` makes next of ``play_hosts`` in their order; '' when it is."""
    starts, start = [], 0
    sizes = batch_sizes(serial, len(play_hosts))
    for size in sizes:
        starts.append(start)
        start += size
    first = play_hosts.index(batch[0])
    if first in starts and play_hosts[first:first + sizes[starts.index(first)]] == list(batch):
        return ''
    return ('This batch holds %s, but with snapshot_rollback_serial %s the batches are, in inventory order, of %s hosts: run the play '
            'with "serial: {{ snapshot_rollback_serial }}" and "order: inventory" (the shipped playbook does), set snapshot_rollback_serial '
            'to the serial of your play, or set snapshot_rollback_strict_serial to false to take the batches the play makes'
            % (', '.join(batch), json.dumps(serial), ', '.join(str(size) for size in sizes)))


# Set by the inventory plugin tencentcloud.lighthouse.lighthouse: the host's place in its order (order_by), from 1.
INVENTORY_POSITION = 'lighthouse_inventory_position'


def order_problem(play_hosts, hostvars):
    """Why ``play_hosts`` are not in the order of their inventory positions; '' when they are.

    Hosts without a position (from another inventory source) may come anywhere.
    """
    positioned = [host for host in play_hosts if hostvars.get(host, {}).get(INVENTORY_POSITION) is not None]
    expected = sorted(positioned, key=lambda host: hostvars[host][INVENTORY_POSITION])
    if positioned == expected:
        return ''
    return ('The play takes the hosts in the order %s, but the inventory plugin tencentcloud.lighthouse.lighthouse orders them %s '
            '(their %s): give the plugin\'s inventory source first (before other -i sources, which must not list these hosts '
            'earlier), run the play with "order: inventory" on the pattern all or on one group (a pattern of several groups takes '
            'them group by group), or set snapshot_rollback_strict_serial to false to take the play\'s order'
            % (' -> '.join(positioned), ' -> '.join(expected), INVENTORY_POSITION))


def task_file_problems(path):
    """Why the task file at ``path`` cannot run: YAML that does not parse, or a task whose module or action is unknown.

    Found before the first host is stopped, rather than when the file is included after its rollback.
    """
    try:
        tasks = DataLoader().load_from_file(path)
    except AnsibleError as error:
        return ['which does not parse: %s' % _first_line(error)]
    if not isinstance(tasks, list):
        return ['which is not a list of tasks']
    problems = []
    for task in _tasks_in(tasks):
        try:
            ModuleArgsParser(task).parse()
        except AnsibleError as error:
            problems.append('whose task %r cannot run: %s' % (task.get('name', '(no name)') if isinstance(task, dict) else task,
                                                              _first_line(error)))
    return problems


def _tasks_in(tasks):
    """The tasks of a task list, those inside blocks included."""
    for task in tasks or []:
        sections = [task.get(key) for key in ('block', 'rescue', 'always')] if isinstance(task, dict) else []
        if any(section is not None for section in sections):
            for section in sections:
                yield from _tasks_in(section)
        else:
            yield task


def _first_line(error):
    return (getattr(error, 'message', None) or str(error)).strip().splitlines()[0]


def task_file_path(path, playbook_dir):
    return path if os.path.isabs(path) else os.path.join(playbook_dir, path)


def _journal_problems(path):
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path):
        return ['snapshot_rollback_journal_path is %r, a directory; expected a file name' % path]
    if os.path.exists(path):
        return [] if os.access(path, os.W_OK) else ['snapshot_rollback_journal_path %r is not writable' % path]
    directory = os.path.dirname(path)
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        return ['snapshot_rollback_journal_path is %r, but its directory %s does not exist or is not writable' % (path, directory)]
    return []


def _is_successful_rollback(resource):
    return is_rollback(resource.get('latest_operation')) and resource.get('latest_operation_state') == STATE_SUCCESS


def _confirmed(record, instance, rollback_request):
    """Whether the cloud agrees with a record that says its run rolled the instance back: the snapshot's latest
    operation is the successful rollback the record names, and nothing has happened to the instance since the
    operation the record last saw on it (a stop, a reboot or another rollback would show as a newer one)."""
    return bool(rollback_request and record.get('rollback_request_id') == rollback_request and record.get('instance_request_id')
                and record.get('instance_request_id') == instance.get('latest_operation_request_id'))


def _operated_since(instance, time):
    """Whether an operation started on the instance after ``time`` (both UTC, ``YYYY-MM-DDThh:mm:ssZ``).

    A run that wrote a record and then stopped and started the instance (it backed off after its stop) is past it:
    the record no longer says the run is working on the host.
    """
    started = instance.get('latest_operation_started_time')
    return bool(started and time and started > time)


def decide(record, run_id, instance, snapshot, adopt_unverified=False):
    """Where this host continues in run ``run_id``: ``{resume, reason, rollback_request_id}``.

    ``record``: the role's record read from the guest ({} when it has none, None when it could not be read);
    ``instance``, ``snapshot``: the pre-flight's view of them (snake_case, as the modules return them).
    The cloud is the source of truth: a rollback is taken as this run's only when the cloud proves it (the
    instance STOPPED right after it), or when this run's record names it and the cloud still agrees. A host
    another run is working on is refused (``resume`` ``refuse``).
    """
    snapshot_id, instance_id = snapshot.get('snapshot_id'), instance.get('instance_id')
    rollback_request = snapshot.get('latest_operation_request_id') if _is_successful_rollback(snapshot) else None
    if record and record.get('instance_id') == instance_id and record.get('run_id') != run_id \
            and record.get('step') in (STEP_STOPPING, STEP_ROLLED_BACK) and not _operated_since(instance, record.get('time')):
        return _decision(RESUME_REFUSE, (
            'run %s is working on it: its record on the host says it reached "%s" at %s. Wait until that run has ended; if it '
            'is not running any more, resume it (-e snapshot_rollback_run_id=%s), or delete that record (the file '
            'snapshot-rollback-%s.json in snapshot_rollback_marker_dir) to let another run take the host'
        ) % (record.get('run_id'), record.get('step'), record.get('time'), record.get('run_id'), instance_id))
    ours = record and record.get('run_id') == run_id and record.get('instance_id') == instance_id \
        and record.get('snapshot_id') == snapshot_id
    if ours and record.get('step') in (STEP_DONE, STEP_ROLLED_BACK):
        if not _confirmed(record, instance, rollback_request):
            return _decision(RESUME_FULL, (
                'its record says run %s rolled it back (request %s), but the cloud does not agree (the snapshot\'s latest '
                'operation: %s; the instance\'s: %s): it is rolled back again'
            ) % (run_id, record.get('rollback_request_id'), operation_summary(snapshot), operation_summary(instance)))
        if record.get('step') == STEP_DONE:
            return _decision(RESUME_DONE, 'run %s already rolled it back and verified it (%s)' % (run_id, record.get('time')),
                             rollback_request)
        return _decision(RESUME_START, 'run %s already rolled it back (request %s); it is verified again' % (run_id, rollback_request),
                         rollback_request)
    if ours:
        # The record of the stop is still on the disk, so the rollback has not happened.
        return _decision(RESUME_FULL, 'run %s stopped it before, but its disk was not rolled back' % run_id)
    if instance.get('instance_state') == 'STOPPED' and _is_successful_rollback(instance):
        if instance.get('latest_operation_request_id') == rollback_request:
            return _decision(RESUME_START, 'it is STOPPED on %s: the rollback %s succeeded and nothing ran since'
                             % (snapshot_id, rollback_request), rollback_request)
        return _decision(RESUME_REFUSE, (
            'it is STOPPED right after a rollback to another snapshot (%s): another run may be about to start it. Wait until '
            'that run has ended, or start the instance, then rerun') % operation_summary(instance))
    started_since = instance.get('latest_operation') == 'StartInstances' or instance.get('latest_operation_request_id') == rollback_request
    if adopt_unverified and rollback_request and record is not None and record.get('rollback_request_id') != rollback_request \
            and started_since:
        return _decision(RESUME_START, 'its disk was rolled back to %s (request %s) and only started since, and no run verified it '
                         'yet: that rollback is taken as this run\'s (snapshot_rollback_adopt_rollback)' % (snapshot_id, rollback_request),
                         rollback_request)
    return _decision(RESUME_FULL, 'it is to be rolled back to %s' % snapshot_id)


def _decision(resume, reason, rollback_request_id=None):
    return {'resume': resume, 'reason': reason, 'rollback_request_id': rollback_request_id}


def parse_record(text):
    """The record in a marker file's text: {} for none or a foreign file (e.g. an older version's)."""
    try:
        record = json.loads(text) if text and text.strip() else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def record_text(facts, step, rollback_request_id, instance_request_id, now_iso):
    """The text of the record the role keeps on the host (see STEP_*): the run, the instance, the snapshot, the step reached,
    the rollback it vouches for and, once the instance is started, its latest operation as the run left it.

    ``facts``: ``{run_id, instance_id, snapshot_id}``.
    """
    return json.dumps({'run_id': facts['run_id'], 'instance_id': facts['instance_id'], 'snapshot_id': facts['snapshot_id'],
                       'step': step, 'rollback_request_id': rollback_request_id, 'instance_request_id': instance_request_id,
                       'time': now_iso}, indent=4, sort_keys=True) + '\n'


def scope(hosts, hostvars):
    """The instances of ``hosts`` (in that order): ``[{host, instance_id, region}]``, skipping hosts without an id."""
    found = []
    for host in hosts:
        variables = hostvars.get(host, {})
        if variables.get('lighthouse_instance_id'):
            found.append({'host': host, 'instance_id': variables['lighthouse_instance_id'], 'region': variables.get('lighthouse_region') or ''})
    return found


def preflight_calls(hosts, choices):
    """The batch's pre-flight: one lighthouse_snapshot_apply run in check mode per region (see batch_calls()), each host's instance
    with the snapshot its input chose (``choices``: snapshot_choice() by host)."""
    return _by_region(hosts, lambda host: dict({'instance_id': host['_snapshot_rollback_instance_id']}, **choices[host['inventory_hostname']]))


def batch_calls(hosts, fleet=None):
    """The batch's calls: one per region, ``{'region', 'instance_ids', 'hosts', 'instances', 'fleet'}``, regions in the order first met.

    ``hosts``: the host variables of the batch's hosts the call is for (their instance id, region, inventory name and, for the
    rollback, their decision and pre-flight). ``instances`` are the entries of lighthouse_snapshot_apply's O(instances): a host
    whose disk is on the snapshot already is only started; another is rolled back to the snapshot its pre-flight chose, only
    while nothing has happened to the instance since then (its own stop aside). ``fleet``: the fleet (see scope()) less the
    batch's instances, for the disruption budget.
    """
    calls = _by_region(hosts, _batch_entry)
    batch_ids = [host['_snapshot_rollback_instance_id'] for host in hosts]
    others = [{'instance_id': member['instance_id'], 'region': member['region'] or None, 'name': member['host']}
              for member in fleet or [] if member['instance_id'] not in batch_ids]
    for call in calls:
        call['fleet'] = others
    return calls


def _by_region(hosts, entry):
    """``hosts`` (their host variables) grouped by region, ``[{'region', 'instance_ids', 'hosts', 'instances'}]`` in the order first met,
    ``instances`` holding ``entry(host)`` for each."""
    calls = {}
    for host in hosts:
        call = calls.setdefault(host['_snapshot_rollback_region'], {'region': host['_snapshot_rollback_region'], 'instance_ids': [],
                                                                    'hosts': [], 'instances': []})
        call['instance_ids'].append(host['_snapshot_rollback_instance_id'])
        call['hosts'].append(host['inventory_hostname'])
        call['instances'].append(entry(host))
    return list(calls.values())


def _batch_entry(host):
    instance_id = host['_snapshot_rollback_instance_id']
    if (host.get('_snapshot_rollback_decision') or {}).get('resume') != RESUME_FULL:
        return {'instance_id': instance_id, 'rollback': False}
    preflight = host['_snapshot_rollback_decision']['preflight']
    return {'instance_id': instance_id, 'rollback': True, 'snapshot_id': preflight['snapshot']['snapshot_id'],
            'after_request_id': preflight['instance'].get('latest_operation_request_id')}


# The role's names for the steps of the batch's module run, as its journal and messages have always told them.
BATCH_STEPS = {
    'pre-flight': 'Pre-flight - check the snapshot against this instance',
    'fleet guard': 'Check that no other instance of the fleet is down',
    'backup': 'Take the backup snapshot before the instance is stopped',
    'stop': "Check that this run's stop of the host's instance was accepted",
    'rollback': 'Roll the system disk back and wait until it is done',
    'start': "Check that this host's instance is RUNNING",
}
# A fleet guard that could not read the fleet, rather than one that found it down.
GUARD_READ_STEP = 'Read the state of every instance of the fleet'
# A batch run that failed before it took up the instance (its options, its credentials).
BATCH_RUN_STEP = 'Stop, roll back and start the batch\'s instances'


def rollback_outcome(results, instance_id, run_step=BATCH_RUN_STEP):
    """What the batch's lighthouse_snapshot_apply run (the ``results`` of its loop over batch_calls() or preflight_calls(), the
    task named ``run_step``) did for one instance.

    ``{'ok', 'entry', 'touched', 'elapsed', 'error'}``: ``entry`` is the instance's entry of the module's ``instances`` (null
    when the run failed before it had one); ``touched`` whether the run took the instance down, or went on with it stopped
    (from then on a failure starts it again); ``error`` when not ok: the step (the role's name for it), the message, the
    error code and the request id: the rollback's, or that of the call the cloud refused.
    """
    result = next((item for item in results or [] if instance_id in (item.get('item') or {}).get('instance_ids', [])), None)
    if result is None:
        return {'ok': False, 'entry': None, 'touched': False, 'elapsed': None,
                'error': {'step': run_step, 'message': 'no run was made for instance %s' % instance_id, 'error_code': None,
                          'request_id': None}}
    outcome = {'ok': False, 'entry': None, 'touched': False, 'elapsed': result.get('elapsed'), 'error': failure(run_step, result)}
    entry = next((item for item in result.get('instances') or [] if item.get('instance_id') == instance_id), None)
    if entry is None:  # the module failed before it took up the instances, on its options or credentials
        return outcome
    touched = not entry['failed'] or entry['step'] in ('rollback', 'start') or (entry['step'] == 'stop' and entry['error_code'] != OPERATION_CHANGED)
    outcome.update(entry=entry, touched=touched)
    if not entry['failed']:
        return dict(outcome, ok=True, error=None)
    step = GUARD_READ_STEP if entry['step'] == 'fleet guard' and entry['error_code'] != FLEET_UNAVAILABLE else BATCH_STEPS[entry['step']]
    return dict(outcome, error={'step': step, 'message': entry['msg'], 'error_code': entry['error_code'],
                                'request_id': entry['request_id'] if entry['step'] == 'rollback' else entry.get('error_request_id')})


def batch_outcome(results, instance_id, latest_request_id):
    """What the batch's reads (the ``results`` of a loop of lighthouse_instance_info over batch_calls()) show of one instance.

    ``{'ok', 'message', 'foreign'}``: ok when the read that named the instance succeeded and its latest operation is still
    `latest_request_id`; ``message`` says why not; ``foreign`` is true when another client, not this run, has worked on the
    instance since.
    """
    outcome = {'ok': False, 'message': None, 'foreign': False}
    result = next((item for item in results or [] if instance_id in (item.get('item') or {}).get('instance_ids', [])), None)
    if result is None:
        return dict(outcome, message='no call was made for instance %s' % instance_id)
    shown = [item for item in result.get('instances') or [] if item.get('instance_id') == instance_id]
    if 'instances' not in result:  # the read failed: the task does not fail the batch (failed_when), each host does
        return dict(outcome, message=result.get('msg') or 'the call for instance %s failed' % instance_id)
    if not shown:
        return dict(outcome, message='instance %s is not in the answer' % instance_id)
    if shown[0].get('latest_operation_request_id') != latest_request_id:
        return dict(outcome, foreign=True, message=(
            'the latest operation of instance %s is now %s, not this run\'s (request %s): another run or someone else has '
            'worked on it since, so this run cannot vouch for its disk') % (instance_id, operation_summary(shown[0]), latest_request_id))
    return dict(outcome, ok=True)


def plan(decision, instance, snapshot, options):
    """What the role will do with this host, step by step (shown in every run, and the journal's ``plan``)."""
    resume = decision['resume']
    if resume == RESUME_DONE:
        return ['nothing: ' + decision['reason']]
    steps = ['run the pre tasks %s' % options['pre_tasks']] if options.get('pre_tasks') and resume == RESUME_FULL else []
    if resume == RESUME_FULL:
        if options.get('backup'):
            steps.append('snapshot its system disk as a backup')
        if instance.get('instance_state') != 'STOPPED':
            steps.append('stop it (%s)' % options['stop_type'])
        steps.append('roll it back to %s (%s)' % (snapshot.get('snapshot_id'), _chosen(snapshot, options)))
    else:
        steps.append('keep it on %s: %s' % (snapshot.get('snapshot_id'), decision['reason']))
    if instance.get('instance_state') != 'RUNNING' or resume == RESUME_FULL:
        steps.append('start it')
    checks = [check['name'] for check in options.get('health_checks') or []]
    steps.append('verify: connection within %s s%s%s' % (
        options['verify_timeout'], ', %s within %s s' % (', '.join(checks), options['health_timeout']) if checks else '',
        ', the verify tasks %s' % options['verify_tasks'] if options.get('verify_tasks') else ''))
    if options.get('post_tasks'):
        steps.append('run the post tasks %s' % options['post_tasks'])
    steps.append('record it as done in %s' % options['marker_path'])
    if options.get('keep_backups'):
        steps.append('delete the backups this collection took of its instance beyond the newest %s' % options['keep_backups'])
    return steps


def _chosen(snapshot, options):
    """The snapshot's name and, when a cut-off or an undo chose it, why."""
    if options.get('undo_run_id'):
        return '%s, the backup run %s took, created %s' % (snapshot.get('snapshot_name'), options['undo_run_id'], snapshot.get('created_time'))
    if options.get('created_before'):
        return '%s, created %s, the newest before %s' % (snapshot.get('snapshot_name'), snapshot.get('created_time'), options['created_before'])
    return snapshot.get('snapshot_name')


def failure(task_name, result):
    """The journal's ``error`` for a failure caught by the role's rescue: the step, the message, code and request id.

    A step of the role's bookkeeping (the action snapshot_rollback_run) names the role's step in ``snapshot_rollback_step``.
    """
    result = result or {}
    message = result.get('msg') or 'failed'
    failed_items = [item for item in result.get('results') or [] if isinstance(item, dict) and item.get('failed')]
    for item in failed_items:
        label = item.get('item', {}).get('name') if isinstance(item.get('item'), dict) else item.get('item')
        details = [item.get('msg') or 'failed']
        details += ['rc %s' % item['rc']] if 'rc' in item else []
        details += ['status %s' % item['status']] if 'status' in item else []
        message += ' [%s: %s]' % (label, ', '.join(str(detail) for detail in details))
    return {'step': result.get('snapshot_rollback_step') or task_name, 'message': message, 'error_code': result.get('error_code'),
            'request_id': result.get('request_id')}


def came_back_on(decision, entry, snapshot_id):
    """Which disk a host restarted after a failure runs on: the snapshot's, its previous one, or unknown.

    ``entry``: the host's entry of the batch's lighthouse_snapshot_apply run (see rollback_outcome()), null when there was none.
    """
    if decision and decision.get('resume') in (RESUME_START, RESUME_DONE):
        return 'snapshot %s (rolled back)' % snapshot_id
    if not entry or entry.get('step') in ('pre-flight', 'fleet guard', 'backup', 'stop'):
        return 'its previous disk (not rolled back)'
    if entry.get('rolled_back'):
        return 'snapshot %s (rolled back)' % snapshot_id
    if not entry.get('rollback_sent'):
        return 'its previous disk (the rollback was not accepted)'
    if entry.get('error_code') == 'OperationFailed':
        return 'its previous disk (the rollback failed)'
    return 'unknown: the rollback may have been applied'


def journal_entry(facts):
    """One host's journal entry from the role's facts (``facts``: a dict of the values named below)."""
    preflight = facts.get('preflight') or {}
    snapshot = preflight.get('snapshot') or {}
    decision = facts.get('decision') or {}
    failed = facts.get('failed') or {}
    error = failure(failed['task'], failed.get('result')) if failed else None
    batch = facts.get('batch') or {}
    entry = batch.get('entry') or {}
    restarted = facts.get('restarted')
    if error:
        outcome = 'failed'
    elif facts.get('check_mode'):
        outcome = 'planned'
    elif decision.get('resume') == RESUME_DONE:
        outcome = 'skipped'
    elif not batch:
        # The run's tags selected the checks only (snapshot_rollback_check): nothing was changed.
        outcome = 'checked'
    elif decision.get('resume') == RESUME_START:
        outcome = 'resumed'
    else:
        outcome = 'rolled_back'
    now, started = float(facts['now']), float(facts['started'])
    verify_started = facts.get('verify_started')
    return {
        'run_id': facts['run_id'],
        'host': facts['host'],
        'instance_id': facts['instance_id'],
        'snapshot_id': snapshot.get('snapshot_id') or facts.get('snapshot_id'),
        'snapshot_name': snapshot.get('snapshot_name') or facts.get('snapshot_name'),
        'backup_snapshot_id': entry.get('backup_snapshot_id'),
        'outcome': outcome,
        'resume': decision.get('resume'),
        'reason': decision.get('reason'),
        'plan': facts.get('plan') or [],
        'request_ids': {'stop': [entry['stop_request_id']] if entry.get('stop_request_id') else [],
                        'rollback': entry.get('request_id') or decision.get('rollback_request_id'),
                        'start': [entry['start_request_id']] if entry.get('start_request_id') else []},
        'seconds': {'preflight': preflight.get('elapsed'), 'batch': batch.get('elapsed'),
                    'verify': round(now - float(verify_started), 3) if verify_started else None,
                    'total': round(now - started, 3)},
        'started': facts['started_iso'],
        'finished': facts['now_iso'],
        'deleted_backup_ids': facts.get('deleted_backup_ids') or [],
        'restarted': restarted,
        'came_back_on': None if restarted is None else came_back_on(decision, batch.get('entry'), snapshot.get('snapshot_id')),
        'error': error,
    }


def summary(pattern_hosts, play_hosts, entries, left_out, run_id):
    """Every host of the play's pattern, in order, with what this run knows of it.

    ``entries``: this run's journal entries; ``left_out``: the results of reading the record files of the hosts
    that --limit left out (slurp results, with ``item`` the host's fleet entry, see scope()). Returns ``{run_id, hosts, unfinished, failed,
    table}``: ``unfinished`` names every host not done in this run, ``failed`` every failed host with its reason.
    """
    by_host = {entry['host']: entry for entry in entries}
    records = {result['item']['host']: parse_record(base64.b64decode(result['content']).decode('utf-8', 'replace'))
               for result in left_out if result.get('content')}
    rows, failed = [], []
    for host in pattern_hosts:
        entry = by_host.get(host)
        if host not in play_hosts:
            record = records.get(host) or {}
            done = record.get('run_id') == run_id and record.get('step') == STEP_DONE
            row = {'host': host, 'done': done,
                   'status': 'left out by --limit, %s in this run' % ('done earlier' if done else 'not done')}
        elif entry is None:
            row = {'host': host, 'done': False, 'status': 'not reached'}
        elif entry['outcome'] == 'failed':
            error = entry.get('error') or {}
            row = {'host': host, 'done': False, 'status': 'failed at "%s"' % error.get('step')}
            if entry.get('restarted') is not None:
                row['status'] += '; started again: %s; on %s' % ('yes' if entry['restarted'] else 'no', entry.get('came_back_on'))
            failed.append('%s at "%s": %s' % (host, error.get('step'), error.get('message')))
        else:
            row = {'host': host, 'done': entry['outcome'] not in ('planned', 'checked'),
                   'status': OUTCOME_TEXT.get(entry['outcome'], entry['outcome'])}
        rows.append(row)
    width = max([len(row['host']) for row in rows] + [4])
    table = ['%-*s  %s' % (width, row['host'], row['status']) for row in [{'host': 'host', 'status': 'status'}] + rows]
    return {'run_id': run_id, 'hosts': rows, 'unfinished': [row['host'] for row in rows if not row['done']], 'failed': failed,
            'table': table}
