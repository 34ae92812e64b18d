# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter the rollback playbook needs before any task runs: its serial, checked (the role's rules are in plugin_utils)."""

from __future__ import annotations

from ansible_collections.tencentcloud.lighthouse.plugins.plugin_utils._snapshot_rollback import checked_serial


class FilterModule:
    """snapshot_rollback_checked_serial."""

    def filters(self):
        return {'snapshot_rollback_checked_serial': checked_serial}
