# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the offline pip bootstrap where ansible-test looks for its downloaded get-pip script.

ansible-test downloads a get-pip script from a host these machines cannot reach; the cached copy bootstraps
pip from the standard library's ensurepip instead (tests/utils/get_pip_offline.py).
"""

from __future__ import annotations

import os
import shutil
import types

from ansible_test._internal.python_requirements import get_venv_packages

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    pip_version = get_venv_packages(types.SimpleNamespace(version='3.11'))['pip']
    cache_path = os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_'))
    os.makedirs(os.path.dirname(cache_path), exist_ok=True)
    shutil.copyfile(os.path.join(HERE, 'get_pip_offline.py'), cache_path)


if __name__ == '__main__':
    main()
