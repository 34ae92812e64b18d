"""Tunable behaviour: durations, time scale, rate limits, quotas and the switches for undocumented behaviour."""

import copy

DEFAULTS = {
    # Emulated seconds per phase; real seconds = seconds * time_scale.
    'time_scale': 1.0,
    'durations': {'stop': 2.0, 'start': 2.0, 'reboot': 3.0, 'snapshot': 3.0, 'rollback': 4.0},
    # Documented default rate limits (requests per second, per action and SecretId).
    'rate_limits': {
        'ApplyInstanceSnapshot': 20,
        'CreateInstanceSnapshot': 20,
        'DeleteSnapshots': 20,
        'DescribeDisks': 20,
        'DescribeInstances': 100,
        'DescribeInstancesDeniedActions': 10,
        'DescribeRegions': 10,
        'DescribeSnapshots': 20,
        'DescribeSnapshotsDeniedActions': 20,
        'RebootInstances': 10,
        'StartInstances': 10,
        'StopInstances': 10,
    },
    # Snapshots allowed in a region: this many per instance in that region.
    'snapshot_quota_per_instance': 2,
    # Eventual consistency: for this many emulated seconds after a call, Describe* still shows the resources
    # the call changed as they were before it (real seconds = describe_lag * time_scale).
    'describe_lag': 0.0,
    # Actions refused on one resource whatever its state (as a CAM policy may): {resource id: {action: error code}}.
    # The action is the API action (ApplyInstanceSnapshot for a rollback); the denied-action lists show the refusal too.
    'refusals': {},
    'behaviour': {
        # After ApplyInstanceSnapshot on a RUNNING instance: False leaves it STOPPED, True starts it again.
        'start_after_rollback': False,
        # Instance.LatestOperation after a rollback (and the instance's denied-action name for it).
        'rollback_operation_name': 'ApplyInstanceSnapshot',
        # The name filters (instance-name, disk-name, snapshot-name): 'exact', or 'substring' (a value matches
        # every name containing it, as the fuzzy name filters of some Tencent Cloud APIs do).
        'name_filter': 'exact',
        # Unknown ids in DescribeSnapshots (and DescribeSnapshotsDeniedActions), which the API reference leaves open:
        # 'omit' leaves them out of the answer, 'error' refuses the call with ResourceNotFound.SnapshotIdNotFound.
        'unknown_snapshot_ids': 'omit',
        # Whether DescribeInstancesDeniedActions lists a used-up snapshot quota under CreateInstanceSnapshot; when
        # false, only CreateInstanceSnapshot itself refuses it.
        'quota_in_denied_actions': True,
    },
}
ROLLBACK_NAMES = ('ApplyInstanceSnapshot', 'RollbackInstanceSnapshot')
NAME_FILTERS = ('exact', 'substring')
UNKNOWN_ID_READINGS = ('omit', 'error')


def _number(value, minimum, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ValueError('%s must be a number >= %s' % (what, minimum))
    return value


def _integer(value, minimum, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError('%s must be an integer >= %s' % (what, minimum))
    return value


def _check_behaviour(name, value):
    if name == 'start_after_rollback' and not isinstance(value, bool):
        raise ValueError('behaviour.start_after_rollback must be true or false')
    if name == 'rollback_operation_name' and value not in ROLLBACK_NAMES:
        raise ValueError('behaviour.rollback_operation_name must be one of %s' % ', '.join(ROLLBACK_NAMES))
    if name == 'name_filter' and value not in NAME_FILTERS:
        raise ValueError('behaviour.name_filter must be one of %s' % ', '.join(NAME_FILTERS))
    if name == 'unknown_snapshot_ids' and value not in UNKNOWN_ID_READINGS:
        raise ValueError('behaviour.unknown_snapshot_ids must be one of %s' % ', '.join(UNKNOWN_ID_READINGS))
    if name == 'quota_in_denied_actions' and not isinstance(value, bool):
        raise ValueError('behaviour.quota_in_denied_actions must be true or false')
    return value


# For each nested setting: how to check one of its entries.
_ENTRY_CHECKS = {
    'durations': lambda name, value: _number(value, 0, 'durations.' + name),
    'rate_limits': lambda name, value: _integer(value, 0, 'rate_limits.' + name),
    'behaviour': _check_behaviour,
}


def _refusals(value):
    """A valid ``refusals`` setting (it replaces the previous one whole), or ValueError."""
    if not isinstance(value, dict) or not all(isinstance(actions, dict) for actions in value.values()):
        raise ValueError('refusals must map resource ids to {action: error code}')
    for actions in value.values():
        for action, code in actions.items():
            if action not in DEFAULTS['rate_limits'] or not isinstance(code, str):
                raise ValueError('refusals: %r is not an action with an error code' % action)
    return copy.deepcopy(value)


class Settings:
    """The current settings; ``update`` validates a (partial) change, as found in a fleet or a control call."""

    def __init__(self, changes=None):
        self.values = copy.deepcopy(DEFAULTS)
        self.update(changes or {})

    def update(self, changes):
        """Apply ``changes`` (all or nothing); raise ValueError on an unknown key or a bad value."""
        values = copy.deepcopy(self.values)
        for key, value in changes.items():
            if key not in DEFAULTS:
                raise ValueError('unknown setting %r' % key)
            if key in ('time_scale', 'describe_lag'):
                values[key] = _number(value, 0, key)
            elif key == 'snapshot_quota_per_instance':
                values[key] = _integer(value, 0, key)
            elif key == 'refusals':
                values[key] = _refusals(value)
            else:
                if not isinstance(value, dict):
                    raise ValueError('%s must be a mapping' % key)
                for name, entry in value.items():
                    if name not in DEFAULTS[key]:
                        raise ValueError('unknown %s entry %r' % (key, name))
                    values[key][name] = _ENTRY_CHECKS[key](name, entry)
        self.values = values

    def seconds(self, duration):
        """Real seconds of the phase ``duration`` (a key of ``durations``)."""
        return self.values['durations'][duration] * self.values['time_scale']

    def lag(self):
        """Real seconds during which Describe* shows the resources a call changed as they were before it."""
        return self.values['describe_lag'] * self.values['time_scale']

    def __getitem__(self, key):
        return self.values[key]
