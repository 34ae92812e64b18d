#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: snapshot_rollback_run
short_description: The bookkeeping of the snapshot_rollback role (internal)
version_added: 0.2.0
description:
  - Runs on the controller only. The C(tencentcloud.lighthouse.snapshot_rollback) role calls it for its input checks,
    for each host's decision and plan, and for each host's journal entry.
  - B(Internal to the role): not a stable public API; its options and results change with the role.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
options:
  step:
    description:
      - V(check) checks the input of the play's hosts (every host in the first batch, the batch's hosts later), that
        O(pattern_hosts) cover the play's hosts and, with O(strict), the play's order and batches; it fails naming the
        first problem.
      - V(decide) decides where the host continues from its O(record) and the O(preflight), plans it, and fails when
        another run is working on the host.
      - V(decide) reports a change in check mode when the host would be changed.
      - V(journal) makes the host's journal entry from O(facts), publishes it with the run's stats as
        C(snapshot_rollback_journal), and appends it to O(journal_path).
    type: str
    required: true
    choices: [check, decide, journal]
  values:
    description: With V(check), the role's variables as the running host sees them, keyed without their prefix.
    type: dict
  pattern:
    description: With V(check), the fleet's host pattern.
    type: str
  pattern_hosts:
    description: With V(check), the hosts the pattern matches.
    type: list
    elements: str
  strict:
    description: With V(check), whether to check the play's order and batches (the role's C(snapshot_rollback_strict_serial)).
    type: bool
  record:
    description: With V(decide), the text of the host's record, empty when it has none, V(null) when it could not be read.
    type: str
  run_id:
    description: With V(decide), the run id.
    type: str
  preflight:
    description: With V(decide), the result of the pre-flight (M(tencentcloud.lighthouse.lighthouse_snapshot_apply) in check mode).
    type: dict
  adopt:
    description: With V(decide), the role's C(snapshot_rollback_adopt_rollback).
    type: bool
  options:
    description: With V(decide), what the plan needs of the role's variables.
    type: dict
  facts:
    description: With V(journal), what the host's entry is made of.
    type: dict
  journal_path:
    description: With V(journal), the journal file on the controller, if any.
    type: path
extends_documentation_fragment:
  - tencentcloud.lighthouse.attributes
attributes:
  check_mode:
    support: full
    details:
      - Changes nothing but the journal file, which it writes in check mode too.
  diff_mode:
    support: none
seealso:
  - name: The snapshot_rollback role
    description: Its README says what the role does at each step.
    link: https://github.com/tencentcloud/tencentcloud.lighthouse/blob/main/roles/snapshot_rollback/README.md
"""

EXAMPLES = r"""
- name: Check the input of every host and the run's order
  tencentcloud.lighthouse.snapshot_rollback_run:
    step: check
    values: {serial: 1, wait_timeout: 1200}
    pattern: web
    pattern_hosts: [web-1, web-2]
    strict: true
  run_once: true
"""

RETURN = r"""
resume:
  description: With V(decide), where the host continues, V(full), V(start), V(done) or V(refuse).
  returned: with step=decide
  type: str
  sample: full
reason:
  description: With V(decide), why.
  returned: with step=decide
  type: str
  sample: it is to be rolled back to lhsnap-nv6aqcv6
rollback_request_id:
  description: With V(decide), the rollback taken as this run's, if any.
  returned: with step=decide
  type: str
plan:
  description: With V(decide), what the role will do with the host, step by step.
  returned: with step=decide
  type: list
  elements: str
snapshot_rollback_step:
  description: On a failure, the role's name for the check that failed.
  returned: failure
  type: str
  sample: Check the role's variables
outcome:
  description: With V(journal), the host's outcome, and every other field of its journal entry (the role's README, "The journal").
  returned: with step=journal
  type: str
  sample: rolled_back
"""
