# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long instances of the emulated fleet were down, and how long several were down at once.

usage: fleet_downtime.py URL [--since SEQ]

Reads the emulator's state history (``GET URL/_emulator/history``, entries after SEQ) and its request
journal. An instance is down from the moment it leaves RUNNING (its stop, reboot or rollback was
accepted: STOPPING...) until it is RUNNING again; one still down now counts until now. Prints one JSON
object:

- ``down``: per instance id, its down intervals ``{"from", "to", "rolled_back", "rollbacks"}`` (Unix times;
  ``rollbacks``: the SnapshotId of each ApplyInstanceSnapshot of the instance accepted during the interval, in order;
  ``rolled_back``: whether there was one);
- ``overlaps``: the periods with two or more instances down, ``{"from", "to", "instances", "ended_by"}``:
  ``instances`` lists ``{"instance_id", "down"}`` (the down interval covering the period), ``ended_by``
  is the instance whose coming back (RUNNING) ended the period (null if a third going down ended it);
- ``overlap_seconds``: their total length; ``max_down_at_once``: the most instances down together.

Only loopback URLs are accepted. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from emulated_fleet import control, require_loopback


def down_intervals(history: list, journal: list, now: float) -> dict:
    """Per instance, the intervals during which it was not RUNNING (starting when it left RUNNING)."""
    down: dict = {}
    since: dict = {}
    for entry in sorted(history, key=lambda item: item['seq']):
        instance_id = entry['instance_id']
        if entry['previous'] == 'RUNNING' and entry['state'] != 'RUNNING':
            since[instance_id] = entry['time']
        elif entry['state'] == 'RUNNING' and instance_id in since:
            down.setdefault(instance_id, []).append({'from': since.pop(instance_id), 'to': entry['time']})
    for instance_id, start in since.items():
        down.setdefault(instance_id, []).append({'from': start, 'to': now})
    rollbacks = [((entry['params'] or {}).get('InstanceId'), (entry['params'] or {}).get('SnapshotId'), entry['time']) for entry in journal
                 if entry['action'] == 'ApplyInstanceSnapshot' and entry['error_code'] is None and entry['fault'] != 'drop']
    for instance_id, spans in down.items():
        for span in spans:
            span['rollbacks'] = [snapshot_id for rolled, snapshot_id, moment in rollbacks
                                 if rolled == instance_id and span['from'] <= moment <= span['to']]
            span['rolled_back'] = bool(span['rollbacks'])
    return down


def overlaps(down: dict) -> list:
    """The periods during which two or more instances were down (see the module's documentation)."""
    events = sorted([(span['from'], 1, instance_id, span) for instance_id, spans in down.items() for span in spans]
                    + [(span['to'], -1, instance_id, span) for instance_id, spans in down.items() for span in spans],
                    key=lambda event: (event[0], event[1]))  # at the same instant an end comes before a start
    periods: list = []
    current: dict = {}
    opened = None
    for moment, kind, instance_id, span in events:
        if len(current) >= 2 and moment > opened:
            periods.append({'from': opened, 'to': moment,
                            'instances': [{'instance_id': key, 'down': current[key]} for key in sorted(current)],
                            'ended_by': instance_id if kind == -1 else None})
        if kind == 1:
            current[instance_id] = span
        else:
            current.pop(instance_id, None)
        opened = moment
    return periods


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url')
    parser.add_argument('--since', type=int, default=0)
    arguments = parser.parse_args()
    require_loopback(arguments.url)
    history = control(arguments.url, 'history?since=%d' % arguments.since)
    down = down_intervals(history, control(arguments.url, 'journal'), time.time())
    found = overlaps(down)
    print(json.dumps({'down': down, 'overlaps': found,
                      'overlap_seconds': round(sum(period['to'] - period['from'] for period in found), 3),
                      'max_down_at_once': max([len(period['instances']) for period in found] or [1 if down else 0])}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
