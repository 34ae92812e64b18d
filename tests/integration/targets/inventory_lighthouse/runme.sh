#!/usr/bin/env bash
# The tencentcloud.lighthouse.lighthouse inventory plugin against the emulator, through ansible-inventory.
# The scenarios and their assertions are in inventory_checks.py.
set -eu -o pipefail
cd "$(dirname "$0")"
exec python inventory_checks.py "$@"
