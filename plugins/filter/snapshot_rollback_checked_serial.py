# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter the rollback playbook needs before any task runs: its serial, checked (the role's rules are in plugin_utils)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: snapshot_rollback_checked_serial
version_added: 0.2.0
short_description: A serial value, checked before Ansible makes batches of it
description:
  - Returns its input when it is a valid value of the play keyword C(serial), and fails naming the value and what is
    expected otherwise. The C(tencentcloud.lighthouse.rollback) playbook checks C(snapshot_rollback_serial) with it,
    since Ansible makes the play's batches before any task of the role runs.
  - Useful in a play of your own that runs the role in batches.
author:
  - tencentcloud.lighthouse maintainers (!UNKNOWN)
positional: _input
options:
  _input:
    description: A number of hosts greater than 0, a percentage such as V(25%), or a list of them such as V([1, 10, "25%"]).
    type: raw
    required: true
"""

EXAMPLES = r"""
# In a play of your own:
# serial: "{{ rollout_serial | tencentcloud.lighthouse.snapshot_rollback_checked_serial }}"
serial: "{{ snapshot_rollback_serial | default(1) | tencentcloud.lighthouse.snapshot_rollback_checked_serial }}"
"""

RETURN = r"""
_value:
  description: The input, unchanged.
  type: raw
"""

from ansible_collections.tencentcloud.lighthouse.plugins.plugin_utils._snapshot_rollback import checked_serial


class FilterModule:
    """snapshot_rollback_checked_serial."""

    def filters(self):
        return {'snapshot_rollback_checked_serial': checked_serial}
