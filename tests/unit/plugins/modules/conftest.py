# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for running the power and snapshot modules against a FakeCloud on a fake clock."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils import _base, _lighthouse
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Retry
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import Deadline, Waiter
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_instance_power, lighthouse_snapshot, lighthouse_snapshot_apply
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fake_cloud import FakeCloud

# Power actions: the instance state while one runs, the state it ends in, and its duration key.
POWER = {
    'StopInstances': ('STOPPING', 'STOPPED', 'stop'),
    'StartInstances': ('STARTING', 'RUNNING', 'start'),
    'RebootInstances': ('REBOOTING', 'RUNNING', 'stop'),
}


class FullCloud(FakeCloud):
    """A FakeCloud that also starts, stops and reboots instances and deletes snapshots.

    - ``failing``: ids of instances whose power operations end FAILED, back in the state they started in.
    - ``lagging``: power operations show on an instance only when they end, as from an API slow to report.
    """

    def __init__(self, clock):
        super().__init__(clock)
        self.failing = set()
        self.lagging = False

    def add(self, *resources):
        for resource in resources:
            if 'InstanceId' in resource:
                self.instances[resource['InstanceId']] = resource
            else:
                self.snapshots[resource['SnapshotId']] = resource

    def _power(self, action, params):
        during, after, duration = POWER[action]
        request_id = self._request_id('power')
        for instance_id in params['InstanceIds']:
            self._operate(self.instances[instance_id], action, request_id, during, after, self.seconds[duration])
        return {'RequestId': request_id}

    def _operate(self, target, action, request_id, during, after, seconds):
        failed = target['InstanceId'] in self.failing
        end = {'InstanceState': target['InstanceState'] if failed else after, 'LatestOperation': action,
               'LatestOperationState': 'FAILED' if failed else 'SUCCESS', 'LatestOperationRequestId': request_id}
        if not self.lagging:
            target.update(InstanceState=during, LatestOperation=action, LatestOperationState='OPERATING', LatestOperationRequestId=request_id)
        self.later(seconds, lambda: target.update(end))

    def _StopInstances(self, params):
        return self._power('StopInstances', params)

    def _StartInstances(self, params):
        return self._power('StartInstances', params)

    def _RebootInstances(self, params):
        return self._power('RebootInstances', params)

    def _DeleteSnapshots(self, params):
        ids = params['SnapshotIds']
        if len(ids) > 10:
            raise LighthouseError('InvalidParameterValue.LimitExceeded', 'at most 10 snapshot ids', 'req-refused')
        busy = [snapshot_id for snapshot_id in ids if self.snapshots[snapshot_id]['SnapshotState'] != 'NORMAL']
        if busy:
            raise LighthouseError('UnsupportedOperation.InvalidSnapshotState', 'not NORMAL: %s' % busy, 'req-refused')
        for snapshot_id in ids:
            del self.snapshots[snapshot_id]
        return {'RequestId': self._request_id('delete')}


@pytest.fixture
def fake_time(monkeypatch, clock):
    """Every Deadline, Waiter and Retry a module makes runs on the FakeClock: waits take no real time.

    A Retry's pauses are recorded in ``clock.pauses``; its jitter is fixed at the top of the range.
    """
    monkeypatch.setattr(_base, 'Deadline', lambda timeout: Deadline(timeout, clock))
    for namespace in (_base, _lighthouse, lighthouse_instance_power, lighthouse_snapshot):
        monkeypatch.setattr(namespace, 'Waiter', lambda: Waiter(sleep=clock.sleep))
    for namespace in (lighthouse_instance_power, lighthouse_snapshot, lighthouse_snapshot_apply):
        monkeypatch.setattr(namespace, 'Retry', lambda: Retry(sleep=clock.pause, rand=lambda: 1.0))
    return clock


@pytest.fixture
def lighthouse(monkeypatch, fake_time):
    """The modules talk to an empty FullCloud; tests add() its instances and snapshots."""
    fake = FullCloud(fake_time)
    monkeypatch.setattr(LighthouseModule, 'client', fake)
    return fake
