# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one command while a Lighthouse API emulator listens on loopback.

usage: with_emulator.py [--config-file PATH] -- COMMAND [ARG ...]

The command sees the emulator through LIGHTHOUSE_EMULATOR_URL and the TENCENTCLOUD_* variables the
modules read. With --config-file the same facts are also written as YAML variables (the
integration_config.yml that ansible-test hands to integration targets). When the command fails, the
tail of the emulator's request log is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'emulator'))

from harness import Emulator  # noqa: E402  pylint: disable=wrong-import-position

LOG_LINES_ON_FAILURE = 40


def write_config(path: str, emulator: Emulator) -> None:
    facts = {
        'lighthouse_emulator_url': emulator.url,
        'lighthouse_endpoint': emulator.url,
        'lighthouse_secret_id': emulator.secret_id,
        'lighthouse_secret_key': emulator.secret_key,
        'lighthouse_region': emulator.region,
    }
    with open(path, 'w', encoding='utf-8') as config:
        config.write('---\n')
        for name, value in facts.items():
            config.write('%s: "%s"\n' % (name, value))


def print_log_tail(emulator: Emulator) -> None:
    with open(emulator.log_path, encoding='utf-8', errors='replace') as log:
        lines = log.readlines()[-LOG_LINES_ON_FAILURE:]
    sys.stderr.write('--- last %d lines of the emulator log ---\n%s' % (len(lines), ''.join(lines)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config-file')
    parser.add_argument('command', nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ['--'] else arguments.command
    if not command:
        parser.error('a command to run is required after --')

    with Emulator() as emulator:
        if arguments.config_file:
            write_config(arguments.config_file, emulator)
        environment = dict(os.environ, LIGHTHOUSE_EMULATOR_URL=emulator.url, **emulator.env())
        status = subprocess.call(command, env=environment)
        if status:
            print_log_tail(emulator)
        return status


if __name__ == '__main__':
    sys.exit(main())
