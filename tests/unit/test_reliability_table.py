# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/reliability.md against the tests it names: enough rows, each naming one test that exists, none named twice.

A row's last cell names its test: ``tests/unit/<path>.py::test_name`` for a pytest test, or
``tests/integration/targets/<target>/tasks/<file>.yml: <task name>`` for an integration task.
"""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
TABLE = ROOT / 'docs' / 'reliability.md'
MINIMUM_ROWS = 40

ROW = re.compile(r'^\|\s*(\d+)\s*\|.*\|\s*`([^`]+)`\s*\|\s*$')
PYTEST_TEST = re.compile(r'^(tests/unit/[\w/]+\.py)::(test_\w+)$')
INTEGRATION_TASK = re.compile(r'^(tests/integration/targets/[\w/]+\.yml): (.+)$')


def table_rows(text):
    """(row number, test reference) for each row of the table in `text`."""
    return [(int(match.group(1)), match.group(2)) for match in map(ROW.match, text.splitlines()) if match]


def task_names(tasks):
    """The names of the tasks in a task file's list, those inside blocks included."""
    names = []
    for task in tasks or []:
        if isinstance(task, dict):
            names += [task['name']] if 'name' in task else []
            for section in ('block', 'rescue', 'always'):
                names += task_names(task.get(section))
    return names


def missing(reference, root=ROOT):
    """Why `reference` names no existing test, or None when it does."""
    pytest_test, integration_task = PYTEST_TEST.match(reference), INTEGRATION_TASK.match(reference)
    if not pytest_test and not integration_task:
        return 'neither tests/unit/<file>.py::test_<name> nor tests/integration/targets/<file>.yml: <task name>'
    path = root / (pytest_test or integration_task).group(1)
    if not path.is_file():
        return 'no file %s' % path.relative_to(root)
    text = path.read_text(encoding='utf-8')
    if pytest_test:
        found = re.search(r'^def %s\(' % pytest_test.group(2), text, re.MULTILINE)
        return None if found else 'no def %s( in %s' % (pytest_test.group(2), pytest_test.group(1))
    if integration_task.group(2) in task_names(yaml.safe_load(text)):
        return None
    return 'no task named %r in %s' % (integration_task.group(2), integration_task.group(1))


ROWS = table_rows(TABLE.read_text(encoding='utf-8'))


def test_the_table_has_enough_rows_numbered_in_order():
    assert len(ROWS) >= MINIMUM_ROWS
    assert [number for number, reference in ROWS] == list(range(1, len(ROWS) + 1))


@pytest.mark.parametrize('number, reference', ROWS, ids=['row %d' % number for number, reference in ROWS])
def test_every_row_names_a_test_that_exists(number, reference):
    assert missing(reference) is None, 'row %d: %s' % (number, missing(reference))


def test_no_test_is_named_by_two_rows():
    references = [reference for number, reference in ROWS]
    assert sorted(reference for reference in set(references) if references.count(reference) > 1) == []


@pytest.mark.parametrize('reference', [
    'tests/unit/test_reliability_table.py::test_that_is_not_there',
    'tests/unit/plugins/no_such_file.py::test_anything',
    'tests/integration/targets/lighthouse_faults/tasks/readings.yml: A task that is not there',
    'tests/integration/targets/lighthouse_faults/tasks/readings.yml: Reset the emulator',
    'test_reliability_table.py::test_every_row_names_a_test_that_exists',
])
def test_a_reference_to_a_test_that_does_not_exist_is_caught(reference):
    assert missing(reference) is not None


def test_references_to_existing_tests_are_accepted():
    assert missing('tests/unit/test_reliability_table.py::test_references_to_existing_tests_are_accepted') is None
    assert task_names([{'name': 'outer', 'block': [{'name': 'inner'}], 'always': [{'name': 'last'}]}]) == ['outer', 'inner', 'last']
