# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long instances of the emulated fleet were down, and how long several were down at once.

usage: fleet_downtime.py URL [--since SEQ]

Reads the emulator's state history (``GET URL/_emulator/history``, entries after SEQ). An instance is
down from the moment it leaves RUNNING (its stop, reboot or rollback was accepted: STOPPING...) until
it is RUNNING again; one still down now counts until now. Prints one JSON object:

- ``down``: per instance id, its down intervals ``[from, to]`` (Unix times);
- ``overlaps``: the periods ``[from, to, [instance ids]]`` with two or more instances down;
- ``overlap_seconds``: their total length; ``max_down_at_once``: the most instances down together.

Only loopback URLs are accepted. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request

LOOPBACK = ('127.0.0.1', 'localhost', '::1')


def down_intervals(history: list, now: float) -> dict:
    """Per instance, the intervals during which it was not RUNNING (starting when it left RUNNING)."""
    down, since = {}, {}
    for entry in sorted(history, key=lambda item: item['seq']):
        instance_id = entry['instance_id']
        if entry['previous'] == 'RUNNING' and entry['state'] != 'RUNNING':
            since[instance_id] = entry['time']
        elif entry['state'] == 'RUNNING' and instance_id in since:
            down.setdefault(instance_id, []).append([since.pop(instance_id), entry['time']])
    for instance_id, start in since.items():
        down.setdefault(instance_id, []).append([start, now])
    return down


def overlaps(down: dict) -> list:
    """The periods during which two or more instances were down: ``[from, to, [instance ids]]``."""
    events = sorted([(start, 1, instance_id) for instance_id, spans in down.items() for start, _ in spans]
                    + [(end, -1, instance_id) for instance_id, spans in down.items() for _, end in spans],
                    key=lambda event: (event[0], event[1]))  # at the same instant an end comes before a start
    periods, current, opened = [], set(), None
    for moment, kind, instance_id in events:
        if len(current) >= 2 and moment > opened:
            periods.append([opened, moment, sorted(current)])
        if kind == 1:
            current.add(instance_id)
        else:
            current.discard(instance_id)
        opened = moment
    return periods


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url')
    parser.add_argument('--since', type=int, default=0)
    arguments = parser.parse_args()
    if urllib.parse.urlparse(arguments.url).hostname not in LOOPBACK:
        parser.error('the emulator must listen on loopback, not %s' % arguments.url)
    with urllib.request.urlopen('%s/_emulator/history?since=%d' % (arguments.url, arguments.since), timeout=30) as answer:
        history = json.loads(answer.read())
    down = down_intervals(history, time.time())
    found = overlaps(down)
    most = max([len(ids) for _, _, ids in found] or [1 if down else 0])
    print(json.dumps({'down': down, 'overlaps': found, 'overlap_seconds': round(sum(end - start for start, end, _ in found), 3),
                      'max_down_at_once': most}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
