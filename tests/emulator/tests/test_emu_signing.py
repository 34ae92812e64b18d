"""Signature verification and the protocol envelope, checked with the real SDK and its signer."""

import datetime
import hashlib
import http.client
import json
import time
import types

import pytest
from tencentcloud.common import abstract_client
from tencentcloud.common.sign import Sign

from conftest import SECOND, TEMPORARY


def raw_call(emu, action='DescribeRegions', params=None, secret_key=None, timestamp=None, host=None, signed_host=None,
             content_type='application/json', headers=None, authorization=None):
    """Send a request signed with the SDK's TC3 signer; returns its ``status``, ``content_type`` and ``body``."""
    body = json.dumps(params or {})
    timestamp = int(time.time()) if timestamp is None else timestamp
    host = host or emu.endpoint
    date = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime('%Y-%m-%d')
    canonical = 'POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s' % (
        content_type, signed_host or host, hashlib.sha256(body.encode()).hexdigest())
    string_to_sign = 'TC3-HMAC-SHA256\n%d\n%s/lighthouse/tc3_request\n%s' % (timestamp, date, hashlib.sha256(canonical.encode()).hexdigest())
    signature = Sign.sign_tc3(secret_key or emu.secret_key, date, 'lighthouse', string_to_sign)
    all_headers = {
        'Host': host, 'Content-Type': content_type, 'X-TC-Action': action, 'X-TC-Version': '2020-03-24',
        'X-TC-Timestamp': str(timestamp), 'X-TC-Region': emu.region,
        'Authorization': authorization or 'TC3-HMAC-SHA256 Credential=%s/%s/lighthouse/tc3_request, SignedHeaders=content-type;host, Signature=%s'
        % (emu.secret_id, date, signature),
    }
    all_headers.update(headers or {})
    connection = http.client.HTTPConnection(emu.endpoint, timeout=10)
    connection.request('POST', '/', body=body, headers=all_headers)
    answer = connection.getresponse()
    result = types.SimpleNamespace(status=answer.status, content_type=answer.getheader('Content-Type'), body=json.loads(answer.read()))
    connection.close()
    return result


def test_sdk_request_is_accepted(emu):
    answer = emu.call('DescribeRegions')
    assert answer['TotalCount'] == 16
    assert 'ap-mumbai' in [r['Region'] for r in answer['RegionSet']]


def test_sdk_get_request_with_nested_parameters_is_accepted(emu, seeded):
    instances = seeded.instances
    params = {'Filters': [{'Name': 'instance-name', 'Values': ['lh-0002', 'lh-0003']}], 'Limit': 1, 'Offset': 1}
    answer = emu.call('DescribeInstances', params, method='GET')
    assert answer['TotalCount'] == 2
    assert [i['InstanceId'] for i in answer['InstanceSet']] == [instances['lh-0003']['InstanceId']]


def test_unsigned_payload_is_accepted(emu):
    client = emu.client()
    client.profile.unsignedPayload = True
    assert json.loads(client.call('DescribeRegions', {}))['Response']['TotalCount'] == 16


def test_endpoint_with_scheme_is_signed_with_that_host(emu):
    client = emu.client()
    client.profile.httpProfile.endpoint = emu.url  # the SDK then sends and signs "Host: http://127.0.0.1:PORT"
    assert json.loads(client.call('DescribeRegions', {}))['Response']['TotalCount'] == 16


def test_wrong_key_is_signature_failure(error_of):
    assert error_of('DescribeRegions', secret_key='not-the-key') == 'AuthFailure.SignatureFailure'


def test_unknown_secret_id(error_of):
    assert error_of('DescribeRegions', secret_id='AKIDUNKNOWN', secret_key='x') == 'AuthFailure.SecretIdNotFound'


@pytest.mark.parametrize('offset, code', [(-400, 'AuthFailure.SignatureExpire'), (400, 'AuthFailure.SignatureExpire'), (-240, None)])
def test_timestamp_skew(emu, monkeypatch, offset, code):
    monkeypatch.setattr(abstract_client, 'time', types.SimpleNamespace(time=lambda: time.time() + offset))
    if code is None:
        assert emu.call('DescribeRegions')['TotalCount'] == 16
    else:
        with pytest.raises(Exception) as info:
            emu.call('DescribeRegions')
        assert info.value.code == code


def test_temporary_credentials_need_their_token(emu, error_of):
    keys = {'secret_id': TEMPORARY['secret_id'], 'secret_key': TEMPORARY['secret_key']}
    assert emu.call('DescribeRegions', token=TEMPORARY['token'], **keys)['TotalCount'] == 16
    assert error_of('DescribeRegions', **keys) == 'AuthFailure.TokenFailure'
    assert error_of('DescribeRegions', token='another-token', **keys) == 'AuthFailure.TokenFailure'
    assert error_of('DescribeRegions', token='a-token') == 'AuthFailure.TokenFailure'


def test_fleet_credentials_are_accepted(emu):
    assert emu.call('DescribeRegions', secret_id=SECOND['secret_id'], secret_key=SECOND['secret_key'])['TotalCount'] == 16


def test_host_with_port_is_part_of_the_signature(emu):
    answer = raw_call(emu)
    assert (answer.status, answer.content_type, answer.body['Response']['TotalCount']) == (200, 'application/json', 16)
    assert raw_call(emu, signed_host='127.0.0.1').body['Response']['Error']['Code'] == 'AuthFailure.SignatureFailure'


def test_content_type_is_signed_as_sent(emu):
    assert raw_call(emu, content_type='application/json; charset=utf-8').body['Response']['TotalCount'] == 16
    answer = raw_call(emu, headers={'Content-Type': 'application/json; charset=utf-8'})
    assert answer.body['Response']['Error']['Code'] == 'AuthFailure.SignatureFailure'


@pytest.mark.parametrize('authorization', ['garbage', 'TC3-HMAC-SHA256 Credential=AKID/2020-01-01/lighthouse/tc3_request'])
def test_malformed_authorization(emu, authorization):
    answer = raw_call(emu, authorization=authorization)
    assert (answer.status, answer.content_type) == (200, 'application/json')
    assert answer.body['Response']['Error']['Code'] == 'AuthFailure.InvalidAuthorization'
    assert answer.body['Response']['RequestId']


def test_missing_authorization(emu):
    connection = http.client.HTTPConnection(emu.endpoint, timeout=10)
    connection.request('POST', '/', body='{}', headers={'Content-Type': 'application/json', 'X-TC-Action': 'DescribeRegions'})
    answer = connection.getresponse()
    assert answer.getheader('Content-Type') == 'application/json'
    assert json.loads(answer.read())['Response']['Error']['Code'] == 'AuthFailure.InvalidAuthorization'
    connection.close()


def test_version_action_and_region_checks(emu, error_of):
    client = emu.client()
    client._apiVersion = '2017-03-12'
    with pytest.raises(Exception) as info:
        client.call('DescribeRegions', {})
    assert info.value.code == 'NoSuchVersion'
    assert error_of('NoSuchAction') == 'InvalidAction'
    assert error_of('DescribeInstances', region='xx-nowhere') == 'UnsupportedRegion'
    assert error_of('DescribeInstances', region='') == 'MissingParameter'
    assert emu.call('DescribeRegions', region='')['TotalCount'] == 16


def test_request_body_must_be_a_json_object(emu):
    assert raw_call(emu, action='DescribeInstances', params=[1, 2]).body['Response']['Error']['Code'] == 'InvalidParameter'
