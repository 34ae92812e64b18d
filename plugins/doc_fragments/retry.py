# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Paired with RETRY_ARGSPEC in plugins/module_utils/_base.py.
    DOCUMENTATION = r"""
options:
  retry_timeout:
    description:
      - The deadline, in seconds, for the whole task. Reads that the API throttles or that meet a transient error are
        retried, with growing pauses, until it passes; then the task fails with the last error.
      - Set it to the time your play may wait for a busy account, for example the O(tencentcloud.lighthouse.lighthouse_snapshot_apply#module:wait_timeout)
        of the steps around it.
    type: int
    default: 120
    version_added: 0.2.0
"""
