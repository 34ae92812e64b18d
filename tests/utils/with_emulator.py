# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one command while a Lighthouse API emulator listens on loopback.

usage: with_emulator.py [--config-file PATH] [--emulator-arg ARG ...] -- COMMAND [ARG ...]

The command sees the emulator through LIGHTHOUSE_EMULATOR_URL, TENCENTCLOUD_LIGHTHOUSE_ENDPOINT,
TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY and TENCENTCLOUD_REGION. With --config-file the same
facts are also written as YAML variables (the integration_config.yml that ansible-test hands to targets).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(REPOSITORY, 'tests', 'emulator', 'run.py')
SECRET_ID = 'AKIDLIGHTHOUSEEMULATOR'
SECRET_KEY = 'emulator-secret-key'
REGION = 'ap-guangzhou'


def start_emulator(extra_arguments: list[str]) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, EMULATOR, '--port', '0', '--region', REGION, '--secret-id', SECRET_ID, '--secret-key', SECRET_KEY]
    emulator = subprocess.Popen(command + extra_arguments, stdout=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
    first_line = emulator.stdout.readline().strip()
    if not first_line.startswith('LISTENING '):
        emulator.kill()
        raise SystemExit('the emulator did not start; it printed %r' % first_line)
    return emulator, first_line.split(' ', 1)[1]


def write_config(path: str, url: str) -> None:
    facts = {
        'lighthouse_emulator_url': url,
        'lighthouse_endpoint': url,
        'lighthouse_secret_id': SECRET_ID,
        'lighthouse_secret_key': SECRET_KEY,
        'lighthouse_region': REGION,
    }
    with open(path, 'w', encoding='utf-8') as config:
        config.write('---\n')
        for name, value in facts.items():
            config.write('%s: "%s"\n' % (name, value))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-file')
    parser.add_argument('--emulator-arg', action='append', default=[])
    parser.add_argument('command', nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ['--'] else arguments.command
    if not command:
        parser.error('a command to run is required after --')

    emulator, url = start_emulator(arguments.emulator_arg)
    try:
        if arguments.config_file:
            write_config(arguments.config_file, url)
        environment = dict(os.environ, LIGHTHOUSE_EMULATOR_URL=url, TENCENTCLOUD_LIGHTHOUSE_ENDPOINT=url,
                           TENCENTCLOUD_SECRET_ID=SECRET_ID, TENCENTCLOUD_SECRET_KEY=SECRET_KEY, TENCENTCLOUD_REGION=REGION)
        return subprocess.call(command, env=environment)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


if __name__ == '__main__':
    sys.exit(main())
