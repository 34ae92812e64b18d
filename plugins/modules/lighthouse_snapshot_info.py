#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lighthouse_snapshot_info
short_description: List Tencent Cloud Lighthouse snapshots
version_added: 0.1.0
description:
  - Lists the Lighthouse snapshots of one region, by id, by instance, by name or by state, newest first.
  - Without any option, lists every snapshot in the region.
  - Reads every page of the answer, so any number of snapshots is returned.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
options:
  snapshot_ids:
    description:
      - The ids of the snapshots to list, for example V(lhsnap-nv6aqcv6).
      - Every id must exist in the region, otherwise the task fails with
        C(error_code=ResourceNotFound.SnapshotIdNotFound).
      - Cannot be combined with O(instance_id) or O(names).
    type: list
    elements: str
  instance_id:
    description:
      - List only the snapshots of this instance's system disk, for example V(lhins-k31c771o).
        These are the snapshots the instance can be rolled back to.
      - The instance must exist in the region, otherwise the task fails with
        C(error_code=ResourceNotFound.InstanceIdNotFound).
    type: str
  names:
    description:
      - List only snapshots with one of these names (exact match).
    type: list
    elements: str
  states:
    description:
      - List only snapshots in one of these states.
    type: list
    elements: str
    choices: [NORMAL, CREATING, ROLLBACKING]
  created_before:
    description:
      - List only snapshots created before this time, newest first, so that the first one is the snapshot that
        M(tencentcloud.lighthouse.lighthouse_snapshot_apply) chooses with the same O(created_before) (when it is V(NORMAL)).
      - An ISO 8601 time with its offset, such as V(2026-12-06T14:00:00+08:00) or V(2026-12-06T06:00:00Z), or a time
        relative to now, such as V(-2h) (units V(s), V(m), V(h), V(d), V(w)). Times are compared in UTC.
    type: str
    version_added: 0.2.0
  name_pattern:
    description:
      - List only snapshots whose name matches this shell-style pattern (case-sensitive), for example V(nightly-*).
    type: str
    version_added: 0.2.0
extends_documentation_fragment:
  - tencentcloud.lighthouse.common
  - tencentcloud.lighthouse.retry
  - tencentcloud.lighthouse.attributes
  - tencentcloud.lighthouse.attributes.info_module
notes:
  - The snapshots are sorted by creation time, newest first, and by snapshot id, descending, where the times are equal.
    So the first snapshot of the list is the latest one.
  - The API accepts at most five names per request; with more O(names), one request (and its pages) is sent per five names.
"""

EXAMPLES = r"""
- name: List every snapshot in the region
  tencentcloud.lighthouse.lighthouse_snapshot_info:
    region: ap-guangzhou
  register: all_snapshots

- name: List the snapshots an instance can be rolled back to
  tencentcloud.lighthouse.lighthouse_snapshot_info:
    instance_id: lhins-k31c771o
    states: [NORMAL]
  register: restorable

- name: Find the latest snapshot of an instance named pre-deploy
  tencentcloud.lighthouse.lighthouse_snapshot_info:
    instance_id: lhins-k31c771o
    names: [pre-deploy]
  register: pre_deploy

- name: Show its id
  ansible.builtin.debug:
    msg: "{{ pre_deploy.snapshots[0].snapshot_id }}"
  when: pre_deploy.snapshots | length > 0

- name: Describe two snapshots by id
  tencentcloud.lighthouse.lighthouse_snapshot_info:
    snapshot_ids:
      - lhsnap-nv6aqcv6
      - lhsnap-2kx8h0fd
  register: two
"""

RETURN = r"""
snapshots:
  description:
    - The snapshots found, newest first, with every field DescribeSnapshots returns, keys in snake_case
      (for example C(SnapshotId) becomes C(snapshot_id)).
    - Tags are a dict of tag key to tag value.
  returned: success
  type: list
  elements: dict
  sample:
    - snapshot_id: lhsnap-nv6aqcv6
      snapshot_name: pre-deploy
      snapshot_state: NORMAL
      disk_id: lhdisk-jxj6qnpo
      disk_usage: SYSTEM_DISK
      disk_size: 60
      percent: 100
      created_time: "2024-05-06T07:08:09Z"
      latest_operation: CreateInstanceSnapshot
      latest_operation_state: SUCCESS
      latest_operation_request_id: 96aee6e3-172c-4f0f-be7c-fc46b9865763
      tags:
        env: prod
  contains:
    snapshot_id:
      description: The snapshot id.
      returned: always
      type: str
      sample: lhsnap-nv6aqcv6
    snapshot_name:
      description: The snapshot name.
      returned: always
      type: str
      sample: pre-deploy
    snapshot_state:
      description: The snapshot state, V(NORMAL), V(CREATING) or V(ROLLBACKING). Only a V(NORMAL) snapshot can be used or deleted.
      returned: always
      type: str
      sample: NORMAL
    disk_id:
      description: The id of the disk the snapshot was taken of.
      returned: always
      type: str
      sample: lhdisk-jxj6qnpo
    disk_usage:
      description: The kind of disk, V(SYSTEM_DISK) or V(DATA_DISK).
      returned: always
      type: str
      sample: SYSTEM_DISK
    disk_size:
      description: The size of the disk, in GB, when the snapshot was taken.
      returned: always
      type: int
      sample: 60
    percent:
      description: The progress of the snapshot's creation or rollback, 100 when done.
      returned: always
      type: int
      sample: 100
    created_time:
      description: When the snapshot was created (ISO 8601, UTC).
      returned: always
      type: str
      sample: "2024-05-06T07:08:09Z"
    latest_operation:
      description: The snapshot's latest operation, V(CreateInstanceSnapshot) or V(RollbackInstanceSnapshot).
      returned: always
      type: str
      sample: CreateInstanceSnapshot
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
    tags:
      description: The snapshot's tags, as a dict of tag key to tag value.
      returned: always
      type: dict
      sample:
        env: prod
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 0.184
"""

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    INSTANCE,
    SNAPSHOT,
    check_ids,
    chunks,
    created_before,
    cutoff_of,
    describe_snapshots,
    get_instance,
    newest_first,
)

STATES = ['NORMAL', 'CREATING', 'ROLLBACKING']


def find_snapshots(client, instance_id, names):
    """The snapshots of the instance's system disk (or of the region) with one of the names (or any name)."""
    filters = {}
    if instance_id:
        filters['disk-id'] = get_instance(client, instance_id)['system_disk']['disk_id']
    if not names:
        return describe_snapshots(client, filters=filters)
    found = {}
    for batch in chunks(list(dict.fromkeys(names)), SNAPSHOT.max_filter_values):
        found.update((item['snapshot_id'], item) for item in describe_snapshots(client, filters=dict(filters, **{'snapshot-name': batch})))
    # Compared here as well: the API does not document whether its name filter matches exactly.
    return [item for item in found.values() if item['snapshot_name'] in names]


def check_options(params):
    """Raise LighthouseError for ids and a cut-off the API would refuse, before any call."""
    check_ids(SNAPSHOT, params['snapshot_ids'] or [])
    if params['instance_id'] is not None:
        check_ids(INSTANCE, [params['instance_id']])
    cutoff_of(params)


def list_snapshots(module):
    params = module.params
    cutoff = cutoff_of(params)
    if params['snapshot_ids'] is not None:
        snapshots = describe_snapshots(module.client, params['snapshot_ids'])
    else:
        snapshots = find_snapshots(module.client, params['instance_id'], params['names'])
    if params['states']:
        snapshots = [item for item in snapshots if item['snapshot_state'] in params['states']]
    if cutoff is not None or params['name_pattern'] is not None:
        snapshots = created_before(snapshots, cutoff, params['name_pattern'])
    return {'snapshots': newest_first(snapshots)}


def main():
    module = LighthouseModule(
        argument_spec=dict(
            snapshot_ids=dict(type='list', elements='str'),
            instance_id=dict(type='str'),
            names=dict(type='list', elements='str'),
            states=dict(type='list', elements='str', choices=STATES),
            created_before=dict(type='str'),
            name_pattern=dict(type='str'),
        ),
        mutually_exclusive=[['snapshot_ids', 'instance_id'], ['snapshot_ids', 'names']],
        retry=True,
        supports_check_mode=True,
    )
    module.run(list_snapshots, 'describe snapshots', check_options, snapshot_ids=module.params['snapshot_ids'],
               instance_id=module.params['instance_id'])


if __name__ == '__main__':
    main()
