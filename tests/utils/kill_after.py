# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a command and kill it, as a power cut of the control node would, once the emulator saw a given API call.

usage: kill_after.py --url URL --action ACTION --instance-id ID [--outcome accepted|dropped|any]
                     [--timeout SECONDS] [--log FILE] -- COMMAND [ARG ...]

COMMAND (e.g. ansible-playbook ...) runs in a session of its own. The emulator's request journal
(``GET URL/_emulator/journal``) is polled until it holds a request ACTION about the instance ID
(``InstanceId`` equal to it, or ``InstanceIds`` containing it) with the given outcome: ``accepted``
(default: no error and not dropped by a fault), ``dropped`` (a ``drop`` fault swallowed it) or ``any``.
Then every process of COMMAND's tree gets SIGKILL: nothing of it gets to clean up or to send anything
more. The tree is walked in /proc (Linux), not taken from the process group, because Ansible's workers
call setsid(): each is a session and process group of its own. It is frozen first (SIGSTOP, until no new
process shows up), so that no process escapes by being forked or orphaned while the others die. COMMAND's output goes to FILE (default: this command's stderr).

Prints one JSON line: ``{"killed": true, "entry": <the journal entry>, "killed_at": <Unix time, once every
process of the group is gone>, "seconds": <from start to kill>}`` and
exits 0 when it killed COMMAND. Exits 1 when COMMAND ended by itself first, or when the timeout
(default 300 s) passed (COMMAND is then killed too). Only loopback URLs are accepted. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from emulated_fleet import control, require_loopback

POLL_SECONDS = 0.02


def journal(url: str, since: int) -> list:
    """The emulator's journal entries after ``since``."""
    return control(url, 'journal?since=%d' % since)


def matches(entry: dict, action: str, instance_id: str, outcome: str) -> bool:
    """Whether ``entry`` is a request ``action`` about ``instance_id`` with ``outcome``."""
    params = entry.get('params') or {}
    about = params.get('InstanceId') == instance_id or instance_id in (params.get('InstanceIds') or [])
    dropped = entry.get('fault') == 'drop'
    wanted = {'accepted': entry.get('error_code') is None and not dropped, 'dropped': dropped, 'any': True}[outcome]
    return entry.get('action') == action and about and wanted


def children() -> dict:
    """Every process's children, from /proc: {parent pid: [pids]}."""
    found: dict = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name, encoding='utf-8', errors='replace') as stat:
                fields = stat.read().rsplit(')', 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        found.setdefault(int(fields[1]), []).append(int(name))
    return found


def tree(root: int) -> set:
    """``root`` and all its descendants now."""
    by_parent, pids, todo = children(), set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in pids:
            pids.add(pid)
            todo.extend(by_parent.get(pid, []))
    return pids


def signal_all(pids: set, number: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, number)
        except ProcessLookupError:
            pass


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL ``process`` and every process it started, as one blow."""
    frozen: set = set()
    while True:
        found = tree(process.pid) - frozen
        if not found:
            break
        signal_all(found, signal.SIGSTOP)
        frozen |= found
    signal_all(frozen, signal.SIGKILL)
    process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--action', required=True)
    parser.add_argument('--instance-id', required=True)
    parser.add_argument('--outcome', choices=('accepted', 'dropped', 'any'), default='accepted')
    parser.add_argument('--timeout', type=float, default=300)
    parser.add_argument('--log')
    parser.add_argument('command', nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ['--'] else arguments.command
    if not command:
        parser.error('a command to run is required after --')
    require_loopback(arguments.url)

    # Only what the command does from now on counts.
    since = max([entry['seq'] for entry in journal(arguments.url, 0)] or [0])
    started = time.monotonic()
    output = open(arguments.log, 'w', encoding='utf-8') if arguments.log else sys.stderr  # pylint: disable=consider-using-with
    try:
        # A session of its own: no signal meant for this process reaches the command by accident.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                   start_new_session=True)
        while time.monotonic() - started < arguments.timeout:
            for entry in journal(arguments.url, since):
                since = max(since, entry['seq'])
                if matches(entry, arguments.action, arguments.instance_id, arguments.outcome):
                    kill_tree(process)
                    print(json.dumps({'killed': True, 'entry': entry, 'killed_at': time.time(), 'seconds': round(time.monotonic() - started, 3)}))
                    return 0
            if process.poll() is not None:
                print(json.dumps({'killed': False, 'rc': process.returncode, 'seconds': round(time.monotonic() - started, 3),
                                  'error': 'the command ended before the emulator saw %s about %s' % (arguments.action, arguments.instance_id)}))
                return 1
            time.sleep(POLL_SECONDS)
        kill_tree(process)
        print(json.dumps({'killed': False, 'seconds': round(time.monotonic() - started, 3),
                          'error': 'no %s about %s within %s s; the command was killed' % (arguments.action, arguments.instance_id, arguments.timeout)}))
        return 1
    finally:
        if output is not sys.stderr:
            output.close()


if __name__ == '__main__':
    sys.exit(main())
