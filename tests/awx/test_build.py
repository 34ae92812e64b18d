# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tarball a user installs: no caches or local outputs, and every file its documents name."""

from __future__ import annotations

import glob
import os
import re

from conftest import COLLECTION_ROOT, LEFT_BEHIND

CACHE_DIRECTORIES = {'.pytest_cache', '__pycache__', '.mypy_cache', '.ansible', '.cache', '.tox', '.venv'}
DEVELOPMENT_ONLY = ('Makefile', '.ci/run', 'requirements-dev.txt', 'extensions/molecule/config.yml', 'tests/utils/kill_after.py')
# A path as the shipped documents link to it ([guide](awx.md), the link's text left out) or quote it
# (`tests/utils/emulated_fleet.py`, ``docs/awx/``).
NAMED_PATH = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)|`+([^`\s]+?)`+')


def named_paths(tarball_files: list) -> dict:
    """The paths of the source tree that the shipped Markdown and RST documents name, each with the documents naming it.

    A name counts from the collection's root or from the document's directory; a URL names no file of the tarball."""
    named = {}
    for document in tarball_files:
        if not document.endswith(('.md', '.rst')):
            continue
        with open(os.path.join(COLLECTION_ROOT, document), encoding='utf-8') as handle:
            text = handle.read()
        for linked, quoted in NAMED_PATH.findall(text):
            name = (linked or quoted).split('#')[0].rstrip('/')
            for path in (name, os.path.normpath(os.path.join(os.path.dirname(document), name))):
                if name and not name.startswith(('/', '~', '$')) and '://' not in name and os.path.exists(os.path.join(COLLECTION_ROOT, path)):
                    named.setdefault(path, set()).add(document)
                    break
    return named


def test_nothing_a_local_run_leaves_behind_is_shipped(tarball_files):
    assert not set(LEFT_BEHIND) & set(tarball_files)
    shipped_caches = [name for name in tarball_files if CACHE_DIRECTORIES & set(name.split('/'))
                      or name.endswith(('.pyc', '.log', '.swp')) or name.startswith('tests/output/')]
    assert shipped_caches == []


def test_development_files_are_not_shipped(tarball_files):
    assert [name for name in DEVELOPMENT_ONLY if name in tarball_files] == []


def test_what_the_shipped_documents_name_is_shipped(tarball_files):
    named = named_paths(tarball_files)
    assert {'tests/utils/emulated_fleet.py', 'tests/emulator/run.py', 'docs/awx/credential_type.yml', 'docs/testing/example'} <= set(named)
    missing = {path: sorted(documents) for path, documents in named.items() if path != '.' and path not in tarball_files
               and not any(name.startswith(path + '/') for name in tarball_files)}
    assert missing == {}
    # The emulator runs from the tarball: its package, whole.
    package = sorted(os.path.relpath(path, COLLECTION_ROOT)
                     for path in glob.glob(os.path.join(COLLECTION_ROOT, 'tests/emulator/lighthouse_emulator/*.py')))
    assert package and set(package) <= set(tarball_files)
