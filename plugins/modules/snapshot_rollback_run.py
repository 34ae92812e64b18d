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
  - Runs on the controller, and reads what it needs of the play and its hosts itself. The
    C(tencentcloud.lighthouse.snapshot_rollback) role calls it for each step of its bookkeeping, so that its tasks read as
    the sequence of a rollback.
  - The steps V(look), V(record), V(outcome), V(final) and V(restore) keep the role's record on the host; each runs one C(sh)
    command there over the host's connection (with its C(become) settings), no module and no Python.
  - B(Internal to the role), documented for completeness; its options and results change with the role.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
options:
  step:
    description:
      - V(check), run once per batch, settles the fleet (the hosts of O(pattern_hosts) with their instances) and checks the
        input of the play's hosts (every host in the first batch, the batch's hosts later), that O(pattern_hosts) cover the
        play's hosts and, with O(strict), the play's order and batches; it fails naming the first problem (the role lets V(look)
        fail each host with it). It also gives the batch's pre-flight runs of
        M(tencentcloud.lighthouse.lighthouse_snapshot_apply), one per region.
      - V(look) fails the host when the batch's V(check) failed; that step does not fail itself, because a task run once
        that fails ends the play before the other hosts' rescue. It reads the host's outcome of the batch's pre-flight
        runs (the registered C(_snapshot_rollback_preflight)) and fails naming the step when its instance failed. When
        the instance is V(RUNNING), it checks that the host answers and that O(marker_dir) can keep the record
        (writable, on the root filesystem), and reads the record at O(marker_path); it fails when the host does not
        answer, unless O(connection_check) is false. Then it decides where the host continues from its record and the
        pre-flight, and plans it; it fails when another run is working on the host. It reads only, in check mode too,
        where it reports a change when the run would change the host.
      - V(record) writes the host's record at step O(record_step), whole or not at all.
      - V(restore) puts the host's record back as V(look) found it; it never fails.
      - V(calls), run once per batch, groups the batch's hosts that go on to the rollback by region.
      - V(outcome) reads the host's outcome of the batch's M(tencentcloud.lighthouse.lighthouse_snapshot_apply) runs (the
        registered C(_snapshot_rollback_batch)), and fails naming the step that failed for its instance. Then, but in check
        mode, it waits up to O(timeout) seconds until the host answers over its connection after its start, and writes its
        record at step O(record_step).
      - V(final) checks in the batch's last M(tencentcloud.lighthouse.lighthouse_instance_info) reads (the registered
        C(_snapshot_rollback_final_read)) that the host's instance is still as the run left it; then, with O(record_step),
        it writes the host's record at that step.
      - V(journal) makes the host's journal entry from O(facts) and the host's results, publishes it with the run's stats as
        C(snapshot_rollback_journal), and appends it to the role's journal file, in check mode too.
      - V(summary) sums up every host of the fleet's pattern, with O(results) the records of the hosts C(--limit) left out,
        and publishes it as C(snapshot_rollback_summary).
    type: str
    required: true
    choices: [check, look, record, calls, outcome, final, restore, journal, summary]
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
  options:
    description: With V(look), what the plan needs of the role's variables.
    type: dict
  results:
    description: With V(summary), the results of the loop it reads.
    type: list
    elements: dict
  facts:
    description:
      - With V(journal), the run's and the host's names and the snapshot asked for; the step reads the rest of the entry from the
        host's registered results and the role's facts.
    type: dict
  marker_dir:
    description: With V(look), V(record), V(outcome) and V(final), the directory of the records on the host.
    type: str
  marker_path:
    description: With V(look), V(record), V(outcome), V(final) and V(restore), the host's record file.
    type: str
  connection_check:
    description: With V(look), whether a host that does not answer fails.
    type: bool
  connection_timeout:
    description: With V(look), the connection's timeout in seconds, for the message.
    type: int
  record_step:
    description: With V(record), V(outcome) and V(final), the step the record says the run reached.
    type: str
    choices: [stopping, rolled_back, done]
  rollback_request_id:
    description:
      - With V(record), the RequestId of the rollback the record vouches for. V(outcome) and V(final) take the batch's rollback
        of the instance, or the one the decision took as this run's.
    type: str
  timeout:
    description: With V(outcome), how many seconds the host has to answer.
    type: int
extends_documentation_fragment:
  - tencentcloud.lighthouse.attributes
attributes:
  check_mode:
    support: full
    details:
      - V(record) and V(restore) write the host's record, as do V(outcome) and V(final) but in check mode; the role does not run
        V(record) and V(restore) in check mode. The other steps change nothing but the journal file, which V(journal) writes in
        check mode too.
  diff_mode:
    support: none
seealso:
  - name: The snapshot_rollback role
    description: Its README says what the role does at each step.
    link: https://github.com/tencentcloud/tencentcloud.lighthouse/blob/main/roles/snapshot_rollback/README.md
"""

EXAMPLES = r"""
- name: Group the batch's hosts by region
  tencentcloud.lighthouse.snapshot_rollback_run:
    step: calls
  run_once: true
  register: calls
"""

RETURN = r"""
fleet:
  description: With V(check), every host of the pattern with its instance id and region.
  returned: with step=check
  type: list
  elements: dict
choices:
  description: With V(check), each checked host's choice of snapshot as lighthouse_snapshot_apply options (a relative cut-off
    resolved from the run's start), by host.
  returned: with step=check
  type: dict
backup_name:
  description: With V(check), the name of the run's backups when C(snapshot_rollback_backup_name) is not set.
  returned: with step=check
  type: str
backup_tags:
  description: With V(check), the tags of the run's backups (the run id).
  returned: with step=check
  type: dict
preflight_calls:
  description: With V(check), one entry per region, with the C(instances) of the batch's pre-flight run (each with its snapshot choice).
  returned: with step=check and the checks passed
  type: list
  elements: dict
resume:
  description: With V(look), where the host continues, V(full), V(start), V(done) or V(refuse).
  returned: with step=look
  type: str
  sample: full
preflight:
  description: With V(look), the instance and the snapshot as the pre-flight saw them (their ids, states and latest operations).
  returned: with step=look and the pre-flight passed
  type: dict
probe:
  description:
    - With V(look), what the host answered, C(reachable) and C(stdout), the text of its record (empty when it has none);
      empty when its instance is not V(RUNNING).
  returned: with step=look and the pre-flight passed
  type: dict
record:
  description: With V(record), V(outcome) and V(final), the text of the record written.
  returned: when a record was written
  type: str
elapsed:
  description: With V(outcome), the seconds the host took to answer.
  returned: with step=outcome, but in check mode
  type: float
verify_started:
  description: With V(outcome), when the host's verification began (Unix time), once the batch's run had ended.
  returned: with step=outcome, but in check mode
  type: float
plan:
  description: With V(look), what the role will do with the host, step by step.
  returned: with step=look
  type: list
  elements: str
calls:
  description: With V(calls), one entry per region, with the C(instances) and C(fleet) of the module run.
  returned: with step=calls
  type: list
  elements: dict
entry:
  description: With V(outcome), the host's entry of the module run's RV(tencentcloud.lighthouse.lighthouse_snapshot_apply#module:instances).
  returned: with step=outcome
  type: dict
snapshot_rollback_step:
  description: On a failure, the role's name for the step that failed.
  returned: failure
  type: str
  sample: Check the role's variables
outcome:
  description: With V(journal), the host's outcome, and every other field of its journal entry (the role's README, "The journal").
  returned: with step=journal
  type: str
  sample: rolled_back
table:
  description: With V(summary), the summary as lines of text, and every other field of C(snapshot_rollback_summary).
  returned: with step=summary
  type: list
  elements: str
"""
