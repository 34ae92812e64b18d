# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot_rollback role's bookkeeping, on the controller: each step reads what it needs of the play and the hosts.
The steps that keep the role's record on a host run one shell command there over its connection, no module.

Internal to the role (documented in plugins/modules/snapshot_rollback_run.py); the rules are the pure functions of
plugins/plugin_utils/_snapshot_rollback.py, which have unit tests of their own.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import time

import yaml

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from ansible_collections.tencentcloud.lighthouse.plugins.plugin_utils import _snapshot_rollback as rules

ROLE_VARIABLE_PREFIX = 'snapshot_rollback_'
# The step a failure of each check is told under in the journal and the messages: the names the role's tasks had.
CHECK_STEPS = {
    'input': "Check the role's variables",
    'scope': "Check that the fleet's pattern covers the play's hosts",
    'order': "Check that the play takes the hosts in the inventory plugin's order",
    'batch': "Check that this batch is the next one of the run's batches, in inventory order",
    'earlier': 'Check that every host of the earlier batches, in inventory order, finished in this run',
}
REFUSED_STEP = 'Check that no other run is working on this host'
PROBE_STEP = 'Check that the host answers and can keep the record'
UNDO_STEP = 'Check that the snapshot is the backup the undone run took of this instance'
ANSWER_STEP = 'Wait until the host answers, and record on it that this run rolled it back'
FINAL_STEP = "Check that the last rollback of the host's instance is this run's"
DONE_RECORD_STEP = 'Write the record - done'


# Run by sh on the host, read from its standard input; what they work on is in their arguments, so none of them reads
# standard input itself.
# Succeeds when the record directory (or the nearest existing parent it would be made in) is writable by the connection
# user and on the root filesystem, the system disk that a rollback replaces, and prints the record if there is one.
#   $1 the record directory  $2 the record file
PROBE_SCRIPT = r'''
dir=$1
while [ ! -e "$dir" ]; do dir=$(dirname "$dir"); done
if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then
  echo "$dir is not a directory the connection user $(id -un) can write; use become, or a directory the user owns" >&2
  exit 3
fi
if [ "$(stat -c %d "$dir")" != "$(stat -c %d /)" ]; then
  echo "$dir is not on the filesystem of / (the system disk), so a rollback would not replace the records there" \
    "and a rerun could not tell from them whether the disk was rolled back; choose a directory on the root filesystem" >&2
  exit 4
fi
if [ -f "$2" ]; then cat "$2"; fi
'''
# Writes a record whole or not at all (a new file renamed over the old one), readable by all, making its directory.
#   $1 the record directory  $2 the record file  $3 the text
WRITE_SCRIPT = 'umask 022 && mkdir -p "$1" && printf %s "$3" > "$2.new" && mv -f "$2.new" "$2"'
# Puts a record back as a run found it.  $1 the record file  $2 its text then, empty when there was none (the file goes)
RESTORE_SCRIPT = 'umask 022; if [ -n "$2" ]; then printf %s "$2" > "$1.new" && mv -f "$1.new" "$1"; else rm -f "$1"; fi'
# What a host's look keeps of its pre-flight's instance and snapshot.
PREFLIGHT_KEYS = {'instance': ('instance_id', 'instance_state', 'latest_operation', 'latest_operation_state', 'latest_operation_request_id'),
                  'snapshot': ('snapshot_id', 'snapshot_name', 'created_time', 'latest_operation_request_id')}
# Seconds between two attempts to reach a host that is coming back.
ANSWER_INTERVAL = 1


class ActionModule(ActionBase):
    """One step of the role's bookkeeping per task; see the module's documentation."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('step', 'values', 'pattern', 'pattern_hosts', 'strict', 'options', 'results', 'facts', 'marker_dir',
                             'marker_path', 'connection_check', 'connection_timeout', 'record_step', 'rollback_request_id', 'timeout'))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        steps = {'check': self._check, 'look': self._look, 'record': self._record, 'calls': self._calls,
                 'outcome': self._outcome, 'final': self._final, 'restore': self._restore,
                 'journal': self._journal, 'summary': self._summary}
        step = self._task.args.get('step')
        if step not in steps:
            return dict(result, failed=True, msg='step is %r; expected one of %s' % (step, ', '.join(steps)))
        result.update(steps[step](self._task.args, task_vars))
        return result

    def _check(self, args, task_vars):
        """The fleet (the hosts of the pattern), then the checks: the input of every host to check (all of them in the first
        batch), that the pattern covers the play's hosts and, with ``strict``, the play's order and batches."""
        play_hosts, batch, hostvars = task_vars['ansible_play_hosts_all'], task_vars['ansible_play_batch'], task_vars['hostvars']
        pattern, pattern_hosts, run_id = args['pattern'], args['pattern_hosts'], task_vars['_snapshot_rollback_run_id']
        result = {'changed': False, 'pattern': pattern, 'hosts': pattern_hosts, 'fleet': rules.scope(pattern_hosts, hostvars),
                  'backup_name': rules.backup_name_of(run_id), 'backup_tags': {rules.RUN_TAG: run_id},
                  '_ansible_verbose_always': True,
                  'msg': ['Run id: %s%s' % (run_id, '' if task_vars.get('snapshot_rollback_run_id') else
                                            ' (generated; rerun with -e snapshot_rollback_run_id=%s to resume this run)' % run_id),
                          'Host order: %s' % ' -> '.join(play_hosts),
                          'Left out by --limit: %s' % (', '.join(host for host in pattern_hosts if host not in play_hosts) or 'none'),
                          'Now: %s' % ', '.join(batch)]}
        failed = self._check_problem(args, task_vars, play_hosts, batch, hostvars)
        if not failed:
            result['choices'], problems = rules.snapshot_choices(checked_hosts(play_hosts, batch), hostvars, args['values'], run_id)
            if problems:
                failed = 'input', "Nothing was changed, because of the role's input: %s" % '; '.join(problems)
            else:
                result['preflight_calls'] = rules.preflight_calls([hostvars[host] for host in batch], result['choices'])
        if failed:
            check, message = failed
            result.update(failed=True, msg=message, snapshot_rollback_step=CHECK_STEPS[check])
        return result

    def _check_problem(self, args, task_vars, play_hosts, batch, hostvars):
        """(check, message) for the first check that fails, or None."""
        pattern, pattern_hosts = args['pattern'], args['pattern_hosts']
        given = [name for name in task_vars if name.startswith(ROLE_VARIABLE_PREFIX)]
        problems = rules.check_hosts(checked_hosts(play_hosts, batch), hostvars, given,
                                     self._known_variables(task_vars), args['values'], task_vars['playbook_dir'])
        if problems:
            return 'input', "Nothing was changed, because of the role's input: %s" % '; '.join(problems)
        missing = [host for host in play_hosts if host not in pattern_hosts]
        if not pattern_hosts or missing:
            matched = 'none of %s of this play' % ', '.join(missing) if pattern_hosts else 'no host of the inventory'
            return 'scope', (
                'Nothing was changed: the fleet\'s host pattern "%s" (snapshot_rollback_scope, else snapshot_rollback_hosts) matches %s; '
                'expected the play\'s host pattern, or one that takes in every host of the play, so that the fleet guard sees every '
                'instance this run may take down.') % (pattern, matched)
        if not args['strict']:
            return None
        order = rules.order_problem(play_hosts, hostvars)
        if order:
            return 'order', order
        in_batches = rules.batch_problem(batch, play_hosts, args['values']['serial'])
        if in_batches:
            return 'batch', in_batches
        # A check goes on past a host whose pre-flight failed; a real run never goes past a failed host.
        check_mode = task_vars.get('ansible_check_mode')
        outcomes = dict((host, (hostvars[host].get('_snapshot_rollback_entry') or {}).get('outcome')) for host in play_hosts)
        unfinished = [host for host in play_hosts[:play_hosts.index(batch[0])]
                      if outcomes[host] is None or (outcomes[host] == 'failed' and not check_mode)]
        if unfinished:
            return 'earlier', (
                '%s come before this batch (%s) in inventory order but did not finish in this run: run the play with "order: inventory" '
                'and "max_fail_percentage: 0", or set snapshot_rollback_strict_serial to false.') % (', '.join(unfinished), ', '.join(batch))
        return None

    @staticmethod
    def _known_variables(task_vars):
        """The role's variables (its argument spec) and the shipped playbook's."""
        with open(os.path.join(task_vars['role_path'], 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
            spec = yaml.safe_load(handle)
        return list(spec['argument_specs']['main']['options']) + list(task_vars['_snapshot_rollback_playbook_variables'])

    def _on_host(self, script, *arguments):
        """``(rc, stdout, stderr)`` of ``script`` run by sh on the host, with ``arguments`` as $1, $2...; raises
        AnsibleConnectionFailure when the host cannot be reached."""
        command = ' '.join(shlex.quote(word) for word in ('sh', '-s', '--') + tuple(arguments))
        # The script on standard input, as a pipelined module is sent: a command without input would get a terminal over SSH,
        # which mixes its errors into its output.
        ran = self._low_level_execute_command(command, in_data=script.encode('utf-8'))
        return ran['rc'], ran['stdout'], ran['stderr'].strip()

    def _look(self, args, task_vars):
        """This host's failure when the batch's input check failed. Else its pre-flight (its instance's outcome of the batch's
        pre-flight run), then, when the instance is RUNNING, whether the host answers and can keep the record, and its record; then
        where the host continues (see _decide()). Returns the decision with ``preflight`` (the instance and the snapshot as the
        pre-flight saw them) and ``probe`` (what the host answered)."""
        scope = task_vars['_snapshot_rollback_scope']
        if scope.get('snapshot_rollback_step'):  # the batch's input check, run once, failed
            return {'failed': True, 'msg': scope['msg'], 'snapshot_rollback_step': scope['snapshot_rollback_step']}
        checked = rules.rollback_outcome(task_vars['_snapshot_rollback_preflight']['results'], task_vars['_snapshot_rollback_instance_id'],
                                         rules.BATCH_STEPS['pre-flight'])
        if not checked['ok']:
            return failed_at(checked['error'])
        entry = checked['entry']
        probe = self._probe(args, task_vars) if entry['instance'].get('instance_state') == 'RUNNING' else {}
        # What the later steps read of the pre-flight: the rest would only crowd the output.
        preflight = {'instance': dict((key, entry['instance'].get(key)) for key in PREFLIGHT_KEYS['instance']),
                     'snapshot': dict((key, entry['snapshot'].get(key)) for key in PREFLIGHT_KEYS['snapshot']), 'elapsed': checked['elapsed']}
        if probe.get('failed'):
            return dict(probe, preflight=preflight, probe=probe)
        # The plan names the cut-off the input check resolved for this host.
        options = dict(args['options'], created_before=scope['choices'][task_vars['inventory_hostname']].get('created_before'))
        return dict(self._decide(options, task_vars, entry, probe), preflight=preflight, probe=probe)

    def _probe(self, args, task_vars):
        """Whether the host answers and can keep the record, and its record's text (``stdout``). A host that does not answer
        fails, unless ``connection_check`` is false (``reachable`` is then false)."""
        host = task_vars['inventory_hostname']
        try:
            rc, stdout, stderr = self._on_host(PROBE_SCRIPT, args['marker_dir'], args['marker_path'])
        except AnsibleConnectionFailure as error:
            if not args['connection_check']:
                return {'changed': False, 'reachable': False, 'msg': str(error)}
            return {'failed': True, 'reachable': False, 'snapshot_rollback_step': PROBE_STEP, 'msg': (
                '%s is RUNNING but does not answer over its connection within %s s: %s (it would fail its verification after the '
                'rollback; set snapshot_rollback_connection_check to false to roll back hosts that cannot be reached)'
            ) % (host, args['connection_timeout'], error)}
        if rc != 0:
            return {'failed': True, 'reachable': True, 'rc': rc, 'snapshot_rollback_step': PROBE_STEP, 'msg': (
                '%s is RUNNING but cannot keep the rollback record: %s (snapshot_rollback_marker_dir is %s)'
            ) % (host, stderr or 'rc %d' % rc, args['marker_dir'])}
        return {'changed': False, 'reachable': True, 'stdout': stdout}

    def _write_record(self, args, task_vars, step, rollback_request_id, instance_request_id=None):
        """Write the host's record at ``step``, vouching for ``rollback_request_id`` and, after the start, ``instance_request_id``;
        returns the text written. Raises AnsibleConnectionFailure, and RecordNotWritten."""
        text = rules.record_text({'run_id': task_vars['_snapshot_rollback_run_id'], 'instance_id': task_vars['_snapshot_rollback_instance_id'],
                                  'snapshot_id': task_vars['_snapshot_rollback_decision']['preflight']['snapshot']['snapshot_id']},
                                 step, rollback_request_id, instance_request_id, iso_time(time.time()))
        rc, _stdout, stderr = self._on_host(WRITE_SCRIPT, args['marker_dir'], args['marker_path'], text)
        if rc != 0:
            raise RecordNotWritten('the record %s could not be written: %s' % (args['marker_path'], stderr or 'rc %d' % rc))
        return text

    def _record(self, args, task_vars):
        """Write the host's record at step ``record_step``."""
        try:
            return {'changed': True, 'record': self._write_record(args, task_vars, args['record_step'], args.get('rollback_request_id'))}
        except RecordNotWritten as error:
            return {'failed': True, 'msg': str(error)}

    def _answer(self, args, task_vars, step, rollback_request_id, instance_request_id):
        """Wait until the host answers over its connection, up to ``timeout`` seconds, then write its record at ``step``: written,
        the record proves the host answered. ``elapsed``: the seconds it took."""
        began = time.monotonic()
        while True:
            # Reconnect: a connection kept open from before the stop leads nowhere now.
            self._connection.reset()
            try:
                text = self._write_record(args, task_vars, step, rollback_request_id, instance_request_id)
            except RecordNotWritten as error:
                return {'failed': True, 'msg': str(error), 'elapsed': round(time.monotonic() - began, 3)}
            except AnsibleConnectionFailure as error:
                if time.monotonic() - began + ANSWER_INTERVAL > float(args['timeout']):
                    return {'failed': True, 'elapsed': round(time.monotonic() - began, 3), 'msg': (
                        '%s did not answer over its connection within %s s of its start: %s'
                    ) % (task_vars['inventory_hostname'], args['timeout'], error)}
                time.sleep(ANSWER_INTERVAL)
                continue
            return {'changed': True, 'record': text, 'elapsed': round(time.monotonic() - began, 3)}

    def _restore(self, args, task_vars):
        """Put the host's record back as the probe found it; best effort, it never fails."""
        # Read here, not passed in: a record passed through a template could come out as a dict on older ansible-core.
        text = task_vars['_snapshot_rollback_decision']['probe'].get('stdout') or ''
        try:
            rc, _stdout, stderr = self._on_host(RESTORE_SCRIPT, args['marker_path'], text)
        except AnsibleConnectionFailure as error:
            return {'changed': False, 'msg': 'the record could not be put back: %s' % error}
        return {'changed': rc == 0, 'msg': stderr if rc else 'the record is as the run found it'}

    @staticmethod
    def _decide(options, task_vars, preflight, probe):
        """Where this host continues, from its record (``probe``) and the pre-flight's view of the cloud (``options``: what the plan
        needs of the role's variables); refuse a host another run works on.

        The plan is shown for every host; in check mode, "changed" says whether the run would change the host.
        """
        record = rules.parse_record(probe['stdout']) if probe.get('reachable') else None
        decision = rules.decide(record, task_vars['_snapshot_rollback_run_id'], preflight['instance'], preflight['snapshot'],
                                task_vars['snapshot_rollback_adopt_rollback'])
        plan = rules.plan(decision, preflight['instance'], preflight['snapshot'], options)
        result = dict(decision, plan=plan, msg=plan, _ansible_verbose_always=True,
                      changed=bool(task_vars.get('ansible_check_mode')) and decision['resume'] != rules.RESUME_DONE)
        not_undo = rules.undo_problem(preflight['snapshot'], preflight['instance'].get('instance_id'), options.get('undo_run_id'))
        if not_undo:
            result.update(failed=True, snapshot_rollback_step=UNDO_STEP, msg='%s (%s) is not touched: %s' % (
                task_vars['inventory_hostname'], preflight['instance'].get('instance_id'), not_undo))
        elif decision['resume'] == rules.RESUME_REFUSE:
            result.update(failed=True, snapshot_rollback_step=REFUSED_STEP, msg='%s (%s) is not touched: %s' % (
                task_vars['inventory_hostname'], preflight['instance'].get('instance_id'), decision['reason']))
        return result

    @staticmethod
    def _calls(args, task_vars):
        """The batch's module runs, one per region, for the hosts of the batch that go on to it (see rules.batch_calls())."""
        hostvars = task_vars['hostvars']
        hosts = [hostvars[host] for host in task_vars['ansible_play_batch'] if hostvars[host].get('_snapshot_rollback_in_batch')]
        return {'changed': False, 'calls': rules.batch_calls(hosts, task_vars['_snapshot_rollback_scope']['fleet'])}

    def _outcome(self, args, task_vars):
        """This host's outcome of the batch's run (the registered ``_snapshot_rollback_batch``); fails naming the role's step when a
        step failed for its instance. Then, but in check mode, waits until the host answers after its start and writes its record
        at ``record_step`` (see _answer()); the verification is timed from the outcome (``verify_started``)."""
        outcome = rules.rollback_outcome(task_vars['_snapshot_rollback_batch']['results'], task_vars['_snapshot_rollback_instance_id'])
        preflight_request = task_vars['_snapshot_rollback_decision']['preflight']['instance'].get('latest_operation_request_id')
        # The operation the instance must still show when the run records it done: this run's start, or, when it was
        # RUNNING already, what the pre-flight saw.
        result = dict(outcome, changed=False, instance_request_id=(outcome['entry'] or {}).get('start_request_id') or preflight_request)
        if not outcome['ok']:
            return dict(result, **failed_at(outcome['error']))
        if task_vars.get('ansible_check_mode'):
            return result
        result['verify_started'] = time.time()
        answered = self._answer(args, task_vars, args['record_step'], rollback_request(result, task_vars), result['instance_request_id'])
        if answered.get('failed'):
            answered['snapshot_rollback_step'] = ANSWER_STEP
        return dict(result, **answered)

    def _final(self, args, task_vars):
        """Whether the batch's last read (the registered ``_snapshot_rollback_final_read``) shows this host's instance as the run left
        it; another client's work on it fails it. Then, with ``record_step``, writes the host's record at that step."""
        batch = task_vars['_snapshot_rollback_outcome']
        outcome = rules.batch_outcome(task_vars['_snapshot_rollback_final_read']['results'], task_vars['_snapshot_rollback_instance_id'],
                                      batch['instance_request_id'])
        result = dict(outcome, changed=False)
        if not outcome['ok']:
            result.update(failed=True, msg=outcome['message'], snapshot_rollback_step=FINAL_STEP)
        elif args.get('record_step'):
            try:
                result.update(changed=True, record=self._write_record(args, task_vars, args['record_step'], rollback_request(batch, task_vars),
                                                                      batch['instance_request_id']))
            except RecordNotWritten as error:
                result.update(failed=True, msg=str(error), snapshot_rollback_step=DONE_RECORD_STEP)
        return result

    @staticmethod
    def _journal(args, task_vars):
        """The host's journal entry, from ``facts`` and the host's registered results and facts: returned (the role registers it),
        published for AWX, and appended to the journal file.

        A record of the run, not a change: written in check mode too.
        """
        now, started = time.time(), float(task_vars['_snapshot_rollback_started'])
        decision, outcome = task_vars['_snapshot_rollback_decision'], task_vars['_snapshot_rollback_outcome']
        entry = rules.journal_entry(dict(
            args['facts'], preflight=decision.get('preflight'), decision=decision, plan=decision.get('plan') or [], batch=outcome,
            verify_started=outcome.get('verify_started'), started=started, restarted=task_vars['_snapshot_rollback_restarted'],
            failed=task_vars['_snapshot_rollback_failed'], deleted_backup_ids=(task_vars.get('_snapshot_rollback_retention') or {}).get('snapshots') or [],
            check_mode=bool(task_vars.get('ansible_check_mode')), now=now, now_iso=iso_time(now), started_iso=iso_time(started)))
        if task_vars.get('snapshot_rollback_journal_path'):
            append_to_journal(task_vars['snapshot_rollback_journal_path'], entry)
        return dict(entry, changed=False, ansible_stats={
            'data': {'snapshot_rollback_journal': {task_vars['inventory_hostname']: entry}}, 'per_host': False, 'aggregate': True})

    @staticmethod
    def _summary(args, task_vars):
        """Every host of the pattern with what this run knows of it, published for AWX and shown; ``fail_message`` says why the
        run ends failed over the hosts it leaves unfinished, if it does (the role's next task fails with it)."""
        hostvars, play_hosts, run_id = task_vars['hostvars'], task_vars['ansible_play_hosts_all'], task_vars['_snapshot_rollback_run_id']
        entries = [hostvars[host]['_snapshot_rollback_entry'] for host in play_hosts if '_snapshot_rollback_entry' in hostvars[host]]
        summary = rules.summary(task_vars['_snapshot_rollback_scope']['hosts'], play_hosts, entries, args['results'], run_id)
        own = task_vars['_snapshot_rollback_entry']
        if task_vars.get('ansible_check_mode'):
            fail = summary['failed'] and 'The check failed for %d of %d hosts - %s' % (
                len(summary['failed']), len(summary['hosts']), '; '.join(summary['failed']))
        else:
            unfinished = summary['unfinished']
            resumed = all((task_vars.get('snapshot_rollback_run_id'), own['error'] is None, own['outcome'] != 'checked'))
            fail = resumed and unfinished and 'Run %s is not finished: %s of the pattern %s not rolled back in it' % (
                run_id, ', '.join(unfinished), 'are' if len(unfinished) > 1 else 'is')
        # Nested: the summary's own "failed" (the hosts that failed) must not read as this task's failure.
        return {'changed': False, 'summary': summary, 'msg': summary['table'], 'fail_message': fail or None, '_ansible_verbose_always': True,
                'ansible_stats': {'data': {'snapshot_rollback_summary': summary}, 'per_host': False, 'aggregate': False}}


def failed_at(error):
    """A step's failed result for an ``error`` of rules.rollback_outcome(): the role's step, the message, the code, the request id."""
    return {'failed': True, 'msg': error['message'], 'snapshot_rollback_step': error['step'], 'error_code': error['error_code'],
            'request_id': error['request_id']}


def rollback_request(outcome, task_vars):
    """The rollback a record after the start vouches for: this run's (in the host's ``outcome`` of the batch's run), or the one
    the decision took as this run's."""
    return (outcome.get('entry') or {}).get('request_id') or task_vars['_snapshot_rollback_decision'].get('rollback_request_id')


def checked_hosts(play_hosts, batch):
    """The hosts whose input a batch checks: every host of the play in the first batch (a bad value in a later host's variables
    must not wait for its turn), the batch's own later (reading every host's variables in every batch grows with the square of
    the fleet)."""
    return play_hosts if batch[0] == play_hosts[0] else batch


class RecordNotWritten(Exception):
    """The host answered, but its record could not be written."""


def iso_time(seconds):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seconds))


def append_to_journal(path, entry):
    """Append `entry` to the JSON list in `path`, readable by all, under a lock on its directory: the hosts of a batch
    write at the same time. The new list is written beside the file and renamed over it, so a reader never sees half a
    journal."""
    path = os.path.realpath(os.path.expanduser(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    directory = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        entries = []
        if os.path.exists(path):
            with open(path, encoding='utf-8') as handle:
                entries = json.load(handle)
        with open(path + '.new', 'w', encoding='utf-8') as handle:
            json.dump(entries + [entry], handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.chmod(path + '.new', 0o644)
        os.replace(path + '.new', path)
    finally:
        os.close(directory)
