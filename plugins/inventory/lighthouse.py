# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: lighthouse
short_description: Tencent Cloud Lighthouse instances as an inventory
version_added: 0.1.0
description:
  - Lists the Lighthouse instances of one or more regions and adds each as a host, with its fields as
    host variables.
  - Reads a YAML configuration file whose name ends with C(lighthouse.yml) or C(lighthouse.yaml)
    and that sets O(plugin) to V(tencentcloud.lighthouse.lighthouse).
  - Hosts are added region by region, in the order of O(regions), and within a region in the order
    the API lists them (instances about to be reclaimed first, then newest first), unless O(order_by) sets
    the order. The order hosts are added in is the inventory order, which plays with the play keyword
    C(order) set to V(inventory) (the default) follow, and in which C(serial) makes its batches.
  - Every host is added to the group C(all) itself, in that order, because the pattern C(all) lists the hosts of
    C(all) first and then those of its groups, group after group. So O(keyed_groups), O(groups) and hosts in no
    group leave the order of C(all), and of each group, as the plugin added the hosts.
  - With several inventory sources, give this plugin's first. A source after it may add variables and groups to
    its hosts without changing their order; a source before it that lists the same hosts in the group C(all)
    sets their order instead. Several configurations of this plugin make one order, the first one's hosts first.
    A pattern of several groups, such as C(zone_a:zone_b), takes the hosts group by group.
  - Every host gets the variable C(lighthouse_inventory_position), its place in that order from 1, which goes on
    from the hosts of an earlier configuration of this plugin. It does not take O(hostvars_prefix). The
    P(tencentcloud.lighthouse.snapshot_rollback#role) role refuses a play whose order is not that of these
    positions.
  - Every host gets the variable C(lighthouse_instance_id) (with the default O(hostvars_prefix)), which
    the P(tencentcloud.lighthouse.snapshot_rollback#role) role uses as its default instance.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
requirements:
  - tencentcloud-sdk-python-common
  - tencentcloud-sdk-python-lighthouse
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description:
      - Marks the file as a configuration of this plugin.
    type: str
    required: true
    choices:
      - tencentcloud.lighthouse.lighthouse
  secret_id:
    description:
      - The SecretId of a Tencent Cloud API key.
      - May be a template, for example C({{ vault_lighthouse_secret_id }}), rendered with the extra variables.
      - When neither O(secret_id) nor O(secret_key) is set, the SDK's default credential chain is used
        instead, in this order, the C([default]) profile in C(~/.tencentcloud/credentials), the CAM role of
        the CVM Ansible runs on, and TKE OIDC.
    type: str
    env:
      - name: TENCENTCLOUD_SECRET_ID
  secret_key:
    description:
      - The SecretKey that belongs to O(secret_id).
      - May be a template, rendered with the extra variables.
    type: str
    env:
      - name: TENCENTCLOUD_SECRET_KEY
  security_token:
    description:
      - The token of temporary (STS) credentials, used together with O(secret_id) and O(secret_key).
      - May be a template, rendered with the extra variables.
    type: str
    env:
      - name: TENCENTCLOUD_SECURITY_TOKEN
      - name: TENCENTCLOUD_TOKEN
  region:
    description:
      - The region to list when O(regions) is not set, for example V(ap-guangzhou).
      - May be a template, rendered with the extra variables.
    type: str
    env:
      - name: TENCENTCLOUD_REGION
  regions:
    description:
      - The regions to list, for example V([ap-guangzhou, ap-shanghai]).
      - If not set, the one region of O(region).
    type: list
    elements: str
  endpoint:
    description:
      - The Lighthouse API endpoint, as C(host[:port]) or as an C(http://) or C(https://) URL.
        A bare host is reached over HTTPS.
      - May be a template, rendered with the extra variables.
      - If not set, the SDK default C(lighthouse.tencentcloudapi.com).
    type: str
    env:
      - name: TENCENTCLOUD_LIGHTHOUSE_ENDPOINT
  validate_certs:
    description:
      - Whether to verify the TLS certificate of an HTTPS endpoint.
      - Only set this to V(false) for endpoints you control, such as a test server.
    type: bool
    default: true
  api_timeout:
    description:
      - Seconds to wait for the answer to one API request.
    type: int
    default: 30
  retry_timeout:
    description:
      - The deadline, in seconds, for listing every region. Reads that the API throttles or that meet a transient error
        are retried, with growing pauses, until it passes; then the inventory fails with the last error.
    type: int
    default: 120
    version_added: 0.2.0
  instance_ids:
    description:
      - List only these instances, for example V(lhins-k31c771o).
      - Every id must exist in the region, otherwise the inventory fails with
        C(ResourceNotFound.InstanceIdNotFound).
      - Needs exactly one region, and cannot be combined with O(filters).
    type: list
    elements: str
  filters:
    description:
      - DescribeInstances filters, as a dict of filter name to a value or a list of values.
      - Known names are C(instance-name), C(private-ip-address), C(public-ip-address), C(zone),
        C(instance-state), C(tag-key), C(tag-value), C(tag:<key>) and C(bundle-id).
      - Different filters must all match; one of the values of each filter must match.
      - At most 10 filters of at most 100 values each.
    type: dict
    default: {}
  hostnames:
    description:
      - What to name a host after, in order of preference; the first one the instance has a value for is used.
      - V(public_ip) and V(private_ip) are the instance's first public and private IPv4 address.
      - An instance without a value for any of them is named by its instance id.
      - When two or more instances would get the same name, for example two instances called V(web) in
        different regions, each of them is named by its instance id instead, with a warning.
    type: list
    elements: str
    choices:
      - instance_name
      - instance_id
      - public_ip
      - private_ip
    default:
      - instance_name
  order_by:
    description:
      - The order the hosts are added in, which is the inventory order, for example the order in which the
        C(tencentcloud.lighthouse.rollback) playbook takes them, batch after batch.
      - A list of keys, the first one deciding, the next ones breaking its ties; instances equal on every key
        keep the order of the API. The order is over all regions together.
      - V(instance_name), V(instance_id); V(created_time) (oldest first); V(public_ip) and V(private_ip), the
        instance's first IPv4 address of that kind, in numeric order; V(tag:<key>), the value of the tag
        C(<key>), for example V(tag:wave) to roll back in waves, wave V(1) first. Tag values that are whole
        numbers come first, in numeric order (V(2) before V(10)), then the other values in text order.
      - Prefix a key with V(-) for the reverse order, for example V(-created_time) for the newest first.
      - Instances without a value for a key (no such tag, no address) come after those with one, in either order.
    type: list
    elements: str
    default: []
  hostvars_prefix:
    description:
      - The prefix of the host variables that hold the instance's fields.
      - Every field DescribeInstances returns becomes a variable, its name the prefix and the field
        name in snake_case, for example C(lighthouse_instance_id), C(lighthouse_instance_state),
        C(lighthouse_public_addresses), C(lighthouse_system_disk) and C(lighthouse_tags) (a dict of tag key
        to tag value). C(lighthouse_region) is the region the instance was listed in.
      - The P(tencentcloud.lighthouse.snapshot_rollback#role) role reads C(lighthouse_instance_id); with
        another prefix, set its C(snapshot_rollback_instance_id).
    type: str
    default: lighthouse_
notes:
  - C(ansible_host) is set to the instance's first public IPv4 address, or to its first private one when it
    has no public address. Set C(ansible_host) in O(compose) to choose another, for example the
    expression C(lighthouse_private_addresses[0]).
  - With O(cache), the cached instances are used only while O(regions), O(region), O(instance_ids),
    O(filters) and O(endpoint) stay the same; otherwise the API is asked again.
  - Throttled and transient API errors are retried with jittered exponential backoff.
"""

EXAMPLES = r"""
# lighthouse.yml: every instance of the region in TENCENTCLOUD_REGION, credentials from the
# TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY environment variables.
plugin: tencentcloud.lighthouse.lighthouse

---
# prod.lighthouse.yml: the running prod instances of two regions, grouped by state, zone and tag,
# reached over their private address, the key taken from a vaulted extra variable.
plugin: tencentcloud.lighthouse.lighthouse
secret_id: AKIDEXAMPLE
secret_key: "{{ vault_lighthouse_secret_key }}"
regions:
  - ap-guangzhou
  - ap-shanghai
filters:
  instance-state: RUNNING
  tag:env: prod
hostnames:
  - instance_name
  - private_ip
# Inventory order, so the rollback playbook's batches: the tag "wave" (1, 2, ...), then by name within a wave.
order_by:
  - tag:wave
  - instance_name
compose:
  ansible_host: lighthouse_private_addresses[0]
keyed_groups:
  - key: lighthouse_instance_state | lower
    prefix: state
  - key: lighthouse_zone
    prefix: zone
  - key: lighthouse_tags
    prefix: tag
groups:
  large: lighthouse_memory >= 8

---
# cached.lighthouse.yml: two named instances, the answer cached for ten minutes.
plugin: tencentcloud.lighthouse.lighthouse
region: ap-guangzhou
instance_ids:
  - lhins-k31c771o
  - lhins-3mbvvzu2
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-lighthouse
cache_timeout: 600
"""

import collections
import ipaddress
import sys

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._client import HAS_SDK, SDK_IMPORT_ERROR, SDK_REQUIREMENT, connect
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import describe_instances
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import Deadline

# The options connect() reads, and those of them that may be templates.
AUTH_OPTIONS = ('secret_id', 'secret_key', 'security_token', 'region', 'endpoint', 'validate_certs', 'api_timeout')
TEMPLATED_OPTIONS = ('secret_id', 'secret_key', 'security_token', 'region', 'endpoint')


def _first(addresses):
    return addresses[0] if addresses else None


# The choices of the hostnames option: how each finds its value in a normalised instance.
HOSTNAME_SOURCES = {
    'instance_name': lambda instance: instance.get('instance_name'),
    'instance_id': lambda instance: instance.get('instance_id'),
    'public_ip': lambda instance: _first(instance.get('public_addresses')),
    'private_ip': lambda instance: _first(instance.get('private_addresses')),
}


def preferred_name(instance, preferences):
    """The first value of the `preferences` (hostnames choices) the instance has, else its instance id."""
    for preference in preferences:
        name = HOSTNAME_SOURCES[preference](instance)
        if name:
            return name
    return instance['instance_id']


def host_names(instances, preferences):
    """The host name of each instance and the sorted names that several instances would share.

    Instances that would share a name are each named by their instance id instead.
    """
    names = [preferred_name(instance, preferences) for instance in instances]
    counts = collections.Counter(names)
    shared = sorted(name for name, count in counts.items() if count > 1)
    return [name if counts[name] == 1 else instance['instance_id'] for name, instance in zip(names, instances)], shared


def _address_key(addresses):
    return int(ipaddress.ip_address(addresses[0])) if addresses else None


def _tag_key(value):
    """Whole numbers first, in numeric order, then text: wave 2 comes before wave 10."""
    text = str(value).strip()
    return (0, int(text), '') if text.isdigit() else (1, 0, text)


# The keys of the order_by option: how each finds its sort value in a normalised instance (None: no value).
ORDER_KEYS = {
    'instance_name': lambda instance: instance.get('instance_name') or None,
    'instance_id': lambda instance: instance.get('instance_id'),
    'created_time': lambda instance: instance.get('created_time') or None,
    'public_ip': lambda instance: _address_key(instance.get('public_addresses')),
    'private_ip': lambda instance: _address_key(instance.get('private_addresses')),
}
TAG_PREFIX = 'tag:'


def order_functions(keys):
    """For each order_by key, its sort value function and whether it is reversed; raises AnsibleError for an unknown key."""
    functions = []
    for key in keys:
        reverse = key.startswith('-')
        name = key[1:] if reverse else key
        if name.startswith(TAG_PREFIX) and len(name) > len(TAG_PREFIX):
            functions.append((_tag_value(name[len(TAG_PREFIX):]), reverse))
        elif name in ORDER_KEYS:
            functions.append((ORDER_KEYS[name], reverse))
        else:
            raise AnsibleError('Failed to list Lighthouse instances: order_by has the unknown key %r; expected one of %s or tag:<key>, '
                               'each optionally prefixed with - for the reverse order' % (key, ', '.join(ORDER_KEYS)))
    return functions


def _tag_value(tag):
    return lambda instance: _tag_key(instance['tags'][tag]) if tag in (instance.get('tags') or {}) else None


def ordered(instances, functions):
    """The instances sorted by ``functions`` (see order_functions()); instances equal on every key keep their order."""
    result = list(instances)
    # Stable sorts, by the last key first and by the first key last: the first key decides, the next ones break ties.
    for value, reverse in reversed(functions):
        valued = sorted((instance for instance in result if value(instance) is not None), key=value, reverse=reverse)
        result = valued + [instance for instance in result if value(instance) is None]
    return result


def host_vars(instance, prefix):
    """Every field of a normalised instance as a host variable named `prefix` + field, and ansible_host.

    ansible_host is the first public address, else the first private one, else not set.
    """
    variables = dict((prefix + field, value) for field, value in instance.items())
    address = _first(instance.get('public_addresses')) or _first(instance.get('private_addresses'))
    if address:
        variables['ansible_host'] = address
    return variables


# The host variable with the host's place in the order of this plugin's hosts, from 1; the role checks the play's order with it.
POSITION_VARIABLE = 'lighthouse_inventory_position'


def next_position(inventory):
    """The position after the last one an earlier source of this plugin gave, so that several sources make one order."""
    return 1 + max((host.vars.get(POSITION_VARIABLE, 0) for host in inventory.hosts.values()), default=0)


def check_query(query):
    """Raise AnsibleError, before any API call, for a query the API could not answer."""
    if not query['regions']:
        raise AnsibleError('Failed to list Lighthouse instances: no region given; set regions, region or TENCENTCLOUD_REGION')
    if query['instance_ids'] and query['filters']:
        raise AnsibleError('Failed to list Lighthouse instances: instance_ids and filters cannot be combined')
    if query['instance_ids'] and len(query['regions']) > 1:
        raise AnsibleError('Failed to list Lighthouse instances: instance_ids needs exactly one region, got %s'
                           % ', '.join(query['regions']))


def list_instances(params, query, deadline=None):
    """The normalised instances of every region of `query`, each with its ``region``.

    `params` holds the auth options for connect() (its region is replaced by each region in turn); throttled and
    transient reads are retried within `deadline` (a Deadline over every region).
    Raises AnsibleError naming the region, the API's message and code; never a secret.
    """
    instances = []
    for region in query['regions']:
        try:
            client = connect(dict(params, region=region), deadline=deadline)
            found = describe_instances(client, query['instance_ids'], query['filters'])
        except LighthouseError as err:
            raise AnsibleError('Failed to list Lighthouse instances in %s: %s' % (region, err)) from None
        instances.extend(dict(instance, region=region) for instance in found)
    return instances


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'tencentcloud.lighthouse.lighthouse'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('lighthouse.yml', 'lighthouse.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        if not HAS_SDK:
            raise AnsibleError('The %s inventory plugin needs the Python packages %s for the Python that runs Ansible (%s): %s'
                               % (self.NAME, SDK_REQUIREMENT, sys.executable, SDK_IMPORT_ERROR.strip().splitlines()[-1]))
        self._read_config_data(path)
        params = self._auth_params()
        query = {
            'regions': self.get_option('regions') or ([params['region']] if params['region'] else []),
            'instance_ids': self.get_option('instance_ids') or None,
            'filters': self.get_option('filters'),
            'endpoint': params['endpoint'],
        }
        check_query(query)
        order = order_functions(self.get_option('order_by'))  # a bad key fails here, before any API call
        self._populate(ordered(self._instances(path, cache, params, query), order))

    def _auth_params(self):
        """The auth options as connect() expects them, templates rendered with the extra variables."""
        for name in ('api_timeout', 'retry_timeout'):
            if self.get_option(name) <= 0:
                raise AnsibleError('Failed to list Lighthouse instances: %s must be a positive number of seconds, got %d'
                                   % (name, self.get_option(name)))
        self.templar.available_variables = self._vars
        params = dict((name, self.get_option(name)) for name in AUTH_OPTIONS)
        params.update((name, self.templar.template(params[name])) for name in TEMPLATED_OPTIONS if params[name])
        return params

    def _instances(self, path, cache, params, query):
        """The instances from the cache when it is on, allowed, and holds an answer to the same query; else from the API."""
        key = self.get_cache_key(path)
        if self.get_option('cache') and cache:
            cached = self._cache.get(key)
            if cached and cached.get('query') == query:
                return cached['instances']
        instances = list_instances(params, query, Deadline(self.get_option('retry_timeout')))
        if self.get_option('cache'):
            self._cache[key] = {'query': query, 'instances': instances}
        return instances

    def _populate(self, instances):
        names, shared = host_names(instances, self.get_option('hostnames'))
        if shared:
            self.display.warning('Several Lighthouse instances would be named %s; each of them is named by its instance id instead'
                                 % ', '.join(shared))
        strict = self.get_option('strict')
        first = next_position(self.inventory)
        for position, (name, instance) in enumerate(zip(names, instances), first):
            variables = dict(host_vars(instance, self.get_option('hostvars_prefix')), **{POSITION_VARIABLE: position})
            # Pattern all lists the own hosts of group all first, then those of its groups, group after group: only
            # all's own list keeps the order hosts were added in once keyed_groups or another source made groups.
            self.inventory.add_host(name, group='all')
            for variable, value in variables.items():
                self.inventory.set_variable(name, variable, value)
            self._set_composite_vars(self.get_option('compose'), variables, name, strict)
            self._add_host_to_composed_groups(self.get_option('groups'), variables, name, strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, name, strict)
