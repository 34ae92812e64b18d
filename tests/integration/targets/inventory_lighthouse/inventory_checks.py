# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tencentcloud.lighthouse.lighthouse inventory plugin against the emulator, through ansible-inventory.

Run by runme.sh. Resets the emulator to one fleet, then per scenario writes an inventory
configuration, runs ``ansible-inventory --list`` and checks its hosts, groups and host variables,
and the API calls the emulator's journal recorded. The emulator is the tree's background emulator,
started unless it runs already by the setup_emulator target's background_emulator.py (alias needs/target/setup_emulator).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

PLUGIN = 'tencentcloud.lighthouse.lighthouse'
HOME = 'ap-guangzhou'
OTHER = 'ap-shanghai'
# Six instances to tell apart, two of them sharing a name across regions, and 102 more in HOME:
# 106 instances in HOME take two pages of 100.
FLEET = {
    'region': HOME,
    'instances': [
        {'name': 'web-1', 'zone': 'ap-guangzhou-3', 'tags': {'env': 'prod', 'team': 'web'},
         'public_addresses': ['203.0.113.11'], 'private_addresses': ['10.0.0.11']},
        {'name': 'web-2', 'state': 'STOPPED', 'zone': 'ap-guangzhou-4', 'tags': {'env': 'prod'},
         'public_addresses': ['203.0.113.12'], 'private_addresses': ['10.0.0.12']},
        {'name': 'db-1', 'zone': 'ap-guangzhou-3', 'tags': {'env': 'staging'}, 'public_addresses': [], 'private_addresses': ['10.0.0.13']},
        {'name': 'twin'},
        {'name': 'twin', 'region': OTHER},
        {'name': 'remote-1', 'region': OTHER, 'zone': 'ap-shanghai-2'},
    ] + [{}] * 102,
}
WRONG_KEY = 'not-the-emulator-secret-key-4711'


def emulator():
    """The emulator's url, secret_id, secret_key."""
    started = subprocess.run([sys.executable, os.path.join('..', 'setup_emulator', 'files', 'background_emulator.py'), 'start'],
                             capture_output=True, text=True, check=False)
    if started.returncode:
        raise SystemExit('the emulator did not start:\n' + started.stderr)
    found = json.loads(started.stdout)
    return found['url'], found['secret_id'], found['secret_key']


URL, SECRET_ID, SECRET_KEY = emulator()
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'setup_emulator', 'files'))

from background_emulator import EMULATOR_DIR  # noqa: E402 pylint: disable=wrong-import-position

sys.path.insert(0, EMULATOR_DIR)

from harness import control  # noqa: E402 pylint: disable=wrong-import-position


def plain(value):
    """ansible-inventory's JSON without its {"__ansible_unsafe": ...} wrappers."""
    if isinstance(value, dict):
        if list(value) == ['__ansible_unsafe']:
            return value['__ansible_unsafe']
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class Inventory:
    """The answer of ``ansible-inventory --list``, and the API calls it made."""

    def __init__(self, listing, stderr, calls):
        self.hostvars = plain(listing['_meta']['hostvars'])
        self.groups = dict((name, sorted(group.get('hosts', []))) for name, group in listing.items() if name != '_meta')
        self.stderr = stderr
        self.calls = calls

    @property
    def hosts(self):
        return sorted(self.hostvars)

    def named(self, *names):
        """The host variables of the hosts of these names."""
        return [self.hostvars[name] for name in names]


def expect(actual, expected, what):
    if actual != expected:
        raise AssertionError('%s: expected %r, got %r' % (what, expected, actual))


def run_inventory(work, name, config, *arguments, env=None):
    """Write `config` (with `plugin`) as <name>.lighthouse.yml and run ansible-inventory --list on it.

    Returns (the completed process, the journal entries of its API calls). The emulator is named by
    the TENCENTCLOUD_* variables unless `env` replaces them.
    """
    path = os.path.join(work, name + '.lighthouse.yml')
    with open(path, 'w', encoding='utf-8') as config_file:
        yaml.safe_dump(dict({'plugin': PLUGIN}, **config), config_file)
    environment = dict((key, value) for key, value in os.environ.items() if not key.startswith('TENCENTCLOUD_'))
    environment.update(ANSIBLE_INVENTORY_UNPARSED_FAILED='true', TENCENTCLOUD_LIGHTHOUSE_ENDPOINT=URL, TENCENTCLOUD_REGION=HOME,
                       TENCENTCLOUD_SECRET_ID=SECRET_ID, TENCENTCLOUD_SECRET_KEY=SECRET_KEY)
    environment.update(env or {})
    before = max([entry['seq'] for entry in control(URL, 'journal')] or [0])
    process = subprocess.run(['ansible-inventory', '-i', path, '--list'] + list(arguments),
                             env=environment, capture_output=True, text=True, check=False)
    return process, control(URL, 'journal?since=%d' % before)


def inventory(work, name, config, *arguments, env=None):
    """run_inventory() that must succeed: its Inventory."""
    process, calls = run_inventory(work, name, config, *arguments, env=env)
    if process.returncode:
        raise AssertionError('ansible-inventory failed for %s:\n%s' % (name, process.stderr))
    return Inventory(json.loads(process.stdout), process.stderr, calls)


def describe_calls(calls):
    """(region, Offset, Limit) of each DescribeInstances call."""
    return [(call['region'], call['params'].get('Offset'), call['params'].get('Limit')) for call in calls if call['action'] == 'DescribeInstances']


def check_everything_of_a_region(work, ids):
    found = inventory(work, 'everything', {
        'keyed_groups': [
            {'key': 'lighthouse_instance_state | lower', 'prefix': 'state'},
            {'key': 'lighthouse_zone', 'prefix': 'zone'},
            {'key': 'lighthouse_tags', 'prefix': 'tag'},
        ],
        'groups': {'databases': "lighthouse_instance_name.startswith('db-')"},
        'compose': {'internal_address': 'lighthouse_private_addresses[0]'},
    })
    expect(len(found.hosts), 106, 'hosts of %s' % HOME)
    expect(describe_calls(found.calls), [(HOME, 0, 100), (HOME, 100, 100)], 'DescribeInstances pages')
    expect(found.groups['state_stopped'], ['web-2'], 'state_stopped')
    expect(len(found.groups['state_running']), 105, 'state_running size')
    expect(found.groups['zone_ap_guangzhou_4'], ['web-2'], 'zone_ap_guangzhou_4')
    expect(found.groups['tag_env_prod'], ['web-1', 'web-2'], 'tag_env_prod')
    expect(found.groups['tag_env_staging'], ['db-1'], 'tag_env_staging')
    expect(found.groups['tag_team_web'], ['web-1'], 'tag_team_web')
    expect(found.groups['databases'], ['db-1'], 'databases')
    web1, db1 = found.named('web-1', 'db-1')
    expect((web1['lighthouse_instance_id'], web1['lighthouse_region'], web1['lighthouse_instance_state']),
           (ids[HOME, 'web-1'], HOME, 'RUNNING'), 'web-1 identity')
    expect((web1['lighthouse_public_addresses'], web1['lighthouse_private_addresses']), (['203.0.113.11'], ['10.0.0.11']), 'web-1 addresses')
    expect(web1['lighthouse_system_disk']['disk_id'], ids[HOME, 'web-1', 'disk'], 'web-1 system disk')
    expect(web1['lighthouse_tags'], {'env': 'prod', 'team': 'web'}, 'web-1 tags')
    expect((web1['ansible_host'], web1['internal_address']), ('203.0.113.11', '10.0.0.11'), 'web-1 ansible_host and composed variable')
    expect(db1['ansible_host'], '10.0.0.13', 'ansible_host of db-1, which has no public address')
    without_id = [name for name, variables in found.hostvars.items() if not re.match('^lhins-[0-9a-z]{8}$', variables['lighthouse_instance_id'])]
    expect(without_id, [], 'hosts without lighthouse_instance_id')


def check_hostnames_and_compose(work, ids):
    found = inventory(work, 'hostnames', {
        'filters': {'instance-name': ['web-1', 'db-1']},
        'hostnames': ['public_ip', 'instance_name'],
        'compose': {'ansible_host': 'lighthouse_private_addresses[0]'},
    })
    expect(found.hosts, ['203.0.113.11', 'db-1'], 'hosts named by public address, else by name')
    expect([host['ansible_host'] for host in found.named('203.0.113.11', 'db-1')], ['10.0.0.11', '10.0.0.13'], 'composed ansible_host')
    expect(found.hostvars['203.0.113.11']['lighthouse_instance_id'], ids[HOME, 'web-1'], 'instance id of 203.0.113.11')


def check_filters(work, ids):
    stopped = inventory(work, 'stopped', {'filters': {'instance-state': 'STOPPED'}})
    prod = inventory(work, 'prod', {'filters': {'tag:env': 'prod', 'instance-state': ['RUNNING', 'STOPPED']}})
    by_id = inventory(work, 'by_id', {'instance_ids': [ids[HOME, 'db-1']]})
    expect(stopped.hosts, ['web-2'], 'hosts with instance-state STOPPED')
    expect(stopped.calls[0]['params']['Filters'], [{'Name': 'instance-state', 'Values': ['STOPPED']}], 'filters sent')
    expect(prod.hosts, ['web-1', 'web-2'], 'hosts with tag env=prod')
    expect(by_id.hosts, ['db-1'], 'hosts by instance id')


def check_regions(work, ids):
    found = inventory(work, 'regions', {'regions': [HOME, OTHER], 'filters': {'instance-name': ['twin', 'remote-1', 'web-1']}})
    twins = [ids[HOME, 'twin'], ids[OTHER, 'twin']]
    expect(found.hosts, sorted(['remote-1', 'web-1'] + twins), 'hosts of two regions, the twins named by id')
    expect([found.hostvars[name]['lighthouse_region'] for name in twins + ['remote-1']], [HOME, OTHER, OTHER], 'regions of the hosts')
    expect(sorted(call[0] for call in describe_calls(found.calls)), [HOME, OTHER], 'regions asked')
    if 'Several Lighthouse instances would be named twin' not in found.stderr:
        raise AssertionError('no warning about the shared name twin:\n' + found.stderr)


def check_templated_credential(work, ids):
    found = inventory(work, 'templated', {'secret_key': '{{ lighthouse_test_key }}', 'instance_ids': [ids[HOME, 'web-1']]},
                      '-e', 'lighthouse_test_key=' + SECRET_KEY, env={'TENCENTCLOUD_SECRET_KEY': WRONG_KEY})
    expect(found.hosts, ['web-1'], 'hosts listed with a templated secret_key')


def check_bad_credential(work, ids):
    del ids
    process, calls = run_inventory(work, 'wrong', {'secret_key': WRONG_KEY}, '-vvv')
    output = process.stdout + process.stderr
    expect(process.returncode != 0, True, 'ansible-inventory fails with a wrong key')
    if not re.search(r'Failed to list Lighthouse instances in %s: .*\(AuthFailure\.SignatureFailure\)' % HOME, output):
        raise AssertionError('no clear failure message:\n' + output)
    expect([WRONG_KEY in output, SECRET_KEY in output], [False, False], 'secrets in the output')
    expect([call['error_code'] for call in calls], ['AuthFailure.SignatureFailure'], 'calls made with a wrong key')


def check_order_by(work, ids):
    del ids
    # The play order, which ansible-inventory --list keeps in each group's host list: staging before prod, by name reversed within.
    process, calls = run_inventory(work, 'ordered', {'filters': {'tag-key': 'env'}, 'order_by': ['-tag:env', '-instance_name']})
    expect(process.returncode, 0, 'ansible-inventory with order_by (%s)' % process.stderr)
    expect(json.loads(process.stdout)['ungrouped']['hosts'], ['db-1', 'web-2', 'web-1'], 'hosts in the order of order_by')
    expect(len(describe_calls(calls)), 1, 'API calls with order_by')
    refused, calls = run_inventory(work, 'misordered', {'order_by': ['tag:env', 'size']})
    expect([refused.returncode != 0, "order_by has the unknown key 'size'" in refused.stderr, calls], [True, True, []],
           'an unknown order_by key refused before any API call')


def check_cache(work, ids):
    del ids
    config = {'filters': {'tag:env': 'prod'}, 'cache': True, 'cache_plugin': 'ansible.builtin.jsonfile',
              'cache_connection': os.path.join(work, 'cache'), 'cache_timeout': 600}
    first = inventory(work, 'cached', config)
    again = inventory(work, 'cached', config)
    flushed = inventory(work, 'cached', config, '--flush-cache')
    expect([len(describe_calls(run.calls)) for run in (first, again, flushed)], [1, 0, 1], 'API calls with the cache')
    expect([first.hostvars, again.hostvars], [flushed.hostvars] * 2, 'host variables from the cache')


def main():
    state = control(URL, 'reset', {'fleet': FLEET})
    ids = {}
    for item in state['instances']:
        ids[item['region'], item['InstanceName']] = item['InstanceId']
        ids[item['region'], item['InstanceName'], 'disk'] = item['SystemDisk']['DiskId']
    with tempfile.TemporaryDirectory() as work:
        for check in (check_everything_of_a_region, check_hostnames_and_compose, check_filters, check_regions,
                      check_templated_credential, check_bad_credential, check_order_by, check_cache):
            check(work, ids)
            print('ok', check.__name__)


if __name__ == '__main__':
    main()
