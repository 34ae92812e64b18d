"""Request parameters: decoding, type checks, and the shared rules for ID lists, paging and filters."""

import ipaddress
import json
import re
import urllib.parse

from .errors import ApiError
from .model import KINDS, is_valid_id

MAX_FILTERS = 10
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
ID_FILTERS = {'instance-id': 'instance', 'disk-id': 'disk', 'snapshot-id': 'snapshot'}
IP_FILTERS = ('private-ip-address', 'public-ip-address')

_TYPES = {
    'str': ('a string', lambda v: isinstance(v, str)),
    'int': ('an integer', lambda v: isinstance(v, int) and not isinstance(v, bool)),
    'strs': ('a list of strings', lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v)),
    'tags': ('a list of {"Key", "Value"} strings',
             lambda v: isinstance(v, list) and all(isinstance(t, dict) and set(t) == {'Key', 'Value'}
                                                   and all(isinstance(s, str) for s in t.values()) for t in v)),
    'filters': ('a list of filters', lambda v: True),  # checked in detail by filters()
}


def decode(method, query, body):
    """Return the action parameters of a request: the JSON body of a POST, the flattened query of a GET."""
    if method == 'GET':
        return _unflatten(urllib.parse.parse_qsl(query, keep_blank_values=True))
    try:
        params = json.loads(body.decode('utf-8') or '{}')
    except ValueError:
        raise ApiError('InvalidParameter', 'The request body is not a JSON object.')
    if not isinstance(params, dict):
        raise ApiError('InvalidParameter', 'The request body is not a JSON object.')
    return params


def _unflatten(pairs):
    """Turn ``Filters.0.Values.1=x`` style pairs back into nested lists and objects."""
    root = {}
    for key, value in pairs:
        node = root
        *parents, leaf = key.split('.')
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ApiError('InvalidParameter', 'Query parameter %s conflicts with another one.' % key)
        node[leaf] = value
    return _as_lists(root)


def _as_lists(node):
    if not isinstance(node, dict):
        return node
    node = {key: _as_lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        if sorted(int(key) for key in node) != list(range(len(node))):
            raise ApiError('InvalidParameter', 'List indexes in the query must be 0, 1, 2, ...')
        return [node[str(index)] for index in range(len(node))]
    return node


def check(params, schema, from_query):
    """Check names and types against ``schema`` ({name: type, with a trailing "!" if required}).

    Returns a copy; integers sent in a GET query string are converted.
    """
    params = dict(params)
    for name in params:
        if name not in schema:
            raise ApiError('UnknownParameter', 'The parameter %s is not recognised.' % name)
    for name, spec in schema.items():
        kind = spec.rstrip('!')
        if name not in params:
            if spec.endswith('!'):
                raise ApiError('MissingParameter', 'The parameter %s is required.' % name)
            continue
        if from_query and kind == 'int' and re.fullmatch(r'-?[0-9]+', str(params[name])):
            params[name] = int(params[name])
        description, valid = _TYPES[kind]
        if not valid(params[name]):
            raise ApiError('InvalidParameter', 'The parameter %s must be %s.' % (name, description))
    return params


def check_ids(name, values, kind, limit):
    """The rules every ID list (and single ID) follows: count, format, no duplicates."""
    if not values:
        raise ApiError('MissingParameter', 'The parameter %s must not be empty.' % name)
    if len(values) > limit:
        raise ApiError('InvalidParameterValue.LimitExceeded', '%s accepts at most %d values.' % (name, limit))
    for value in values:
        if not is_valid_id(kind, value):
            raise ApiError(KINDS[kind].malformed, '%r in %s is not a valid %s ID.' % (value, name, kind))
    if len(set(values)) < len(values):
        raise ApiError('InvalidParameterValue.Duplicated', '%s contains duplicate values.' % name)


def paging(params):
    """Offset and Limit, with their defaults and ranges."""
    offset = params.get('Offset', 0)
    limit = params.get('Limit', DEFAULT_LIMIT)
    for name, value in (('Offset', offset), ('Limit', limit)):
        if value < 0:
            raise ApiError('InvalidParameterValue.Negative', '%s must not be negative.' % name)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError('InvalidParameterValue.OutOfRange', 'Limit must be between 1 and %d.' % MAX_LIMIT)
    return offset, limit


def order(params, field_names, default_field, default_order):
    """OrderField and Order: returns (field, descending); OrderField None means the action's own order."""
    field = params.get('OrderField', default_field)
    direction = params.get('Order', default_order)
    if field is None and 'Order' in params:
        raise ApiError('MissingParameter.OrderFieldRequired', 'Order needs OrderField.')
    if field is not None and field not in field_names:
        raise ApiError('InvalidParameterValue', 'OrderField must be one of %s.' % ', '.join(field_names))
    if direction not in ('ASC', 'DESC'):
        raise ApiError('InvalidParameterValue', 'Order must be ASC or DESC.')
    return field, direction == 'DESC'


def filters(value, names, max_values):
    """Check a Filters list against the supported ``names``; returns [(name, values)].

    A name ``tag:<key>`` is supported wherever ``tag-key`` is.
    """
    if not isinstance(value, list):
        raise ApiError('InvalidParameter.InvalidFilter', 'Filters must be a list.')
    if len(value) > MAX_FILTERS:
        raise ApiError('InvalidParameterValue.LimitExceeded', 'At most %d filters are allowed.' % MAX_FILTERS)
    result = []
    for item in value:
        if not isinstance(item, dict):
            raise ApiError('InvalidParameter.InvalidFilterNotDict', 'Each filter must be an object.')
        if set(item) != {'Name', 'Values'}:
            raise ApiError('InvalidParameter.InvalidFilterInvalidKey', 'A filter has exactly the keys Name and Values.')
        name, values = item['Name'], item['Values']
        if not isinstance(name, str):
            raise ApiError('InvalidParameter.InvalidFilterInvalidNameNotStr', 'A filter Name must be a string.')
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ApiError('InvalidParameter.InvalidFilterInvalidValuesNotList', 'Filter %s: Values must be a list of strings.' % name)
        if name not in names and not (name.startswith('tag:') and 'tag-key' in names):
            raise ApiError('InvalidParameter.InvalidFilterNotSupportedName',
                           'Filter %s is not supported; use one of %s.' % (name, ', '.join(sorted(names))))
        if len(values) > max_values:
            raise ApiError('InvalidParameter.FilterValueLimitExceeded', 'Filter %s accepts at most %d values.' % (name, max_values))
        for filter_value in values:
            _check_filter_value(name, filter_value)
        result.append((name, values))
    return result


def _check_filter_value(name, value):
    if name in ID_FILTERS and not is_valid_id(ID_FILTERS[name], value):
        raise ApiError(KINDS[ID_FILTERS[name]].malformed, 'Filter %s: %r is not a valid ID.' % (name, value))
    if name in IP_FILTERS:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ApiError('InvalidParameterValue.InvalidIpFormat', 'Filter %s: %r is not an IP address.' % (name, value))
