"""The emulator core, independent of HTTP: the API pipeline and the control API.

An API request goes: journal entry -> signature -> common headers -> body -> rate limit ->
injected fault -> parameters and action. Every request, rejected or not, ends up in the journal.
"""

import collections
import json
import logging
import threading
import time
import urllib.parse
import uuid

from . import fleet as fleets
from .actions import REGION_NAMES, SCHEMAS, Lighthouse
from .backends import Backend
from .errors import ApiError
from .faults import REQUEST_KINDS, Faults, ids_in
from .journal import Journal
from .model import IdFactory, Store
from .ops import Engine
from .params import decode
from .ratelimit import RateLimiter
from .settings import DEFAULTS, Settings
from .signing import secret_id_of, verify

API_VERSION = '2020-03-24'
DROP = object()  # "close the connection without answering"
LOG = logging.getLogger(__name__)

Request = collections.namedtuple('Request', 'method query headers body')


class Dropped(Exception):
    """A ``drop`` fault: the request is not answered."""


def _params_or_none(request):
    try:
        return decode(request.method, request.query, request.body)
    except ApiError:
        return None


def _check_common(action, version, region):
    if not action:
        raise ApiError('MissingParameter', 'The X-TC-Action header is required.')
    if action not in SCHEMAS:
        raise ApiError('InvalidAction', 'The action %s does not exist.' % action)
    if not version:
        raise ApiError('MissingParameter', 'The X-TC-Version header is required.')
    if version != API_VERSION:
        raise ApiError('NoSuchVersion', 'The version %s does not exist; use %s.' % (version, API_VERSION))
    if region and region not in REGION_NAMES:
        raise ApiError('UnsupportedRegion', 'The region %s is not supported.' % region)
    if not region and action != 'DescribeRegions':
        raise ApiError('MissingParameter', 'The X-TC-Region header is required.')


class Emulator:
    """All state, guarded by one lock.

    ``clock`` (monotonic seconds), ``wall`` (Unix time) and ``sleep`` are the emulator's only sources
    of time: unit tests pass a fake clock and drive the API in-process through ``call()``.
    """

    def __init__(self, fleet, region, secret_id, secret_key, backend, clock=time.monotonic, wall=time.time, sleep=time.sleep):
        self.lock = threading.Lock()
        self.region = region
        self.start_fleet = fleet
        self.backend = backend
        self.clock, self.wall, self.sleep = clock, wall, sleep
        self.server_info = {}
        self.journal = Journal()
        self.history = Journal()  # instance state changes: the same numbering rules as the journal
        self.faults = Faults(SCHEMAS)
        self.limiter = RateLimiter(clock)
        self._cli_credentials = (secret_id, secret_key)
        self.credentials = self.service = None
        self.load(fleet)

    def _build(self, fleet, backend, faults, on_state=None):
        engine = Engine(self.clock, self.wall, on_state)
        service = Lighthouse(Store(), engine, Settings(fleets.settings_of(fleet)), backend, faults, IdFactory())
        fleets.seed(service, fleet, self.region)
        return fleets.credentials(fleet, *self._cli_credentials), service

    def load(self, fleet):
        """Replace all state with a fresh copy of ``fleet``; a bad fleet raises ValueError and changes nothing."""
        fleets.check_keys(fleet, fleets.TOP_KEYS, 'fleet')
        self._build(fleet, Backend(), Faults(SCHEMAS))  # a dry run, to validate
        self.backend.reset()
        self.journal.clear()
        self.history.clear()
        self.faults.clear()
        self.limiter.clear()
        self.credentials, self.service = self._build(fleet, self.backend, self.faults, self.history.add)

    # ---- the API

    def api(self, request):
        """Answer one signed HTTP API request: the JSON body to send, or DROP."""
        headers = request.headers
        entry = self._entry(headers.get('X-TC-Action'), headers.get('X-TC-Region'), _params_or_none(request), secret_id_of(headers))
        return self._answer(entry, lambda: self._handle(request, entry))

    def call(self, action, region, params, secret_id):
        """Answer one API call made in-process (no HTTP, no signature): the same pipeline from the common checks on."""
        entry = self._entry(action, region, params, secret_id)

        def handle():
            _check_common(action, API_VERSION, region)
            return self.dispatch(entry, params)
        return self._answer(entry, handle)

    def _entry(self, action, region, params, secret_id):
        return {'seq': None, 'time': self.wall(), 'action': action, 'region': region, 'params': params, 'secret_id': secret_id,
                'request_id': str(uuid.uuid4()), 'error_code': None, 'error_message': None, 'fault': None, 'handled': False}

    def _answer(self, entry, handle):
        """Run ``handle()`` for the journal ``entry``: ``{"Response": ...}`` with the answer or the error, or DROP."""
        request_id = entry['request_id']
        body = None
        try:
            body = dict(handle(), RequestId=request_id)
        except Dropped:
            pass
        except Exception as error:
            if not isinstance(error, ApiError):
                LOG.exception('internal error in %s', entry['action'])
                error = ApiError('InternalError', 'Internal error of the emulator: %s' % error)
            entry.update(error_code=error.code, error_message=error.message)
            body = {'Error': {'Code': error.code, 'Message': error.message}, 'RequestId': request_id}
        with self.lock:
            self.journal.add(entry)
        LOG.info('%s %s %s %s', entry['action'], entry['region'], entry['error_code'] or entry['fault'] or 'OK', request_id)
        return DROP if entry['fault'] == 'drop' else {'Response': body}

    def _handle(self, request, entry):
        with self.lock:
            entry['secret_id'] = verify(request, self.credentials, self.wall())
            _check_common(entry['action'], request.headers.get('X-TC-Version'), entry['region'])
            params = decode(request.method, request.query, request.body)
        return self.dispatch(entry, params, request.method == 'GET')

    def dispatch(self, entry, params, from_query=False):
        """The pipeline after the signature and the common checks: rate limit, injected fault, action."""
        action = entry['action']
        with self.lock:
            self.limiter.check(entry['secret_id'], action, self.service.settings['rate_limits'][action])
            fault = self.faults.take(action, ids_in(params), REQUEST_KINDS)
        if fault:
            entry['fault'] = fault['kind']
            if fault['kind'] == 'error' and not fault['processed']:
                raise ApiError(fault['code'], fault['message'])
            if fault['kind'] == 'delay':
                self.sleep(fault['seconds'])
            if fault['kind'] == 'drop' and not fault['processed']:
                raise Dropped()
        with self.lock:
            self.service.engine.advance()
            answer = self.service.call(action, entry['region'], params, entry['request_id'], from_query)
            entry['handled'] = True  # the action ran and changed what it changes, whatever the caller is told
        if fault and fault['kind'] == 'error':
            # Handled, then answered with the error: the change took effect although the caller is told otherwise.
            raise ApiError(fault['code'], fault['message'])
        return answer

    # ---- the control API

    def control(self, method, path, query, body):
        """Answer a control-API call (``path`` without the /_emulator/ prefix): (HTTP status, JSON-able payload)."""
        routes = {
            ('GET', 'journal'): self._journal,
            ('GET', 'history'): self._history,
            ('GET', 'faults'): lambda data, query: self.faults.list(),
            ('POST', 'faults'): lambda data, query: self.faults.add(data),
            ('DELETE', 'faults'): self._clear_faults,
            ('POST', 'reset'): self._reset,
            ('GET', 'state'): lambda data, query: self.state(),
            ('GET', 'settings'): lambda data, query: self.service.settings.values,
            ('POST', 'settings'): self._settings,
        }
        handler = routes.get((method, path))
        if handler is None:
            return 404, {'error': 'no control endpoint %s /_emulator/%s' % (method, path)}
        try:
            data = json.loads(body.decode('utf-8') or 'null')
            with self.lock:
                self.service.engine.advance()
                return 200, handler(data, urllib.parse.parse_qs(query))
        except ValueError as error:
            return 400, {'error': str(error)}
        except Exception as error:
            LOG.exception('control call %s %s failed', method, path)
            return 500, {'error': str(error)}

    def _journal(self, data, query):
        return self.journal.since(int(query.get('since', ['0'])[0]))

    def _history(self, data, query):
        return self.history.since(int(query.get('since', ['0'])[0]))

    def _clear_faults(self, data, query):
        self.faults.clear()
        return []

    def _reset(self, data, query):
        data = fleets.check_keys(data or {}, {'fleet', 'instances'}, 'reset body')
        if len(data) > 1:
            raise ValueError('reset takes "fleet" or "instances", not both')
        if 'instances' in data:
            self.load(dict(self.start_fleet, instances=data['instances']))
        else:
            self.load(data.get('fleet', self.start_fleet))
        return self.state()

    def _settings(self, data, query):
        self.service.settings.update(fleets.check_keys(data, set(DEFAULTS), 'settings'))
        return self.service.settings.values

    def state(self):
        """Every resource in its API shape, plus its region (and the backend's facts for instances)."""
        now = self.service.engine.clock()
        store = self.service.store
        return {
            'server': self.server_info,
            'backend': self.backend.info(),
            'settings': self.service.settings.values,
            'instances': [dict(r.render(now), region=r.region, **self.backend.details(r.id)) for r in store.list('instance')],
            'disks': [dict(r.render(now), region=r.region) for r in store.list('disk')],
            'snapshots': [dict(r.render(now), region=r.region) for r in store.list('snapshot')],
        }
