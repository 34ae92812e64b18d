# -*- coding: utf-8 -*-
# Copyright: tencentcloud.lighthouse contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make molecule runs every scenario of extensions/molecule: each is in exactly one of the Makefile's lanes."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_scenario_runs_once_in_make_molecule():
    makefile = (ROOT / 'Makefile').read_text()
    lanes = re.search(r'^MOLECULE_LANES := (.+)$', makefile, re.M).group(1).split()
    alone = re.search(r'^MOLECULE_ALONE := (.+)$', makefile, re.M).group(1)
    listed = [name for lane in lanes + [alone] for name in lane.split(',')]
    scenarios = sorted(path.parent.name for path in (ROOT / 'extensions' / 'molecule').glob('*/molecule.yml'))
    assert sorted(listed) == scenarios
