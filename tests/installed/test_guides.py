# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The install guide of README.md and the quick start of docs/testing.md, run as written, as a new user runs them.

The user has a home of their own (so an empty ~/.ansible/collections), a copy of the checkout, and a fresh
virtualenv holding ansible-core only, at the version CI pins. The guides' console blocks run in bash, unchanged:
the collection built and installed from its tarball, the SDK from its requirements.txt, then the demo and the
example playbook over the inventory plugin, against emulated instances that are real SSH hosts on loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# What the quick start says its two commands print.
DEMO_PASSED = 'Demo passed: every host is back on its snapshot, running and reachable'
PLUGIN_ORDER = 'Host order: lh-0003 -> lh-0002 -> lh-0001'


def read(document: str) -> str:
    with open(os.path.join(COLLECTION_ROOT, document), encoding='utf-8') as handle:
        return handle.read()


def console_block(document: str, lead: str) -> str:
    """The first ```console block of ``document`` after the text ``lead``."""
    text = read(document)
    assert lead in text, '%s no longer says %r' % (document, lead)
    start = text.index('```console\n', text.index(lead)) + len('```console\n')
    return text[start:text.index('```', start)]


def ansible_core_pin() -> str:
    (pin,) = [line.strip() for line in read('requirements-dev.txt').splitlines() if line.startswith('ansible-core==')]
    return pin


def bash(script: str, cwd: str, env: dict) -> str:
    """Run ``script`` as a user's shell would, failing the test with its output unless it succeeds; returns its standard output."""
    result = subprocess.run(['bash', '-euo', 'pipefail', '-c', script], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, 'rc %d of:\n%s\n%s\n%s' % (result.returncode, script, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope='module')
def user(tmp_path_factory) -> dict:
    """The new user's environment (a home and a virtualenv of their own) and their checkout."""
    home = tmp_path_factory.mktemp('home')
    venv = home / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
    env = {
        'HOME': str(home), 'LANG': 'C.UTF-8',
        'PATH': os.pathsep.join([str(venv / 'bin'), '/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin']),
        # This machine's pip configuration (its index) and cache, which the new home would not have.
        'XDG_CONFIG_HOME': os.path.expanduser('~/.config'), 'XDG_CACHE_HOME': os.path.expanduser('~/.cache'),
        **{name: value for name, value in os.environ.items() if name.startswith('PIP_')},
    }
    bash('pip install --quiet %s' % ansible_core_pin(), str(home), env)
    checkout = home / 'tencentcloud.lighthouse'
    shutil.copytree(COLLECTION_ROOT, checkout, symlinks=True, ignore=shutil.ignore_patterns('.git', '.venv', '.venv-*', '*.tar.gz'))
    return {'env': env, 'checkout': str(checkout)}


@pytest.fixture(scope='module')
def installed(user) -> dict:
    """The collection installed as the README says: from the tarball built in the checkout, then the SDK."""
    bash(console_block('README.md', 'From a tarball built in a checkout'), user['checkout'], user['env'])
    bash(console_block('README.md', 'Then install the SDK'), user['checkout'], user['env'])
    return user


def test_the_collection_is_installed_from_its_tarball(installed):
    found = json.loads(bash('ansible-galaxy collection list tencentcloud.lighthouse --format json', installed['env']['HOME'], installed['env']))
    path = os.path.join(installed['env']['HOME'], '.ansible', 'collections', 'ansible_collections')
    assert found == {path: {'tencentcloud.lighthouse': {'version': yaml.safe_load(read('galaxy.yml'))['version']}}}
    # An installed copy, not the checkout: a development file of the checkout is not there.
    assert not os.path.exists(os.path.join(path, 'tencentcloud', 'lighthouse', 'Makefile'))


def test_the_quick_start_runs_the_demo_and_a_playbook_in_the_plugins_order(installed):
    guide = read('docs/testing.md')
    assert DEMO_PASSED in guide and PLUGIN_ORDER in guide
    output = bash(console_block('docs/testing.md', '## Quick start'), installed['env']['HOME'], installed['env'])
    assert DEMO_PASSED in output
    assert PLUGIN_ORDER in output
