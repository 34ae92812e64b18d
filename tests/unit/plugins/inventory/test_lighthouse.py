# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import re

import pytest
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.tencentcloud.lighthouse.plugins.inventory import lighthouse
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._client import connect
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Retry

FQCN = 'tencentcloud.lighthouse.lighthouse'
SECRET_KEY = 'unit-test-secret-key'
AUTH = {'secret_id': 'AKIDUNITTEST', 'secret_key': SECRET_KEY, 'region': 'ap-guangzhou'}


def normalized(**fields):
    """A normalised instance as describe_instances returns it."""
    item = {'instance_id': 'lhins-00000001', 'instance_name': 'web-1', 'public_addresses': ['203.0.113.1'],
            'private_addresses': ['10.0.0.1']}
    item.update(fields)
    return item


def query(**fields):
    item = {'regions': ['ap-guangzhou'], 'instance_ids': None, 'filters': {}, 'endpoint': None}
    item.update(fields)
    return item


def fleet_instance(number, name, **spec):
    """A fleet entry of the emulated cloud: instance lhins-<n, 8 digits> named `name`, its disk lhdisk-<n, 8 digits>, 60 GB."""
    return dict(instance_id='lhins-%08d' % number, name=name, system_disk={'disk_id': 'lhdisk-%08d' % number, 'size': 60}, snapshots=[], **spec)


FLEET = [
    fleet_instance(1, 'web-1', zone='ap-guangzhou-3', public_addresses=['203.0.113.1'], private_addresses=['10.0.0.1'],
                   tags={'env': 'prod', 'team': 'web'}),
    fleet_instance(2, 'web-2', zone='ap-guangzhou-4', state='STOPPED', public_addresses=['203.0.113.2'], private_addresses=['10.0.0.2'],
                   tags={'env': 'prod'}),
    fleet_instance(3, 'db-1', zone='ap-guangzhou-3', public_addresses=[], private_addresses=['10.0.0.3']),
    fleet_instance(4, 'remote-1', region='ap-shanghai', zone='ap-shanghai-2', public_addresses=['203.0.113.4'], private_addresses=['10.1.0.4'],
                   tags={'env': 'test'}),
]


class Connections:
    """connect() as the plugin calls it, recorded; its clients talk to the emulated cloud, or it raises the error set for a region.

    Their retries pause on the manual clock.
    """

    def __init__(self, emulated, clock):
        self.emulated = emulated
        self.clock = clock
        self.connected = []
        self.deadlines = []
        self.errors = {}

    def connect(self, params, deadline=None):
        self.connected.append(params)
        self.deadlines.append(deadline)
        if params['region'] in self.errors:
            raise self.errors[params['region']]
        return connect(params, retry=Retry(sleep=self.clock.sleep, rand=lambda: 1.0), deadline=deadline)

    @property
    def calls(self):
        return self.emulated.calls()


@pytest.fixture
def cloud(cloud, monkeypatch, clean_env, clock):
    """The emulated cloud with three instances in ap-guangzhou (one STOPPED, one without a public address), one in ap-shanghai."""
    cloud.seed(*FLEET)
    connections = Connections(cloud, clock)
    monkeypatch.setattr(lighthouse, 'connect', connections.connect)
    return connections


@pytest.fixture
def warned(monkeypatch):
    shown = []
    monkeypatch.setattr(inventory_loader.get(FQCN).display, 'warning', shown.append)
    return shown


@pytest.fixture
def parse(tmp_path):
    """Parse a configuration (a dict, `plugin` added) as ansible-inventory does; return the InventoryData."""
    def run(config, cache=True):
        path = tmp_path / 'test.lighthouse.yml'
        path.write_text(json.dumps(dict({'plugin': FQCN}, **config)))
        inventory = InventoryData()
        plugin = inventory_loader.get(FQCN)
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        if config.get('cache'):
            plugin.update_cache_if_changed()  # what the InventoryManager does after parsing
        return inventory
    return run


def hosts_of(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


# Host names

@pytest.mark.parametrize('preferences, fields, expected', [
    (['instance_name'], {}, 'web-1'),
    (['instance_name'], {'instance_name': ''}, 'lhins-00000001'),
    (['instance_id', 'instance_name'], {}, 'lhins-00000001'),
    (['public_ip', 'instance_name'], {}, '203.0.113.1'),
    (['public_ip', 'private_ip'], {'public_addresses': []}, '10.0.0.1'),
    (['public_ip', 'instance_name'], {'public_addresses': None}, 'web-1'),
    (['private_ip'], {'private_addresses': []}, 'lhins-00000001'),
    ([], {}, 'lhins-00000001'),
])
def test_preferred_name(preferences, fields, expected):
    assert lighthouse.preferred_name(normalized(**fields), preferences) == expected


@pytest.mark.parametrize('names, expected_names, expected_shared', [
    (['web-1', 'web-2', 'db-1'], ['web-1', 'web-2', 'db-1'], []),
    (['web', 'db', 'web'], ['lhins-00000001', 'db', 'lhins-00000003'], ['web']),
    (['a', 'a', 'b', 'b'], ['lhins-00000001', 'lhins-00000002', 'lhins-00000003', 'lhins-00000004'], ['a', 'b']),
    (['', 'web'], ['lhins-00000001', 'web'], []),
])
def test_host_names_name_every_sharer_by_id(names, expected_names, expected_shared):
    instances = [normalized(instance_id='lhins-%08d' % number, instance_name=name) for number, name in enumerate(names, 1)]
    assert lighthouse.host_names(instances, ['instance_name']) == (expected_names, expected_shared)


# Host variables

@pytest.mark.parametrize('prefix, fields, expected', [
    ('lighthouse_', {}, {'lighthouse_instance_id': 'lhins-00000001', 'lighthouse_instance_name': 'web-1',
                         'lighthouse_public_addresses': ['203.0.113.1'], 'lighthouse_private_addresses': ['10.0.0.1'],
                         'ansible_host': '203.0.113.1'}),
    ('lh_', {'public_addresses': []}, {'lh_instance_id': 'lhins-00000001', 'lh_instance_name': 'web-1', 'lh_public_addresses': [],
                                       'lh_private_addresses': ['10.0.0.1'], 'ansible_host': '10.0.0.1'}),
    ('', {'public_addresses': [], 'private_addresses': []},
     {'instance_id': 'lhins-00000001', 'instance_name': 'web-1', 'public_addresses': [], 'private_addresses': []}),
])
def test_host_vars(prefix, fields, expected):
    assert lighthouse.host_vars(normalized(**fields), prefix) == expected


# Inventory order

def named(*rows):
    """Normalised instances, one per (name, fields) row."""
    return [normalized(instance_id='lhins-%08d' % number, instance_name=name, **fields) for number, (name, fields) in enumerate(rows, 1)]


def order(instances, keys):
    return [item['instance_name'] for item in lighthouse.ordered(instances, lighthouse.order_functions(keys))]


WAVES = named(('a', {'tags': {'wave': '10'}}), ('b', {'tags': {}}), ('c', {'tags': {'wave': '2'}}), ('d', {'tags': {'wave': 'canary'}}),
              ('e', {'tags': {'wave': '2'}}), ('f', {}))


@pytest.mark.parametrize('keys, expected', [
    ([], ['a', 'b', 'c', 'd', 'e', 'f']),
    # Whole numbers in numeric order, then text; instances without the tag last, in their order; ties keep theirs.
    (['tag:wave'], ['c', 'e', 'a', 'd', 'b', 'f']),
    (['-tag:wave'], ['d', 'a', 'c', 'e', 'b', 'f']),
    (['tag:wave', '-instance_name'], ['e', 'c', 'a', 'd', 'f', 'b']),
    (['-instance_id'], ['f', 'e', 'd', 'c', 'b', 'a']),
])
def test_ordered_by_tags_and_names(keys, expected):
    assert order(WAVES, keys) == expected


def test_ordered_by_address_is_numeric_and_puts_instances_without_one_last():
    instances = named(('nine', {'private_addresses': ['10.0.0.9'], 'public_addresses': []}),
                      ('none', {'private_addresses': [], 'public_addresses': []}),
                      ('ten', {'private_addresses': ['10.0.0.10'], 'public_addresses': ['203.0.113.1']}))
    assert order(instances, ['private_ip']) == ['nine', 'ten', 'none']
    assert order(instances, ['-private_ip']) == ['ten', 'nine', 'none']
    assert order(instances, ['public_ip']) == ['ten', 'nine', 'none']


def test_ordered_by_creation_time():
    instances = named(('new', {'created_time': '2025-03-01T00:00:00Z'}), ('old', {'created_time': '2024-12-31T23:59:59Z'}))
    assert order(instances, ['created_time']) == ['old', 'new']
    assert order(instances, ['-created_time']) == ['new', 'old']


@pytest.mark.parametrize('key', ['name', 'tag:', 'created', '+instance_name', '--instance_name'])
def test_order_functions_refuse_an_unknown_key(key):
    with pytest.raises(AnsibleError, match=re.escape('order_by has the unknown key %r; expected one of instance_name, ' % key)):
        lighthouse.order_functions(['instance_name', key])


# The query

@pytest.mark.parametrize('fields', [
    {},
    {'regions': ['ap-guangzhou', 'ap-shanghai'], 'filters': {'instance-state': 'RUNNING'}},
    {'instance_ids': ['lhins-00000001']},
])
def test_check_query_accepts(fields):
    lighthouse.check_query(query(**fields))


@pytest.mark.parametrize('fields, message', [
    ({'regions': []}, 'no region given; set regions, region or TENCENTCLOUD_REGION'),
    ({'instance_ids': ['lhins-00000001'], 'filters': {'zone': 'ap-guangzhou-3'}}, 'instance_ids and filters cannot be combined'),
    ({'instance_ids': ['lhins-00000001'], 'regions': ['ap-guangzhou', 'ap-shanghai']},
     'instance_ids needs exactly one region, got ap-guangzhou, ap-shanghai'),
])
def test_check_query_refuses(fields, message):
    with pytest.raises(AnsibleError) as caught:
        lighthouse.check_query(query(**fields))
    assert caught.value.message == 'Failed to list Lighthouse instances: ' + message


# Listing

def test_list_instances_lists_each_region_in_order_and_stamps_it(cloud):
    found = lighthouse.list_instances(dict(AUTH, region=None), query(regions=['ap-shanghai', 'ap-guangzhou']))
    assert [(item['instance_name'], item['region']) for item in found] == [
        ('remote-1', 'ap-shanghai'), ('web-1', 'ap-guangzhou'), ('web-2', 'ap-guangzhou'), ('db-1', 'ap-guangzhou')]
    assert [params['region'] for params in cloud.connected] == ['ap-shanghai', 'ap-guangzhou']
    assert all(params['secret_key'] == SECRET_KEY for params in cloud.connected)
    assert found[1]['system_disk'] == {'disk_id': 'lhdisk-00000001', 'disk_type': 'CLOUD_SSD', 'disk_size': 60}
    assert found[1]['tags'] == {'env': 'prod', 'team': 'web'}


@pytest.mark.parametrize('filters, sent', [
    ({}, None),
    ({'instance-state': 'RUNNING'}, [{'Name': 'instance-state', 'Values': ['RUNNING']}]),
    ({'tag:env': ['prod', 'staging'], 'zone': 'ap-guangzhou-3'},
     [{'Name': 'tag:env', 'Values': ['prod', 'staging']}, {'Name': 'zone', 'Values': ['ap-guangzhou-3']}]),
    ({'tag:build': 42}, [{'Name': 'tag:build', 'Values': ['42']}]),
])
def test_list_instances_sends_the_filters(cloud, filters, sent):
    lighthouse.list_instances(AUTH, query(filters=filters))
    assert cloud.calls[0][1].get('Filters') == sent


def test_list_instances_by_ids(cloud):
    found = lighthouse.list_instances(AUTH, query(instance_ids=['lhins-00000002']))
    assert [item['instance_name'] for item in found] == ['web-2']
    assert cloud.calls[0][1]['InstanceIds'] == ['lhins-00000002']


def test_list_instances_reads_every_page(cloud):
    cloud.emulated.seed(*[fleet_instance(number, 'lh-%d' % number) for number in range(1, 251)])
    found = lighthouse.list_instances(AUTH, query())
    assert len({item['instance_id'] for item in found}) == 250
    assert [params['Offset'] for _action, params in cloud.calls] == [0, 100, 200]


@pytest.mark.parametrize('error, message', [
    (LighthouseError('AuthFailure.SecretIdNotFound', 'The SecretId is not found.', 'req-1'),
     'Failed to list Lighthouse instances in ap-shanghai: The SecretId is not found. (AuthFailure.SecretIdNotFound)'),
    (LighthouseError('ClientError', 'secret_id and secret_key must be given together'),
     'Failed to list Lighthouse instances in ap-shanghai: secret_id and secret_key must be given together (ClientError)'),
])
def test_list_instances_failure_names_region_message_and_code(cloud, error, message):
    cloud.errors['ap-shanghai'] = error
    with pytest.raises(AnsibleError) as caught:
        lighthouse.list_instances(AUTH, query(regions=['ap-guangzhou', 'ap-shanghai']))
    assert caught.value.message == message
    assert SECRET_KEY not in str(caught.value)


@pytest.mark.parametrize('fields, code', [
    ({'filters': dict(('tag:k%d' % number, 'v') for number in range(11))}, 'InvalidParameter.FilterValueLimitExceeded'),
    ({'filters': {'zone': ['z%d' % number for number in range(101)]}}, 'InvalidParameter.FilterValueLimitExceeded'),
    ({'instance_ids': ['web-1']}, 'InvalidParameterValue.InstanceIdMalformed'),
])
def test_list_instances_refuses_bad_input_without_a_call(cloud, fields, code):
    with pytest.raises(AnsibleError) as caught:
        lighthouse.list_instances(AUTH, query(**fields))
    assert caught.value.message.startswith('Failed to list Lighthouse instances in ap-guangzhou: ')
    assert caught.value.message.endswith('(%s)' % code)
    assert cloud.calls == []


# The plugin, through the plugin loader

@pytest.mark.parametrize('path, expected', [
    ('inventory/lighthouse.yml', True),
    ('inventory/prod.lighthouse.yaml', True),
    ('inventory/lighthouse.json', False),
    ('inventory/hosts.yml', False),
    ('inventory/missing.lighthouse.yml', False),
])
def test_verify_file(tmp_path, path, expected):
    target = tmp_path / path
    target.parent.mkdir()
    if 'missing' not in path:
        target.write_text('plugin: %s\n' % FQCN)
    assert inventory_loader.get(FQCN).verify_file(str(target)) is expected


def test_parse_builds_hosts_variables_and_groups(cloud, parse):
    inventory = parse(dict(
        AUTH,
        regions=['ap-guangzhou', 'ap-shanghai'],
        keyed_groups=[{'key': 'lighthouse_instance_state | lower', 'prefix': 'state'},
                      {'key': 'lighthouse_zone', 'prefix': 'zone'},
                      {'key': 'lighthouse_tags', 'prefix': 'tag'}],
        groups={'shanghai': "lighthouse_region == 'ap-shanghai'"},
        compose={'internal_address': 'lighthouse_private_addresses[0]'},
    ))
    assert list(inventory.hosts) == ['web-1', 'web-2', 'db-1', 'remote-1']
    assert hosts_of(inventory, 'state_running') == ['db-1', 'remote-1', 'web-1']
    assert hosts_of(inventory, 'state_stopped') == ['web-2']
    assert hosts_of(inventory, 'zone_ap_guangzhou_3') == ['db-1', 'web-1']
    assert hosts_of(inventory, 'tag_env_prod') == ['web-1', 'web-2']
    assert hosts_of(inventory, 'tag_team_web') == ['web-1']
    assert hosts_of(inventory, 'shanghai') == ['remote-1']
    web1 = inventory.get_host('web-1').get_vars()
    assert web1['lighthouse_instance_id'] == 'lhins-00000001'
    assert web1['lighthouse_region'] == 'ap-guangzhou'
    assert web1['lighthouse_instance_state'] == 'RUNNING'
    assert web1['lighthouse_system_disk']['disk_id'] == 'lhdisk-00000001'
    assert web1['lighthouse_tags'] == {'env': 'prod', 'team': 'web'}
    assert web1['lighthouse_cpu'] == 2
    assert web1['ansible_host'] == '203.0.113.1'
    assert web1['internal_address'] == '10.0.0.1'
    assert inventory.get_host('db-1').get_vars()['ansible_host'] == '10.0.0.3'
    assert inventory.get_host('remote-1').get_vars()['lighthouse_region'] == 'ap-shanghai'


def test_parse_order_by_sorts_the_hosts_of_every_region_together(cloud, parse):
    inventory = parse(dict(AUTH, regions=['ap-guangzhou', 'ap-shanghai'], order_by=['-tag:env', '-instance_name']))
    # env=test (remote-1's), then env=prod (web-1, web-2, by name reversed), then db-1, which has no env tag.
    assert list(inventory.hosts) == ['remote-1', 'web-2', 'web-1', 'db-1']


def test_parse_compose_overrides_ansible_host(cloud, parse):
    inventory = parse(dict(AUTH, compose={'ansible_host': 'lighthouse_private_addresses[0]'}))
    assert [inventory.get_host(name).get_vars()['ansible_host'] for name in inventory.hosts] == ['10.0.0.1', '10.0.0.2', '10.0.0.3']


@pytest.mark.parametrize('hostnames, expected', [
    (['public_ip', 'instance_name'], ['203.0.113.1', '203.0.113.2', 'db-1']),
    (['instance_id'], ['lhins-00000001', 'lhins-00000002', 'lhins-00000003']),
    (['private_ip'], ['10.0.0.1', '10.0.0.2', '10.0.0.3']),
])
def test_parse_hostnames_preference(cloud, parse, hostnames, expected):
    assert list(parse(dict(AUTH, hostnames=hostnames)).hosts) == expected


def test_parse_rejects_an_unknown_hostnames_choice(cloud, parse):
    with pytest.raises(AnsibleError, match='dns_name'):
        parse(dict(AUTH, hostnames=['dns_name']))
    assert cloud.connected == []


def test_parse_names_instances_sharing_a_name_by_id_and_warns(cloud, parse, warned):
    cloud.emulated.seed(*FLEET[:3] + [dict(FLEET[3], name='web-1')])
    inventory = parse(dict(AUTH, regions=['ap-guangzhou', 'ap-shanghai']))
    assert list(inventory.hosts) == ['lhins-00000001', 'web-2', 'db-1', 'lhins-00000004']
    assert inventory.get_host('lhins-00000004').get_vars()['lighthouse_instance_name'] == 'web-1'
    assert warned == ['Several Lighthouse instances would be named web-1; each of them is named by its instance id instead']


def test_parse_custom_prefix(cloud, parse):
    host_vars = parse(dict(AUTH, hostvars_prefix='lh_')).get_host('web-1').get_vars()
    assert host_vars['lh_instance_id'] == 'lhins-00000001'
    # Not an instance field: the role reads it by this name whatever the prefix.
    assert [name for name in host_vars if name.startswith('lighthouse_')] == ['lighthouse_inventory_position']


def test_parse_strict_fails_on_a_bad_expression(cloud, parse):
    inventory = parse(dict(AUTH, compose={'broken': 'no_such_variable.field'}))
    assert 'broken' not in inventory.get_host('web-1').get_vars()
    with pytest.raises(AnsibleError, match='Could not set broken for host web-1'):
        parse(dict(AUTH, compose={'broken': 'no_such_variable.field'}, strict=True))


def test_parse_renders_templated_credentials(cloud, parse):
    parse(dict(AUTH, secret_key="{{ 'unit-test-' ~ 'secret-key' }}", region="{{ 'ap-' ~ 'shanghai' }}"))
    assert [(params['secret_key'], params['region']) for params in cloud.connected] == [(SECRET_KEY, 'ap-shanghai')]


ENVIRONMENT = {
    'TENCENTCLOUD_SECRET_ID': 'AKIDFROMENV', 'TENCENTCLOUD_SECRET_KEY': 'key-from-env', 'TENCENTCLOUD_TOKEN': 'token-from-env',
    'TENCENTCLOUD_REGION': 'ap-shanghai', 'TENCENTCLOUD_LIGHTHOUSE_ENDPOINT': 'http://127.0.0.1:9',
}


def test_parse_reads_the_environment(cloud, parse, monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    parse({})
    assert cloud.connected == [{'secret_id': 'AKIDFROMENV', 'secret_key': 'key-from-env', 'security_token': 'token-from-env',
                                'region': 'ap-shanghai', 'endpoint': 'http://127.0.0.1:9', 'validate_certs': True, 'api_timeout': 30}]


@pytest.mark.parametrize('config, regions', [
    ({'region': 'ap-guangzhou'}, ['ap-guangzhou']),
    ({'region': 'ap-guangzhou', 'regions': ['ap-shanghai']}, ['ap-shanghai']),
    ({'regions': ['ap-shanghai', 'ap-guangzhou']}, ['ap-shanghai', 'ap-guangzhou']),
])
def test_parse_regions(cloud, parse, config, regions):
    parse(dict(config, secret_id='AKIDUNITTEST', secret_key=SECRET_KEY))
    assert [params['region'] for params in cloud.connected] == regions


@pytest.mark.parametrize('config, message', [
    ({}, 'Failed to list Lighthouse instances: no region given'),
    ({'region': 'ap-guangzhou', 'api_timeout': 0}, 'Failed to list Lighthouse instances: api_timeout must be a positive number of seconds, got 0'),
    ({'region': 'ap-guangzhou', 'retry_timeout': -5}, 'Failed to list Lighthouse instances: retry_timeout must be a positive number of seconds, got -5'),
    ({'region': 'ap-guangzhou', 'instance_ids': ['lhins-00000001'], 'filters': {'zone': 'ap-guangzhou-3'}},
     'instance_ids and filters cannot be combined'),
    ({'region': 'ap-guangzhou', 'order_by': ['tag:wave', 'size']}, "order_by has the unknown key 'size'"),
])
def test_parse_refuses_bad_options_before_connecting(cloud, parse, config, message):
    with pytest.raises(AnsibleError, match=message):
        parse(config)
    assert cloud.connected == []


def test_parse_retries_throttled_reads_within_retry_timeout_not_a_number_of_attempts(cloud, parse, clock):
    # Ten throttled answers in a row: more than any fixed number of attempts, well within the deadline.
    cloud.emulated.faults.add({'action': 'DescribeInstances', 'code': 'RequestLimitExceeded', 'count': 10})
    inventory = parse({'region': 'ap-guangzhou', 'secret_id': 'AKIDUNITTEST', 'secret_key': SECRET_KEY, 'retry_timeout': 600})
    assert sorted(inventory.hosts) == ['db-1', 'web-1', 'web-2']
    assert [deadline.timeout for deadline in cloud.deadlines] == [600]
    assert len(clock.sleeps) == 10


def test_parse_without_the_sdk_names_the_packages(cloud, parse, monkeypatch):
    monkeypatch.setattr(lighthouse, 'HAS_SDK', False)
    monkeypatch.setattr(lighthouse, 'SDK_IMPORT_ERROR', "Traceback (most recent call last):\nModuleNotFoundError: No module named 'tencentcloud'\n")
    with pytest.raises(AnsibleError) as caught:
        parse(AUTH)
    assert 'tencentcloud-sdk-python-common and tencentcloud-sdk-python-lighthouse' in caught.value.message
    assert caught.value.message.endswith("No module named 'tencentcloud'")
    assert cloud.connected == []


def test_parse_caches_the_answer_per_query(cloud, parse, tmp_path):
    config = dict(AUTH, cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=str(tmp_path / 'cache'))
    first = parse(config)
    assert len(cloud.calls) == 1
    again = parse(dict(config, compose={'ansible_host': 'lighthouse_private_addresses[0]'}))
    assert len(cloud.calls) == 1
    assert list(again.hosts) == list(first.hosts)
    assert again.get_host('web-1').get_vars()['ansible_host'] == '10.0.0.1'
    assert again.get_host('web-1').get_vars()['lighthouse_tags'] == {'env': 'prod', 'team': 'web'}
    parse(config, cache=False)  # --flush-cache
    assert len(cloud.calls) == 2
    parse(dict(config, filters={'instance-state': 'RUNNING'}))  # another query
    assert len(cloud.calls) == 3
    parse(dict(config, filters={'instance-state': 'RUNNING'}))
    assert len(cloud.calls) == 3


def test_parse_without_cache_always_asks(cloud, parse):
    parse(AUTH)
    parse(AUTH)
    assert len(cloud.calls) == 2


# The hosts of a pattern, in the order that plays with "order: inventory" take them

# Listed out of order; tag wave then name orders them a-wave1-zone4, b-wave1-zone3, c-wave2-zone4, d-wave2-zone3.
WAVE_FLEET = [
    fleet_instance(1, 'c-wave2-zone4', zone='ap-guangzhou-4', tags={'wave': '2'}),
    fleet_instance(2, 'a-wave1-zone4', zone='ap-guangzhou-4', tags={'wave': '1'}),
    fleet_instance(3, 'd-wave2-zone3', zone='ap-guangzhou-3', tags={'wave': '2'}),
    fleet_instance(4, 'b-wave1-zone3', zone='ap-guangzhou-3', tags={'wave': '1'}),
]
WAVE_ORDER = ['a-wave1-zone4', 'b-wave1-zone3', 'c-wave2-zone4', 'd-wave2-zone3']
WAVE_CONFIG = dict(AUTH, plugin=FQCN, order_by=['tag:wave', 'instance_name'],
                   keyed_groups=[{'key': 'lighthouse_zone', 'prefix': 'zone'}, {'key': 'lighthouse_instance_state | lower', 'prefix': 'state'}])
# A static source with the hosts' connection variables, in another order (the API's).
STATIC = {'all': {'hosts': dict((instance['name'], {'ansible_port': 2200 + number}) for number, instance in enumerate(WAVE_FLEET))}}


@pytest.fixture
def inventory_manager(cloud, tmp_path):
    """The InventoryManager that ansible-playbook builds from these sources ([file name, content]), in their order, over WAVE_FLEET."""
    cloud.emulated.seed(*WAVE_FLEET)

    def build(*sources):
        for name, content in sources:
            (tmp_path / name).write_text(json.dumps(content))
        return InventoryManager(DataLoader(), [str(tmp_path / name) for name, content in sources])
    return build


def names(hosts):
    return [host.name for host in hosts]


def positions(inventory):
    return dict((host.name, host.vars['lighthouse_inventory_position']) for host in inventory.get_hosts('all'))


@pytest.mark.parametrize('pattern, expected', [
    ('all', WAVE_ORDER),
    ('zone_ap_guangzhou_3', ['b-wave1-zone3', 'd-wave2-zone3']),
    ('zone_ap_guangzhou_4', ['a-wave1-zone4', 'c-wave2-zone4']),
    ('state_running', WAVE_ORDER),
])
def test_order_by_is_the_order_of_a_pattern_despite_keyed_groups(inventory_manager, pattern, expected):
    inventory = inventory_manager(('waves.lighthouse.yml', WAVE_CONFIG))
    assert names(inventory.get_hosts(pattern, order='inventory')) == expected
    assert positions(inventory) == dict((name, position) for position, name in enumerate(WAVE_ORDER, 1))


def test_order_by_is_the_order_of_all_with_hosts_in_no_group(inventory_manager):
    # The zone-3 hosts are in no group but ungrouped, which comes before the group zone4.
    inventory = inventory_manager(('waves.lighthouse.yml', dict(WAVE_CONFIG, keyed_groups=[], groups={'zone4': "lighthouse_zone == 'ap-guangzhou-4'"})))
    assert names(inventory.get_hosts('all')) == WAVE_ORDER
    assert names(inventory.get_hosts('ungrouped')) == ['b-wave1-zone3', 'd-wave2-zone3']


@pytest.mark.parametrize('static', [STATIC, {'web': STATIC['all']}], ids=['hosts of all', 'hosts of a group'])
def test_order_by_is_the_order_of_all_with_a_static_source_after_the_plugin(inventory_manager, static):
    inventory = inventory_manager(('waves.lighthouse.yml', WAVE_CONFIG), ('static.yml', static))
    assert names(inventory.get_hosts('all')) == WAVE_ORDER
    assert inventory.get_host('c-wave2-zone4').get_vars()['ansible_port'] == 2200
    assert inventory.get_host('c-wave2-zone4').get_vars()['lighthouse_instance_id'] == 'lhins-00000001'


def test_a_static_source_before_the_plugin_keeps_its_order_and_the_positions_tell(inventory_manager):
    inventory = inventory_manager(('static.yml', STATIC), ('waves.lighthouse.yml', WAVE_CONFIG))
    assert names(inventory.get_hosts('all')) == [instance['name'] for instance in WAVE_FLEET]
    assert positions(inventory) == dict((name, position) for position, name in enumerate(WAVE_ORDER, 1))


def test_positions_go_on_from_an_earlier_source_of_the_plugin(inventory_manager):
    inventory = inventory_manager(('zone4.lighthouse.yml', dict(WAVE_CONFIG, filters={'zone': 'ap-guangzhou-4'})),
                                  ('zone3.lighthouse.yml', dict(WAVE_CONFIG, filters={'zone': 'ap-guangzhou-3'})))
    expected = ['a-wave1-zone4', 'c-wave2-zone4', 'b-wave1-zone3', 'd-wave2-zone3']
    assert names(inventory.get_hosts('all')) == expected
    assert positions(inventory) == dict((name, position) for position, name in enumerate(expected, 1))
