# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot and denied-action helpers of _lighthouse, on the emulated cloud."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import LighthouseError, OperationFailedError, WaitTimeoutError
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._lighthouse import (
    INSTANCE,
    SNAPSHOT,
    api_time,
    backups_of,
    check_snapshot_name,
    choose_before,
    create_snapshot,
    denied_actions,
    describe,
    newest_first,
    parse_cutoff,
    retired_backups,
    named,
    snapshots_named,
    snapshots_of_disks,
    wait_snapshot_created,
)
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._waiter import Deadline, Waiter
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import instance, snapshot
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.fakes import Scripted


@pytest.fixture
def web1(cloud):
    """lhins-00000001, RUNNING, with the snapshot lhsnap-00000001 of its system disk."""
    cloud.seed(instance(1, snapshots=[snapshot(1)]))
    return cloud


def waiting(client, clock, timeout=60):
    """What wait_snapshot_created needs of a module: its client, Waiter and deadline."""
    return SimpleNamespace(client=client, waiter=Waiter(sleep=clock.sleep), deadline=Deadline(timeout, clock))


# ---- denied actions

def test_denied_actions_of_an_instance_and_a_snapshot(web1, client):
    denied = denied_actions(client, INSTANCE, ['lhins-00000001'])['lhins-00000001']
    assert {'action': 'StartInstances', 'code': 'UnsupportedOperation.InvalidInstanceState'} in [
        {'action': item['action'], 'code': item['code']} for item in denied]
    assert denied_actions(client, SNAPSHOT, ['lhsnap-00000001']) == {'lhsnap-00000001': []}
    assert web1.calls() == [('DescribeInstancesDeniedActions', {'InstanceIds': ['lhins-00000001']}),
                            ('DescribeSnapshotsDeniedActions', {'SnapshotIds': ['lhsnap-00000001']})]


def test_denied_actions_checks_the_id_first(web1, client):
    with pytest.raises(LighthouseError) as caught:
        denied_actions(client, SNAPSHOT, ['lhsnap-00000001', 'snap-1'])
    assert caught.value.code == 'InvalidParameterValue.SnapshotIdMalformed'
    assert web1.calls() == []


def test_denied_actions_without_an_entry_for_the_id_is_empty():
    class Answers:
        """A client whose answer lists no entry for the instance asked about."""
        answers = Scripted({'InstanceDeniedActionSet': [], 'RequestId': 'req-1'})

        def call(self, action, params):
            return self.answers()

    assert denied_actions(Answers(), INSTANCE, ['lhins-00000001']) == {'lhins-00000001': []}


def test_denied_actions_of_several_ids_is_one_call_per_hundred(cloud, client):
    cloud.seed(*[instance(number) for number in range(1, 103)])
    ids = ['lhins-%08d' % number for number in range(1, 103)]
    denied = denied_actions(client, INSTANCE, ids + ids[:1])
    assert list(denied) == ids
    assert [len(params['InstanceIds']) for _action, params in cloud.calls()] == [100, 2]


# ---- creating a snapshot

def test_create_snapshot_sends_the_name_and_returns_the_ids(web1, client):
    snapshot_id, request_id = create_snapshot(client, 'lhins-00000001', name='before')
    assert web1.calls() == [('CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001', 'SnapshotName': 'before'})]
    created = web1.snapshot(snapshot_id)
    assert (created['SnapshotName'], created['SnapshotState'], created['LatestOperationRequestId']) == ('before', 'CREATING', request_id)


def test_create_snapshot_without_name_lets_the_cloud_choose(web1, client):
    create_snapshot(client, 'lhins-00000001')
    assert web1.calls() == [('CreateInstanceSnapshot', {'InstanceId': 'lhins-00000001'})]


def test_create_snapshot_is_sent_once_even_when_refused_as_busy(web1, client):
    web1.faults.add({'action': 'CreateInstanceSnapshot', 'code': 'UnsupportedOperation.DiskBusy'})
    with pytest.raises(LighthouseError) as caught:
        create_snapshot(client, 'lhins-00000001')
    assert caught.value.code == 'UnsupportedOperation.DiskBusy'
    assert web1.actions() == ['CreateInstanceSnapshot']


def test_create_snapshot_fails_at_once_on_quota(web1, client):
    web1.settings.update({'snapshot_quota_per_instance': 1})
    with pytest.raises(LighthouseError) as caught:
        create_snapshot(client, 'lhins-00000001')
    assert caught.value.code == 'LimitExceeded.SnapshotQuotaLimitExceeded'
    assert web1.actions() == ['CreateInstanceSnapshot']


def test_create_snapshot_without_a_snapshot_id_in_the_answer_is_an_invalid_response():
    class Answers:
        """A client whose CreateInstanceSnapshot answer has no SnapshotId."""
        answers = Scripted({'RequestId': 'req-9'})

        def call(self, action, params):
            return self.answers()

    with pytest.raises(LighthouseError) as caught:
        create_snapshot(Answers(), 'lhins-00000001')
    assert (caught.value.code, caught.value.request_id) == ('InvalidResponse', 'req-9')


# ---- waiting for a creation

def test_wait_snapshot_created_returns_the_normal_snapshot(web1, client, clock):
    snapshot_id, request_id = create_snapshot(client, 'lhins-00000001')
    created = wait_snapshot_created(waiting(client, clock), snapshot_id, request_id)
    assert (created['snapshot_id'], created['snapshot_state'], created['latest_operation_state']) == (snapshot_id, 'NORMAL', 'SUCCESS')
    assert web1.settings['durations']['snapshot'] <= clock.now - 100 <= web1.settings['durations']['snapshot'] + 1


def test_wait_snapshot_created_treats_an_unlisted_snapshot_as_pending(web1, client, clock):
    web1.settings.update({'describe_lag': 2})
    snapshot_id, request_id = create_snapshot(client, 'lhins-00000001')
    created = wait_snapshot_created(waiting(client, clock), snapshot_id, request_id)
    assert created['snapshot_id'] == snapshot_id
    assert clock.now - 100 >= 2


def test_wait_snapshot_created_ignores_another_requests_success(web1, client, clock):
    with pytest.raises(WaitTimeoutError) as caught:
        wait_snapshot_created(waiting(client, clock, timeout=3), 'lhsnap-00000001', 'req-mine')
    assert 'the creation of snapshot lhsnap-00000001 (request req-mine)' in caught.value.message


def test_wait_snapshot_created_fails_at_once_when_the_creation_failed(web1, client, clock):
    web1.faults.add({'action': 'CreateInstanceSnapshot', 'kind': 'async_failed'})
    snapshot_id, request_id = create_snapshot(client, 'lhins-00000001')
    with pytest.raises(OperationFailedError) as caught:
        wait_snapshot_created(waiting(client, clock), snapshot_id, request_id)
    assert caught.value.request_id == request_id
    assert 'latest_operation_state=FAILED' in caught.value.message


def test_wait_snapshot_created_without_wait_lists_it_once(web1, client, clock):
    listed = wait_snapshot_created(waiting(client, clock), 'lhsnap-00000001', 'req-x', wait=False)
    assert listed['snapshot_id'] == 'lhsnap-00000001'
    assert web1.actions() == ['DescribeSnapshots']


# ---- finding snapshots

def made(snapshot_id, created_time):
    return {'snapshot_id': snapshot_id, 'created_time': created_time}


def test_newest_first_sorts_by_time_then_id_descending():
    snapshots = [made('lhsnap-aaaaaaaa', '2025-01-01T00:00:00Z'), made('lhsnap-cccccccc', '2025-03-01T00:00:00Z'),
                 made('lhsnap-bbbbbbbb', '2025-03-01T00:00:00Z'), made('lhsnap-dddddddd', None)]
    assert [item['snapshot_id'] for item in newest_first(snapshots)] == ['lhsnap-cccccccc', 'lhsnap-bbbbbbbb', 'lhsnap-aaaaaaaa', 'lhsnap-dddddddd']


def test_newest_first_does_not_depend_on_the_input_order():
    snapshots = [made('lhsnap-%08d' % number, '2025-01-01T00:00:00Z') for number in range(5)]
    assert newest_first(snapshots) == newest_first(reversed(snapshots))


def test_snapshots_named_matches_exactly_on_one_disk_newest_first(cloud, client):
    cloud.seed(instance(1, snapshots=[snapshot(1, 'nightly', created_time='2025-01-01T00:01:00Z'), snapshot(2, 'Nightly'),
                                      snapshot(3, 'nightly', created_time='2025-01-01T00:03:00Z')]),
               instance(2, snapshots=[snapshot(4, 'nightly')]))
    assert [item['snapshot_id'] for item in snapshots_named(client, 'lhdisk-00000001', 'nightly')] == ['lhsnap-00000003', 'lhsnap-00000001']
    assert cloud.calls()[0][1]['Filters'] == [{'Name': 'disk-id', 'Values': ['lhdisk-00000001']}, {'Name': 'snapshot-name', 'Values': ['nightly']}]


def test_snapshots_of_disks_reads_five_disks_per_call_and_sorts_them_by_disk(cloud, client):
    cloud.seed(*[instance(number, snapshots=[snapshot(number, 'nightly' if number % 2 else 'other')]) for number in range(1, 8)])
    disks = ['lhdisk-%08d' % number for number in range(1, 8)]
    found = snapshots_of_disks(client, disks + disks[:1], {'snapshot-name': 'nightly'})
    assert list(found) == disks
    assert [[item['snapshot_id'] for item in found[disk]] for disk in disks] == [
        ['lhsnap-%08d' % number] if number % 2 else [] for number in range(1, 8)]
    assert [[(item['Name'], item['Values']) for item in params['Filters']] for _action, params in cloud.calls()] == [
        [('disk-id', disks[:5]), ('snapshot-name', ['nightly'])], [('disk-id', disks[5:]), ('snapshot-name', ['nightly'])]]
    assert snapshots_of_disks(client, []) == {} and len(cloud.calls()) == 2


def test_named_keeps_the_exact_name_newest_first():
    found = [{'snapshot_id': 'lhsnap-00000001', 'snapshot_name': 'nightly', 'created_time': '2025-01-01T00:01:00Z'},
             {'snapshot_id': 'lhsnap-00000002', 'snapshot_name': 'Nightly', 'created_time': '2025-01-01T00:02:00Z'},
             {'snapshot_id': 'lhsnap-00000003', 'snapshot_name': 'nightly', 'created_time': '2025-01-01T00:03:00Z'}]
    assert [item['snapshot_id'] for item in named(found, 'nightly')] == ['lhsnap-00000003', 'lhsnap-00000001']


def test_snapshots_named_finds_none(web1, client):
    assert snapshots_named(client, 'lhdisk-00000001', 'nightly') == []


@pytest.mark.parametrize('name', [None, 'a', 'n' * 60, 'pre-deploy 2025-01-01'])
def test_check_snapshot_name_accepts(name):
    check_snapshot_name('backup_name', name)


@pytest.mark.parametrize('name, code, message', [
    ('', 'ClientError', 'backup_name must not be empty'),
    ('n' * 61, 'InvalidParameterValue.SnapshotNameTooLong', 'backup_name is 61 characters long; snapshot names have at most 60'),
])
def test_check_snapshot_name_refuses(name, code, message):
    with pytest.raises(LighthouseError) as caught:
        check_snapshot_name('backup_name', name)
    assert (caught.value.code, caught.value.message) == (code, message)


@pytest.mark.parametrize('reading', ['omit', 'error'])
def test_describe_missing_ok_leaves_unknown_ids_out_in_the_order_given_whichever_reading_the_api_has(cloud, client, reading):
    cloud.seed(instance(1, snapshots=[snapshot(number, 'n%d' % number) for number in range(1, 8)]), behaviour={'unknown_snapshot_ids': reading})
    wanted = ['lhsnap-00000002', 'lhsnap-00000009', 'lhsnap-00000001', 'lhsnap-00000007', 'lhsnap-00000003', 'lhsnap-00000006']
    found = describe(client, SNAPSHOT, wanted, missing_ok=True)
    assert [item['snapshot_id'] for item in found] == ['lhsnap-00000002', 'lhsnap-00000001', 'lhsnap-00000007', 'lhsnap-00000003', 'lhsnap-00000006']
    # Asked for by an id filter of at most 5 values (the API's limit for snapshot filters), never by an id list.
    assert [params['Filters'][0]['Values'] for _action, params in cloud.calls()] == [wanted[:5], wanted[5:]]


@pytest.mark.parametrize('reading', ['omit', 'error'])
def test_describe_without_missing_ok_fails_on_unknown_ids_whichever_reading_the_api_has(cloud, client, reading):
    cloud.seed(instance(1, snapshots=[snapshot(1)]), behaviour={'unknown_snapshot_ids': reading})
    with pytest.raises(LighthouseError) as caught:
        describe(client, SNAPSHOT, ['lhsnap-00000001', 'lhsnap-00000009'])
    assert caught.value.code == 'ResourceNotFound.SnapshotIdNotFound'


# ---- point in time: cut-offs and the newest snapshot before one

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 12, 6, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize('text, expected', [
    ('2026-12-06T06:00:00Z', '2026-12-06T06:00:00Z'),
    ('2026-12-06T06:00:00+00:00', '2026-12-06T06:00:00Z'),
    # An offset across midnight: 01:30 on the 7th in UTC+8 is 17:30 on the 6th in UTC.
    ('2026-12-07T01:30:00+08:00', '2026-12-06T17:30:00Z'),
    ('2026-12-05T22:15:00-05:00', '2026-12-06T03:15:00Z'),
    ('-2h', '2026-12-06T04:30:00Z'),
    ('-90s', '2026-12-06T06:28:30Z'),
    ('-1d', '2026-12-05T06:30:00Z'),
    ('-1w', '2026-11-29T06:30:00Z'),
])
def test_parse_cutoff_gives_utc(text, expected):
    assert api_time(parse_cutoff('created_before', text, NOW)) == expected


@pytest.mark.parametrize('text', ['2026-12-06T14:00:00', 'yesterday', '+2h', '-2x', '-h', ''])
def test_parse_cutoff_refuses_a_time_without_offset_or_unit_naming_it(text):
    with pytest.raises(LighthouseError) as caught:
        parse_cutoff('created_before', text, NOW)
    assert caught.value.code == 'ClientError'
    assert caught.value.message.startswith('created_before is %r; expected an ISO 8601 time with its offset' % text)


def dated(number, created, name='nightly', state='NORMAL'):
    return {'snapshot_id': 'lhsnap-%08d' % number, 'snapshot_name': name, 'created_time': created, 'snapshot_state': state}


GENERATIONS = [dated(1, '2026-12-05T18:00:00Z'), dated(2, '2026-12-06T05:59:59Z'), dated(3, '2026-12-06T06:00:00Z'),
               dated(4, '2026-12-06T08:00:00Z')]


def test_choose_before_takes_the_newest_created_strictly_before_the_cutoff():
    assert choose_before(GENERATIONS, parse_cutoff('created_before', '2026-12-06T14:00:00+08:00', NOW))['snapshot_id'] == 'lhsnap-00000002'


def test_choose_before_skips_a_newest_snapshot_still_being_created():
    snapshots = GENERATIONS[:2] + [dated(5, '2026-12-06T05:59:59Z', state='CREATING')] + [dated(6, '2026-12-06T05:59:00Z', state='CREATING')]
    assert choose_before(snapshots, parse_cutoff('created_before', '2026-12-06T06:00:00Z', NOW))['snapshot_id'] == 'lhsnap-00000002'


def test_choose_before_with_a_pattern():
    snapshots = GENERATIONS + [dated(7, '2026-12-06T05:00:00Z', name='pre-deploy')]
    chosen = choose_before(snapshots, parse_cutoff('created_before', '2026-12-06T06:00:00Z', NOW), 'pre-*')
    assert chosen['snapshot_id'] == 'lhsnap-00000007'


def test_choose_before_refuses_two_snapshots_of_the_same_second():
    snapshots = GENERATIONS + [dated(8, '2026-12-06T05:59:59Z', name='other')]
    with pytest.raises(LighthouseError) as caught:
        choose_before(snapshots, parse_cutoff('created_before', '2026-12-06T06:00:00Z', NOW))
    assert caught.value.message.startswith('2 snapshots created before 2026-12-06T06:00:00Z were created in the same second')
    assert 'lhsnap-00000002' in caught.value.message and 'lhsnap-00000008' in caught.value.message
    assert caught.value.message.endswith('choose one with snapshot_id, or narrow with name_pattern')


def test_choose_before_with_none_before_lists_the_nearest():
    with pytest.raises(LighthouseError) as caught:
        choose_before(GENERATIONS, parse_cutoff('created_before', '2026-12-05T00:00:00Z', NOW))
    assert caught.value.code == 'ResourceNotFound.SnapshotNotFound'
    assert caught.value.message == (
        "no NORMAL snapshot was created before 2026-12-05T00:00:00Z; the nearest: lhsnap-00000001 'nightly' (created "
        "2026-12-05T18:00:00Z, NORMAL), lhsnap-00000002 'nightly' (created 2026-12-06T05:59:59Z, NORMAL), lhsnap-00000003 'nightly' "
        "(created 2026-12-06T06:00:00Z, NORMAL)")


def test_choose_before_on_a_disk_without_snapshots_says_so():
    with pytest.raises(LighthouseError) as caught:
        choose_before([], NOW, 'nightly-*')
    assert caught.value.message == "no NORMAL snapshot was created before 2026-12-06T06:30:00Z and named like 'nightly-*'; the disk has no snapshots"


# ---- backups this collection took, and which of them retention deletes

def backup(number, created, instance_id='lhins-00000001', state='NORMAL'):
    return dict(dated(number, created, 'backup-%d' % number, state), tags={'tencentcloud.lighthouse:backup-of': instance_id})


SNAPSHOTS_WITH_BACKUPS = [backup(1, '2026-12-01T00:00:00Z'), backup(2, '2026-12-02T00:00:00Z'), backup(3, '2026-12-03T00:00:00Z'),
                          backup(4, '2026-12-04T00:00:00Z', state='CREATING'), backup(5, '2026-11-01T00:00:00Z', 'lhins-00000002'),
                          dict(dated(6, '2026-10-01T00:00:00Z', 'hand-made'), tags={'owner': 'ops'}), dated(7, '2026-09-01T00:00:00Z')]


def test_backups_of_are_the_tagged_snapshots_of_the_instance_newest_first():
    assert [item['snapshot_id'] for item in backups_of(SNAPSHOTS_WITH_BACKUPS, 'lhins-00000001')] == [
        'lhsnap-00000004', 'lhsnap-00000003', 'lhsnap-00000002', 'lhsnap-00000001']


@pytest.mark.parametrize('keep, protected, expected', [
    (1, (), ['lhsnap-00000003', 'lhsnap-00000002', 'lhsnap-00000001']),  # the CREATING newest counts as kept
    (2, (), ['lhsnap-00000002', 'lhsnap-00000001']),
    (2, ('lhsnap-00000001',), ['lhsnap-00000002']),
    (5, (), []),
])
def test_retired_backups_never_foreign_protected_or_unsettled(keep, protected, expected):
    assert [item['snapshot_id'] for item in retired_backups(SNAPSHOTS_WITH_BACKUPS, 'lhins-00000001', keep, protected)] == expected
