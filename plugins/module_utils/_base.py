# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""What every module shares: the option groups, the client, the waiter, results and the one fail path."""

from __future__ import annotations

import os
import random
import time

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._client import (
    DEFAULT_API_TIMEOUT,
    HAS_SDK,
    SDK_IMPORT_ERROR,
    SDK_REQUIREMENT,
    connect,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import BUSY, INVALID_RESPONSE, TRANSIENT, LighthouseError, short
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Pacer, Retry
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import DONE, PENDING, Deadline, Waiter

DEFAULT_WAIT_TIMEOUT = 1200
# Under ~/.ansible/tmp: the schedules the control node's tasks share to keep inside the API's rate limits.
PACING_DIR_NAME = 'tencentcloud-lighthouse-pacing'
# Refusals that say the resource is no longer in the state the request was planned for: another client changed it
# between the look and the call. The request is planned again once from a fresh look, like a busy refusal.
STALE_PLAN_CODES = frozenset(('UnsupportedOperation.InvalidInstanceState', 'UnsupportedOperation.InvalidSnapshotState'))

# Documented by the doc fragment tencentcloud.lighthouse.common.
AUTH_ARGSPEC = dict(
    secret_id=dict(type='str', no_log=False, fallback=(env_fallback, ['TENCENTCLOUD_SECRET_ID'])),
    secret_key=dict(type='str', no_log=True, fallback=(env_fallback, ['TENCENTCLOUD_SECRET_KEY'])),
    security_token=dict(type='str', no_log=True, fallback=(env_fallback, ['TENCENTCLOUD_SECURITY_TOKEN', 'TENCENTCLOUD_TOKEN'])),
    region=dict(type='str', fallback=(env_fallback, ['TENCENTCLOUD_REGION'])),
    endpoint=dict(type='str', fallback=(env_fallback, ['TENCENTCLOUD_LIGHTHOUSE_ENDPOINT'])),
    validate_certs=dict(type='bool', default=True),
    allow_plain_http=dict(type='bool', default=False),
    api_timeout=dict(type='int', default=DEFAULT_API_TIMEOUT),
)

# Documented by the doc fragment tencentcloud.lighthouse.wait.
WAIT_ARGSPEC = dict(
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=DEFAULT_WAIT_TIMEOUT),
)

# Documented by the doc fragment tencentcloud.lighthouse.retry: the read-only modules' deadline.
DEFAULT_RETRY_TIMEOUT = 120
RETRY_ARGSPEC = dict(
    retry_timeout=dict(type='int', default=DEFAULT_RETRY_TIMEOUT),
)


class LighthouseModule:
    """An AnsibleModule with the shared options, a lazily built client and the collection's fail path.

    `argument_spec` holds the module's own options; `wait=True` adds WAIT_ARGSPEC and starts the
    run's one deadline (``wait_timeout`` seconds), `retry=True` (the read-only modules) adds RETRY_ARGSPEC
    and starts it from ``retry_timeout``. Other keyword arguments go to AnsibleModule.
    The run's one Retry and one Waiter are built here and read the time through `clock`, `sleep`
    and `random`, the only three places unit tests replace to run a module on a fake clock.
    """

    clock = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)
    random = staticmethod(random.random)
    # Whether calls are paced together with the control node's other tasks (unit tests, on a fake clock, do not).
    share_pacing = True

    def __init__(self, argument_spec, wait=False, retry=False, **kwargs):
        spec = dict(AUTH_ARGSPEC, **(WAIT_ARGSPEC if wait else RETRY_ARGSPEC if retry else {}))
        spec.update(argument_spec)
        self.ansible = AnsibleModule(argument_spec=spec, **kwargs)
        self._started = self.clock()
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode
        # Extra keys for the result; modules add to it as they go, so a failure still reports them.
        self.result = {}
        if not HAS_SDK:
            self.ansible.fail_json(msg=missing_required_lib(SDK_REQUIREMENT), exception=SDK_IMPORT_ERROR)
        for name in ('api_timeout', 'wait_timeout', 'retry_timeout'):
            if self.params.get(name) is not None and self.params[name] <= 0:
                self.ansible.fail_json(msg='%s must be a positive number of seconds, got %d' % (name, self.params[name]))
        if self.params['validate_certs'] is False:
            self.ansible.warn('validate_certs is false: the identity of the HTTPS endpoint is not checked, so a machine in '
                              'the middle could read the credentials and answer in the API\'s place')
        timeout = self.params.get('wait_timeout') or self.params.get('retry_timeout')
        self.deadline = Deadline(timeout, self.clock) if timeout else None
        self.retry = Retry(sleep=self.sleep, rand=self.random)
        self.waiter = Waiter(sleep=self.sleep)
        self.pacer = Pacer(self.clock, self.sleep)
        self._clients = {}

    @property
    def client(self):
        """The Client, built on first use (raises LighthouseError for bad credentials, region or endpoint)."""
        return self.client_in(None)

    def client_in(self, region):
        """The Client for `region` (None or empty: the task's own ``region``), built on first use and kept."""
        region = region or self.params['region']
        if region not in self._clients:
            pacing_dir = os.path.join(os.path.expanduser('~'), '.ansible', 'tmp', PACING_DIR_NAME) if self.share_pacing else None
            self._clients[region] = connect(dict(self.params, region=region), self.retry, self.deadline, self.pacer, pacing_dir)
        return self._clients[region]

    @property
    def waits(self):
        """True when the module waits for the outcome of what it sends (not in check mode, nor with ``wait: false``)."""
        return bool(self.params.get('wait')) and not self.check_mode

    def settle_and_send(self, what, probe, plan, send, describe, view=None, adopt=None, guarded=None):
        """Wait for resources to settle, then send only the requests still needed; return the view they were planned from.

        `probe` is a Waiter probe over the resources: ``(DONE, view)`` once they have settled, PENDING
        while an operation runs (it may raise when the task cannot go on). `plan(view)` lists the requests
        still needed (never one already sent or adopted) and `send(request)` sends one; each accepted
        request sets ``changed``. A `view` the caller has just seen is planned from without looking
        again. Nothing is sent in check mode.

        A request is never sent again blindly:

        - refused because a resource is busy: after a backoff pause the resources are settled and planned
          again, so only what is still needed is sent (nothing when another client got there meanwhile);
          a refusal saying the resource is no longer in the state planned for (STALE_PLAN_CODES) is planned
          again the same way, once;
        - met by a transient error or a lost answer, after which it may have taken effect (``changed`` is
          set from then on): the resources are read until ``adopt(request, before, after)`` (views from
          before the call and now) says they show it, and the module records the operation. Reads may lag
          behind the cloud for longer than any grace, so no length of time without a sign shows that the
          request never arrived. Only a request for which ``guarded(request)`` is true, one the API refuses
          once an identical one has taken effect (a stop of a stopped instance), is sent again to find out:
          accepted, the first never arrived; refused as planned for a state the resources have left, the
          first took effect and is awaited like any other. When the deadline comes first, the task fails
          saying the change may have been made.

        Other errors, and a refusal whose pause would pass the deadline, are raised.
        """
        refusals = 0
        stale = False  # whether a request was refused as planned for a state that had changed
        unsure = None  # (request, view it was planned from, error) of a change that may have taken effect
        resend = False  # whether sending `unsure` again is how to find out whether it took effect
        while True:
            if unsure and not resend:
                view = self._settle('its resources to show it', _showing(probe, adopt, unsure), describe, unsure)
                unsure = None
            elif view is None:
                view = self._settle(what, probe, describe, unsure)
                if unsure and adopt(unsure[0], unsure[1], view):
                    unsure = None
            failure = self._send_planned([] if self.check_mode else plan(view), send)
            if failure is None:
                return view
            request, error = failure
            if unsure and error.code in STALE_PLAN_CODES:
                resend = False  # sent again, it was refused by the state the first one left: it took effect
            elif adopt is not None and (error.kind == TRANSIENT or error.code == INVALID_RESPONSE):
                unsure, resend = (request, view, error), bool(guarded and guarded(request))
                self.result['changed'] = True
            elif error.code in STALE_PLAN_CODES and not stale:
                stale = True
            else:
                refusals += 1
                if error.kind != BUSY or not self.retry.backoff(refusals, self.deadline):
                    raise _maybe_made(unsure[2], 'sending it again met %s' % error) if unsure else error
            view = None

    def _send_planned(self, requests, send):
        """Send each request, setting ``changed`` as each is accepted; return (request, error) for the first that fails, or None."""
        for request in requests:
            try:
                send(request)
            except LighthouseError as error:
                return request, error
            self.result['changed'] = True
        return None

    def _settle(self, what, probe, describe, unsure):
        """The settled view; while a change's outcome is unknown, a wait that fails says the change may have been made."""
        try:
            return self.waiter.wait(what, probe, self.deadline, describe)
        except LighthouseError as err:
            if not unsure:
                raise
            raise _maybe_made(unsure[2], err.message) from None

    def elapsed(self):
        return round(self.clock() - self._started, 3)

    def run(self, work, failure, check_options, **ids):
        """Exit with ``work(self)`` (a dict, or None) merged into `result`, or fail on LighthouseError.

        `check_options(params)` first: the module's checks of its options that need no call, raising LighthouseError,
        so that bad input never reaches a credential provider or the API (the client is built on first use).
        `failure` completes "Failed to ...", e.g. "describe instances" (inputs in it shown with short());
        `ids` (the resources involved, None when there are none; overlong ones cut) are added to a failure's
        result. ``changed`` defaults to false.
        """
        try:
            check_options(self.params)
            self.result.update(work(self) or {})
        except LighthouseError as err:
            self.result.update((name, _shortened(value)) for name, value in ids.items() if value is not None)
            # The error's own request id wins; without one, keep the id of the call the module last made.
            request_id = err.request_id or self.result.pop('request_id', None)
            self.result.update(msg='Failed to %s: %s' % (failure, err.message), error_code=err.code,
                               request_id=request_id, elapsed=self.elapsed())
            self.ansible.fail_json(**self.result)
        self.result.setdefault('changed', False)
        self.ansible.exit_json(elapsed=self.elapsed(), **self.result)


def _maybe_made(error, why):
    """The error for a change whose outcome could not be found out (``changed`` is already set: it may have been made)."""
    return LighthouseError(error.code, '%s may have taken effect: its outcome is unknown after %s (%s), and %s' % (
        error.action or 'the change', error.code, error.message, why), error.request_id, error.action)


def _showing(probe, adopt, unsure):
    """`probe`, DONE only once the settled resources show the unsure change (adopt() records it)."""
    request, before, _error = unsure

    def shown():
        status, view = probe()
        if status == DONE and not adopt(request, before, view):
            return PENDING, view
        return status, view
    return shown


def _shortened(value):
    """An id, or a list of ids, for a failure's result: an overlong input is cut (see short())."""
    return [short(item) for item in value] if isinstance(value, list) else short(value)
