# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from tencentcloud.common.credential import CVMRoleCredential, DefaultCredentialProvider
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._client import Client, connect, make_credential, parse_endpoint
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Pacer, Retry
from ansible_collections.tencentcloud.lighthouse.tests.emulator.lighthouse_emulator.manual import ManualClock

SECRET_KEY = 'unit-test-secret-key-0123456789'
PARAMS = {'secret_id': 'AKIDUNITTEST', 'secret_key': SECRET_KEY, 'region': 'ap-guangzhou'}


@pytest.mark.parametrize('endpoint, expected', [
    (None, ('https', None)),
    ('', ('https', None)),
    ('http://127.0.0.1:8080', ('http', '127.0.0.1:8080')),
    ('http://127.0.0.1:8080/', ('http', '127.0.0.1:8080')),
    ('HTTPS://lighthouse.tencentcloudapi.com', ('https', 'lighthouse.tencentcloudapi.com')),
    ('lighthouse.intl.tencentcloudapi.com', ('https', 'lighthouse.intl.tencentcloudapi.com')),
    ('localhost:9443', ('https', 'localhost:9443')),
])
def test_parse_endpoint(endpoint, expected):
    assert parse_endpoint(endpoint) == expected


@pytest.mark.parametrize('endpoint', ['ftp://example.com', 'http://', 'http://host/path', 'https://host?x=1', 'http://host/#top'])
def test_parse_endpoint_rejects_what_the_sdk_cannot_use(endpoint):
    with pytest.raises(LighthouseError) as caught:
        parse_endpoint(endpoint)
    assert caught.value.code == 'ClientError'
    assert repr(endpoint) in caught.value.message


@pytest.mark.parametrize('endpoint', ['http://lighthouse.example.com', 'http://10.0.0.1:8080', 'http://[2001:db8::1]', 'http://localhost.example.com'])
def test_plain_http_to_another_machine_is_refused_unless_allowed(endpoint):
    with pytest.raises(LighthouseError) as caught:
        parse_endpoint(endpoint)
    assert caught.value.code == 'ClientError'
    assert caught.value.message.startswith('endpoint %r is plain http to a host that is not on this machine' % endpoint)
    assert 'allow_plain_http: true' in caught.value.message
    assert parse_endpoint(endpoint, allow_plain_http=True)[0] == 'http'


@pytest.mark.parametrize('endpoint', ['http://127.0.0.1:8080', 'http://127.3.4.5', 'http://localhost:9', 'http://LOCALHOST', 'http://[::1]:8080'])
def test_plain_http_to_this_machine_is_allowed(endpoint):
    assert parse_endpoint(endpoint)[0] == 'http'


def test_a_long_endpoint_is_cut_in_the_message():
    with pytest.raises(LighthouseError) as caught:
        parse_endpoint('ftp://' + 'x' * 100000)
    assert len(caught.value.message) < 200
    assert '(100008 characters)' in caught.value.message


def test_a_bad_port_is_refused():
    with pytest.raises(LighthouseError) as caught:
        parse_endpoint('https://host:http')
    assert caught.value.code == 'ClientError'


@pytest.mark.parametrize('extra, protocol, host, certification', [
    ({}, 'https', 'lighthouse.tencentcloudapi.com', None),
    ({'endpoint': 'http://127.0.0.1:8080'}, 'http', '127.0.0.1:8080', None),
    ({'endpoint': 'https://10.0.0.1', 'validate_certs': False}, 'https', '10.0.0.1', False),
    ({'endpoint': 'https://10.0.0.1', 'validate_certs': True}, 'https', '10.0.0.1', None),
])
def test_connect_configures_the_sdk(extra, protocol, host, certification):
    client = connect(dict(PARAMS, api_timeout=7, **extra))
    sdk = client._sdk_client
    assert (sdk.profile.httpProfile.scheme, sdk._get_endpoint(), sdk.profile.httpProfile.certification) == (protocol, host, certification)
    assert sdk.profile.httpProfile.reqTimeout == 7
    assert sdk.profile.disable_region_breaker is True
    assert sdk.profile.retryer is None
    assert (client.region, sdk.region) == ('ap-guangzhou', 'ap-guangzhou')


def test_connect_defaults_the_api_timeout():
    assert connect(PARAMS)._sdk_client.profile.httpProfile.reqTimeout == 30


def test_connect_shares_the_pacing_of_the_account_in_the_directory_given(tmp_path):
    pacer = Pacer()
    connect(PARAMS, pacer=pacer, pacing_dir=str(tmp_path / 'pacing'))
    pacer.wait('DescribeRegions')
    assert [name.split('-', 1)[1] for name in os.listdir(str(tmp_path / 'pacing'))] == ['DescribeRegions']


def test_connect_without_a_directory_leaves_the_pacer_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pacer = Pacer()
    connect(PARAMS, pacer=pacer)
    pacer.wait('DescribeRegions')
    assert os.listdir(str(tmp_path)) == []


def test_connect_needs_a_region(clean_env):
    with pytest.raises(LighthouseError) as caught:
        connect(dict(PARAMS, region=None))
    assert caught.value.code == 'ClientError'
    assert 'TENCENTCLOUD_REGION' in caught.value.message


def test_explicit_credential_with_token():
    credential = make_credential('AKIDUNITTEST', SECRET_KEY, 'a-token')
    assert credential.get_credential_info() == ('AKIDUNITTEST', SECRET_KEY, 'a-token')


@pytest.mark.parametrize('secret_id, secret_key', [('AKIDUNITTEST', None), (None, SECRET_KEY), ('AKIDUNITTEST', '')])
def test_half_a_key_pair_is_refused(secret_id, secret_key):
    with pytest.raises(LighthouseError) as caught:
        make_credential(secret_id, secret_key)
    assert caught.value.code == 'ClientError'
    assert caught.value.message == 'secret_id and secret_key must be given together'


def test_malformed_key_is_refused_without_showing_it():
    with pytest.raises(LighthouseError) as caught:
        make_credential('AKIDUNITTEST', ' ' + SECRET_KEY)
    assert caught.value.code == 'InvalidCredential'
    assert SECRET_KEY not in str(caught.value)


def test_default_chain_reads_the_profile_file(clean_env, tmp_path):
    (tmp_path / '.tencentcloud').mkdir()
    (tmp_path / '.tencentcloud' / 'credentials').write_text('[default]\nsecret_id = AKIDPROFILE\nsecret_key = profile-key\n')
    assert make_credential().get_credential_info() == ('AKIDPROFILE', 'profile-key', None)


@pytest.mark.parametrize('failure', [OSError('TKE_REGION not exist'), TencentCloudSDKException('ClientSideError', 'no valid credentail.')])
def test_no_credentials_anywhere_names_the_ways_to_give_them(clean_env, failure):
    def fail(self):
        raise failure

    clean_env.setattr(CVMRoleCredential, 'get_credential', lambda self: None)  # no metadata server here
    clean_env.setattr(DefaultCredentialProvider, 'get_credential', fail)
    with pytest.raises(LighthouseError) as caught:
        make_credential()
    assert caught.value.code == 'ClientError'
    for hint in ('TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', '~/.tencentcloud/credentials', 'CAM role'):
        assert hint in caught.value.message


def test_sdk_chain_without_anything_configured_is_a_clean_error(clean_env):
    clean_env.setattr(CVMRoleCredential, 'get_credential', lambda self: None)  # no metadata server here
    with pytest.raises(LighthouseError) as caught:
        make_credential()
    assert caught.value.code == 'ClientError'


class FakeLighthouse(BaseHTTPRequestHandler):
    """Answers every POST with the server's next canned (content type, body) and records the request."""

    def do_POST(self):  # pylint: disable=invalid-name
        body = self.rfile.read(int(self.headers['Content-Length']))
        self.server.requests.append((dict(self.headers), json.loads(body)))
        content_type, answer = self.server.answers.pop(0)
        payload = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        self.send_response(200)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


@pytest.fixture
def server():
    httpd = HTTPServer(('127.0.0.1', 0), FakeLighthouse)
    httpd.requests, httpd.answers = [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def emulated(server, retry=None):
    return connect(dict(PARAMS, endpoint='http://127.0.0.1:%d' % server.server_port), retry=retry)


def test_call_returns_the_response_body_and_signs_the_bare_host(server):
    server.answers.append(('application/json', {'Response': {'TotalCount': 0, 'InstanceSet': [], 'RequestId': 'req-1'}}))
    answer = emulated(server).call('DescribeInstances', {'Limit': 100})
    assert answer == {'TotalCount': 0, 'InstanceSet': [], 'RequestId': 'req-1'}
    headers, body = server.requests[0]
    assert body == {'Limit': 100}
    assert headers['Host'] == '127.0.0.1:%d' % server.server_port
    assert (headers['X-TC-Action'], headers['X-TC-Region']) == ('DescribeInstances', 'ap-guangzhou')
    assert 'Credential=AKIDUNITTEST/' in headers['Authorization']
    assert SECRET_KEY not in json.dumps(headers)


def test_api_error_becomes_lighthouse_error(server):
    server.answers.append(('application/json', {'Response': {'Error': {'Code': 'AuthFailure.SignatureFailure', 'Message': 'bad signature'},
                                                             'RequestId': 'req-2'}}))
    with pytest.raises(LighthouseError) as caught:
        emulated(server).call('DescribeInstances')
    assert (caught.value.code, caught.value.message, caught.value.request_id) == ('AuthFailure.SignatureFailure', 'bad signature', 'req-2')


def test_throttling_is_retried_through_the_client(server):
    clock = ManualClock(now=100.0)
    throttled = {'Response': {'Error': {'Code': 'RequestLimitExceeded', 'Message': 'slow down'}, 'RequestId': 'req-3'}}
    server.answers.extend([('application/json', throttled), ('application/json', {'Response': {'RequestId': 'req-4'}})])
    assert emulated(server, Retry(sleep=clock.sleep)).call('StopInstances', {'InstanceIds': ['lhins-aaaaaaaa']}) == {'RequestId': 'req-4'}
    assert len(server.requests) == 2
    assert len(clock.sleeps) == 1


def test_answer_that_is_not_json_is_an_invalid_response(server):
    server.answers.append(('text/html', '<html>captive portal</html>'))
    with pytest.raises(LighthouseError) as caught:
        emulated(server).call('DescribeInstances')
    assert caught.value.code == 'InvalidResponse'
    assert 'DescribeInstances' in caught.value.message


def unused_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize('action', ['DescribeInstances', 'StopInstances'])
def test_an_endpoint_that_refuses_connections_fails_at_once_naming_it(action):
    clock = ManualClock(now=100.0)
    port = unused_port()
    client = connect(dict(PARAMS, endpoint='http://127.0.0.1:%d' % port), retry=Retry(sleep=clock.sleep))
    with pytest.raises(LighthouseError) as caught:
        client.call(action)
    assert (caught.value.code, caught.value.request_id, clock.sleeps) == ('EndpointUnreachable', None, [])
    assert caught.value.message == (
        "cannot reach the Lighthouse API at the endpoint 'http://127.0.0.1:%d' (the option endpoint, or TENCENTCLOUD_LIGHTHOUSE_ENDPOINT): "
        "it refuses connections (nothing listens on that port); expected http:// or https:// and the host[:port] where the API answers"
        % port)


def test_https_to_a_plain_http_endpoint_fails_at_once_saying_to_write_http(server):
    clock = ManualClock(now=100.0)
    client = connect(dict(PARAMS, endpoint='127.0.0.1:%d' % server.server_port), retry=Retry(sleep=clock.sleep))
    with pytest.raises(LighthouseError) as caught:
        client.call('DescribeInstances')
    assert (caught.value.code, clock.sleeps, server.requests) == ('EndpointUnreachable', [], [])
    assert "at the endpoint 'https://127.0.0.1:%d'" % server.server_port in caught.value.message
    assert 'the TLS handshake failed' in caught.value.message and 'write it as http://' in caught.value.message


def test_a_network_error_that_may_pass_is_still_retried_for_reads():
    clock = ManualClock(now=100.0)
    sdk = ScriptedSdk(TencentCloudSDKException('ClientNetworkError', 'Read timed out'), {'Response': {'RequestId': 'req-5'}})
    assert Client(sdk, 'ap-guangzhou', Retry(sleep=clock.sleep)).call('DescribeInstances') == {'RequestId': 'req-5'}
    assert (len(sdk.calls), len(clock.sleeps)) == (2, 1)


class ScriptedSdk:
    """Stands in for the SDK client: call_json() plays back answers and SDK exceptions, and is recorded."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def call_json(self, action, params):
        self.calls.append((action, params))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_busy_refusal_is_raised_at_once_for_the_module_to_plan_again():
    sdk = ScriptedSdk(TencentCloudSDKException('UnsupportedOperation.DiskBusy', 'busy', 'req-b'))
    with pytest.raises(LighthouseError) as caught:
        Client(sdk, 'ap-guangzhou').call('ApplyInstanceSnapshot', {})
    assert caught.value.code == 'UnsupportedOperation.DiskBusy'
    assert len(sdk.calls) == 1


@pytest.mark.parametrize('failure, code, message', [
    (TencentCloudSDKException('ServerNetworkError', b'502 Bad Gateway'), 'ServerNetworkError', '502 Bad Gateway'),
    (KeyError('RequestId'), 'InvalidResponse', "unexpected answer to DescribeInstances: 'RequestId'"),
])
def test_sdk_failures_become_text_errors(failure, code, message):
    sdk = ScriptedSdk(failure)
    with pytest.raises(LighthouseError) as caught:
        Client(sdk, 'ap-guangzhou', Retry(max_attempts=1)).call('DescribeInstances')
    assert (caught.value.code, caught.value.message) == (code, message)
