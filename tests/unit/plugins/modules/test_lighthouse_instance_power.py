# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_instance_power as power
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, ELSEWHERE, instance


def ids(*numbers):
    return ['lhins-%08d' % number for number in numbers]


def run(run_module, state, instance_ids, **args):
    return run_module(power.main, dict(ARGS, state=state, instance_ids=instance_ids, **args))


def described(number, state):
    """An instance as the modules see it (normalized), with the latest operation that left it in `state`."""
    return {'instance_id': 'lhins-%08d' % number, 'instance_state': state,
            'latest_operation': 'StopInstances' if state == 'STOPPED' else 'StartInstances'}


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
    assert power.plan([described(1, current)], state) == {'lhins-00000001': action}


@pytest.mark.parametrize('state', ['running', 'stopped', 'restarted'])
def test_plan_refuses_states_no_action_applies_to_and_names_them(state):
    instances = [described(1, 'RUNNING'), described(2, 'SHUTDOWN'), described(3, 'RESCUE_MODE')]
    with pytest.raises(LighthouseError) as caught:
        power.plan(instances, state)
    assert caught.value.code == 'UnsupportedOperation.InvalidInstanceState'
    assert caught.value.message.endswith('but lhins-00000002 is SHUTDOWN, lhins-00000003 is RESCUE_MODE')


def test_power_diff_shows_state_and_operation():
    instances = [described(1, 'RUNNING'), described(2, 'STOPPED')]
    diff = power.power_diff(instances, {'lhins-00000001': 'RebootInstances', 'lhins-00000002': None})
    assert diff['before'] == {'lhins-00000001': {'instance_state': 'RUNNING', 'latest_operation': 'StartInstances'},
                              'lhins-00000002': {'instance_state': 'STOPPED', 'latest_operation': 'StopInstances'}}
    assert diff['after'] == {'lhins-00000001': {'instance_state': 'RUNNING', 'latest_operation': 'RebootInstances'},
                             'lhins-00000002': {'instance_state': 'STOPPED', 'latest_operation': 'StopInstances'}}


# ---- runs against the emulator

def seconds(cloud, duration):
    return cloud.settings['durations'][duration]


def test_stops_only_the_running_ones_in_batches_of_100_and_waits_for_our_requests(run_module, cloud, clock):
    cloud.seed(*[instance(number) for number in range(1, 151)] + [instance(151, 'STOPPED')])
    untouched = cloud.instance('lhins-00000151')['LatestOperationRequestId']
    result = run(run_module, 'stopped', ids(*range(1, 152)), stop_type='SOFT')
    assert [(action, len(params['InstanceIds']), params['StopType']) for action, params in cloud.sent()] == [
        ('StopInstances', 100, 'SOFT'), ('StopInstances', 50, 'SOFT')]
    assert result['changed'] is True
    first, second = result['request_ids']
    assert [item['instance_state'] for item in result['instances']] == ['STOPPED'] * 151
    assert [item['latest_operation_request_id'] for item in result['instances']] == [first] * 100 + [second] * 50 + [untouched]
    assert clock.now - 100 >= seconds(cloud, 'stop')
    assert result['instance_request_ids'] == dict([(item, first) for item in ids(*range(1, 101))] +
                                                  [(item, second) for item in ids(*range(101, 151))])


def test_an_instance_another_client_stopped_meanwhile_has_no_request_of_this_task(run_module, cloud):
    # Another client's stop arrives just before ours: ours is refused, and once the instance has settled nothing is left to do.
    cloud.seed(instance(1), instance(2))
    cloud.before('StopInstances', lambda: cloud.elsewhere('StopInstances', {'InstanceIds': ids(1)}))
    result = run(run_module, 'stopped', ids(1, 2))
    assert [item['instance_state'] for item in result['instances']] == ['STOPPED', 'STOPPED']
    assert list(result['instance_request_ids']) == ids(2)
    assert result['instances'][0]['latest_operation_request_id'] == ELSEWHERE


def test_the_first_look_at_a_stop_just_sent_comes_one_poll_interval_after_it(run_module, cloud, clock):
    cloud.seed(instance(1))
    run(run_module, 'stopped', ids(1))
    actions = cloud.actions()
    assert actions[:3] == ['DescribeInstances', 'StopInstances', 'DescribeInstances']
    assert clock.sleeps[0] == 0.25
    # Every look after the stop follows a pause: none is made at once.
    assert actions[2:] == ['DescribeInstances'] * len(clock.sleeps)


def test_nothing_to_do_sends_nothing(run_module, cloud, clock):
    cloud.seed(instance(1, 'STOPPED'), instance(2, 'STOPPED'))
    result = run(run_module, 'stopped', ids(1, 2, 1))
    assert result['changed'] is False
    assert (result['request_ids'], result['instance_request_ids']) == ([], {})
    assert [item['instance_id'] for item in result['instances']] == ids(1, 2)
    assert cloud.actions() == ['DescribeInstances']
    assert clock.sleeps == []


def test_an_empty_list_asks_nothing(run_module, cloud):
    result = run(run_module, 'running', [])
    assert (result['changed'], result['instances'], cloud.calls()) == (False, [], [])


def test_check_mode_reports_the_change_and_sends_nothing(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'), instance(2, 'STOPPED'))
    result = run(run_module, 'stopped', ids(1, 2), _ansible_check_mode=True)
    assert result['changed'] is True
    assert result['request_ids'] == []
    assert [item['instance_state'] for item in result['instances']] == ['RUNNING', 'STOPPED']
    assert result['diff']['after']['lhins-00000001'] == {'instance_state': 'STOPPED', 'latest_operation': 'StopInstances'}
    assert cloud.sent() == []


def test_restart_reboots_the_running_and_starts_the_stopped(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'), instance(2, 'STOPPED'))
    result = run(run_module, 'restarted', ids(1, 2), stop_type='HARD')
    assert cloud.sent() == [('RebootInstances', {'InstanceIds': ids(1), 'StopType': 'HARD'}), ('StartInstances', {'InstanceIds': ids(2)})]
    assert [item['latest_operation'] for item in result['instances']] == ['RebootInstances', 'StartInstances']
    assert result['changed'] is True


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_transitional_state_is_waited_out_before_deciding(run_module, cloud, clock, check_mode):
    cloud.seed(instance(1, 'STOPPING'))
    result = run(run_module, 'stopped', ids(1), _ansible_check_mode=check_mode)
    assert result['changed'] is False
    assert result['instances'][0]['instance_state'] == 'STOPPED'
    assert cloud.sent() == []
    assert clock.now - 100 >= seconds(cloud, 'stop')


def test_a_starting_instance_is_stopped_once_it_runs(run_module, cloud):
    cloud.seed(instance(1, 'STARTING'))
    result = run(run_module, 'stopped', ids(1))
    assert cloud.mutations() == ['StopInstances']
    assert result['instances'][0]['instance_state'] == 'STOPPED'


def test_an_older_success_is_not_taken_for_ours(run_module, cloud, clock):
    # Until the stop ends, the instance is described as it was: RUNNING after an older, successful operation.
    cloud.seed(instance(1, 'RUNNING'), describe_lag=2)
    result = run(run_module, 'stopped', ids(1))
    assert result['instances'][0]['instance_state'] == 'STOPPED'
    assert result['instances'][0]['latest_operation_request_id'] == result['request_ids'][0]
    assert clock.now - 100 >= seconds(cloud, 'stop')


def test_without_wait_returns_the_instances_as_the_calls_left_them(run_module, cloud, clock):
    cloud.seed(instance(1, 'RUNNING'))
    result = run(run_module, 'stopped', ids(1), wait=False)
    assert result['changed'] is True
    assert result['instances'][0]['instance_state'] == 'STOPPING'
    assert clock.sleeps == []


def test_a_failed_operation_fails_at_once_naming_the_instance(run_module, cloud, clock):
    cloud.seed(instance(1, 'RUNNING'), instance(2, 'RUNNING'))
    cloud.faults.add({'action': 'StopInstances', 'kind': 'async_failed', 'match': {'InstanceId': 'lhins-00000002'}})
    result = run(run_module, 'stopped', ids(1, 2))
    assert result['failed'] is True
    assert result['error_code'] == 'OperationFailed'
    assert result['msg'].startswith('Failed to stop instances: the stop of 2 instance(s) failed: instance lhins-00000002: instance_state=RUNNING, ')
    assert 'lhins-00000001' not in result['msg']
    assert result['changed'] is True
    assert len(result['request_ids']) == 1
    assert clock.now - 100 < seconds(cloud, 'stop') + 1


def test_the_deadline_fails_saying_what_it_saw(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'), durations={'stop': 3600})
    result = run(run_module, 'stopped', ids(1), wait_timeout=30)
    assert result['error_code'] == 'WaitTimeout'
    assert result['msg'].startswith('Failed to stop instances: timed out after 30s waiting for the stop of 1 instance(s); '
                                    'last seen: instance lhins-00000001: instance_state=STOPPING, ')
    assert result['instance_ids'] == ids(1)


def meanwhile(cloud, action, *changes):
    """Just before the module's `action` call arrives, another client makes `changes`: [(action, instance number)]."""
    cloud.before(action, lambda: [cloud.elsewhere(name, {'InstanceIds': ids(number)}) for name, number in changes])


@pytest.mark.parametrize('state, current, operation, duration, after', [
    ('stopped', 'RUNNING', 'StopInstances', 'stop', 'STOPPED'),
    ('running', 'STOPPED', 'StartInstances', 'start', 'RUNNING'),
])
def test_a_busy_refusal_whose_instance_gets_there_meanwhile_sends_nothing_more(run_module, cloud, clock, state, current, operation, duration, after):
    cloud.seed(instance(1, current))
    meanwhile(cloud, operation, (operation, 1))
    result = run(run_module, state, ids(1))
    assert 'failed' not in result
    assert [(entry['action'], entry['error_code']) for entry in cloud.journal() if entry['action'] == operation] == [
        (operation, 'UnsupportedOperation.LatestOperationUnfinished')]
    assert (result['changed'], result['request_ids']) == (False, [])
    assert result['instances'][0]['instance_state'] == after
    assert result['instances'][0]['latest_operation_request_id'] == ELSEWHERE
    assert clock.now - 100 >= seconds(cloud, duration)
    assert cloud.pauses() == [0.5]  # one backoff pause before looking again; then nothing more to send


def test_a_busy_refusal_is_waited_out_and_sent_again_only_where_still_needed(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'), instance(2, 'RUNNING'))
    meanwhile(cloud, 'StopInstances', ('StopInstances', 1), ('RebootInstances', 2))
    result = run(run_module, 'stopped', ids(1, 2), stop_type='HARD')
    assert cloud.sent() == [('StopInstances', {'InstanceIds': ids(1, 2), 'StopType': 'HARD'}),
                            ('StopInstances', {'InstanceIds': ids(2), 'StopType': 'HARD'})]
    assert result['changed'] is True
    assert [item['instance_state'] for item in result['instances']] == ['STOPPED', 'STOPPED']
    assert [item['latest_operation_request_id'] for item in result['instances']] == [ELSEWHERE] + result['request_ids']
    assert cloud.pauses() == [0.5]


def test_a_busy_refusal_of_instances_that_already_look_settled_is_sent_again_after_a_pause(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'))
    cloud.faults.add({'action': 'StopInstances', 'code': 'UnsupportedOperation.LatestOperationUnfinished'})
    result = run(run_module, 'stopped', ids(1))
    sent_at = [cloud.at(entry) for entry in cloud.journal() if entry['action'] == 'StopInstances']
    assert len(sent_at) == 2
    assert sent_at[1] - sent_at[0] == 0.5
    assert cloud.pauses() == [0.5]
    assert (result['changed'], len(result['request_ids'])) == (True, 1)
    assert result['instances'][0]['instance_state'] == 'STOPPED'


def test_a_busy_restart_is_planned_again_by_the_state_its_instance_settles_in(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'))
    meanwhile(cloud, 'RebootInstances', ('StopInstances', 1))
    result = run(run_module, 'restarted', ids(1))
    assert cloud.mutations() == ['RebootInstances', 'StartInstances']
    assert result['changed'] is True
    assert result['instances'][0]['instance_state'] == 'RUNNING'


def test_a_busy_refusal_whose_instance_settles_where_no_action_applies_fails_unchanged(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'))
    cloud.before('StopInstances', lambda: cloud.operate('lhins-00000001', 'EnterRescueMode', 'ENTER_RESCUE_MODE', 'RESCUE_MODE', 3))
    result = run(run_module, 'stopped', ids(1))
    assert result['error_code'] == 'UnsupportedOperation.InvalidInstanceState'
    assert result['msg'].endswith('but lhins-00000001 is RESCUE_MODE')
    assert (result.get('changed', False), result['request_ids']) == (False, [])
    assert cloud.mutations() == ['StopInstances']


@pytest.mark.parametrize('args, fragment', [
    ({'instance_ids': ['lhins-00000001', 'web-2']}, "Failed to stop instances: malformed instance id(s): 'web-2' (expected lhins-xxxxxxxx)"),
    ({'stop_type': 'GENTLE'}, 'value of stop_type must be one of: SOFT, HARD, SOFT_FIRST, got: GENTLE'),
    ({'state': 'paused'}, 'value of state must be one of: running, stopped, restarted, got: paused'),
    ({'wait_timeout': 0}, 'wait_timeout must be a positive number of seconds, got 0'),
])
def test_bad_input_fails_before_any_call(run_module, cloud, args, fragment):
    cloud.seed(instance(1, 'RUNNING'))
    result = run_module(power.main, dict(ARGS, **dict({'state': 'stopped', 'instance_ids': ids(1)}, **args)))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert cloud.calls() == []


def test_an_unknown_instance_fails_before_any_change(run_module, cloud):
    cloud.seed(instance(1, 'RUNNING'))
    result = run(run_module, 'stopped', ids(1, 9))
    assert result['error_code'] == 'ResourceNotFound.InstanceIdNotFound'
    assert 'lhins-00000009' in result['msg']
    assert cloud.sent() == []
