# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""Starting and stopping instances: one call per action for up to 100 of them, sent through settle_and_send."""

from __future__ import annotations

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    PAGE_SIZE,
    chunks,
    describe_instances,
    operation_status,
    settled,
    states_of,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, FAILED, PENDING

# (state asked for, settled instance state) -> the action that gets there, None when it is there already.
ACTIONS = {
    ('running', 'RUNNING'): None,
    ('running', 'STOPPED'): 'StartInstances',
    ('stopped', 'RUNNING'): 'StopInstances',
    ('stopped', 'STOPPED'): None,
    ('restarted', 'RUNNING'): 'RebootInstances',
    ('restarted', 'STOPPED'): 'StartInstances',
}
# The actions that shut an instance down, and so take a StopType.
STOPPING_ACTIONS = ('StopInstances', 'RebootInstances')
# Refused by the API once the instance is where they take it, so sending one again cannot act twice.
GUARDED_ACTIONS = ('StartInstances', 'StopInstances')
# The state each action leaves an instance in.
TARGET_STATES = {'StartInstances': 'RUNNING', 'StopInstances': 'STOPPED', 'RebootInstances': 'RUNNING'}
VERBS = {'running': 'start', 'stopped': 'stop', 'restarted': 'restart'}


def plan(instances, state):
    """{instance_id: action or None} for settled instances; raises LighthouseError naming those no action applies to."""
    stuck = ['%s is %s' % (item['instance_id'], item['instance_state']) for item in instances if (state, item['instance_state']) not in ACTIONS]
    if stuck:
        raise LighthouseError('UnsupportedOperation.InvalidInstanceState',
                              'only RUNNING or STOPPED instances can be started, stopped or restarted, but %s' % ', '.join(stuck))
    return dict((item['instance_id'], ACTIONS[(state, item['instance_state'])]) for item in instances)


def calls(instance_ids, actions):
    """[(action, batch)] for the instances that need an action: one batch of at most 100 per call, in sending order."""
    return [(action, batch) for action in sorted(set(actions.values()) - {None})
            for batch in chunks([instance_id for instance_id in instance_ids if actions[instance_id] == action], PAGE_SIZE)]


def instances_probe(client, instance_ids, status_of):
    """A probe over the instances (one DescribeInstances per 100): DONE once status_of() is DONE for each.

    FAILED for any is reported at once; the value is then the instances concerned, so messages name them.
    """
    def probe():
        instances = describe_instances(client, instance_ids)
        for status in (FAILED, PENDING):
            matching = [item for item in instances if status_of(item) == status]
            if matching:
                return status, matching
        return DONE, instances
    return probe


def settled_status(instance):
    return DONE if settled(instance) else PENDING


def settle_instances(module, instance_ids):
    """The instances once none is in a transitional state or runs an operation (waited for within the deadline)."""
    what = '%d instance(s) to finish their current operations' % len(instance_ids)
    return module.waiter.wait(what, instances_probe(module.client, instance_ids, settled_status), module.deadline, states_of)


def send_power(module, instance_ids, state, stop_type, view, request_of, request_ids):
    """Send the calls that bring the instances to `state`, planned from the settled `view` and again after any refusal.

    Each instance acted on is added to `request_of` (instance id -> RequestId of its call, also one adopted after a lost
    answer) and each call's RequestId to `request_ids`; an instance already in `request_of` is never sent a second call.
    """
    def send(call):
        action, batch = call
        params = {'InstanceIds': batch}
        if action in STOPPING_ACTIONS:
            params['StopType'] = stop_type
        request_id = module.client.call(action, params)['RequestId']
        request_ids.append(request_id)
        request_of.update(dict.fromkeys(batch, request_id))

    def still_needed(found):
        # Never a second call for an instance whose call was accepted: a restart leaves no trace in its state.
        return calls([item for item in instance_ids if item not in request_of], plan(found, state))

    def adopt(call, seen_before, seen_after):
        # A call whose answer was lost took effect for the instances that show its action as a new operation.
        action, batch = call
        previous = dict((item['instance_id'], item.get('latest_operation_request_id')) for item in seen_before)

        def shows(item):
            return item.get('latest_operation') == action and item.get('latest_operation_request_id') != previous[item['instance_id']]
        started = dict((item['instance_id'], item['latest_operation_request_id']) for item in seen_after if item['instance_id'] in batch and shows(item))
        request_of.update(started)
        request_ids.extend(sorted(set(started.values())))
        return bool(started)

    what = '%d instance(s) to finish their current operations' % len(instance_ids)
    probe = instances_probe(module.client, instance_ids, settled_status)
    module.settle_and_send(what, probe, still_needed, send, states_of, view, adopt, lambda call: call[0] in GUARDED_ACTIONS)


def wait_power(module, instance_ids, request_of, what):
    """The instances once each one in `request_of` shows its call's operation as done; a FAILED one raises at once.

    The calls in `request_of` were just accepted, so the first look waits one poll interval."""
    def done(instance):
        request_id = request_of.get(instance['instance_id'])
        return operation_status(instance, request_id) if request_id else DONE
    return module.waiter.wait(what, instances_probe(module.client, instance_ids, done), module.deadline, states_of, just_sent=bool(request_of))
