# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the AWX tests: the collection built as a user gets it, after a local test run left its caches behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile

import pytest

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What local runs of pytest, mypy, tox, molecule, ansible-test and editors leave in a work tree.
LEFT_BEHIND = ('.pytest_cache/v/cache/lastfailed', 'tests/emulator/tests/.pytest_cache/README.md',
               'plugins/module_utils/__pycache__/_base.cpython-311.pyc', 'tests/emulator/__pycache__/harness.cpython-311.pyc',
               'tests/output/junit/units.xml', '.ansible/collections/README', 'extensions/.ansible/roles/README',
               '.mypy_cache/3.11/cache.json', '.tox/py311/README', '.cache/pip/README', 'emulator.log', 'tests/awx/run.log',
               'roles/snapshot_rollback/tasks/main.yml.swp', '.venv/pyvenv.cfg', 'plugins/modules/stray.pyc')


def tool(name: str) -> str:
    """A command of the Python environment running the tests (its bin directory), else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    return beside if os.path.exists(beside) else name


def run(argv: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output when it fails."""
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, '%s failed (rc %d):\n%s\n%s' % (' '.join(argv), result.returncode, result.stdout, result.stderr)
    return result


@pytest.fixture(scope='session')
def built_tarball(tmp_path_factory) -> str:
    """The collection tarball built by ``ansible-galaxy collection build`` from a copy of the tree with caches in it."""
    source = tmp_path_factory.mktemp('source') / 'lighthouse'
    shutil.copytree(COLLECTION_ROOT, source, symlinks=True, ignore=shutil.ignore_patterns('.git', '.venv', '.venv-*', '*.tar.gz'))
    for path in LEFT_BEHIND:
        planted = source / path
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text('left behind by a local run\n')
    output = tmp_path_factory.mktemp('built')
    run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(output), str(source)])
    (tarball,) = output.glob('tencentcloud-lighthouse-*.tar.gz')
    return str(tarball)


@pytest.fixture(scope='session')
def tarball_files(built_tarball) -> list:
    with tarfile.open(built_tarball) as archive:
        return sorted(member.name for member in archive.getmembers() if member.isfile())


@pytest.fixture(scope='session')
def installed_collections(built_tarball, tmp_path_factory) -> str:
    """A collections path with the built tarball installed into it, as ``ansible-galaxy collection install`` does."""
    path = tmp_path_factory.mktemp('collections')
    run([tool('ansible-galaxy'), 'collection', 'install', '--force', '-p', str(path), built_tarball])
    return str(path)
