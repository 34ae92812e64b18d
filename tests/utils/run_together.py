# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start several commands at the same instant and wait for all of them.

usage: run_together.py SPEC

SPEC is a JSON list (the text itself, or @FILE) of ``{"name": ..., "argv": [...], "log": FILE}``. Every
command is prepared first and then started back to back (within milliseconds), with this process's
environment; its stdout and stderr go to its log file. Waits for all, however they end, and prints
one JSON list, in SPEC's order: ``{"name", "rc", "started", "ended", "log"}`` (times are Unix times).
Exits 0 when every command could be started, whatever their exit statuses; a caller checks those.
Standard library only.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    text = sys.argv[1]
    if text.startswith('@'):
        with open(text[1:], encoding='utf-8') as handle:
            text = handle.read()
    spec = json.loads(text)
    logs = [open(item['log'], 'w', encoding='utf-8') for item in spec]  # pylint: disable=consider-using-with
    runs = []
    try:
        for item, log in zip(spec, logs):
            runs.append((time.time(), subprocess.Popen(item['argv'], stdin=subprocess.DEVNULL, stdout=log,  # pylint: disable=consider-using-with
                                                       stderr=subprocess.STDOUT)))
        ended = [None] * len(runs)
        while None in ended:
            for index, run in enumerate(runs):
                if ended[index] is None and run[1].poll() is not None:
                    ended[index] = time.time()
            time.sleep(0.05)
        results = [{'name': item['name'], 'rc': process.returncode, 'started': started, 'ended': end, 'log': item['log']}
                   for item, (started, process), end in zip(spec, runs, ended)]
    finally:
        for log in logs:
            log.close()
    print(json.dumps(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
