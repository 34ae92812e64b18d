#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lighthouse_snapshot_apply
short_description: Roll a Tencent Cloud Lighthouse instance back to a system-disk snapshot
version_added: 0.1.0
description:
  - Restores the system disk of a Lighthouse instance from one of its snapshots (the ApplyInstanceSnapshot API)
    and, by default, waits until the rollback has finished.
  - Before anything is changed, and in check mode too, the module checks that the instance exists in the
    region; that the snapshot exists, is V(NORMAL) and was taken of this instance's own system disk; that the
    snapshot's disk size equals the system disk's size; that the instance is V(RUNNING) or V(STOPPED); and
    that the cloud's own lists of denied actions (DescribeInstancesDeniedActions, DescribeSnapshotsDeniedActions)
    do not forbid the rollback. Any of these failing fails the task without a rollback.
  - An instance in a transitional state (for example V(STOPPING)), a snapshot being rolled back, or a disk the
    cloud reports as busy, is waited for until it settles, within O(wait_timeout), and then judged. A snapshot
    still being created (V(CREATING)) is refused at once, since a rollback target must already be usable.
  - A rollback refused because the instance or its disk is busy is not simply sent again. Once they have settled,
    every pre-flight check runs again; the rollback is sent again, after a short pause, only if it is still needed.
    If the instance is by then on the snapshot (another client rolled it back meanwhile), nothing more is sent and
    the task reports C(changed=false), unless a backup snapshot was taken.
  - A rollback is matched by the RequestId of the call that started it; an earlier rollback's success is never
    taken for this one. A rollback the cloud reports as V(FAILED) fails the task at once.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
options:
  instance_id:
    description:
      - The id of the instance whose system disk is rolled back, for example V(lhins-k31c771o).
      - Exactly one of O(instance_id) and O(instances) is required.
    type: str
  instances:
    description:
      - Roll back several instances in one task, a batch (see the notes on batches). Each entry names one instance.
      - Exactly one of O(instance_id) and O(instances) is required.
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      instance_id:
        description: The id of the instance.
        type: str
        required: true
      snapshot_id:
        description:
          - The snapshot to roll this instance back to.
          - An entry that names its snapshot (O(instances[].snapshot_id), O(instances[].snapshot_name) or
            O(instances[].created_before), at most one of them) chooses it alone; an entry that names none takes the
            task's O(snapshot_id), O(snapshot_name) or O(created_before) (with O(name_pattern)).
        type: str
      snapshot_name:
        description:
          - Roll this instance back to the one snapshot of its system disk with this name, as O(snapshot_name) does.
        type: str
        version_added: 0.2.0
      created_before:
        description:
          - Roll this instance back to the newest V(NORMAL) snapshot of its system disk created before this time, as
            O(created_before) does (a relative time counts from the start of the task).
        type: str
        version_added: 0.2.0
      name_pattern:
        description:
          - With O(instances[].created_before), consider only snapshots whose name matches this shell-style pattern.
        type: str
        version_added: 0.2.0
      after_request_id:
        description:
          - Roll this instance back only while its latest operation is the one this RequestId started, as O(after_request_id)
            does for one instance. An instance the task stops itself follows its own stop instead.
        type: str
      rollback:
        description:
          - With V(false), the instance is not rolled back, only started with the others (O(start)), for example one whose
            rollback an earlier run finished.
        type: bool
        default: true
  snapshot_id:
    description:
      - The id of the snapshot to roll back to, for example V(lhsnap-nv6aqcv6).
      - It must be a snapshot of this instance's system disk.
      - Exactly one of O(snapshot_id), O(snapshot_name) and O(created_before) is required.
    type: str
  snapshot_name:
    description:
      - The name of the snapshot to roll back to.
      - Exactly one snapshot of this instance's system disk may carry this name (exact, case-sensitive match).
        When none or several do, the task fails and lists the snapshots it found.
    type: str
  created_before:
    description:
      - Roll back to the newest V(NORMAL) snapshot of this instance's system disk created before this time, for
        example "back to before the 14:00 deploy".
      - An ISO 8601 time with its offset, such as V(2026-12-06T14:00:00+08:00) or V(2026-12-06T06:00:00Z), or a time
        relative to now, such as V(-2h) (units V(s), V(m), V(h), V(d), V(w)). Times are compared in UTC, as the API
        gives them; a time without an offset is refused.
      - When no snapshot qualifies the task fails, listing the snapshots nearest to the cut-off; two created in the
        same second are refused as ambiguous.
      - The snapshot chosen, with its C(created_time), is RV(snapshot), in check mode too.
      - Exactly one of O(snapshot_id), O(snapshot_name) and O(created_before) is required.
    type: str
    version_added: 0.2.0
  name_pattern:
    description:
      - With O(created_before), consider only snapshots whose name matches this shell-style pattern (case-sensitive),
        for example V(nightly-*).
    type: str
    version_added: 0.2.0
  force:
    description:
      - Whether to roll back a V(RUNNING) instance. The API force-stops it first, without a clean shutdown
        of the operating system.
      - With V(false), a V(RUNNING) instance is refused; stop it first, for example with
        M(tencentcloud.lighthouse.lighthouse_instance_power).
    type: bool
    default: false
  backup:
    description:
      - Whether to take a snapshot of the current system disk before rolling back, as an undo handle.
      - The module waits until that snapshot is V(NORMAL) before it rolls back (even with O(wait=false)) and returns
        its id as RV(backup_snapshot_id).
      - When the snapshot quota leaves no room (C(LimitExceeded.SnapshotQuotaLimitExceeded)) the task fails before
        anything is rolled back.
      - No backup is taken when no rollback is needed, nor in check mode.
      - A backup this task took earlier is used again instead of taking another, so that a retried task or a rerun
        after a killed run does not use up the snapshot quota. Such a backup is a snapshot of the system disk named O(backup_name)
        (or, by default, C(before-rollback-to-<snapshot id>-...)), whose creation did not fail, taken while the
        instance has been V(STOPPED) (after the instance's latest operation started, so the disk has not changed
        since). It is returned as RV(backup_snapshot_id).
    type: bool
    default: false
  backup_name:
    description:
      - The name of the backup snapshot, at most 60 characters. Only valid with O(backup=true).
      - Defaults to C(before-rollback-to-<snapshot id>-<UTC time>).
    type: str
  backup_tags:
    description:
      - Tags for the backup snapshot, for example the run that took it. Only valid with O(backup=true).
      - Every backup this module takes also carries the tag C(tencentcloud.lighthouse:backup-of) with the instance's id,
        which marks it as a backup of this collection, the one O(keep_backups) goes by.
    type: dict
    version_added: 0.2.0
  keep_backups:
    description:
      - Once the rollback has succeeded, delete this instance's backups beyond the newest O(keep_backups), so that
        backups do not use up the snapshot quota.
      - A backup is a snapshot of the instance's system disk tagged C(tencentcloud.lighthouse:backup-of) with the
        instance's id (see O(backup_tags)). A snapshot without that tag is never deleted, nor the snapshot rolled back
        to, nor one that is not V(NORMAL).
      - Needs O(wait=true). In check mode RV(deleted_backup_ids) lists what would be deleted, counting the backup that
        O(backup) would take.
    type: int
    version_added: 0.2.0
  after_request_id:
    description:
      - Roll back only while the instance's latest operation is the one this RequestId started, for example the
        stop that your play sent with M(tencentcloud.lighthouse.lighthouse_instance_power)
        (its RV(tencentcloud.lighthouse.lighthouse_instance_power#module:instance_request_ids)).
      - Any other operation on the instance since then, by anyone, fails the task before the rollback is sent, with
        the error code C(OperationChanged), since another client is working on the instance and two rollbacks must
        not follow one stop. The module checks it each time it looks at the instance, also in check mode.
      - If not set, any operation may come before the rollback.
    type: str
    version_added: 0.2.0
  stop:
    description:
      - Stop the instances that are V(RUNNING) before rolling them back, with one StopInstances call for the batch
        (O(stop_type)), instead of letting the API force-stop each one (O(force)). Makes the task a batch.
      - An instance is rolled back only after the stop this task sent for it; one that another client stopped meanwhile is
        left alone and fails with C(OperationChanged).
    type: bool
    default: false
    version_added: 0.2.0
  stop_type:
    description: How O(stop) shuts the instances down, as in M(tencentcloud.lighthouse.lighthouse_instance_power).
    type: str
    choices: [SOFT, HARD, SOFT_FIRST]
    default: SOFT_FIRST
    version_added: 0.2.0
  start:
    description:
      - Once the rollbacks have finished, start the batch's instances with one StartInstances call and wait until they are
        V(RUNNING). Needs O(wait=true). Makes the task a batch.
    type: bool
    default: false
    version_added: 0.2.0
  restart_on_failure:
    description:
      - In a batch, start again each instance whose stop, rollback or start failed once the task had begun to take it down
        (after the fleet guard and the backup), unless another client is working on it (C(OperationChanged)). Its entry of
        RV(instances) says so in C(restarted).
    type: bool
    default: true
    version_added: 0.2.0
  max_unavailable:
    description:
      - A disruption budget, which makes the task a batch. At most this many instances of the fleet may be down (not
        V(RUNNING)) at once, the task's own instances counting as one. The fleet is O(fleet) and the instances carrying
        O(fleet_tags).
      - Checked before the first stop, and again once the stop has been accepted, so that two tasks that looked at the same
        moment never both go on. A refusal fails the instances with C(FleetUnavailable), naming those down, and starts again
        what the task stopped.
    type: int
    version_added: 0.2.0
  fleet:
    description: The instances the disruption budget watches, each with its region (default O(region)) and a name for messages.
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      instance_id:
        description: The instance id.
        type: str
        required: true
      region:
        description: Its region, when not the task's.
        type: str
      name:
        description: How messages name it, for example its inventory host name.
        type: str
  fleet_tags:
    description: With O(max_unavailable), the instances carrying all of these tags (in the regions of O(fleet) and the task's) are part of the fleet too.
    type: dict
    version_added: 0.2.0
notes:
  - B(Batches.) With O(instances), O(stop), O(start) or O(max_unavailable) the task runs as a batch, in this order, each step for
    the instances still going. The pre-flight checks of each instance (the batch's instances, the snapshots they name and their
    denied actions are each read together, so a batch of 50 costs a few calls, not 50 times a few); the fleet guard; the backups (taken while the instances
    still run, so a used-up quota stops the batch before any stop; a snapshot already named O(backup_name) on the disk is used
    again); one stop; the fleet guard again; the rollbacks, sent one after another and then awaited; one start; and the start
    again of what failed (O(restart_on_failure)). An instance that fails a step is left out of the later ones while the others
    go on; the task then fails, naming each instance with its step, and RV(instances) holds every instance's outcome.
  - B(When there is nothing to do.) The instance counts as already being on the snapshot, and the task reports
    C(changed=false) without sending any request, exactly when the instance is V(STOPPED), the snapshot's latest
    operation is a successful rollback (C(RollbackInstanceSnapshot), C(SUCCESS)), and the instance's
    C(LatestOperationRequestId) equals the snapshot's, so nothing has happened to the instance since that rollback.
    In every other case a rollback is needed and the task reports C(changed=true), for example after the instance
    was started again, even if it was rolled back to this snapshot before.
  - Whether the cloud starts a V(RUNNING) instance again after rolling it back is not documented. The module
    works either way; it waits until the instance has settled and returns the state it ends in. An instance
    that is V(RUNNING) again is no longer known to be on the snapshot, so a rerun rolls it back again.
  - With O(wait=false) the module still waits for transitional states to settle before it decides (and for the
    backup snapshot), then returns as soon as the API has accepted the rollback.
  - If the answer to the rollback (or to the backup) is lost, or is an error that does not say whether it was
    made (a timeout, C(InternalError)), the module reads the instance and the snapshot until it can tell. A
    rollback that shows on them is adopted (its RequestId becomes RV(request_id)) and waited for as usual. The
    API may take a while to show a change, so a rollback that does not show yet is never sent again (that could
    roll back twice); if the deadline comes first, the task fails with C(changed=true), saying the rollback may
    have been made, also when it never reached the API. A rollback is never sent twice for one task.
  - In check mode every read and every check runs, including waiting for transitional states, but neither
    the backup snapshot nor the rollback is requested; RV(request_id) and RV(backup_snapshot_id) are V(null).
extends_documentation_fragment:
  - tencentcloud.lighthouse.common
  - tencentcloud.lighthouse.wait
  - tencentcloud.lighthouse.attributes
attributes:
  check_mode:
    support: full
    details:
      - All pre-flight checks run; no snapshot is created and no rollback is requested.
  diff_mode:
    support: full
    details:
      - Shows the instance state, the snapshot the system disk is known to be on, and the instance's latest
        operation, before and after.
seealso:
  - module: tencentcloud.lighthouse.lighthouse_instance_power
  - module: tencentcloud.lighthouse.lighthouse_snapshot_info
  - name: ApplyInstanceSnapshot API
    description: The API this module calls.
    link: https://www.tencentcloud.com/document/product/1103/42465
"""

EXAMPLES = r"""
- name: Roll a stopped instance back to its snapshot named baseline
  tencentcloud.lighthouse.lighthouse_snapshot_apply:
    region: ap-guangzhou
    instance_id: lhins-k31c771o
    snapshot_name: baseline

- name: Roll back a running instance, keeping the current disk as a snapshot
  tencentcloud.lighthouse.lighthouse_snapshot_apply:
    instance_id: lhins-k31c771o
    snapshot_id: lhsnap-nv6aqcv6
    force: true
    backup: true
    backup_name: before-restore
    wait_timeout: 1800
  register: restored

- name: Show the undo handle
  ansible.builtin.debug:
    msg: "To undo, roll back to {{ restored.backup_snapshot_id }}"

- name: Only check what a rollback would do
  tencentcloud.lighthouse.lighthouse_snapshot_apply:
    instance_id: lhins-k31c771o
    snapshot_name: baseline
  check_mode: true
  diff: true
  register: preview

- name: Stop, roll back and start two instances as one batch, while at most one instance of the fleet is down
  tencentcloud.lighthouse.lighthouse_snapshot_apply:
    instances:
      - instance_id: lhins-k31c771o
        snapshot_id: lhsnap-nv6aqcv6
      - instance_id: lhins-3mbvvzu2
        snapshot_id: lhsnap-8e0t6ahk
    stop: true
    start: true
    max_unavailable: 1
    fleet:
      - instance_id: lhins-5b0tdaqh
        name: web-3
  register: batch

- name: Roll back to the newest nightly snapshot taken before the 14:00 (UTC+8) deploy
  tencentcloud.lighthouse.lighthouse_snapshot_apply:
    instance_id: lhins-k31c771o
    created_before: "2026-12-06T14:00:00+08:00"
    name_pattern: nightly-*
    force: true
"""

RETURN = r"""
instance:
  description:
    - The instance after the task (in check mode, and when nothing was to do, as it is now), with every field
      DescribeInstances returns, keys in snake_case.
  returned: success, for one O(instance_id) (not a batch)
  type: dict
  sample:
    instance_id: lhins-k31c771o
    instance_name: web-1
    instance_state: STOPPED
    system_disk:
      disk_id: lhdisk-jxj6qnpo
      disk_type: CLOUD_SSD
      disk_size: 60
    latest_operation: ApplyInstanceSnapshot
    latest_operation_state: SUCCESS
    latest_operation_request_id: 96aee6e3-172c-4f0f-be7c-fc46b9865763
  contains:
    instance_id:
      description: The instance id.
      returned: always
      type: str
      sample: lhins-k31c771o
    instance_state:
      description: The instance state, V(STOPPED) after a rollback, or V(RUNNING) if the cloud started it again.
      returned: always
      type: str
      sample: STOPPED
    system_disk:
      description: The system disk, with C(disk_id), C(disk_type) and C(disk_size).
      returned: always
      type: dict
      sample:
        disk_id: lhdisk-jxj6qnpo
        disk_type: CLOUD_SSD
        disk_size: 60
    latest_operation:
      description: The name of the instance's latest operation.
      returned: always
      type: str
      sample: ApplyInstanceSnapshot
    latest_operation_state:
      description: The state of the latest operation, V(OPERATING), V(SUCCESS) or V(FAILED).
      returned: always
      type: str
      sample: SUCCESS
    latest_operation_request_id:
      description: The RequestId of the call that started the latest operation.
      returned: always
      type: str
      sample: 96aee6e3-172c-4f0f-be7c-fc46b9865763
snapshot:
  description:
    - The snapshot rolled back to, after the task, with every field DescribeSnapshots returns, keys in snake_case.
  returned: success, for one O(instance_id) (not a batch)
  type: dict
  sample:
    snapshot_id: lhsnap-nv6aqcv6
    snapshot_name: baseline
    snapshot_state: NORMAL
    disk_usage: SYSTEM_DISK
    disk_id: lhdisk-jxj6qnpo
    disk_size: 60
    percent: 100
    latest_operation: RollbackInstanceSnapshot
    latest_operation_state: SUCCESS
    latest_operation_request_id: 96aee6e3-172c-4f0f-be7c-fc46b9865763
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
      sample: baseline
    snapshot_state:
      description: The snapshot state, V(NORMAL), V(CREATING) or V(ROLLBACKING).
      returned: always
      type: str
      sample: NORMAL
    disk_id:
      description: The id of the disk the snapshot was taken of.
      returned: always
      type: str
      sample: lhdisk-jxj6qnpo
    latest_operation:
      description: The snapshot's latest operation, V(CreateInstanceSnapshot) or V(RollbackInstanceSnapshot).
      returned: always
      type: str
      sample: RollbackInstanceSnapshot
    latest_operation_state:
      description: The state of that operation, V(OPERATING), V(SUCCESS) or V(FAILED).
      returned: always
      type: str
      sample: SUCCESS
    latest_operation_request_id:
      description: The RequestId of the call that started that operation.
      returned: always
      type: str
      sample: 96aee6e3-172c-4f0f-be7c-fc46b9865763
request_id:
  description:
    - The RequestId of the ApplyInstanceSnapshot call; V(null) when no rollback was requested (nothing to do,
      or check mode).
    - On failure, the RequestId of the failed call, or of the rollback that failed or timed out.
  returned: for one O(instance_id) (not a batch)
  type: str
  sample: 96aee6e3-172c-4f0f-be7c-fc46b9865763
deleted_backup_ids:
  description:
    - With O(keep_backups), the older backups deleted once the rollback succeeded (in check mode, those that would be).
  returned: when O(keep_backups) is set
  type: list
  elements: str
  sample: [lhsnap-7rgt2x0m]
  version_added: 0.2.0
cutoff:
  description: With O(created_before), the cut-off it names, in UTC as the API writes times.
  returned: when O(created_before) is set
  type: str
  sample: "2026-12-06T06:00:00Z"
  version_added: 0.2.0
backup_snapshot_id:
  description:
    - The id of the V(NORMAL) snapshot taken with O(backup=true) before the rollback; roll back to it to undo.
    - V(null) without O(backup), when no rollback was needed, and in check mode.
    - A task that fails after the backup was requested returns it too, so the snapshot is never lost track of.
  returned: success, for one O(instance_id) (not a batch)
  type: str
  sample: lhsnap-3mbvvzu2
diff:
  description: The instance before and after (in check mode, what a real run would do).
  returned: success
  type: dict
  contains:
    before:
      description: The state before the task.
      returned: always
      type: dict
    after:
      description: The state after the task, or expected after it in check mode.
      returned: always
      type: dict
  sample:
    before:
      instance_state: RUNNING
      snapshot_id: null
      latest_operation: StartInstances SUCCESS (request 5b1a7e1f-6b55-4e4b-9d8f-0d3b5d1c2a10)
    after:
      instance_state: STOPPED
      snapshot_id: lhsnap-nv6aqcv6
      latest_operation: ApplyInstanceSnapshot SUCCESS (request 96aee6e3-172c-4f0f-be7c-fc46b9865763)
instances:
  description:
    - In a batch, each instance's outcome, in the order of O(instances), also when the task fails.
  returned: in a batch
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    instance_id:
      description: The instance id.
      type: str
      returned: always
      sample: lhins-k31c771o
    snapshot_id:
      description: The snapshot it is rolled back to (chosen by the pre-flight), or V(null).
      type: str
      returned: always
      sample: lhsnap-nv6aqcv6
    changed:
      description: Whether the task stopped, rolled back or started this instance (in check mode, whether it would).
      type: bool
      returned: always
    failed:
      description: Whether this instance failed a step.
      type: bool
      returned: always
    step:
      description: The step it failed at, V(pre-flight), V(fleet guard), V(backup), V(stop), V(rollback) or V(start); V(null) when it did not fail.
      type: str
      returned: always
    msg:
      description: Why it failed, or V(null).
      type: str
      returned: always
    error_code:
      description: The error code of its failure, or V(null).
      type: str
      returned: always
    error_request_id:
      description: The RequestId of the call the cloud refused when that is its failure, or V(null).
      type: str
      returned: always
      version_added: 0.2.0
    backup_snapshot_id:
      description: Its backup with O(backup), or V(null).
      type: str
      returned: always
    stop_request_id:
      description: The RequestId of the stop this task sent for it, or V(null).
      type: str
      returned: always
    request_id:
      description: The RequestId of its rollback, or V(null).
      type: str
      returned: always
    rollback_sent:
      description:
        - Whether its rollback was sent, accepted or with its answer lost (so it may have been made); V(false) when it was not
          needed or refused.
      type: bool
      returned: always
    rolled_back:
      description: Whether its rollback finished successfully in this task.
      type: bool
      returned: always
    start_request_id:
      description: The RequestId of the start this task sent for it, or V(null).
      type: str
      returned: always
    restarted:
      description: Whether it was started again after a failure (O(restart_on_failure)).
      type: bool
      returned: always
    instance:
      description:
        - The instance as it is at the end of the task, as in RV(instance); empty when its pre-flight could not read it.
      type: dict
      returned: always
    snapshot:
      description: The snapshot as the pre-flight saw it, or V(null).
      type: dict
      returned: always
elapsed:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 5.123
"""

import contextlib
import time

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import (
    CLIENT_ERROR,
    FATAL,
    FLEET_UNAVAILABLE,
    OPERATION_CHANGED,
    LighthouseError,
    OperationFailedError,
    classify,
    short,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    BACKUP_TAG,
    INSTANCE,
    QUOTA_EXCEEDED,
    ROLLBACK_OPERATIONS,
    SNAPSHOT,
    STATE_SUCCESS,
    api_time,
    check_ids,
    check_snapshot_name,
    choose_before,
    create_snapshot,
    creation_failed,
    cutoff_of,
    delete_snapshots,
    denied_actions,
    describe,
    describe_instances,
    describe_snapshots,
    get_instance,
    get_snapshot,
    is_rollback,
    named,
    newest_first,
    operation_status,
    operation_summary,
    quota_error,
    retired_backups,
    send_named_snapshot,
    settled,
    snapshots_named,
    snapshots_of_disk,
    snapshots_of_disks,
    state_of,
    unavailable,
    wait_snapshot_created,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._power import send_power, settle_instances, wait_power
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, FAILED, PENDING

CREATE_SNAPSHOT = 'CreateInstanceSnapshot'
DISK_NOUNS = {'SYSTEM_DISK': 'system disk', 'DATA_DISK': 'data disk'}


def check_options(params):
    """Validate what the argument spec cannot, before any API call; raise LighthouseError."""
    if is_batch(params):
        check_batch_options(params)
    else:
        check_ids(INSTANCE, [params['instance_id']])
    if params['snapshot_id'] is not None:
        check_ids(SNAPSHOT, [params['snapshot_id']])
    check_snapshot_name('snapshot_name', params['snapshot_name'])
    cutoff_of(params)
    check_snapshot_name('backup_name', params['backup_name'])
    if params['backup_name'] is not None and not params['backup']:
        raise LighthouseError(CLIENT_ERROR, 'backup_name is only used with backup: true')
    if params['backup_tags'] and not params['backup']:
        raise LighthouseError(CLIENT_ERROR, 'backup_tags is only used with backup: true')
    if params['keep_backups'] is not None and params['keep_backups'] < 1:
        raise LighthouseError(CLIENT_ERROR, 'keep_backups is %d; expected a number of backups of at least 1' % params['keep_backups'])
    if params['keep_backups'] is not None and not params['wait']:
        raise LighthouseError(CLIENT_ERROR, 'keep_backups needs wait: true, since backups are deleted only once the rollback has succeeded')


def system_disk_of(instance):
    return instance.get('system_disk') or {}


def disk_of(instance):
    return system_disk_of(instance).get('disk_id')


def name_error(name, instance, matches, disk_snapshots):
    """The error for a snapshot name that matched none (`disk_snapshots`: what the disk has) or several snapshots."""
    where = 'the system disk %s of instance %s' % (disk_of(instance), instance['instance_id'])
    if not matches:
        found = ', '.join('%r (%s)' % (item.get('snapshot_name'), item['snapshot_id']) for item in disk_snapshots)
        return LighthouseError('ResourceNotFound.SnapshotNotFound', 'no snapshot of %s is named %r; %s' % (
            where, name, 'its snapshots, newest first: %s' % found if found else 'it has no snapshots'))
    found = ', '.join('%s (created %s)' % (item['snapshot_id'], item.get('created_time')) for item in matches)
    return LighthouseError('InvalidParameterValue',
                           '%d snapshots of %s are named %r: %s; choose one with snapshot_id' % (len(matches), where, name, found))


def check_snapshot_disk(instance, snapshot):
    """Refuse a snapshot that was not taken of this instance's system disk, naming both disks."""
    disk_id = disk_of(instance)
    if snapshot.get('disk_usage') == 'SYSTEM_DISK' and snapshot.get('disk_id') == disk_id:
        return
    raise LighthouseError('ResourceNotFound.SnapshotNotFound', (
        'snapshot %s was taken of the %s %s, not of the system disk %s of instance %s; '
        'only a snapshot of the instance\'s own system disk can be applied'
    ) % (snapshot['snapshot_id'], DISK_NOUNS.get(snapshot.get('disk_usage'), 'disk'), snapshot.get('disk_id'), disk_id, instance['instance_id']))


def check_snapshot_usable(instance, snapshot):
    """Refuse a snapshot that is not NORMAL, whose creation failed, or whose disk size is not the system disk's."""
    snapshot_id, state = snapshot['snapshot_id'], snapshot.get('snapshot_state')
    if state != 'NORMAL':
        raise LighthouseError('UnsupportedOperation.InvalidSnapshotState',
                              'snapshot %s is %s; only a NORMAL snapshot can be applied' % (snapshot_id, state))
    if creation_failed(snapshot):
        raise LighthouseError('UnsupportedOperation.InvalidSnapshotState', 'the creation of snapshot %s failed' % snapshot_id)
    disk = system_disk_of(instance)
    if snapshot.get('disk_size') != disk.get('disk_size'):
        raise LighthouseError('InvalidParameterValue.DiskSizeNotMatch',
                              'snapshot %s is of a %s GB disk, but the system disk %s is now %s GB'
                              % (snapshot_id, snapshot.get('disk_size'), disk.get('disk_id'), disk.get('disk_size')))


def already_applied(instance, snapshot):
    """True when the instance is known to still be on `snapshot` (the rule in the module's notes)."""
    request_id = snapshot.get('latest_operation_request_id')
    return all((instance.get('instance_state') == 'STOPPED', is_rollback(snapshot.get('latest_operation')),
                snapshot.get('latest_operation_state') == STATE_SUCCESS, request_id, instance.get('latest_operation_request_id') == request_id))


def check_latest_request(instance, snapshot, request_id):
    """Refuse an instance whose latest operation is no longer `request_id` (when one is given): see after_request_id.

    A rollback to `snapshot` itself is let through, to be judged as any rollback found: already applied, or this
    task's own after a lost answer.
    """
    latest = instance.get('latest_operation_request_id')
    to_this_snapshot = is_rollback(instance.get('latest_operation')) and latest == snapshot.get('latest_operation_request_id')
    if not request_id or latest == request_id or to_this_snapshot:
        return
    raise LighthouseError(OPERATION_CHANGED, (
        'the latest operation of instance %s is %s, not the operation of request %s that the rollback was to follow: '
        'another client is working on the instance, so no rollback was sent') % (instance['instance_id'], operation_summary(instance), request_id))


def check_power_state(instance, force):
    """Refuse an instance the rollback must not (without `force`) or cannot touch."""
    state = instance.get('instance_state')
    if state == 'STOPPED' or (state == 'RUNNING' and force):
        return
    if state == 'RUNNING':
        # The latest operation tells a stop that failed from one never asked for.
        message = ('instance %s is RUNNING; stop it first, or set force: true to let the API force-stop it (its latest operation: %s)'
                   % (instance['instance_id'], operation_summary(instance)))
    else:
        message = 'instance %s is %s; a rollback needs it RUNNING or STOPPED' % (instance['instance_id'], state)
    raise LighthouseError('UnsupportedOperation.InvalidInstanceState', message)


def blocking_denials(instance_denied, snapshot_denied, backup):
    """The denied actions that stand in the way of this task, each with the ``resource`` kind it was listed for.

    The snapshot list names a rollback RollbackInstanceSnapshot; which name the instance list uses is not
    documented, so either is taken. A wanted backup also needs CreateInstanceSnapshot on the instance.
    """
    instance_actions = ROLLBACK_OPERATIONS | ({CREATE_SNAPSHOT} if backup else set())
    found = [dict(item, resource='instance') for item in instance_denied if item.get('action') in instance_actions]
    found += [dict(item, resource='snapshot') for item in snapshot_denied if item.get('action') in ROLLBACK_OPERATIONS]
    return found


def diff_state(instance, snapshot_id):
    return {'instance_state': instance.get('instance_state'), 'snapshot_id': snapshot_id, 'latest_operation': operation_summary(instance)}


def describe_view(view):
    """What a probe saw, for wait failures: each resource's state and latest operation, and any denials."""
    shown = [state_of(view[noun]) for noun in ('instance', 'snapshot') if view.get(noun)]
    shown += ['the cloud denies %s on the %s (%s: %s)' % (item.get('action'), item['resource'], item.get('code'), item.get('message'))
              for item in view.get('denials', [])]
    return '; '.join(shown)


def resolve_snapshots(client, entries, instances, cutoffs):
    """The snapshot each of `entries` (the task's params for one instance) names among its system disk's: by id, by its unique
    name, or as the newest before its cut-off (`cutoffs`, by instance id). Read together: the snapshots named by id in one call,
    those named by a name or a cut-off five disks per call (the most a filter takes). Returns, per instance id, the snapshot or the
    LighthouseError that refuses the choice."""
    chosen = {}
    by_id = [params for params in entries if params['snapshot_id'] is not None]
    if by_id:
        found = dict((item['snapshot_id'], item) for item in describe_snapshots(client, [params['snapshot_id'] for params in by_id]))
        chosen.update((params['instance_id'], found[params['snapshot_id']]) for params in by_id)
    by_name, by_time = {}, []
    for params in entries:
        if params['snapshot_id'] is not None:
            continue
        if cutoffs.get(params['instance_id']) is not None:
            by_time.append(params)
        else:
            by_name.setdefault(params['snapshot_name'], []).append(params)
    for name, group in by_name.items():
        found = snapshots_of_disks(client, [disk_of(instances[params['instance_id']]) for params in group], {'snapshot-name': name})
        for params in group:
            instance = instances[params['instance_id']]
            matches = named(found[disk_of(instance)], name)
            chosen[params['instance_id']] = matches[0] if len(matches) == 1 else name_error(
                name, instance, matches, [] if matches else newest_first(snapshots_of_disk(client, disk_of(instance))))
    of_disks = snapshots_of_disks(client, [disk_of(instances[params['instance_id']]) for params in by_time])
    for params in by_time:
        try:
            chosen[params['instance_id']] = choose_before(of_disks[disk_of(instances[params['instance_id']])], cutoffs[params['instance_id']],
                                                          params['name_pattern'])
        except LighthouseError as err:
            chosen[params['instance_id']] = err
    return chosen


def current_snapshot_id(client, instance, target):
    """The snapshot the instance is known to be on by the rule of already_applied(), or None."""
    if already_applied(instance, target):
        return target['snapshot_id']
    if instance.get('instance_state') != 'STOPPED' or not is_rollback(instance.get('latest_operation')):
        return None
    disk_snapshots = snapshots_of_disk(client, disk_of(instance))
    return next((item['snapshot_id'] for item in disk_snapshots if already_applied(instance, item)), None)


def preflight_looks(client, entries, cutoffs, seen):
    """One look at the pre-flight of the instances of `entries` (the task's params for each), read together: the instances in
    one call, the snapshots they name (resolve_snapshots()), and the denied actions of those that passed every other check in
    one call per kind.

    Returns, per instance id, ``(status, view)`` as preflight_probe() reports it, or the LighthouseError that fails its
    pre-flight; and the instances as read, by id. `seen` keeps each instance's snapshot between looks: it is read at the first look (a wrong one fails at once),
    then only once the instance has settled, so that an instance still stopping is waited for without reading its snapshot
    on every poll.
    """
    instances = dict((item['instance_id'], item) for item in describe_instances(client, [params['instance_id'] for params in entries]))
    unresolved = [params for params in entries if params['instance_id'] not in seen or settled(instances[params['instance_id']])]
    seen.update(resolve_snapshots(client, unresolved, instances, cutoffs))
    looks = {}
    for params in entries:
        instance_id = params['instance_id']
        try:
            looks[instance_id] = checked_view(client, params, instances[instance_id], seen[instance_id])
        except LighthouseError as err:
            looks[instance_id] = err
    asking = [params for params in entries if needs_denials(looks[params['instance_id']])]
    if asking:
        instance_denied = denied_actions(client, INSTANCE, [params['instance_id'] for params in asking])
        snapshot_denied = denied_actions(client, SNAPSHOT, [seen[params['instance_id']]['snapshot_id'] for params in asking])
        for params in asking:
            view = looks[params['instance_id']][1]
            try:
                looks[params['instance_id']] = judged_denials(client, params, view, instance_denied[params['instance_id']],
                                                              snapshot_denied[view['snapshot']['snapshot_id']])
            except LighthouseError as err:
                looks[params['instance_id']] = err
    return looks, instances


def needs_denials(look):
    """Whether a look passed every check but the denied actions (see checked_view())."""
    return not isinstance(look, LighthouseError) and look[0] == DONE and look[1]['needed']


def checked_view(client, params, instance, snapshot):
    """``(status, view)`` of one instance's pre-flight from what was read (`snapshot` may be the error that refused the choice):
    PENDING while the instance or the snapshot is busy; DONE with ``needed`` false when already applied; DONE with ``needed``
    when every check but the denied actions passed. Raises LighthouseError for a failed check."""
    if not is_rollback(instance.get('latest_operation')):
        # Another client's stop or start fails at once; a rollback is judged once the snapshot is read again.
        check_latest_request(instance, {}, params['after_request_id'])
    if isinstance(snapshot, LighthouseError):
        raise snapshot
    check_snapshot_disk(instance, snapshot)
    view = {'instance': instance, 'snapshot': snapshot, 'needed': True}
    if not settled(instance) or snapshot.get('snapshot_state') == 'ROLLBACKING':
        return PENDING, view
    check_latest_request(instance, snapshot, params['after_request_id'])
    check_snapshot_usable(instance, snapshot)
    if already_applied(instance, snapshot):
        return DONE, dict(view, needed=False)
    check_power_state(instance, params['force'])
    # A backup this task took earlier is used again, so creating one need not be allowed then.
    view['backup'] = current_backup(client, params, instance, snapshot) if params['backup'] else None
    return DONE, view


def judged_denials(client, params, view, instance_denied, snapshot_denied):
    """``(status, view)`` of a pre-flight that passed every other check, from the denied actions: a fatal denial raises
    LighthouseError; one that only says the instance or its disk is busy is PENDING, to be waited out."""
    view['denials'] = blocking_denials(instance_denied, snapshot_denied, params['backup'] and not view['backup'])
    for item in view['denials']:
        if classify(item.get('code')) == FATAL:
            denial = LighthouseError(item.get('code'), 'the cloud denies %s on %s %s: %s' % (
                item.get('action'), item['resource'], view[item['resource']]['%s_id' % item['resource']], item.get('message')))
            raise quota_error(client, denial, params['instance_id']) if denial.code == QUOTA_EXCEEDED else denial
    return (PENDING if view['denials'] else DONE), view


def preflight_probe(client, params, cutoff=None):
    """A probe for the pre-flight of one instance: PENDING while the instance or the snapshot is busy, else every check and DONE.

    Its view holds ``instance``, ``snapshot``, ``needed`` (false when already applied), ``denials`` and
    ``backup`` (a backup this task took earlier and can use again, see current_backup()).
    """
    seen = {}

    def probe():
        look = preflight_looks(client, [params], {params['instance_id']: cutoff}, seen)[0][params['instance_id']]
        if isinstance(look, LighthouseError):
            raise look
        return look
    return probe


def with_snapshot(client, view, snapshot_id):
    """`view` with the snapshot read now when the probe did not read it, so that a failure shows the rollback's progress."""
    if view.get('snapshot'):
        return view
    try:
        return dict(view, snapshot=get_snapshot(client, snapshot_id))
    except LighthouseError:
        return view  # the message still names what was awaited and the instance as last seen


def rollback_looks(client, rollbacks):
    """One look at several rollbacks, ``(instance_id, snapshot_id, request_id)`` each: per instance id, ``(status, view)``. DONE
    when the snapshot reports the rollback as SUCCESS and the instance has settled; FAILED when either reports it failed.

    The instances are read in one call; the snapshots in one more, only those whose instance shows an outcome, which keeps a
    batch of rollbacks inside DescribeSnapshots' tighter rate limit.
    """
    instances = dict((item['instance_id'], item) for item in describe_instances(client, [rollback[0] for rollback in rollbacks]))
    shown = [snapshot_id for instance_id, snapshot_id, request_id in rollbacks if operation_status(instances[instance_id], request_id) != PENDING]
    snapshots = dict((item['snapshot_id'], item) for item in describe_snapshots(client, shown)) if shown else {}
    looks = {}
    for instance_id, snapshot_id, request_id in rollbacks:
        instance = instances[instance_id]
        status = operation_status(instance, request_id)
        if status == PENDING:
            looks[instance_id] = PENDING, {'instance': instance}
            continue
        view = {'instance': instance, 'snapshot': snapshots[snapshot_id]}
        snapshot_status = operation_status(view['snapshot'], request_id)
        if FAILED in (status, snapshot_status):
            looks[instance_id] = FAILED, view
        else:
            looks[instance_id] = (DONE if snapshot_status == DONE and settled(instance) else PENDING), view
    return looks


def rollback_probe(client, instance_id, snapshot_id, request_id):
    """A probe of one rollback (see rollback_looks()): FAILED at once."""
    return lambda: rollback_looks(client, [(instance_id, snapshot_id, request_id)])[instance_id]


def rollback_what(instance_id, snapshot_id, request_id):
    return 'the rollback of instance %s to snapshot %s (request %s)' % (instance_id, snapshot_id, request_id)


BACKUP_PREFIX = 'before-rollback-to-%s-'


def backup_name(params, snapshot):
    return params['backup_name'] or BACKUP_PREFIX % snapshot['snapshot_id'] + time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())


def is_backup_for(params, snapshot, candidate):
    """Whether `candidate` is named as this task names its backups (backup_name, or the default prefix for this target)."""
    name = candidate.get('snapshot_name') or ''
    return name == params['backup_name'] if params['backup_name'] else name.startswith(BACKUP_PREFIX % snapshot['snapshot_id'])


def current_backup(client, params, instance, snapshot):
    """A backup this task took earlier (a retry, or a run that was killed) that still holds the disk as it is now, or None.

    The disk has not changed since such a backup was taken: the instance is STOPPED and its latest operation
    started before the backup was created, and the backup's creation did not fail.
    """
    if instance['instance_state'] != 'STOPPED':
        return None
    stopped_at = instance.get('latest_operation_started_time') or ''
    candidates = [item for item in snapshots_of_disk(client, disk_of(instance))
                  if is_backup_for(params, snapshot, item) and (item.get('created_time') or '') >= stopped_at and not creation_failed(item)]
    return next(iter(newest_first(candidates)), None)


def roll_back(module):
    """Pre-flight, then (when needed and not in check mode) the backup, the rollback and the wait for it.

    ``changed``, ``backup_snapshot_id`` and ``request_id`` go to module.result as soon as they are known, so a
    failure reports them.
    """
    client, params, instance_id = module.client, module.params, module.params['instance_id']
    module.result.update(backup_snapshot_id=None, request_id=None)
    cutoff = cutoff_of(params)
    if cutoff is not None:
        module.result['cutoff'] = api_time(cutoff)
    probe = preflight_probe(client, params, cutoff)
    what = 'instance %s to be ready for a rollback' % instance_id
    view = module.waiter.wait(what, probe, module.deadline, describe_view)
    instance, snapshot = view['instance'], view['snapshot']
    before = diff_state(instance, current_snapshot_id(client, instance, snapshot))
    if not view['needed']:
        return {'changed': False, 'instance': instance, 'snapshot': snapshot, 'diff': {'before': before, 'after': before}}
    if module.check_mode:
        after = {'instance_state': 'STOPPED' if instance['instance_state'] == 'STOPPED' else 'STOPPED or RUNNING',
                 'snapshot_id': snapshot['snapshot_id'],
                 'latest_operation': 'ApplyInstanceSnapshot of %s (not sent in check mode)' % snapshot['snapshot_id']}
        if params['keep_backups']:
            # The backup this run would take is the newest, and counts among those kept.
            new_backup = 1 if params['backup'] and not view.get('backup') else 0
            module.result['deleted_backup_ids'] = [item['snapshot_id'] for item in retired_backups(
                snapshots_of_disk(client, disk_of(instance)), instance_id, max(params['keep_backups'] - new_backup, 0),
                (snapshot['snapshot_id'],))]
        return {'changed': True, 'instance': instance, 'snapshot': snapshot, 'diff': {'before': before, 'after': after}}

    view = send_rollback(module, params, probe, view, module.result)
    request_id = module.result['request_id']
    if request_id is None:
        # Another client rolled it back meanwhile: nothing was sent, the pre-flight saw it done.
        instance, snapshot = view['instance'], view['snapshot']
    elif not module.waits:
        instance, snapshot = get_instance(client, instance_id), get_snapshot(client, snapshot['snapshot_id'])
    else:
        what = rollback_what(instance_id, snapshot['snapshot_id'], request_id)
        view = module.waiter.wait(what, rollback_probe(client, instance_id, snapshot['snapshot_id'], request_id), module.deadline,
                                  lambda seen: describe_view(with_snapshot(client, seen, snapshot['snapshot_id'])), just_sent=True)
        instance, snapshot = view['instance'], view['snapshot']
        if params['keep_backups']:
            retire_backups(module, instance, snapshot['snapshot_id'])
    return {'instance': instance, 'snapshot': snapshot, 'diff': {'before': before, 'after': diff_state(instance, snapshot['snapshot_id'])}}


def send_rollback(module, params, probe, view, result):
    """Send the backup (with params' backup) and the rollback, each once, while `probe` finds the rollback needed.

    Planned from `view` (None: settled first). ``backup_snapshot_id`` and ``request_id`` go to `result` as soon as they
    are known (also when adopted after a lost answer); return the view they were planned from.
    """
    client, instance_id = module.client, params['instance_id']
    what = 'instance %s to be ready for a rollback' % instance_id
    backup = {}
    if view and view.get('backup'):
        result['backup_snapshot_id'], backup['request_id'] = view['backup']['snapshot_id'], view['backup'].get('latest_operation_request_id')

    def plan(found):
        if not found['needed'] or result['request_id']:
            return []
        backup.setdefault('name', backup_name(params, found['snapshot']))
        backup['target'] = found['snapshot']['snapshot_id']
        return (['backup'] if params['backup'] and not result['backup_snapshot_id'] else []) + ['rollback']

    def send(request):
        if request == 'backup':
            try:
                result['backup_snapshot_id'], backup['request_id'] = create_snapshot(
                    client, instance_id, backup['name'], dict(params['backup_tags'] or {}, **{BACKUP_TAG: instance_id}))
            except LighthouseError as err:
                if err.code != QUOTA_EXCEEDED:
                    raise
                raise quota_error(client, err, instance_id) from None
            return
        if params['backup'] and result['backup_snapshot_id']:
            # Even with wait: false: the rollback never starts before its undo handle is usable.
            wait_snapshot_created(module, result['backup_snapshot_id'], backup['request_id'])
        result['request_id'] = client.call('ApplyInstanceSnapshot', {'InstanceId': instance_id, 'SnapshotId': backup['target']})['RequestId']

    def adopt(request, seen_before, seen_after):
        """Whether the resources show the request took effect; the backup or rollback found is then recorded."""
        if request == 'backup':
            made = snapshots_named(client, disk_of(seen_after['instance']), backup['name'])
            if made:
                result['backup_snapshot_id'], backup['request_id'] = made[0]['snapshot_id'], made[0].get('latest_operation_request_id')
            return bool(made)
        result['request_id'] = rollback_started(seen_before['instance'], seen_after['instance'], seen_after['snapshot'])
        return result['request_id'] is not None

    return module.settle_and_send(what, probe, plan, send, describe_view, view, adopt)


def is_batch(params):
    """Whether the task runs as a batch: several instances, or any of the steps around the rollback."""
    return params['instances'] is not None or params['stop'] or params['start'] or params['max_unavailable'] is not None


# The options that choose an instance's snapshot, in the task and in each entry of O(instances).
CHOICE_OPTIONS = ('snapshot_id', 'snapshot_name', 'created_before', 'name_pattern')


def batch_entries(params):
    """The batch's instances (``instance_id`` alone: one), each ``{instance_id, after_request_id, rollback}`` and its choice of
    snapshot (CHOICE_OPTIONS): its own when its entry names one, else the task's."""
    if params['instances'] is None:
        return [dict(((key, params[key]) for key in CHOICE_OPTIONS + ('instance_id', 'after_request_id')), rollback=True)]
    task_choice = dict((key, params[key]) for key in CHOICE_OPTIONS)
    return [dict(entry, **(task_choice if all(entry[key] is None for key in CHOICE_OPTIONS) else {})) for entry in params['instances']]


def check_entry_choice(entry):
    """Refuse an entry of O(instances) whose own choice of snapshot is not one; raise LighthouseError."""
    given = [key for key in CHOICE_OPTIONS[:3] if entry[key] is not None]
    where = 'the entry of instances for %s' % entry['instance_id']
    if len(given) > 1:
        raise LighthouseError(CLIENT_ERROR, '%s gives %s; expected at most one of snapshot_id, snapshot_name and created_before'
                              % (where, ' and '.join(given)))
    if entry['name_pattern'] is not None and entry['created_before'] is None:
        raise LighthouseError(CLIENT_ERROR, '%s gives name_pattern without created_before; expected both, or neither' % where)
    check_snapshot_name('snapshot_name of %s' % where, entry['snapshot_name'])
    cutoff_of(entry, 'created_before of %s' % where)


def check_batch_options(params):
    """What check_options() adds for a batch; raise LighthouseError."""
    for entry in params['instances'] or []:
        check_entry_choice(entry)
    entries = batch_entries(params)
    ids = [entry['instance_id'] for entry in entries]
    check_ids(INSTANCE, ids)
    repeated = sorted(set(item for item in ids if ids.count(item) > 1))
    if repeated:
        raise LighthouseError(CLIENT_ERROR, 'instances names %s more than once; expected each instance once' % ', '.join(repeated))
    check_ids(SNAPSHOT, [entry['snapshot_id'] for entry in entries if entry['snapshot_id']])
    if params['instances'] is not None and params['snapshot_id'] is not None and len(entries) > 1:
        raise LighthouseError(CLIENT_ERROR, 'snapshot_id is a snapshot of one instance\'s disk; with several instances, give each its '
                              'snapshot_id in instances, or use snapshot_name or created_before')
    unnamed = [entry['instance_id'] for entry in entries if entry['rollback'] and all(entry[key] is None for key in CHOICE_OPTIONS[:3])]
    if unnamed:
        raise LighthouseError(CLIENT_ERROR, 'no snapshot is given for %s; expected snapshot_id, snapshot_name or created_before in its entry '
                              'of instances, or snapshot_name or created_before for the task' % ', '.join(unnamed))
    for option in ('after_request_id', 'keep_backups'):
        if params['instances'] is not None and params[option] is not None:
            raise LighthouseError(CLIENT_ERROR, '%s is for one instance_id; with instances, %s' % (
                option, 'give each entry its after_request_id' if option == 'after_request_id' else 'use lighthouse_snapshot to delete backups'))
    if params['max_unavailable'] is not None and params['max_unavailable'] < 1:
        raise LighthouseError(CLIENT_ERROR, 'max_unavailable is %d; expected at least 1 (this task\'s instances count as one)'
                              % params['max_unavailable'])
    for option in ('fleet', 'fleet_tags'):
        if params[option] and params['max_unavailable'] is None:
            raise LighthouseError(CLIENT_ERROR, '%s is only used with max_unavailable' % option)
    check_ids(INSTANCE, [member['instance_id'] for member in params['fleet'] or []])
    if params['start'] and not params['wait']:
        raise LighthouseError(CLIENT_ERROR, 'start needs wait: true, since an instance is started only once its rollback has finished')


def new_outcome(entry):
    """An instance's entry of RV(instances), before anything is done."""
    return {'instance_id': entry['instance_id'], 'snapshot_id': entry['snapshot_id'], 'changed': False, 'failed': False, 'step': None,
            'msg': None, 'error_code': None, 'error_request_id': None, 'backup_snapshot_id': None, 'stop_request_id': None, 'request_id': None,
            'rollback_sent': False, 'rolled_back': False, 'start_request_id': None, 'restarted': False, 'instance': None, 'snapshot': None}


def fleet_unavailable(module, batch_ids):
    """Refuse (FLEET_UNAVAILABLE) when the fleet's instances outside `batch_ids` that are not RUNNING, with the batch counted
    as one, exceed max_unavailable. The fleet: the ``fleet`` members (read in their regions) and the instances carrying
    ``fleet_tags`` in those regions and the task's."""
    params = module.params
    members = params['fleet'] or []
    # The batch's own instances are read with the fleet's in one call: one read of the whole fleet, whatever it shows of them.
    regions = {params['region']: list(batch_ids)}
    for member in members:
        regions.setdefault(member['region'] or params['region'], []).append(member['instance_id'])
    found = [item for region, ids in regions.items() for item in describe_instances(module.client_in(region), ids)]
    if params['fleet_tags']:
        tag_filters = dict(('tag:%s' % key, value) for key, value in params['fleet_tags'].items())
        found += [item for region in regions for item in describe_instances(module.client_in(region), filters=tag_filters)]
    names = dict((member['instance_id'], member['name']) for member in members)
    down = unavailable(found, batch_ids, params['max_unavailable'])
    if down:
        raise LighthouseError(FLEET_UNAVAILABLE, (
            'Other instances of the fleet are down: %s. At most %d instance(s) of the fleet may be down at once, this task\'s instances '
            'counting as one (max_unavailable), so none of them is stopped or rolled back') % (', '.join(
                '%s (%s) is %s' % (names.get(item['instance_id']) or item.get('instance_name'), item['instance_id'], item.get('instance_state'))
                for item in down), params['max_unavailable']))


@contextlib.contextmanager
def failing_at(step, outcomes):
    """Run the block; when it raises LighthouseError, each of `outcomes` that has not failed yet fails at `step` with it."""
    try:
        yield
    except LighthouseError as err:
        for outcome in outcomes:
            fail_at(step, outcome, err)


def fail_at(step, outcome, err):
    """`outcome` fails at `step` with the LighthouseError `err`, unless it failed already."""
    if not outcome['failed']:
        outcome.update(failed=True, step=step, msg=err.message, error_code=err.code, error_request_id=err.request_id)


def batch_preflight(module, entries, cutoffs, of):
    """The pre-flight of the batch's instances to roll back (`entries`: the task's params for each), all read together on each
    look until each has settled. Returns the views of those that passed, by instance id, and every instance as last read;
    each other instance fails its outcome (`of`, by instance id) at the pre-flight, and the others go on."""
    pending, views, seen, last, read = list(entries), {}, {}, {}, {}

    def probe():
        looks, instances = preflight_looks(module.client, pending, cutoffs, seen)
        read.update(instances)
        for params in list(pending):
            instance_id, look = params['instance_id'], looks[params['instance_id']]
            if isinstance(look, LighthouseError):
                fail_at('pre-flight', of[instance_id], look)
            elif look[0] == DONE:
                views[instance_id] = look[1]
            else:
                last[instance_id] = look[1]
                continue
            pending.remove(params)
        return (PENDING if pending else DONE), [last[params['instance_id']] for params in pending]
    what = 'instance(s) %s to be ready for a rollback' % ', '.join(params['instance_id'] for params in entries)
    try:
        module.waiter.wait(what, probe, module.deadline, lambda seen_views: '; '.join(describe_view(view) for view in seen_views))
    except LighthouseError as err:
        for params in pending:
            fail_at('pre-flight', of[params['instance_id']], err)
    return views, read


def roll_back_batch(module):
    """The batch: pre-flight, fleet guard, backups, one stop, the guard again, the rollbacks, one start, and starting again
    the instances it took down when a later step failed. Each instance's outcome is in RV(instances) as soon as it is known."""
    client, params = module.client, module.params
    entries = batch_entries(params)
    outcomes = [new_outcome(entry) for entry in entries]
    of = dict((outcome['instance_id'], outcome) for outcome in outcomes)
    module.result['instances'] = outcomes
    cutoff = cutoff_of(params)
    if cutoff is not None:
        module.result['cutoff'] = api_time(cutoff)

    def going(ids):
        return [of[instance_id] for instance_id in ids if not of[instance_id]['failed']]

    to_check = [dict(params, force=params['force'] or params['stop'], **entry) for entry in entries if entry['rollback']]
    views, latest = batch_preflight(module, to_check, dict((item['instance_id'], cutoff_of(item)) for item in to_check), of) if to_check else ({}, {})
    # Each instance as last seen, so that a step reads again only what it cannot know.
    latest.update((instance_id, view['instance']) for instance_id, view in views.items())
    for instance_id, view in views.items():
        of[instance_id].update(snapshot_id=view['snapshot']['snapshot_id'], snapshot=view['snapshot'])
    to_roll = [entry['instance_id'] for entry in entries if entry['instance_id'] in views and views[entry['instance_id']]['needed']]
    if params['max_unavailable'] is not None and to_roll:
        with failing_at('fleet guard', going(to_roll)):
            fleet_unavailable(module, list(of))
    if module.check_mode:
        return batch_result(module, outcomes, views, latest)
    if params['backup']:
        back_up(module, going(to_roll))

    touched = going(to_roll)  # from here on, a failure starts the instance again (restart_on_failure)
    stopped = {}  # instance id -> the RequestId of this task's stop
    to_stop = [outcome['instance_id'] for outcome in touched if params['stop'] and views[outcome['instance_id']]['instance']['instance_state'] == 'RUNNING']
    if to_stop:
        with failing_at('stop', going(to_stop)):
            # Planned from the pre-flight's look: a stop refused because another client changed an instance since is planned
            # again from a fresh one (settle_and_send).
            send_power(module, to_stop, 'stopped', params['stop_type'], [latest[instance_id] for instance_id in to_stop], stopped, [])
        for outcome in going(to_stop):
            outcome['stop_request_id'] = stopped.get(outcome['instance_id'])
            if not outcome['stop_request_id']:
                # Stopped meanwhile, but not by this task: another client is working on it, and it is left as it is.
                outcome.update(failed=True, step='stop', error_code=OPERATION_CHANGED, msg=(
                    'this task did not stop instance %s: another client stopped it meanwhile, so it is left as it is' % outcome['instance_id']))
        if stopped and params['max_unavailable'] is not None:
            # Two tasks that passed the first look at once each see the other's stop now, so they never both go on.
            with failing_at('fleet guard', going(to_roll)):
                fleet_unavailable(module, list(of))

    # One read for the batch until every stop has ended; each rollback is then sent at once, while its instance's latest
    # operation is still this task's stop (or, for one stopped already, what the caller said it must follow).
    rolling = [outcome['instance_id'] for outcome in going(to_roll)]
    if rolling:
        with failing_at('stop', going(rolling)):
            latest.update((item['instance_id'], item) for item in wait_power(module, rolling, stopped, 'the stop of %d instance(s)' % len(stopped)))
    for outcome in going(rolling):
        instance_id = outcome['instance_id']
        entry_after = next(entry['after_request_id'] for entry in entries if entry['instance_id'] == instance_id)
        instance_params = dict(params, instance_id=instance_id, snapshot_id=outcome['snapshot_id'], backup=False,
                               after_request_id=stopped.get(instance_id) or entry_after)
        view = {'instance': latest[instance_id], 'snapshot': outcome['snapshot'], 'needed': True}
        # Whether this instance's rollback was sent: settle_and_send sets changed once a request is accepted or may have been.
        changed_before = module.result.pop('changed', False)
        try:
            with failing_at('rollback', [outcome]):
                check_latest_request(view['instance'], view['snapshot'], instance_params['after_request_id'])
                check_power_state(view['instance'], params['force'])
                send_rollback(module, instance_params, preflight_probe(client, instance_params), view, outcome)
        finally:
            outcome['rollback_sent'] = module.result.get('changed', False)
            module.result['changed'] = changed_before or outcome['rollback_sent']
    sent = [outcome for outcome in going(to_roll) if outcome['request_id']]
    if sent and module.waits:
        latest.update(wait_rollbacks(module, sent))

    to_start = [outcome['instance_id'] for outcome in going(of) if params['start']]
    if to_start:
        started = {}
        with failing_at('start', going(to_start)):
            # Settled already when the rollback has just been awaited; read only when an instance is not known so.
            known = [latest.get(instance_id) for instance_id in to_start]
            instances = known if all(item and settled(item) for item in known) else settle_instances(module, to_start)
            send_power(module, to_start, 'running', params['stop_type'], instances, started, [])
            latest.update((item['instance_id'], item) for item in wait_power(module, to_start, started, 'the start of %d instance(s)' % len(started)))
        for instance_id in to_start:
            of[instance_id]['start_request_id'] = started.get(instance_id)
    if params['restart_on_failure']:
        restarted = restart(module, [outcome for outcome in touched if outcome['failed'] and outcome['error_code'] != OPERATION_CHANGED])
        latest.update((item['instance_id'], item) for item in restarted)
    # A failed step after the pre-flight leaves its instances as last seen unknown: they are read again.
    for outcome in outcomes:
        if outcome['failed'] and outcome['step'] != 'pre-flight':
            latest.pop(outcome['instance_id'], None)
    return batch_result(module, outcomes, views, latest)


def back_up(module, outcomes):
    """Take the backup of each instance (a snapshot already named as it would be is used again), then wait until each is usable."""
    params = module.params
    sent = {}
    for outcome in outcomes:
        name = params['backup_name'] or backup_name(params, {'snapshot_id': outcome['snapshot_id']})
        tags = dict(params['backup_tags'] or {}, **{BACKUP_TAG: outcome['instance_id']})
        with failing_at('backup', [outcome]):
            view, made = send_named_snapshot(module, outcome['instance_id'], name, tags)
            if not made:
                made = {'snapshot_id': view['existing'][0]['snapshot_id'], 'request_id': view['existing'][0].get('latest_operation_request_id')}
            outcome['backup_snapshot_id'] = made['snapshot_id']
            sent[outcome['instance_id']] = made
    for outcome in outcomes:
        if not outcome['failed']:
            made = sent[outcome['instance_id']]
            with failing_at('backup', [outcome]):
                wait_snapshot_created(module, made['snapshot_id'], made['request_id'])


def wait_rollbacks(module, outcomes):
    """Wait for the rollbacks of `outcomes` together, looking at them all at each poll (rollback_looks()). Each that fails, or is
    not done by the deadline, fails its outcome at the rollback; returns the instances as the others' rollbacks left them, by id."""
    pending, done, last = list(outcomes), {}, {}

    def probe():
        looks = rollback_looks(module.client, [(outcome['instance_id'], outcome['snapshot_id'], outcome['request_id']) for outcome in pending])
        for outcome in list(pending):
            status, last[outcome['instance_id']] = looks[outcome['instance_id']]
            if status == PENDING:
                continue
            pending.remove(outcome)
            if status == DONE:
                outcome['rolled_back'] = True
                done[outcome['instance_id']] = last[outcome['instance_id']]['instance']
            else:
                fail_at('rollback', outcome, OperationFailedError(rollback_what(outcome['instance_id'], outcome['snapshot_id'], outcome['request_id']),
                                                                  describe_view(last[outcome['instance_id']]), outcome['request_id']))
        return (PENDING if pending else DONE), [last[outcome['instance_id']] for outcome in pending]

    def described(views):
        return '; '.join(describe_view(with_snapshot(module.client, view, outcome['snapshot_id'])) for outcome, view in zip(pending, views))
    try:
        module.waiter.wait('the rollbacks of %s' % ', '.join('instance %s (request %s)' % (outcome['instance_id'], outcome['request_id'])
                                                             for outcome in outcomes), probe, module.deadline, described, just_sent=True)
    except LighthouseError as err:
        for outcome in pending:
            fail_at('rollback', outcome, err)
    return done


def restart(module, outcomes):
    """Start again the instances of `outcomes` that are not RUNNING (their step after the stop failed); note which were.

    Returns the instances as the start left them (none when it failed).
    """
    ids = [outcome['instance_id'] for outcome in outcomes]
    started, instances = {}, []
    if not ids:
        return instances
    try:
        send_power(module, ids, 'running', module.params['stop_type'], settle_instances(module, ids), started, [])
        instances = wait_power(module, ids, started, 'the start again of %d instance(s)' % len(started))
    except LighthouseError as err:
        for outcome in outcomes:
            outcome['msg'] += '; starting it again failed: %s' % err.message
    for outcome in outcomes:
        outcome['restarted'] = outcome['instance_id'] in started
    return instances


def batch_result(module, outcomes, views, latest):
    """Each instance as it is now in its outcome (read again unless `latest` has it), and the diff; raise for the instances
    that failed, naming each with its step."""
    # An instance whose pre-flight could not read it is not read again: the read failed for a reason that stands.
    unknown = [outcome['instance_id'] for outcome in outcomes if outcome['instance_id'] not in latest and outcome['step'] != 'pre-flight']
    now = dict(latest, **dict((item['instance_id'], item) for item in (describe_instances(module.client, unknown) if unknown else [])))
    before, after = {}, {}
    for outcome in outcomes:
        instance = outcome['instance'] = now.get(outcome['instance_id']) or {}
        seen = views.get(outcome['instance_id'], {}).get('instance', instance)
        before[outcome['instance_id']] = {'instance_state': seen.get('instance_state'), 'latest_operation': operation_summary(seen)}
        if module.check_mode:
            rolls_back = outcome['instance_id'] in views and views[outcome['instance_id']]['needed'] and not outcome['failed']
            outcome['changed'] = rolls_back or (module.params['start'] and instance.get('instance_state') != 'RUNNING' and not outcome['failed'])
            after[outcome['instance_id']] = {'instance_state': 'RUNNING' if module.params['start'] else 'STOPPED',
                                             'snapshot_id': outcome['snapshot_id'] if rolls_back else None}
        else:
            outcome['changed'] = bool(outcome['stop_request_id'] or outcome['request_id'] or outcome['start_request_id'] or outcome['restarted'])
            after[outcome['instance_id']] = {'instance_state': instance.get('instance_state'), 'latest_operation': operation_summary(instance)}
    changed = any(outcome['changed'] for outcome in outcomes) or module.result.get('changed', False)
    module.result.update(diff={'before': before, 'after': after}, changed=changed)
    failed = [outcome for outcome in outcomes if outcome['failed']]
    if failed:
        raise LighthouseError(failed[0]['error_code'], '%d of %d instance(s) failed: %s' % (len(failed), len(outcomes), '; '.join(
            '%s at the %s: %s' % (outcome['instance_id'], outcome['step'], outcome['msg']) for outcome in failed)))
    return None


def retire_backups(module, instance, target_id):
    """Delete the instance's backups beyond the newest keep_backups, never `target_id` nor this task's backup; the rollback has succeeded."""
    client, instance_id = module.client, instance['instance_id']
    # The backup just taken is kept whatever the clocks say: it is the undo handle of this very rollback.
    retired = retired_backups(snapshots_of_disk(client, disk_of(instance)), instance_id,
                              module.params['keep_backups'], (target_id, module.result['backup_snapshot_id']))
    module.result.update(deleted_backup_ids=[item['snapshot_id'] for item in retired], delete_request_ids=[])
    if not retired:
        return

    def probe():
        found = describe(client, SNAPSHOT, module.result['deleted_backup_ids'], missing_ok=True)
        return (DONE if all(settled(item) for item in found) else PENDING), found
    try:
        delete_snapshots(module, 'the older backups of instance %s to settle' % instance_id, probe, retired, module.result['delete_request_ids'])
    except LighthouseError as err:
        raise LighthouseError(err.code, 'the rollback succeeded, but deleting the older backups %s failed: %s'
                              % (', '.join(module.result['deleted_backup_ids']), err.message), err.request_id, err.action) from None


def rollback_started(instance_before, instance_after, snapshot_after):
    """The RequestId of a rollback to the snapshot that started on the instance since `instance_before`, or None."""
    request_id = instance_after.get('latest_operation_request_id')
    new = request_id != instance_before.get('latest_operation_request_id')
    if new and is_rollback(instance_after.get('latest_operation')) and snapshot_after.get('latest_operation_request_id') == request_id:
        return request_id
    return None


def main():
    module = LighthouseModule(
        argument_spec=dict(
            instance_id=dict(type='str'),
            instances=dict(type='list', elements='dict', options=dict(
                instance_id=dict(type='str', required=True),
                snapshot_id=dict(type='str'),
                snapshot_name=dict(type='str'),
                created_before=dict(type='str'),
                name_pattern=dict(type='str'),
                after_request_id=dict(type='str'),
                rollback=dict(type='bool', default=True),
            )),
            snapshot_id=dict(type='str'),
            snapshot_name=dict(type='str'),
            force=dict(type='bool', default=False),
            backup=dict(type='bool', default=False),
            backup_name=dict(type='str'),
            backup_tags=dict(type='dict'),
            keep_backups=dict(type='int'),
            after_request_id=dict(type='str'),
            created_before=dict(type='str'),
            name_pattern=dict(type='str'),
            stop=dict(type='bool', default=False),
            stop_type=dict(type='str', default='SOFT_FIRST', choices=['SOFT', 'HARD', 'SOFT_FIRST']),
            start=dict(type='bool', default=False),
            restart_on_failure=dict(type='bool', default=True),
            max_unavailable=dict(type='int'),
            fleet=dict(type='list', elements='dict', options=dict(
                instance_id=dict(type='str', required=True),
                region=dict(type='str'),
                name=dict(type='str'),
            )),
            fleet_tags=dict(type='dict'),
        ),
        wait=True,
        mutually_exclusive=[('snapshot_id', 'snapshot_name', 'created_before'), ('instance_id', 'instances')],
        required_one_of=[('snapshot_id', 'snapshot_name', 'created_before', 'instances'), ('instance_id', 'instances')],
        required_by={'name_pattern': 'created_before'},
        supports_check_mode=True,
    )
    params = module.params
    target = short(params['snapshot_id'] or repr(params['snapshot_name'])) if not params['created_before'] else \
        'the newest before %s' % short(repr(params['created_before']))
    if params['instances'] is None:
        failure = 'roll back instance %s to snapshot %s' % (short(params['instance_id']), target)
    else:
        failure = 'roll back %d instance(s)' % len(params['instances'])

    def work(module):
        return roll_back_batch(module) if is_batch(params) else roll_back(module)

    module.run(work, failure, check_options, instance_id=params['instance_id'], snapshot_id=params['snapshot_id'],
               snapshot_name=params['snapshot_name'])


if __name__ == '__main__':
    main()
