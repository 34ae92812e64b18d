# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What AWX accepts, written down from AWX 24.6 (ansible/awx, the last release) for the files of docs/awx.

Each checker returns the list of problems it finds (empty when AWX would accept the document). Sources of the rules:
the credential type's ``inputs`` and ``injectors`` schemas and checks (awx/main/fields.py, CredentialTypeInputField
and CredentialTypeInjectorField, with ENV_BLOCKLIST of awx/main/constants.py), the survey spec checks of the job
template survey_spec endpoint (awx/api/views, JobTemplateSurveySpec._validate_spec_data) and of launch-time
answers, which decide whether a default is used (awx/main/models/mixins.py, SurveyJobTemplateMixin), and the
option names of the awx.awx modules (awx_collection/plugins/modules/*.py argument_spec).
"""

from __future__ import annotations

import re

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

NAME = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')
FIELD_KEYS = {'type', 'format', 'choices', 'id', 'label', 'help_text', 'multiline', 'secret', 'ask_at_runtime', 'default'}
FIELD_TYPES = {'string': str, 'boolean': bool}
STRING_ONLY_FIELD_KEYS = ('choices', 'multiline', 'format', 'secret')
ENV_BLOCKLIST = {'VIRTUAL_ENV', 'PATH', 'PYTHONPATH', 'JOB_ID', 'INVENTORY_ID', 'INVENTORY_SOURCE_ID', 'INVENTORY_UPDATE_ID',
                 'AD_HOC_COMMAND_ID', 'REST_API_URL', 'REST_API_TOKEN', 'MAX_EVENT_RES', 'CALLBACK_QUEUE', 'CALLBACK_CONNECTION',
                 'CACHE', 'JOB_CALLBACK_DEBUG', 'INVENTORY_HOSTVARS', 'AWX_HOST', 'PROJECT_REVISION', 'SUPERVISOR_CONFIG_PATH'}
SURVEY_TYPES = {'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str, 'integer': int,
                'float': (float, int)}
CREDENTIAL_KINDS = {'ssh', 'vault', 'net', 'scm', 'cloud', 'insights'}

# Options of the awx.awx modules besides the connection options every one of them takes.
CONNECTION_OPTIONS = {'controller_host', 'controller_username', 'controller_password', 'controller_oauthtoken', 'validate_certs',
                      'request_timeout', 'controller_config_file'}
_NOTIFICATIONS = {'notification_templates_started', 'notification_templates_success', 'notification_templates_error'}
MODULE_OPTIONS = {
    'credential_type': {'name', 'new_name', 'description', 'kind', 'inputs', 'injectors', 'state'},
    'credential': {'name', 'new_name', 'copy_from', 'description', 'organization', 'credential_type', 'inputs', 'update_secrets', 'user',
                   'team', 'state'},
    'inventory': {'name', 'new_name', 'copy_from', 'description', 'organization', 'variables', 'kind', 'host_filter', 'instance_groups',
                  'prevent_instance_group_fallback', 'state', 'input_inventories'},
    'inventory_source': {'name', 'new_name', 'description', 'inventory', 'source', 'source_path', 'source_vars', 'enabled_var',
                         'enabled_value', 'host_filter', 'limit', 'credential', 'execution_environment', 'custom_virtualenv', 'organization',
                         'overwrite', 'overwrite_vars', 'timeout', 'verbosity', 'update_on_launch', 'update_cache_timeout', 'source_project',
                         'scm_branch', 'state'} | _NOTIFICATIONS,
    'job_template': {'name', 'new_name', 'copy_from', 'description', 'organization', 'job_type', 'inventory', 'project', 'playbook',
                     'credential', 'vault_credential', 'credentials', 'execution_environment', 'custom_virtualenv', 'instance_groups', 'forks',
                     'limit', 'verbosity', 'extra_vars', 'job_tags', 'force_handlers', 'skip_tags', 'start_at_task', 'timeout', 'use_fact_cache',
                     'host_config_key', 'ask_diff_mode_on_launch', 'ask_variables_on_launch', 'ask_limit_on_launch', 'ask_tags_on_launch',
                     'ask_skip_tags_on_launch', 'ask_job_type_on_launch', 'ask_verbosity_on_launch', 'ask_inventory_on_launch',
                     'ask_credential_on_launch', 'ask_execution_environment_on_launch', 'ask_forks_on_launch', 'ask_instance_groups_on_launch',
                     'ask_job_slice_count_on_launch', 'ask_labels_on_launch', 'ask_timeout_on_launch', 'survey_enabled', 'survey_spec',
                     'become_enabled', 'diff_mode', 'allow_simultaneous', 'scm_branch', 'ask_scm_branch_on_launch', 'job_slice_count',
                     'webhook_service', 'webhook_credential', 'labels', 'prevent_instance_group_fallback', 'state'} | _NOTIFICATIONS,
    'workflow_job_template': {'name', 'new_name', 'copy_from', 'description', 'extra_vars', 'job_tags', 'skip_tags', 'organization',
                              'survey_spec', 'survey_enabled', 'allow_simultaneous', 'ask_variables_on_launch', 'ask_labels_on_launch',
                              'ask_tags_on_launch', 'ask_skip_tags_on_launch', 'inventory', 'limit', 'scm_branch', 'ask_inventory_on_launch',
                              'ask_scm_branch_on_launch', 'ask_limit_on_launch', 'webhook_service', 'webhook_credential', 'labels',
                              'notification_templates_approvals', 'workflow_nodes', 'destroy_current_nodes', 'state'} | _NOTIFICATIONS,
    'workflow_job_template_node': {'identifier', 'workflow_job_template', 'organization', 'extra_data', 'inventory', 'scm_branch', 'job_type',
                                   'job_tags', 'skip_tags', 'limit', 'diff_mode', 'verbosity', 'unified_job_template', 'lookup_organization',
                                   'approval_node', 'all_parents_must_converge', 'success_nodes', 'always_nodes', 'failure_nodes',
                                   'credentials', 'execution_environment', 'forks', 'instance_groups', 'job_slice_count', 'labels', 'timeout',
                                   'state'},
}
REQUIRED_OPTIONS = {'credential_type': {'name'}, 'credential': {'name', 'credential_type'}, 'inventory': {'name', 'organization'},
                    'inventory_source': {'name', 'inventory'}, 'job_template': {'name'}, 'workflow_job_template': {'name'},
                    'workflow_job_template_node': {'identifier', 'workflow_job_template'}}
OPTION_CHOICES = {('credential_type', 'kind'): CREDENTIAL_KINDS, ('inventory_source', 'source'): {
    'scm', 'ec2', 'gce', 'azure_rm', 'vmware', 'satellite6', 'openstack', 'rhv', 'controller', 'insights', 'terraform',
    'openshift_virtualization'}}
STATES = {'present', 'absent', 'exists'}


def credential_type_problems(credential_type: dict) -> list:
    """What AWX refuses in a credential type (name, kind, inputs, injectors)."""
    problems = ['unknown option %s' % key for key in sorted(set(credential_type) - MODULE_OPTIONS['credential_type'])]
    if credential_type.get('kind') not in CREDENTIAL_KINDS:
        problems.append('kind %r is not one of %s' % (credential_type.get('kind'), sorted(CREDENTIAL_KINDS)))
    inputs = credential_type.get('inputs', {})
    problems += input_problems(inputs)
    fields = [field['id'] for field in inputs.get('fields', []) if isinstance(field, dict) and 'id' in field]
    problems += injector_problems(credential_type.get('injectors', {}), fields)
    return problems


def input_problems(inputs: dict) -> list:
    problems = ['inputs: unknown key %s' % key for key in sorted(set(inputs) - {'fields', 'required'})]
    if not all(isinstance(name, str) for name in inputs.get('required', [])):
        problems.append('inputs.required must be a list of strings')
    seen = set()
    for field in inputs.get('fields', []):
        problems += ['field %s: unknown key %s' % (field.get('id'), key) for key in sorted(set(field) - FIELD_KEYS)]
        problems += ['field %s: %s is required' % (field.get('id'), key) for key in ('id', 'label') if key not in field]
        field_id = field.get('id', '')
        if not NAME.match(field_id) or field_id == 'tower' or field_id in seen:
            problems.append('field id %r is not a unique variable name other than "tower"' % field_id)
        seen.add(field_id)
        field_type = field.get('type', 'string')
        if field_type not in FIELD_TYPES:
            problems.append('field %s: type %r is not string or boolean' % (field_id, field_type))
        elif 'default' in field and type(field['default']) is not FIELD_TYPES[field_type]:  # pylint: disable=unidiomatic-typecheck
            problems.append('field %s: default %r is not a %s' % (field_id, field['default'], field_type))
        if field_type != 'string':
            problems += ['field %s: %s is only for strings' % (field_id, key) for key in STRING_ONLY_FIELD_KEYS if key in field]
    return problems


def injector_problems(injectors: dict, fields: list) -> list:
    problems = ['injectors: unknown key %s' % key for key in sorted(set(injectors) - {'file', 'env', 'extra_vars'})]
    # AWX renders each template against every input field, and refuses one that names anything else.
    namespace = dict.fromkeys(fields, 'EXAMPLE')
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for name, template in injectors.get('env', {}).items():
        if not NAME.match(name) or name.startswith('ANSIBLE_') or name in ENV_BLOCKLIST:
            problems.append('env %s is not a variable name AWX lets a credential set' % name)
        if not isinstance(template, str) or not template.isascii():
            problems.append('env %s: the value must be an ASCII string' % name)
            continue
        try:
            environment.from_string(template).render(namespace)
        except TemplateError as error:
            problems.append('env %s: %s' % (name, error))
    return problems


def survey_problems(survey: dict) -> list:
    """What AWX refuses in a survey spec, and defaults AWX would leave out at launch (they fail the question's own rules)."""
    problems = ['%s must be a %s' % (key, kind.__name__) for key, kind in (('name', str), ('description', str), ('spec', list))
                if not isinstance(survey.get(key), kind)]
    if problems or not survey['spec']:
        return problems or ['spec has no question']
    variables = set()
    for index, question in enumerate(survey['spec']):
        where = 'question %d (%s)' % (index, question.get('variable'))
        problems += ['%s: %s must be a string' % (where, key) for key in ('type', 'question_name', 'variable')
                     if not isinstance(question.get(key), str)]
        if not isinstance(question.get('required'), bool):
            problems.append('%s: required must be a boolean' % where)
        if question.get('variable') in variables:
            problems.append('%s: the variable is asked twice' % where)
        variables.add(question.get('variable'))
        kind = question.get('type')
        if kind not in SURVEY_TYPES:
            problems.append('%s: type %r is not one of %s' % (where, kind, sorted(SURVEY_TYPES)))
            continue
        problems += ['%s: %s must be an integer' % (where, key) for key in ('min', 'max')
                     if question.get(key) is not None and not isinstance(question[key], int)]
        problems += ['%s: %s' % (where, problem) for problem in _default_problems(question)]
    return problems


def _default_problems(question: dict) -> list:
    kind, default = question['type'], question.get('default')
    if default in (None, ''):
        return []
    if not isinstance(default, SURVEY_TYPES[kind]) or isinstance(default, bool):
        return ['default %r is not a %s' % (default, kind)]
    if kind in ('multiplechoice', 'multiselect'):
        choices = question.get('choices')
        defaults = default.splitlines() if isinstance(default, str) else default
        if not choices:
            return ['a %s question needs choices' % kind]
        if kind == 'multiplechoice' and len(defaults) > 1:
            return ['a multiplechoice question has one default']
        return ['default %r is not a choice' % item for item in defaults if item not in choices]
    size = len(default) if isinstance(default, str) else default
    if question.get('min') is not None and size < question['min'] or question.get('max') is not None and size > question['max']:
        return ['default %r is outside min %s / max %s, so AWX would not use it' % (default, question.get('min'), question.get('max'))]
    return []


def task_problems(module: str, options: dict) -> list:
    """What the awx.awx module ``module`` refuses in a task's options (only literal values are checked against choices)."""
    if module not in MODULE_OPTIONS:
        return ['awx.awx.%s is not a module checked here' % module]
    known = MODULE_OPTIONS[module] | CONNECTION_OPTIONS
    problems = ['awx.awx.%s: unknown option %s' % (module, key) for key in sorted(set(options) - known)]
    problems += ['awx.awx.%s: option %s is required' % (module, key) for key in sorted(REQUIRED_OPTIONS[module] - set(options))]
    choices = {key: allowed for (owner, key), allowed in OPTION_CHOICES.items() if owner == module}
    choices['state'] = STATES
    for key, allowed in choices.items():
        value = options.get(key)
        if isinstance(value, str) and '{{' not in value and value not in allowed:
            problems.append('awx.awx.%s: %s %r is not one of %s' % (module, key, value, sorted(allowed)))
    return problems
