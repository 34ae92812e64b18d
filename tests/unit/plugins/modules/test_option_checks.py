# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module checks its options before anything else: bad input fails naming itself, even without credentials."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.modules import (
    lighthouse_instance_info,
    lighthouse_instance_power,
    lighthouse_snapshot,
    lighthouse_snapshot_apply,
    lighthouse_snapshot_info,
)

CASES = [
    (lighthouse_instance_power, {'instance_ids': ['web-1'], 'state': 'stopped'}, 'InvalidParameterValue.InstanceIdMalformed', "'web-1'"),
    (lighthouse_instance_info, {'instance_ids': ['lhins-1']}, 'InvalidParameterValue.InstanceIdMalformed', "'lhins-1'"),
    (lighthouse_instance_info, {'names': ['web-1'], 'filters': {'instance-name': ['web-2']}}, 'InvalidParameter.ParameterConflict',
     'filters instance-name are already set by names'),
    (lighthouse_snapshot_info, {'snapshot_ids': ['snap-1']}, 'InvalidParameterValue.SnapshotIdMalformed', "'snap-1'"),
    (lighthouse_snapshot_info, {'instance_id': 'web-1'}, 'InvalidParameterValue.InstanceIdMalformed', "'web-1'"),
    (lighthouse_snapshot_info, {'created_before': 'yesterday'}, 'ClientError', "created_before is 'yesterday'; expected an ISO 8601 time"),
    (lighthouse_snapshot, {'state': 'absent', 'snapshot_ids': ['lhsnap-1']}, 'InvalidParameterValue.SnapshotIdMalformed', "'lhsnap-1'"),
    (lighthouse_snapshot_apply, {'instance_id': 'lhins-00000001', 'snapshot_id': 'lhsnap-1'}, 'InvalidParameterValue.SnapshotIdMalformed',
     "'lhsnap-1'"),
]


@pytest.mark.parametrize('module, args, code, fragment', CASES, ids=[
    'power-id', 'info-id', 'info-filters', 'snapshot-info-id', 'snapshot-info-instance', 'snapshot-info-cut-off', 'snapshot-id', 'apply-id'])
def test_bad_options_fail_before_the_credentials_are_looked_for(run_module, module, args, code, fragment):
    result = run_module(module.main, dict(args, region='ap-guangzhou'))
    assert (result['failed'], result['error_code']) == (True, code)
    assert fragment in result['msg']


def test_without_bad_options_the_credentials_are_what_fails(run_module):
    result = run_module(lighthouse_instance_info.main, {'instance_ids': ['lhins-00000001'], 'region': 'ap-guangzhou'})
    assert result['failed'] is True and 'credential' in result['msg'].lower()
