# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unit tests' one model of Lighthouse: the emulator's core (tests/emulator) in-process, on a manual clock.

`EmulatedCloud.sdk_client` stands in for the SDK's LighthouseClient, so a module's real Client (and
its Retry) talks to the emulator's pipeline after the signature check: common checks, rate limits,
injected faults, then the action. Operations advance only when something sleeps on the manual clock.
"""

from __future__ import annotations

import json

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import BUSY, classify
from ansible_collections.tencentcloud.lighthouse.tests.emulator.lighthouse_emulator.emulator import DROP
from ansible_collections.tencentcloud.lighthouse.tests.emulator.lighthouse_emulator.fleet import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
from ansible_collections.tencentcloud.lighthouse.tests.emulator.lighthouse_emulator.manual import START, in_process
from ansible_collections.tencentcloud.lighthouse.tests.emulator.lighthouse_emulator.ops import Owner, Phase

REGION = 'ap-guangzhou'
# The module options every unit test passes: credentials the emulated cloud accepts, and its region.
ARGS = {'secret_id': 'AKIDUNITTEST', 'secret_key': 'unit-test-secret-key', 'region': REGION}
# The RequestId of another client's calls (see EmulatedCloud.elsewhere).
ELSEWHERE = 'req-elsewhere'


def instance(number, state='RUNNING', snapshots=(), **spec):
    """A fleet entry: instance lhins-<n, 8 digits> named web-<n>, with the 40 GB system disk lhdisk-<n, 8 digits>.

    `snapshots` (see snapshot()) are of that disk; `spec` adds other fleet keys (tests/emulator/README.md).
    """
    return dict(instance_id='lhins-%08d' % number, name='web-%d' % number, state=state,
                system_disk={'disk_id': 'lhdisk-%08d' % number}, snapshots=list(snapshots), **spec)


def snapshot(number, name='baseline', **spec):
    """A fleet entry: the NORMAL snapshot lhsnap-<n, 8 digits> of the disk it is listed under."""
    return dict(snapshot_id='lhsnap-%08d' % number, name=name, **spec)


class EmulatedCloud:
    """An emulator on `clock`; seed it, change its settings, inject faults, then read what was sent and what it holds."""

    def __init__(self, clock):
        self.clock = clock
        self.emulator = in_process({'instances': []}, REGION, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, clock)
        self._before = {}

    # ---- setting the scene

    def seed(self, *instances, **fleet):
        """Replace everything (state, settings, faults, journal) with these fleet entries and fleet keys."""
        self.emulator.load(dict(fleet, instances=list(instances)))

    @property
    def settings(self):
        """The emulator's Settings: ``settings.update({...})`` changes durations, behaviour...; ``settings['durations']`` reads them."""
        return self.emulator.service.settings

    @property
    def faults(self):
        """The emulator's Faults: ``faults.add({'action': ..., 'code': ...})`` (tests/emulator/README.md lists the kinds)."""
        return self.emulator.faults

    def before(self, action, change):
        """Run `change()` once, when the next `action` call arrives and before the emulator handles it."""
        self._before[action] = change

    def elsewhere(self, action, params):
        """Another client's call in REGION with the RequestId ELSEWHERE: handled at once, past rate limits and faults, and not journaled."""
        service = self.emulator.service
        service.engine.advance()
        return service.call(action, REGION, params, ELSEWHERE)

    def operate(self, instance_id, operation, during, after, seconds):
        """Another client's operation the emulated API does not serve (e.g. EnterRescueMode): `during`, then `after` `seconds` later."""
        service = self.emulator.service
        service.engine.advance()
        target = service.store.get('instance', REGION, instance_id)
        phase = Phase(target, seconds, {'InstanceState': during}, {'InstanceState': after}, {}, lambda: None)
        service.run(operation, ELSEWHERE, [Owner(target, operation, 0)], [phase])

    # ---- the SDK client

    def sdk_client(self, credential, region, profile):
        """A stand-in for LighthouseClient(credential, region, profile): monkeypatch _client.LighthouseClient with it."""
        return SdkClient(self, credential.secret_id, region)

    def answer(self, action, region, params, secret_id):
        change = self._before.pop(action, None)
        if change:
            change()
        # Through JSON, as over HTTP: the emulator sees exactly what the SDK would send.
        return self.emulator.call(action, region, json.loads(json.dumps(params)), secret_id)

    # ---- what was sent

    def journal(self):
        """The emulator's journal: one entry per call (action, params, request_id, error_code, time...)."""
        return self.emulator.journal.since(0)

    def calls(self):
        """[(action, params)] of every call, in order."""
        return [(entry['action'], entry['params']) for entry in self.journal()]

    def actions(self):
        return [action for action, _params in self.calls()]

    def mutations(self):
        """The actions of the calls that change something (every action but Describe*)."""
        return [action for action in self.actions() if not action.startswith('Describe')]

    def sent(self):
        """[(action, params)] of the calls that change something."""
        return [(action, params) for action, params in self.calls() if not action.startswith('Describe')]

    def at(self, entry):
        """The manual clock's reading when the call of a journal entry was made."""
        return entry['time'] - START

    def pauses(self):
        """For each call refused because a resource was busy, the seconds until the next call: the module's backoff pause."""
        entries = self.journal()
        return [self.at(entry) - self.at(refused) for refused, entry in zip(entries, entries[1:]) if classify(refused['error_code']) == BUSY]

    # ---- what the cloud holds (the truth, even while Describe* lags)

    def state(self):
        self.emulator.service.engine.advance()
        return self.emulator.state()

    def instance(self, instance_id):
        return next(item for item in self.state()['instances'] if item['InstanceId'] == instance_id)

    def snapshot(self, snapshot_id):
        return next(item for item in self.state()['snapshots'] if item['SnapshotId'] == snapshot_id)

    def snapshot_ids(self):
        return sorted(item['SnapshotId'] for item in self.state()['snapshots'])


class SdkClient:
    """What Client needs of LighthouseClient: ``call_json(action, params)`` -> ``{'Response': {...}}``, API errors raised."""

    def __init__(self, cloud, secret_id, region):
        self.cloud = cloud
        self.secret_id = secret_id
        self.region = region

    def call_json(self, action, params, headers=None, options=None):
        answer = self.cloud.answer(action, self.region, params, self.secret_id)
        if answer is DROP:
            raise TencentCloudSDKException('ClientNetworkError', 'the connection was closed without an answer')
        error = answer['Response'].get('Error')
        if error:
            raise TencentCloudSDKException(error['Code'], error['Message'], answer['Response']['RequestId'])
        return answer
