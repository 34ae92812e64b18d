"""Fault injection: make the next N calls (or asynchronous operations) of an action misbehave."""

import copy
import itertools

REQUEST_KINDS = ('error', 'delay', 'drop')
ASYNC_KINDS = ('async_failed',)
_KEYS = {'action', 'kind', 'code', 'message', 'count', 'seconds', 'processed', 'match'}
_MATCH_KEYS = ('InstanceId', 'SnapshotId')


def ids_in(params):
    """The instance and snapshot IDs a request names (what a fault's ``match`` is compared with)."""
    ids = set()
    for key in ('InstanceId', 'SnapshotId', 'InstanceIds', 'SnapshotIds'):
        value = params.get(key)
        values = value if isinstance(value, list) else [value]
        ids.update(v for v in values if isinstance(v, str))
    return ids


def _validate(spec, actions):
    """Return a complete fault from a control-API request body, or raise ValueError."""
    if not isinstance(spec, dict) or not _KEYS.issuperset(spec):
        raise ValueError('a fault is an object with keys among %s' % ', '.join(sorted(_KEYS)))
    fault = {'action': spec.get('action'), 'kind': spec.get('kind', 'error'), 'count': spec.get('count', 1),
             'code': spec.get('code'), 'message': spec.get('message'), 'seconds': spec.get('seconds'),
             'processed': spec.get('processed', False), 'match': spec.get('match')}
    if fault['action'] not in actions:
        raise ValueError('unknown action %r' % fault['action'])
    if fault['kind'] not in REQUEST_KINDS + ASYNC_KINDS:
        raise ValueError('kind must be one of %s' % ', '.join(REQUEST_KINDS + ASYNC_KINDS))
    if isinstance(fault['count'], bool) or not isinstance(fault['count'], int) or fault['count'] < 1:
        raise ValueError('count must be a positive integer')
    if fault['kind'] == 'error' and not isinstance(fault['code'], str):
        raise ValueError('an error fault needs a "code"')
    if fault['kind'] == 'delay' and (not isinstance(fault['seconds'], (int, float)) or fault['seconds'] < 0):
        raise ValueError('a delay fault needs "seconds" >= 0')
    if not isinstance(fault['processed'], bool):
        raise ValueError('processed must be true or false')
    match = fault['match']
    if match is not None and (not isinstance(match, dict) or not set(match) <= set(_MATCH_KEYS)
                              or not all(isinstance(v, str) for v in match.values())):
        raise ValueError('match must be an object with InstanceId and/or SnapshotId strings')
    if fault['message'] is None and fault['kind'] == 'error':
        fault['message'] = 'Injected fault %s.' % fault['code']
    return fault


class Faults:
    """Pending faults, consumed in the order they were added."""

    def __init__(self, actions):
        self._actions = actions
        self._pending = []
        self._ids = itertools.count(1)

    def add(self, spec):
        fault = _validate(spec, self._actions)
        fault['id'] = next(self._ids)
        self._pending.append(fault)
        return copy.deepcopy(fault)

    def take(self, action, ids, kinds):
        """Consume one use of the first pending fault of ``kinds`` for ``action`` that matches ``ids``."""
        for fault in self._pending:
            match = fault['match'] or {}
            if fault['action'] == action and fault['kind'] in kinds and set(match.values()) <= ids:
                fault['count'] -= 1
                if not fault['count']:
                    self._pending.remove(fault)
                return copy.deepcopy(fault)
        return None

    def list(self):
        return copy.deepcopy(self._pending)

    def clear(self):
        self._pending = []
