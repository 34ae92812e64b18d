"""Fleet files: loading them and seeding instances, disks and snapshots from them (see README.md)."""

import calendar
import ipaddress
import json
import time

from .actions import POWER, REGION_NAMES
from .model import Resource, is_valid_id, iso
from .ops import Owner
from .settings import DEFAULTS

DEFAULT_SECRET_ID = 'AKIDLIGHTHOUSEEMULATOR'
DEFAULT_SECRET_KEY = 'emulator-secret-key'
SEED_EPOCH = 1735689600  # 2025-01-01T00:00:00Z; instance n was created n-1 hours before it
THREE_YEARS = 3 * 365 * 86400
FAKE_PRIVATE_IP = ipaddress.ip_address('10.0.0.2')
FAKE_PUBLIC_IP = ipaddress.ip_address('198.18.0.2')  # RFC 2544 benchmarking range: never routed

TOP_KEYS = {'region', 'credentials', 'instances'} | set(DEFAULTS)
CREDENTIAL_KEYS = {'secret_id', 'secret_key', 'token'}
# The seeded latest operation of an instance or snapshot, when given: field name in the fleet -> API field.
OPERATION_KEYS = {'latest_operation': 'LatestOperation', 'latest_operation_state': 'LatestOperationState',
                  'latest_operation_request_id': 'LatestOperationRequestId'}
INSTANCE_KEYS = {'name', 'instance_id', 'region', 'zone', 'state', 'bundle_id', 'blueprint_id', 'cpu', 'memory',
                 'os_name', 'tags', 'private_addresses', 'public_addresses', 'system_disk', 'snapshots', 'data_disks'} | set(OPERATION_KEYS)
DISK_KEYS = {'disk_id', 'name', 'size', 'type', 'tags', 'snapshots'}
SNAPSHOT_KEYS = {'snapshot_id', 'name', 'state', 'disk_size', 'tags', 'created_time'} | set(OPERATION_KEYS)
INSTANCE_STATES = ('PENDING', 'LAUNCH_FAILED', 'RUNNING', 'STOPPED', 'STARTING', 'STOPPING', 'REBOOTING', 'SHUTDOWN',
                   'TERMINATING', 'DELETING', 'FREEZING', 'ENTER_RESCUE_MODE', 'RESCUE_MODE', 'EXIT_RESCUE_MODE')
# Seeded instances in these states run the matching operation, so that they settle.
TRANSITIONS = {spec[1]: action for action, spec in POWER.items()}
# The seeded latest operation of an instance, by state (default: a successful RunInstances).
SEED_OPERATIONS = {'STOPPED': ('StopInstances', 'SUCCESS'), 'PENDING': ('RunInstances', 'OPERATING'),
                   'LAUNCH_FAILED': ('RunInstances', 'FAILED')}
SSHD_RUNNING_STATES = ('RUNNING', 'STOPPING', 'REBOOTING')


def load(path):
    """Read a fleet file: JSON, or YAML when PyYAML is installed."""
    with open(path) as handle:
        text = handle.read()
    if path.endswith('.json'):
        fleet = json.loads(text)
    else:
        try:
            import yaml
        except ImportError:
            raise ValueError('%s: YAML fleet files need PyYAML; write the fleet as JSON instead' % path)
        fleet = yaml.safe_load(text)
    return check_keys(fleet or {}, TOP_KEYS, 'fleet')


def check_keys(spec, allowed, where):
    """Return ``spec`` if it is a mapping using only ``allowed`` keys, raise ValueError otherwise."""
    if not isinstance(spec, dict):
        raise ValueError('%s must be a mapping' % where)
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError('%s: unknown key(s) %s; known: %s' % (where, ', '.join(unknown), ', '.join(sorted(allowed))))
    return spec


def credentials(fleet, secret_id, secret_key):
    """SecretId -> {"secret_key", "token"}: the command-line pair plus the fleet's list."""
    result = {secret_id: {'secret_key': secret_key, 'token': None}}
    for index, item in enumerate(fleet.get('credentials', [])):
        check_keys(item, CREDENTIAL_KEYS, 'credentials[%d]' % index)
        if not isinstance(item.get('secret_id'), str) or not isinstance(item.get('secret_key'), str):
            raise ValueError('credentials[%d] needs secret_id and secret_key strings' % index)
        result[item['secret_id']] = {'secret_key': item['secret_key'], 'token': item.get('token')}
    return result


def settings_of(fleet):
    """The settings a fleet overrides."""
    return {key: value for key, value in fleet.items() if key in DEFAULTS}


def _tags(spec, where):
    tags = spec.get('tags', {})
    if not isinstance(tags, dict):
        raise ValueError('%s.tags must be a mapping of key to value' % where)
    return [{'Key': str(key), 'Value': str(value)} for key, value in tags.items()]


def _choose(spec, key, kind, ids, where):
    value = spec.get(key)
    if value is None:
        return ids.new_id(kind)
    if not isinstance(value, str) or not is_valid_id(kind, value):
        raise ValueError('%s.%s: %r is not a valid %s ID' % (where, key, value, kind))
    ids.reserve(value)
    return value


def _operation(spec, where):
    """The latest-operation fields a spec sets (strings), as API fields."""
    fields = {}
    for key, field in OPERATION_KEYS.items():
        if key in spec:
            if not isinstance(spec[key], str):
                raise ValueError('%s.%s must be a string' % (where, key))
            fields[field] = spec[key]
    return fields


def _created(spec, default, where):
    """The Unix time of a spec's ``created_time`` (YYYY-MM-DDThh:mm:ssZ), or ``default``."""
    if 'created_time' not in spec:
        return default
    try:
        return calendar.timegm(time.strptime(spec['created_time'], '%Y-%m-%dT%H:%M:%SZ'))
    except (TypeError, ValueError):
        raise ValueError('%s.created_time must look like 2025-01-01T00:00:00Z, not %r' % (where, spec['created_time'])) from None


def _one_of(value, allowed, where):
    if value not in allowed:
        raise ValueError('%s must be one of %s, not %r' % (where, ', '.join(allowed), value))
    return value


def seed(service, fleet, default_region):
    """Create the fleet's resources in ``service`` (an actions.Lighthouse whose store is empty)."""
    instances = fleet.get('instances', 0)
    if isinstance(instances, int):
        instances = [{}] * instances
    if not isinstance(instances, list):
        raise ValueError('fleet.instances must be a number or a list')
    region = _one_of(fleet.get('region', default_region), REGION_NAMES, 'fleet.region')
    for index, spec in enumerate(instances):
        _seed_instance(service, index, check_keys(spec, INSTANCE_KEYS, 'instances[%d]' % index), region)


def _seed_instance(service, index, spec, default_region):
    where = 'instances[%d]' % index
    ids = service.ids
    region = _one_of(spec.get('region', default_region), REGION_NAMES, where + '.region')
    zone = spec.get('zone', region + '-3')
    state = _one_of(spec.get('state', 'RUNNING'), INSTANCE_STATES, where + '.state')
    name = spec.get('name', 'lh-%04d' % (index + 1))
    created = SEED_EPOCH - 3600 * index
    instance_id = _choose(spec, 'instance_id', 'instance', ids, where)
    system_spec = check_keys(spec.get('system_disk', {}), DISK_KEYS - {'snapshots'}, where + '.system_disk')
    disk = _seed_disk(service, region, zone, instance_id, system_spec, 'SYSTEM_DISK', created, where + '.system_disk')
    operation, operation_state = SEED_OPERATIONS.get(state, ('RunInstances', 'SUCCESS'))
    if service.backend.public_ip:
        public_addresses = [service.backend.public_ip]
    else:
        public_addresses = spec.get('public_addresses', [str(FAKE_PUBLIC_IP + index)])
    instance = Resource('instance', region, {
        'InstanceId': instance_id,
        'BundleId': spec.get('bundle_id', 'bundle_gen_lin_med2_02'),
        'BlueprintId': spec.get('blueprint_id', 'lhbp-ubuntu22'),
        'CPU': spec.get('cpu', 2),
        'Memory': spec.get('memory', 4),
        'InstanceName': name,
        'InstanceChargeType': 'PREPAID',
        'SystemDisk': {'DiskType': disk.fields['DiskType'], 'DiskSize': disk.fields['DiskSize'], 'DiskId': disk.id},
        'PrivateAddresses': spec.get('private_addresses', [str(FAKE_PRIVATE_IP + index)]),
        'PublicAddresses': public_addresses,
        'InternetAccessible': {'InternetChargeType': 'TRAFFIC_POSTPAID_BY_HOUR', 'InternetMaxBandwidthOut': 30, 'PublicIpAssigned': True},
        'RenewFlag': 'NOTIFY_AND_MANUAL_RENEW',
        'LoginSettings': {'KeyIds': []},
        'InstanceState': state,
        'Uuid': ids.new_uuid(),
        'LatestOperation': operation,
        'LatestOperationState': operation_state,
        'LatestOperationRequestId': ids.new_uuid(),
        'LatestOperationStartedTime': iso(created),
        'IsolatedTime': None,
        'CreatedTime': iso(created),
        'ExpiredTime': iso(created + THREE_YEARS),
        'PlatformType': 'LINUX_UNIX',
        'Platform': 'UBUNTU',
        'OsName': spec.get('os_name', 'Ubuntu Server 22.04 LTS 64bit'),
        'Zone': zone,
        'Tags': _tags(spec, where),
        'InstanceRestrictState': 'NORMAL',
        'SupportIpv6Detail': {'IsSupport': False, 'Detail': '', 'Message': ''},
        'PublicIpv6Addresses': [],
        'InitInvocationId': '',
        'InstanceViolationDetail': {'Source': '', 'State': '', 'Reason': '', 'Content': ''},
    }, created)
    instance.fields.update(_operation(spec, where))
    service.store.add(instance)
    disks = [(disk, spec.get('snapshots', [{'name': 'baseline'}]), where)]
    for number, data_spec in enumerate(spec.get('data_disks', [])):
        data_where = '%s.data_disks[%d]' % (where, number)
        check_keys(data_spec, DISK_KEYS, data_where)
        data_disk = _seed_disk(service, region, zone, instance_id, data_spec, 'DATA_DISK', created, data_where)
        disks.append((data_disk, data_spec.get('snapshots', []), data_where))
    service.backend.add_instance(instance_id, disk.id, state in SSHD_RUNNING_STATES)
    if state in TRANSITIONS:
        action = TRANSITIONS[state]
        service.run(action, ids.new_uuid(), [Owner(instance, action, 0)], [service.power_phase(action, instance)])
    count = 0
    for owner_disk, snapshot_specs, owner_where in disks:
        for number, snapshot_spec in enumerate(snapshot_specs):
            count += 1
            _seed_snapshot(service, owner_disk, snapshot_spec, created + 60 * count, '%s.snapshots[%d]' % (owner_where, number))


def _seed_disk(service, region, zone, instance_id, spec, usage, created, where):
    system = usage == 'SYSTEM_DISK'
    disk_id = _choose(spec, 'disk_id', 'disk', service.ids, where)
    disk = Resource('disk', region, {
        'DiskId': disk_id,
        'InstanceId': instance_id,
        'Zone': zone,
        'DiskName': spec.get('name', 'System disk' if system else 'Data disk'),
        'DiskUsage': usage,
        'DiskType': spec.get('type', 'CLOUD_SSD' if system else 'CLOUD_PREMIUM'),
        'DiskChargeType': 'PREPAID',
        'DiskSize': spec.get('size', 40 if system else 20),
        'RenewFlag': 'NOTIFY_AND_MANUAL_RENEW',
        'DiskState': 'ATTACHED',
        'Attached': True,
        'DeleteWithInstance': system,
        'LatestOperation': None,
        'LatestOperationState': None,
        'LatestOperationRequestId': None,
        'CreatedTime': iso(created),
        'ExpiredTime': iso(created + THREE_YEARS),
        'IsolatedTime': None,
        'DiskBackupCount': 0,
        'DiskBackupQuota': 0,
        'Tags': _tags(spec, where),
    }, created)
    service.store.add(disk)
    service.backend.add_disk(disk_id)
    return disk


def _seed_snapshot(service, disk, spec, created, where):
    check_keys(spec, SNAPSHOT_KEYS, where)
    state = _one_of(spec.get('state', 'NORMAL'), ('NORMAL', 'CREATING'), where + '.state')
    snapshot_id = _choose(spec, 'snapshot_id', 'snapshot', service.ids, where)
    created = _created(spec, created, where)
    snapshot = service.new_snapshot(disk, spec.get('name', 'baseline'), _tags(spec, where), created, snapshot_id, spec.get('disk_size'))
    request_id = service.ids.new_uuid()
    if state == 'CREATING':
        service.run('CreateInstanceSnapshot', request_id, [Owner(snapshot, 'CreateInstanceSnapshot', 0)], [service.snapshot_phase(snapshot)])
    else:
        snapshot.fields.update(LatestOperation='CreateInstanceSnapshot', LatestOperationState='SUCCESS', LatestOperationRequestId=request_id)
        snapshot.fields.update(_operation(spec, where))
        service.backend.on_snapshot_created(snapshot.id, disk.id)
