# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every change a module makes goes through LighthouseModule.settle_and_send (docs/architecture.md): each changing
module is run through main() on paths that change things, and every call that is no Describe* is made inside it."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._client import Client
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_instance_power, lighthouse_snapshot, lighthouse_snapshot_apply
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, instance, snapshot

BACKUP = {'tencentcloud.lighthouse:backup-of': 'lhins-00000001'}


@pytest.fixture
def changes(monkeypatch):
    """[(action, made inside settle_and_send)] of every changing call the modules make."""
    made, depth = [], [0]
    settle_and_send, call = LighthouseModule.settle_and_send, Client.call

    def watched_settle_and_send(self, *args, **kwargs):
        depth[0] += 1
        try:
            return settle_and_send(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    def watched_call(self, action, params=None):
        if not action.startswith('Describe'):
            made.append((action, depth[0] > 0))
        return call(self, action, params)

    monkeypatch.setattr(LighthouseModule, 'settle_and_send', watched_settle_and_send)
    monkeypatch.setattr(Client, 'call', watched_call)
    return made


def fleet(cloud):
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1, created_time='2025-12-01T00:00:00Z'),
                                                 snapshot(2, 'old-backup', created_time='2025-12-02T00:00:00Z', tags=BACKUP)]),
               instance(2, snapshots=[snapshot(3)]), instance(3, snapshots=[snapshot(4)]), snapshot_quota_per_instance=10)


RUNS = [
    (lighthouse_instance_power, {'instance_ids': ['lhins-00000002'], 'state': 'stopped'}),
    (lighthouse_instance_power, {'instance_ids': ['lhins-00000003'], 'state': 'restarted'}),
    (lighthouse_snapshot, {'instance_id': 'lhins-00000002', 'snapshot_name': 'pre-deploy'}),
    (lighthouse_snapshot, {'state': 'absent', 'instance_id': 'lhins-00000002', 'snapshot_name': 'pre-deploy'}),
    (lighthouse_snapshot_apply, {'instance_id': 'lhins-00000001', 'snapshot_id': 'lhsnap-00000001', 'backup': True, 'keep_backups': 1}),
    (lighthouse_snapshot_apply, {'instances': [{'instance_id': 'lhins-00000002', 'snapshot_id': 'lhsnap-00000003'},
                                               {'instance_id': 'lhins-00000003', 'snapshot_id': 'lhsnap-00000004'}],
                                 'stop': True, 'start': True, 'backup': True, 'backup_name': 'before', 'max_unavailable': 1}),
]


def test_every_change_of_every_changing_module_goes_through_settle_and_send(run_module, cloud, changes):
    fleet(cloud)
    for module, args in RUNS:
        result = run_module(module.main, dict(ARGS, **args))
        assert 'failed' not in result, result['msg']
    assert {action for action, _inside in changes} == {'StopInstances', 'StartInstances', 'RebootInstances', 'CreateInstanceSnapshot',
                                                       'DeleteSnapshots', 'ApplyInstanceSnapshot'}
    assert [action for action, inside in changes if not inside] == []


def test_a_restart_after_a_failed_rollback_in_a_batch_goes_through_it_too(run_module, cloud, changes):
    fleet(cloud)
    cloud.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'async_failed'})
    result = run_module(lighthouse_snapshot_apply.main, dict(ARGS, instances=[{'instance_id': 'lhins-00000002', 'snapshot_id': 'lhsnap-00000003'}],
                                                             stop=True, start=True))
    assert result['instances'][0]['restarted'] is True
    assert [action for action, _inside in changes] == ['StopInstances', 'ApplyInstanceSnapshot', 'StartInstances']
    assert [action for action, inside in changes if not inside] == []
