# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module's integration target has the one skeleton: the same tasks/main.yml, aliases and meta/main.yml, and its own
parts where the skeleton looks for them (vars/main.yml with its cases, tasks/setup.yml, one file per case)."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

TARGETS = pathlib.Path(__file__).resolve().parents[1] / 'integration' / 'targets'
MODULE_TARGETS = sorted(path for path in TARGETS.iterdir() if (path / 'tasks' / 'main.yml').exists() and path.name != 'setup_emulator')
SKELETON_FILES = ('tasks/main.yml', 'aliases', 'meta/main.yml')


def test_there_are_module_targets():
    assert [path.name for path in MODULE_TARGETS][:2] == ['lighthouse_faults', 'lighthouse_instance_info'] and len(MODULE_TARGETS) >= 6


@pytest.mark.parametrize('name', SKELETON_FILES)
def test_every_module_target_has_the_same_skeleton_file(name):
    first = MODULE_TARGETS[0]
    for target in MODULE_TARGETS[1:]:
        assert (target / name).read_text() == (first / name).read_text(), '%s/%s differs from %s/%s: copy it' % (target.name, name, first.name, name)


@pytest.mark.parametrize('target', MODULE_TARGETS, ids=[path.name for path in MODULE_TARGETS])
def test_every_case_file_is_listed_and_every_listed_case_exists(target):
    cases = yaml.safe_load((target / 'vars' / 'main.yml').read_text())['cases']
    files = [case['file'] for case in cases]
    assert all(case.get('proves') for case in cases), 'every case says what it proves'
    assert len(files) == len(set(files))
    tasks = target / 'tasks'
    assert (tasks / 'setup.yml').exists()
    assert [name for name in files if not (tasks / name).exists()] == []
    # A task file that is no case must be included by one (a helper), else it would never run.
    texts = [path.read_text() for path in tasks.glob('*.yml')]
    included = set(name for text in texts for name in re.findall(r'include_tasks:\s*(\S+\.yml)', text))
    orphans = [path.name for path in tasks.glob('*.yml') if path.name not in {'main.yml', 'setup.yml'} | set(files) | included]
    assert orphans == []
