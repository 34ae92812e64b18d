"""The Lighthouse actions: parameters, preconditions, state changes and answers.

Each precondition is a function returning an ApiError or None. The mutating actions raise what
it returns; the DescribeXxxDeniedActions actions list what it returns: one source of truth.
"""

import copy
import functools

from . import params as P
from .errors import ApiError, raise_if
from .model import KINDS, Resource, iso
from .ops import Operation, Owner, Phase

# Request parameters per action: name -> type, with a trailing "!" if required (see params.check).
SCHEMAS = {
    'DescribeInstances': {'InstanceIds': 'strs', 'Filters': 'filters', 'Offset': 'int', 'Limit': 'int', 'OrderField': 'str', 'Order': 'str'},
    'DescribeSnapshots': {'SnapshotIds': 'strs', 'Filters': 'filters', 'Offset': 'int', 'Limit': 'int'},
    'DescribeDisks': {'DiskIds': 'strs', 'Filters': 'filters', 'Offset': 'int', 'Limit': 'int', 'OrderField': 'str', 'Order': 'str'},
    'ApplyInstanceSnapshot': {'InstanceId': 'str!', 'SnapshotId': 'str!'},
    'StopInstances': {'InstanceIds': 'strs!', 'StopType': 'str'},
    'StartInstances': {'InstanceIds': 'strs!'},
    'RebootInstances': {'InstanceIds': 'strs!', 'StopType': 'str'},
    'CreateInstanceSnapshot': {'InstanceId': 'str!', 'SnapshotName': 'str', 'Tags': 'tags'},
    'DeleteSnapshots': {'SnapshotIds': 'strs!'},
    'DescribeInstancesDeniedActions': {'InstanceIds': 'strs!'},
    'DescribeSnapshotsDeniedActions': {'SnapshotIds': 'strs!'},
    'DescribeRegions': {},
}

# Region, English name, in mainland China: the 15 documented regions plus ap-mumbai.
REGIONS = [
    ('ap-bangkok', 'Bangkok', False), ('ap-beijing', 'Beijing', True), ('ap-chengdu', 'Chengdu', True),
    ('ap-guangzhou', 'Guangzhou', True), ('ap-hongkong', 'Hong Kong', False), ('ap-jakarta', 'Jakarta', False),
    ('ap-mumbai', 'Mumbai', False), ('ap-nanjing', 'Nanjing', True), ('ap-seoul', 'Seoul', False),
    ('ap-shanghai', 'Shanghai', True), ('ap-singapore', 'Singapore', False), ('ap-tokyo', 'Tokyo', False),
    ('eu-frankfurt', 'Frankfurt', False), ('na-ashburn', 'Virginia', False), ('na-siliconvalley', 'Silicon Valley', False),
    ('sa-saopaulo', 'Sao Paulo', False),
]
REGION_NAMES = [region[0] for region in REGIONS]

MAX_IDS = 100
MAX_DELETE_IDS = 10
MAX_SNAPSHOT_FILTER_VALUES = 5
MAX_SNAPSHOT_NAME = 60
MAX_TAGS = 10
STOP_TYPES = ('SOFT', 'HARD', 'SOFT_FIRST')

# Power actions: state needed, state while running, state reached, duration key, backend hook.
POWER = {
    'StopInstances': ('RUNNING', 'STOPPING', 'STOPPED', 'stop', 'on_stop'),
    'StartInstances': ('STOPPED', 'STARTING', 'RUNNING', 'start', 'on_start'),
    'RebootInstances': ('RUNNING', 'REBOOTING', 'RUNNING', 'reboot', 'on_reboot'),
}
# Instance states each instance action accepts.
ALLOWED_STATES = {
    'StopInstances': ('RUNNING',),
    'StartInstances': ('STOPPED',),
    'RebootInstances': ('RUNNING',),
    'CreateInstanceSnapshot': ('RUNNING', 'STOPPED'),
    'ApplyInstanceSnapshot': ('RUNNING', 'STOPPED'),
}


def _tag_values(resource, part):
    return [tag[part] for tag in resource.fields['Tags']]


_TAG_FILTERS = {'tag-key': lambda r: _tag_values(r, 'Key'), 'tag-value': lambda r: _tag_values(r, 'Value')}
INSTANCE_FILTERS = dict(_TAG_FILTERS, **{
    'instance-name': lambda r: [r.fields['InstanceName']],
    'private-ip-address': lambda r: r.fields['PrivateAddresses'],
    'public-ip-address': lambda r: r.fields['PublicAddresses'],
    'zone': lambda r: [r.fields['Zone']],
    'instance-state': lambda r: [r.fields['InstanceState']],
    'bundle-id': lambda r: [r.fields['BundleId']],
})
DISK_FILTERS = dict(_TAG_FILTERS, **{
    'disk-id': lambda r: [r.fields['DiskId']],
    'instance-id': lambda r: [r.fields['InstanceId']],
    'disk-name': lambda r: [r.fields['DiskName']],
    'zone': lambda r: [r.fields['Zone']],
    'disk-usage': lambda r: [r.fields['DiskUsage']],
    'disk-state': lambda r: [r.fields['DiskState']],
})
SNAPSHOT_FILTERS = dict(_TAG_FILTERS, **{
    'snapshot-id': lambda r: [r.fields['SnapshotId']],
    'disk-id': lambda r: [r.fields['DiskId']],
    'snapshot-name': lambda r: [r.fields['SnapshotName']],
    'instance-id': lambda r: [r.parent.fields['InstanceId']],
})


NAME_FILTERS = ('instance-name', 'disk-name', 'snapshot-name')


def _matches(resource, rules, table, substring):
    """Does ``resource`` pass every filter rule? With ``substring``, a name filter value matches the names containing it."""
    for name, wanted in rules:
        if name.startswith('tag:'):
            have = [tag['Value'] for tag in resource.fields['Tags'] if tag['Key'] == name[4:]]
        else:
            have = table[name](resource)
        if substring and name in NAME_FILTERS:
            found = any(value in text for value in wanted for text in have)
        else:
            found = set(wanted) & set(have)
        if not found:
            return False
    return True


class Lighthouse:
    """The emulated service: resources, operations and the action handlers (called with the lock held)."""

    def __init__(self, store, engine, settings, backend, faults, ids):
        self.store = store
        self.engine = engine
        self.settings = settings
        self.backend = backend
        self.faults = faults
        self.ids = ids
        self._handlers = {
            'DescribeInstances': self.describe_instances,
            'DescribeSnapshots': self.describe_snapshots,
            'DescribeDisks': self.describe_disks,
            'ApplyInstanceSnapshot': self.apply_instance_snapshot,
            'StopInstances': functools.partial(self.power, 'StopInstances'),
            'StartInstances': functools.partial(self.power, 'StartInstances'),
            'RebootInstances': functools.partial(self.power, 'RebootInstances'),
            'CreateInstanceSnapshot': self.create_instance_snapshot,
            'DeleteSnapshots': self.delete_snapshots,
            'DescribeInstancesDeniedActions': self.describe_instances_denied_actions,
            'DescribeSnapshotsDeniedActions': self.describe_snapshots_denied_actions,
            'DescribeRegions': self.describe_regions,
        }

    def call(self, action, region, params, request_id, from_query=False):
        """Run ``action``; returns the response fields without RequestId."""
        params = P.check(params, SCHEMAS[action], from_query)
        if action.startswith('Describe') or not self.settings.lag():
            return self._handlers[action](region, params, request_id)
        resources = [resource for kind in KINDS for resource in self.store.list(kind)]
        before = [copy.deepcopy(resource.fields) for resource in resources]
        answer = self._handlers[action](region, params, request_id)
        until = self.engine.clock() + self.settings.lag()
        for resource, fields in zip(resources, before):
            if fields != resource.fields:
                resource.stale = (until, fields)
        return answer

    # ---- lookups shared by all actions

    def _find(self, region, kind, name, values, limit=MAX_IDS, must_exist=True):
        P.check_ids(name, values, kind, limit)
        found = []
        for value in values:
            resource = self.store.get(kind, region, value)
            if resource is None and must_exist:
                raise ApiError(KINDS[kind].not_found, 'The %s %s does not exist in %s.' % (kind, value, region))
            found += [resource] if resource else []
        return found

    def _find_one(self, region, kind, name, value):
        return self._find(region, kind, name, [value])[0]

    def _select(self, region, kind, params, table, max_values=MAX_IDS, must_exist=True):
        """The resources named by an ID list, or else those matching the Filters (ID list and Filters exclude each other)."""
        ids_name = KINDS[kind].id_field + 's'
        if params.get(ids_name) and params.get('Filters'):
            raise ApiError('InvalidParameter.ParameterConflict', '%s and Filters cannot be used together.' % ids_name)
        if params.get(ids_name):
            return self._find(region, kind, ids_name, params[ids_name], must_exist=must_exist)
        rules = P.filters(params.get('Filters', []), table, max_values)
        substring = self.settings['behaviour']['name_filter'] == 'substring'
        return [r for r in self.store.list(kind, region) if _matches(r, rules, table, substring)]

    def _page(self, params, items, set_name):
        offset, limit = P.paging(params)
        now = self.engine.clock()
        return {'TotalCount': len(items), set_name: [item.described(now) for item in items[offset:offset + limit]]}

    # ---- preconditions (one source of truth for the actions and the denied-action lists)

    def refusal(self, resource, action):
        """The error of an action the ``refusals`` setting forbids on this resource, whatever its state."""
        code = self.settings['refusals'].get(resource.id, {}).get(action)
        return ApiError(code, 'The action %s is not allowed on %s.' % (action, resource.id)) if code else None

    def instance_error(self, instance, action):
        """Can ``action`` (a key of ALLOWED_STATES) run on this instance right now?"""
        refused = self.refusal(instance, action)
        if refused:
            return refused
        state = instance.fields['InstanceState']
        if state == 'PENDING':
            return ApiError('OperationDenied.InstanceCreating', 'The instance %s is still being created.' % instance.id)
        if instance.fields['LatestOperationState'] == 'OPERATING':
            return ApiError('UnsupportedOperation.LatestOperationUnfinished',
                            'The latest operation (%s) of the instance %s is unfinished.' % (instance.fields['LatestOperation'], instance.id))
        if state not in ALLOWED_STATES[action]:
            return ApiError('UnsupportedOperation.InvalidInstanceState',
                            '%s needs the instance %s to be %s, but it is %s.' % (action, instance.id, ' or '.join(ALLOWED_STATES[action]), state))
        return None

    def disk_error(self, disk_id, snapshot=None):
        """Is a snapshot operation running on this disk (and is ``snapshot`` usable for a rollback)?"""
        states = {s.fields['SnapshotState'] for s in self.store.list('snapshot') if s.fields['DiskId'] == disk_id}
        if 'ROLLBACKING' in states:
            return ApiError('UnsupportedOperation.DiskLatestOperationUnfinished', 'The disk %s is being rolled back.' % disk_id)
        if snapshot is not None and _rollback_state(snapshot) != 'NORMAL':
            return ApiError('UnsupportedOperation.InvalidSnapshotState',
                            'The snapshot %s is %s, not NORMAL.' % (snapshot.id, _rollback_state(snapshot)))
        if 'CREATING' in states:
            return ApiError('UnsupportedOperation.DiskBusy', 'A snapshot of the disk %s is being created.' % disk_id)
        return None

    def quota_error(self, region):
        quota = self.settings['snapshot_quota_per_instance'] * len(self.store.list('instance', region))
        if len(self.store.list('snapshot', region)) >= quota:
            return ApiError('LimitExceeded.SnapshotQuotaLimitExceeded', 'The snapshot quota of %s (%d) is used up.' % (region, quota))
        return None

    def create_snapshot_error(self, instance, with_quota=True):
        return (self.instance_error(instance, 'CreateInstanceSnapshot') or self.disk_error(_system_disk_id(instance))
                or (self.quota_error(instance.region) if with_quota else None))

    def _unknown_snapshots_fail(self):
        return self.settings['behaviour']['unknown_snapshot_ids'] == 'error'

    def rollback_error(self, instance, snapshot):
        if snapshot.fields['DiskId'] != _system_disk_id(instance):
            return ApiError('ResourceNotFound.SnapshotNotFound',
                            'The snapshot %s is not a snapshot of the system disk of the instance %s.' % (snapshot.id, instance.id))
        return (self.instance_error(instance, 'ApplyInstanceSnapshot') or self.refusal(snapshot, 'ApplyInstanceSnapshot')
                or self.disk_error(snapshot.fields['DiskId'], snapshot) or _size_error(instance, snapshot))

    @staticmethod
    def delete_error(snapshot):
        if snapshot.fields['SnapshotState'] != 'NORMAL':
            return ApiError('UnsupportedOperation.InvalidSnapshotState', 'The snapshot %s is %s, not NORMAL.' % (snapshot.id, snapshot.fields['SnapshotState']))
        return None

    # ---- operations

    def run(self, action, request_id, owners, phases, related=()):
        """Start an asynchronous operation of ``action``; an ``async_failed`` fault may make it fail.

        A fault's ``match`` is compared with the ids of the owners and of the ``related`` resources
        (the instance a new snapshot is taken of).
        """
        ids = {owner.resource.id for owner in owners} | set(related)
        fail = self.faults.take(action, ids, ('async_failed',)) is not None
        self.engine.start(Operation(request_id, owners, phases, fail), iso(self.engine.wall()))

    def power_phase(self, action, instance):
        needed, during, after, duration, hook = POWER[action]
        return Phase(instance, self.settings.seconds(duration), {'InstanceState': during}, {'InstanceState': after},
                     {'InstanceState': needed}, functools.partial(getattr(self.backend, hook), instance.id))

    def snapshot_phase(self, snapshot):
        return Phase(snapshot, self.settings.seconds('snapshot'), {'SnapshotState': 'CREATING', 'Percent': 0},
                     {'SnapshotState': 'NORMAL', 'Percent': 100}, {'SnapshotState': 'NORMAL', 'Percent': 0},
                     functools.partial(self.backend.on_snapshot_created, snapshot.id, snapshot.fields['DiskId']))

    def new_snapshot(self, disk, name, tags, created, snapshot_id=None, disk_size=None):
        """Add a NORMAL snapshot of ``disk`` (the caller starts its creation, or seeds it as done)."""
        snapshot_id = snapshot_id or self.ids.new_id('snapshot')
        snapshot = Resource('snapshot', disk.region, {
            'SnapshotId': snapshot_id, 'DiskUsage': disk.fields['DiskUsage'], 'DiskId': disk.id,
            'DiskSize': disk.fields['DiskSize'] if disk_size is None else disk_size,
            'SnapshotName': snapshot_id if name is None else name, 'SnapshotState': 'NORMAL', 'Percent': 100,
            'LatestOperation': None, 'LatestOperationState': None, 'LatestOperationRequestId': None,
            'CreatedTime': iso(created), 'Tags': tags,
        }, created, parent=disk)
        self.store.add(snapshot)
        return snapshot

    # ---- actions

    def describe_instances(self, region, params, request_id):
        field, descending = P.order(params, ('EXPIRED_TIME',), None, 'ASC')
        items = self._select(region, 'instance', params, INSTANCE_FILTERS)
        if field is None:  # instances awaiting reclamation (SHUTDOWN) first, then newest first
            items.sort(key=lambda r: (r.fields['InstanceState'] != 'SHUTDOWN', -r.created, r.id))
        else:
            items.sort(key=lambda r: (r.fields['ExpiredTime'], r.id), reverse=descending)
        return self._page(params, items, 'InstanceSet')

    def describe_disks(self, region, params, request_id):
        field, descending = P.order(params, ('CREATED_TIME', 'EXPIRED_TIME', 'DISK_SIZE'), 'CREATED_TIME', 'DESC')
        items = self._select(region, 'disk', params, DISK_FILTERS)
        keys = {'CREATED_TIME': lambda r: (r.created, r.id), 'EXPIRED_TIME': lambda r: (r.fields['ExpiredTime'], r.id),
                'DISK_SIZE': lambda r: (r.fields['DiskSize'], r.id)}
        items.sort(key=keys[field], reverse=descending)
        return self._page(params, items, 'DiskSet')

    def describe_snapshots(self, region, params, request_id):
        items = self._select(region, 'snapshot', params, SNAPSHOT_FILTERS, MAX_SNAPSHOT_FILTER_VALUES, must_exist=self._unknown_snapshots_fail())
        items.sort(key=lambda r: (-r.created, r.id))
        return self._page(params, items, 'SnapshotSet')

    def power(self, action, region, params, request_id):
        if params.get('StopType', 'SOFT_FIRST') not in STOP_TYPES:
            raise ApiError('InvalidParameterValue', 'StopType must be one of %s.' % ', '.join(STOP_TYPES))
        instances = self._find(region, 'instance', 'InstanceIds', params['InstanceIds'])
        for instance in instances:
            raise_if(self.instance_error(instance, action))
        for instance in instances:
            self.run(action, request_id, [Owner(instance, action, 0)], [self.power_phase(action, instance)])
        return {}

    def apply_instance_snapshot(self, region, params, request_id):
        instance = self._find_one(region, 'instance', 'InstanceId', params['InstanceId'])
        snapshot = self._find_one(region, 'snapshot', 'SnapshotId', params['SnapshotId'])
        raise_if(self.rollback_error(instance, snapshot))
        running = instance.fields['InstanceState'] == 'RUNNING'
        phases = [self.power_phase('StopInstances', instance)] if running else []
        snapshot.fields.update(SnapshotState='ROLLBACKING', Percent=0)  # from the call on, also while the instance stops
        phases.append(Phase(snapshot, self.settings.seconds('rollback'), {}, {'SnapshotState': 'NORMAL', 'Percent': 100},
                            {'SnapshotState': 'NORMAL', 'Percent': 100},
                            functools.partial(self.backend.on_rollback, snapshot.id, snapshot.fields['DiskId'])))
        owners = [Owner(snapshot, 'RollbackInstanceSnapshot', len(phases) - 1)]
        if running and self.settings['behaviour']['start_after_rollback']:
            phases.append(self.power_phase('StartInstances', instance))
        owners.append(Owner(instance, self.settings['behaviour']['rollback_operation_name'], len(phases) - 1))
        self.run('ApplyInstanceSnapshot', request_id, owners, phases)
        return {}

    def create_instance_snapshot(self, region, params, request_id):
        instance = self._find_one(region, 'instance', 'InstanceId', params['InstanceId'])
        if len(params.get('SnapshotName', '')) > MAX_SNAPSHOT_NAME:
            raise ApiError('InvalidParameterValue.SnapshotNameTooLong', 'SnapshotName is longer than %d characters.' % MAX_SNAPSHOT_NAME)
        if len(params.get('Tags', [])) > MAX_TAGS:
            raise ApiError('InvalidParameterValue.LimitExceeded', 'At most %d tags are allowed.' % MAX_TAGS)
        raise_if(self.create_snapshot_error(instance))
        disk = self.store.get('disk', region, _system_disk_id(instance))
        snapshot = self.new_snapshot(disk, params.get('SnapshotName'), params.get('Tags', []), self.engine.wall())
        self.run('CreateInstanceSnapshot', request_id, [Owner(snapshot, 'CreateInstanceSnapshot', 0)], [self.snapshot_phase(snapshot)],
                 related=[instance.id])
        return {'SnapshotId': snapshot.id}

    def delete_snapshots(self, region, params, request_id):
        snapshots = self._find(region, 'snapshot', 'SnapshotIds', params['SnapshotIds'], MAX_DELETE_IDS)
        for snapshot in snapshots:
            raise_if(self.delete_error(snapshot))
        for snapshot in snapshots:
            self.store.remove(snapshot)
            self.backend.on_snapshot_deleted(snapshot.id)
        return {}

    def describe_instances_denied_actions(self, region, params, request_id):
        instances = self._find(region, 'instance', 'InstanceIds', params['InstanceIds'])
        rollback_name = self.settings['behaviour']['rollback_operation_name']
        return {'InstanceDeniedActionSet': [{'InstanceId': i.id, 'DeniedActions': _denied([
            ('StartInstances', self.instance_error(i, 'StartInstances')),
            ('StopInstances', self.instance_error(i, 'StopInstances')),
            ('RebootInstances', self.instance_error(i, 'RebootInstances')),
            ('CreateInstanceSnapshot', self.create_snapshot_error(i, self.settings['behaviour']['quota_in_denied_actions'])),
            (rollback_name, self.instance_error(i, 'ApplyInstanceSnapshot') or self.disk_error(_system_disk_id(i))),
        ])} for i in instances]}

    def describe_snapshots_denied_actions(self, region, params, request_id):
        snapshots = self._find(region, 'snapshot', 'SnapshotIds', params['SnapshotIds'], must_exist=self._unknown_snapshots_fail())
        return {'SnapshotDeniedActionSet': [{'SnapshotId': s.id, 'DeniedActions': _denied([
            ('RollbackInstanceSnapshot', self.refusal(s, 'ApplyInstanceSnapshot') or self.disk_error(s.fields['DiskId'], s)),
            ('DeleteSnapshots', self.delete_error(s)),
        ])} for s in snapshots]}

    def describe_regions(self, region, params, request_id):
        return {'TotalCount': len(REGIONS), 'RegionSet': [
            {'Region': name, 'RegionName': label, 'RegionState': 'AVAILABLE', 'IsChinaMainland': mainland}
            for name, label, mainland in REGIONS]}


def _system_disk_id(instance):
    return instance.fields['SystemDisk']['DiskId']


def _size_error(instance, snapshot):
    size = instance.fields['SystemDisk']['DiskSize']
    if snapshot.fields['DiskSize'] != size:
        return ApiError('InvalidParameterValue.DiskSizeNotMatch',
                        'The snapshot %s is of a %d GB disk; the system disk is now %d GB.' % (snapshot.id, snapshot.fields['DiskSize'], size))
    return None


def _rollback_state(snapshot):
    """The SnapshotState, except for a snapshot left over from a failed creation, which cannot be rolled back to."""
    failed = snapshot.fields['LatestOperation'] == 'CreateInstanceSnapshot' and snapshot.fields['LatestOperationState'] == 'FAILED'
    return 'a failed creation' if failed else snapshot.fields['SnapshotState']


def _denied(checks):
    return [{'Action': action, 'Code': error.code, 'Message': error.message} for action, error in checks if error is not None]
