# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_snapshot_info
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, instance, snapshot


def listed(run_module, **args):
    result = run_module(lighthouse_snapshot_info.main, dict(ARGS, **args))
    return [item['snapshot_id'] for item in result['snapshots']]


def sid(*numbers):
    return ['lhsnap-%08d' % number for number in numbers]


def taken(number, name, **spec):
    """Snapshot n, taken n minutes into 2025: the higher the number, the newer."""
    return snapshot(number, name=name, created_time='2025-01-01T00:%02d:00Z' % number, **spec)


@pytest.fixture
def region(cloud):
    """Two instances; web-1 has snapshots 1-7 (7 is a data disk's), web-2 has 8 and 9 (9 still being created)."""
    cloud.seed(instance(1, snapshots=[taken(number, 'weekly-%d' % number) for number in range(1, 7)],
                        data_disks=[{'disk_id': 'lhdisk-data0001', 'snapshots': [taken(7, 'weekly-1')]}]),
               instance(2, snapshots=[taken(8, 'weekly-1'), taken(9, 'busy', state='CREATING')]))
    return cloud


@pytest.mark.parametrize('args, expected', [
    ({}, sid(9, 8, 7, 6, 5, 4, 3, 2, 1)),
    ({'instance_id': 'lhins-00000001'}, sid(6, 5, 4, 3, 2, 1)),
    ({'names': ['weekly-1']}, sid(8, 7, 1)),
    ({'names': ['weekly-1'], 'instance_id': 'lhins-00000002'}, sid(8)),
    ({'states': ['CREATING', 'ROLLBACKING']}, sid(9)),
    ({'instance_id': 'lhins-00000002', 'states': ['NORMAL']}, sid(8)),
    ({'snapshot_ids': sid(1, 9, 4, 1), 'states': ['NORMAL']}, sid(4, 1)),
    ({'names': ['no-such-name']}, []),
    # Snapshot n is taken at 00:0n UTC; 08:04 in UTC+8 is 00:04 UTC, so 1-3 are before it.
    ({'created_before': '2025-01-01T08:04:00+08:00'}, sid(3, 2, 1)),
    ({'created_before': '2025-01-01T00:04:00Z', 'instance_id': 'lhins-00000001', 'name_pattern': 'weekly-[13]'}, sid(3, 1)),
    ({'name_pattern': 'w*-1'}, sid(8, 7, 1)),
])
def test_selects_newest_first(run_module, region, args, expected):
    assert listed(run_module, **args) == expected


def test_an_instance_means_the_snapshots_of_its_system_disk(run_module, region):
    listed(run_module, instance_id='lhins-00000001')
    assert region.calls()[1] == ('DescribeSnapshots', {'Filters': [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']}], 'Offset': 0, 'Limit': 100})


def test_names_are_asked_for_five_at_a_time(run_module, region):
    names = ['weekly-%d' % number for number in range(1, 8)]
    assert listed(run_module, names=names, instance_id='lhins-00000001') == sid(6, 5, 4, 3, 2, 1)
    filters = [params['Filters'] for action, params in region.calls() if action == 'DescribeSnapshots']
    assert filters == [[{'Name': 'disk-id', 'Values': ['lhdisk-00000001']}, {'Name': 'snapshot-name', 'Values': names[:5]}],
                       [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']}, {'Name': 'snapshot-name', 'Values': names[5:]}]]


def test_names_match_exactly_even_if_the_api_filter_does_not(run_module, cloud):
    # An API whose name filter matches every name containing the value answers with all three.
    cloud.seed(instance(1, snapshots=[taken(1, 'weekly-2'), taken(2, 'weekly-20'), taken(3, 'old-weekly-2')]), behaviour={'name_filter': 'substring'})
    answer = cloud.elsewhere('DescribeSnapshots', {'Filters': [{'Name': 'snapshot-name', 'Values': ['weekly-2']}]})
    assert answer['TotalCount'] == 3
    assert listed(run_module, names=['weekly-2'], instance_id='lhins-00000001') == sid(1)


def test_check_mode_lists_the_same(run_module, region):
    assert listed(run_module, _ansible_check_mode=True) == listed(run_module)


@pytest.mark.parametrize('args, fragment', [
    ({'snapshot_ids': sid(1), 'instance_id': 'lhins-00000001'}, 'parameters are mutually exclusive: snapshot_ids|instance_id'),
    ({'snapshot_ids': sid(1), 'names': ['weekly-1']}, 'parameters are mutually exclusive: snapshot_ids|names'),
    ({'instance_id': 'lhins-1'}, "Failed to describe snapshots: malformed instance id(s): 'lhins-1'"),
    ({'snapshot_ids': ['snap-1']}, "Failed to describe snapshots: malformed snapshot id(s): 'snap-1'"),
    ({'states': ['normal']}, 'value of states must be one or more of: NORMAL, CREATING, ROLLBACKING'),
    ({'created_before': '2025-01-01 00:04'}, "Failed to describe snapshots: created_before is '2025-01-01 00:04'; expected an ISO 8601 time"),
])
def test_bad_input_fails_before_any_call(run_module, region, args, fragment):
    result = run_module(lighthouse_snapshot_info.main, dict(ARGS, **args))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert region.calls() == []


def test_unknown_ids_fail_naming_them(run_module, region):
    result = run_module(lighthouse_snapshot_info.main, dict(ARGS, snapshot_ids=sid(1, 99)))
    assert result['error_code'] == 'ResourceNotFound.SnapshotIdNotFound'
    assert result['msg'] == 'Failed to describe snapshots: snapshot lhsnap-00000099 not found in region ap-guangzhou'
    assert result['snapshot_ids'] == sid(1, 99)
