#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lighthouse_instance_info
short_description: List Tencent Cloud Lighthouse instances
version_added: 0.1.0
description:
  - Lists the Lighthouse instances of one region, by id or by filters, with their system disk and
    latest operation.
  - Without O(instance_ids) or any filter, lists every instance in the region.
  - Reads every page of the answer, so any number of instances is returned.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
options:
  instance_ids:
    description:
      - The ids of the instances to list, for example V(lhins-k31c771o).
      - Every id must exist in the region, otherwise the task fails with
        C(error_code=ResourceNotFound.InstanceIdNotFound).
      - The instances are returned in this order. Cannot be combined with filters.
    type: list
    elements: str
  names:
    description:
      - List only instances with one of these names (exact match).
    type: list
    elements: str
  states:
    description:
      - List only instances in one of these states.
    type: list
    elements: str
    choices:
      - PENDING
      - LAUNCH_FAILED
      - RUNNING
      - STOPPED
      - STARTING
      - STOPPING
      - REBOOTING
      - SHUTDOWN
      - TERMINATING
      - DELETING
      - FREEZING
      - ENTER_RESCUE_MODE
      - RESCUE_MODE
      - EXIT_RESCUE_MODE
  zones:
    description:
      - List only instances in one of these availability zones, for example V(ap-guangzhou-3).
    type: list
    elements: str
  tags:
    description:
      - List only instances that carry all of these tags, as a dict of tag key to tag value.
    type: dict
  filters:
    description:
      - Further DescribeInstances filters, as a dict of filter name to a value or a list of values,
        for example C(public-ip-address=203.0.113.10).
      - Known names are C(instance-name), C(private-ip-address), C(public-ip-address), C(zone),
        C(instance-state), C(tag-key), C(tag-value), C(tag:<key>) and C(bundle-id).
      - Different filters must all match; one of the values of each filter must match.
      - A name may not also be set through O(names), O(states), O(zones) or O(tags).
    type: dict
extends_documentation_fragment:
  - tencentcloud.lighthouse.common
  - tencentcloud.lighthouse.retry
  - tencentcloud.lighthouse.attributes
  - tencentcloud.lighthouse.attributes.info_module
"""

EXAMPLES = r"""
- name: List every instance in the region
  tencentcloud.lighthouse.lighthouse_instance_info:
    region: ap-guangzhou
  register: all_instances

- name: Describe two instances by id
  tencentcloud.lighthouse.lighthouse_instance_info:
    instance_ids:
      - lhins-k31c771o
      - lhins-3mbvvzu2
  register: two

- name: Find the running web servers of the prod environment
  tencentcloud.lighthouse.lighthouse_instance_info:
    names:
      - web-1
      - web-2
    states:
      - RUNNING
    tags:
      env: prod
  register: web

- name: Find an instance by its public address
  tencentcloud.lighthouse.lighthouse_instance_info:
    filters:
      public-ip-address: 203.0.113.10
  register: by_address

- name: Show the system disk of each instance found
  ansible.builtin.debug:
    msg: "{{ item.instance_name }}: {{ item.system_disk.disk_id }}"
  loop: "{{ web.instances }}"
"""

RETURN = r"""
instances:
  description:
    - The instances found, with every field DescribeInstances returns, keys in snake_case
      (for example C(InstanceId) becomes C(instance_id) and C(CPU) becomes C(cpu)).
    - Tags are a dict of tag key to tag value.
  returned: success
  type: list
  elements: dict
  sample:
    - instance_id: lhins-k31c771o
      instance_name: web-1
      instance_state: STOPPED
      zone: ap-guangzhou-3
      cpu: 2
      memory: 4
      system_disk:
        disk_id: lhdisk-jxj6qnpo
        disk_type: CLOUD_SSD
        disk_size: 60
      latest_operation: StopInstances
      latest_operation_state: SUCCESS
      latest_operation_request_id: 96aee6e3-172c-4f0f-be7c-fc46b9865763
      tags:
        env: prod
  contains:
    instance_id:
      description: The instance id.
      returned: always
      type: str
      sample: lhins-k31c771o
    instance_name:
      description: The instance name.
      returned: always
      type: str
      sample: web-1
    instance_state:
      description: The instance state, for example V(RUNNING) or V(STOPPED).
      returned: always
      type: str
      sample: STOPPED
    zone:
      description: The availability zone.
      returned: always
      type: str
      sample: ap-guangzhou-3
    bundle_id:
      description: The bundle (instance plan) id.
      returned: always
      type: str
      sample: bundle_gen_01
    blueprint_id:
      description: The blueprint (image) id.
      returned: always
      type: str
      sample: lhbp-5e8807lo
    cpu:
      description: The number of CPU cores.
      returned: always
      type: int
      sample: 2
    memory:
      description: The memory size in GB.
      returned: always
      type: int
      sample: 4
    system_disk:
      description: The system disk.
      returned: always
      type: dict
      sample:
        disk_id: lhdisk-jxj6qnpo
        disk_type: CLOUD_SSD
        disk_size: 60
      contains:
        disk_id:
          description: The id of the system disk, whose snapshots a rollback may use.
          type: str
          returned: always
          sample: lhdisk-jxj6qnpo
        disk_type:
          description: The disk type.
          type: str
          returned: always
          sample: CLOUD_SSD
        disk_size:
          description: The disk size in GB.
          type: int
          returned: always
          sample: 60
    private_addresses:
      description: The private IPv4 addresses.
      returned: always
      type: list
      elements: str
      sample: [10.0.0.12]
    public_addresses:
      description: The public IPv4 addresses.
      returned: always
      type: list
      elements: str
      sample: [203.0.113.10]
    latest_operation:
      description: The name of the instance's latest operation, for example V(StopInstances).
      returned: always
      type: str
      sample: StopInstances
    latest_operation_state:
      description: The state of the latest operation, V(OPERATING), V(SUCCESS) or V(FAILED).
      returned: always
      type: str
      sample: SUCCESS
    latest_operation_request_id:
      description: The RequestId of the API call that started the latest operation.
      returned: always
      type: str
      sample: 96aee6e3-172c-4f0f-be7c-fc46b9865763
    latest_operation_started_time:
      description: When the latest operation started (ISO 8601, UTC).
      returned: always
      type: str
      sample: "2024-05-06T07:08:09Z"
    created_time:
      description: When the instance was created (ISO 8601, UTC).
      returned: always
      type: str
      sample: "2024-01-02T03:04:05Z"
    tags:
      description: The instance's tags, as a dict of tag key to tag value.
      returned: always
      type: dict
      sample:
        env: prod
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 0.214
"""

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import INSTANCE, check_ids, describe_instances

STATES = ['PENDING', 'LAUNCH_FAILED', 'RUNNING', 'STOPPED', 'STARTING', 'STOPPING', 'REBOOTING', 'SHUTDOWN',
          'TERMINATING', 'DELETING', 'FREEZING', 'ENTER_RESCUE_MODE', 'RESCUE_MODE', 'EXIT_RESCUE_MODE']

# Options that are shorthands for one DescribeInstances filter each.
FILTER_OPTIONS = (('names', 'instance-name'), ('states', 'instance-state'), ('zones', 'zone'))


def instance_filters(params):
    """The API filters (a dict) the options ask for, raising LighthouseError when two set the same name."""
    named = dict((name, params[option]) for option, name in FILTER_OPTIONS if params[option])
    named.update(('tag:%s' % key, value) for key, value in (params['tags'] or {}).items())
    filters = dict(params['filters'] or {})
    clash = sorted(set(filters) & set(named))
    if clash:
        raise LighthouseError('InvalidParameter.ParameterConflict',
                              'filters %s are already set by names, states, zones or tags' % ', '.join(clash))
    filters.update(named)
    return filters


def check_options(params):
    """Raise LighthouseError for ids and filters the API would refuse, before any call."""
    check_ids(INSTANCE, params['instance_ids'] or [])
    instance_filters(params)


def list_instances(module):
    params = module.params
    return {'instances': describe_instances(module.client, params['instance_ids'], instance_filters(params))}


def main():
    filter_options = ['names', 'states', 'zones', 'tags', 'filters']
    module = LighthouseModule(
        argument_spec=dict(
            instance_ids=dict(type='list', elements='str'),
            names=dict(type='list', elements='str'),
            states=dict(type='list', elements='str', choices=STATES),
            zones=dict(type='list', elements='str'),
            tags=dict(type='dict'),
            filters=dict(type='dict'),
        ),
        mutually_exclusive=[['instance_ids', option] for option in filter_options],
        retry=True,
        supports_check_mode=True,
    )
    module.run(list_instances, 'describe instances', check_options, instance_ids=module.params['instance_ids'])


if __name__ == '__main__':
    main()
