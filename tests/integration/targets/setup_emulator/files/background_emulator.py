# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Lighthouse API emulator in the background, shared by the integration targets of a collection tree.

usage: background_emulator.py start
       background_emulator.py stop [--show-log]

``start`` reuses the emulator recorded in the state file if it still answers and runs this tree's emulator
code, else starts one on a free loopback port and records it; either way it prints what the targets need
as JSON: url, secret_id, secret_key, region. The emulator outlives the command, because ansible-test has
no step after the last target: ``make integration`` calls ``stop``, which ends it (first printing the tail
of its log with --show-log) and forgets it. One left running is harmless: it listens on loopback only,
the next ``start`` in the tree reuses it, and every target resets it to the fleet it needs.

The state file is tests/output/emulator.json of the collection, found as the nearest directory above
this file with tests/emulator/harness.py (ansible-test runs each target from a copy under tests/output/.tmp).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import sys
import time


def collection_root() -> str:
    directory = os.path.dirname(os.path.abspath(__file__))
    while not os.path.isfile(os.path.join(directory, 'tests', 'emulator', 'harness.py')):
        if directory == os.path.dirname(directory):
            raise SystemExit('no tests/emulator/harness.py in any directory above %s' % __file__)
        directory = os.path.dirname(directory)
    return directory


ROOT = collection_root()
EMULATOR_DIR = os.path.join(ROOT, 'tests', 'emulator')
OUTPUT_DIR = os.path.join(ROOT, 'tests', 'output')
STATE_FILE = os.path.join(OUTPUT_DIR, 'emulator.json')
LOG_LINES = 40
STOP_TIMEOUT = 10

sys.path.insert(0, EMULATOR_DIR)

from harness import EmulatorError, EmulatorProcess, control  # noqa: E402  pylint: disable=wrong-import-position


def code_version() -> str:
    """A digest of the emulator's code: an emulator left from before a change of it is not reused."""
    digest = hashlib.sha256()
    package = os.path.join(EMULATOR_DIR, 'lighthouse_emulator')
    for path in [os.path.join(EMULATOR_DIR, 'run.py')] + sorted(os.path.join(package, name) for name in os.listdir(package)):
        if path.endswith('.py'):
            with open(path, 'rb') as source:
                digest.update(source.read())
    return digest.hexdigest()


def answers(url: str) -> bool:
    try:
        control(url, 'settings', timeout=5)
        return True
    except (OSError, EmulatorError):
        return False


def read_state() -> dict | None:
    try:
        with open(STATE_FILE, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def facts(state: dict) -> dict:
    return {name: state[name] for name in ('url', 'secret_id', 'secret_key', 'region')}


def start() -> dict:
    state = read_state()
    if state and state['code_version'] == code_version() and answers(state['url']):
        return state
    stop(state)
    # Detached: it outlives this command, and stop() ends it later by its process id.
    emulator = EmulatorProcess(detached=True).start()
    state = {'url': emulator.url, 'pid': emulator.pid, 'log': emulator.log_path, 'code_version': code_version(),
             'secret_id': emulator.secret_id, 'secret_key': emulator.secret_key, 'region': emulator.region}
    with open(STATE_FILE, 'w', encoding='utf-8') as handle:
        json.dump(state, handle, indent=2)
    return state


def stop(state: dict | None, show_log: bool = False) -> None:
    """End the recorded emulator, if it still answers (else its pid may be another process's by now), and forget it."""
    if not state:
        return
    if answers(state['url']):
        os.kill(state['pid'], signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while answers(state['url']) and time.monotonic() < deadline:
            time.sleep(0.1)
        if answers(state['url']):
            os.kill(state['pid'], signal.SIGKILL)
    if show_log and os.path.exists(state['log']):
        with open(state['log'], encoding='utf-8', errors='replace') as log:
            lines = log.readlines()[-LOG_LINES:]
        sys.stderr.write('--- last %d lines of the emulator log ---\n%s' % (len(lines), ''.join(lines)))
    shutil.rmtree(os.path.dirname(state['log']), ignore_errors=True)
    os.remove(STATE_FILE)


@contextlib.contextmanager
def locked():
    """One start or stop at a time per tree, so that two runs do not each start an emulator."""
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    with open(STATE_FILE + '.lock', 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=('start', 'stop'))
    parser.add_argument('--show-log', action='store_true', help='with stop: print the tail of the emulator log first')
    arguments = parser.parse_args()
    with locked():
        if arguments.action == 'start':
            print(json.dumps(facts(start())))
        else:
            stop(read_state(), arguments.show_log)
    return 0


if __name__ == '__main__':
    sys.exit(main())
