# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where ansible-test cannot download its get-pip script, put the offline pip bootstrap where it looks for that script.

ansible-test downloads a get-pip script the first time it makes a virtualenv. Where that host answers, nothing is
done; where it does not, the cached copy bootstraps pip from the standard library's ensurepip instead
(tests/utils/get_pip_offline.py).
"""

from __future__ import annotations

import os
import shutil
import types
import urllib.request

from ansible_test._internal.python_requirements import get_venv_packages

HERE = os.path.dirname(os.path.abspath(__file__))
# As ansible_test/_util/target/setup/requirements.py names the script and its cached copy.
URL = 'https://ci-files.testing.ansible.com/ansible-test/get-pip-%s.py'
CACHE_PATH = '~/.ansible/test/cache/get_pip_%s.py'
TIMEOUT = 5


def why_unreachable(url: str) -> str | None:
    """None when ``url`` answers within TIMEOUT seconds, else what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT):
            return None
    except OSError as error:  # no route, no name, a timeout, an HTTP error status
        return str(error)


def main() -> None:
    pip_version = get_venv_packages(types.SimpleNamespace(version='3.11'))['pip']
    url = URL % pip_version
    problem = why_unreachable(url)
    if problem is None:
        print('ansible-test can download its pip bootstrap (%s): nothing to seed' % url)
        return
    cache_path = os.path.expanduser(CACHE_PATH % pip_version.replace('.', '_'))
    os.makedirs(os.path.dirname(cache_path), exist_ok=True)
    shutil.copyfile(os.path.join(HERE, 'get_pip_offline.py'), cache_path)
    print('ansible-test cannot download its pip bootstrap (%s: %s): seeded %s with tests/utils/get_pip_offline.py'
          % (url, problem, cache_path))


if __name__ == '__main__':
    main()
