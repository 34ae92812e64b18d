# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    INSTANCE,
    SNAPSHOT,
    api_filters,
    check_ids,
    chunks,
    describe,
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
    state_of,
    states_of,
    unavailable,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, FAILED, PENDING
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import instance, snapshot
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fakes import Scripted


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
        'Tags': [{'Key': 'env', 'Value': 'prod'}, {'Key': 'CostCenter', 'Value': 'R&D'}, {'Key': 'app:Role', 'Value': 'web'}],
        'Percent': '100',
        'LatestOperationStartedTime': None,
        'InstanceDeniedActionSet': [{'InstanceId': 'lhins-00000001', 'DeniedActions': [{'Action': 'StartInstances'}]}],
    }
    assert normalize(raw) == {
        'instance_id': 'lhins-00000001',
        'cpu': 2,
        'system_disk': {'disk_id': 'lhdisk-00000001', 'disk_size': 60},
        'login_settings': {'key_ids': ['lhkp-00000001']},
        'tags': {'env': 'prod', 'CostCenter': 'R&D', 'app:Role': 'web'},
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
    (SNAPSHOT, '', 'InvalidParameterValue.SnapshotIdMalformed'),
])
def test_check_ids_names_the_malformed_ones(kind, bad, code):
    with pytest.raises(LighthouseError) as caught:
        check_ids(kind, ['%s-00000001' % kind.prefix, bad])
    assert caught.value.code == code
    assert caught.value.message.startswith('malformed %s id(s): %r ' % (kind.noun, bad))


def test_a_long_malformed_id_is_cut_in_the_message():
    with pytest.raises(LighthouseError) as caught:
        check_ids(INSTANCE, ['lhins-' + 'a' * 100000])
    assert len(caught.value.message) < 200
    assert '(100008 characters)' in caught.value.message


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


def test_paginate_reads_every_page(cloud, client):
    cloud.seed(*[instance(number) for number in range(1, 206)])
    items = paginate(client, 'DescribeInstances', 'InstanceSet', {})
    assert [item['InstanceId'] for item in items] == ['lhins-%08d' % number for number in range(1, 206)]
    assert [(params['Offset'], params['Limit']) for _action, params in cloud.calls()] == [(0, 100), (100, 100), (200, 100)]


def test_paginate_stops_on_an_empty_page_even_if_the_total_is_wrong():
    class Liar:
        """A client whose answers claim 1000 instances but list one."""
        pages = Scripted({'InstanceSet': [{'InstanceId': 'lhins-00000001'}], 'TotalCount': 1000}, {'InstanceSet': [], 'TotalCount': 1000})

        def call(self, action, params):
            return self.pages()

    liar = Liar()
    assert len(paginate(liar, 'DescribeInstances', 'InstanceSet', {})) == 1
    assert liar.pages.calls == 2


def test_describe_all_normalizes(cloud, client):
    cloud.seed(instance(1, tags={'env': 'test'}))
    found = describe_instances(client)
    assert found[0]['instance_id'] == 'lhins-00000001'
    assert found[0]['system_disk']['disk_id'] == 'lhdisk-00000001'
    assert found[0]['tags'] == {'env': 'test'}
    assert cloud.calls() == [('DescribeInstances', {'Offset': 0, 'Limit': 100})]


def test_describe_by_ids_batches_deduplicates_and_keeps_the_order(cloud, client):
    cloud.seed(*[instance(number) for number in range(1, 151)])
    wanted = ['lhins-%08d' % number for number in range(150, 0, -1)] + ['lhins-00000150']
    found = describe_instances(client, wanted)
    assert [item['instance_id'] for item in found] == wanted[:150]
    assert [len(params['InstanceIds']) for _action, params in cloud.calls()] == [100, 50]


def test_describe_by_unknown_id_fails_naming_the_ids_and_region(cloud, client):
    cloud.seed(instance(1))
    with pytest.raises(LighthouseError) as caught:
        describe(client, INSTANCE, ['lhins-00000001', 'lhins-00000002', 'lhins-00000003'], missing_ok=False)
    assert caught.value.code == 'ResourceNotFound.InstanceIdNotFound'
    assert 'lhins-00000002' in caught.value.message


def test_describe_checks_ids_before_any_call(cloud, client):
    with pytest.raises(LighthouseError):
        describe_snapshots(client, ['lhsnap-nv6aqcv6', 'not-an-id'])
    assert cloud.calls() == []


def test_describe_by_filters_sends_them(cloud, client):
    cloud.seed(instance(1, snapshots=[snapshot(1)]), instance(2, snapshots=[snapshot(2)]))
    assert [item['snapshot_id'] for item in describe_snapshots(client, filters={'disk-id': 'lhdisk-00000002'})] == ['lhsnap-00000002']
    assert cloud.calls()[0][1]['Filters'] == [{'Name': 'disk-id', 'Values': ['lhdisk-00000002']}]


def test_describe_refuses_ids_with_filters(cloud, client):
    with pytest.raises(LighthouseError) as caught:
        describe_instances(client, ['lhins-00000001'], {'zone': 'ap-guangzhou-3'})
    assert caught.value.code == 'InvalidParameter.ParameterConflict'
    assert cloud.calls() == []


def test_empty_id_list_asks_for_nothing(cloud, client):
    cloud.seed(instance(1))
    assert describe_instances(client, []) == []
    assert cloud.calls() == []


def test_get_instance_and_snapshot(cloud, client):
    cloud.seed(instance(1), instance(2, snapshots=[snapshot(7)]))
    assert get_instance(client, 'lhins-00000002')['instance_name'] == 'web-2'
    assert get_snapshot(client, 'lhsnap-00000007')['percent'] == 100
    with pytest.raises(LighthouseError) as caught:
        get_snapshot(client, 'lhsnap-00000008')
    assert caught.value.code == 'ResourceNotFound.SnapshotIdNotFound'


def test_snapshots_of_disk_filters_by_disk(cloud, client):
    cloud.seed(instance(1, snapshots=[snapshot(1)]), instance(2, snapshots=[snapshot(2)]))
    assert [item['snapshot_id'] for item in snapshots_of_disk(client, 'lhdisk-00000001')] == ['lhsnap-00000001']
    assert cloud.calls()[0] == ('DescribeSnapshots', {'Filters': [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']}], 'Offset': 0, 'Limit': 100})


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


@pytest.mark.parametrize('resource, text', [
    ({'snapshot_id': 'lhsnap-aaaaaaaa', 'disk_id': 'lhdisk-aaaaaaaa', 'snapshot_state': 'ROLLBACKING', 'percent': 40, 'snapshot_name': 'x'},
     'snapshot lhsnap-aaaaaaaa: snapshot_state=ROLLBACKING, percent=40'),
    ({'instance_id': 'lhins-aaaaaaaa', 'instance_state': 'STOPPED', 'latest_operation': 'StopInstances', 'latest_operation_state': 'SUCCESS',
      'latest_operation_request_id': 'req-1', 'cpu': 2},
     'instance lhins-aaaaaaaa: instance_state=STOPPED, latest_operation=StopInstances, latest_operation_state=SUCCESS, latest_operation_request_id=req-1'),
    ({'disk_id': 'lhdisk-aaaaaaaa', 'disk_state': 'ATTACHED'}, 'disk lhdisk-aaaaaaaa: disk_state=ATTACHED'),
    ({'snapshot_id': 'lhsnap-aaaaaaaa', 'snapshot_state': 'not listed yet'}, 'snapshot lhsnap-aaaaaaaa: snapshot_state=not listed yet'),
])
def test_state_of_names_the_resource_then_its_state_and_latest_operation(resource, text):
    assert state_of(resource) == text


def test_states_of_joins_them():
    assert states_of([{'instance_id': 'lhins-aaaaaaaa'}, {'snapshot_id': 'lhsnap-aaaaaaaa'}]) == 'instance lhins-aaaaaaaa: ; snapshot lhsnap-aaaaaaaa: '


# ---- unavailable: the disruption budget

def described(instance_id, state):
    return {'instance_id': instance_id, 'instance_state': state}


@pytest.mark.parametrize('instances, max_unavailable, expected', [
    ([described('lhins-1', 'RUNNING'), described('lhins-2', 'RUNNING')], 1, []),
    ([described('lhins-1', 'STOPPING'), described('lhins-2', 'RUNNING')], 1, []),  # the batch's own instance
    ([described('lhins-1', 'STOPPED'), described('lhins-2', 'STOPPED')], 1, ['lhins-2']),
    ([described('lhins-2', 'STOPPED'), described('lhins-3', 'RUNNING'), described('lhins-2', 'STOPPED')], 2, []),  # counted once
    ([described('lhins-2', 'STOPPED'), described('lhins-2', 'STOPPED')], 1, ['lhins-2']),  # listed once
    ([described('lhins-2', 'STOPPED'), described('lhins-3', 'STARTING')], 2, ['lhins-2', 'lhins-3']),
    ([described('lhins-2', 'STOPPED'), described('lhins-3', 'STARTING')], '3', []),
    ([{'instance_id': 'lhins-2'}], 1, ['lhins-2']),  # no state is not RUNNING
    ([], 1, []),
    ([described('lhins-12', 'STOPPED')], 1, ['lhins-12']),  # an id that merely contains a batch's id is no member of it
])
def test_unavailable_counts_the_batch_as_one(instances, max_unavailable, expected):
    assert [item['instance_id'] for item in unavailable(instances, ['lhins-1'], max_unavailable)] == expected


def test_unavailable_lets_the_whole_batch_be_down():
    batch_down = [described('lhins-1', 'STOPPED'), described('lhins-2', 'STOPPING'), described('lhins-9', 'STOPPED')]
    assert [item['instance_id'] for item in unavailable(batch_down, ['lhins-1', 'lhins-2'], 1)] == ['lhins-9']
    assert unavailable(batch_down, ['lhins-1', 'lhins-2'], 2) == []
