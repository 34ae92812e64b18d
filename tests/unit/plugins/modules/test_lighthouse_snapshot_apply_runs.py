# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lighthouse_snapshot_apply as Ansible runs it: main() with module arguments, against the emulator."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot_apply as module
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import instance, snapshot

ARGS = {'secret_id': 'AKIDUNITTEST', 'secret_key': 'unit-test-secret-key', 'region': 'ap-guangzhou'}


@pytest.fixture
def fleet(cloud):
    """lhins-00000001 STOPPED and lhins-00000002 RUNNING, each with its snapshot 'baseline'; operations end at once, so no wait sleeps."""
    cloud.seed(instance(1, 'STOPPED', snapshots=[snapshot(1)]), instance(2, snapshots=[snapshot(2)]))
    cloud.settings.update({'durations': dict.fromkeys(cloud.settings['durations'], 0)})
    return cloud


@pytest.mark.parametrize('args, fragment', [
    ({'snapshot_name': 'baseline'}, 'parameters are mutually exclusive: snapshot_id|snapshot_name'),
    ({'snapshot_id': None}, 'one of the following is required: snapshot_id, snapshot_name'),
    ({'wait_timeout': 0}, 'wait_timeout must be a positive number of seconds'),
    ({'wait_timeout': 'soon'}, "argument 'wait_timeout' is of type"),
    ({'force': 'maybe'}, "argument 'force' is of type"),
    ({'instance_id': 'web-1'}, "malformed instance id(s): 'web-1'"),
    ({'backup_name': 'x'}, 'backup_name is only used with backup: true'),
])
def test_bad_arguments_fail_before_any_call(run_module, fleet, args, fragment):
    arguments = dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001')
    arguments.update(args)
    result = run_module(module.main, dict((key, value) for key, value in arguments.items() if value is not None))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert fleet.calls() == []


def test_main_rolls_back_and_reports(run_module, fleet, clock):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000001', _ansible_diff=True))
    assert result['changed'] is True
    assert result['request_id'] == fleet.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    assert result['snapshot']['latest_operation_state'] == 'SUCCESS'
    assert result['backup_snapshot_id'] is None
    assert result['diff']['after']['snapshot_id'] == 'lhsnap-00000001'
    assert isinstance(result['elapsed'], float)
    assert clock.sleeps == []


def test_main_check_mode_sends_nothing(run_module, fleet):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000002', snapshot_name='baseline', force=True,
                                          _ansible_check_mode=True))
    assert result['changed'] is True
    assert result['request_id'] is None
    assert fleet.mutations() == []


def test_main_refusal_reports_the_ids_and_code(run_module, fleet):
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_id='lhsnap-00000002'))
    assert result['failed'] is True
    assert result['msg'].startswith('Failed to roll back instance lhins-00000001 to snapshot lhsnap-00000002: snapshot lhsnap-00000002 '
                                    'was taken of the system disk lhdisk-00000002, not of the system disk lhdisk-00000001')
    assert result['error_code'] == 'ResourceNotFound.SnapshotNotFound'
    assert (result['instance_id'], result['snapshot_id'], result['request_id']) == ('lhins-00000001', 'lhsnap-00000002', None)
    assert fleet.mutations() == []


def test_main_failed_rollback_reports_its_request_id(run_module, fleet):
    fleet.faults.add({'action': 'ApplyInstanceSnapshot', 'kind': 'async_failed'})
    result = run_module(module.main, dict(ARGS, instance_id='lhins-00000001', snapshot_name='baseline'))
    assert result['failed'] is True
    assert result['changed'] is True
    assert result['error_code'] == 'OperationFailed'
    assert result['request_id'] == fleet.snapshot('lhsnap-00000001')['LatestOperationRequestId']
    assert result['snapshot_name'] == 'baseline'
    assert "Failed to roll back instance lhins-00000001 to snapshot 'baseline': the rollback of" in result['msg']


def test_bad_options_are_reported_before_credentials_or_region_are_looked_for(run_module):
    # No region, no keys, and no emulated cloud: building the client would fail with a ClientError.
    result = run_module(module.main, {'instance_id': 'web-1', 'snapshot_name': 'baseline'})
    assert result['error_code'] == 'InvalidParameterValue.InstanceIdMalformed'
