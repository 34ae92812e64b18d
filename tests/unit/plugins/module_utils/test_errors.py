# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._errors import (
    BUSY,
    FATAL,
    THROTTLED,
    TRANSIENT,
    LighthouseError,
    OperationFailedError,
    WaitTimeoutError,
    classify,
    short,
)


@pytest.mark.parametrize('code, kind', [
    ('RequestLimitExceeded', THROTTLED),
    ('RequestLimitExceeded.UinLimitExceeded', THROTTLED),
    ('RequestLimitExceeded.IPLimitExceeded', THROTTLED),
    ('RequestLimitExceeded.GlobalRegionUinLimitExceeded', THROTTLED),
    ('ClientNetworkError', TRANSIENT),
    ('ServerNetworkError', TRANSIENT),
    ('InternalError', TRANSIENT),
    ('InternalError.DescribeInstanceStatus', TRANSIENT),
    ('ServiceUnavailable', TRANSIENT),
    ('UnsupportedOperation.SystemBusy', TRANSIENT),
    ('UnsupportedOperation.LatestOperationUnfinished', BUSY),
    ('OperationDenied.InstanceOperationInProgress', BUSY),
    ('UnsupportedOperation.DiskBusy', BUSY),
    ('UnsupportedOperation.SnapshotBusy', BUSY),
    ('UnsupportedOperation.DiskLatestOperationUnfinished', BUSY),
    ('AuthFailure', FATAL),
    ('AuthFailure.SignatureFailure', FATAL),
    ('UnauthorizedOperation.NoPermission', FATAL),
    ('InvalidParameter.InvalidFilter', FATAL),
    ('InvalidParameterValue.InstanceIdMalformed', FATAL),
    ('InvalidParameterValue.LimitExceeded', FATAL),
    ('ResourceNotFound.InstanceIdNotFound', FATAL),
    ('LimitExceeded', FATAL),
    ('LimitExceeded.SnapshotQuotaLimitExceeded', FATAL),
    ('UnsupportedOperation.InvalidInstanceState', FATAL),
    ('UnsupportedOperation.InvalidSnapshotState', FATAL),
    ('FailedOperation.SnapshotOperationFailed', FATAL),
    ('OperationDenied.InstanceCreating', FATAL),
    ('WaitTimeout', FATAL),
    ('ClientError', FATAL),
    ('SomethingNobodyDocumented', FATAL),
    ('', FATAL),
    (None, FATAL),
])
def test_classify(code, kind):
    assert classify(code) == kind
    assert LighthouseError(code, 'message').kind == kind


def test_lighthouse_error_carries_code_message_and_request_id():
    err = LighthouseError('ResourceNotFound.InstanceIdNotFound', 'instance lhins-aaaaaaaa not found', 'req-1')
    assert (err.code, err.message, err.request_id) == ('ResourceNotFound.InstanceIdNotFound', 'instance lhins-aaaaaaaa not found', 'req-1')
    assert str(err) == 'instance lhins-aaaaaaaa not found (ResourceNotFound.InstanceIdNotFound)'


def test_wait_timeout_names_what_it_waited_for_and_what_it_saw():
    err = WaitTimeoutError('rollback of lhins-aaaaaaaa', 1200, 'snapshot_state=ROLLBACKING')
    assert err.code == 'WaitTimeout'
    assert err.message == 'timed out after 1200s waiting for rollback of lhins-aaaaaaaa; last seen: snapshot_state=ROLLBACKING'


def test_wait_timeout_shows_fractional_seconds():
    assert 'after 1.5s' in WaitTimeoutError('x', 1.5, 'y').message


def test_operation_failed_keeps_the_operation_request_id():
    err = OperationFailedError('StopInstances on lhins-aaaaaaaa', 'latest_operation_state=FAILED', 'req-9')
    assert (err.code, err.request_id) == ('OperationFailed', 'req-9')
    assert err.message == 'StopInstances on lhins-aaaaaaaa failed: latest_operation_state=FAILED'


@pytest.mark.parametrize('value, text', [
    ('lhins-00000001', 'lhins-00000001'),
    ('x' * 80, 'x' * 80),
    ('x' * 81, 'x' * 80 + '... (81 characters)'),
    (None, 'None'),
])
def test_short_cuts_long_inputs_showing_their_length(value, text):
    assert short(value) == text
