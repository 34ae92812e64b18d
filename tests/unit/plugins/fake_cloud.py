# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Lighthouse on a FakeClock, for unit tests of rollbacks, snapshots and the waits around them.

Resources are API-shaped dicts. Asynchronous operations change them when the clock passes their end;
the clock only moves when a Waiter sleeps on it. Nothing here talks to the network.
"""

from __future__ import annotations

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import BUSY, LighthouseError

SET_KEYS = {'DescribeInstances': ('InstanceSet', 'InstanceId'), 'DescribeSnapshots': ('SnapshotSet', 'SnapshotId')}
SNAPSHOT_FILTERS = {'disk-id': 'DiskId', 'snapshot-id': 'SnapshotId', 'snapshot-name': 'SnapshotName'}


def instance(number=1, state='STOPPED', **fields):
    """An API-shaped instance lhins-0000000<n> with the system disk lhdisk-0000000<n> of 40 GB."""
    resource = {
        'InstanceId': 'lhins-%08d' % number, 'InstanceName': 'web-%d' % number, 'InstanceState': state,
        'SystemDisk': {'DiskId': 'lhdisk-%08d' % number, 'DiskType': 'CLOUD_SSD', 'DiskSize': 40},
        'LatestOperation': 'StopInstances' if state == 'STOPPED' else 'StartInstances',
        'LatestOperationState': 'SUCCESS', 'LatestOperationRequestId': 'req-power-%d' % number,
    }
    resource.update(fields)
    return resource


def snapshot(number=1, disk=1, name='baseline', **fields):
    """An API-shaped NORMAL system-disk snapshot lhsnap-0000000<n> of lhdisk-0000000<disk>."""
    resource = {
        'SnapshotId': 'lhsnap-%08d' % number, 'SnapshotName': name, 'DiskUsage': 'SYSTEM_DISK',
        'DiskId': 'lhdisk-%08d' % disk, 'DiskSize': 40, 'SnapshotState': 'NORMAL', 'Percent': 100,
        'LatestOperation': 'CreateInstanceSnapshot', 'LatestOperationState': 'SUCCESS',
        'LatestOperationRequestId': 'req-create-%d' % number, 'CreatedTime': '2025-01-01T00:0%d:00Z' % (number % 10),
    }
    resource.update(fields)
    return resource


class FakeCloud:
    """Describe*, Describe*DeniedActions, ApplyInstanceSnapshot and CreateInstanceSnapshot over dicts.

    - ``seconds``: how long stop, start, snapshot and rollback phases take.
    - ``start_after_rollback``: a RUNNING instance is started again after its rollback.
    - ``fail_rollbacks``: rollbacks end FAILED.
    - ``report_lag``: seconds before a rollback shows in the resources (until then they show what they did before).
    - ``denied``: resource id -> list of API-shaped DeniedAction dicts (or a callable returning one).
    - ``errors``: action -> list of errors the next calls raise (busy ones are "settled" as Retry would).
    - ``hooks``: action -> a callable run whenever that action is called, before anything else.
    - ``later(seconds, change)``: run `change()` when the clock reaches now + seconds.
    """

    def __init__(self, clock, instances=(), snapshots=(), region='ap-guangzhou'):
        self.clock = clock
        self.region = region
        self.instances = dict((item['InstanceId'], item) for item in instances)
        self.snapshots = dict((item['SnapshotId'], item) for item in snapshots)
        self.seconds = {'stop': 2, 'start': 2, 'snapshot': 3, 'rollback': 4}
        self.start_after_rollback = False
        self.fail_rollbacks = False
        self.rollback_name = 'ApplyInstanceSnapshot'
        self.report_lag = 0
        self.denied = {}
        self.errors = {}
        self.hooks = {}
        self.calls = []
        self.settled_errors = []
        self._pending = []
        self._count = 0

    # ---- helpers for tests

    def later(self, seconds, change):
        self._pending.append((self.clock() + seconds, len(self._pending), change))

    def actions(self):
        return [action for action, params in self.calls]

    def mutations(self):
        return [action for action in self.actions() if not action.startswith('Describe')]

    # ---- the Client interface

    def call(self, action, params=None, settle=None):
        params = params or {}
        self.calls.append((action, params))
        self.hooks.get(action, lambda: None)()
        self._advance()
        queued = self.errors.get(action)
        if queued:
            error = queued.pop(0)
            if settle is not None and error.kind == BUSY:
                self.settled_errors.append(error.code)
                settle(error)
                return self.call(action, params, settle)
            raise error
        return getattr(self, '_' + action)(params)

    def _advance(self):
        while True:
            due = sorted(item for item in self._pending if item[0] <= self.clock())
            if not due:
                return
            self._pending.remove(due[0])
            due[0][2]()

    def _request_id(self, kind):
        self._count += 1
        return 'req-%s-%d' % (kind, self._count)

    # ---- actions

    def _describe(self, action, params, store):
        set_key, id_key = SET_KEYS[action]
        items = list(store.values())
        if id_key + 's' in params:
            items = [item for item in items if item[id_key] in params[id_key + 's']]
        for item_filter in params.get('Filters', []):
            field = SNAPSHOT_FILTERS[item_filter['Name']]
            items = [item for item in items if item[field] in item_filter['Values']]
        return {set_key: [dict(item) for item in items], 'TotalCount': len(items), 'RequestId': self._request_id('describe')}

    def _DescribeInstances(self, params):
        return self._describe('DescribeInstances', params, self.instances)

    def _DescribeSnapshots(self, params):
        return self._describe('DescribeSnapshots', params, self.snapshots)

    def _denied_set(self, ids, id_key):
        entries = []
        for resource_id in ids:
            denied = self.denied.get(resource_id, [])
            entries.append({id_key: resource_id, 'DeniedActions': denied() if callable(denied) else denied})
        return entries

    def _DescribeInstancesDeniedActions(self, params):
        return {'InstanceDeniedActionSet': self._denied_set(params['InstanceIds'], 'InstanceId'), 'RequestId': self._request_id('denied')}

    def _DescribeSnapshotsDeniedActions(self, params):
        return {'SnapshotDeniedActionSet': self._denied_set(params['SnapshotIds'], 'SnapshotId'), 'RequestId': self._request_id('denied')}

    def _ApplyInstanceSnapshot(self, params):
        request_id = self._request_id('apply')
        target = self.instances[params['InstanceId']]
        rolled = self.snapshots[params['SnapshotId']]
        running = target['InstanceState'] == 'RUNNING'
        outcome = 'FAILED' if self.fail_rollbacks else 'SUCCESS'

        def start():
            rolled.update(SnapshotState='ROLLBACKING', Percent=0, LatestOperation='RollbackInstanceSnapshot',
                          LatestOperationState='OPERATING', LatestOperationRequestId=request_id)
            target.update(InstanceState='STOPPING' if running else 'STOPPED', LatestOperation=self.rollback_name,
                          LatestOperationState='OPERATING', LatestOperationRequestId=request_id)
        if self.report_lag:
            self.later(self.report_lag, start)
        else:
            start()
        stop = self.seconds['stop'] if running else 0
        if running:
            self.later(stop, lambda: target.update(InstanceState='STOPPED'))
        end = stop + self.seconds['rollback']
        self.later(end, lambda: rolled.update(SnapshotState='NORMAL', Percent=100, LatestOperationState=outcome))
        if running and self.start_after_rollback and outcome == 'SUCCESS':
            self.later(end, lambda: target.update(InstanceState='STARTING'))
            self.later(end + self.seconds['start'], lambda: target.update(InstanceState='RUNNING', LatestOperationState='SUCCESS'))
        else:
            self.later(end, lambda: target.update(LatestOperationState=outcome))
        return {'RequestId': request_id}

    def _CreateInstanceSnapshot(self, params):
        request_id = self._request_id('create')
        target = self.instances[params['InstanceId']]
        self._count += 1
        snapshot_id = 'lhsnap-bk%06d' % self._count
        created = snapshot(1, SnapshotId=snapshot_id, SnapshotName=params.get('SnapshotName', snapshot_id),
                           DiskId=target['SystemDisk']['DiskId'], DiskSize=target['SystemDisk']['DiskSize'],
                           SnapshotState='CREATING', Percent=0, LatestOperationState='OPERATING',
                           LatestOperationRequestId=request_id, Tags=params.get('Tags', []))
        self.snapshots[snapshot_id] = created
        self.later(self.seconds['snapshot'], lambda: created.update(SnapshotState='NORMAL', Percent=100, LatestOperationState='SUCCESS'))
        return {'SnapshotId': snapshot_id, 'RequestId': request_id}


def denial(action, code, message='denied'):
    return {'Action': action, 'Code': code, 'Message': message}


def busy(code='UnsupportedOperation.DiskBusy'):
    return LighthouseError(code, 'busy', 'req-busy')
