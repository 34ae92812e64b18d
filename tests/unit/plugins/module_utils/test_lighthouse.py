# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError, OperationFailedError, WaitTimeoutError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    DISK,
    INSTANCE,
    SNAPSHOT,
    api_filters,
    check_ids,
    chunks,
    describe_disks,
    describe_instances,
    describe_snapshots,
    get_instance,
    get_snapshot,
    is_rollback,
    normalize,
    operation_status,
    paginate,
    settled,
    snake_case,
    snapshots_of_disk,
    wait_operation,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, FAILED, PENDING, Deadline, NoopWaiter, Waiter
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fakes import FakeApi, Timeline, instance


def snapshot(number, **fields):
    resource = {'SnapshotId': 'lhsnap-%08d' % number, 'DiskId': 'lhdisk-00000001', 'SnapshotState': 'NORMAL', 'Percent': 100}
    resource.update(fields)
    return resource


@pytest.mark.parametrize('name, expected', [
    ('InstanceId', 'instance_id'),
    ('CPU', 'cpu'),
    ('LatestOperationRequestId', 'latest_operation_request_id'),
    ('PublicIpv6Addresses', 'public_ipv6_addresses'),
    ('SupportIpv6Detail', 'support_ipv6_detail'),
    ('OsName', 'os_name'),
    ('KeyIds', 'key_ids'),
    ('DiskBackupCount', 'disk_backup_count'),
    ('Zone', 'zone'),
    ('already_snake', 'already_snake'),
])
def test_snake_case(name, expected):
    assert snake_case(name) == expected


def test_normalize_is_recursive_and_fixes_tags_and_percent():
    raw = {
        'InstanceId': 'lhins-00000001',
        'CPU': 2,
        'SystemDisk': {'DiskId': 'lhdisk-00000001', 'DiskSize': 60},
        'LoginSettings': {'KeyIds': ['lhkp-00000001']},
        'Tags': [{'Key': 'env', 'Value': 'prod'}, {'Key': 'team', 'Value': 'web'}],
        'Percent': '100',
        'LatestOperationStartedTime': None,
        'InstanceDeniedActionSet': [{'InstanceId': 'lhins-00000001', 'DeniedActions': [{'Action': 'StartInstances'}]}],
    }
    assert normalize(raw) == {
        'instance_id': 'lhins-00000001',
        'cpu': 2,
        'system_disk': {'disk_id': 'lhdisk-00000001', 'disk_size': 60},
        'login_settings': {'key_ids': ['lhkp-00000001']},
        'tags': {'env': 'prod', 'team': 'web'},
        'percent': 100,
        'latest_operation_started_time': None,
        'instance_denied_action_set': [{'instance_id': 'lhins-00000001', 'denied_actions': [{'action': 'StartInstances'}]}],
    }


@pytest.mark.parametrize('percent, expected', [(40, 40), ('40', 40), ('', ''), (None, None)])
def test_normalize_parses_percent_leniently(percent, expected):
    assert normalize({'Percent': percent}) == {'percent': expected}


@pytest.mark.parametrize('items, size, expected', [
    ([], 100, []),
    ([1, 2, 3], 2, [[1, 2], [3]]),
    (list(range(250)), 100, [list(range(100)), list(range(100, 200)), list(range(200, 250))]),
    (list(range(10)), 10, [list(range(10))]),
])
def test_chunks(items, size, expected):
    assert chunks(items, size) == expected


@pytest.mark.parametrize('kind, ids', [
    (INSTANCE, ['lhins-k31c771o', 'lhins-00000001']),
    (SNAPSHOT, ['lhsnap-nv6aqcv6']),
    (DISK, ['lhdisk-f71kc5bh']),
    (INSTANCE, []),
])
def test_check_ids_accepts_well_formed_ids(kind, ids):
    check_ids(kind, ids)


@pytest.mark.parametrize('kind, bad, code', [
    (INSTANCE, 'lhsnap-nv6aqcv6', 'InvalidParameterValue.InstanceIdMalformed'),
    (INSTANCE, 'lhins-K31C771O', 'InvalidParameterValue.InstanceIdMalformed'),
    (INSTANCE, 'lhins-123', 'InvalidParameterValue.InstanceIdMalformed'),
    (INSTANCE, ' lhins-k31c771o', 'InvalidParameterValue.InstanceIdMalformed'),
    (INSTANCE, 'lhins-k31c771o\n', 'InvalidParameterValue.InstanceIdMalformed'),
    (SNAPSHOT, 'snapshot-1', 'InvalidParameterValue.SnapshotIdMalformed'),
    (DISK, '', 'InvalidParameterValue.InvalidDiskIdMalformed'),
])
def test_check_ids_names_the_malformed_ones(kind, bad, code):
    with pytest.raises(LighthouseError) as caught:
        check_ids(kind, ['%s-00000001' % kind.prefix, bad])
    assert caught.value.code == code
    assert caught.value.message.startswith('malformed %s id(s): %r ' % (kind.noun, bad))


def test_api_filters_builds_the_api_shape():
    assert api_filters({'zone': 'ap-guangzhou-3', 'instance-state': ['RUNNING', 'STOPPED'], 'tag:size': 3}) == [
        {'Name': 'zone', 'Values': ['ap-guangzhou-3']},
        {'Name': 'instance-state', 'Values': ['RUNNING', 'STOPPED']},
        {'Name': 'tag:size', 'Values': ['3']},
    ]


@pytest.mark.parametrize('filters, max_values, fragment', [
    (dict(('tag:k%d' % number, 'v') for number in range(11)), 100, 'at most 10 filters'),
    ({'snapshot-name': ['a', 'b', 'c', 'd', 'e', 'f']}, 5, 'filter snapshot-name allows at most 5 values, got 6'),
    ({'instance-name': ['n%d' % number for number in range(101)]}, 100, 'at most 100 values'),
])
def test_api_filters_enforces_the_limits_locally(filters, max_values, fragment):
    with pytest.raises(LighthouseError) as caught:
        api_filters(filters, max_values)
    assert caught.value.code == 'InvalidParameter.FilterValueLimitExceeded'
    assert fragment in caught.value.message


def test_paginate_reads_every_page():
    api = FakeApi(InstanceSet=[instance(number) for number in range(1, 206)])
    items = paginate(api, 'DescribeInstances', 'InstanceSet', {})
    assert [item['InstanceId'] for item in items] == ['lhins-%08d' % number for number in range(1, 206)]
    assert [(params['Offset'], params['Limit']) for _action, params in api.calls] == [(0, 100), (100, 100), (200, 100)]


def test_paginate_stops_on_an_empty_page_even_if_the_total_is_wrong():
    class Liar(FakeApi):
        def call(self, action, params=None):
            return dict(super().call(action, params), TotalCount=1000)

    api = Liar(InstanceSet=[instance(1)])
    assert len(paginate(api, 'DescribeInstances', 'InstanceSet', {})) == 1
    assert len(api.calls) == 2


def test_describe_all_normalizes():
    api = FakeApi(InstanceSet=[instance(1)])
    found = describe_instances(api)
    assert found[0]['instance_id'] == 'lhins-00000001'
    assert found[0]['system_disk']['disk_id'] == 'lhdisk-00000001'
    assert found[0]['tags'] == {'env': 'test'}
    assert api.calls == [('DescribeInstances', {'Offset': 0, 'Limit': 100})]


def test_describe_by_ids_batches_deduplicates_and_keeps_the_order():
    api = FakeApi(InstanceSet=[instance(number) for number in range(1, 151)])
    wanted = ['lhins-%08d' % number for number in range(150, 0, -1)] + ['lhins-00000150']
    found = describe_instances(api, wanted)
    assert [item['instance_id'] for item in found] == wanted[:150]
    assert [len(params['InstanceIds']) for _action, params in api.calls] == [100, 50]


def test_describe_by_unknown_id_fails_naming_the_ids_and_region():
    api = FakeApi(InstanceSet=[instance(1)])
    with pytest.raises(LighthouseError) as caught:
        describe_instances(api, ['lhins-00000001', 'lhins-00000002', 'lhins-00000003'])
    assert caught.value.code == 'ResourceNotFound.InstanceIdNotFound'
    assert caught.value.message == 'instance lhins-00000002, lhins-00000003 not found in region ap-guangzhou'


def test_describe_checks_ids_before_any_call():
    api = FakeApi()
    with pytest.raises(LighthouseError):
        describe_snapshots(api, ['lhsnap-nv6aqcv6', 'not-an-id'])
    assert api.calls == []


def test_describe_by_filters_sends_them():
    api = FakeApi(DiskSet=[{'DiskId': 'lhdisk-00000001'}])
    assert describe_disks(api, filters={'disk-usage': 'SYSTEM_DISK'}) == [{'disk_id': 'lhdisk-00000001'}]
    assert api.calls[0][1]['Filters'] == [{'Name': 'disk-usage', 'Values': ['SYSTEM_DISK']}]


def test_describe_refuses_ids_with_filters():
    api = FakeApi()
    with pytest.raises(LighthouseError) as caught:
        describe_instances(api, ['lhins-00000001'], {'zone': 'ap-guangzhou-3'})
    assert caught.value.code == 'InvalidParameter.ParameterConflict'
    assert api.calls == []


def test_empty_id_list_asks_for_nothing():
    api = FakeApi(InstanceSet=[instance(1)])
    assert describe_instances(api, []) == []
    assert api.calls == []


def test_get_instance_and_snapshot():
    api = FakeApi(InstanceSet=[instance(1), instance(2)], SnapshotSet=[snapshot(7, Percent='55')])
    assert get_instance(api, 'lhins-00000002')['instance_name'] == 'lh-0002'
    assert get_snapshot(api, 'lhsnap-00000007')['percent'] == 55
    with pytest.raises(LighthouseError) as caught:
        get_snapshot(api, 'lhsnap-00000008')
    assert caught.value.code == 'ResourceNotFound.SnapshotIdNotFound'


def test_snapshots_of_disk_filters_by_disk():
    api = FakeApi(SnapshotSet=[snapshot(1)])
    assert [item['snapshot_id'] for item in snapshots_of_disk(api, 'lhdisk-00000001')] == ['lhsnap-00000001']
    assert api.calls[0] == ('DescribeSnapshots', {'Filters': [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']}], 'Offset': 0, 'Limit': 100})


@pytest.mark.parametrize('name, expected', [
    ('ApplyInstanceSnapshot', True), ('RollbackInstanceSnapshot', True), ('CreateInstanceSnapshot', False), (None, False),
])
def test_is_rollback_accepts_either_name(name, expected):
    assert is_rollback(name) is expected


@pytest.mark.parametrize('request_id, state, expected', [
    ('req-ours', 'SUCCESS', DONE),
    ('req-ours', 'FAILED', FAILED),
    ('req-ours', 'OPERATING', PENDING),
    ('req-ours', '', PENDING),
    ('req-older', 'SUCCESS', PENDING),   # an older SUCCESS is never ours
    ('req-older', 'FAILED', PENDING),
    (None, 'SUCCESS', PENDING),
])
def test_operation_status_matches_by_request_id(request_id, state, expected):
    resource = {'latest_operation_request_id': request_id, 'latest_operation_state': state}
    assert operation_status(resource, 'req-ours') == expected


@pytest.mark.parametrize('resource, expected', [
    ({'instance_state': 'STOPPED', 'latest_operation_state': 'SUCCESS'}, True),
    ({'instance_state': 'RUNNING', 'latest_operation_state': 'FAILED'}, True),
    ({'instance_state': 'RUNNING', 'latest_operation_state': None}, True),
    ({'instance_state': 'SHUTDOWN', 'latest_operation_state': 'SUCCESS'}, True),
    ({'instance_state': 'RUNNING', 'latest_operation_state': 'OPERATING'}, False),
    ({'instance_state': 'STOPPING', 'latest_operation_state': 'OPERATING'}, False),
    ({'instance_state': 'STARTING', 'latest_operation_state': 'SUCCESS'}, False),
    ({'instance_state': 'PENDING', 'latest_operation_state': None}, False),
    ({'snapshot_state': 'NORMAL', 'latest_operation_state': 'SUCCESS'}, True),
    ({'snapshot_state': 'ROLLBACKING', 'latest_operation_state': 'SUCCESS'}, False),
    ({'snapshot_state': 'CREATING', 'latest_operation_state': 'OPERATING'}, False),
])
def test_settled(resource, expected):
    assert settled(resource) is expected


OLDER = snapshot(1, LatestOperation='CreateInstanceSnapshot', LatestOperationState='SUCCESS', LatestOperationRequestId='req-older')
ROLLING = snapshot(1, SnapshotState='ROLLBACKING', Percent=50, LatestOperation='RollbackInstanceSnapshot',
                   LatestOperationState='OPERATING', LatestOperationRequestId='req-ours')
ROLLED = dict(ROLLING, SnapshotState='NORMAL', Percent=100, LatestOperationState='SUCCESS')
ROLL_FAILED = dict(ROLLING, SnapshotState='NORMAL', LatestOperationState='FAILED')


def test_wait_operation_ignores_an_older_success_and_returns_ours(clock):
    api = Timeline({'SnapshotSet': [OLDER]}, {'SnapshotSet': [ROLLING]}, {'SnapshotSet': [ROLLED]})
    found = wait_operation(api, SNAPSHOT, 'lhsnap-00000001', 'req-ours', Deadline(60, clock), Waiter(sleep=clock.sleep))
    assert (found['latest_operation_state'], found['latest_operation_request_id'], found['percent']) == ('SUCCESS', 'req-ours', 100)
    assert len(api.calls) == 3
    assert clock.sleeps == [0.25, 0.375]


def test_wait_operation_fails_fast_on_failed(clock):
    api = Timeline({'SnapshotSet': [ROLLING]}, {'SnapshotSet': [ROLL_FAILED]})
    with pytest.raises(OperationFailedError) as caught:
        wait_operation(api, SNAPSHOT, 'lhsnap-00000001', 'req-ours', Deadline(1200, clock), Waiter(sleep=clock.sleep),
                       what='rollback of lhins-00000001 to lhsnap-00000001')
    assert clock.now - 100 < 1
    assert caught.value.request_id == 'req-ours'
    assert caught.value.message.startswith('rollback of lhins-00000001 to lhsnap-00000001 failed: snapshot_state=NORMAL, ')


def test_wait_operation_times_out_naming_the_operation_and_what_it_saw(clock):
    api = Timeline({'SnapshotSet': [OLDER]})
    with pytest.raises(WaitTimeoutError) as caught:
        wait_operation(api, SNAPSHOT, 'lhsnap-00000001', 'req-ours', Deadline(5, clock), Waiter(sleep=clock.sleep))
    assert caught.value.message.startswith('timed out after 5s waiting for operation req-ours on snapshot lhsnap-00000001; last seen: ')
    assert 'latest_operation_request_id=req-older' in caught.value.message


def test_wait_operation_with_the_noop_waiter_asks_nothing(clock):
    api = Timeline({'SnapshotSet': [OLDER]})
    assert wait_operation(api, SNAPSHOT, 'lhsnap-00000001', 'req-ours', Deadline(5, clock), NoopWaiter()) is None
    assert api.calls == []
