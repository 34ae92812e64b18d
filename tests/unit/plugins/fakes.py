# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes shared by the unit tests: a clock whose sleep advances it, scripted calls, a paginating API."""

from __future__ import annotations

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []
        self.pauses = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def pause(self, seconds):
        """A sleep that is also recorded in `pauses`: give it to a Retry to tell its pauses from the waits."""
        self.pauses.append(seconds)
        self.sleep(seconds)


class Scripted:
    """A callable that plays back outcomes, the last one forever: exceptions are raised, values returned."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class FakeApi:
    """Serves Describe* actions from lists of API-shaped resources, a page at a time, and records calls."""

    def __init__(self, region='ap-guangzhou', **sets):
        self.region = region
        self.sets = sets  # e.g. InstanceSet=[{...}, ...]
        self.calls = []

    def call(self, action, params=None):
        params = params or {}
        self.calls.append((action, params))
        set_key = {'DescribeInstances': 'InstanceSet', 'DescribeSnapshots': 'SnapshotSet', 'DescribeDisks': 'DiskSet'}[action]
        items = self.sets.get(set_key, [])
        ids_key = set_key.replace('Set', 'Ids')
        if ids_key in params:
            id_key = set_key.replace('Set', 'Id')
            items = [item for item in items if item[id_key] in params[ids_key]]
        offset, limit = params.get('Offset', 0), params.get('Limit', 20)
        if limit > 100:
            raise LighthouseError('InvalidParameterValue.OutOfRange', 'Limit must be at most 100')
        return {set_key: items[offset:offset + limit], 'TotalCount': len(items), 'RequestId': 'req-%d' % len(self.calls)}


def instance(number, **fields):
    """An API-shaped Instance with the documented CamelCase fields."""
    resource = {
        'InstanceId': 'lhins-%08d' % number,
        'InstanceName': 'lh-%04d' % number,
        'InstanceState': 'RUNNING',
        'CPU': 2,
        'SystemDisk': {'DiskId': 'lhdisk-%08d' % number, 'DiskType': 'CLOUD_SSD', 'DiskSize': 60},
        'LatestOperation': 'StartInstances',
        'LatestOperationState': 'SUCCESS',
        'LatestOperationRequestId': 'req-start-%d' % number,
        'Tags': [{'Key': 'env', 'Value': 'test'}],
    }
    resource.update(fields)
    return resource

