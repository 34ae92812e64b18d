# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of every module of the collection: module_defaults also fill the options a task omits.

The other modules name it as their action plugin in meta/runtime.yml; the code is in plugin_utils/_module_defaults.py.
"""

from __future__ import annotations

from ansible_collections.tencentcloud.lighthouse.plugins.plugin_utils._module_defaults import ActionModule

__all__ = ['ActionModule']
