# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/awx against what AWX accepts (awx_rules.py) and against the collection they configure. No AWX server needed."""

from __future__ import annotations

import ast
import copy
import json
import os
import re

import pytest
import yaml

from awx_rules import credential_type_problems, survey_problems, task_problems
from conftest import COLLECTION_ROOT

AWX = os.path.join(COLLECTION_ROOT, 'docs', 'awx')
ROLE = os.path.join(COLLECTION_ROOT, 'roles', 'snapshot_rollback')
# What the role's argument spec types are asked as.
SURVEY_TYPE_OF = {'int': {'integer'}, 'str': {'text', 'textarea', 'multiplechoice', 'password'}}


def load(*path):
    with open(os.path.join(*path), encoding='utf-8') as handle:
        return json.load(handle) if path[-1].endswith('.json') else yaml.safe_load(handle)


def credential_type():
    return load(AWX, 'credential_type.yml')


def survey():
    return load(AWX, 'survey.json')


def cac_tasks():
    """(module, options) of every awx.awx task of the configuration-as-code playbook."""
    (play,) = load(AWX, 'configure_awx.yml')
    found = []
    for task in play['tasks']:
        (module,) = [key for key in task if key.startswith('awx.awx.')]
        found.append((module.split('.')[-1], task[module]))
    return found


def module_env_fallbacks():
    """Option name -> environment variables of the modules' shared options (AUTH_ARGSPEC of module_utils/_base.py)."""
    with open(os.path.join(COLLECTION_ROOT, 'plugins', 'module_utils', '_base.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    (spec,) = [node.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == 'AUTH_ARGSPEC']
    fallbacks = {}
    for option in spec.keywords:
        for keyword in option.value.keywords:
            if keyword.arg == 'fallback':
                fallbacks[option.arg] = ast.literal_eval(keyword.value.elts[1])
    return fallbacks


def inventory_plugin_env():
    """Option name -> environment variables of the inventory plugin (its DOCUMENTATION)."""
    with open(os.path.join(COLLECTION_ROOT, 'plugins', 'inventory', 'lighthouse.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    (doc,) = [node.value.value for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == 'DOCUMENTATION']
    options = yaml.safe_load(doc)['options']
    return {name: [env['name'] for env in option['env']] for name, option in options.items() if 'env' in option}


def role_options():
    return load(ROLE, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']


def test_the_credential_type_is_one_awx_accepts():
    assert credential_type_problems(credential_type()) == []


def test_the_credential_type_sets_what_the_modules_and_the_inventory_plugin_read():
    fields = {field['id'] for field in credential_type()['inputs']['fields']}
    injected = credential_type()['injectors']['env']
    assert fields == {'secret_id', 'secret_key', 'security_token', 'region', 'endpoint'}
    for source in (module_env_fallbacks(), inventory_plugin_env()):
        # Each field lands in the first variable its option falls back to, and nothing else is set.
        assert {source[field][0]: '{{ %s }}' % field for field in fields} == injected
    assert [field['id'] for field in credential_type()['inputs']['fields'] if field.get('secret')] == ['secret_key', 'security_token']
    assert credential_type()['inputs']['required'] == ['secret_id', 'secret_key']


def test_the_survey_is_one_awx_accepts():
    assert survey_problems(survey()) == []


def test_every_survey_question_is_a_variable_of_the_playbook_with_its_type_choices_and_default():
    options = role_options()
    playbook_variables = load(ROLE, 'vars', 'main.yml')['_snapshot_rollback_playbook_variables']
    with open(os.path.join(COLLECTION_ROOT, 'playbooks', 'rollback.yml'), encoding='utf-8') as handle:
        playbook = handle.read()
    for question in survey()['spec']:
        variable = question['variable']
        if variable in playbook_variables:
            # The playbook's own variables: the survey's default is the playbook's.
            assert "%s | default('%s')" % (variable, question['default']) in playbook, variable
            continue
        option = options[variable]
        assert question['type'] in SURVEY_TYPE_OF[option['type']], variable
        assert set(question.get('choices', option.get('choices', []))) == set(option.get('choices', [])), variable
        assert question.get('default') == option.get('default'), variable


def test_a_relaunch_keeps_the_run_id_because_the_survey_asks_for_one():
    asked = {question['variable']: question for question in survey()['spec']}
    for variable in ('snapshot_rollback_snapshot_name', 'snapshot_rollback_run_id'):
        assert asked[variable]['required'] and 'default' not in asked[variable]


@pytest.mark.parametrize('change, problem', [
    (lambda c: c['injectors']['env'].update(TENCENTCLOUD_REGION='{{ zone }}'), "'zone' is undefined"),
    (lambda c: c['injectors']['env'].update(ANSIBLE_CONFIG='{{ region }}'), 'ANSIBLE_CONFIG is not a variable name'),
    (lambda c: c['injectors']['env'].update(PATH='/tmp'), 'PATH is not a variable name'),
    (lambda c: c['inputs']['fields'].append({'id': 'region', 'label': 'again'}), "'region' is not a unique"),
    (lambda c: c['inputs']['fields'][0].update(type='boolean', secret=True), 'secret is only for strings'),
    (lambda c: c['inputs']['fields'][0].pop('label'), 'label is required'),
    (lambda c: c.update(kind='lighthouse'), "kind 'lighthouse'"),
])
def test_the_credential_type_checker_finds_what_awx_refuses(change, problem):
    changed = copy.deepcopy(credential_type())
    change(changed)
    assert any(problem in found for found in credential_type_problems(changed)), credential_type_problems(changed)


@pytest.mark.parametrize('change, problem', [
    (lambda q: q.update(default='NOW'), "default 'NOW' is not a choice"),
    (lambda q: q.update(type='boolean'), "type 'boolean'"),
    (lambda q: q.pop('choices'), 'needs choices'),
    (lambda q: q.update(required='yes'), 'required must be a boolean'),
    (lambda q: q.update(type='integer'), "default 'SOFT_FIRST' is not a integer"),
])
def test_the_survey_checker_finds_what_awx_refuses(change, problem):
    changed = copy.deepcopy(survey())
    change(next(question for question in changed['spec'] if question['type'] == 'multiplechoice'))
    assert any(problem in found for found in survey_problems(changed)), survey_problems(changed)


def test_the_survey_checker_finds_defaults_awx_would_drop():
    changed = copy.deepcopy(survey())
    next(question for question in changed['spec'] if question['type'] == 'integer')['default'] = 0
    assert [problem for problem in survey_problems(changed) if 'would not use it' in problem]


def test_the_configuration_playbook_uses_only_options_the_awx_modules_have():
    problems = [problem for module, options in cac_tasks() for problem in task_problems(module, options)]
    assert problems == []
    assert task_problems('job_template', {'name': 'x', 'job_slicing': 1, 'state': 'on'}) == [
        'awx.awx.job_template: unknown option job_slicing', "awx.awx.job_template: state 'on' is not one of ['absent', 'exists', 'present']"]


def test_the_configuration_playbook_ships_the_files_of_docs_awx():
    tasks = dict(cac_tasks())
    play_vars = load(AWX, 'configure_awx.yml')[0]['vars']
    assert "'credential_type.yml'" in play_vars['credential_type'] and "'survey.json'" in play_vars['survey']
    assert {tasks['credential_type'][key] for key in ('inputs', 'injectors')} == {'{{ credential_type.inputs }}', '{{ credential_type.injectors }}'}
    template = tasks['job_template']
    assert (template['survey_enabled'], template['survey_spec'], template['job_slice_count']) == (True, '{{ survey }}', 1)
    assert os.path.isfile(os.path.join(AWX, 'project', template['playbook']))
    source = tasks['inventory_source']
    assert load(AWX, 'project', source['source_path'])['plugin'] == 'tencentcloud.lighthouse.lighthouse'


def test_the_workflow_rolls_each_region_group_of_the_inventory():
    inventory = load(AWX, 'project', 'inventory', 'lighthouse.yml')
    (group,) = inventory['keyed_groups']
    assert group['key'] == 'lighthouse_region'
    nodes = [options for module, options in cac_tasks() if module == 'workflow_job_template_node']
    region_node, sync_node = nodes
    assert region_node['extra_data'] == {'snapshot_rollback_hosts': "%s_{{ item | replace('-', '_') }}" % group['prefix']}
    assert region_node['unified_job_template'] == dict(cac_tasks())['job_template']['name']
    assert sync_node['unified_job_template'] == dict(cac_tasks())['inventory_source']['name']
    assert re.search(r"'\^', '%s'" % region_node['identifier'].split('{{')[0], sync_node['success_nodes'])
    asked = {question['variable'] for question in survey()['spec']}
    assert set(region_node['extra_data']) <= asked


def test_the_execution_environment_pins_its_base_image_by_tag():
    image = load(COLLECTION_ROOT, 'docs', 'execution-environment', 'execution-environment.yml')['images']['base_image']['name']
    name, tag = image.rsplit(':', 1)
    assert '/' in name and tag != 'latest' and '/' not in tag, image
