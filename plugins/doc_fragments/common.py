# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Paired with AUTH_ARGSPEC in plugins/module_utils/_base.py.
    DOCUMENTATION = r"""
options:
  secret_id:
    description:
      - The SecretId of a Tencent Cloud API key.
      - If not set, the value of the E(TENCENTCLOUD_SECRET_ID) environment variable is used.
      - When neither O(secret_id) nor O(secret_key) is set, the SDK's default credential chain is used
        instead, in this order, the C([default]) profile in C(~/.tencentcloud/credentials), the CAM role of
        the CVM the module runs on, and TKE OIDC.
    type: str
  secret_key:
    description:
      - The SecretKey that belongs to O(secret_id).
      - If not set, the value of the E(TENCENTCLOUD_SECRET_KEY) environment variable is used.
    type: str
  security_token:
    description:
      - The token of temporary (STS) credentials, used together with O(secret_id) and O(secret_key).
      - If not set, the value of the E(TENCENTCLOUD_SECURITY_TOKEN) environment variable is used, then
        E(TENCENTCLOUD_TOKEN).
    type: str
  region:
    description:
      - The region the Lighthouse resources live in, for example V(ap-guangzhou). Required.
      - If not set, the value of the E(TENCENTCLOUD_REGION) environment variable is used.
    type: str
  endpoint:
    description:
      - The Lighthouse API endpoint, as C(host[:port]) or as an C(http://) or C(https://) URL.
        A bare host is reached over HTTPS.
      - If not set, the value of the E(TENCENTCLOUD_LIGHTHOUSE_ENDPOINT) environment variable is used,
        and without that the SDK default C(lighthouse.tencentcloudapi.com).
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of an HTTPS endpoint.
      - Only set this to V(false) for endpoints you control, such as a test server. The module then warns.
    type: bool
    default: true
  allow_plain_http:
    description:
      - Whether an C(http://) O(endpoint) on a host other than this machine's loopback interface is allowed.
      - Over plain HTTP the signed requests, and the O(security_token), travel unencrypted. Without this option
        such an endpoint is refused before any request is sent. C(http://) to C(localhost), C(127.0.0.0/8) or
        C(::1) (a local test server such as the bundled emulator) is always allowed.
    type: bool
    default: false
  api_timeout:
    description:
      - Seconds to wait for the answer to one API request.
    type: int
    default: 30
requirements:
  - tencentcloud-sdk-python-common
  - tencentcloud-sdk-python-lighthouse
notes:
  - A failed task returns C(error_code), the API error code or one raised by the collection itself
    (C(WaitTimeout), C(OperationFailed), C(ClientError), C(InvalidResponse)), and C(request_id), the id of the failed API request, if any.
  - Throttled API errors (C(RequestLimitExceeded)) are retried with jittered exponential backoff until the task's
    deadline (C(wait_timeout) where the module has one, otherwise 6 attempts). Calls are spaced to keep inside
    the documented rate limit of each action, and the tasks of one control node that use the same C(secret_id)
    share that pacing (through small files in C(~/.ansible/tmp/tencentcloud-lighthouse-pacing)). Transient errors
    (lost answers, timeouts, C(InternalError)) are retried the same way for reads.
  - A change (start, stop, snapshot, rollback, delete) is never sent again blindly. After a transient error or a
    lost answer the module reads the resources until it can tell whether the change took effect; if it did, the
    task adopts that operation and reports C(changed=true). The API may take a while to show a change, so one that
    does not show yet is sent again only when the API refuses it once made (a stop or a start, never a restart,
    snapshot, rollback or delete). If that call is accepted, the first never arrived; if it is refused because the
    instance is already there, the first is taken as made. If the deadline comes first, the task fails with
    C(changed=true) and a message saying the change may have been made.
  - Inputs echoed in error messages are cut to 80 characters, with their length.
"""
