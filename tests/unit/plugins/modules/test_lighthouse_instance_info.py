# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.modules import lighthouse_instance_info
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import ARGS, instance

NO_FILTERS = dict(names=None, states=None, zones=None, tags=None, filters=None)


@pytest.mark.parametrize('options, expected', [
    ({}, {}),
    ({'names': ['web-1', 'web-2']}, {'instance-name': ['web-1', 'web-2']}),
    ({'states': ['RUNNING'], 'zones': ['ap-guangzhou-3']}, {'instance-state': ['RUNNING'], 'zone': ['ap-guangzhou-3']}),
    ({'tags': {'env': 'prod', 'team': 'web'}}, {'tag:env': 'prod', 'tag:team': 'web'}),
    ({'filters': {'public-ip-address': '203.0.113.10'}, 'names': ['web-1']},
     {'public-ip-address': '203.0.113.10', 'instance-name': ['web-1']}),
    ({'names': []}, {}),
])
def test_instance_filters(options, expected):
    assert lighthouse_instance_info.instance_filters(dict(NO_FILTERS, **options)) == expected


def test_instance_filters_refuses_a_name_set_twice():
    with pytest.raises(LighthouseError) as caught:
        lighthouse_instance_info.instance_filters(dict(NO_FILTERS, zones=['ap-guangzhou-3'], filters={'zone': 'ap-guangzhou-4'}))
    assert caught.value.code == 'InvalidParameter.ParameterConflict'
    assert 'zone' in caught.value.message


@pytest.fixture
def api(cloud):
    """The module talks to an emulated cloud holding 105 instances."""
    cloud.seed(*[instance(number) for number in range(1, 106)])
    return cloud


@pytest.mark.parametrize('check_mode', [False, True])
def test_lists_every_instance_normalized(run_module, api, check_mode):
    result = run_module(lighthouse_instance_info.main, dict(ARGS, _ansible_check_mode=check_mode))
    assert result['changed'] is False
    assert len(result['instances']) == 105
    first = result['instances'][0]
    assert (first['instance_id'], first['cpu'], first['system_disk']['disk_id']) == ('lhins-00000001', 2, 'lhdisk-00000001')
    assert (first['latest_operation'], first['latest_operation_state']) == ('RunInstances', 'SUCCESS')
    assert len(api.calls()) == 2


def test_lists_by_ids_in_the_order_given(run_module, api):
    result = run_module(lighthouse_instance_info.main, dict(ARGS, instance_ids=['lhins-00000003', 'lhins-00000001']))
    assert [item['instance_id'] for item in result['instances']] == ['lhins-00000003', 'lhins-00000001']


def test_sends_the_filters(run_module, api):
    run_module(lighthouse_instance_info.main, dict(ARGS, states=['STOPPED'], tags={'env': 'prod'}))
    assert api.calls()[0][1]['Filters'] == [{'Name': 'instance-state', 'Values': ['STOPPED']}, {'Name': 'tag:env', 'Values': ['prod']}]


def test_unknown_id_fails_clearly(run_module, api):
    result = run_module(lighthouse_instance_info.main, dict(ARGS, instance_ids=['lhins-00000001', 'lhins-99999999']))
    assert result['failed'] is True
    assert result['msg'] == 'Failed to describe instances: %s' % api.journal()[-1]['error_message']
    assert 'lhins-99999999' in result['msg']
    assert result['error_code'] == 'ResourceNotFound.InstanceIdNotFound'
    assert result['instance_ids'] == ['lhins-00000001', 'lhins-99999999']


def test_malformed_id_fails_before_any_call(run_module, api):
    result = run_module(lighthouse_instance_info.main, dict(ARGS, instance_ids=['i-12345']))
    assert result['error_code'] == 'InvalidParameterValue.InstanceIdMalformed'
    assert api.calls() == []


@pytest.mark.parametrize('args, fragment', [
    ({'instance_ids': ['lhins-00000001'], 'names': ['web-1']}, 'mutually exclusive: instance_ids|names'),
    ({'instance_ids': ['lhins-00000001'], 'filters': {'zone': 'x'}}, 'mutually exclusive: instance_ids|filters'),
    ({'states': ['running']}, 'value of states must be one or more of'),
    ({'api_timeout': 'soon'}, 'api_timeout'),
])
def test_bad_options_fail_before_any_call(run_module, api, args, fragment):
    result = run_module(lighthouse_instance_info.main, dict(ARGS, **args))
    assert result['failed'] is True
    assert fragment in result['msg']
    assert api.calls() == []


def test_throttled_reads_are_retried_until_retry_timeout_not_a_number_of_attempts(run_module, api, clock):
    # Ten throttled answers in a row: more than any fixed number of attempts, well within the deadline.
    api.faults.add({'action': 'DescribeInstances', 'code': 'RequestLimitExceeded', 'count': 10})
    result = run_module(lighthouse_instance_info.main, dict(ARGS, instance_ids=['lhins-00000001'], retry_timeout=300))
    assert result.get('failed', False) is False
    assert [item['instance_id'] for item in result['instances']] == ['lhins-00000001']
    assert [entry['error_code'] for entry in api.journal()].count('RequestLimitExceeded') == 10


def test_throttled_reads_fail_once_retry_timeout_has_passed(run_module, api, clock):
    api.faults.add({'action': 'DescribeInstances', 'code': 'RequestLimitExceeded', 'count': 1000})
    result = run_module(lighthouse_instance_info.main, dict(ARGS, instance_ids=['lhins-00000001'], retry_timeout=30))
    assert (result['failed'], result['error_code']) == (True, 'RequestLimitExceeded')
    assert clock.now - 100 <= 30
