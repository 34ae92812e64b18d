# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the snapshot helpers of _lighthouse: ordering, lookup by name, name checks, lenient describe."""

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    SNAPSHOT,
    check_snapshot_name,
    describe,
    newest_first,
    snapshots_named,
)
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fake_cloud import FakeCloud, snapshot


def made(snapshot_id, created_time):
    return {'snapshot_id': snapshot_id, 'created_time': created_time}


def test_newest_first_sorts_by_time_then_id_descending():
    snapshots = [made('lhsnap-aaaaaaaa', '2025-01-01T00:00:00Z'), made('lhsnap-cccccccc', '2025-03-01T00:00:00Z'),
                 made('lhsnap-bbbbbbbb', '2025-03-01T00:00:00Z'), made('lhsnap-dddddddd', None)]
    assert [item['snapshot_id'] for item in newest_first(snapshots)] == ['lhsnap-cccccccc', 'lhsnap-bbbbbbbb', 'lhsnap-aaaaaaaa', 'lhsnap-dddddddd']


def test_newest_first_does_not_depend_on_the_input_order():
    snapshots = [made('lhsnap-%08d' % number, '2025-01-01T00:00:00Z') for number in range(5)]
    assert newest_first(snapshots) == newest_first(reversed(snapshots))


def test_snapshots_named_matches_exactly_on_one_disk_newest_first(clock):
    cloud = FakeCloud(clock, snapshots=[snapshot(1, name='nightly'), snapshot(2, name='Nightly'), snapshot(3, name='nightly'),
                                        snapshot(4, disk=2, name='nightly')])
    assert [item['snapshot_id'] for item in snapshots_named(cloud, 'lhdisk-00000001', 'nightly')] == ['lhsnap-00000003', 'lhsnap-00000001']
    assert cloud.calls[0][1]['Filters'] == [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']}, {'Name': 'snapshot-name', 'Values': ['nightly']}]


def test_snapshots_named_finds_none(clock):
    assert snapshots_named(FakeCloud(clock, snapshots=[snapshot(1)]), 'lhdisk-00000001', 'nightly') == []


@pytest.mark.parametrize('name', [None, 'a', 'n' * 60, 'pre-deploy 2025-01-01'])
def test_check_snapshot_name_accepts(name):
    check_snapshot_name('backup_name', name)


@pytest.mark.parametrize('name, code, message', [
    ('', 'ClientError', 'backup_name must not be empty'),
    ('n' * 61, 'InvalidParameterValue.SnapshotNameTooLong', 'backup_name is 61 characters long; snapshot names have at most 60'),
])
def test_check_snapshot_name_refuses(name, code, message):
    with pytest.raises(LighthouseError) as caught:
        check_snapshot_name('backup_name', name)
    assert (caught.value.code, caught.value.message) == (code, message)


def test_describe_missing_ok_leaves_unknown_ids_out_in_the_order_given(clock):
    cloud = FakeCloud(clock, snapshots=[snapshot(1), snapshot(2)])
    found = describe(cloud, SNAPSHOT, ['lhsnap-00000002', 'lhsnap-00000009', 'lhsnap-00000001'], missing_ok=True)
    assert [item['snapshot_id'] for item in found] == ['lhsnap-00000002', 'lhsnap-00000001']


def test_describe_without_missing_ok_still_fails_on_unknown_ids(clock):
    with pytest.raises(LighthouseError) as caught:
        describe(FakeCloud(clock, snapshots=[snapshot(1)]), SNAPSHOT, ['lhsnap-00000001', 'lhsnap-00000009'])
    assert caught.value.code == 'ResourceNotFound.SnapshotIdNotFound'
