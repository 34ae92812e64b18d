#!/usr/bin/env python
"""Start the Lighthouse API emulator; see README.md next to this file."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lighthouse_emulator.cli import main  # noqa: E402

if __name__ == '__main__':
    main()
