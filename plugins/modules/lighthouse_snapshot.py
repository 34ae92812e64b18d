#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lighthouse_snapshot
short_description: Create and delete Tencent Cloud Lighthouse snapshots
version_added: 0.1.0
description:
  - With O(state=present), makes sure an instance's system disk has a snapshot with a given name,
    taking one (CreateInstanceSnapshot) if there is none, and waits until it is V(NORMAL).
  - With O(state=absent), deletes snapshots by id, or by name among an instance's snapshots, or the older backups this
    collection took of an instance (DeleteSnapshots).
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
options:
  state:
    description:
      - V(present) takes a snapshot of the system disk of O(instance_id) named O(snapshot_name), unless one exists.
      - V(absent) deletes the snapshots given by O(snapshot_ids), those of O(instance_id) named O(snapshot_name), and
        the backups of O(instance_id) beyond the newest O(keep_backups).
    type: str
    choices: [present, absent]
    default: present
  instance_id:
    description:
      - The instance whose system disk the snapshot is of, for example V(lhins-k31c771o).
      - Required with O(state=present) and with O(snapshot_name).
    type: str
  snapshot_name:
    description:
      - The snapshot name, 1 to 60 characters, matched exactly among the snapshots of the system disk of O(instance_id).
      - Required with O(state=present).
    type: str
  tags:
    description:
      - With O(state=present), the tags of a snapshot this task takes. For example the tag C(tencentcloud.lighthouse:backup-of) with
        the instance's id as its value marks it as a backup that the retention of
        O(tencentcloud.lighthouse.lighthouse_snapshot_apply#module:keep_backups) may delete.
      - At most 10. The tags of a snapshot that exists already are not changed.
    type: dict
    version_added: 0.2.0
  snapshot_ids:
    description:
      - With O(state=absent), the ids of snapshots to delete, for example V(lhsnap-nv6aqcv6).
        Ids that do not exist (any more) are skipped.
      - Cannot be used with O(state=present).
    type: list
    elements: str
  keep_backups:
    description:
      - With O(state=absent), delete the backups this collection took of O(instance_id) beyond the newest O(keep_backups),
        so that backups do not use up the snapshot quota.
      - A backup is a snapshot of the instance's system disk tagged C(tencentcloud.lighthouse:backup-of) with the
        instance's id, as M(tencentcloud.lighthouse.lighthouse_snapshot_apply) and the C(snapshot_rollback) role tag theirs.
        A snapshot without that tag is never deleted, nor one that is not V(NORMAL), nor one a rollback used last (the
        disk may be on it; the API does not say which of them came last).
      - In check mode RV(snapshots) lists what would be deleted.
    type: int
    version_added: 0.2.0
  wait:
    description:
      - With O(state=present), whether to wait until a new snapshot (or one still being created) is V(NORMAL).
      - With O(wait=false) the module returns as soon as the API has accepted the request.
      - Snapshots being created or rolled back are always waited for before they are deleted.
    type: bool
    default: true
extends_documentation_fragment:
  - tencentcloud.lighthouse.common
  - tencentcloud.lighthouse.wait
  - tencentcloud.lighthouse.attributes
attributes:
  check_mode:
    support: full
    details:
      - Describes the instance and its snapshots, waits for operations in progress as a real run does, and reports
        what would change; sends no create or delete call.
  diff_mode:
    support: full
    details:
      - Shows whether the named snapshot exists before and after, or which snapshots are deleted.
notes:
  - Idempotent. With O(state=present), a snapshot of the instance's system disk with exactly that name means
    there is nothing to do; if there are several, the newest is returned. A snapshot whose creation failed does not count.
  - A snapshot found still being created, for example by an earlier task with O(wait=false), is waited for like a new one.
  - With O(state=absent), snapshots that do not exist are not an error, and when none is left to delete the task
    reports C(changed=false). The API deletes at most 10 snapshots a call, so more are deleted in batches of 10.
  - The cloud limits how many snapshots there may be. When the quota is used up, taking one fails with
    C(error_code=LimitExceeded.SnapshotQuotaLimitExceeded) and a message naming the instance; delete snapshots
    that are no longer needed (O(state=absent)) and try again.
  - A busy instance or disk (an operation or another snapshot of the disk in progress) is waited out, within
    O(wait_timeout), before the snapshot is taken. Snapshots being created or rolled back are waited for in the
    same way before they are deleted.
  - A call refused because a resource is busy is not simply sent again. The resources are waited for until they
    settle, within O(wait_timeout), and looked up again; after a short pause the call is sent again only if it is
    still needed (the named snapshot still missing, the snapshots still there). C(changed) reports only calls
    that were accepted.
"""

EXAMPLES = r"""
- name: Take a snapshot of an instance before a deploy
  tencentcloud.lighthouse.lighthouse_snapshot:
    instance_id: lhins-k31c771o
    snapshot_name: pre-deploy-2024-05-06
    region: ap-guangzhou
  register: backup

- name: Show the snapshot id
  ansible.builtin.debug:
    msg: "{{ backup.snapshot.snapshot_id }}"

- name: Start a snapshot without waiting for it
  tencentcloud.lighthouse.lighthouse_snapshot:
    instance_id: lhins-k31c771o
    snapshot_name: nightly
    wait: false

- name: Delete the instance's snapshots named pre-deploy-2024-05-06
  tencentcloud.lighthouse.lighthouse_snapshot:
    state: absent
    instance_id: lhins-k31c771o
    snapshot_name: pre-deploy-2024-05-06

- name: Delete snapshots by id
  tencentcloud.lighthouse.lighthouse_snapshot:
    state: absent
    snapshot_ids:
      - lhsnap-nv6aqcv6
      - lhsnap-2kx8h0fd

- name: Keep the two newest backups the collection took of the instance, delete the older ones
  tencentcloud.lighthouse.lighthouse_snapshot:
    state: absent
    instance_id: lhins-k31c771o
    keep_backups: 2
"""

RETURN = r"""
snapshot:
  description:
    - With O(state=present), the snapshot, normalised like the C(snapshots) of M(tencentcloud.lighthouse.lighthouse_snapshot_info).
    - With O(wait=true), as it is once V(NORMAL); with O(wait=false), as listed right after the call.
    - In check mode, when it would be taken, only the fields known in advance, with C(snapshot_id) null.
  returned: when O(state=present)
  type: dict
  sample:
    snapshot_id: lhsnap-nv6aqcv6
    snapshot_name: pre-deploy-2024-05-06
    snapshot_state: NORMAL
    disk_id: lhdisk-jxj6qnpo
    latest_operation_request_id: 96aee6e3-172c-4f0f-be7c-fc46b9865763
request_id:
  description: With O(state=present), the RequestId of the CreateInstanceSnapshot call; null when no snapshot was taken.
  returned: when O(state=present)
  type: str
  sample: 96aee6e3-172c-4f0f-be7c-fc46b9865763
snapshots:
  description: With O(state=absent), the ids of the snapshots deleted (in check mode, that would be deleted).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [lhsnap-nv6aqcv6, lhsnap-2kx8h0fd]
request_ids:
  description: With O(state=absent), the RequestId of every DeleteSnapshots call, in the order sent.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [3c1e7a52-8d4f-4b6a-a0e9-5f2d1c7b8e90]
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 3.508
"""

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError, short
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    INSTANCE,
    SNAPSHOT,
    check_ids,
    check_snapshot_name,
    delete_snapshots,
    describe,
    get_instance,
    retired_backups,
    rollback_sources,
    send_named_snapshot,
    settled,
    snapshots_named,
    snapshots_of_disk,
    states_of,
    wait_snapshot_created,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, PENDING

MAX_TAGS = 10  # per snapshot, in CreateInstanceSnapshot


def check_options(params):
    """Raise LighthouseError for ids, names and combinations the API would refuse, before any call."""
    if params['instance_id'] is not None:
        check_ids(INSTANCE, [params['instance_id']])
    check_ids(SNAPSHOT, params['snapshot_ids'] or [])
    check_snapshot_name('snapshot_name', params['snapshot_name'])
    if params['state'] == 'present' and params['snapshot_ids']:
        raise LighthouseError('InvalidParameter.ParameterConflict',
                              'snapshot_ids is only used with state=absent; state=present finds the snapshot by instance_id and snapshot_name')
    if params['tags'] and params['state'] != 'present':
        raise LighthouseError('InvalidParameter.ParameterConflict', 'tags is only used with state=present, for the snapshot it takes')
    if params['keep_backups'] is not None:
        if params['state'] != 'absent' or params['instance_id'] is None:
            raise LighthouseError('InvalidParameter.ParameterConflict', 'keep_backups needs state=absent and the instance_id whose backups it keeps')
        if params['keep_backups'] < 1:
            raise LighthouseError('InvalidParameterValue', 'keep_backups is %d; expected a number of backups of at least 1' % params['keep_backups'])
    if len(params['tags'] or {}) > MAX_TAGS:
        raise LighthouseError('InvalidParameterValue', 'tags has %d tags; a snapshot takes at most %d' % (len(params['tags']), MAX_TAGS))


def planned(instance, name):
    """The fields of the snapshot a real run would take that are known in advance (check mode)."""
    disk = instance['system_disk']
    return {'snapshot_id': None, 'snapshot_name': name, 'disk_id': disk['disk_id'], 'disk_usage': 'SYSTEM_DISK', 'disk_size': disk['disk_size']}


def finish_creation(module, snapshot):
    """Wait for a snapshot still being created (e.g. by an earlier task with wait: false), unless not waiting; return it."""
    if snapshot['snapshot_state'] != 'CREATING':
        return snapshot
    return wait_snapshot_created(module, snapshot['snapshot_id'], snapshot['latest_operation_request_id'], module.waits)


def ensure_present(module):
    name = module.params['snapshot_name']
    view, sent = send_named_snapshot(module, module.params['instance_id'], name, module.params['tags'])
    module.result['diff'] = {
        'before': {'snapshot_name': name, 'state': 'present' if view['existing'] and not sent else 'absent'},
        'after': {'snapshot_name': name, 'state': 'present'},
    }
    if sent:
        return {'snapshot': wait_snapshot_created(module, sent['snapshot_id'], sent['request_id'], module.waits), 'request_id': sent['request_id']}
    if view['existing']:
        return {'snapshot': finish_creation(module, view['existing'][0]), 'request_id': None}
    return {'changed': True, 'snapshot': planned(view['instance'], name), 'request_id': None}


def ensure_absent(module):
    params, client = module.params, module.client
    # Read once: an instance keeps its system disk.
    by_instance = params['snapshot_name'] is not None or params['keep_backups'] is not None
    disk_id = get_instance(client, params['instance_id'])['system_disk']['disk_id'] if by_instance else None

    def probe():
        targets = describe(client, SNAPSHOT, params['snapshot_ids'] or [], missing_ok=True)
        if params['snapshot_name'] is not None:
            targets += snapshots_named(client, disk_id, params['snapshot_name'])
        if params['keep_backups'] is not None:
            disk_snapshots = snapshots_of_disk(client, disk_id)
            targets += retired_backups(disk_snapshots, params['instance_id'], params['keep_backups'], rollback_sources(disk_snapshots))
        targets = list(dict((item['snapshot_id'], item) for item in targets).values())
        return (DONE if all(settled(item) for item in targets) else PENDING), targets

    what = 'the snapshots to finish their current operations'
    targets = module.waiter.wait(what, probe, module.deadline, states_of)
    snapshot_ids = [item['snapshot_id'] for item in targets]
    module.result.update(snapshots=snapshot_ids, request_ids=[], diff={'before': {'snapshots': snapshot_ids}, 'after': {'snapshots': []}})
    if module.check_mode:
        return {'changed': bool(snapshot_ids)}
    delete_snapshots(module, what, probe, targets, module.result['request_ids'])
    return None


def manage(module):
    return ensure_present(module) if module.params['state'] == 'present' else ensure_absent(module)


def main():
    module = LighthouseModule(
        argument_spec=dict(
            state=dict(type='str', default='present', choices=['present', 'absent']),
            instance_id=dict(type='str'),
            snapshot_name=dict(type='str'),
            snapshot_ids=dict(type='list', elements='str'),
            tags=dict(type='dict'),
            keep_backups=dict(type='int'),
        ),
        wait=True,
        required_if=[('state', 'present', ('instance_id', 'snapshot_name')),
                     ('state', 'absent', ('snapshot_ids', 'snapshot_name', 'keep_backups'), True)],
        required_by={'snapshot_name': 'instance_id'},
        supports_check_mode=True,
    )
    params = module.params
    if params['state'] == 'present':
        failure = 'create snapshot %s of instance %s' % (short(params['snapshot_name']), short(params['instance_id']))
    else:
        failure = 'delete snapshots'
    module.run(manage, failure, check_options, instance_id=params['instance_id'], snapshot_ids=params['snapshot_ids'])


if __name__ == '__main__':
    main()
