"""The Describe* actions: seeded data, pagination, ordering, filters, ID and parameter rules, regions."""

import re

import pytest

from tencentcloud.lighthouse.v20200324 import models

ID = re.compile(r'^(lhins|lhdisk|lhsnap)-[a-z0-9]{8}$')
ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')


def test_seeded_instances_through_the_sdk_models(emu):
    answer = emu.client().DescribeInstances(models.DescribeInstancesRequest())
    assert answer.TotalCount == 3
    assert [i.InstanceName for i in answer.InstanceSet] == ['lh-0001', 'lh-0002', 'lh-0003']
    for instance in answer.InstanceSet:
        assert instance.InstanceState == 'RUNNING'
        assert ID.match(instance.InstanceId) and ID.match(instance.SystemDisk.DiskId)
        assert instance.Zone == 'ap-guangzhou-3'
        assert ISO.match(instance.CreatedTime) and ISO.match(instance.LatestOperationStartedTime)
        assert instance.LatestOperationState == 'SUCCESS'
    assert len({i.Uuid for i in answer.InstanceSet}) == 3


def test_seeded_snapshots_and_disks(emu, seeded):
    instances = seeded.instances
    snapshots = emu.client().DescribeSnapshots(models.DescribeSnapshotsRequest())
    assert snapshots.TotalCount == 3
    disk_ids = [instances[name]['SystemDisk']['DiskId'] for name in ('lh-0001', 'lh-0002', 'lh-0003')]
    assert [s.DiskId for s in snapshots.SnapshotSet] == disk_ids  # newest first
    for snapshot in snapshots.SnapshotSet:
        assert (snapshot.SnapshotName, snapshot.SnapshotState, snapshot.DiskUsage, snapshot.Percent) == ('baseline', 'NORMAL', 'SYSTEM_DISK', 100)
        assert ID.match(snapshot.SnapshotId)
    disks = emu.call('DescribeDisks')
    assert disks['TotalCount'] == 3
    assert {d['DiskId'] for d in disks['DiskSet']} == set(disk_ids)
    assert all(d['DiskUsage'] == 'SYSTEM_DISK' and d['DiskState'] == 'ATTACHED' for d in disks['DiskSet'])


def test_seeded_ids_are_deterministic(emu):
    first = emu.state()
    emu.reset()
    second = emu.state()
    assert [i['InstanceId'] for i in first['instances']] == [i['InstanceId'] for i in second['instances']]
    assert [s['SnapshotId'] for s in first['snapshots']] == [s['SnapshotId'] for s in second['snapshots']]


def test_pagination(emu):
    emu.reset(instances=25)
    default = emu.call('DescribeInstances')
    assert (default['TotalCount'], len(default['InstanceSet'])) == (25, 20)
    page = emu.call('DescribeInstances', {'Offset': 20, 'Limit': 10})
    assert [i['InstanceName'] for i in page['InstanceSet']] == ['lh-%04d' % n for n in range(21, 26)]
    assert emu.call('DescribeInstances', {'Offset': 30})['InstanceSet'] == []
    assert len(emu.call('DescribeInstances', {'Limit': 100})['InstanceSet']) == 25


def test_default_order_puts_shutdown_instances_first(emu):
    emu.reset(fleet={'instances': [{'name': 'new'}, {'name': 'reclaimed', 'state': 'SHUTDOWN'}, {'name': 'old'}]})
    assert [i['InstanceName'] for i in emu.call('DescribeInstances')['InstanceSet']] == ['reclaimed', 'new', 'old']


def test_order_by_expired_time(emu):
    def names(order):
        return [i['InstanceName'] for i in emu.call('DescribeInstances', {'OrderField': 'EXPIRED_TIME', 'Order': order})['InstanceSet']]

    assert names('ASC') == ['lh-0003', 'lh-0002', 'lh-0001']
    assert names('DESC') == ['lh-0001', 'lh-0002', 'lh-0003']


def test_describe_disks_order(emu):
    emu.reset(fleet={'instances': [{'system_disk': {'size': 60}}, {'system_disk': {'size': 50}}, {}]})
    sizes = [d['DiskSize'] for d in emu.call('DescribeDisks', {'OrderField': 'DISK_SIZE', 'Order': 'ASC'})['DiskSet']]
    assert sizes == [40, 50, 60]


@pytest.mark.parametrize('params, code', [
    ({'Limit': 101}, 'InvalidParameterValue.OutOfRange'),
    ({'Limit': 0}, 'InvalidParameterValue.OutOfRange'),
    ({'Limit': -1}, 'InvalidParameterValue.Negative'),
    ({'Offset': -1}, 'InvalidParameterValue.Negative'),
    ({'Limit': '5'}, 'InvalidParameter'),
    ({'InstanceIds': 'lhins-aaaaaaaa'}, 'InvalidParameter'),
    ({'Bogus': 1}, 'UnknownParameter'),
    ({'Order': 'DESC'}, 'MissingParameter.OrderFieldRequired'),
    ({'OrderField': 'CREATED_TIME'}, 'InvalidParameterValue'),
    ({'OrderField': 'EXPIRED_TIME', 'Order': 'UP'}, 'InvalidParameterValue'),
    ({'InstanceIds': ['lhins-aaaaaaaa'], 'Filters': [{'Name': 'zone', 'Values': ['x']}]}, 'InvalidParameter.ParameterConflict'),
    ({'InstanceIds': ['lhins-aaaaaaaa', 'lhins-aaaaaaaa']}, 'InvalidParameterValue.Duplicated'),
    ({'InstanceIds': ['lhins-AAAAAAAA']}, 'InvalidParameterValue.InstanceIdMalformed'),
    ({'InstanceIds': ['ins-abcdefgh']}, 'InvalidParameterValue.InstanceIdMalformed'),
    ({'InstanceIds': ['lhins-aaaaaaaa']}, 'ResourceNotFound.InstanceIdNotFound'),
    ({'InstanceIds': ['lhins-%08d' % n for n in range(101)]}, 'InvalidParameterValue.LimitExceeded'),
    ({'Filters': [{'Name': 'zone', 'Values': ['x']}] * 11}, 'InvalidParameterValue.LimitExceeded'),
    ({'Filters': {'Name': 'zone'}}, 'InvalidParameter.InvalidFilter'),
    ({'Filters': ['zone']}, 'InvalidParameter.InvalidFilterNotDict'),
    ({'Filters': [{'Name': 'zone', 'Values': ['x'], 'Extra': 1}]}, 'InvalidParameter.InvalidFilterInvalidKey'),
    ({'Filters': [{'Name': 5, 'Values': ['x']}]}, 'InvalidParameter.InvalidFilterInvalidNameNotStr'),
    ({'Filters': [{'Name': 'zone', 'Values': 'x'}]}, 'InvalidParameter.InvalidFilterInvalidValuesNotList'),
    ({'Filters': [{'Name': 'snapshot-name', 'Values': ['x']}]}, 'InvalidParameter.InvalidFilterNotSupportedName'),
    ({'Filters': [{'Name': 'zone', 'Values': ['x'] * 101}]}, 'InvalidParameter.FilterValueLimitExceeded'),
    ({'Filters': [{'Name': 'public-ip-address', 'Values': ['not-an-ip']}]}, 'InvalidParameterValue.InvalidIpFormat'),
])
def test_describe_instances_parameter_errors(error_of, params, code):
    assert error_of('DescribeInstances', params) == code


@pytest.mark.parametrize('params, code', [
    ({'Filters': [{'Name': 'snapshot-name', 'Values': ['a'] * 6}]}, 'InvalidParameter.FilterValueLimitExceeded'),
    ({'Filters': [{'Name': 'instance-id', 'Values': ['nope']}]}, 'InvalidParameterValue.InstanceIdMalformed'),
    ({'Filters': [{'Name': 'disk-id', 'Values': ['nope']}]}, 'InvalidParameterValue.InvalidDiskIdMalformed'),
    ({'Filters': [{'Name': 'snapshot-id', 'Values': ['nope']}]}, 'InvalidParameterValue.SnapshotIdMalformed'),
    ({'SnapshotIds': ['lhsnap-bad']}, 'InvalidParameterValue.SnapshotIdMalformed'),
    ({'Filters': [{'Name': 'zone', 'Values': ['x']}]}, 'InvalidParameter.InvalidFilterNotSupportedName'),
])
def test_describe_snapshots_parameter_errors(error_of, params, code):
    assert error_of('DescribeSnapshots', params) == code


def test_describe_disks_errors(error_of):
    assert error_of('DescribeDisks', {'DiskIds': ['lhdisk-aaaaaaaa']}) == 'ResourceNotFound.DiskIdNotFound'
    assert error_of('DescribeDisks', {'DiskIds': ['disk-1']}) == 'InvalidParameterValue.InvalidDiskIdMalformed'
    assert error_of('DescribeDisks', {'OrderField': 'NAME'}) == 'InvalidParameterValue'


def test_unknown_snapshot_ids_are_simply_not_listed(emu, seeded):
    snapshots = seeded.snapshots
    known = snapshots['lh-0001'][0]['SnapshotId']
    answer = emu.call('DescribeSnapshots', {'SnapshotIds': ['lhsnap-aaaaaaaa', known]})
    assert [s['SnapshotId'] for s in answer['SnapshotSet']] == [known]


def test_instance_filters(emu):
    emu.reset(fleet={'instances': [
        {'name': 'web-1', 'tags': {'role': 'web', 'env': 'prod'}, 'zone': 'ap-guangzhou-4'},
        {'name': 'web-2', 'tags': {'role': 'web', 'env': 'test'}, 'state': 'STOPPED', 'public_addresses': ['203.0.113.7']},
        {'name': 'db-1', 'tags': {'role': 'db'}},
    ]})

    def names(*filters):
        answer = emu.call('DescribeInstances', {'Filters': [{'Name': n, 'Values': v} for n, v in filters]})
        return sorted(i['InstanceName'] for i in answer['InstanceSet'])

    assert names(('tag:role', ['web'])) == ['web-1', 'web-2']
    assert names(('tag:role', ['web']), ('tag:env', ['prod'])) == ['web-1']
    assert names(('instance-name', ['web-1', 'db-1'])) == ['db-1', 'web-1']
    assert names(('instance-state', ['STOPPED'])) == ['web-2']
    assert names(('zone', ['ap-guangzhou-4'])) == ['web-1']
    assert names(('tag-key', ['env'])) == ['web-1', 'web-2']
    assert names(('tag-value', ['db'])) == ['db-1']
    assert names(('public-ip-address', ['203.0.113.7'])) == ['web-2']
    assert names(('private-ip-address', ['10.0.0.4'])) == ['db-1']
    assert names(('bundle-id', ['bundle_gen_lin_med2_02'])) == ['db-1', 'web-1', 'web-2']
    assert names(('instance-name', [])) == []


def test_snapshot_and_disk_filters(emu):
    emu.reset(fleet={'instances': [
        {'name': 'a', 'snapshots': [{'name': 'one'}, {'name': 'two'}], 'data_disks': [{'size': 30, 'snapshots': [{'name': 'data'}]}]},
        {'name': 'b'},
    ]})
    state = emu.state()
    a = next(i for i in state['instances'] if i['InstanceName'] == 'a')

    def snapshot_names(name, values):
        answer = emu.call('DescribeSnapshots', {'Filters': [{'Name': name, 'Values': values}]})
        return sorted(s['SnapshotName'] for s in answer['SnapshotSet'])

    assert snapshot_names('instance-id', [a['InstanceId']]) == ['data', 'one', 'two']
    assert snapshot_names('disk-id', [a['SystemDisk']['DiskId']]) == ['one', 'two']
    assert snapshot_names('snapshot-name', ['baseline']) == ['baseline']
    data = emu.call('DescribeDisks', {'Filters': [{'Name': 'disk-usage', 'Values': ['DATA_DISK']}]})['DiskSet']
    assert [(d['InstanceId'], d['DiskSize'], d['DiskUsage']) for d in data] == [(a['InstanceId'], 30, 'DATA_DISK')]
    data_snapshot = next(s for s in state['snapshots'] if s['SnapshotName'] == 'data')
    assert data_snapshot['DiskUsage'] == 'DATA_DISK'
    disks = emu.call('DescribeDisks', {'Filters': [{'Name': 'instance-id', 'Values': [a['InstanceId']]}]})
    assert disks['TotalCount'] == 2


def test_resources_are_scoped_by_region(emu, error_of):
    emu.reset(fleet={'instances': [{'name': 'gz'}, {'name': 'sh', 'region': 'ap-shanghai'}]})
    state = emu.state()
    gz = next(i for i in state['instances'] if i['region'] == 'ap-guangzhou')
    assert [i['InstanceName'] for i in emu.call('DescribeInstances')['InstanceSet']] == ['gz']
    assert [i['InstanceName'] for i in emu.call('DescribeInstances', region='ap-shanghai')['InstanceSet']] == ['sh']
    assert emu.call('DescribeInstances', region='ap-mumbai')['TotalCount'] == 0
    assert error_of('DescribeInstances', {'InstanceIds': [gz['InstanceId']]}, region='ap-shanghai') == 'ResourceNotFound.InstanceIdNotFound'
    assert error_of('StopInstances', {'InstanceIds': [gz['InstanceId']]}, region='ap-shanghai') == 'ResourceNotFound.InstanceIdNotFound'
    assert emu.call('DescribeSnapshots', region='ap-shanghai')['TotalCount'] == 1
