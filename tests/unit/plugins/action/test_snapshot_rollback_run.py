# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's bookkeeping action, step by step, with the variables a play hands it (plugins/action/snapshot_rollback_run.py)."""

from __future__ import annotations

import json
import os
import threading
import types

import pytest

from ansible.errors import AnsibleConnectionFailure
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

from ansible_collections.tencentcloud.lighthouse.plugins.action import snapshot_rollback_run as action
from ansible_collections.tencentcloud.lighthouse.plugins.action.snapshot_rollback_run import ActionModule

ROLE_PATH = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'snapshot_rollback')
RUN = '20240601T101500Z-3f2a'


def run_step(args, task_vars, check_mode=False):
    """The action's result for `args`, run as Ansible runs it (a task, a connection that needs no temporary directory)."""
    task = types.SimpleNamespace(args=args, async_val=0, check_mode=check_mode, action='tencentcloud.lighthouse.snapshot_rollback_run')
    connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir='/nowhere'))
    return ActionModule(task, connection, None, None, None, None).run(task_vars=dict(task_vars, ansible_check_mode=check_mode))


def host(number, name=None, **variables):
    """A host's variables once the role has started it (prepare.yml): its inventory variables and the role's facts."""
    return dict({'lighthouse_instance_id': 'lhins-%08d' % number, 'lighthouse_inventory_position': number, 'inventory_hostname': name,
                 '_snapshot_rollback_instance_id': 'lhins-%08d' % number, '_snapshot_rollback_region': ''}, **variables)


def play(hosts=3, batch=(0,), **extra):
    """The variables of the play's first batch host: every host web-1.. with its instance, the role's defaults."""
    names = ['web-%d' % number for number in range(1, hosts + 1)]
    hostvars = dict((name, host(number, name)) for number, name in enumerate(names, 1))
    task_vars = {'ansible_play_hosts_all': names, 'ansible_play_batch': [names[index] for index in batch], 'hostvars': hostvars,
                 'inventory_hostname': names[batch[0]], 'playbook_dir': '/playbooks', 'role_path': ROLE_PATH,
                 '_snapshot_rollback_playbook_variables': ['snapshot_rollback_hosts'], '_snapshot_rollback_run_id': RUN,
                 'snapshot_rollback_serial': 1, 'snapshot_rollback_snapshot_name': 'baseline'}
    task_vars.update(extra)
    return task_vars


def check_args(task_vars, pattern_hosts=None, **values):
    return {'step': 'check', 'pattern': 'all', 'pattern_hosts': task_vars['ansible_play_hosts_all'] if pattern_hosts is None else pattern_hosts,
            'strict': True, 'values': dict({'serial': 1, 'snapshot_id': None, 'snapshot_name': 'baseline', 'wait_timeout': 1200}, **values)}


def test_an_unknown_step_fails_naming_the_steps():
    result = run_step({'step': 'guess'}, play())
    assert result['failed'] is True
    assert result['msg'] == "step is 'guess'; expected one of check, look, record, calls, outcome, final, restore, journal, summary"


def test_check_passes_and_shows_the_run_id_the_order_and_the_fleet():
    task_vars = play(hosts=3)
    result = run_step(check_args(task_vars, ['web-1', 'web-2', 'web-3', 'db-1']), dict(task_vars, hostvars=dict(
        task_vars['hostvars'], **{'db-1': host(9, 'db-1')})))
    assert 'failed' not in result
    assert result['msg'] == ['Run id: %s (generated; rerun with -e snapshot_rollback_run_id=%s to resume this run)' % (RUN, RUN),
                             'Host order: web-1 -> web-2 -> web-3', 'Left out by --limit: db-1', 'Now: web-1']
    given = run_step(check_args(task_vars), dict(task_vars, snapshot_rollback_run_id=RUN))
    assert given['msg'][0] == 'Run id: %s' % RUN
    assert [member['host'] for member in result['fleet']] == ['web-1', 'web-2', 'web-3', 'db-1']
    assert result['choices'] == dict((host, {'snapshot_name': 'baseline'}) for host in ('web-1', 'web-2', 'web-3'))


def test_check_gives_the_batch_pre_flight_one_run_per_region_each_instance_with_its_choice():
    task_vars = play(hosts=3, batch=(0, 1, 2))
    for name, region in (('web-1', 'ap-guangzhou'), ('web-2', 'ap-beijing'), ('web-3', 'ap-guangzhou')):
        task_vars['hostvars'][name]['_snapshot_rollback_region'] = region
    task_vars['hostvars']['web-3'].update(snapshot_rollback_snapshot_id='lhsnap-00000003', snapshot_rollback_snapshot_name='')
    result = run_step(check_args(task_vars, serial=3), task_vars)
    assert [(call['region'], call['hosts'], call['instances']) for call in result['preflight_calls']] == [
        ('ap-guangzhou', ['web-1', 'web-3'], [{'instance_id': 'lhins-00000001', 'snapshot_name': 'baseline'},
                                              {'instance_id': 'lhins-00000003', 'snapshot_id': 'lhsnap-00000003'}]),
        ('ap-beijing', ['web-2'], [{'instance_id': 'lhins-00000002', 'snapshot_name': 'baseline'}])]


def test_check_resolves_a_relative_cut_off_from_the_run_start_and_refuses_it_without_one():
    task_vars = play(hosts=2, batch=(0, 1))
    task_vars['hostvars']['web-2']['snapshot_rollback_created_before'] = '-15m'
    args = check_args(task_vars, snapshot_name=None, created_before='2024-06-01T10:00:00+08:00', serial=2)
    assert run_step(args, task_vars)['choices'] == {'web-1': {'created_before': '2024-06-01T02:00:00Z'},
                                                    'web-2': {'created_before': '2024-06-01T10:00:00Z'}}
    refused = run_step(args, dict(task_vars, _snapshot_rollback_run_id='deploy-42'))
    assert (refused['failed'], refused['snapshot_rollback_step']) == (True, "Check the role's variables")
    assert refused['msg'].startswith("Nothing was changed, because of the role's input: web-2: snapshot_rollback_created_before is '-15m'")


@pytest.mark.parametrize('changes, step, fragment', [
    ({'values': {'wait_timeout': 0}}, "Check the role's variables", 'snapshot_rollback_wait_timeout is 0; expected a number greater than 0'),
    ({'vars': {'snapshot_rollback_wait_timout': 5}}, "Check the role's variables", 'did you mean snapshot_rollback_wait_timeout?'),
    ({'pattern_hosts': ['web-1']}, "Check that the fleet's pattern covers the play's hosts", 'matches none of web-2, web-3 of this play'),
    ({'pattern_hosts': []}, "Check that the fleet's pattern covers the play's hosts", 'matches no host of the inventory'),
    ({'order': ['web-2', 'web-1', 'web-3']}, "Check that the play takes the hosts in the inventory plugin's order",
     'orders them web-1 -> web-2 -> web-3'),
    ({'batch': (1,)}, 'Check that every host of the earlier batches, in inventory order, finished in this run',
     'web-1 come before this batch (web-2)'),
    ({'values': {'serial': 2}}, "Check that this batch is the next one of the run's batches, in inventory order", 'batches are'),
])
def test_check_fails_at_the_first_problem_naming_the_roles_step(changes, step, fragment):
    task_vars = play(hosts=3, batch=changes.get('batch', (0,)), **changes.get('vars', {}))
    if 'order' in changes:
        task_vars.update(ansible_play_hosts_all=changes['order'], ansible_play_batch=changes['order'][:1], inventory_hostname='web-2')
    args = check_args(task_vars, changes.get('pattern_hosts'), **changes.get('values', {}))
    result = run_step(args, task_vars)
    assert result['failed'] is True and result['snapshot_rollback_step'] == step
    assert fragment in result['msg']
    assert [member['host'] for member in result['fleet']] == args['pattern_hosts']  # the summary still has the fleet


def test_check_goes_on_after_the_earlier_batches_finished():
    task_vars = play(hosts=2, batch=(1,))
    task_vars['hostvars']['web-1']['_snapshot_rollback_entry'] = {'outcome': 'rolled_back'}
    assert 'failed' not in run_step(check_args(task_vars), task_vars)
    task_vars['hostvars']['web-1']['_snapshot_rollback_entry'] = {'outcome': 'failed'}
    assert run_step(check_args(task_vars), task_vars)['failed'] is True
    # A check goes on past a host whose check failed.
    assert 'failed' not in run_step(check_args(task_vars), task_vars, check_mode=True)


def preflight(state='RUNNING'):
    return {'instance': {'instance_id': 'lhins-00000001', 'instance_state': state, 'latest_operation': 'StartInstances',
                         'latest_operation_state': 'SUCCESS', 'latest_operation_request_id': 'req-start'},
            'snapshot': {'snapshot_id': 'lhsnap-00000001', 'snapshot_name': 'baseline', 'latest_operation': 'CreateInstanceSnapshot',
                         'latest_operation_state': 'SUCCESS', 'latest_operation_request_id': 'req-create'}}


DECIDE_OPTIONS = {'stop_type': 'SOFT_FIRST', 'verify_timeout': 300, 'health_timeout': 120, 'marker_path': '/var/lib/x.json'}


def preflight_run(state='RUNNING', **entry):
    """The batch's registered pre-flight run, with web-1's instance in it."""
    return {'results': [{'item': {'instance_ids': ['lhins-00000001']}, 'elapsed': 0.4, 'instances': [dict(
        {'instance_id': 'lhins-00000001', 'failed': False, 'step': None, 'msg': None, 'error_code': None, 'error_request_id': None,
         'request_id': None}, **dict(preflight(state), **entry))]}]}


def look_args(directory, **extra):
    return record_args(directory, 'look', options=DECIDE_OPTIONS, **extra)


def look_facts(state='RUNNING', **entry):
    return play(_snapshot_rollback_instance_id='lhins-00000001', _snapshot_rollback_preflight=preflight_run(state, **entry),
                snapshot_rollback_adopt_rollback=False, _snapshot_rollback_scope={'choices': {'web-1': {'snapshot_name': 'baseline'}}})


def test_look_fails_each_host_of_a_batch_whose_input_check_failed(tmp_path):
    scope = {'msg': "Nothing was changed, because of the role's input: ...", 'snapshot_rollback_step': "Check the role's variables",
             'failed': False, 'failed_when_result': False}
    result = run_step(look_args(tmp_path), dict(look_facts(), _snapshot_rollback_scope=scope, _snapshot_rollback_preflight={'results': []}))
    assert (result['failed'], result['msg'], result['snapshot_rollback_step']) == (True, scope['msg'], "Check the role's variables")


def test_look_plans_a_stopped_host_without_asking_it_and_shows_the_plan_changed_in_check_mode_only(tmp_path):
    result = run_step(look_args(tmp_path), look_facts('STOPPED'))
    assert (result['resume'], result['changed'], result['_ansible_verbose_always'], result['probe']) == ('full', False, True, {})
    assert result['msg'] == result['plan'] and result['plan'][0] == 'roll it back to lhsnap-00000001 (baseline)'
    assert result['preflight']['instance'] == preflight('STOPPED')['instance'] and result['preflight']['elapsed'] == 0.4
    assert result['preflight']['snapshot'] == dict((key, preflight()['snapshot'].get(key)) for key in action.PREFLIGHT_KEYS['snapshot'])
    assert run_step(look_args(tmp_path), look_facts('STOPPED'), check_mode=True)['changed'] is True


def test_look_fails_a_host_whose_pre_flight_failed_naming_the_step_the_code_and_the_refused_call(tmp_path):
    facts = look_facts(failed=True, step='pre-flight', msg='the cloud denies it', error_code='UnauthorizedOperation.NoPermission',
                       error_request_id='req-denied')
    result = run_step(look_args(tmp_path), facts)
    assert (result['failed'], result['msg'], result['snapshot_rollback_step']) == (True, 'the cloud denies it',
                                                                                   'Pre-flight - check the snapshot against this instance')
    assert (result['error_code'], result['request_id']) == ('UnauthorizedOperation.NoPermission', 'req-denied')
    run = run_step(look_args(tmp_path), dict(facts, _snapshot_rollback_preflight={'results': [], 'failed': True}))
    assert run['snapshot_rollback_step'] == 'Pre-flight - check the snapshot against this instance'


def test_look_reads_the_record_on_a_running_host_and_plans_it(tmp_path):
    result = run_on_host(look_args(tmp_path / 'new' / 'dir'), look_facts(), FlakyLocal())
    assert (result['resume'], result['probe']) == ('full', {'changed': False, 'reachable': True, 'stdout': ''})
    assert result['plan'][:2] == ['stop it (SOFT_FIRST)', 'roll it back to lhsnap-00000001 (baseline)']


def test_look_refuses_a_host_another_run_works_on(tmp_path):
    record = json.dumps({'run_id': 'other-run', 'instance_id': 'lhins-00000001', 'snapshot_id': 'lhsnap-00000001', 'step': 'stopping',
                         'time': '2099-01-01T00:00:00Z'})
    (tmp_path / 'snapshot-rollback-lhins-00000001.json').write_text(record)
    result = run_on_host(look_args(tmp_path), look_facts(), FlakyLocal())
    assert (result['failed'], result['resume'], result['snapshot_rollback_step']) == (True, 'refuse', 'Check that no other run is working on this host')
    assert result['msg'].startswith('web-1 (lhins-00000001) is not touched: run other-run is working on it')
    assert result['probe']['stdout'] == record


def test_calls_take_the_batch_hosts_that_go_on_to_the_rollback():
    task_vars = play(hosts=3, batch=(0, 1, 2), _snapshot_rollback_scope={'fleet': [{'host': 'web-9', 'instance_id': 'lhins-00000009',
                                                                                    'region': ''}]})
    for name, in_batch in (('web-1', True), ('web-2', False), ('web-3', True)):
        task_vars['hostvars'][name].update(_snapshot_rollback_in_batch=in_batch, _snapshot_rollback_decision={'resume': 'start'})
    result = run_step({'step': 'calls'}, task_vars)
    assert [call['hosts'] for call in result['calls']] == [['web-1', 'web-3']]
    assert result['calls'][0]['fleet'] == [{'instance_id': 'lhins-00000009', 'region': None, 'name': 'web-9'}]


def apply_result(entry):
    return {'item': {'instance_ids': ['lhins-00000001']}, 'elapsed': 9.5, 'instances': [dict(
        {'instance_id': 'lhins-00000001', 'failed': False, 'step': None, 'msg': None, 'error_code': None, 'request_id': 'req-apply',
         'start_request_id': 'req-start-2'}, **entry)]}


def outcome_facts(entry, **extra):
    return play(_snapshot_rollback_instance_id='lhins-00000001', _snapshot_rollback_decision={'preflight': preflight(), 'resume': 'full'},
                _snapshot_rollback_batch={'results': [apply_result(entry)]}, **extra)


def test_outcome_in_check_mode_passes_on_the_entry_and_the_operation_the_instance_must_still_show(tmp_path):
    result = run_step(outcome_args(tmp_path), outcome_facts({}), check_mode=True)
    assert (result['ok'], result['touched'], result['instance_request_id'], result['elapsed']) == (True, True, 'req-start-2', 9.5)
    assert 'failed' not in result and 'verify_started' not in result
    already_running = run_step(outcome_args(tmp_path), outcome_facts({'start_request_id': None}), check_mode=True)
    assert already_running['instance_request_id'] == 'req-start'


def test_outcome_of_a_failed_rollback_fails_naming_the_roles_step_code_and_request(tmp_path):
    entry = {'failed': True, 'step': 'rollback', 'msg': 'the rollback failed', 'error_code': 'OperationFailed', 'rolled_back': False}
    result = run_step(outcome_args(tmp_path), outcome_facts(entry))
    assert (result['failed'], result['msg'], result['touched']) == (True, 'the rollback failed', True)
    assert result['snapshot_rollback_step'] == 'Roll the system disk back and wait until it is done'
    assert (result['error_code'], result['request_id']) == ('OperationFailed', 'req-apply')
    assert not (tmp_path / 'snapshot-rollback-lhins-00000001.json').exists()


def test_final_fails_a_host_whose_instance_another_client_worked_on(tmp_path):
    read = {'item': {'instance_ids': ['lhins-00000001']}, 'instances': [{'instance_id': 'lhins-00000001', 'latest_operation': 'RebootInstances',
                                                                         'latest_operation_request_id': 'req-reboot'}]}
    task_vars = host_facts(_snapshot_rollback_outcome={'instance_request_id': 'req-start-2', 'entry': {'request_id': 'req-apply'}},
                           _snapshot_rollback_final_read={'results': [read]})
    result = run_on_host(record_args(tmp_path, 'final', record_step='done'), task_vars, FlakyLocal())
    assert (result['failed'], result['foreign']) == (True, True)
    assert result['snapshot_rollback_step'] == "Check that the last rollback of the host's instance is this run's"
    assert not (tmp_path / 'snapshot-rollback-lhins-00000001.json').exists()
    read['instances'][0]['latest_operation_request_id'] = 'req-start-2'
    assert run_step({'step': 'final'}, task_vars)['ok'] is True
    result = run_on_host(record_args(tmp_path, 'final', record_step='done'), task_vars, FlakyLocal())
    record = json.loads((tmp_path / 'snapshot-rollback-lhins-00000001.json').read_text())
    assert result['changed'] is True and (record['step'], record['rollback_request_id'], record['instance_request_id']) == (
        'done', 'req-apply', 'req-start-2')


JOURNAL_FACTS = {'run_id': RUN, 'host': 'web-1', 'instance_id': 'lhins-00000001', 'snapshot_id': None, 'snapshot_name': 'baseline'}


def journal_vars(**changes):
    """The host's registered results and facts the journal step reads."""
    return play(**dict({'_snapshot_rollback_decision': {'resume': 'full', 'reason': 'it is to be rolled back', 'plan': ['start it'],
                                                        'preflight': dict(preflight(), elapsed=0.4)},
                        '_snapshot_rollback_outcome': {'entry': {'request_id': 'req-apply'}, 'elapsed': 9.5, 'verify_started': 1717236910.0},
                        '_snapshot_rollback_started': '1717236900.0', '_snapshot_rollback_restarted': None, '_snapshot_rollback_failed': None,
                        '_snapshot_rollback_retention': {'snapshots': ['lhsnap-00000009']}}, **changes))


def test_journal_publishes_the_entry_and_appends_it_to_the_file(tmp_path):
    path = str(tmp_path / 'logs' / 'journal.json')
    task_vars = journal_vars(snapshot_rollback_journal_path=path)
    first = run_step({'step': 'journal', 'facts': JOURNAL_FACTS}, task_vars)
    second = run_step({'step': 'journal', 'facts': dict(JOURNAL_FACTS, host='web-2')}, task_vars, check_mode=True)
    with open(path, encoding='utf-8') as handle:
        written = json.load(handle)
    assert [entry['outcome'] for entry in written] == ['rolled_back', 'planned']
    assert first['changed'] is False and first['outcome'] == 'rolled_back' and first['started'] == '2024-06-01T10:15:00Z'
    assert (first['plan'], first['snapshot_id'], first['deleted_backup_ids']) == (['start it'], 'lhsnap-00000001', ['lhsnap-00000009'])
    assert (first['seconds']['preflight'], first['seconds']['batch'], first['seconds']['verify'] > 0) == (0.4, 9.5, True)
    assert first['ansible_stats'] == {'data': {'snapshot_rollback_journal': {'web-1': written[0]}}, 'per_host': False, 'aggregate': True}
    assert second['request_ids']['rollback'] == 'req-apply'
    assert oct(os.stat(path).st_mode & 0o777) == '0o644'


def test_journal_of_a_failure_tells_its_step(tmp_path):
    failed = {'task': 'Run the command health checks on the host', 'result': {'msg': 'rc 1'}}
    result = run_step({'step': 'journal', 'facts': JOURNAL_FACTS}, journal_vars(_snapshot_rollback_failed=failed))
    assert result['outcome'] == 'failed' and result['error']['step'] == 'Run the command health checks on the host'


def test_hosts_writing_the_journal_at_once_lose_no_entry(tmp_path):
    path = str(tmp_path / 'journal.json')
    threads = [threading.Thread(target=action.append_to_journal, args=(path, {'host': 'web-%d' % number})) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(path, encoding='utf-8') as handle:
        assert sorted(entry['host'] for entry in json.load(handle)) == sorted('web-%d' % number for number in range(20))


def summary_vars(**changes):
    task_vars = play(hosts=2, _snapshot_rollback_scope={'hosts': ['web-1', 'web-2']}, **changes)
    task_vars['hostvars']['web-1']['_snapshot_rollback_entry'] = {'host': 'web-1', 'outcome': 'rolled_back', 'error': None}
    task_vars['hostvars']['web-2']['_snapshot_rollback_entry'] = {'host': 'web-2', 'outcome': 'failed', 'restarted': None,
                                                                  'error': {'step': 'Pre-flight', 'message': 'no such snapshot'}}
    task_vars['_snapshot_rollback_entry'] = task_vars['hostvars']['web-2']['_snapshot_rollback_entry']
    return task_vars


def test_summary_shows_and_publishes_every_host():
    result = run_step({'step': 'summary', 'results': []}, summary_vars())
    assert result['msg'] == ['host   status', 'web-1  rolled back', 'web-2  failed at "Pre-flight"']
    assert result['ansible_stats']['aggregate'] is False and result['ansible_stats']['data']['snapshot_rollback_summary']['unfinished'] == ['web-2']
    # The failed host fails the run itself; a summary that is only incomplete fails it only for a resumed run.
    assert result['fail_message'] is None


def test_summary_fails_a_check_with_a_failed_host_and_a_resumed_run_left_unfinished():
    check = run_step({'step': 'summary', 'results': []}, summary_vars(), check_mode=True)
    assert check['fail_message'] == 'The check failed for 1 of 2 hosts - web-2 at "Pre-flight": no such snapshot'
    task_vars = summary_vars(snapshot_rollback_run_id=RUN)
    task_vars['hostvars']['web-2']['_snapshot_rollback_entry'] = {'host': 'web-2', 'outcome': 'skipped', 'error': None}
    del task_vars['hostvars']['web-1']['_snapshot_rollback_entry']
    task_vars['_snapshot_rollback_entry'] = task_vars['hostvars']['web-2']['_snapshot_rollback_entry']
    result = run_step({'step': 'summary', 'results': []}, task_vars)
    assert result['fail_message'] == 'Run %s is not finished: web-1 of the pattern is not rolled back in it' % RUN


class FlakyLocal:
    """Ansible's local connection that cannot reach the host for its first ``down`` commands, as a host coming back."""

    def __init__(self, down=0):
        self.play_context = PlayContext()
        self.local = connection_loader.get('local', self.play_context, os.devnull)
        self.down, self.resets = down, 0

    def exec_command(self, cmd, in_data=None, sudoable=True):
        if self.down:
            self.down -= 1
            raise AnsibleConnectionFailure('ssh: connect to host web-1 port 22: Connection refused')
        return self.local.exec_command(cmd, in_data=in_data, sudoable=sudoable)

    def reset(self):
        self.resets += 1

    def __getattr__(self, name):
        return getattr(self.local, name)


def run_on_host(args, task_vars, connection):
    """The result of a step that runs a command on the host, through ``connection``."""
    task = types.SimpleNamespace(args=args, async_val=0, check_mode=False, action='tencentcloud.lighthouse.snapshot_rollback_run',
                                 environment=None, no_log=False, become=False, become_user=None)
    action_module = ActionModule(task, connection, connection.play_context, DataLoader(), None, None)
    return action_module.run(task_vars=dict(task_vars, ansible_check_mode=False))


def host_facts(probe=None, **extra):
    return play(_snapshot_rollback_instance_id='lhins-00000001', _snapshot_rollback_decision={'preflight': preflight(), 'probe': probe or {}},
                **extra)


def record_args(directory, step='record', **extra):
    return dict({'step': step, 'marker_dir': str(directory), 'marker_path': str(directory / 'snapshot-rollback-lhins-00000001.json'),
                 'connection_check': True, 'connection_timeout': 10}, **extra)


def test_look_fails_a_host_that_cannot_keep_the_record_naming_the_directory(tmp_path):
    result = run_on_host(look_args(tmp_path, marker_dir='/dev/null', marker_path='/dev/null/x.json'), look_facts(), FlakyLocal())
    assert (result['failed'], result['snapshot_rollback_step']) == (True, 'Check that the host answers and can keep the record')
    assert result['msg'].startswith('web-1 is RUNNING but cannot keep the rollback record: /dev/null is not a directory the connection user')
    assert result['msg'].endswith('(snapshot_rollback_marker_dir is /dev/null)')


def test_look_fails_a_host_that_does_not_answer_unless_the_connection_check_is_off(tmp_path):
    result = run_on_host(look_args(tmp_path), look_facts(), FlakyLocal(down=1))
    assert (result['failed'], result['reachable']) == (True, False)
    assert result['msg'].startswith('web-1 is RUNNING but does not answer over its connection within 10 s: ssh: connect to host web-1')
    result = run_on_host(look_args(tmp_path, connection_check=False), look_facts(), FlakyLocal(down=1))
    assert 'failed' not in result and result['probe']['reachable'] is False and result['resume'] == 'full'


def test_record_writes_the_run_the_step_and_the_requests_readable_by_all(tmp_path):
    args = record_args(tmp_path / 'records', record_step='stopping', rollback_request_id='req-create')
    result = run_on_host(args, host_facts(), FlakyLocal())
    path = tmp_path / 'records' / 'snapshot-rollback-lhins-00000001.json'
    record = json.loads(path.read_text())
    assert result['changed'] is True and json.loads(result['record']) == record
    assert {key: record[key] for key in ('run_id', 'instance_id', 'snapshot_id', 'step', 'rollback_request_id', 'instance_request_id')} == {
        'run_id': RUN, 'instance_id': 'lhins-00000001', 'snapshot_id': 'lhsnap-00000001', 'step': 'stopping',
        'rollback_request_id': 'req-create', 'instance_request_id': None}
    assert oct(path.stat().st_mode & 0o777) == '0o644' and not os.path.exists(str(path) + '.new')


def test_record_fails_when_the_host_cannot_write_it(tmp_path):
    result = run_on_host(record_args(tmp_path, marker_dir='/dev/null', marker_path='/dev/null/x.json', record_step='stopping'), host_facts(),
                         FlakyLocal())
    assert result['failed'] is True and result['msg'].startswith('the record /dev/null/x.json could not be written: ')


def outcome_args(directory, timeout=30):
    return record_args(directory, 'outcome', record_step='done', timeout=timeout)


def test_outcome_waits_for_the_host_then_writes_the_record_with_the_start(tmp_path, monkeypatch):
    monkeypatch.setattr(action, 'ANSWER_INTERVAL', 0)
    connection = FlakyLocal(down=2)
    result = run_on_host(outcome_args(tmp_path), outcome_facts({}), connection)
    record = json.loads((tmp_path / 'snapshot-rollback-lhins-00000001.json').read_text())
    assert (result['changed'], connection.resets, connection.down) == (True, 3, 0)
    assert (record['step'], record['rollback_request_id'], record['instance_request_id']) == ('done', 'req-apply', 'req-start-2')
    assert result['elapsed'] >= 0 and result['verify_started'] > 0 and result['ok'] is True


def test_outcome_fails_naming_the_timeout_when_the_host_never_answers(tmp_path, monkeypatch):
    clock = iter(range(0, 1000, 4))
    monkeypatch.setattr(action.time, 'monotonic', lambda: next(clock))
    monkeypatch.setattr(action.time, 'sleep', lambda seconds: None)
    result = run_on_host(outcome_args(tmp_path, timeout=10), outcome_facts({}), FlakyLocal(down=100))
    assert (result['failed'], result['snapshot_rollback_step']) == (True, 'Wait until the host answers, and record on it that this run rolled it back')
    assert result['msg'].startswith('web-1 did not answer over its connection within 10 s of its start: ssh: connect to host web-1')
    assert not (tmp_path / 'snapshot-rollback-lhins-00000001.json').exists()


def test_restore_puts_the_record_back_as_the_probe_found_it(tmp_path):
    path = tmp_path / 'snapshot-rollback-lhins-00000001.json'
    path.write_text('{"step": "stopping", "run_id": "this-run"}')
    found = '{"step": "done", "run_id": "earlier-run"}\n'
    result = run_on_host(record_args(tmp_path, 'restore'), host_facts({'reachable': True, 'stdout': found}), FlakyLocal())
    assert result['changed'] is True and path.read_text() == found
    run_on_host(record_args(tmp_path, 'restore'), host_facts({'reachable': True, 'stdout': ''}), FlakyLocal())
    assert not path.exists()
    result = run_on_host(record_args(tmp_path, 'restore'), host_facts({'stdout': ''}), FlakyLocal(down=1))
    assert result['changed'] is False and 'failed' not in result
