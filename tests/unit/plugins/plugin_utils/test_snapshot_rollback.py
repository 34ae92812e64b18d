# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the snapshot_rollback role's rules (plugins/plugin_utils/_snapshot_rollback.py): pure functions, so data tables."""

from __future__ import annotations

import base64
import json
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentcloud.lighthouse.plugins.filter.snapshot_rollback_checked_serial import FilterModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.plugin_utils import _snapshot_rollback as sr

RUN = 'run-1'
INSTANCE_ID = 'lhins-aaaaaaaa'
SNAPSHOT_ID = 'lhsnap-aaaaaaaa'
ROLLBACK_REQUEST = 'req-rollback'

# The variable names the role knows: its argument spec's options and the shipped playbook's.
KNOWN = ['snapshot_rollback_%s' % name for name in (
    'snapshot_id', 'snapshot_name', 'stop_type', 'wait_timeout', 'backup', 'backup_name',
    'verify_timeout', 'health_checks', 'health_timeout', 'health_interval', 'pre_tasks', 'verify_tasks', 'post_tasks',
    'run_id', 'strict_serial', 'marker_dir', 'journal_path', 'adopt_rollback', 'restart_on_failure', 'connection_check',
    'connection_timeout', 'scope', 'scope_tags', 'max_unavailable', 'hosts', 'serial', 'created_before', 'name_pattern', 'undo_run_id',
    'keep_backups')]


def running(**changes):
    """An instance as the pre-flight returns it: RUNNING, last operation a successful start."""
    instance = {'instance_id': INSTANCE_ID, 'instance_state': 'RUNNING', 'latest_operation': 'StartInstances',
                'latest_operation_state': 'SUCCESS', 'latest_operation_request_id': 'req-start'}
    instance.update(changes)
    return instance


def stopped(**changes):
    return running(**dict({'instance_state': 'STOPPED', 'latest_operation': 'ApplyInstanceSnapshot',
                           'latest_operation_request_id': ROLLBACK_REQUEST}, **changes))


def rolled_back_snapshot(**changes):
    """A snapshot whose latest operation is a successful rollback (request ROLLBACK_REQUEST)."""
    snapshot = {'snapshot_id': SNAPSHOT_ID, 'snapshot_name': 'baseline', 'latest_operation': 'ApplyInstanceSnapshot',
                'latest_operation_state': 'SUCCESS', 'latest_operation_request_id': ROLLBACK_REQUEST}
    snapshot.update(changes)
    return snapshot


def fresh_snapshot(**changes):
    """A snapshot never rolled back to: its latest operation is its creation."""
    return rolled_back_snapshot(**dict({'latest_operation': 'CreateInstanceSnapshot', 'latest_operation_request_id': 'req-create'},
                                       **changes))


def make_record(run_id, instance_id, snapshot_id, step, rollback_request_id=None, time=None, instance_request_id=None):
    """A record as the role writes it on the guest (the record steps of plugins/action/snapshot_rollback_run.py)."""
    return {'run_id': run_id, 'instance_id': instance_id, 'snapshot_id': snapshot_id, 'step': step,
            'rollback_request_id': rollback_request_id, 'instance_request_id': instance_request_id, 'time': time}


def record(step, run_id=RUN, instance_id=INSTANCE_ID, snapshot_id=SNAPSHOT_ID, rollback_request_id=ROLLBACK_REQUEST,
           instance_request_id='req-start'):
    """A record as the role writes it; by default it names the snapshot's rollback and the instance's latest start."""
    return make_record(run_id, instance_id, snapshot_id, step, rollback_request_id, '2024-06-01T10:15:00Z', instance_request_id)


# ---------------------------------------------------------------------------------------------------------------------
# check_variables


def test_check_variables_accepts_known_names_and_good_values(tmp_path):
    values = {'wait_timeout': 1200, 'verify_timeout': '300', 'health_timeout': 0.5, 'health_interval': 5,
              'connection_timeout': 10, 'max_unavailable': 1, 'pre_tasks': None, 'verify_tasks': '', 'post_tasks': None,
              'journal_path': None, 'health_checks': []}
    assert sr.check_variables(['snapshot_rollback_snapshot_name', 'snapshot_rollback_hosts'], KNOWN, values, str(tmp_path)) == []


def test_check_variables_accepts_empty_input(tmp_path):
    assert sr.check_variables([], KNOWN, {}, str(tmp_path)) == []


@pytest.mark.parametrize('given, expected', [
    ('snapshot_rollback_snaphot_id', 'snapshot_rollback_snapshot_id'),
    ('snapshot_rollback_wait_timout', 'snapshot_rollback_wait_timeout'),
    ('snapshot_rollback_helth_checks', 'snapshot_rollback_health_checks'),
    ('snapshot_rollback_journal', 'snapshot_rollback_journal_path'),
], ids=['snapshot-id-typo', 'wait-timeout-typo', 'health-checks-typo', 'journal-truncated'])
def test_check_variables_suggests_the_close_known_name(tmp_path, given, expected):
    assert sr.check_variables([given], KNOWN, {}, str(tmp_path)) == ['unknown variable %s; did you mean %s?' % (given, expected)]


def test_check_variables_names_an_unknown_variable_without_a_close_match(tmp_path):
    given = 'snapshot_rollback_' + 'z' * 40
    assert sr.check_variables([given], KNOWN, {}, str(tmp_path)) == ['unknown variable %s' % given]


@pytest.mark.parametrize('given', ['snapshot_rollback_x', 'snapshot_rollback_foo', 'snapshot_rollback_notify_slack_channel',
                                   'snapshot_rollback_parallelism'],
                         ids=['x', 'foo', 'notify-slack-channel', 'parallelism'])
def test_check_variables_suggests_nothing_for_an_unrelated_name(tmp_path, given):
    assert sr.check_variables([given], KNOWN, {}, str(tmp_path)) == ['unknown variable %s' % given]


def test_check_variables_reports_each_unknown_name_once_sorted(tmp_path):
    given = ['snapshot_rollback_' + 'z' * 40, 'snapshot_rollback_snaphot_id', 'snapshot_rollback_snaphot_id', 'snapshot_rollback_backup']
    assert sr.check_variables(given, KNOWN, {}, str(tmp_path)) == [
        'unknown variable snapshot_rollback_snaphot_id; did you mean snapshot_rollback_snapshot_id?',
        'unknown variable snapshot_rollback_' + 'z' * 40,
    ]


BAD_NUMBERS = [(0, '0'), (-1, '-1'), ('abc', "'abc'"), (True, 'True'), (False, 'False'), ('0', "'0'"), ('', "''"), ([5], '[5]'),
               (-0.5, '-0.5')]


@pytest.mark.parametrize('option', sr.POSITIVE_NUMBERS)
@pytest.mark.parametrize('value, shown', BAD_NUMBERS, ids=[shown for dummy, shown in BAD_NUMBERS])
def test_check_variables_rejects_a_number_that_is_not_positive(tmp_path, option, value, shown):
    assert sr.check_variables([], KNOWN, {option: value}, str(tmp_path)) == [
        'snapshot_rollback_%s is %s; expected a number greater than 0' % (option, shown)]


@pytest.mark.parametrize('option', sr.POSITIVE_NUMBERS)
@pytest.mark.parametrize('value', [1, 0.5, '30', 1200, None], ids=['1', '0.5', "'30'", '1200', 'unset'])
def test_check_variables_accepts_a_positive_number(tmp_path, option, value):
    assert sr.check_variables([], KNOWN, {option: value}, str(tmp_path)) == []


@pytest.mark.parametrize('serial', [1, '5', '25%', '100%', [1, 10, '25%'], ['1']], ids=['1', "'5'", '25%', '100%', 'canary', 'list'])
def test_check_variables_accepts_a_serial(tmp_path, serial):
    assert sr.check_variables([], KNOWN, {'serial': serial}, str(tmp_path)) == []


@pytest.mark.parametrize('serial', [0, -1, '0%', '101%', '2.5', 'all', True, None, [], [1, 0], [1, 'x%']],
                         ids=['0', '-1', '0%', '101%', '2.5', 'all', 'true', 'none', 'empty-list', 'list-with-0', 'list-with-bad'])
def test_check_variables_rejects_a_bad_serial_naming_it(tmp_path, serial):
    assert sr.check_variables([], KNOWN, {'serial': serial}, str(tmp_path)) == [
        'snapshot_rollback_serial is %r; expected a number of hosts greater than 0, a percentage such as "25%%", '
        'or a list of them such as [1, 10, "25%%"]' % (serial,)]


def test_check_variables_checks_every_positive_number_option():
    assert sr.POSITIVE_NUMBERS == ('wait_timeout', 'verify_timeout', 'health_timeout', 'health_interval', 'connection_timeout',
                                   'max_unavailable')


def test_check_variables_reports_every_bad_number_in_option_order(tmp_path):
    values = dict.fromkeys(sr.POSITIVE_NUMBERS, 0)
    assert sr.check_variables([], KNOWN, values, str(tmp_path)) == [
        'snapshot_rollback_%s is 0; expected a number greater than 0' % option for option in sr.POSITIVE_NUMBERS]


@pytest.mark.parametrize('option', sr.TASK_FILES)
@pytest.mark.parametrize('absolute', [False, True], ids=['relative', 'absolute'])
def test_check_variables_reports_a_missing_task_file(tmp_path, option, absolute):
    playbook_dir = tmp_path / 'playbooks'
    playbook_dir.mkdir()
    (tmp_path / 'drain.yml').write_text('[]\n')  # next to, not in, the playbook directory
    path = str(tmp_path / 'tasks' / 'drain.yml') if absolute else 'drain.yml'
    assert sr.check_variables([], KNOWN, {option: path}, str(playbook_dir)) == [
        'snapshot_rollback_%s is %r, but no such file exists (a path is absolute or relative to the playbook directory %s)'
        % (option, path, playbook_dir)]


@pytest.mark.parametrize('option', sr.TASK_FILES)
@pytest.mark.parametrize('absolute', [False, True], ids=['relative', 'absolute'])
def test_check_variables_accepts_an_existing_task_file(tmp_path, option, absolute):
    (tmp_path / 'tasks').mkdir()
    (tmp_path / 'tasks' / 'drain.yml').write_text('[]\n')
    path = str(tmp_path / 'tasks' / 'drain.yml') if absolute else os.path.join('tasks', 'drain.yml')
    assert sr.check_variables([], KNOWN, {option: path}, str(tmp_path)) == []


def test_check_variables_rejects_a_directory_as_task_file(tmp_path):
    (tmp_path / 'tasks').mkdir()
    assert sr.check_variables([], KNOWN, {'post_tasks': 'tasks'}, str(tmp_path)) == [
        "snapshot_rollback_post_tasks is 'tasks', but no such file exists (a path is absolute or relative to the playbook "
        "directory %s)" % tmp_path]


@pytest.mark.parametrize('path, expected', [
    ('/srv/tasks/drain.yml', '/srv/tasks/drain.yml'),
    ('drain.yml', '/srv/play/drain.yml'),
    ('tasks/drain.yml', '/srv/play/tasks/drain.yml'),
], ids=['absolute-kept', 'relative-joined', 'relative-subdirectory'])
def test_task_file_path(path, expected):
    assert sr.task_file_path(path, '/srv/play') == expected


def test_check_variables_reports_a_journal_in_a_missing_directory(tmp_path):
    path = str(tmp_path / 'missing' / 'journal.json')
    assert sr.check_variables([], KNOWN, {'journal_path': path}, str(tmp_path)) == [
        'snapshot_rollback_journal_path is %r, but its directory %s does not exist or is not writable' % (path, tmp_path / 'missing')]


def test_check_variables_reports_a_journal_under_a_file(tmp_path):
    (tmp_path / 'file').write_text('')
    path = str(tmp_path / 'file' / 'journal.json')
    assert sr.check_variables([], KNOWN, {'journal_path': path}, str(tmp_path)) == [
        'snapshot_rollback_journal_path is %r, but its directory %s does not exist or is not writable' % (path, tmp_path / 'file')]


def test_check_variables_reports_a_journal_that_is_a_directory(tmp_path):
    assert sr.check_variables([], KNOWN, {'journal_path': str(tmp_path)}, str(tmp_path)) == [
        'snapshot_rollback_journal_path is %r, a directory; expected a file name' % str(tmp_path)]


@pytest.mark.parametrize('exists', [True, False], ids=['existing-file', 'new-file'])
def test_check_variables_accepts_a_writable_journal(tmp_path, exists):
    path = tmp_path / 'journal.json'
    if exists:
        path.write_text('[]')
    assert sr.check_variables([], KNOWN, {'journal_path': str(path)}, str(tmp_path)) == []


def test_check_variables_expands_the_home_directory_of_the_journal(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    assert sr.check_variables([], KNOWN, {'journal_path': '~/journal.json'}, '/nowhere') == []
    assert sr.check_variables([], KNOWN, {'journal_path': '~/missing/journal.json'}, '/nowhere') == [
        'snapshot_rollback_journal_path is %r, but its directory %s does not exist or is not writable'
        % (str(tmp_path / 'missing' / 'journal.json'), tmp_path / 'missing')]


@pytest.mark.skipif(os.geteuid() == 0, reason='root may write any file')
def test_check_variables_reports_a_journal_that_is_not_writable(tmp_path):
    path = tmp_path / 'journal.json'
    path.write_text('[]')
    path.chmod(0o444)
    assert sr.check_variables([], KNOWN, {'journal_path': str(path)}, str(tmp_path)) == [
        'snapshot_rollback_journal_path %r is not writable' % str(path)]


@pytest.mark.parametrize('snapshot_id, snapshot_name, message', [
    (None, None, 'no snapshot to roll back to: snapshot_rollback_snapshot_id, snapshot_rollback_snapshot_name, snapshot_rollback_created_before, '
                 'snapshot_rollback_undo_run_id are all empty; set exactly one of them, for example -e snapshot_rollback_snapshot_name=baseline'),
    ('', '', 'no snapshot to roll back to'),
    ('lhsnap-aaaaaaaa', 'baseline', "snapshot_rollback_snapshot_id is 'lhsnap-aaaaaaaa' and snapshot_rollback_snapshot_name is "
                                    "'baseline'; expected exactly one of them, the snapshot to roll back to"),
], ids=['neither', 'both-empty', 'both'])
def test_check_variables_asks_for_exactly_one_snapshot(tmp_path, snapshot_id, snapshot_name, message):
    problems = sr.check_variables([], KNOWN, {'snapshot_id': snapshot_id, 'snapshot_name': snapshot_name}, str(tmp_path))
    assert len(problems) == 1 and problems[0].startswith(message)


@pytest.mark.parametrize('snapshot_id, snapshot_name', [('lhsnap-aaaaaaaa', None), (None, 'baseline')])
def test_check_variables_accepts_one_snapshot(tmp_path, snapshot_id, snapshot_name):
    assert sr.check_variables([], KNOWN, {'snapshot_id': snapshot_id, 'snapshot_name': snapshot_name}, str(tmp_path)) == []


def fleet_hostvars(**overrides):
    """hostvars of lh-1, lh-2 and lh-3, each with its instance id; ``overrides`` add inventory variables per host."""
    found = {host: {'lighthouse_instance_id': 'lhins-0000000%s' % host[-1], 'inventory_hostname': host} for host in ('lh-1', 'lh-2', 'lh-3')}
    for host, variables in overrides.items():
        found[host.replace('_', '-')].update(variables)
    return found


GOOD_VALUES = {'snapshot_id': None, 'snapshot_name': 'baseline', 'wait_timeout': 1200, 'serial': 1}


def test_check_hosts_finds_a_later_hosts_bad_inventory_variable_and_names_the_host(tmp_path):
    hostvars = fleet_hostvars(lh_3={'snapshot_rollback_wait_timeout': 'abc'})
    assert sr.check_hosts(['lh-1', 'lh-2', 'lh-3'], hostvars, [], KNOWN, GOOD_VALUES, str(tmp_path)) == [
        "lh-3: snapshot_rollback_wait_timeout is 'abc'; expected a number greater than 0"]


def test_check_hosts_gives_a_problem_of_every_host_once(tmp_path):
    problems = sr.check_hosts(['lh-1', 'lh-2', 'lh-3'], fleet_hostvars(), [], KNOWN, dict(GOOD_VALUES, snapshot_name=None), str(tmp_path))
    assert len(problems) == 1 and problems[0].startswith('no snapshot to roll back to')


def test_check_hosts_needs_an_instance_id_for_every_host(tmp_path):
    hostvars = fleet_hostvars()
    del hostvars['lh-2']['lighthouse_instance_id']
    assert sr.check_hosts(['lh-1', 'lh-2', 'lh-3'], hostvars, [], KNOWN, GOOD_VALUES, str(tmp_path)) == [
        'lh-2: no instance id: set the host variable lighthouse_instance_id (the inventory plugin tencentcloud.lighthouse.lighthouse does) '
        'to the lhins- id of its instance']


@pytest.mark.parametrize('name, replacement', [('snapshot_rollback_instance_id', 'lighthouse_instance_id'),
                                               ('snapshot_rollback_region', 'lighthouse_region')])
def test_check_variables_names_what_replaces_a_removed_variable(tmp_path, name, replacement):
    assert sr.check_variables([name], KNOWN, GOOD_VALUES, str(tmp_path)) == [
        '%s is no longer a variable of the role (removed in 0.2.0): set the host variable %s instead' % (name, replacement)]


def test_check_hosts_finds_a_misspelt_inventory_variable(tmp_path):
    hostvars = fleet_hostvars(lh_2={'snapshot_rollback_snaphot_name': 'baseline'})
    assert sr.check_hosts(['lh-1', 'lh-2', 'lh-3'], hostvars, [], KNOWN, GOOD_VALUES, str(tmp_path)) == [
        'lh-2: unknown variable snapshot_rollback_snaphot_name; did you mean snapshot_rollback_snapshot_name?']


def test_check_hosts_takes_a_hosts_own_good_value_over_the_running_hosts_bad_one(tmp_path):
    hostvars = fleet_hostvars(lh_1={'snapshot_rollback_wait_timeout': 600}, lh_2={'snapshot_rollback_wait_timeout': 600},
                              lh_3={'snapshot_rollback_wait_timeout': 600})
    assert sr.check_hosts(['lh-1', 'lh-2', 'lh-3'], hostvars, [], KNOWN, dict(GOOD_VALUES, wait_timeout=0), str(tmp_path)) == []


def test_check_hosts_checks_hosts_that_share_their_input_once(tmp_path, monkeypatch):
    parsed = []
    monkeypatch.setattr(sr, 'task_file_problems', lambda path: parsed.append(path) or [])
    (tmp_path / 'verify.yml').write_text('[]')
    hosts = ['lh-%d' % number for number in range(1, 51)]
    hostvars = dict((host, {'lighthouse_instance_id': 'lhins-%08d' % number}) for number, host in enumerate(hosts, 1))
    hostvars['lh-7']['snapshot_rollback_wait_timeout'] = 60
    assert sr.check_hosts(hosts, hostvars, [], KNOWN, dict(GOOD_VALUES, verify_tasks='verify.yml'), str(tmp_path)) == []
    assert len(parsed) == 2  # the hosts without variables of their own, and lh-7


TASK_FILES = {
    'good.yml': '- name: drain\n  ansible.builtin.command: "true"\n- block:\n    - ansible.builtin.debug: {msg: hi}\n  rescue:\n'
                '    - ansible.builtin.fail: {msg: no}\n',
    'unparsable.yml': '- name: drain\n  ansible.builtin.debug: msg=hi\n   broken: [\n',
    'unknown.yml': '- name: drain\n  ansible.builtin.debug: {msg: hi}\n- block:\n    - name: readmit\n      tencentcloud.lighthouse.no_such_module: {}\n',
    'mapping.yml': 'name: drain\nansible.builtin.debug: {msg: hi}\n',
}


@pytest.mark.parametrize('name, message', [
    ('unparsable.yml', "snapshot_rollback_verify_tasks is 'unparsable.yml', which does not parse: "),
    ('unknown.yml', "snapshot_rollback_verify_tasks is 'unknown.yml', whose task 'readmit' cannot run: couldn't resolve module/action "
                    "'tencentcloud.lighthouse.no_such_module'"),
    ('mapping.yml', "snapshot_rollback_verify_tasks is 'mapping.yml', which is not a list of tasks"),
], ids=['unparsable', 'unknown-module-in-a-block', 'not-a-list'])
def test_check_variables_finds_a_task_file_that_cannot_run_before_any_host_is_touched(tmp_path, name, message):
    (tmp_path / name).write_text(TASK_FILES[name])
    problems = sr.check_variables([], KNOWN, {'verify_tasks': name}, str(tmp_path))
    assert len(problems) == 1 and problems[0].startswith(message)


def test_check_variables_accepts_task_files_whose_tasks_resolve(tmp_path):
    (tmp_path / 'good.yml').write_text(TASK_FILES['good.yml'])
    assert sr.check_variables([], KNOWN, {option: 'good.yml' for option in sr.TASK_FILES}, str(tmp_path)) == []


BAD_CHECKS = [
    ({'url': 'http://web-1/'}, 'no-name'),
    ({'name': '', 'command': 'true'}, 'empty-name'),
    ({'name': 'both', 'url': 'http://web-1/', 'command': 'true'}, 'url-and-command'),
    ({'name': 'neither', 'contains': 'Welcome'}, 'neither'),
    ({'name': 'empty', 'url': '', 'command': ''}, 'both-empty'),
    ('systemctl is-active app', 'not-a-dict'),
]


@pytest.mark.parametrize('check', [check for check, dummy in BAD_CHECKS], ids=[name for dummy, name in BAD_CHECKS])
def test_check_variables_reports_a_malformed_health_check_by_index(tmp_path, check):
    good = {'name': 'nginx', 'url': 'http://web-1/'}
    assert sr.check_variables([], KNOWN, {'health_checks': [good, check]}, str(tmp_path)) == [
        'snapshot_rollback_health_checks[1] is %r; expected a dict with a name and exactly one of url and command' % (check,)]


def test_check_variables_accepts_url_and_command_checks(tmp_path):
    checks = [{'name': 'nginx', 'url': 'http://web-1/', 'status': 200, 'contains': 'Welcome'},
              {'name': 'app', 'command': 'systemctl is-active app', 'rc': 0}]
    assert sr.check_variables([], KNOWN, {'health_checks': checks}, str(tmp_path)) == []


def test_check_variables_lists_every_problem_in_order(tmp_path):
    values = {'wait_timeout': -1, 'pre_tasks': 'pre.yml', 'journal_path': str(tmp_path), 'health_checks': [{'name': 'x'}]}
    problems = sr.check_variables(['snapshot_rollback_snaphot_id'], KNOWN, values, str(tmp_path))
    assert [problem.split(' ')[0:2] for problem in problems] == [
        ['unknown', 'variable'], ['snapshot_rollback_wait_timeout', 'is'], ['snapshot_rollback_pre_tasks', 'is'],
        ['snapshot_rollback_journal_path', 'is'], ['snapshot_rollback_health_checks[0]', 'is']]


# ---------------------------------------------------------------------------------------------------------------------
# decide

DECISIONS = [
    # id, record, instance, snapshot, adopt, resume, rollback request id, words of the reason
    ('ours-done', record('done'), running(), rolled_back_snapshot(), False,
     'done', ROLLBACK_REQUEST, ['run-1 already rolled it back and verified it', '2024-06-01T10:15:00Z']),
    ('ours-rolled-back', record('rolled_back'), running(), rolled_back_snapshot(), False,
     'start', ROLLBACK_REQUEST, ['run-1 already rolled it back (request req-rollback)', 'verified again']),
    # A record believed only while the cloud agrees: a planted record, a rollback since, anything done to the instance since.
    ('ours-done-names-another-rollback', record('done', rollback_request_id='req-planted'), running(), rolled_back_snapshot(), False,
     'full', None, ['its record says run run-1 rolled it back (request req-planted)', 'the cloud does not agree', 'rolled back again']),
    ('ours-done-snapshot-never-rolled-back-to', record('done'), running(), fresh_snapshot(), False,
     'full', None, ['CreateInstanceSnapshot SUCCESS (request req-create)']),
    ('ours-done-rollback-failed', record('done'), running(), rolled_back_snapshot(latest_operation_state='FAILED'), False,
     'full', None, ['does not agree']),
    ('ours-done-rebooted-since', record('done'), running(latest_operation='RebootInstances', latest_operation_request_id='req-reboot'),
     rolled_back_snapshot(), False, 'full', None, ["the instance's: RebootInstances SUCCESS (request req-reboot)"]),
    ('ours-done-stopped-since', record('done'), stopped(latest_operation='StopInstances', latest_operation_request_id='req-stop'),
     rolled_back_snapshot(), False, 'full', None, ['does not agree']),
    ('ours-done-older-record-without-instance-request', record('done', instance_request_id=None), running(), rolled_back_snapshot(),
     False, 'full', None, ['does not agree']),
    ('ours-rolled-back-planted', record('rolled_back', rollback_request_id='req-planted'), running(), rolled_back_snapshot(), True,
     'full', None, ['does not agree']),
    ('ours-stopping', record('stopping', rollback_request_id=None, instance_request_id=None), running(), rolled_back_snapshot(), False,
     'full', None, ['run-1 stopped it before, but its disk was not rolled back']),
    ('ours-no-step', record(None), running(), fresh_snapshot(), False,
     'full', None, ['run-1 stopped it before']),
    ('done-of-another-run', record('done', run_id='run-0'), running(), fresh_snapshot(), False,
     'full', None, ['it is to be rolled back to lhsnap-aaaaaaaa']),
    ('done-of-another-instance', record('done', instance_id='lhins-bbbbbbbb'), running(), fresh_snapshot(), False,
     'full', None, ['it is to be rolled back to lhsnap-aaaaaaaa']),
    ('done-of-another-snapshot', record('done', snapshot_id='lhsnap-bbbbbbbb'), running(), fresh_snapshot(), False,
     'full', None, ['it is to be rolled back to lhsnap-aaaaaaaa']),
    # Another run is working on the host: it is refused before anything is touched.
    ('stopping-of-another-run', record('stopping', run_id='run-0'), running(), fresh_snapshot(), False,
     'refuse', None, ['run run-0 is working on it', 'reached "stopping" at 2024-06-01T10:15:00Z', '-e snapshot_rollback_run_id=run-0',
                      'snapshot-rollback-lhins-aaaaaaaa.json']),
    ('rolled-back-of-another-run', record('rolled_back', run_id='run-0'), running(), rolled_back_snapshot(), True,
     'refuse', None, ['run run-0 is working on it', 'reached "rolled_back"']),
    ('stopping-of-another-run-that-operated-since', record('stopping', run_id='run-0'),
     running(latest_operation_started_time='2024-06-01T10:15:07Z'), fresh_snapshot(), False, 'full', None, ['to be rolled back']),
    ('stopping-of-another-run-operated-before', record('stopping', run_id='run-0'),
     running(latest_operation_started_time='2024-06-01T10:15:00Z'), fresh_snapshot(), False, 'refuse', None, ['run run-0 is working']),
    ('stopping-of-another-run-on-another-instance', record('stopping', run_id='run-0', instance_id='lhins-bbbbbbbb'), running(),
     fresh_snapshot(), False, 'full', None, ['to be rolled back']),
    ('stopped-after-the-rollback', None, stopped(), rolled_back_snapshot(), False,
     'start', ROLLBACK_REQUEST, ['STOPPED on lhsnap-aaaaaaaa', 'the rollback req-rollback succeeded', 'nothing ran since']),
    ('stopped-after-the-rollback-legacy-name', None, stopped(latest_operation='RollbackInstanceSnapshot'),
     rolled_back_snapshot(latest_operation='RollbackInstanceSnapshot'), False, 'start', ROLLBACK_REQUEST, ['STOPPED on']),
    ('stopped-after-the-rollback-empty-record', {}, stopped(), rolled_back_snapshot(), False,
     'start', ROLLBACK_REQUEST, ['STOPPED on']),
    ('stopped-after-a-rollback-to-another-snapshot', None, stopped(latest_operation_request_id='req-other-rollback'),
     rolled_back_snapshot(), False, 'refuse', None, ['STOPPED right after a rollback to another snapshot',
                                                     'ApplyInstanceSnapshot SUCCESS (request req-other-rollback)']),
    ('stopped-since-the-rollback', None, stopped(latest_operation='StopInstances', latest_operation_request_id='req-stop'),
     rolled_back_snapshot(), False, 'full', None, ['to be rolled back to lhsnap-aaaaaaaa']),
    ('stopped-rollback-failed', None, stopped(latest_operation_state='FAILED'), rolled_back_snapshot(latest_operation_state='FAILED'),
     False, 'full', None, ['to be rolled back']),
    # A rollback to the snapshot that the instance was started after is this run's only on the operator's word.
    ('hand-rollback-then-started', {}, running(), rolled_back_snapshot(), False,
     'full', None, ['it is to be rolled back to lhsnap-aaaaaaaa']),
    ('hand-rollback-then-started-adopted-on-request', {}, running(), rolled_back_snapshot(), True,
     'start', ROLLBACK_REQUEST, ['rolled back to lhsnap-aaaaaaaa (request req-rollback) and only started since',
                                 'snapshot_rollback_adopt_rollback']),
    ('adopted-on-request-record-of-an-older-rollback', record('done', run_id='run-0', rollback_request_id='req-older'), running(),
     rolled_back_snapshot(), True, 'start', ROLLBACK_REQUEST, ['no run verified it yet']),
    ('not-adopted-record-names-the-rollback', record('done', run_id='run-0'), running(), rolled_back_snapshot(), True,
     'full', None, ['to be rolled back']),
    ('not-adopted-unreadable-record', None, running(), rolled_back_snapshot(), True,
     'full', None, ['to be rolled back']),
    ('not-adopted-rollback-failed', {}, running(), rolled_back_snapshot(latest_operation_state='FAILED'), True,
     'full', None, ['to be rolled back']),
    ('not-adopted-snapshot-created-last', {}, running(), fresh_snapshot(), True,
     'full', None, ['to be rolled back']),
    ('not-adopted-rebooted-since', {}, running(latest_operation='RebootInstances', latest_operation_request_id='req-reboot'),
     rolled_back_snapshot(), True, 'full', None, ['to be rolled back']),
]


@pytest.mark.parametrize('given_record, instance, snapshot, adopt, resume, request_id, words',
                         [case[1:] for case in DECISIONS], ids=[case[0] for case in DECISIONS])
def test_decide(given_record, instance, snapshot, adopt, resume, request_id, words):
    decision = sr.decide(given_record, RUN, instance, snapshot, adopt)
    assert (decision['resume'], decision['rollback_request_id']) == (resume, request_id)
    assert sorted(decision) == ['reason', 'resume', 'rollback_request_id']
    for word in words:
        assert word in decision['reason']


def test_decide_never_adopts_a_rollback_it_cannot_tie_to_the_run_by_default():
    assert sr.decide({}, RUN, running(), rolled_back_snapshot())['resume'] == 'full'


def test_decide_a_run_that_failed_before_the_stop_and_put_the_record_back_does_not_block_the_next():
    # Run run-a rolled the host back, verified it and recorded it done; the host then ran on.
    done_by_a = record('done', run_id='run-a')
    assert sr.decide(done_by_a, 'run-b', running(), rolled_back_snapshot())['resume'] == 'full'
    # Run run-b wrote its record before the stop, failed before the stop and put run-a's record back (main.yml's rescue).
    stopping_by_b = make_record('run-b', INSTANCE_ID, SNAPSHOT_ID, sr.STEP_STOPPING)
    assert sr.decide(stopping_by_b, 'run-c', running(), rolled_back_snapshot())['resume'] == 'refuse'
    assert sr.decide(done_by_a, 'run-c', running(), rolled_back_snapshot())['resume'] == 'full'


# ---------------------------------------------------------------------------------------------------------------------
# parse_record


@pytest.mark.parametrize('text', [None, '', '   ', '\n\t\n', '{not json', '{"run_id": "run-1"', '[1, 2]', '[]', 'null', '42', '"done"',
                                  'run_id=run-1\n'],
                         ids=['none', 'empty', 'spaces', 'whitespace', 'invalid', 'truncated', 'list', 'empty-list', 'null', 'number',
                              'string', 'older-format'])
def test_parse_record_of_no_or_a_foreign_file_is_empty(text):
    assert sr.parse_record(text) == {}


def test_parse_record_round_trips_a_record():
    written = record('rolled_back', rollback_request_id=ROLLBACK_REQUEST)
    assert sr.parse_record(json.dumps(written, indent=2) + '\n') == written


def test_parse_record_keeps_any_dict():
    assert sr.parse_record('{"instance_id": "lhins-x", "extra": [1]}') == {'instance_id': 'lhins-x', 'extra': [1]}


# ---------------------------------------------------------------------------------------------------------------------
# scope

SCOPES = [
    ('inventory-variables',
     {'web-1': {'lighthouse_instance_id': 'lhins-1', 'lighthouse_region': 'ap-b'}},
     [{'host': 'web-1', 'instance_id': 'lhins-1', 'region': 'ap-b'}]),
    ('no-region',
     {'web-1': {'lighthouse_instance_id': 'lhins-1'}},
     [{'host': 'web-1', 'instance_id': 'lhins-1', 'region': ''}]),
    ('empty-region',
     {'web-1': {'lighthouse_instance_id': 'lhins-1', 'lighthouse_region': ''}},
     [{'host': 'web-1', 'instance_id': 'lhins-1', 'region': ''}]),
    ('without-id-skipped',
     {'web-1': {'lighthouse_region': 'ap-b'}, 'web-2': {'lighthouse_instance_id': ''}},
     []),
]


@pytest.mark.parametrize('hostvars, expected', [case[1:] for case in SCOPES], ids=[case[0] for case in SCOPES])
def test_scope_of_one_host(hostvars, expected):
    assert sr.scope(sorted(hostvars), hostvars) == expected


def test_scope_keeps_the_hosts_order_and_skips_hosts_without_an_id():
    hostvars = {'a': {'lighthouse_instance_id': 'lhins-a'}, 'b': {}, 'c': {'lighthouse_instance_id': 'lhins-c'},
                'd': {'lighthouse_instance_id': 'lhins-d', 'lighthouse_region': 'ap-d'}}
    assert sr.scope(['d', 'b', 'missing', 'c', 'a'], hostvars) == [
        {'host': 'd', 'instance_id': 'lhins-d', 'region': 'ap-d'}, {'host': 'c', 'instance_id': 'lhins-c', 'region': ''},
        {'host': 'a', 'instance_id': 'lhins-a', 'region': ''}]


# ---------------------------------------------------------------------------------------------------------------------
# batch_sizes, batch_problem

@pytest.mark.parametrize('serial, hosts, expected', [
    (1, 3, [1, 1, 1]),
    ('2', 5, [2, 2, 1]),
    ([1, 10, '25%'], 200, [1, 10, 50, 50, 50, 39]),
    ([1, 10, '25%'], 8, [1, 7]),
    ('25%', 3, [1, 1, 1]),  # a percentage makes batches of at least one host
    ('50%', 5, [2, 2, 1]),
    ('100%', 4, [4]),
    ([2, '50%'], 6, [2, 3, 1]),
    (1, 0, []),
], ids=['1', "'2'", 'canary-200', 'canary-8', '25%-of-3', '50%-of-5', '100%', 'list-then-percent', 'no-hosts'])
def test_batch_sizes_as_ansible_makes_them(serial, hosts, expected):
    assert sr.batch_sizes(serial, hosts) == expected


HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6']


@pytest.mark.parametrize('batch, serial', [(['h1'], [1, 2]), (['h2', 'h3'], [1, 2]), (['h6'], [1, 2]), (['h1'], 1), (['h4'], 1),
                                           (HOSTS, '100%')],
                         ids=['canary', 'second', 'last-remainder', 'serial-1-first', 'serial-1-fourth', 'all-at-once'])
def test_batch_problem_accepts_the_next_batch_in_order(batch, serial):
    assert sr.batch_problem(batch, HOSTS, serial) == ''


@pytest.mark.parametrize('batch, serial', [(HOSTS, 1), (['h1', 'h2'], [1, 2]), (['h3', 'h2'], [1, 2]), (['h3', 'h4'], [1, 2]),
                                           (['h1', 'h3'], 2)],
                         ids=['no-serial-in-the-play', 'too-big', 'out-of-order', 'shifted', 'not-consecutive'])
def test_batch_problem_names_the_batch_and_the_expected_sizes(batch, serial):
    message = sr.batch_problem(batch, HOSTS, serial)
    assert message.startswith('This batch holds %s, but with snapshot_rollback_serial %s the batches are, in inventory order, of %s hosts'
                              % (', '.join(batch), json.dumps(serial), ', '.join(str(size) for size in sr.batch_sizes(serial, 6))))
    assert 'snapshot_rollback_strict_serial to false' in message


# ---------------------------------------------------------------------------------------------------------------------
# plan

MARKER = '/var/lib/tencentcloud-lighthouse/snapshot-rollback-lhins-aaaaaaaa.json'
BARE = {'pre_tasks': None, 'verify_tasks': None, 'post_tasks': None, 'stop_type': 'SOFT_FIRST', 'backup': False, 'health_checks': [],
        'verify_timeout': 300, 'health_timeout': 120, 'marker_path': MARKER}
EVERYTHING = dict(BARE, pre_tasks='drain.yml', verify_tasks='verify.yml', post_tasks='undrain.yml', stop_type='HARD', backup=True,
                  health_checks=[{'name': 'nginx', 'url': 'http://web-1/'}, {'name': 'app', 'command': 'true'}])
FULL = {'resume': 'full', 'reason': 'it is to be rolled back to lhsnap-aaaaaaaa', 'rollback_request_id': None}
START = {'resume': 'start', 'reason': 'the reason', 'rollback_request_id': ROLLBACK_REQUEST}
DONE = {'resume': 'done', 'reason': 'run run-1 already rolled it back and verified it', 'rollback_request_id': ROLLBACK_REQUEST}

PLANS = [
    ('full-running-bare', FULL, 'RUNNING', BARE, [
        'stop it (SOFT_FIRST)', 'roll it back to lhsnap-aaaaaaaa (baseline)', 'start it', 'verify: connection within 300 s',
        'record it as done in ' + MARKER]),
    ('full-stopped-bare', FULL, 'STOPPED', BARE, [
        'roll it back to lhsnap-aaaaaaaa (baseline)', 'start it', 'verify: connection within 300 s', 'record it as done in ' + MARKER]),
    ('full-running-everything', FULL, 'RUNNING', EVERYTHING, [
        'run the pre tasks drain.yml', 'snapshot its system disk as a backup', 'stop it (HARD)', 'roll it back to lhsnap-aaaaaaaa (baseline)',
        'start it', 'verify: connection within 300 s, nginx, app within 120 s, the verify tasks verify.yml',
        'run the post tasks undrain.yml', 'record it as done in ' + MARKER]),
    ('full-stopped-everything', FULL, 'STOPPED', EVERYTHING, [
        'run the pre tasks drain.yml', 'snapshot its system disk as a backup', 'roll it back to lhsnap-aaaaaaaa (baseline)', 'start it',
        'verify: connection within 300 s, nginx, app within 120 s, the verify tasks verify.yml', 'run the post tasks undrain.yml',
        'record it as done in ' + MARKER]),
    ('full-health-checks-only', FULL, 'RUNNING', dict(BARE, health_checks=[{'name': 'nginx', 'url': 'http://web-1/'}]), [
        'stop it (SOFT_FIRST)', 'roll it back to lhsnap-aaaaaaaa (baseline)', 'start it', 'verify: connection within 300 s, nginx within 120 s',
        'record it as done in ' + MARKER]),
    ('full-verify-tasks-only', FULL, 'RUNNING', dict(BARE, verify_tasks='verify.yml'), [
        'stop it (SOFT_FIRST)', 'roll it back to lhsnap-aaaaaaaa (baseline)', 'start it',
        'verify: connection within 300 s, the verify tasks verify.yml', 'record it as done in ' + MARKER]),
    ('start-running-bare', START, 'RUNNING', BARE, [
        'keep it on lhsnap-aaaaaaaa: the reason', 'verify: connection within 300 s', 'record it as done in ' + MARKER]),
    ('start-stopped-bare', START, 'STOPPED', BARE, [
        'keep it on lhsnap-aaaaaaaa: the reason', 'start it', 'verify: connection within 300 s', 'record it as done in ' + MARKER]),
    ('start-running-everything', START, 'RUNNING', EVERYTHING, [
        'keep it on lhsnap-aaaaaaaa: the reason', 'verify: connection within 300 s, nginx, app within 120 s, the verify tasks verify.yml',
        'run the post tasks undrain.yml', 'record it as done in ' + MARKER]),
    ('start-stopped-everything', START, 'STOPPED', EVERYTHING, [
        'keep it on lhsnap-aaaaaaaa: the reason', 'start it',
        'verify: connection within 300 s, nginx, app within 120 s, the verify tasks verify.yml', 'run the post tasks undrain.yml',
        'record it as done in ' + MARKER]),
    ('done-running', DONE, 'RUNNING', EVERYTHING, ['nothing: run run-1 already rolled it back and verified it']),
    ('done-stopped', DONE, 'STOPPED', EVERYTHING, ['nothing: run run-1 already rolled it back and verified it']),
]


@pytest.mark.parametrize('decision, state, options, expected', [case[1:] for case in PLANS], ids=[case[0] for case in PLANS])
def test_plan(decision, state, options, expected):
    assert sr.plan(decision, running(instance_state=state), rolled_back_snapshot(), options) == expected


def test_plan_without_health_checks_option():
    options = {key: value for key, value in BARE.items() if key != 'health_checks'}
    assert sr.plan(FULL, running(), rolled_back_snapshot(), options)[3] == 'verify: connection within 300 s'


def test_plan_names_the_snapshot_a_cut_off_or_an_undo_chose_with_its_creation_time():
    snapshot = dict(rolled_back_snapshot(), snapshot_name='nightly-2', created_time='2026-12-05T23:30:00Z')
    assert sr.plan(FULL, running(), snapshot, dict(BARE, created_before='2026-12-06T00:00:00Z'))[1] == (
        'roll it back to lhsnap-aaaaaaaa (nightly-2, created 2026-12-05T23:30:00Z, the newest before 2026-12-06T00:00:00Z)')
    assert sr.plan(FULL, running(), snapshot, dict(BARE, undo_run_id='run-1'))[1] == (
        'roll it back to lhsnap-aaaaaaaa (nightly-2, the backup run run-1 took, created 2026-12-05T23:30:00Z)')


# ---------------------------------------------------------------------------------------------------------------------
# snapshot choice: a cut-off, an undo

RUN_AT_NOON = '20261206T120000Z-3f2a'


@pytest.mark.parametrize('values, expected', [
    ({'snapshot_id': 'lhsnap-aaaaaaaa'}, {'snapshot_id': 'lhsnap-aaaaaaaa'}),
    ({'snapshot_name': 'baseline'}, {'snapshot_name': 'baseline'}),
    # An offset across midnight: 01:30 in +08:00 is 17:30 the day before in UTC.
    ({'created_before': '2026-12-06T01:30:00+08:00'}, {'created_before': '2026-12-05T17:30:00Z'}),
    ({'created_before': '-2h', 'name_pattern': 'nightly-*'}, {'created_before': '2026-12-06T10:00:00Z', 'name_pattern': 'nightly-*'}),
    ({'undo_run_id': '20261201T080000Z-0001'}, {'snapshot_name': 'before-rollback-20261201T080000Z-0001'}),
], ids=['id', 'name', 'offset-across-midnight', 'relative-to-the-run-start', 'undo'])
def test_snapshot_choice(values, expected):
    assert sr.snapshot_choice(values, RUN_AT_NOON) == expected


def test_a_relative_cut_off_is_the_same_in_every_batch_and_resumption_of_the_run():
    first = sr.snapshot_choice({'created_before': '-90m'}, RUN_AT_NOON)
    assert first == sr.snapshot_choice({'created_before': '-90m'}, RUN_AT_NOON) == {'created_before': '2026-12-06T10:30:00Z'}


def test_a_relative_cut_off_needs_a_run_id_that_begins_with_the_run_start():
    with pytest.raises(LighthouseError) as raised:
        sr.snapshot_choice({'created_before': '-2h'}, 'deploy-42')
    assert raised.value.message.startswith("snapshot_rollback_created_before is '-2h', a time relative to the run's start, but the run id "
                                           "'deploy-42' does not begin with that start")
    assert sr.snapshot_choice({'created_before': '2026-12-06T06:00:00Z'}, 'deploy-42') == {'created_before': '2026-12-06T06:00:00Z'}


@pytest.mark.parametrize('values, message', [
    ({'snapshot_name': 'baseline', 'created_before': '-2h'},
     "snapshot_rollback_snapshot_name is 'baseline' and snapshot_rollback_created_before is '-2h'; expected exactly one of them"),
    ({'snapshot_id': 'lhsnap-aaaaaaaa', 'undo_run_id': 'run-1'},
     "snapshot_rollback_snapshot_id is 'lhsnap-aaaaaaaa' and snapshot_rollback_undo_run_id is 'run-1'; expected exactly one of them"),
    ({'snapshot_name': 'baseline', 'name_pattern': 'nightly-*'},
     "snapshot_rollback_name_pattern is 'nightly-*', but it only narrows snapshot_rollback_created_before, which is empty"),
    ({'created_before': '2026-12-06 14:00'}, "snapshot_rollback_created_before is '2026-12-06 14:00'; expected an ISO 8601 time with its offset"),
    ({'snapshot_name': 'baseline', 'keep_backups': 0},
     'snapshot_rollback_keep_backups is 0; expected a whole number of backups of at least 1, or empty to keep every backup'),
    ({'snapshot_name': 'baseline', 'keep_backups': 'two'}, "snapshot_rollback_keep_backups is 'two'; expected a whole number"),
], ids=['name-and-cut-off', 'id-and-undo', 'pattern-without-cut-off', 'time-without-offset', 'keep-zero', 'keep-word'])
def test_check_variables_refuses_a_bad_choice_of_snapshot_or_retention(tmp_path, values, message):
    problems = sr.check_variables([], KNOWN, dict({'snapshot_id': None}, **values), str(tmp_path))
    assert len(problems) == 1 and problems[0].startswith(message)


def test_check_variables_accepts_a_cut_off_with_a_pattern_and_a_retention(tmp_path):
    values = {'snapshot_id': None, 'created_before': '-2h', 'name_pattern': 'nightly-*', 'keep_backups': '2'}
    assert sr.check_variables([], KNOWN, values, str(tmp_path)) == []


def test_snapshot_choices_take_each_hosts_own_variables_and_name_the_host_without_one():
    hostvars = fleet_hostvars(lh_2={'snapshot_rollback_snapshot_id': 'lhsnap-00000002', 'snapshot_rollback_snapshot_name': None},
                              lh_3={'snapshot_rollback_created_before': '-1d', 'snapshot_rollback_snapshot_name': None})
    values = {'snapshot_id': None, 'snapshot_name': 'baseline', 'created_before': None}
    assert sr.snapshot_choices(['lh-1', 'lh-2', 'lh-3'], hostvars, values, RUN_AT_NOON) == ({
        'lh-1': {'snapshot_name': 'baseline'}, 'lh-2': {'snapshot_id': 'lhsnap-00000002'},
        'lh-3': {'created_before': '2026-12-05T12:00:00Z'}}, [])
    choices, problems = sr.snapshot_choices(['lh-1', 'lh-3'], hostvars, values, 'deploy-42')
    assert list(choices) == ['lh-1'] and len(problems) == 1 and problems[0].startswith("lh-3: snapshot_rollback_created_before is '-1d'")


def test_undo_takes_only_the_backup_the_run_took_of_the_instance():
    tags = {sr.RUN_TAG: 'run-1', 'tencentcloud.lighthouse:backup-of': 'lhins-aaaaaaaa'}
    snapshot = {'snapshot_id': 'lhsnap-bbbbbbbb', 'tags': tags}
    assert sr.undo_problem(snapshot, 'lhins-aaaaaaaa', 'run-1') is None
    assert sr.undo_problem({'snapshot_id': 'lhsnap-bbbbbbbb'}, 'lhins-aaaaaaaa', None) is None
    assert sr.undo_problem(snapshot, 'lhins-cccccccc', 'run-1').startswith(
        'snapshot lhsnap-bbbbbbbb is named as a backup of run run-1, but its tags (tencentcloud.lighthouse:backup-of=lhins-aaaaaaaa, '
        'tencentcloud.lighthouse:run-id=run-1) do not say that run took it of instance lhins-cccccccc')
    assert 'its tags (none)' in sr.undo_problem({'snapshot_id': 'lhsnap-bbbbbbbb'}, 'lhins-aaaaaaaa', 'run-1')


# ---------------------------------------------------------------------------------------------------------------------
# failure

FAILURES = [
    ('plain', {'msg': 'Failed to stop instance lhins-aaaaaaaa: denied', 'error_code': 'AuthFailure', 'request_id': 'req-9'},
     {'message': 'Failed to stop instance lhins-aaaaaaaa: denied', 'error_code': 'AuthFailure', 'request_id': 'req-9'}),
    ('no-msg', {'changed': False, 'failed': True}, {'message': 'failed', 'error_code': None, 'request_id': None}),
    ('empty-msg', {'msg': '', 'failed': True}, {'message': 'failed', 'error_code': None, 'request_id': None}),
    ('none', None, {'message': 'failed', 'error_code': None, 'request_id': None}),
    ('assert', {'msg': 'web-1 is RUNNING but does not answer', 'assertion': 'x', 'evaluated_to': False},
     {'message': 'web-1 is RUNNING but does not answer', 'error_code': None, 'request_id': None}),
    ('loop', {'msg': 'One or more items failed', 'failed': True, 'results': [
        {'item': {'name': 'nginx', 'url': 'http://web-1/'}, 'failed': True, 'msg': 'Status code was 503 and not [200]', 'status': 503},
        {'item': {'name': 'ok', 'command': 'true'}, 'failed': False, 'rc': 0},
        {'item': {'name': 'app', 'command': 'systemctl is-active app'}, 'failed': True, 'rc': 3},
        {'item': {'url': 'http://web-1/health'}, 'failed': True, 'rc': 0, 'status': -1, 'msg': 'Connection refused'},
        {'item': 'plain-item', 'failed': True, 'msg': 'boom', 'rc': 1, 'status': 500},
        {'skipped': True},
        'not a dict']},
     {'message': 'One or more items failed [nginx: Status code was 503 and not [200], status 503] [app: failed, rc 3] '
                 '[None: Connection refused, rc 0, status -1] [plain-item: boom, rc 1, status 500]',
      'error_code': None, 'request_id': None}),
    ('loop-without-msg', {'results': [{'item': {'name': 'app'}, 'failed': True, 'rc': 1}]},
     {'message': 'failed [app: failed, rc 1]', 'error_code': None, 'request_id': None}),
    ('loop-all-passed', {'msg': 'x', 'results': [{'item': {'name': 'app'}, 'failed': False}]},
     {'message': 'x', 'error_code': None, 'request_id': None}),
]


@pytest.mark.parametrize('result, expected', [case[1:] for case in FAILURES], ids=[case[0] for case in FAILURES])
def test_failure(result, expected):
    assert sr.failure('Check the health', result) == dict(expected, step='Check the health')


# ---------------------------------------------------------------------------------------------------------------------
# came_back_on

ON_SNAPSHOT = 'snapshot %s (rolled back)' % SNAPSHOT_ID
NOT_ROLLED_BACK = 'its previous disk (not rolled back)'
ROLLBACK_FAILED = {'failed': True, 'step': 'rollback', 'rollback_sent': True, 'request_id': 'req-9', 'error_code': 'OperationFailed',
                   'rolled_back': False}
CAME_BACK = [
    ('resume-start', START, ROLLBACK_FAILED, ON_SNAPSHOT),
    ('resume-done', DONE, None, ON_SNAPSHOT),
    ('no-entry', FULL, None, NOT_ROLLED_BACK),
    ('empty-entry', FULL, {}, NOT_ROLLED_BACK),
    ('no-decision-no-entry', None, None, NOT_ROLLED_BACK),
    ('empty-decision-no-entry', {}, None, NOT_ROLLED_BACK),
    ('failed-at-the-fleet-guard', FULL, {'failed': True, 'step': 'fleet guard'}, NOT_ROLLED_BACK),
    ('failed-at-the-backup', FULL, {'failed': True, 'step': 'backup'}, NOT_ROLLED_BACK),
    ('failed-at-the-stop', FULL, {'failed': True, 'step': 'stop'}, NOT_ROLLED_BACK),
    ('rolled-back', FULL, {'failed': False, 'rolled_back': True, 'rollback_sent': True, 'request_id': 'req-9'}, ON_SNAPSHOT),
    ('rolled-back-then-the-start-failed', None, {'failed': True, 'step': 'start', 'rolled_back': True, 'rollback_sent': True}, ON_SNAPSHOT),
    ('rollback-failed', FULL, ROLLBACK_FAILED, 'its previous disk (the rollback failed)'),
    ('rollback-refused', FULL, {'failed': True, 'step': 'rollback', 'rollback_sent': False, 'error_code': 'OperationChanged'},
     'its previous disk (the rollback was not accepted)'),
    ('rollback-timed-out', FULL, dict(ROLLBACK_FAILED, error_code='WaitTimeout'), 'unknown: the rollback may have been applied'),
    ('rollback-answer-lost', FULL, dict(ROLLBACK_FAILED, request_id=None, error_code='ClientNetworkError'),
     'unknown: the rollback may have been applied'),
]


@pytest.mark.parametrize('decision, apply_result, expected', [case[1:] for case in CAME_BACK], ids=[case[0] for case in CAME_BACK])
def test_came_back_on(decision, apply_result, expected):
    assert sr.came_back_on(decision, apply_result, SNAPSHOT_ID) == expected


# ---------------------------------------------------------------------------------------------------------------------
# journal_entry


def facts(**changes):
    """The facts journal.yml hands over, for a host rolled back in full."""
    base = {
        'run_id': RUN, 'host': 'web-1', 'instance_id': INSTANCE_ID, 'snapshot_id': None, 'snapshot_name': 'baseline',
        'check_mode': False,
        'preflight': {'changed': False, 'elapsed': 0.4, 'instance': running(), 'snapshot': rolled_back_snapshot()},
        'decision': FULL, 'plan': ['stop it (SOFT_FIRST)', 'start it'],
        'batch': {'ok': True, 'elapsed': 104.2, 'entry': {'backup_snapshot_id': 'lhsnap-backup', 'stop_request_id': 'req-stop',
                                                          'request_id': 'req-apply', 'start_request_id': 'req-start'}},
        'verify_started': '1717236987.5', 'started': '1717236900.0', 'started_iso': '2024-06-01T10:15:00Z',
        'now': 1717237018.25, 'now_iso': '2024-06-01T10:16:58Z', 'restarted': None, 'came_back_on': None, 'error': None,
    }
    base.update(changes)
    return base


def test_journal_entry_of_a_full_rollback():
    assert sr.journal_entry(facts()) == {
        'run_id': RUN, 'host': 'web-1', 'instance_id': INSTANCE_ID, 'snapshot_id': SNAPSHOT_ID, 'snapshot_name': 'baseline',
        'backup_snapshot_id': 'lhsnap-backup', 'outcome': 'rolled_back', 'resume': 'full', 'reason': FULL['reason'],
        'plan': ['stop it (SOFT_FIRST)', 'start it'],
        'request_ids': {'stop': ['req-stop'], 'rollback': 'req-apply', 'start': ['req-start']},
        'seconds': {'preflight': 0.4, 'batch': 104.2, 'verify': 30.75, 'total': 118.25},
        'started': '2024-06-01T10:15:00Z', 'finished': '2024-06-01T10:16:58Z', 'deleted_backup_ids': [], 'restarted': None, 'came_back_on': None,
        'error': None,
    }


def test_journal_entry_lists_the_backups_retention_deleted():
    assert sr.journal_entry(dict(facts(), deleted_backup_ids=['lhsnap-old'])).get('deleted_backup_ids') == ['lhsnap-old']


FAILED = {'task': 'Stop the instance', 'result': {'msg': 'denied', 'error_code': 'AuthFailure', 'request_id': 'req-9'}}
ERROR = {'step': 'Stop the instance', 'message': 'denied', 'error_code': 'AuthFailure', 'request_id': 'req-9'}
OUTCOMES = [
    ('error', dict(failed=FAILED), 'failed'),
    ('error-in-check-mode', dict(failed=FAILED, check_mode=True), 'failed'),
    ('error-of-a-done-host', dict(failed=FAILED, decision=DONE), 'failed'),
    ('error-before-the-decision', dict(failed=FAILED, decision={}), 'failed'),
    ('check-mode', dict(check_mode=True), 'planned'),
    ('check-mode-done', dict(check_mode=True, decision=DONE), 'planned'),
    ('check-mode-start', dict(check_mode=True, decision=START), 'planned'),
    ('done', dict(decision=DONE), 'skipped'),
    ('start', dict(decision=START), 'resumed'),
    ('full', dict(decision=FULL), 'rolled_back'),
    ('full-checks-only', dict(decision=FULL, batch=None), 'checked'),
    ('start-checks-only', dict(decision=START, batch=None), 'checked'),
]


@pytest.mark.parametrize('changes, outcome', [case[1:] for case in OUTCOMES], ids=[case[0] for case in OUTCOMES])
def test_journal_entry_outcome(changes, outcome):
    entry = sr.journal_entry(facts(**changes))
    assert entry['outcome'] == outcome
    assert entry['error'] == (ERROR if changes.get('failed') else None)
    assert entry['resume'] == (changes.get('decision', FULL) or {}).get('resume')


@pytest.mark.parametrize('now, started, verify_started, verify, total', [
    (1000.5, '900.25', '990', 10.5, 100.25),
    ('1000', 900, None, None, 100.0),
    (1000.0, '1000.0', '', None, 0.0),
    (100.0004, '100', '100.0001', 0.0, 0.0),
    (12.3456789, '0', '10', 2.346, 12.346),
], ids=['strings-and-floats', 'no-verify', 'empty-verify-start', 'rounded-to-zero', 'rounded-to-ms'])
def test_journal_entry_seconds(now, started, verify_started, verify, total):
    seconds = sr.journal_entry(facts(now=now, started=started, verify_started=verify_started))['seconds']
    assert (seconds['verify'], seconds['total']) == (verify, total)


def test_journal_entry_of_a_resumed_host_takes_the_rollback_request_from_the_decision():
    entry = sr.journal_entry(facts(decision=START, batch={'ok': True, 'elapsed': 3.5, 'entry': {'start_request_id': None}}, verify_started=None))
    assert entry['request_ids'] == {'stop': [], 'rollback': ROLLBACK_REQUEST, 'start': []}
    assert entry['seconds'] == {'preflight': 0.4, 'batch': 3.5, 'verify': None, 'total': 118.25}
    assert entry['backup_snapshot_id'] is None


@pytest.mark.parametrize('batch_entry, decision, expected', [
    (None, START, ROLLBACK_REQUEST),
    ({}, START, ROLLBACK_REQUEST),
    ({'request_id': None}, DONE, ROLLBACK_REQUEST),
    ({'request_id': 'req-apply'}, START, 'req-apply'),
    (None, FULL, None),
    (None, {}, None),
], ids=['no-entry', 'empty-entry', 'entry-without-request', 'entry-wins', 'full-without-entry', 'no-decision'])
def test_journal_entry_rollback_request_falls_back_to_the_decision(batch_entry, decision, expected):
    assert sr.journal_entry(facts(batch={'entry': batch_entry}, decision=decision))['request_ids']['rollback'] == expected


def test_journal_entry_of_a_failed_pre_flight():
    entry = sr.journal_entry(facts(preflight=None, decision={}, plan=None, batch=None, verify_started=None,
                                   snapshot_id=None, snapshot_name='baseline', failed=FAILED))
    assert {key: entry[key] for key in ('snapshot_id', 'snapshot_name', 'backup_snapshot_id', 'outcome', 'resume', 'reason', 'plan')} == {
        'snapshot_id': None, 'snapshot_name': 'baseline', 'backup_snapshot_id': None, 'outcome': 'failed', 'resume': None, 'reason': None,
        'plan': []}
    assert entry['request_ids'] == {'stop': [], 'rollback': None, 'start': []}
    assert entry['seconds'] == {'preflight': None, 'batch': None, 'verify': None, 'total': 118.25}


@pytest.mark.parametrize('preflight, given_id, given_name, expected', [
    ({'snapshot': rolled_back_snapshot()}, None, 'other', (SNAPSHOT_ID, 'baseline')),
    ({'snapshot': {}}, 'lhsnap-given', None, ('lhsnap-given', None)),
    ({'failed': True, 'msg': 'no such snapshot'}, None, 'baseline', (None, 'baseline')),
    (None, 'lhsnap-given', None, ('lhsnap-given', None)),
], ids=['pre-flight-wins', 'empty-snapshot', 'failed-pre-flight', 'no-pre-flight'])
def test_journal_entry_snapshot_falls_back_to_the_variables(preflight, given_id, given_name, expected):
    entry = sr.journal_entry(facts(preflight=preflight, snapshot_id=given_id, snapshot_name=given_name))
    assert (entry['snapshot_id'], entry['snapshot_name']) == expected


def test_journal_entry_keeps_the_restart():
    entry = sr.journal_entry(facts(failed=FAILED, restarted=True, batch={'entry': {'failed': True, 'step': 'stop'}}))
    assert (entry['restarted'], entry['came_back_on'], entry['error']) == (True, 'its previous disk (not rolled back)', ERROR)


def test_journal_entry_says_on_which_disk_only_a_host_the_run_started_again_came_back():
    assert sr.journal_entry(facts(failed=FAILED, restarted=None))['came_back_on'] is None
    rolled_back = {'entry': {'failed': True, 'step': 'start', 'rolled_back': True, 'rollback_sent': True}}
    assert sr.journal_entry(facts(failed=FAILED, restarted=False, batch=rolled_back))['came_back_on'] == ON_SNAPSHOT


# ---------------------------------------------------------------------------------------------------------------------
# summary


def entry(host, outcome, **changes):
    made = {'run_id': RUN, 'host': host, 'outcome': outcome, 'restarted': None, 'came_back_on': None, 'error': None}
    made.update(changes)
    return made


def slurped(host, content=None, **changes):
    """A slurp result of summary.yml's loop over the hosts --limit left out."""
    result = {'item': {'host': host, 'instance_id': INSTANCE_ID, 'region': ''}, 'changed': False, 'ansible_loop_var': 'item'}
    if content is not None:
        result.update(content=base64.b64encode(content.encode('utf-8')).decode('ascii'), encoding='base64', source='/x')
    result.update(changes)
    return result


def test_summary_of_every_kind_of_host():
    pattern = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'web-7', 'lo-1', 'lo-2', 'lo-3', 'lo-4', 'lo-5', 'lo-6', 'lo-7']
    play = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'web-7']
    stop_error = {'step': 'Stop the instance', 'message': 'denied', 'error_code': 'AuthFailure', 'request_id': 'req-9'}
    health_error = {'step': 'Check the health', 'message': 'One or more items failed', 'error_code': None, 'request_id': None}
    entries = [
        entry('web-7', 'resumed'),
        entry('web-1', 'rolled_back'),
        entry('web-2', 'failed', error=health_error, restarted=True, came_back_on='snapshot lhsnap-aaaaaaaa (rolled back)'),
        entry('web-3', 'failed', error=stop_error, restarted=False, came_back_on='its previous disk (not rolled back)'),
        entry('web-4', 'failed', error=stop_error),
        entry('web-6', 'skipped'),
        entry('elsewhere', 'rolled_back'),
    ]
    left_out = [
        slurped('lo-1', json.dumps(record('done'), indent=2)),
        slurped('lo-2', json.dumps(record('done', run_id='run-0'))),
        slurped('lo-3', failed=True, msg='file not found: /var/lib/tencentcloud-lighthouse/snapshot-rollback-lhins-3.json'),
        slurped('lo-4', json.dumps(record('rolled_back'))),
        slurped('lo-5', 'not json at all'),
        slurped('lo-6', unreachable=True, msg='Failed to connect to the host via ssh'),
        slurped('lo-7', ''),
    ]
    result = sr.summary(pattern, play, entries, left_out, RUN)
    assert result['run_id'] == RUN
    assert result['hosts'] == [
        {'host': 'web-1', 'done': True, 'status': 'rolled back'},
        {'host': 'web-2', 'done': False,
         'status': 'failed at "Check the health"; started again: yes; on snapshot lhsnap-aaaaaaaa (rolled back)'},
        {'host': 'web-3', 'done': False, 'status': 'failed at "Stop the instance"; started again: no; on its previous disk (not rolled back)'},
        {'host': 'web-4', 'done': False, 'status': 'failed at "Stop the instance"'},
        {'host': 'web-5', 'done': False, 'status': 'not reached'},
        {'host': 'web-6', 'done': True, 'status': 'already done in this run'},
        {'host': 'web-7', 'done': True, 'status': 'rolled back earlier in this run, verified now'},
        {'host': 'lo-1', 'done': True, 'status': 'left out by --limit, done earlier in this run'},
        {'host': 'lo-2', 'done': False, 'status': 'left out by --limit, not done in this run'},
        {'host': 'lo-3', 'done': False, 'status': 'left out by --limit, not done in this run'},
        {'host': 'lo-4', 'done': False, 'status': 'left out by --limit, not done in this run'},
        {'host': 'lo-5', 'done': False, 'status': 'left out by --limit, not done in this run'},
        {'host': 'lo-6', 'done': False, 'status': 'left out by --limit, not done in this run'},
        {'host': 'lo-7', 'done': False, 'status': 'left out by --limit, not done in this run'},
    ]
    assert result['unfinished'] == ['web-2', 'web-3', 'web-4', 'web-5', 'lo-2', 'lo-3', 'lo-4', 'lo-5', 'lo-6', 'lo-7']
    assert result['failed'] == ['web-2 at "Check the health": One or more items failed', 'web-3 at "Stop the instance": denied',
                                'web-4 at "Stop the instance": denied']
    assert result['table'][0] == 'host   status'
    assert result['table'][1:4] == ['web-1  rolled back',
                                    'web-2  failed at "Check the health"; started again: yes; on snapshot lhsnap-aaaaaaaa (rolled back)',
                                    'web-3  failed at "Stop the instance"; started again: no; on its previous disk (not rolled back)']
    assert result['table'][8] == 'lo-1   left out by --limit, done earlier in this run'
    assert len(result['table']) == len(pattern) + 1


def test_summary_of_a_check():
    entries = [entry('web-1', 'planned'), entry('web-2', 'failed', error={'step': 'Pre-flight', 'message': 'no such snapshot'}),
               entry('web-3', 'planned')]
    result = sr.summary(['web-1', 'web-2', 'web-3'], ['web-1', 'web-2', 'web-3'], entries, [], RUN)
    assert result['hosts'] == [{'host': 'web-1', 'done': False, 'status': 'planned (check mode)'},
                               {'host': 'web-2', 'done': False, 'status': 'failed at "Pre-flight"'},
                               {'host': 'web-3', 'done': False, 'status': 'planned (check mode)'}]
    assert result['unfinished'] == ['web-1', 'web-2', 'web-3']
    assert result['failed'] == ['web-2 at "Pre-flight": no such snapshot']


def test_summary_of_a_checks_only_run():
    result = sr.summary(['web-1', 'web-2'], ['web-1', 'web-2'], [entry('web-1', 'checked'), entry('web-2', 'checked')], [], RUN)
    assert result['hosts'] == [{'host': host, 'done': False, 'status': 'checked only (the tags selected no rollback step)'}
                               for host in ('web-1', 'web-2')]
    assert (result['unfinished'], result['failed']) == (['web-1', 'web-2'], [])


def test_summary_of_a_finished_run():
    result = sr.summary(['web-1', 'web-2'], ['web-2'], [entry('web-2', 'rolled_back')], [slurped('web-1', json.dumps(record('done')))], RUN)
    assert (result['unfinished'], result['failed']) == ([], [])
    assert result['table'] == ['host   status', 'web-1  left out by --limit, done earlier in this run', 'web-2  rolled back']


def test_summary_of_a_failure_without_error_details():
    result = sr.summary(['web-1'], ['web-1'], [entry('web-1', 'failed', error=None)], [], RUN)
    assert result['hosts'] == [{'host': 'web-1', 'done': False, 'status': 'failed at "None"'}]
    assert result['failed'] == ['web-1 at "None": None']


def test_summary_shows_an_unknown_outcome_as_is():
    assert sr.summary(['web-1'], ['web-1'], [entry('web-1', 'mystery')], [], RUN)['hosts'] == [
        {'host': 'web-1', 'done': True, 'status': 'mystery'}]


def test_summary_reads_a_left_out_record_with_bad_bytes():
    content = base64.b64encode(b'\xff\xfe' + json.dumps(record('done')).encode()).decode()
    result = sr.summary(['lo-1'], [], [], [{'item': {'host': 'lo-1'}, 'content': content}], RUN)
    assert result['hosts'] == [{'host': 'lo-1', 'done': False, 'status': 'left out by --limit, not done in this run'}]


@pytest.mark.parametrize('hosts', [
    ['a'], ['a', 'bb', 'a-much-longer-host-name', 'ccc'], ['exactly'], [],
], ids=['shorter-than-the-header', 'mixed', 'one', 'none'])
def test_summary_table_is_aligned(hosts):
    result = sr.summary(hosts, hosts, [entry(host, 'rolled_back') for host in hosts], [], RUN)
    width = max([len(host) for host in hosts] + [len('host')])
    assert len(result['table']) == len(hosts) + 1
    for line, (host, status) in zip(result['table'], [('host', 'status')] + [(host, 'rolled back') for host in hosts]):
        assert line == host.ljust(width) + '  ' + status


def batch_host(name, instance_id, region, resume='full', state='RUNNING'):
    return {'inventory_hostname': name, '_snapshot_rollback_instance_id': instance_id, '_snapshot_rollback_region': region,
            '_snapshot_rollback_decision': {'resume': resume, 'preflight': {
                'instance': {'instance_state': state, 'latest_operation_request_id': 'req-of-' + instance_id},
                'snapshot': {'snapshot_id': 'lhsnap-of-' + instance_id}}}}


def test_batch_calls_make_one_call_per_region_in_batch_order_with_the_fleet_less_the_batch():
    hosts = [batch_host('web-1', 'lhins-1', 'ap-guangzhou'), batch_host('web-2', 'lhins-2', '', resume='start'),
             batch_host('web-3', 'lhins-3', 'ap-guangzhou', state='STOPPED')]
    fleet = [{'host': 'web-%d' % number, 'instance_id': 'lhins-%d' % number, 'region': region}
             for number, region in ((1, 'ap-guangzhou'), (2, ''), (3, 'ap-guangzhou'), (4, 'ap-beijing'), (5, ''))]
    others = [{'instance_id': 'lhins-4', 'region': 'ap-beijing', 'name': 'web-4'}, {'instance_id': 'lhins-5', 'region': None, 'name': 'web-5'}]
    assert sr.batch_calls(hosts, fleet) == [
        {'region': 'ap-guangzhou', 'instance_ids': ['lhins-1', 'lhins-3'], 'hosts': ['web-1', 'web-3'], 'fleet': others, 'instances': [
            {'instance_id': 'lhins-1', 'rollback': True, 'snapshot_id': 'lhsnap-of-lhins-1', 'after_request_id': 'req-of-lhins-1'},
            {'instance_id': 'lhins-3', 'rollback': True, 'snapshot_id': 'lhsnap-of-lhins-3', 'after_request_id': 'req-of-lhins-3'}]},
        # A host whose disk is on the snapshot already is only started.
        {'region': '', 'instance_ids': ['lhins-2'], 'hosts': ['web-2'], 'fleet': others, 'instances': [{'instance_id': 'lhins-2', 'rollback': False}]},
    ]
    assert sr.batch_calls([]) == []


def apply_result(instance_ids, entries=None, **fields):
    """One loop result of the batch's lighthouse_snapshot_apply run: its item, and each instance's entry unless it failed first."""
    result = dict({'item': {'region': '', 'instance_ids': instance_ids, 'hosts': []}, 'changed': True, 'elapsed': 12.5}, **fields)
    if entries is not None:
        result['instances'] = [dict({'instance_id': item, 'failed': False, 'step': None, 'msg': None, 'error_code': None, 'request_id': None},
                                    **entry) for item, entry in zip(instance_ids, entries)]
    return result


def test_rollback_outcome_finds_the_instance_in_the_run_that_named_it():
    results = [apply_result(['lhins-1'], [{}]), apply_result(['lhins-2', 'lhins-3'], [{}, {'request_id': 'req-3'}])]
    outcome = sr.rollback_outcome(results, 'lhins-3')
    assert (outcome['ok'], outcome['error'], outcome['touched'], outcome['elapsed']) == (True, None, True, 12.5)
    assert outcome['entry']['request_id'] == 'req-3'


@pytest.mark.parametrize('entry, step, touched', [
    ({'step': 'pre-flight', 'error_code': 'OperationChanged'}, 'Pre-flight - check the snapshot against this instance', False),
    ({'step': 'pre-flight', 'error_code': 'UnauthorizedOperation.NoPermission', 'error_request_id': 'req-8'},
     'Pre-flight - check the snapshot against this instance', False),
    ({'step': 'fleet guard', 'error_code': 'FleetUnavailable'}, 'Check that no other instance of the fleet is down', False),
    ({'step': 'fleet guard', 'error_code': 'UnauthorizedOperation.NoPermission'}, 'Read the state of every instance of the fleet', False),
    ({'step': 'backup', 'error_code': 'LimitExceeded.SnapshotQuotaLimitExceeded'}, 'Take the backup snapshot before the instance is stopped', False),
    ({'step': 'stop', 'error_code': 'OperationChanged'}, "Check that this run's stop of the host's instance was accepted", False),
    ({'step': 'stop', 'error_code': 'WaitTimeout'}, "Check that this run's stop of the host's instance was accepted", True),
    ({'step': 'rollback', 'error_code': 'OperationFailed', 'request_id': 'req-9'}, 'Roll the system disk back and wait until it is done', True),
    ({'step': 'start', 'error_code': 'OperationFailed'}, "Check that this host's instance is RUNNING", True),
], ids=lambda value: value if isinstance(value, str) else None)
def test_rollback_outcome_of_a_failed_instance_names_the_role_step(entry, step, touched):
    outcome = sr.rollback_outcome([apply_result(['lhins-1'], [dict(entry, failed=True, msg='it went wrong')], failed=True)], 'lhins-1')
    assert (outcome['ok'], outcome['touched']) == (False, touched)
    assert outcome['error'] == {'step': step, 'message': 'it went wrong', 'error_code': entry['error_code'],
                                'request_id': entry.get('request_id') or entry.get('error_request_id')}


@pytest.mark.parametrize('results, message', [
    ([], 'no run was made for instance lhins-1'),
    ([apply_result(['lhins-1'], msg='Failed to roll back 1 instance(s): a region is required', error_code='ClientError', failed=True)],
     'Failed to roll back 1 instance(s): a region is required'),
])
def test_rollback_outcome_of_a_run_that_never_took_up_the_instance(results, message):
    outcome = sr.rollback_outcome(results, 'lhins-1')
    assert (outcome['ok'], outcome['entry'], outcome['touched']) == (False, None, False)
    assert outcome['error']['step'] == sr.BATCH_RUN_STEP and outcome['error']['message'] == message
    assert sr.rollback_outcome(results, 'lhins-1', 'Pre-flight')['error']['step'] == 'Pre-flight'


def test_preflight_calls_make_one_call_per_region_each_instance_with_its_choice():
    hosts = [batch_host('web-1', 'lhins-1', 'ap-guangzhou'), batch_host('web-2', 'lhins-2', ''), batch_host('web-3', 'lhins-3', 'ap-guangzhou')]
    choices = {'web-1': {'snapshot_name': 'baseline'}, 'web-2': {'snapshot_id': 'lhsnap-2'},
               'web-3': {'created_before': '2026-12-06T06:00:00Z', 'name_pattern': 'nightly-*'}}
    assert sr.preflight_calls(hosts, choices) == [
        {'region': 'ap-guangzhou', 'instance_ids': ['lhins-1', 'lhins-3'], 'hosts': ['web-1', 'web-3'], 'instances': [
            {'instance_id': 'lhins-1', 'snapshot_name': 'baseline'},
            {'instance_id': 'lhins-3', 'created_before': '2026-12-06T06:00:00Z', 'name_pattern': 'nightly-*'}]},
        {'region': '', 'instance_ids': ['lhins-2'], 'hosts': ['web-2'], 'instances': [{'instance_id': 'lhins-2', 'snapshot_id': 'lhsnap-2'}]}]


def read_result(instance_ids, latest):
    """One loop result of the batch's final lighthouse_instance_info read."""
    return {'item': {'region': '', 'instance_ids': instance_ids, 'hosts': []}, 'changed': False, 'instances': [
        {'instance_id': item, 'instance_state': 'RUNNING', 'latest_operation': 'RebootInstances', 'latest_operation_state': 'SUCCESS',
         'latest_operation_request_id': latest} for item in instance_ids]}


@pytest.mark.parametrize('results, message', [
    ([], 'no call was made for instance lhins-1'),
    ([{'item': {'instance_ids': ['lhins-1']}, 'msg': 'Failed to describe instances: [AuthFailure] denied', 'failed': True}],
     'Failed to describe instances: [AuthFailure] denied'),
    ([dict(read_result(['lhins-2'], 'req-start'), item={'instance_ids': ['lhins-1']})], 'instance lhins-1 is not in the answer'),
])
def test_batch_outcome_says_why_the_read_does_not_show_it(results, message):
    assert sr.batch_outcome(results, 'lhins-1', 'req-start') == {'ok': False, 'message': message, 'foreign': False}


@pytest.mark.parametrize('latest, ok', [('req-start', True), ('req-reboot', False)], ids=['unchanged', 'worked-on-since'])
def test_batch_outcome_checks_the_instance_is_as_the_run_left_it(latest, ok):
    outcome = sr.batch_outcome([read_result(['lhins-2', 'lhins-1'], latest)], 'lhins-1', 'req-start')
    assert (outcome['ok'], outcome['foreign']) == (ok, not ok)
    if not ok:
        assert outcome['message'] == ("the latest operation of instance lhins-1 is now RebootInstances SUCCESS (request req-reboot), "
                                      "not this run's (request req-start): another run or someone else has worked on it since, so this "
                                      "run cannot vouch for its disk")


@pytest.mark.parametrize('serial', [1, '2', '25%', [1, 10, '25%']])
def test_checked_serial_passes_a_valid_serial_through(serial):
    assert sr.checked_serial(serial) is serial


@pytest.mark.parametrize('serial', ['abc', 0, '', '0%', '101%', True, [], [1, 'x']])
def test_checked_serial_names_the_bad_value(serial):
    with pytest.raises(AnsibleFilterError) as caught:
        sr.checked_serial(serial)
    assert str(caught.value).startswith('Nothing was changed: snapshot_rollback_serial is %r; expected a number of hosts' % (serial,))


# ---------------------------------------------------------------------------------------------------------------------
# order_problem

POSITIONED = {'a': {'lighthouse_inventory_position': 1}, 'b': {'lighthouse_inventory_position': 2},
              'c': {'lighthouse_inventory_position': 3}, 'static': {'ansible_port': 22}}


@pytest.mark.parametrize('play_hosts', [
    ['a', 'b', 'c'],
    ['static', 'a', 'b', 'c'],
    ['a', 'static', 'c'],  # hosts without a position may come anywhere, and --limit may leave out any
    ['c'],
    [],
])
def test_order_problem_accepts_the_positions_order(play_hosts):
    assert sr.order_problem(play_hosts, POSITIONED) == ''


@pytest.mark.parametrize('play_hosts, actual, expected', [
    (['a', 'c', 'b'], 'a -> c -> b', 'a -> b -> c'),
    (['c', 'static', 'a'], 'c -> a', 'a -> c'),
])
def test_order_problem_names_both_orders_and_what_to_do(play_hosts, actual, expected):
    message = sr.order_problem(play_hosts, POSITIONED)
    assert message.startswith('The play takes the hosts in the order %s, but the inventory plugin tencentcloud.lighthouse.lighthouse '
                              'orders them %s (their lighthouse_inventory_position): ' % (actual, expected))
    assert "give the plugin's inventory source first" in message
    assert 'snapshot_rollback_strict_serial to false' in message


# ---------------------------------------------------------------------------------------------------------------------
# the filter the playbook needs


def test_the_only_filter_is_the_playbooks_serial_check():
    assert FilterModule().filters() == {'snapshot_rollback_checked_serial': sr.checked_serial}
