# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_defaults fill the options a task omits, for the collection's modules."""

from __future__ import annotations

import pytest
from ansible.module_utils.ansible_release import __version__ as ansible_version
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play import Play
from ansible.template import Templar
from ansible.vars.manager import VariableManager

from ansible_collections.tencentcloud.lighthouse.plugins.plugin_utils._module_defaults import with_module_defaults

GROUP = 'group/tencentcloud.lighthouse.lighthouse'
# final_args() builds the task the way ansible-core 2.19 does inside a play; older releases only attach the play's
# module_defaults to a task later in the run, so there the same behaviour is checked by real plays instead
# (the molecule scenarios and integration targets, which set the region through module_defaults).
BUILT_LIKE_A_PLAY = tuple(int(part) for part in ansible_version.split('.')[:2]) >= (2, 19)
MODULE = 'tencentcloud.lighthouse.lighthouse_instance_info'


def final_args(module_defaults, task_args):
    """What the module receives when ansible-core finalised the task's arguments to ``task_args`` (omitted ones removed)."""
    loader = DataLoader()
    play = Play.load({'hosts': 'localhost', 'gather_facts': False, 'module_defaults': module_defaults,
                      'tasks': [{'name': 'the task', MODULE: {}}]}, loader=loader, variable_manager=VariableManager(loader=loader))
    task = play.compile()[-1].block[0]
    # What ansible-core sets while it loads the task: the resolved module, the groups from meta/runtime.yml.
    task._resolved_action = MODULE
    play._action_groups = {MODULE: [GROUP.split('/', 1)[1]]}
    task.args = task_args
    return with_module_defaults(task, Templar(loader=loader))


@pytest.mark.parametrize('module_defaults, task_args, expected', [
    ({GROUP: {'region': 'ap-play', 'api_timeout': 9}}, {}, {'region': 'ap-play', 'api_timeout': 9}),
    ({GROUP: {'region': 'ap-play'}}, {'region': 'ap-role'}, {'region': 'ap-role'}),
    ({GROUP: {'region': 'ap-play', 'api_timeout': 9}}, {'instance_ids': ['lhins-aaaaaaaa']},
     {'region': 'ap-play', 'api_timeout': 9, 'instance_ids': ['lhins-aaaaaaaa']}),
    ({GROUP: {'region': 'ap-play'}, MODULE: {'region': 'ap-module'}}, {}, {'region': 'ap-module'}),
    ({'tencentcloud.lighthouse.lighthouse_snapshot_info': {'region': 'ap-other'}}, {}, {}),
    ({}, {}, {}),
], ids=['omitted-falls-back-to-group-defaults', 'given-wins', 'merged-with-given', 'module-entry-over-group',
        'other-module-ignored', 'no-defaults'])
@pytest.mark.skipif(not BUILT_LIKE_A_PLAY, reason='the task is built through ansible-core 2.19 internals')
def test_omitted_options_fall_back_to_module_defaults(module_defaults, task_args, expected):
    assert final_args(module_defaults, task_args) == expected
