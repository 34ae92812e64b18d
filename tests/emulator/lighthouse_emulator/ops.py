"""The one mechanism for asynchronous operations: timed phases, evaluated lazily from a monotonic clock.

An operation is a list of phases run one after the other. A phase sets ``during`` on its resource's
fields, waits ``seconds``, then sets ``after`` and calls ``on_done`` (a backend hook). Each owner of
the operation shows it in its ``LatestOperation*`` fields: OPERATING from the start, SUCCESS when
the phase given for that owner ends. A failing operation fails in the first phase that would
complete an owner: that phase's resource gets ``revert`` instead of ``after``, its hook is not
called, every owner becomes FAILED and the remaining phases are skipped.

Nothing runs in the background: ``advance()`` (called before every request is handled) ends each
phase whose time has come, in time order, and starts the next one at the time the previous ended.
Each change of an instance's ``InstanceState`` is reported to ``on_state`` (the state history of the
control API), with the Unix time at which it happened, not the time it was observed.
"""

import collections
import heapq
import itertools
import logging
import time

LOG = logging.getLogger(__name__)

Phase = collections.namedtuple('Phase', 'resource seconds during after revert on_done')
Owner = collections.namedtuple('Owner', 'resource name phase')


class Operation:
    """An asynchronous operation started by the API call ``request_id``."""

    def __init__(self, request_id, owners, phases, fail=False):
        self.request_id = request_id
        self.owners = owners
        self.phases = phases
        self.fail_at = min(owner.phase for owner in owners) if fail else None


class Engine:
    """Runs operations; all methods are called with the emulator's lock held."""

    def __init__(self, clock=time.monotonic, wall=time.time, on_state=None):
        self.clock = clock  # monotonic seconds: when phases end
        self.wall = wall  # Unix time: what the API shows (created and started times, history)
        self.on_state = on_state  # called with one history entry (a dict) per instance state change
        self._due = []
        self._order = itertools.count()

    def start(self, operation, started_time):
        """Start ``operation``; ``started_time`` is the ISO time shown as LatestOperationStartedTime."""
        for owner in operation.owners:
            owner.resource.fields.update(LatestOperation=owner.name, LatestOperationState='OPERATING',
                                         LatestOperationRequestId=operation.request_id)
            if 'LatestOperationStartedTime' in owner.resource.fields:
                owner.resource.fields['LatestOperationStartedTime'] = started_time
        self._enter(operation, 0, self.clock())

    def advance(self):
        """End every phase that is due by now."""
        now = self.clock()
        while self._due and self._due[0][0] <= now:
            end, order, operation, index = heapq.heappop(self._due)
            self._leave(operation, index, end)

    def clear(self):
        """Forget all running operations (reset)."""
        self._due = []

    def _enter(self, operation, index, start):
        phase = operation.phases[index]
        self._set(phase.resource, phase.during, operation, start)
        phase.resource.progress = (start, start + phase.seconds)
        heapq.heappush(self._due, (start + phase.seconds, next(self._order), operation, index))

    def _leave(self, operation, index, end):
        phase = operation.phases[index]
        phase.resource.progress = ()
        if index == operation.fail_at:
            self._set(phase.resource, phase.revert, operation, end)
            _finish(operation.owners, 'FAILED')
            return
        self._set(phase.resource, phase.after, operation, end)
        try:
            phase.on_done()
        except Exception:
            LOG.exception('backend hook failed for %s', phase.resource.id)
        _finish([owner for owner in operation.owners if owner.phase == index], 'SUCCESS')
        if index + 1 < len(operation.phases):
            self._enter(operation, index + 1, end)

    def _set(self, resource, fields, operation, at):
        """Update ``resource`` with ``fields`` at the monotonic time ``at``; report an instance's state change."""
        previous = resource.fields.get('InstanceState')
        resource.fields.update(fields)
        if self.on_state and resource.kind == 'instance' and fields.get('InstanceState', previous) != previous:
            self.on_state({'seq': None, 'time': self.wall() - (self.clock() - at), 'instance_id': resource.id, 'region': resource.region,
                           'state': fields['InstanceState'], 'previous': previous,
                           'operation': resource.fields.get('LatestOperation'), 'request_id': operation.request_id})


def _finish(owners, state):
    for owner in owners:
        owner.resource.fields['LatestOperationState'] = state
