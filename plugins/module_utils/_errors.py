# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""The collection's one exception type and the classes of Tencent Cloud error codes.

Throttled codes are retried with backoff (the API refused the call before acting); transient codes are
retried for reads, while a change that meets one may have taken effect and is reconciled with what the
resources show; busy codes wait for the resource to settle, then plan again; every other code is fatal.
"""

from __future__ import annotations

THROTTLED = 'throttled'
TRANSIENT = 'transient'
BUSY = 'busy'
FATAL = 'fatal'

_TRANSIENT_CODES = frozenset(('ClientNetworkError', 'ServerNetworkError', 'ServiceUnavailable'))
_BUSY_CODES = frozenset((
    'UnsupportedOperation.LatestOperationUnfinished',
    'OperationDenied.InstanceOperationInProgress',
    'UnsupportedOperation.DiskBusy',
    'UnsupportedOperation.SnapshotBusy',
    'UnsupportedOperation.DiskLatestOperationUnfinished',
))

# How many characters of an input a message shows: a longer one is cut, with its length.
MAX_SHOWN = 80

# Codes raised by this collection itself, never by the API.
WAIT_TIMEOUT = 'WaitTimeout'
OPERATION_FAILED = 'OperationFailed'
CLIENT_ERROR = 'ClientError'
INVALID_RESPONSE = 'InvalidResponse'
# No request can reach the API's endpoint (connection refused, TLS failure): told at once, never retried.
ENDPOINT_UNREACHABLE = 'EndpointUnreachable'
# Another operation started on a resource after the one a task was told to follow: someone else is working on it.
OPERATION_CHANGED = 'OperationChanged'
# Raised by a module: other instances of the fleet are down, so taking more down would break the disruption budget.
FLEET_UNAVAILABLE = 'FleetUnavailable'


def classify(code):
    """Return THROTTLED, TRANSIENT, BUSY or FATAL for an error code; unknown codes are FATAL."""
    code = code or ''
    if code.startswith('RequestLimitExceeded'):
        return THROTTLED
    if code in _TRANSIENT_CODES or code.startswith('InternalError') or code.endswith('.SystemBusy'):
        return TRANSIENT
    if code in _BUSY_CODES:
        return BUSY
    return FATAL


def short(value, limit=MAX_SHOWN):
    """`value` as text for a message or a result, cut to `limit` characters: a long input shows its start and its length."""
    text = '%s' % (value,)
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


class LighthouseError(Exception):
    """A failed call or check: the API (or local) error code, a message, the request id and the action, if any."""

    def __init__(self, code, message, request_id=None, action=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.action = action

    @property
    def kind(self):
        return classify(self.code)

    def __str__(self):
        return '%s (%s)' % (self.message, self.code)


class WaitTimeoutError(LighthouseError):
    """The deadline passed before the awaited condition held."""

    def __init__(self, what, timeout, last_seen):
        super().__init__(WAIT_TIMEOUT, 'timed out after %gs waiting for %s; last seen: %s' % (timeout, what, last_seen))


class OperationFailedError(LighthouseError):
    """The cloud reported the awaited asynchronous operation as FAILED."""

    def __init__(self, what, details, request_id=None):
        super().__init__(OPERATION_FAILED, '%s failed: %s' % (what, details), request_id)
