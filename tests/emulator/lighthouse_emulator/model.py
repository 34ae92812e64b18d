"""Resources (instances, disks, snapshots), their ID rules, and the region-scoped store."""

import collections
import copy
import hashlib
import re
import time
import uuid

Kind = collections.namedtuple('Kind', 'prefix id_field malformed not_found')

KINDS = {
    'instance': Kind('lhins', 'InstanceId', 'InvalidParameterValue.InstanceIdMalformed', 'ResourceNotFound.InstanceIdNotFound'),
    'disk': Kind('lhdisk', 'DiskId', 'InvalidParameterValue.InvalidDiskIdMalformed', 'ResourceNotFound.DiskIdNotFound'),
    'snapshot': Kind('lhsnap', 'SnapshotId', 'InvalidParameterValue.SnapshotIdMalformed', 'ResourceNotFound.SnapshotIdNotFound'),
}
_ID_SUFFIX = re.compile(r'[a-z0-9]{8}')
_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'


def is_valid_id(kind, value):
    """True if ``value`` looks like an ID of ``kind``: its prefix, a dash and 8 lowercase alphanumerics."""
    prefix, dash, suffix = value.partition('-')
    return prefix == KINDS[kind].prefix and dash == '-' and _ID_SUFFIX.fullmatch(suffix) is not None


def iso(epoch):
    """Format a Unix time the way the API does: ``YYYY-MM-DDThh:mm:ssZ`` (UTC)."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


class IdFactory:
    """Deterministic IDs and UUIDs: the n-th one after a reset is always the same."""

    def __init__(self):
        self._counter = 0
        self._used = set()

    def reserve(self, value):
        """Mark an ID chosen by a fleet file as taken."""
        self._used.add(value)

    def new_id(self, kind):
        """Return a fresh, unused ID of ``kind``."""
        while True:
            digest = self._digest(kind)
            value = '%s-%s' % (KINDS[kind].prefix, ''.join(_ALPHABET[byte % 36] for byte in digest[:8]))
            if value not in self._used:
                self._used.add(value)
                return value

    def new_uuid(self):
        """Return a fresh UUID (for seeded request IDs and instance UUIDs)."""
        return str(uuid.UUID(bytes=self._digest('uuid')[:16], version=4))

    def _digest(self, salt):
        self._counter += 1
        return hashlib.sha256(('%s:%d' % (salt, self._counter)).encode('ascii')).digest()


class Resource:
    """One instance, disk or snapshot: its API fields plus what the emulator keeps around them."""

    def __init__(self, kind, region, fields, created, parent=None):
        self.kind = kind
        self.region = region
        self.fields = fields
        self.created = created  # Unix time, for the creation-time order
        self.parent = parent  # the disk a snapshot was taken of
        self.progress = ()  # (start, end) on the monotonic clock while a phase of an operation runs
        self.stale = ()  # (until, fields): what Describe* shows until then, on the monotonic clock (Settings describe_lag)

    @property
    def id(self):
        """The resource ID (InstanceId, DiskId or SnapshotId)."""
        return self.fields[KINDS[self.kind].id_field]

    def render(self, now):
        """The API shape of the resource; a snapshot's Percent follows the running phase."""
        fields = copy.deepcopy(self.fields)
        if self.kind == 'snapshot' and self.progress:
            start, end = self.progress
            fields['Percent'] = min(99, int(100 * (now - start) / (end - start))) if end > start else 99
        return fields

    def described(self, now):
        """What Describe* shows: the fields from before a recent call while its lag lasts, else ``render(now)``."""
        if self.stale and now < self.stale[0]:
            return copy.deepcopy(self.stale[1])
        return self.render(now)


class Store:
    """All resources, looked up by ID within a region."""

    def __init__(self):
        self._items = {}

    def add(self, resource):
        self._items[resource.id] = resource

    def remove(self, resource):
        del self._items[resource.id]

    def get(self, kind, region, resource_id):
        """The resource of ``kind`` with this ID in ``region``, or None."""
        resource = self._items.get(resource_id)
        if resource is None or resource.kind != kind or resource.region != region:
            return None
        return resource

    def list(self, kind, region=None):
        """All resources of ``kind`` (in ``region`` if given), in insertion order."""
        return [r for r in self._items.values() if r.kind == kind and region in (None, r.region)]

    def clear(self):
        self._items.clear()
