# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tarball a user installs: no caches or local outputs, and everything the shipped guides tell users to run."""

from __future__ import annotations

import glob
import os
import re

from conftest import COLLECTION_ROOT, LEFT_BEHIND

CACHE_DIRECTORIES = {'.pytest_cache', '__pycache__', '.mypy_cache', '.ansible', '.cache', '.tox', '.venv'}
DEVELOPMENT_ONLY = ('Makefile', '.ci/run', 'requirements-dev.txt', 'extensions/molecule/config.yml', 'tests/utils/kill_after.py')
# A path of the collection, as the guides quote it: ``tests/utils/emulated_fleet.py``.
QUOTED_PATH = re.compile(r'``((?:docs|tests|playbooks|roles|meta|extensions)/[\w./-]+)``')


def quoted_paths() -> set:
    paths = set()
    for guide in glob.glob(os.path.join(COLLECTION_ROOT, 'docs', 'docsite', 'rst', '*.rst')):
        with open(guide, encoding='utf-8') as handle:
            paths.update(QUOTED_PATH.findall(handle.read()))
    return paths


def test_nothing_a_local_run_leaves_behind_is_shipped(tarball_files):
    assert not set(LEFT_BEHIND) & set(tarball_files)
    shipped_caches = [name for name in tarball_files if CACHE_DIRECTORIES & set(name.split('/'))
                      or name.endswith(('.pyc', '.log', '.swp')) or name.startswith('tests/output/')]
    assert shipped_caches == []


def test_development_files_are_not_shipped(tarball_files):
    assert [name for name in DEVELOPMENT_ONLY if name in tarball_files] == []


def test_what_the_guides_name_is_shipped(tarball_files):
    named = quoted_paths()
    assert {'tests/utils/emulated_fleet.py', 'tests/emulator/run.py', 'docs/awx/credential_type.yml'} <= named
    missing = sorted(path for path in named if path not in tarball_files
                     and not any(name.startswith(path.rstrip('/') + '/') for name in tarball_files))
    assert missing == []
    # The emulator runs from the tarball: its package, whole.
    package = sorted(os.path.relpath(path, COLLECTION_ROOT)
                     for path in glob.glob(os.path.join(COLLECTION_ROOT, 'tests/emulator/lighthouse_emulator/*.py')))
    assert package and set(package) <= set(tarball_files)
