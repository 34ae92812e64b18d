# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# PRIVATE to the tencentcloud.lighthouse collection: no compatibility promises, do not import
# from outside this collection.

"""Build a Lighthouse API client from the shared options and call actions through the retry policy."""

from __future__ import annotations

import ipaddress
import ssl
import traceback
from urllib.parse import urlsplit

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import (
    CLIENT_ERROR,
    ENDPOINT_UNREACHABLE,
    INVALID_RESPONSE,
    LighthouseError,
    short,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Pacer, Retry

try:
    from tencentcloud.common.credential import Credential, DefaultCredentialProvider
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.lighthouse.v20200324.lighthouse_client import LighthouseClient
except ImportError:
    HAS_SDK = False
    SDK_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_SDK = True
    SDK_IMPORT_ERROR = None

# The name missing_required_lib() shows when the SDK cannot be imported.
SDK_REQUIREMENT = 'tencentcloud-sdk-python-common and tencentcloud-sdk-python-lighthouse'

DEFAULT_API_TIMEOUT = 30
# The SDK's own endpoint, used when none is given.
DEFAULT_ENDPOINT = 'lighthouse.tencentcloudapi.com'

_NO_CREDENTIALS = (
    'no credentials found: set secret_id and secret_key (or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), '
    'write a [default] profile to ~/.tencentcloud/credentials, or run on a CVM with a CAM role'
)


def parse_endpoint(endpoint, allow_plain_http=False):
    """Split an endpoint into (protocol, host[:port]); a bare host means https. None means the SDK default.

    Plain http is refused, before any request, for a host that is not on the loopback interface unless
    `allow_plain_http`: the request would carry the signature and any security token unencrypted.
    """
    if not endpoint:
        return 'https', None
    url = urlsplit(endpoint if '://' in endpoint else 'https://' + endpoint)
    try:
        port_ok = url.port is None or url.port > 0
    except ValueError:
        port_ok = False
    if url.scheme.lower() not in ('http', 'https') or not url.hostname or not port_ok or url.path not in ('', '/') or url.query or url.fragment:
        raise LighthouseError(CLIENT_ERROR, 'endpoint %s is not a host[:port], an http:// URL or an https:// URL' % short(repr(endpoint)))
    if url.scheme.lower() == 'http' and not allow_plain_http and not is_loopback(url.hostname):
        raise LighthouseError(CLIENT_ERROR, 'endpoint %s is plain http to a host that is not on this machine, so the request and the '
                                            'security token would travel unencrypted; use https, or set allow_plain_http: true if you '
                                            'must' % short(repr(endpoint)))
    return url.scheme.lower(), url.netloc


def is_loopback(host):
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_credential(secret_id=None, secret_key=None, security_token=None):
    """A Credential from an explicit key pair, else the SDK's default chain (profile file, CVM role, TKE OIDC)."""
    try:
        if secret_id or secret_key:
            if not (secret_id and secret_key):
                raise LighthouseError(CLIENT_ERROR, 'secret_id and secret_key must be given together')
            return Credential(secret_id, secret_key, security_token or None)
        return DefaultCredentialProvider().get_credential()
    except TencentCloudSDKException as err:
        if err.get_code() == 'InvalidCredential':
            raise LighthouseError(err.get_code(), err.get_message()) from None
        raise LighthouseError(CLIENT_ERROR, _NO_CREDENTIALS) from None
    except OSError:
        # The SDK's TKE provider raises OSError("TKE_REGION not exist") when nothing is configured.
        raise LighthouseError(CLIENT_ERROR, _NO_CREDENTIALS) from None


def connect(params, retry=None, deadline=None, pacer=None, pacing_dir=None):
    """Return a Client for the shared auth/place options in `params` (see _base.AUTH_ARGSPEC).

    With `pacing_dir`, the `pacer` paces the calls together with the other tasks of the control node that use
    the same SecretId (see Pacer.share).
    """
    region = params.get('region')
    if not region:
        raise LighthouseError(CLIENT_ERROR, 'a region is required: set region or TENCENTCLOUD_REGION')
    protocol, host = parse_endpoint(params.get('endpoint'), params.get('allow_plain_http'))
    http_profile = HttpProfile(protocol=protocol, endpoint=host, reqTimeout=params.get('api_timeout') or DEFAULT_API_TIMEOUT)
    if params.get('validate_certs') is False:
        http_profile.certification = False
    # No region breaker (it hides network errors) and no SDK retryer: Retry owns retrying.
    profile = ClientProfile(httpProfile=http_profile, language='en-US', disable_region_breaker=True)
    credential = make_credential(params.get('secret_id'), params.get('secret_key'), params.get('security_token'))
    if pacer is not None and pacing_dir and params.get('secret_id'):
        pacer.share(pacing_dir, params['secret_id'])
    return Client(LighthouseClient(credential, region, profile), region, retry, deadline, pacer, '%s://%s' % (protocol, host or DEFAULT_ENDPOINT))


class Client:
    """Calls Lighthouse actions by name; answers are plain dicts, failures LighthouseError."""

    def __init__(self, sdk_client, region, retry=None, deadline=None, pacer=None, endpoint=None):
        self.region = region
        self.endpoint = endpoint
        self.deadline = deadline
        self._sdk_client = sdk_client
        self._retry = retry or Retry()
        self._pacer = pacer or Pacer()

    def call(self, action, params=None):
        """Return the ``Response`` body of `action` (including ``RequestId``).

        Calls keep under the action's rate limit (Pacer); throttled errors, and transient errors of
        ``Describe*`` actions, are retried within the client's deadline (see Retry.call).
        """
        return self._retry.call(lambda: self._send(action, params or {}), self.deadline, action.startswith('Describe'))

    def _send(self, action, params):
        self._pacer.wait(action)
        try:
            return self._sdk_client.call_json(action, params)['Response']
        except TencentCloudSDKException as err:
            reason = unreachable_reason(err) if err.get_code() == 'ClientNetworkError' else None
            if reason:
                raise LighthouseError(ENDPOINT_UNREACHABLE, (
                    'cannot reach the Lighthouse API at the endpoint %s (the option endpoint, or TENCENTCLOUD_LIGHTHOUSE_ENDPOINT): %s; '
                    'expected http:// or https:// and the host[:port] where the API answers') % (short(repr(self.endpoint)), reason),
                    action=action) from None
            raise LighthouseError(err.get_code(), to_text(err.get_message()), err.get_request_id(), action) from None
        except (ValueError, KeyError, TypeError) as err:
            raise LighthouseError(INVALID_RESPONSE, 'unexpected answer to %s: %s' % (action, to_text(err)), action=action) from None


def unreachable_reason(error):
    """Why no request can reach the endpoint, found among the causes of an SDK network error; None for a passing fault.

    A refused connection and a failed TLS handshake happen before any request is sent, so they are told at once,
    not retried until the deadline like a lost answer.
    """
    for cause in _causes(error):
        if isinstance(cause, ConnectionRefusedError):
            return 'it refuses connections (nothing listens on that port)'
        if isinstance(cause, ssl.SSLCertVerificationError):
            return 'its TLS certificate cannot be verified (%s); for a test server only, set validate_certs: false' % (
                cause.verify_message or cause.reason)
        if isinstance(cause, ssl.SSLError):
            return 'the TLS handshake failed (%s): if the endpoint speaks plain http, write it as http://...' % (cause.reason or cause)
    return None


def _causes(error):
    """The exception and every exception it came from (``__cause__``, ``__context__``, urllib3's ``reason``, a wrapped argument)."""
    seen = []
    while error is not None and not any(error is item for item in seen):
        seen.append(error)
        following = error.__cause__ or error.__context__
        if following is None and isinstance(getattr(error, 'reason', None), BaseException):
            following = error.reason
        if following is None and error.args and isinstance(error.args[0], BaseException):
            following = error.args[0]
        error = following
    return seen
