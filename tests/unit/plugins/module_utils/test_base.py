# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils import _base
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError, WaitTimeoutError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, PENDING
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fakes import Scripted
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.module_args import patch_module_args

SECRET_KEY = 'unit-test-secret-key-0123456789'
ARGS = {'secret_id': 'AKIDUNITTEST', 'secret_key': SECRET_KEY, 'region': 'ap-guangzhou'}


def build(args, **kwargs):
    """A LighthouseModule made from args, for tests that do not exit."""
    with patch_module_args(args):
        return LighthouseModule(argument_spec=dict(name=dict(type='str')), **kwargs)


def module_running(work, failure='do things', wait=False, check_options=lambda params: None, **ids):
    """A main() that runs `work` through the shared fail path, after `check_options`."""
    def main():
        LighthouseModule(argument_spec=dict(name=dict(type='str')), wait=wait, supports_check_mode=True).run(work, failure, check_options, **ids)
    return main


def test_shared_options_and_their_defaults(clean_env):
    params = build(dict(name='x')).params
    assert params == dict(name='x', secret_id=None, secret_key=None, security_token=None, region=None, endpoint=None,
                          validate_certs=True, allow_plain_http=False, api_timeout=30)


def test_wait_options_are_added_on_request(clean_env):
    module = build({}, wait=True)
    assert (module.params['wait'], module.params['wait_timeout']) == (True, 1200)
    assert module.deadline.timeout == 1200
    assert build({}).deadline is None


@pytest.mark.parametrize('variables, expected', [
    ({'TENCENTCLOUD_SECRET_ID': 'AKIDENV', 'TENCENTCLOUD_SECRET_KEY': 'env-key', 'TENCENTCLOUD_REGION': 'ap-shanghai',
      'TENCENTCLOUD_LIGHTHOUSE_ENDPOINT': 'http://127.0.0.1:9'},
     {'secret_id': 'AKIDENV', 'secret_key': 'env-key', 'region': 'ap-shanghai', 'endpoint': 'http://127.0.0.1:9'}),
    ({'TENCENTCLOUD_SECURITY_TOKEN': 'sts-token'}, {'security_token': 'sts-token'}),
    ({'TENCENTCLOUD_TOKEN': 'tccli-token'}, {'security_token': 'tccli-token'}),
    ({'TENCENTCLOUD_SECURITY_TOKEN': 'sts-token', 'TENCENTCLOUD_TOKEN': 'tccli-token'}, {'security_token': 'sts-token'}),
])
def test_environment_fallbacks(clean_env, variables, expected):
    for name, value in variables.items():
        clean_env.setenv(name, value)
    params = build({}).params
    assert dict((key, params[key]) for key in expected) == expected


def test_options_beat_the_environment(clean_env):
    clean_env.setenv('TENCENTCLOUD_REGION', 'ap-shanghai')
    clean_env.setenv('TENCENTCLOUD_TOKEN', 'tccli-token')
    params = build(dict(region='ap-guangzhou', security_token='given')).params
    assert (params['region'], params['security_token']) == ('ap-guangzhou', 'given')


def test_client_is_built_once_from_the_options_with_the_run_deadline(clean_env):
    module = build(dict(ARGS, endpoint='http://127.0.0.1:9', wait_timeout=60), wait=True)
    assert module.client is module.client
    assert (module.client.region, module.client.deadline) == ('ap-guangzhou', module.deadline)


@pytest.mark.parametrize('args, check_mode, waits', [
    ({}, False, True),
    ({}, True, False),
    ({'wait': False}, False, False),
])
def test_waits_for_outcomes_only_outside_check_mode_and_with_wait(clean_env, args, check_mode, waits):
    module = build(dict(args, _ansible_check_mode=check_mode), wait=True, supports_check_mode=True)
    assert module.waits is waits


@pytest.fixture
def on_clock(clean_env, monkeypatch, clock):
    """LighthouseModule reads time and sleeps on the manual clock; jitter is at the top of its range."""
    monkeypatch.setattr(LighthouseModule, 'clock', clock)
    monkeypatch.setattr(LighthouseModule, 'sleep', clock.sleep)
    monkeypatch.setattr(LighthouseModule, 'random', staticmethod(lambda: 1.0))
    return clock


def test_the_run_s_deadline_retry_and_waiter_share_the_injected_clock(on_clock):
    module = build(dict(ARGS, wait_timeout=60), wait=True)
    assert module.retry.backoff(1, module.deadline) is True
    module.waiter.wait('something', Scripted((PENDING, 'busy'), (DONE, 'ready')), module.deadline, str)
    assert on_clock.sleeps == [0.5, 0.25]
    assert module.deadline.remaining() == 59.25
    assert module.elapsed() == 0.75


def busy_refusal(request_id='req-busy'):
    return LighthouseError('UnsupportedOperation.LatestOperationUnfinished', 'busy', request_id)


class Sender:
    """A send() that records its requests and raises the errors queued for them (request -> list of errors)."""

    def __init__(self, **errors):
        self.errors = errors
        self.sent = []

    def __call__(self, request):
        queued = self.errors.get(request) or []
        if queued:
            raise queued.pop(0)
        self.sent.append(request)


def settle_and_send(module, probe, sender, plan=lambda view: view, view=None):
    return module.settle_and_send('the things to settle', probe, plan, sender, str, view)


def test_settle_and_send_waits_for_the_resources_then_sends_what_the_plan_needs(on_clock):
    module = build(ARGS, wait=True)
    probe, sender = Scripted((PENDING, ['a']), (DONE, ['a', 'b'])), Sender()
    assert settle_and_send(module, probe, sender) == ['a', 'b']
    assert (probe.calls, sender.sent, on_clock.sleeps) == (2, ['a', 'b'], [0.25])
    assert module.result['changed'] is True


def test_settle_and_send_plans_from_a_view_just_seen_without_looking_again(on_clock):
    module = build(ARGS, wait=True)
    probe, sender = Scripted((DONE, ['x'])), Sender()
    settle_and_send(module, probe, sender, view=['a'])
    assert (probe.calls, sender.sent) == (0, ['a'])


def test_settle_and_send_sends_nothing_in_check_mode(on_clock):
    module = build(dict(ARGS, _ansible_check_mode=True), wait=True, supports_check_mode=True)
    sender = Sender()
    assert settle_and_send(module, Scripted((DONE, ['a'])), sender) == ['a']
    assert sender.sent == [] and 'changed' not in module.result


def test_a_busy_refusal_is_planned_again_after_a_pause_not_repeated(on_clock):
    module = build(ARGS, wait=True)
    # 'a' went through, 'b' was refused; looking again finds only 'b' still needed.
    probe, sender = Scripted((DONE, ['a', 'b']), (DONE, ['b'])), Sender(b=[busy_refusal()])
    assert settle_and_send(module, probe, sender) == ['b']
    assert (sender.sent, on_clock.sleeps) == (['a', 'b'], [0.5])


def test_a_busy_refusal_needs_nothing_more_when_another_client_got_there(on_clock):
    module = build(ARGS, wait=True)
    probe, sender = Scripted((DONE, ['a']), (DONE, [])), Sender(a=[busy_refusal()])
    assert settle_and_send(module, probe, sender) == []
    assert sender.sent == [] and 'changed' not in module.result


def test_settle_and_send_raises_other_errors_at_once(on_clock):
    module = build(ARGS, wait=True)
    error = LighthouseError('ResourceNotFound.InstanceIdNotFound', 'gone', 'req-1')
    with pytest.raises(LighthouseError) as caught:
        settle_and_send(module, Scripted((DONE, ['a'])), Sender(a=[error]))
    assert caught.value is error and on_clock.sleeps == []


def test_a_busy_refusal_whose_pause_would_pass_the_deadline_is_raised(on_clock):
    module = build(dict(ARGS, wait_timeout=1), wait=True)
    refusals = [busy_refusal('req-%d' % number) for number in range(5)]
    with pytest.raises(LighthouseError) as caught:
        settle_and_send(module, Scripted((DONE, ['a'])), Sender(a=refusals))
    # The first pause (0.5 s) fits in the 1 s deadline, the second (1 s) would not.
    assert (caught.value.request_id, on_clock.sleeps) == ('req-1', [0.5])


def test_settle_and_send_fails_when_the_resources_never_settle(on_clock):
    module = build(dict(ARGS, wait_timeout=2), wait=True)
    with pytest.raises(WaitTimeoutError) as caught:
        settle_and_send(module, Scripted((PENDING, 'still busy')), Sender())
    assert caught.value.message == 'timed out after 2s waiting for the things to settle; last seen: still busy'


def test_success_exits_with_the_result_elapsed_and_unchanged(run_module):
    result = run_module(module_running(lambda module: {'instances': [{'instance_id': 'lhins-00000001'}]}), ARGS)
    assert result['changed'] is False
    assert result['instances'] == [{'instance_id': 'lhins-00000001'}]
    assert 0 <= result['elapsed'] < 5
    assert 'failed' not in result


def test_changed_is_whatever_the_work_says(run_module):
    assert run_module(module_running(lambda module: {'changed': True}), ARGS)['changed'] is True


def test_work_may_build_the_result_as_it_goes(run_module):
    def work(module):
        module.result.update(changed=True, snapshot_id='lhsnap-00000001')

    result = run_module(module_running(work), ARGS)
    assert (result['changed'], result['snapshot_id']) == (True, 'lhsnap-00000001')


def test_failure_has_message_code_request_id_ids_and_partial_result(run_module):
    def work(module):
        module.result['backup_snapshot_id'] = 'lhsnap-00000009'
        raise LighthouseError('UnsupportedOperation.InvalidInstanceState', 'instance is RUNNING', 'req-7')

    result = run_module(module_running(work, 'roll back lhins-00000001', instance_id='lhins-00000001'), ARGS)
    assert result['failed'] is True
    assert result['msg'] == 'Failed to roll back lhins-00000001: instance is RUNNING'
    assert (result['error_code'], result['request_id']) == ('UnsupportedOperation.InvalidInstanceState', 'req-7')
    assert (result['instance_id'], result['backup_snapshot_id']) == ('lhins-00000001', 'lhsnap-00000009')
    assert 'elapsed' in result


@pytest.mark.parametrize('error_request_id, expected', [('req-error', 'req-error'), (None, 'req-earlier-call')])
def test_failure_keeps_one_request_id_preferring_the_error_s_own(run_module, error_request_id, expected):
    def work(module):
        module.result['request_id'] = 'req-earlier-call'
        raise LighthouseError('WaitTimeout', 'timed out', error_request_id)

    result = run_module(module_running(work), ARGS)
    assert (result['failed'], result['request_id']) == (True, expected)


def test_failure_leaves_out_ids_that_are_not_set(run_module):
    def work(module):
        raise LighthouseError('AuthFailure.SignatureFailure', 'bad signature', 'req-8')

    result = run_module(module_running(work, 'describe instances', instance_ids=None), ARGS)
    assert result['error_code'] == 'AuthFailure.SignatureFailure'
    assert 'instance_ids' not in result


def test_failure_output_never_shows_the_secret_key(run_module):
    def work(module):
        raise LighthouseError('AuthFailure', 'the key %s is wrong' % module.params['secret_key'])

    result = run_module(module_running(work), ARGS)
    assert SECRET_KEY not in str(result)


def test_bad_place_options_fail_through_the_same_path(run_module):
    result = run_module(module_running(lambda module: module.client.call('DescribeInstances'), 'describe instances'),
                        dict(ARGS, endpoint='ftp://example.com'))
    assert result['failed'] is True
    assert result['error_code'] == 'ClientError'
    assert result['msg'].startswith("Failed to describe instances: endpoint 'ftp://example.com' is not")


@pytest.mark.parametrize('name', ['api_timeout', 'wait_timeout'])
@pytest.mark.parametrize('value', [0, -5])
def test_timeouts_must_be_positive(run_module, name, value):
    result = run_module(module_running(lambda module: {}, wait=True), dict(ARGS, **{name: value}))
    assert result['failed'] is True
    assert result['msg'] == '%s must be a positive number of seconds, got %d' % (name, value)


def test_missing_sdk_is_reported_not_raised(run_module, monkeypatch):
    monkeypatch.setattr(_base, 'HAS_SDK', False)
    result = run_module(module_running(lambda module: {}), ARGS)
    assert result['failed'] is True
    assert 'tencentcloud-sdk-python-lighthouse' in result['msg']


# ---- a change whose answer was lost is reconciled with what the resources show

def lost_answer(request_id=None):
    return LighthouseError('ClientNetworkError', 'Read timed out.', request_id, 'StopInstances')


class Adopter:
    """adopt(): says yes once it has been asked `after` times; records what it was asked."""

    def __init__(self, after=None):
        self.after = after
        self.asked = []

    def __call__(self, request, before, view):
        self.asked.append((request, before, view))
        return self.after is not None and len(self.asked) >= self.after


def test_a_lost_answer_whose_change_shows_is_adopted_not_resent(on_clock):
    module = build(ARGS, wait=True)
    sender, adopt = Sender(a=[lost_answer()]), Adopter(after=2)
    # Planned from ['a']; the first look shows nothing yet, the second shows the change.
    probe = Scripted((DONE, ['a']), (DONE, ['a']), (DONE, []))
    assert module.settle_and_send('the things to settle', probe, lambda view: view, sender, str, adopt=adopt) == []
    assert sender.sent == [] and module.result['changed'] is True
    assert [(request, before) for request, before, view in adopt.asked] == [('a', ['a']), ('a', ['a'])]
    assert on_clock.sleeps == [0.25]


def test_a_lost_answer_whose_change_never_shows_is_not_sent_again_but_fails_at_the_deadline(on_clock):
    # However long nothing shows, reads may lag behind the cloud: sending it again could make the change twice.
    module = build(dict(ARGS, wait_timeout=2), wait=True)
    sender = Sender(a=[lost_answer('req-9')])
    with pytest.raises(LighthouseError) as caught:
        module.settle_and_send('the things to settle', Scripted((DONE, ['a'])), lambda view: view, sender, str, adopt=Adopter())
    assert caught.value.message == ('StopInstances may have taken effect: its outcome is unknown after ClientNetworkError (Read timed out.), '
                                    'and timed out after 2s waiting for its resources to show it; last seen: [\'a\']')
    assert (caught.value.code, caught.value.request_id, sender.sent) == ('ClientNetworkError', 'req-9', [])
    assert module.result['changed'] is True


def guarded_send(module, probe, sender, adopt):
    """settle_and_send() of requests the API refuses once an identical one has taken effect."""
    return module.settle_and_send('the things to settle', probe, lambda view: view, sender, str, adopt=adopt, guarded=lambda request: True)


def test_a_lost_guarded_request_that_does_not_show_is_sent_again_at_once(on_clock):
    module = build(ARGS, wait=True)
    sender = Sender(a=[lost_answer()])
    guarded_send(module, Scripted((DONE, ['a'])), sender, Adopter())
    assert (sender.sent, on_clock.sleeps, module.result['changed']) == (['a'], [], True)


def test_a_lost_guarded_request_refused_by_the_state_it_left_is_awaited_until_it_shows(on_clock):
    module = build(ARGS, wait=True)
    # Sent again while the first is still running (busy), then once it is done (stale plan): both show it took effect.
    sender, adopt = Sender(a=[lost_answer(), busy_refusal(), stale_refusal()]), Adopter(after=4)
    probe = Scripted((DONE, ['a']), (DONE, ['a']), (DONE, ['a']), (DONE, []))
    assert guarded_send(module, probe, sender, adopt) == []
    assert (sender.sent, len(adopt.asked), module.result['changed']) == ([], 4, True)


def test_a_lost_guarded_request_refused_otherwise_fails_saying_the_change_may_have_been_made(on_clock):
    module = build(ARGS, wait=True)
    refused = LighthouseError('UnauthorizedOperation.NoPermission', 'not allowed', 'req-2')
    with pytest.raises(LighthouseError) as caught:
        guarded_send(module, Scripted((DONE, ['a'])), Sender(a=[lost_answer(), refused]), Adopter())
    assert caught.value.message.endswith('and sending it again met not allowed (UnauthorizedOperation.NoPermission)')
    assert module.result['changed'] is True


def test_a_lost_answer_whose_resources_never_settle_fails_saying_the_change_may_have_been_made(on_clock):
    module = build(dict(ARGS, wait_timeout=3), wait=True)
    probe = Scripted((DONE, ['a']), (PENDING, 'busy with something'))
    with pytest.raises(LighthouseError) as caught:
        module.settle_and_send('the things to settle', probe, lambda view: view, Sender(a=[lost_answer()]), str, adopt=Adopter())
    assert caught.value.message.startswith('StopInstances may have taken effect: its outcome is unknown after ClientNetworkError')
    assert caught.value.message.endswith('timed out after 3s waiting for its resources to show it; last seen: busy with something')
    assert module.result['changed'] is True


@pytest.mark.parametrize('error', [lost_answer(), LighthouseError('InvalidResponse', 'unexpected answer', None, 'StopInstances')])
def test_without_adopt_an_unsure_change_fails_as_it_came(on_clock, error):
    module = build(ARGS, wait=True)
    with pytest.raises(LighthouseError) as caught:
        settle_and_send(module, Scripted((DONE, ['a'])), Sender(a=[error]))
    assert caught.value is error
    assert 'changed' not in module.result


def test_validate_certs_false_warns(run_module):
    # Checked in this order: AnsibleModule keeps its warnings for the life of the process.
    assert 'validate_certs' not in str(run_module(module_running(lambda module: {}), ARGS).get('warnings'))
    result = run_module(module_running(lambda module: {}), dict(ARGS, validate_certs=False))
    assert 'validate_certs is false: the identity of the HTTPS endpoint is not checked' in str(result['warnings'])


def test_a_failure_cuts_overlong_ids_in_its_result(run_module):
    def work(module):
        raise LighthouseError('InvalidParameterValue.InstanceIdMalformed', 'malformed')

    result = run_module(module_running(work, instance_id='i' * 100000, instance_ids=['lhins-00000001', 'j' * 500]), ARGS)
    assert result['instance_id'] == 'i' * 80 + '... (100000 characters)'
    assert result['instance_ids'] == ['lhins-00000001', 'j' * 80 + '... (500 characters)']


def stale_refusal():
    return LighthouseError('UnsupportedOperation.InvalidInstanceState', 'StopInstances needs the instance to be RUNNING', 'req-s')


def test_a_request_refused_as_planned_for_a_state_that_changed_is_planned_again_once(on_clock):
    module = build(ARGS, wait=True)
    # Another client stopped it between our look and our call: looking again, nothing is left to do.
    probe, sender = Scripted((DONE, ['a']), (DONE, [])), Sender(a=[stale_refusal()])
    assert settle_and_send(module, probe, sender) == []
    assert (probe.calls, sender.sent) == (2, [])


def test_a_second_refusal_for_a_changed_state_is_raised(on_clock):
    module = build(ARGS, wait=True)
    with pytest.raises(LighthouseError) as caught:
        settle_and_send(module, Scripted((DONE, ['a'])), Sender(a=[stale_refusal(), stale_refusal()]))
    assert caught.value.code == 'UnsupportedOperation.InvalidInstanceState'
