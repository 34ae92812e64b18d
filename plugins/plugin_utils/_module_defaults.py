# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private: the action plugin of every module of the collection.

ansible-core merges module_defaults into a task's arguments before it removes the options set to
``omit``, so ``region: "{{ x or omit }}"`` throws the play's ``module_defaults`` region away. The
collection's modules are run through this plugin, which merges the defaults once more under the final
arguments: an omitted option then falls back to module_defaults, as an option never written does.
"""

from __future__ import annotations

from ansible.plugins.action.normal import ActionModule as NormalActionModule

try:  # ansible-core 2.19 and later
    from ansible.executor.module_common import _apply_action_arg_defaults
except ImportError:  # ansible-core 2.16 to 2.18
    from ansible.executor.module_common import get_action_args_with_defaults

    def _apply_action_arg_defaults(action, task, action_args, templar):
        return get_action_args_with_defaults(action, action_args, task.module_defaults, templar,
                                             action_groups=task._parent._play._action_groups)


def with_module_defaults(task, templar):
    """The task's arguments over every module_defaults entry that applies to its module."""
    return _apply_action_arg_defaults(task.resolved_action, task, task.args, templar)


class ActionModule(NormalActionModule):
    """Runs the task's module like the normal action, with module_defaults for the options it omitted."""

    def run(self, tmp=None, task_vars=None):
        self._task.args = with_module_defaults(self._task, self._templar)
        return super().run(tmp, task_vars)
