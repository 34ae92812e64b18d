#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lighthouse_instance_power
short_description: Start, stop or restart Tencent Cloud Lighthouse instances
version_added: 0.1.0
description:
  - Brings Lighthouse instances to the power state asked for, with StartInstances, StopInstances or
    RebootInstances, and by default waits until every instance has got there.
  - Only instances that need it are sent a call; each call names at most 100 instances, so larger lists
    are sent in batches.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
options:
  instance_ids:
    description:
      - The ids of the instances, for example V(lhins-k31c771o).
      - Every id must exist in the region; the task fails before any change otherwise.
      - Duplicates are ignored. An empty list changes nothing.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(running) starts the instances that are stopped.
      - V(stopped) stops the instances that are running.
      - V(restarted) restarts the running instances and starts the stopped ones, so it always reports a change.
    type: str
    required: true
    choices: [running, stopped, restarted]
  stop_type:
    description:
      - How instances are shut down when they are stopped or restarted.
      - V(SOFT) asks the operating system to shut down, V(HARD) turns the power off, V(SOFT_FIRST) tries
        V(SOFT) and falls back to V(HARD) if that fails.
    type: str
    choices: [SOFT, HARD, SOFT_FIRST]
    default: SOFT_FIRST
extends_documentation_fragment:
  - tencentcloud.lighthouse.common
  - tencentcloud.lighthouse.wait
  - tencentcloud.lighthouse.attributes
attributes:
  check_mode:
    support: full
    details:
      - Describes the instances, waits out transitional states and reports what would change; sends no start, stop or reboot call.
  diff_mode:
    support: full
    details:
      - Shows each instance's state and latest operation before and after.
notes:
  - Idempotent. An instance already in the state asked for is left alone, and a task that leaves every
    instance alone reports C(changed=false) and sends no call.
  - Instances in a transitional state (such as V(STARTING) or V(STOPPING)) or running an operation are
    waited for first, within O(wait_timeout), and then judged by the state they settle in, also in check mode
    and with O(wait=false).
  - Only V(RUNNING) and V(STOPPED) instances can be acted on. If any instance is in another state (such as
    V(SHUTDOWN) or V(RESCUE_MODE)), the task fails naming it, before any change.
  - A call refused because an instance is busy (such as C(UnsupportedOperation.LatestOperationUnfinished)) is not
    simply sent again. The instances are waited for until they settle, within O(wait_timeout), and judged again by the
    state they settle in, so a call is sent again only for those that still need it (never for an instance whose call
    was accepted); C(changed) reports only calls that were accepted.
  - O(state=restarted) always reports a change, because a restart cannot be seen in the instance's state afterwards.
  - Waiting matches each instance's latest operation by the RequestId of the call that changed it, so an older
    successful operation is never mistaken for this one. An operation the cloud reports as FAILED fails the task at
    once, naming the instances concerned.
"""

EXAMPLES = r"""
- name: Stop two instances gracefully, falling back to a hard stop
  tencentcloud.lighthouse.lighthouse_instance_power:
    instance_ids:
      - lhins-k31c771o
      - lhins-3mbvvzu2
    state: stopped
    region: ap-guangzhou

- name: Start them again and wait until they run
  tencentcloud.lighthouse.lighthouse_instance_power:
    instance_ids:
      - lhins-k31c771o
      - lhins-3mbvvzu2
    state: running
    wait_timeout: 600
  register: started

- name: Restart an instance with a hard reboot, without waiting
  tencentcloud.lighthouse.lighthouse_instance_power:
    instance_ids: [lhins-k31c771o]
    state: restarted
    stop_type: HARD
    wait: false
"""

RETURN = r"""
instances:
  description:
    - The instances, in the order given, normalised like the C(instances) of M(tencentcloud.lighthouse.lighthouse_instance_info).
    - After a change with O(wait=true), as they are once every operation has finished. With O(wait=false), as listed
      right after the calls were accepted. In check mode, or when nothing changes, as they were before.
  returned: success
  type: list
  elements: dict
  sample:
    - instance_id: lhins-k31c771o
      instance_name: web-1
      instance_state: STOPPED
      latest_operation: StopInstances
      latest_operation_state: SUCCESS
      latest_operation_request_id: 0f6a9c7e-1d2b-4c3a-9e8f-7a6b5c4d3e2f
request_ids:
  description:
    - The RequestId of every start, stop or reboot call sent, in the order sent; empty when nothing was sent.
    - Each instance that changed shows the RequestId of its call as its C(latest_operation_request_id).
  returned: always
  type: list
  elements: str
  sample: [0f6a9c7e-1d2b-4c3a-9e8f-7a6b5c4d3e2f]
instance_request_ids:
  description:
    - For each instance this task started, stopped or restarted, the RequestId of the call that did it (also when its
      answer was lost and the instance showed the call's operation). An instance that was already where O(state) asks is
      left out, so that a play can tell a stop it sent from one that another client made.
  returned: always
  type: dict
  sample: {lhins-k31c771o: 0f6a9c7e-1d2b-4c3a-9e8f-7a6b5c4d3e2f}
  version_added: 0.2.0
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 4.217
"""

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import INSTANCE, check_ids, describe_instances
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._power import (
    TARGET_STATES,
    VERBS,
    plan,
    send_power,
    settle_instances,
    wait_power,
)


def power_diff(instances, actions):
    """Each instance's state and latest operation, before and after the actions."""
    before = dict((item['instance_id'], {'instance_state': item['instance_state'], 'latest_operation': item['latest_operation']})
                  for item in instances)
    after = dict((instance_id, {'instance_state': TARGET_STATES[action], 'latest_operation': action} if action else before[instance_id])
                 for instance_id, action in actions.items())
    return {'before': before, 'after': after}


def check_options(params):
    """Raise LighthouseError for instance ids the API would refuse, before any call."""
    check_ids(INSTANCE, params['instance_ids'])


def set_power(module):
    state = module.params['state']
    instance_ids = list(dict.fromkeys(module.params['instance_ids']))
    request_of = module.result['instance_request_ids'] = {}
    instances = settle_instances(module, instance_ids)
    actions = plan(instances, state)
    module.result.update(diff=power_diff(instances, actions), request_ids=[])
    if module.check_mode or not any(actions.values()):
        return {'changed': any(actions.values()), 'instances': instances}
    send_power(module, instance_ids, state, module.params['stop_type'], instances, request_of, module.result['request_ids'])
    if not module.waits:
        return {'instances': describe_instances(module.client, instance_ids)}
    return {'instances': wait_power(module, instance_ids, request_of, 'the %s of %d instance(s)' % (VERBS[state], len(request_of)))}


def main():
    module = LighthouseModule(
        argument_spec=dict(
            instance_ids=dict(type='list', elements='str', required=True),
            state=dict(type='str', required=True, choices=list(VERBS)),
            stop_type=dict(type='str', default='SOFT_FIRST', choices=['SOFT', 'HARD', 'SOFT_FIRST']),
        ),
        wait=True,
        supports_check_mode=True,
    )
    module.run(set_power, '%s instances' % VERBS[module.params['state']], check_options, instance_ids=module.params['instance_ids'])


if __name__ == '__main__':
    main()
