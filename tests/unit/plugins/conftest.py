# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit tests."""

from __future__ import annotations

import json

import pytest

from ansible_collections.tencentcloud.lighthouse.plugins.module_utils import _client
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._base import LighthouseModule
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._client import Client
from ansible_collections.tencentcloud.lighthouse.plugins.module_utils._retry import Retry
from ansible_collections.tencentcloud.lighthouse.tests.emulator.lighthouse_emulator.manual import ManualClock
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.emulated import REGION, EmulatedCloud
from ansible_collections.tencentcloud.lighthouse.tests.unit.plugins.module_args import patch_module_args

ENV_VARS = ('TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SECURITY_TOKEN', 'TENCENTCLOUD_TOKEN',
            'TENCENTCLOUD_REGION', 'TENCENTCLOUD_LIGHTHOUSE_ENDPOINT')


@pytest.fixture
def clock():
    """The emulator's manual clock, at 100 s: time moves only when something sleeps on it."""
    return ManualClock(now=100.0)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No Tencent Cloud variables and an empty home: nothing leaks in from the machine running the tests."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HOME', str(tmp_path))
    return monkeypatch


@pytest.fixture
def run_module(capsys, clean_env):
    """Run a module's main() (or any callable that exits like one) with args; return its JSON result."""
    def run(main, args):
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                main()
        return json.loads(capsys.readouterr().out)
    return run


@pytest.fixture
def cloud(monkeypatch, clock):
    """An empty emulated Lighthouse (see emulated.py) that every module run talks to, on the manual clock.

    Modules read the time only through LighthouseModule's clock, sleep and random: the manual clock, its
    sleep, and a jitter fixed at the top of its range; each paces its calls alone. Their Client is the
    real one, built by connect().
    """
    emulated = EmulatedCloud(clock)
    monkeypatch.setattr(LighthouseModule, 'clock', staticmethod(clock))
    monkeypatch.setattr(LighthouseModule, 'sleep', staticmethod(clock.sleep))
    monkeypatch.setattr(LighthouseModule, 'random', staticmethod(lambda: 1.0))
    # Pacing shared through files would carry one test's fake times into the next.
    monkeypatch.setattr(LighthouseModule, 'share_pacing', False)
    monkeypatch.setattr(_client, 'LighthouseClient', emulated.sdk_client)
    return emulated


class _Credential:
    secret_id = 'AKIDUNITTEST'


@pytest.fixture
def client(cloud, clock):
    """A real Client (and Retry, on the manual clock) whose SDK client is the emulated cloud's, for helpers that take a client."""
    return Client(cloud.sdk_client(_Credential(), REGION, None), REGION, Retry(sleep=clock.sleep, rand=lambda: 1.0))
