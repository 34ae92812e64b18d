# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's clock inside ansible-playbook: one JSON line per task result, written to $BENCH_TIMING_FILE.

Each line: host, task name, action, its argument step (the role's bookkeeping action), status (ok, changed, skipped, failed, unreachable),
whether the step ran a command on the host, and the Unix time the controller received the result, which the benchmark sets against the
emulator's journal and state history.
"""

from __future__ import annotations

DOCUMENTATION = '''
name: bench_timing
type: notification
short_description: Writes the time of every task result to a file (the benchmark's use only)
description:
  - One JSON line per task result to the file named by the environment variable E(BENCH_TIMING_FILE).
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'bench_timing'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ['BENCH_TIMING_FILE']

    def _record(self, result, status):
        # Whether the role's bookkeeping ran a command on the host: it then returns what it read (probe) or wrote (record) there.
        line = {'time': time.time(), 'host': result._host.get_name(), 'task': result._task.name,
                'action': result._task.action, 'step': result._task.args.get('step'), 'status': status,
                'on_host': bool(result._result.get('probe') or result._result.get('record'))}
        with open(self._path, 'a', encoding='utf-8') as handle:
            handle.write(json.dumps(line) + '\n')

    def v2_runner_on_ok(self, result):
        self._record(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_skipped(self, result):
        self._record(result, 'skipped')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, 'failed')

    def v2_runner_on_unreachable(self, result):
        self._record(result, 'unreachable')
