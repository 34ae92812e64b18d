# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import normalize
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_instance_power as power
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fake_cloud import busy, instance

ARGS = {'secret_id': 'AKIDUNITTEST', 'secret_key': 'unit-test-secret-key', 'region': 'ap-guangzhou'}
MUTATING = ['StartInstances', 'StopInstances', 'RebootInstances']


def ids(*numbers):
    return ['lhins-%08d' % number for number in numbers]


def run(run_module, state, instance_ids, **args):
    return run_module(power.main, dict(ARGS, state=state, instance_ids=instance_ids, **args))


def mutations(cloud):
    return [(action, params) for action, params in cloud.calls if action in MUTATING]


# ---- the decision, per instance

@pytest.mark.parametrize('state, current, action', [
    ('running', 'RUNNING', None),
    ('running', 'STOPPED', 'StartInstances'),
    ('stopped', 'RUNNING', 'StopInstances'),
    ('stopped', 'STOPPED', None),
    ('restarted', 'RUNNING', 'RebootInstances'),
    ('restarted', 'STOPPED', 'StartInstances'),
])
def test_plan(state, current, action):
    assert power.plan(normalize([instance(1, current)]), state) == {'lhins-00000001': action}


@pytest.mark.parametrize('state', ['running', 'stopped', 'restarted'])
def test_plan_refuses_states_no_action_applies_to_and_names_them(state):
    instances = normalize([instance(1, 'RUNNING'), instance(2, 'SHUTDOWN'), instance(3, 'RESCUE_MODE')])
    with pytest.raises(LighthouseError) as caught:
        power.plan(instances, state)
    assert caught.value.code == 'UnsupportedOperation.InvalidInstanceState'
    assert caught.value.message.endswith('but lhins-00000002 is SHUTDOWN, lhins-00000003 is RESCUE_MODE')


def test_power_diff_shows_state_and_operation():
    instances = normalize([instance(1, 'RUNNING'), instance(2, 'STOPPED')])
    diff = power.power_diff(instances, {'lhins-00000001': 'RebootInstances', 'lhins-00000002': None})
    assert diff['before'] == {'lhins-00000001': {'instance_state': 'RUNNING', 'latest_operation': 'StartInstances'},
                              'lhins-00000002': {'instance_state': 'STOPPED', 'latest_operation': 'StopInstances'}}
    assert diff['after'] == {'lhins-00000001': {'instance_state': 'RUNNING', 'latest_operation': 'RebootInstances'},
                             'lhins-00000002': {'instance_state': 'STOPPED', 'latest_operation': 'StopInstances'}}


# ---- runs against a FakeCloud

def test_stops_only_the_running_ones_in_batches_of_100_and_waits_for_our_requests(run_module, lighthouse):
    lighthouse.add(*[instance(number, 'RUNNING') for number in range(1, 151)] + [instance(151, 'STOPPED')])
    result = run(run_module, 'stopped', ids(*range(1, 152)), stop_type='SOFT')
    sent = mutations(lighthouse)
    assert [(action, len(params['InstanceIds']), params['StopType']) for action, params in sent] == [
        ('StopInstances', 100, 'SOFT'), ('StopInstances', 50, 'SOFT')]
    assert result['changed'] is True
    first, second = result['request_ids']
    assert [item['instance_state'] for item in result['instances']] == ['STOPPED'] * 151
    assert [item['latest_operation_request_id'] for item in result['instances']] == [first] * 100 + [second] * 50 + ['req-power-151']
    assert lighthouse.clock.now - 100 >= lighthouse.seconds['stop']


def test_nothing_to_do_sends_nothing(run_module, lighthouse):
    lighthouse.add(instance(1, 'STOPPED'), instance(2, 'STOPPED'))
    result = run(run_module, 'stopped', ids(1, 2, 1))
    assert result['changed'] is False
    assert result['request_ids'] == []
    assert [item['instance_id'] for item in result['instances']] == ids(1, 2)
    assert lighthouse.actions() == ['DescribeInstances']


def test_an_empty_list_asks_nothing(run_module, lighthouse):
    result = run(run_module, 'running', [])
    assert (result['changed'], result['instances'], lighthouse.calls) == (False, [], [])


def test_check_mode_reports_the_change_and_sends_nothing(run_module, lighthouse):
    lighthouse.add(instance(1, 'RUNNING'), instance(2, 'STOPPED'))
    result = run(run_module, 'stopped', ids(1, 2), _ansible_check_mode=True)
    assert result['changed'] is True
    assert result['request_ids'] == []
    assert [item['instance_state'] for item in result['instances']] == ['RUNNING', 'STOPPED']
    assert result['diff']['after']['lhins-00000001'] == {'instance_state': 'STOPPED', 'latest_operation': 'StopInstances'}
    assert mutations(lighthouse) == []


def test_restart_reboots_the_running_and_starts_the_stopped(run_module, lighthouse):
    lighthouse.add(instance(1, 'RUNNING'), instance(2, 'STOPPED'))
    result = run(run_module, 'restarted', ids(1, 2), stop_type='HARD')
    assert mutations(lighthouse) == [('RebootInstances', {'InstanceIds': ids(1), 'StopType': 'HARD'}),
                                     ('StartInstances', {'InstanceIds': ids(2)})]
    assert [item['latest_operation'] for item in result['instances']] == ['RebootInstances', 'StartInstances']
    assert result['changed'] is True


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_transitional_state_is_waited_out_before_deciding(run_module, lighthouse, check_mode):
    stopping = instance(1, 'STOPPING', LatestOperationState='OPERATING')
    lighthouse.add(stopping)
    lighthouse.later(3, lambda: stopping.update(InstanceState='STOPPED', LatestOperationState='SUCCESS'))
    result = run(run_module, 'stopped', ids(1), _ansible_check_mode=check_mode)
    assert result['changed'] is False
    assert result['instances'][0]['instance_state'] == 'STOPPED'
    assert mutations(lighthouse) == []
    assert lighthouse.clock.now - 100 >= 3


def test_a_starting_instance_is_stopped_once_it_runs(run_module, lighthouse):
    starting = instance(1, 'STARTING', LatestOperationState='OPERATING')
    lighthouse.add(starting)
    lighthouse.later(2, lambda: starting.update(InstanceState='RUNNING', LatestOperationState='SUCCESS'))
    result = run(run_module, 'stopped', ids(1))
    assert [action for action, _params in mutations(lighthouse)] == ['StopInstances']
    assert result['instances'][0]['instance_state'] == 'STOPPED'


def test_an_older_success_is_not_taken_for_ours(run_module, lighthouse):
    lighthouse.lagging = True  # the instance keeps showing its older, successful operation for a while
    lighthouse.add(instance(1, 'RUNNING'))
    result = run(run_module, 'stopped', ids(1))
    assert result['instances'][0]['instance_state'] == 'STOPPED'
    assert result['instances'][0]['latest_operation_request_id'] == result['request_ids'][0]
    assert lighthouse.clock.now - 100 >= lighthouse.seconds['stop']


def test_without_wait_returns_the_instances_as_the_calls_left_them(run_module, lighthouse):
    lighthouse.add(instance(1, 'RUNNING'))
    result = run(run_module, 'stopped', ids(1), wait=False)
    assert result['changed'] is True
    assert result['instances'][0]['instance_state'] == 'STOPPING'
    assert lighthouse.clock.sleeps == []


def test_a_failed_operation_fails_at_once_naming_the_instance(run_module, lighthouse):
    lighthouse.add(instance(1, 'RUNNING'), instance(2, 'RUNNING'))
    lighthouse.failing.add('lhins-00000002')
    result = run(run_module, 'stopped', ids(1, 2))
    assert result['failed'] is True
    assert result['error_code'] == 'OperationFailed'
    assert result['msg'].startswith('Failed to stop instances: the stop of 2 instance(s) failed: lhins-00000002: instance_state=RUNNING, ')
    assert 'lhins-00000001:' not in result['msg']
    assert result['changed'] is True
    assert len(result['request_ids']) == 1
    assert lighthouse.clock.now - 100 < 5


def test_the_deadline_fails_saying_what_it_saw(run_module, lighthouse):
    lighthouse.seconds['stop'] = 3600
    lighthouse.add(instance(1, 'RUNNING'))
    result = run(run_module, 'stopped', ids(1), wait_timeout=30)
    assert result['error_code'] == 'WaitTimeout'
    assert result['msg'].startswith('Failed to stop instances: timed out after 30s waiting for the stop of 1 instance(s); '
                                    'last seen: lhins-00000001: instance_state=STOPPING, ')
    assert result['instance_ids'] == ids(1)


def refused_as_busy(lighthouse, action, meanwhile):
    """The next `action` call is refused as busy; `meanwhile()`, another client's doing, happens as it is sent."""
    def hook():
        del lighthouse.hooks[action]
        meanwhile()
    lighthouse.errors[action] = [busy('UnsupportedOperation.LatestOperationUnfinished')]
    lighthouse.hooks[action] = hook


def elsewhere(lighthouse, target, operation, during, after):
    """Another client's `operation` on `target`: the instance is `during` now and `after` it 3 seconds later."""
    target.update(InstanceState=during, LatestOperation=operation, LatestOperationState='OPERATING', LatestOperationRequestId='req-elsewhere')
    lighthouse.later(3, lambda: target.update(InstanceState=after, LatestOperationState='SUCCESS'))


@pytest.mark.parametrize('state, current, operation, during, after', [
    ('stopped', 'RUNNING', 'StopInstances', 'STOPPING', 'STOPPED'),
    ('running', 'STOPPED', 'StartInstances', 'STARTING', 'RUNNING'),
])
def test_a_busy_refusal_whose_instance_gets_there_meanwhile_sends_nothing_more(run_module, lighthouse, state, current, operation, during, after):
    target = instance(1, current)
    lighthouse.add(target)
    refused_as_busy(lighthouse, operation, lambda: elsewhere(lighthouse, target, operation, during, after))
    result = run(run_module, state, ids(1))
    assert 'failed' not in result
    assert [action for action, _params in mutations(lighthouse)] == [operation]
    assert (result['changed'], result['request_ids']) == (False, [])
    assert result['instances'][0]['instance_state'] == after
    assert result['instances'][0]['latest_operation_request_id'] == 'req-elsewhere'
    assert lighthouse.clock.now - 100 >= 3
    assert lighthouse.clock.pauses == []  # nothing more to send, so no pause


def test_a_busy_refusal_is_waited_out_and_sent_again_only_where_still_needed(run_module, lighthouse):
    first, second = instance(1, 'RUNNING'), instance(2, 'RUNNING')
    lighthouse.add(first, second)

    def meanwhile():
        elsewhere(lighthouse, first, 'StopInstances', 'STOPPING', 'STOPPED')
        elsewhere(lighthouse, second, 'RebootInstances', 'REBOOTING', 'RUNNING')
    refused_as_busy(lighthouse, 'StopInstances', meanwhile)
    result = run(run_module, 'stopped', ids(1, 2), stop_type='HARD')
    assert mutations(lighthouse) == [('StopInstances', {'InstanceIds': ids(1, 2), 'StopType': 'HARD'}),
                                     ('StopInstances', {'InstanceIds': ids(2), 'StopType': 'HARD'})]
    assert result['changed'] is True
    assert [item['instance_state'] for item in result['instances']] == ['STOPPED', 'STOPPED']
    assert [item['latest_operation_request_id'] for item in result['instances']] == ['req-elsewhere'] + result['request_ids']
    assert lighthouse.clock.pauses == [0.5]


def test_a_busy_refusal_of_instances_that_already_look_settled_is_sent_again_after_a_pause(run_module, lighthouse):
    lighthouse.add(instance(1, 'RUNNING'))
    sent_at = []
    lighthouse.hooks['StopInstances'] = lambda: sent_at.append(lighthouse.clock.now)
    lighthouse.errors['StopInstances'] = [busy('UnsupportedOperation.LatestOperationUnfinished')]
    result = run(run_module, 'stopped', ids(1))
    assert [action for action, _params in mutations(lighthouse)] == ['StopInstances', 'StopInstances']
    assert lighthouse.clock.pauses == [0.5]
    assert sent_at[1] - sent_at[0] == 0.5
    assert (result['changed'], len(result['request_ids'])) == (True, 1)
    assert result['instances'][0]['instance_state'] == 'STOPPED'


def test_a_busy_restart_is_planned_again_by_the_state_its_instance_settles_in(run_module, lighthouse):
    target = instance(1, 'RUNNING')
    lighthouse.add(target)
    refused_as_busy(lighthouse, 'RebootInstances', lambda: elsewhere(lighthouse, target, 'StopInstances', 'STOPPING', 'STOPPED'))
    result = run(run_module, 'restarted', ids(1))
    assert [action for action, _params in mutations(lighthouse)] == ['RebootInstances', 'StartInstances']
    assert result['changed'] is True
    assert result['instances'][0]['instance_state'] == 'RUNNING'


def test_a_busy_refusal_whose_instance_settles_where_no_action_applies_fails_unchanged(run_module, lighthouse):
    target = instance(1, 'RUNNING')
    lighthouse.add(target)
    refused_as_busy(lighthouse, 'StopInstances', lambda: elsewhere(lighthouse, target, 'EnterRescueMode', 'ENTER_RESCUE_MODE', 'RESCUE_MODE'))
    result = run(run_module, 'stopped', ids(1))
    assert result['error_code'] == 'UnsupportedOperation.InvalidInstanceState'
    assert result['msg'].endswith('but lhins-00000001 is RESCUE_MODE')
    assert (result.get('changed', False), result['request_ids']) == (False, [])
    assert len(mutations(lighthouse)) == 1


@pytest.mark.parametrize('args, fragment', [
    ({'instance_ids': ['lhins-00000001', 'web-2']}, "Failed to stop instances: malformed instance id(s): 'web-2' (expected lhins-xxxxxxxx)"),
    ({'stop_type': 'GENTLE'}, 'value of stop_type must be one of: SOFT, HARD, SOFT_FIRST, got: GENTLE'),
    ({'state': 'paused'}, 'value of state must be one of: running, stopped, restarted, got: paused'),
    ({'wait_timeout': 0}, 'wait_timeout must be a positive number of seconds, got 0'),
])
def test_bad_input_fails_before_any_call(run_module, lighthouse, args, fragment):
    lighthouse.add(instance(1, 'RUNNING'))
    result = run_module(power.main, dict(ARGS, **dict({'state': 'stopped', 'instance_ids': ids(1)}, **args)))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert lighthouse.calls == []


def test_an_unknown_instance_fails_before_any_change(run_module, lighthouse):
    lighthouse.add(instance(1, 'RUNNING'))
    result = run(run_module, 'stopped', ids(1, 9))
    assert result['error_code'] == 'ResourceNotFound.InstanceIdNotFound'
    assert 'lhins-00000009' in result['msg']
    assert mutations(lighthouse) == []
