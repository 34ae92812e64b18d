# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Every module; each one states its own support for check_mode and diff_mode.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and report whether it would change anything, without changing it.
  diff_mode:
    description: Reports what has changed (or would change, in check mode) when run with C(--diff).
  action_group:
    description: Use C(group/tencentcloud.lighthouse.lighthouse) in C(module_defaults) to set options for all modules at once.
    support: full
    membership:
      - tencentcloud.lighthouse.lighthouse
"""

    # Read-only modules.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module never changes anything, so it runs the same way in check mode.
  diff_mode:
    support: N/A
    details:
      - This module never changes anything.
"""
