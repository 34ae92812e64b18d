# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback run as an AWX job runs it: through ansible-runner, from a private data directory laid out as AWX lays it out.

- ``project/``: a copy of docs/awx/project (the playbook a job template names imports tencentcloud.lighthouse.rollback);
- ``inventory/``: docs/awx/project/inventory/lighthouse.yml (the inventory plugin), plus the SSH details of the emulated
  hosts, which a real inventory gets from DNS and the machine credential;
- ``env/envvars``: the shipped credential type's injectors rendered the way AWX renders them, with the emulator's key;
- ``env/extravars``: the shipped survey's defaults and the answers to its required questions;
- the collection installed from its built tarball, as an execution environment has it.

The fleet is the emulator's, three real SSH hosts on loopback. The second host's rollback fails; AWX's "relaunch on
failed hosts" (--limit) rolls it back; a plain relaunch with the same run id finishes the run without touching a host twice.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import ansible_runner
import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import COLLECTION_ROOT, tool

sys.path[:0] = [os.path.join(COLLECTION_ROOT, 'tests', 'utils'), os.path.join(COLLECTION_ROOT, 'tests', 'emulator')]

from emulated_fleet import start, stop  # noqa: E402  pylint: disable=wrong-import-position
from harness import control  # noqa: E402  pylint: disable=wrong-import-position

AWX = os.path.join(COLLECTION_ROOT, 'docs', 'awx')
RUN_ID = 'awx-job-42'
# The emulator stands in for the cloud: the credential holds its key, and a custom endpoint points the modules at it.
CONNECTION_VARIABLES = ('ansible_host', 'ansible_port', 'ansible_user', 'ansible_ssh_private_key_file', 'snapshot_rollback_marker_dir')


def load(*path):
    with open(os.path.join(*path), encoding='utf-8') as handle:
        return json.load(handle) if path[-1].endswith('.json') else yaml.safe_load(handle)


def injected_environment(credential: dict) -> dict:
    """The environment AWX gives a job for a credential of the shipped type: each env injector rendered in a sandbox
    with the credential's non-empty inputs (an empty or missing input renders as an empty string)."""
    injectors = load(AWX, 'credential_type.yml')['injectors']
    namespace = {name: value for name, value in credential.items() if value}
    sandbox = ImmutableSandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**namespace) for name, template in injectors['env'].items()}


def survey_extra_vars(answers: dict) -> dict:
    """The extra variables AWX launches the job template with: the survey's defaults, then the operator's answers."""
    questions = load(AWX, 'survey.json')['spec']
    required = {question['variable'] for question in questions if question['required']}
    assert required == set(answers), 'the survey asks for %s' % sorted(required)
    return dict({question['variable']: question['default'] for question in questions if 'default' in question}, **answers)


class Job:
    """One private data directory, launched and relaunched like an AWX job template."""

    def __init__(self, directory: str, facts: dict, hosts: dict):
        self.directory = directory
        self.facts = facts
        self.hosts = hosts
        self.launches = 0

    def launch(self, limit: str = '') -> ansible_runner.Runner:
        self.launches += 1
        started = time.monotonic()
        runner = ansible_runner.run(private_data_dir=self.directory, playbook='rollback.yml', ident='job-%d' % self.launches,
                                    limit=limit or None, quiet=True)
        print('launch %d%s: %s in %.1f s' % (self.launches, ' --limit ' + limit if limit else '', runner.status, time.monotonic() - started))
        return runner

    def api_calls(self, action: str, since: int) -> list:
        """The instance ids of the successful ``action`` calls the emulator took after journal entry ``since``."""
        calls = control(self.facts['url'], 'journal?since=%d' % since)
        return [instance_id for call in calls if call['action'] == action and not call['error_code']
                for instance_id in call['params'].get('InstanceIds') or [call['params']['InstanceId']]]

    def last_seq(self) -> int:
        journal = control(self.facts['url'], 'journal')
        return journal[-1]['seq'] if journal else 0


def artifact(runner: ansible_runner.Runner) -> dict:
    """The job's artifacts as AWX stores them: the set_stats data of its playbook_on_stats event."""
    (stats,) = [event for event in runner.events if event['event'] == 'playbook_on_stats']
    return stats['event_data']['artifact_data']


def stdout(runner: ansible_runner.Runner) -> str:
    with open(os.path.join(runner.config.artifact_dir, 'stdout'), encoding='utf-8') as handle:
        return handle.read()


@pytest.fixture(scope='module')
def job(tmp_path_factory, installed_collections):
    base = tmp_path_factory.mktemp('awx-job')
    facts = start(str(base / 'fleet'), instances=3, time_scale=0.05)
    try:
        hosts = load(facts['inventory'])['all']
        directory = base / 'private_data_dir'
        shutil.copytree(os.path.join(AWX, 'project'), directory / 'project')
        inventory = directory / 'inventory'
        (inventory / 'host_vars').mkdir(parents=True)
        shutil.copy(os.path.join(AWX, 'project', 'inventory', 'lighthouse.yml'), inventory)
        for name, variables in hosts['hosts'].items():
            (inventory / 'host_vars' / ('%s.yml' % name)).write_text(json.dumps({key: variables[key] for key in CONNECTION_VARIABLES}))
        (inventory / 'group_vars').mkdir()
        (inventory / 'group_vars' / 'all.yml').write_text(json.dumps(hosts['vars']))
        (directory / 'env').mkdir()
        # The emulator's endpoint comes in through the credential's endpoint field, as a private endpoint would.
        credential = {'secret_id': facts['secret_id'], 'secret_key': facts['secret_key'], 'region': facts['region'], 'endpoint': facts['url']}
        # Pipelining: one SSH round trip per task on the emulated hosts, as molecule's scenarios run them.
        envvars = dict(injected_environment(credential), ANSIBLE_COLLECTIONS_PATH=installed_collections, ANSIBLE_PIPELINING='True')
        (directory / 'env' / 'envvars').write_text(json.dumps(envvars))
        answers = {'snapshot_rollback_snapshot_name': 'baseline', 'snapshot_rollback_run_id': RUN_ID}
        (directory / 'env' / 'extravars').write_text(json.dumps(survey_extra_vars(answers)))
        (directory / 'env' / 'settings').write_text(json.dumps({'job_timeout': 300}))
        with pytest.MonkeyPatch.context() as patch:
            # The job sees the cloud only through the credential's injectors.
            for name in [name for name in os.environ if name.startswith('TENCENTCLOUD_')]:
                patch.delenv(name)
            # ansible-runner runs the ansible-playbook it finds first on PATH: this environment's.
            patch.setenv('PATH', os.path.dirname(tool('ansible-playbook')), prepend=os.pathsep)
            yield Job(str(directory), facts, hosts['hosts'])
    finally:
        stop(str(base / 'fleet'))


def test_the_credential_injectors_render_as_awx_renders_them():
    assert injected_environment({'secret_id': 'AKIDX', 'secret_key': 'k', 'security_token': '', 'region': 'ap-shanghai', 'endpoint': ''}) == {
        'TENCENTCLOUD_SECRET_ID': 'AKIDX', 'TENCENTCLOUD_SECRET_KEY': 'k', 'TENCENTCLOUD_SECURITY_TOKEN': '', 'TENCENTCLOUD_REGION': 'ap-shanghai',
        'TENCENTCLOUD_LIGHTHOUSE_ENDPOINT': ''}


def test_a_job_a_relaunch_on_failed_hosts_and_relaunches(job):  # pylint: disable=redefined-outer-name
    names = list(job.hosts)
    instance = {name: job.hosts[name]['lighthouse_instance_id'] for name in names}
    control(job.facts['url'], 'faults', {'action': 'ApplyInstanceSnapshot', 'kind': 'async_failed', 'count': 1,
                                         'match': {'InstanceId': instance[names[1]]}})

    # The job: the first host is rolled back, the second one's rollback fails, the third is not touched.
    since = job.last_seq()
    first = job.launch()
    assert (first.status, first.rc) == ('failed', 2)
    stats = artifact(first)
    assert stats['snapshot_rollback_summary']['run_id'] == RUN_ID
    assert stats['snapshot_rollback_summary']['unfinished'] == names[1:]
    assert {host: entry['outcome'] for host, entry in stats['snapshot_rollback_journal'].items()} == {
        names[0]: 'rolled_back', names[1]: 'failed'}
    assert job.api_calls('ApplyInstanceSnapshot', since) == [instance[names[0]], instance[names[1]]]
    assert job.facts['secret_key'] not in stdout(first)

    # Relaunch on failed hosts: AWX limits the relaunch to them. The second host is rolled back; the job still
    # fails, naming the third host, which the limit left out and which this run never rolled back.
    since = job.last_seq()
    on_failed = job.launch(limit=names[1])
    assert (on_failed.status, on_failed.rc) == ('failed', 2)
    stats = artifact(on_failed)
    assert stats['snapshot_rollback_summary']['unfinished'] == names[2:]
    assert {host: entry['outcome'] for host, entry in stats['snapshot_rollback_journal'].items()} == {names[1]: 'rolled_back'}
    assert job.api_calls('ApplyInstanceSnapshot', since) == [instance[names[1]]]
    assert 'Run %s is not finished: %s of the pattern is not rolled back in it' % (RUN_ID, names[2]) in stdout(on_failed)

    # A relaunch of the whole job with the same run id: the hosts done are skipped (neither stopped nor rolled back
    # again), the third is rolled back.
    since = job.last_seq()
    relaunch = job.launch()
    assert (relaunch.status, relaunch.rc) == ('successful', 0)
    stats = artifact(relaunch)
    assert stats['snapshot_rollback_summary']['unfinished'] == []
    assert [row['host'] for row in stats['snapshot_rollback_summary']['hosts']] == names
    assert {host: entry['outcome'] for host, entry in stats['snapshot_rollback_journal'].items()} == {
        names[0]: 'skipped', names[1]: 'skipped', names[2]: 'rolled_back'}
    assert job.api_calls('ApplyInstanceSnapshot', since) == job.api_calls('StopInstances', since) == [instance[names[2]]]
