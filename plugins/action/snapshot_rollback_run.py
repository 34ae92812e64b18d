# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot_rollback role's bookkeeping, on the controller: its input checks, each host's decision and journal entry.

Internal to the role (documented in plugins/modules/snapshot_rollback_run.py); the rules are the functions of
plugins/filter/snapshot_rollback.py, which have unit tests of their own.
"""

from __future__ import annotations

import fcntl
import json
import os

import yaml

from ansible.plugins.action import ActionBase

from ansible_collections.tencentcloud.lighthouse.plugins.filter import snapshot_rollback as rules

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


class ActionModule(ActionBase):
    """``step: check`` (run once per batch), ``step: decide`` and ``step: journal`` (per host); see the module's documentation."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('step', 'values', 'pattern', 'pattern_hosts', 'strict', 'record', 'run_id', 'preflight', 'adopt',
                             'options', 'facts', 'journal_path'))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        steps = {'check': self._check, 'decide': self._decide, 'journal': self._journal}
        if args.get('step') not in steps:
            return dict(result, failed=True, msg='step is %r; expected one of %s' % (args.get('step'), ', '.join(steps)))
        result.update(steps[args['step']](args, task_vars))
        return result

    def _check(self, args, task_vars):
        """The input of every host to check (all of them in the first batch), the fleet's pattern, the order and the batch."""
        play_hosts, batch, hostvars = task_vars['ansible_play_hosts_all'], task_vars['ansible_play_batch'], task_vars['hostvars']
        hosts = play_hosts if batch[0] == play_hosts[0] else batch
        given = [name for name in task_vars if name.startswith(ROLE_VARIABLE_PREFIX)]
        problems = rules.check_hosts(hosts, hostvars, given, self._known_variables(task_vars), args['values'], task_vars['playbook_dir'])
        if problems:
            return _failed('input', "Nothing was changed, because of the role's input: %s" % '; '.join(problems))
        pattern, pattern_hosts = args['pattern'], args['pattern_hosts']
        missing = [host for host in play_hosts if host not in pattern_hosts]
        if not pattern_hosts or missing:
            return _failed('scope', (
                'Nothing was changed: the fleet\'s host pattern "%s" (snapshot_rollback_scope, else snapshot_rollback_hosts) matches %s; '
                'expected the play\'s host pattern, or one that takes in every host of the play, so that the fleet guard sees every '
                'instance this run may take down.') % (pattern, 'no host of the inventory' if not pattern_hosts else
                                                      'none of %s of this play' % ', '.join(missing)))
        if not args['strict']:
            return {'changed': False}
        order = rules.order_problem(play_hosts, hostvars)
        if order:
            return _failed('order', order)
        in_batches = rules.batch_problem(batch, play_hosts, args['values']['serial'])
        if in_batches:
            return _failed('batch', in_batches)
        # A check goes on past a host whose pre-flight failed; a real run never goes past a failed host.
        finished = set(host for host in play_hosts if (hostvars[host].get('_snapshot_rollback_entry') or {}).get('outcome')
                       not in (None,) + (() if task_vars.get('ansible_check_mode') else ('failed',)))
        unfinished = [host for host in play_hosts[:play_hosts.index(batch[0])] if host not in finished]
        if unfinished:
            return _failed('earlier', (
                '%s come before this batch (%s) in inventory order but did not finish in this run: run the play with "order: inventory" '
                'and "max_fail_percentage: 0", or set snapshot_rollback_strict_serial to false.') % (', '.join(unfinished), ', '.join(batch)))
        return {'changed': False}

    def _known_variables(self, task_vars):
        """The role's variables (its argument spec) and the shipped playbook's."""
        with open(os.path.join(task_vars['role_path'], 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
            spec = yaml.safe_load(handle)
        return list(spec['argument_specs']['main']['options']) + list(task_vars['_snapshot_rollback_playbook_variables'])

    def _decide(self, args, task_vars):
        """Where this host continues, from its record and the pre-flight's view of the cloud; refuse a host another run works on."""
        record = rules.parse_record(args['record']) if args.get('record') is not None else None
        preflight = args['preflight']
        decision = rules.decide(record, args['run_id'], preflight['instance'], preflight['snapshot'], args.get('adopt', False))
        plan = rules.plan(decision, preflight['instance'], preflight['snapshot'], args['options'])
        result = dict(decision, plan=plan, msg=plan, changed=bool(task_vars.get('ansible_check_mode')) and decision['resume'] != rules.RESUME_DONE,
                      _ansible_verbose_always=True)
        if decision['resume'] == rules.RESUME_REFUSE:
            result.update(failed=True, snapshot_rollback_step=REFUSED_STEP, msg='%s (%s) is not touched: %s' % (
                task_vars['inventory_hostname'], preflight['instance'].get('instance_id'), decision['reason']))
        return result

    def _journal(self, args, task_vars):
        """The host's journal entry: returned (registered by the role), published for AWX, and appended to the journal file."""
        entry = rules.journal_entry(args['facts'])
        if args.get('journal_path'):
            append_to_journal(args['journal_path'], entry)
        return dict(entry, changed=False, ansible_stats={
            'data': {'snapshot_rollback_journal': {task_vars['inventory_hostname']: entry}}, 'per_host': False, 'aggregate': True})


def _failed(check, message):
    return {'failed': True, 'msg': message, 'snapshot_rollback_step': CHECK_STEPS[check]}


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
