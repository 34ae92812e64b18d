"""TC3-HMAC-SHA256 verification, computed the way the Tencent Cloud SDK signs a request."""

import datetime
import hashlib
import hmac
import re

from .errors import ApiError

SERVICE = 'lighthouse'
MAX_SKEW_SECONDS = 300
_AUTHORIZATION = re.compile(
    r'^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s]+)/(?P<scope>[^,\s]+),\s*'
    r'SignedHeaders=(?P<signed_headers>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$'
)


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _hmac(key, message):
    return hmac.new(key, message.encode('utf-8'), hashlib.sha256).digest()


def signature(secret_key, date, string_to_sign):
    """Return the hex TC3 signature of ``string_to_sign`` for the UTC ``date`` (YYYY-MM-DD)."""
    key = _hmac(('TC3' + secret_key).encode('utf-8'), date)
    key = _hmac(key, SERVICE)
    key = _hmac(key, 'tc3_request')
    return hmac.new(key, string_to_sign.encode('utf-8'), hashlib.sha256).hexdigest()


def secret_id_of(headers):
    """Return the SecretId named by the Authorization header, or None (used by the journal)."""
    match = _AUTHORIZATION.match(headers.get('Authorization', '').strip())
    return match['secret_id'] if match else None


def verify(request, credentials, now):
    """Return the SecretId of a correctly signed request, raise ApiError otherwise.

    ``request`` has ``method``, ``query`` (the raw query string), ``headers`` (case-insensitive)
    and ``body`` (bytes); ``credentials`` maps SecretId to ``{"secret_key", "token"}``.
    """
    headers = request.headers
    match = _AUTHORIZATION.match(headers.get('Authorization', '').strip())
    signed_headers = match['signed_headers'].split(';') if match else []
    if 'content-type' not in signed_headers or 'host' not in signed_headers:
        raise ApiError('AuthFailure.InvalidAuthorization',
                       'The Authorization header is missing or is not a TC3-HMAC-SHA256 signature over content-type and host.')
    timestamp = headers.get('X-TC-Timestamp', '')
    if not timestamp.isdigit():
        raise ApiError('AuthFailure.InvalidAuthorization', 'X-TC-Timestamp is missing or is not a Unix time in seconds.')
    credential = credentials.get(match['secret_id'])
    if credential is None:
        raise ApiError('AuthFailure.SecretIdNotFound', 'The SecretId %s does not exist.' % match['secret_id'])
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise ApiError('AuthFailure.SignatureExpire', 'X-TC-Timestamp %s is more than 5 minutes away from the server time.' % timestamp)

    date = datetime.datetime.fromtimestamp(int(timestamp), datetime.timezone.utc).strftime('%Y-%m-%d')
    scope = '%s/%s/tc3_request' % (date, SERVICE)
    payload = b'UNSIGNED-PAYLOAD' if headers.get('X-TC-Content-SHA256') == 'UNSIGNED-PAYLOAD' else request.body
    canonical_headers = ''.join('%s:%s\n' % (name, headers.get(name, '').strip()) for name in signed_headers)
    canonical_request = '\n'.join([request.method, '/', request.query, canonical_headers, match['signed_headers'], _sha256(payload)])
    string_to_sign = '\n'.join(['TC3-HMAC-SHA256', timestamp, scope, _sha256(canonical_request.encode('utf-8'))])
    expected = signature(credential['secret_key'], date, string_to_sign)
    if match['scope'] != scope or not hmac.compare_digest(expected, match['signature']):
        raise ApiError('AuthFailure.SignatureFailure', 'The signature does not match the request.')

    if (headers.get('X-TC-Token') or None) != credential.get('token'):
        raise ApiError('AuthFailure.TokenFailure', 'X-TC-Token is missing or does not belong to this SecretId.')
    return match['secret_id']
