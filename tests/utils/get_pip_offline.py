# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip.py script that ansible-test downloads from a host these machines cannot reach.

ansible-test runs this file as ``__main__`` with pip install arguments (for example ``pip==24.2``)
plus get-pip's own ``--no-setuptools`` / ``--no-wheel`` flags. It bootstraps pip from the standard
library's ensurepip, then lets that pip install what was asked for from the configured indexes.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY_FLAGS = {'--no-setuptools', '--no-wheel'}


def main() -> None:
    # ensurepip points PIP_CONFIG_FILE at /dev/null inside this process; pip must see the machine's settings.
    environment = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    requested = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_FLAGS]
    subprocess.run([sys.executable, '-m', 'pip', 'install'] + requested, env=environment, check=True)


if __name__ == '__main__':
    main()
