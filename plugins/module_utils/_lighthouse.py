# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""Describe Lighthouse instances, snapshots and disks as snake_case dicts; match asynchronous operations."""

from __future__ import annotations

import collections
import datetime
import fnmatch
import re

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import CLIENT_ERROR, INVALID_RESPONSE, LighthouseError, short
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, FAILED, PENDING

PAGE_SIZE = 100  # the API's maximum Limit, and its maximum number of ids per call
MAX_FILTERS = 10

# LatestOperationState values (instances, snapshots and disks).
STATE_SUCCESS = 'SUCCESS'
STATE_OPERATING = 'OPERATING'
STATE_FAILED = 'FAILED'

# No source documents which name an instance reports for a rollback; accept both. The snapshot side is documented as RollbackInstanceSnapshot.
ROLLBACK_OPERATIONS = frozenset(('ApplyInstanceSnapshot', 'RollbackInstanceSnapshot'))

TRANSITIONAL_INSTANCE_STATES = frozenset((
    'PENDING', 'STARTING', 'STOPPING', 'REBOOTING', 'TERMINATING', 'DELETING', 'FREEZING',
    'ENTER_RESCUE_MODE', 'EXIT_RESCUE_MODE',
))
TRANSITIONAL_SNAPSHOT_STATES = frozenset(('CREATING', 'ROLLBACKING'))

MAX_SNAPSHOT_NAME = 60  # characters, in CreateInstanceSnapshot and ModifySnapshotAttribute

# Every documented id is a prefix and 8 lowercase alphanumerics (lhins-, lhsnap-, lhdisk-, ...).
_ID_SUFFIX = '-[0-9a-z]{8}'

_Kind = collections.namedtuple('_Kind', 'noun action set_key ids_key id_key prefix malformed_code not_found_code max_filter_values')

INSTANCE = _Kind('instance', 'DescribeInstances', 'InstanceSet', 'InstanceIds', 'instance_id', 'lhins',
                 'InvalidParameterValue.InstanceIdMalformed', 'ResourceNotFound.InstanceIdNotFound', 100)
SNAPSHOT = _Kind('snapshot', 'DescribeSnapshots', 'SnapshotSet', 'SnapshotIds', 'snapshot_id', 'lhsnap',
                 'InvalidParameterValue.SnapshotIdMalformed', 'ResourceNotFound.SnapshotIdNotFound', 5)


def snake_case(name):
    """``InstanceId`` -> ``instance_id``, ``CPU`` -> ``cpu``, ``PublicIpv6Addresses`` -> ``public_ipv6_addresses``."""
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', '_', name).lower()


def normalize(value):
    """Recursively snake_case the keys of an API answer; ``Tags`` become a dict, ``Percent`` an int."""
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key == 'Tags' and isinstance(item, list):
            # Tag keys are the user's words, kept as written: CostCenter stays CostCenter.
            result['tags'] = dict((tag['Key'], tag['Value']) for tag in item)
            continue
        if key == 'Percent' and isinstance(item, str) and item.isdigit():
            item = int(item)
        result[snake_case(key)] = normalize(item)
    return result


def chunks(items, size):
    """Consecutive slices of `items` of at most `size` elements."""
    return [items[start:start + size] for start in range(0, len(items), size)]


def check_ids(kind, ids):
    """Raise LighthouseError (the API's malformed-id code) unless every id looks like one of `kind`."""
    pattern = re.compile(kind.prefix + _ID_SUFFIX)
    malformed = [item for item in ids if not isinstance(item, str) or not pattern.fullmatch(item)]
    if malformed:
        raise LighthouseError(kind.malformed_code, 'malformed %s id(s): %s (expected %s-xxxxxxxx)'
                              % (kind.noun, ', '.join(short(repr(item)) for item in malformed), kind.prefix))


def api_filters(filters, max_values=100):
    """Turn ``{name: value or [values]}`` into the API's Filters list, enforcing its limits locally."""
    if len(filters) > MAX_FILTERS:
        raise LighthouseError('InvalidParameter.FilterValueLimitExceeded', 'at most %d filters are allowed, got %d' % (MAX_FILTERS, len(filters)))
    result = []
    for name, values in filters.items():
        values = [str(item) for item in (values if isinstance(values, list) else [values])]
        if len(values) > max_values:
            raise LighthouseError('InvalidParameter.FilterValueLimitExceeded',
                                  'filter %s allows at most %d values, got %d' % (short(name), max_values, len(values)))
        result.append({'Name': name, 'Values': values})
    return result


def paginate(client, action, set_key, params):
    """Every item of a paginated Describe* action: Offset/Limit pages until TotalCount is reached."""
    items = []
    while True:
        answer = client.call(action, dict(params, Offset=len(items), Limit=PAGE_SIZE))
        page = answer.get(set_key) or []
        items.extend(page)
        if not page or len(items) >= answer.get('TotalCount', 0):
            return items


def describe(client, kind, ids=None, filters=None, missing_ok=False):
    """Normalised resources of `kind` (INSTANCE or SNAPSHOT) by ids or by filters (a dict), or all.

    Ids are checked locally, de-duplicated and returned in the order given; an id the region does not
    know raises LighthouseError(kind.not_found_code), or is left out with `missing_ok`. With `missing_ok`
    the ids are asked for as an id filter: the API may answer a list of ids that names an unknown one either
    by leaving it out or by refusing the whole call, and a filter is answered the same way in both cases.
    """
    if ids is not None and filters:
        raise LighthouseError('InvalidParameter.ParameterConflict', '%s ids and filters cannot be combined' % kind.noun)
    if ids is None:
        params = {'Filters': api_filters(filters, kind.max_filter_values)} if filters else {}
        return normalize(paginate(client, kind.action, kind.set_key, params))
    check_ids(kind, ids)
    wanted = list(dict.fromkeys(ids))
    found = {}
    for batch in chunks(wanted, kind.max_filter_values if missing_ok else PAGE_SIZE):
        if missing_ok:
            params = {'Filters': api_filters({'%s-id' % kind.noun: batch}, kind.max_filter_values)}
        else:
            params = {kind.ids_key: batch}
        for item in normalize(paginate(client, kind.action, kind.set_key, params)):
            found[item[kind.id_key]] = item
    missing = [item for item in wanted if item not in found]
    if missing and not missing_ok:
        raise LighthouseError(kind.not_found_code, '%s %s not found in region %s' % (kind.noun, ', '.join(missing), client.region))
    return [found[item] for item in wanted if item in found]


def describe_instances(client, instance_ids=None, filters=None):
    return describe(client, INSTANCE, instance_ids, filters)


def describe_snapshots(client, snapshot_ids=None, filters=None):
    return describe(client, SNAPSHOT, snapshot_ids, filters)


def get_instance(client, instance_id):
    return describe(client, INSTANCE, [instance_id])[0]


def get_snapshot(client, snapshot_id):
    return describe(client, SNAPSHOT, [snapshot_id])[0]


def snapshots_of_disks(client, disk_ids, filters=None):
    """The snapshots taken of each of some disks (e.g. instances' ``system_disk.disk_id``), matching ``filters`` (a dict) too,
    by disk id: five disks per call, the most values a DescribeSnapshots filter takes."""
    found = dict((disk_id, []) for disk_id in disk_ids)
    for chunk in chunks(list(found), SNAPSHOT.max_filter_values):
        for item in describe(client, SNAPSHOT, filters=dict({'disk-id': chunk}, **(filters or {}))):
            found.setdefault(item.get('disk_id'), []).append(item)
    return found


def snapshots_of_disk(client, disk_id):
    """All snapshots taken of one disk."""
    return snapshots_of_disks(client, [disk_id])[disk_id]


def newest_first(snapshots):
    """Snapshots sorted by creation time, newest first; between equal times, by snapshot id (descending)."""
    return sorted(snapshots, key=lambda item: (item.get('created_time') or '', item['snapshot_id']), reverse=True)


def named(snapshots, name):
    """Those of `snapshots` named exactly `name`, newest first."""
    # Compared here as well as in the API's name filter: the API does not document whether its filter matches exactly.
    return newest_first(item for item in snapshots if item.get('snapshot_name') == name)


def snapshots_named(client, disk_id, name):
    """The snapshots of one disk (e.g. an instance's system disk) named exactly `name`, newest first."""
    return named(snapshots_of_disks(client, [disk_id], {'snapshot-name': name})[disk_id], name)


# A relative cut-off: a minus sign, a whole number and a unit (seconds, minutes, hours, days, weeks).
_RELATIVE_CUTOFF = re.compile(r'^-(\d+)([smhdw])$')
_UNIT_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
# How the API writes times: UTC, to the second.
API_TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def is_relative_cutoff(text):
    """Whether the cut-off `text` is relative to now, such as ``-2h``."""
    return bool(_RELATIVE_CUTOFF.match(text.strip()))


def parse_cutoff(option, text, now):
    """The UTC time (an aware datetime) that the cut-off `text`, the value of `option`, names.

    ISO 8601 with an offset or Z (``2026-12-06T14:00:00+08:00``), or relative to `now` (an aware datetime), such as
    ``-2h``. A time without an offset is refused: the control node's zone is not the cloud's.
    """
    relative = _RELATIVE_CUTOFF.match(text.strip())
    if relative:
        return now.astimezone(datetime.timezone.utc) - datetime.timedelta(seconds=int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)])
    try:
        # Python before 3.11 does not read a final Z.
        moment = datetime.datetime.fromisoformat(re.sub(r'[zZ]$', '+00:00', text.strip()))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise LighthouseError(CLIENT_ERROR, '%s is %s; expected an ISO 8601 time with its offset, such as 2026-12-06T14:00:00+08:00 '
                                            'or 2026-12-06T06:00:00Z, or a time relative to now, such as -2h (s, m, h, d or w)'
                              % (option, short(repr(text))))
    return moment.astimezone(datetime.timezone.utc)


def cutoff_of(params, option='created_before'):
    """The UTC time ``params['created_before']`` names (relative to now), or None; raises LighthouseError, naming `option`, for a
    value that is no time."""
    if params['created_before'] is None:
        return None
    return parse_cutoff(option, params['created_before'], datetime.datetime.now(datetime.timezone.utc))


def api_time(moment):
    """An aware datetime as the API writes times."""
    return moment.astimezone(datetime.timezone.utc).strftime(API_TIME_FORMAT)


def created_before(snapshots, cutoff=None, pattern=None):
    """The snapshots created before `cutoff` (an aware datetime; None: any time) whose name matches the shell-style `pattern`
    (None: any name), newest first."""
    limit = api_time(cutoff) if cutoff is not None else None

    def chosen(item):
        in_time = limit is None or (item.get('created_time') or limit) < limit
        return in_time and (pattern is None or fnmatch.fnmatchcase(item.get('snapshot_name') or '', pattern))
    return newest_first(item for item in snapshots if chosen(item))


def choose_before(snapshots, cutoff, pattern=None):
    """The newest NORMAL snapshot among `snapshots` created before `cutoff` (and matching `pattern`); raises LighthouseError.

    Two such snapshots created in the same second are refused as ambiguous; none is refused listing the snapshots
    nearest to the cut-off, so that the operator sees what there is.
    """
    usable = [item for item in created_before(snapshots, cutoff, pattern) if item.get('snapshot_state') == 'NORMAL']
    where = 'created before %s%s' % (api_time(cutoff), ' and named like %r' % pattern if pattern else '')
    if not usable:
        nearest = sorted(snapshots, key=lambda item: abs(_seconds_from(item, cutoff)))[:3]
        raise LighthouseError('ResourceNotFound.SnapshotNotFound', 'no NORMAL snapshot was %s; %s' % (where, (
            'the nearest: %s' % ', '.join(_described(item) for item in nearest)) if nearest else 'the disk has no snapshots'))
    ties = [item for item in usable if item.get('created_time') == usable[0].get('created_time')]
    if len(ties) > 1:
        raise LighthouseError('InvalidParameterValue', '%d snapshots %s were created in the same second, the newest: %s; choose one '
                                                       'with snapshot_id, or narrow with name_pattern' % (
                                                           len(ties), where, ', '.join(_described(item) for item in ties)))
    return usable[0]


def _seconds_from(snapshot, cutoff):
    if not snapshot.get('created_time'):
        return float('inf')
    created = datetime.datetime.strptime(snapshot['created_time'], API_TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    return (created - cutoff).total_seconds()


def _described(snapshot):
    return '%s %r (created %s, %s)' % (snapshot['snapshot_id'], snapshot.get('snapshot_name'), snapshot.get('created_time'),
                                       snapshot.get('snapshot_state'))


def check_snapshot_name(option, name):
    """Raise LighthouseError unless `name`, the value of `option`, is None or a snapshot name the API accepts."""
    if name == '':
        raise LighthouseError(CLIENT_ERROR, '%s must not be empty' % option)
    if name is not None and len(name) > MAX_SNAPSHOT_NAME:
        raise LighthouseError('InvalidParameterValue.SnapshotNameTooLong',
                              '%s is %d characters long; snapshot names have at most %d' % (option, len(name), MAX_SNAPSHOT_NAME))


def is_rollback(operation):
    """True for either name the API may give a snapshot rollback."""
    return operation in ROLLBACK_OPERATIONS


def operation_status(resource, request_id):
    """DONE/FAILED once the resource's latest operation is the one with `request_id`; PENDING before.

    An older operation's SUCCESS never counts: the RequestId must match.
    """
    state = resource.get('latest_operation_state')
    if resource.get('latest_operation_request_id') != request_id or state not in (STATE_SUCCESS, STATE_FAILED):
        return PENDING
    return DONE if state == STATE_SUCCESS else FAILED


def settled(resource):
    """True when an instance or snapshot is in no transitional state and runs no operation."""
    return all((resource.get('latest_operation_state') != STATE_OPERATING, resource.get('instance_state') not in TRANSITIONAL_INSTANCE_STATES,
                resource.get('snapshot_state') not in TRANSITIONAL_SNAPSHOT_STATES))


# DescribeXxxDeniedActions of each kind that has one: action, id list parameter, answer set.
_DENIED_ACTIONS = {
    'instance': ('DescribeInstancesDeniedActions', 'InstanceIds', 'InstanceDeniedActionSet'),
    'snapshot': ('DescribeSnapshotsDeniedActions', 'SnapshotIds', 'SnapshotDeniedActionSet'),
}


def denied_actions(client, kind, resource_ids):
    """What the cloud currently refuses to do with each of some instances or snapshots: per id, a list of ``{action, code, message}``."""
    action, ids_key, set_key = _DENIED_ACTIONS[kind.noun]
    wanted = list(dict.fromkeys(resource_ids))
    check_ids(kind, wanted)
    denied = dict((resource_id, []) for resource_id in wanted)
    for batch in chunks(wanted, PAGE_SIZE):
        for entry in normalize(client.call(action, {ids_key: batch}).get(set_key) or []):
            if entry.get(kind.id_key) in denied:
                denied[entry[kind.id_key]] = entry.get('denied_actions') or []
    return denied


def creation_failed(snapshot):
    """True for a snapshot whose creation failed: it is not usable and holds nothing."""
    return snapshot.get('latest_operation') == 'CreateInstanceSnapshot' and snapshot.get('latest_operation_state') == STATE_FAILED


def create_snapshot(client, instance_id, name=None, tags=None):
    """Send CreateInstanceSnapshot for the instance's system disk; return ``(snapshot_id, request_id)``.

    `tags`: a dict of tags for the snapshot. Sent once: callers send it through LighthouseModule.settle_and_send,
    which waits out a busy disk. Follow with wait_snapshot_created() to know the snapshot is usable.
    """
    params = {'InstanceId': instance_id}
    if name:
        params['SnapshotName'] = name
    if tags:
        params['Tags'] = [{'Key': key, 'Value': str(value)} for key, value in tags.items()]
    answer = client.call('CreateInstanceSnapshot', params)
    if not answer.get('SnapshotId'):
        raise LighthouseError(INVALID_RESPONSE, 'CreateInstanceSnapshot answered without a SnapshotId', answer.get('RequestId'))
    return answer['SnapshotId'], answer.get('RequestId')


# The tag that marks a snapshot as a backup this collection took, with the id of the instance it was taken of as its
# value: retention deletes only snapshots that carry it.
BACKUP_TAG = 'tencentcloud.lighthouse:backup-of'
MAX_DELETE_IDS = 10  # snapshot ids per DeleteSnapshots call


def backups_of(snapshots, instance_id):
    """The backups this collection took of `instance_id` among `snapshots` (those tagged BACKUP_TAG with its id), newest first."""
    return newest_first(item for item in snapshots if (item.get('tags') or {}).get(BACKUP_TAG) == instance_id)


def retired_backups(snapshots, instance_id, keep, protected=()):
    """The backups of `instance_id` beyond the newest `keep` that may be deleted: NORMAL, and not among `protected` ids."""
    return [item for item in backups_of(snapshots, instance_id)[keep:]
            if item.get('snapshot_state') == 'NORMAL' and item['snapshot_id'] not in protected]


def rollback_sources(snapshots):
    """The ids of the snapshots among `snapshots` whose latest operation is a successful rollback. The API gives a snapshot no
    time for it, so which of them a disk is on cannot be told: retention keeps them all."""
    return tuple(item['snapshot_id'] for item in snapshots
                 if is_rollback(item.get('latest_operation')) and item.get('latest_operation_state') == STATE_SUCCESS)


QUOTA_EXCEEDED = 'LimitExceeded.SnapshotQuotaLimitExceeded'


def quota_error(client, error, instance_id):
    """The quota refusal `error`, told with what uses the quota and how to free room: the snapshots of the region, and
    which of them are this collection's backups of `instance_id` (the ones a retention may delete)."""
    try:
        snapshots = describe(client, SNAPSHOT)
    except LighthouseError:
        snapshots = None  # the refusal is still told, without the count
    if snapshots is None:
        used = ''
    else:
        backups = ', '.join('%s (created %s)' % (item['snapshot_id'], item.get('created_time')) for item in backups_of(snapshots, instance_id))
        used = '; the region holds %d snapshots; the backups this collection took of instance %s: %s' % (
            len(snapshots), instance_id, backups or 'none')
    return LighthouseError(error.code, (
        'the snapshot quota is used up (%s)%s. Free room by deleting snapshots that are no longer needed (lighthouse_snapshot with '
        'state=absent, by id or with instance_id and keep_backups to delete the older backups; keep_backups of lighthouse_snapshot_apply '
        'and snapshot_rollback_keep_backups of the role delete them after each rollback), or raise the quota, then try again'
    ) % (error.message, used), error.request_id, error.action)


def delete_snapshots(module, what, probe, view, request_ids):
    """Delete, through settle_and_send, the snapshots `probe` finds (still there, once settled), starting from `view`.

    A deletion whose answer was lost counts as made when snapshots of its batch are gone. Each RequestId is appended
    to `request_ids`.
    """
    def send(batch):
        request_ids.append(module.client.call('DeleteSnapshots', {'SnapshotIds': batch})['RequestId'])

    def adopt(batch, seen_before, seen_after):
        return bool(set(batch) - set(item['snapshot_id'] for item in seen_after))

    return module.settle_and_send(what, probe, lambda found: chunks([item['snapshot_id'] for item in found], MAX_DELETE_IDS), send,
                                  states_of, view, adopt)


def named_snapshot_probe(client, instance_id, name):
    """A probe: DONE with ``{instance, existing, resources}`` when a usable snapshot of the instance's system disk is named
    `name`, or when none is and the instance and the snapshots of its disk have settled (so one can be taken); PENDING before."""
    def probe():
        instance = get_instance(client, instance_id)
        disk_id = instance['system_disk']['disk_id']
        view = {'instance': instance, 'existing': [item for item in snapshots_named(client, disk_id, name) if not creation_failed(item)]}
        busy = [] if view['existing'] else [item for item in snapshots_of_disk(client, disk_id) if not settled(item)]
        view['resources'] = [instance] + busy
        return (DONE if view['existing'] or (settled(instance) and not busy) else PENDING), view
    return probe


def send_named_snapshot(module, instance_id, name, tags=None):
    """Take a snapshot named `name` of the instance's system disk unless a usable one is there; return ``(view, sent)``.

    `view` is named_snapshot_probe()'s; `sent` holds the ``snapshot_id`` and ``request_id`` of the snapshot taken (or adopted
    after a lost answer), empty when one was there already or in check mode. A used-up quota is told by quota_error().
    """
    client, sent = module.client, {}

    def send(request):
        try:
            sent['snapshot_id'], sent['request_id'] = create_snapshot(client, request, name, tags)
        except LighthouseError as err:
            if err.code != QUOTA_EXCEEDED:
                raise
            raise quota_error(client, err, request) from None

    def adopt(request, seen_before, seen_after):
        # A creation whose answer was lost took effect when a snapshot of that name is there now.
        if seen_after['existing']:
            sent['snapshot_id'], sent['request_id'] = seen_after['existing'][0]['snapshot_id'], seen_after['existing'][0]['latest_operation_request_id']
        return bool(seen_after['existing'])

    what = 'instance %s and the snapshots of its system disk to finish their operations' % instance_id
    view = module.settle_and_send(what, named_snapshot_probe(client, instance_id, name),
                                  lambda found: [] if found['existing'] else [found['instance']['instance_id']], send,
                                  lambda found: states_of(found['resources']), adopt=adopt)
    return view, sent


def wait_snapshot_created(module, snapshot_id, request_id, wait=True):
    """Wait until the snapshot reports the creation started by `request_id` as SUCCESS (so it is NORMAL); return it.

    A FAILED creation raises OperationFailedError at once, the deadline WaitTimeoutError. A snapshot the
    API does not list yet counts as pending. Without `wait`, returns the snapshot as listed now.
    """
    def probe():
        # Listed by filter, not by id: a snapshot that is not listed yet is pending, not an error.
        found = describe(module.client, SNAPSHOT, filters={'snapshot-id': snapshot_id})
        if not found:
            return PENDING, {'snapshot_id': snapshot_id, 'snapshot_state': 'not listed yet'}
        return operation_status(found[0], request_id), found[0]

    if not wait:
        return probe()[1]
    return module.waiter.wait('the creation of snapshot %s (request %s)' % (snapshot_id, request_id), probe, module.deadline, state_of)


def unavailable(instances, batch_ids, max_unavailable):
    """The `instances` outside `batch_ids` that are not RUNNING (each once), when with the batch, counted as one, they are more
    than `max_unavailable`; else an empty list. With the default budget of 1, nothing outside the batch may be down."""
    down = list(dict((item['instance_id'], item) for item in instances
                     if item['instance_id'] not in batch_ids and item.get('instance_state') != 'RUNNING').values())
    return down if len(down) + 1 > int(max_unavailable) else []


# The fields state_of() shows, besides a resource's kind and id.
_SHOWN_FIELDS = ('instance_state', 'snapshot_state', 'disk_state', 'percent',
                 'latest_operation', 'latest_operation_state', 'latest_operation_request_id')


def state_of(resource):
    """How messages show a resource: ``snapshot lhsnap-1: snapshot_state=NORMAL, percent=100, latest_operation=...``."""
    noun = next((noun for noun in ('snapshot', 'instance', 'disk') if noun + '_id' in resource), 'resource')
    shown = ['%s=%s' % (key, resource[key]) for key in _SHOWN_FIELDS if key in resource]
    return '%s %s: %s' % (noun, resource.get(noun + '_id'), ', '.join(shown))


def operation_summary(resource):
    """``<operation> <state> (request <id>)``, or ``none``."""
    if not resource.get('latest_operation'):
        return 'none'
    return '%s %s (request %s)' % (resource['latest_operation'], resource.get('latest_operation_state'),
                                   resource.get('latest_operation_request_id'))


def states_of(resources):
    """state_of() for each resource, joined."""
    return '; '.join(state_of(item) for item in resources)
