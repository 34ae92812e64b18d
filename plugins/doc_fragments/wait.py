# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Paired with WAIT_ARGSPEC in plugins/module_utils/_base.py.
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Whether to wait until the requested operation has finished before returning.
      - With V(false) the module returns as soon as the API has accepted the request.
    type: bool
    default: true
  wait_timeout:
    description:
      - The one deadline, in seconds, for the whole task, including waiting for busy resources to settle.
      - When it passes the task fails, saying what it waited for and what it last saw. It never just warns.
    type: int
    default: 1200
"""
