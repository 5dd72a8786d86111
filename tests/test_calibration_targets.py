"""Calibration target files: the shipped targets and one error line for malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_errors import iesim, one_error_line

from simulation.calibration.targets import NEVER_FIT, load_targets

ROOT = Path(__file__).parents[1]
SHIPPED = ROOT / "calibration" / "targets.toml"

GOOD = """
[calibration]
name = "t"

[[target]]
name = "employment_6m"
outcome = "employment_rate_6m"
value = 0.91
low = 0.88
high = 0.94
range_why = "why"
population = "who"
year = 2018
source = "MyCOS 2019"
use = "fit"
"""


def test_the_shipped_targets_fit_six_and_hold_out_three_with_sources():
    targets = load_targets(SHIPPED)
    assert len(targets.used("fit")) >= 6 and len(targets.used("holdout")) >= 3
    for target in targets.targets:
        assert target.source and target.range_why and target.population
        assert not (target.use == "fit" and set(target.outcomes) & set(NEVER_FIT))
    assert targets.scenario == {}  # the baseline file sets no parameter


def test_every_fitted_target_states_its_discrepancy_and_why():
    targets = load_targets(SHIPPED)
    for target in targets.used("fit"):
        assert target.discrepancy > 0 and "assumption" in target.discrepancy_why, target.name
        if target.kind == "level":  # smaller than the range it widens
            assert target.discrepancy <= (target.high - target.low) / 2, target.name
    months = {t.name: t for t in targets.targets}["months_to_first_job"]
    assert months.use == "holdout" and "cannot reach" not in months.range_why
    assert "hiring calendar" in months.range_why


BAD = {
    "no calibration table": (GOOD.replace('[calibration]\nname = "t"\n', ""), "calibration"),
    "unknown table": (GOOD + "[extra]\nx = 1\n", "extra"),
    "unknown key": (GOOD.replace('use = "fit"', 'use = "fit"\nweight = 2'), "target[0].weight"),
    "unknown outcome": (GOOD.replace('"employment_rate_6m"', '"employment"'), "target[0].outcome"),
    "value outside range": (GOOD.replace("value = 0.91", "value = 0.99"), "target[0].value"),
    "bad use": (GOOD.replace('use = "fit"', 'use = "both"'), "target[0].use"),
    "missing source": (GOOD.replace('source = "MyCOS 2019"\n', ""), "target[0].source"),
    "bad year": (GOOD.replace("year = 2018", 'year = "2018"'), "target[0].year"),
    "validation outcome fitted": (GOOD.replace('"employment_rate_6m"', '"out_of_field_share"'),
                                  "target[0].use"),
    "repeated name": (GOOD + GOOD.split("\n", 4)[4], "target[1].name"),
    "order of one outcome": (GOOD.replace(
        'outcome = "employment_rate_6m"\nvalue = 0.91\nlow = 0.88\nhigh = 0.94',
        'kind = "order"\ngreater = "employment_rate_6m"\nlesser = "employment_rate_6m"'),
        "target[0].lesser"),
    "missing scenario": (GOOD.replace('name = "t"', 'name = "t"\nscenario = "nowhere.toml"', 1),
                         "calibration.scenario"),
    "no targets": ('[calibration]\nname = "t"\n', "target"),
    "negative discrepancy": (GOOD.replace('use = "fit"', 'use = "fit"\ndiscrepancy = -0.01\n'
                                          'discrepancy_why = "assumption"'),
                             "target[0].discrepancy"),
    "discrepancy as text": (GOOD.replace('use = "fit"', 'use = "fit"\ndiscrepancy = "small"\n'
                                         'discrepancy_why = "assumption"'),
                            "target[0].discrepancy"),
    "discrepancy without why": (GOOD.replace('use = "fit"', 'use = "fit"\ndiscrepancy = 0.01'),
                                "target[0].discrepancy_why"),
    "why without discrepancy": (GOOD.replace('use = "fit"',
                                             'use = "fit"\ndiscrepancy_why = "assumption"'),
                                "target[0].discrepancy"),
    "misspelt discrepancy": (GOOD.replace('use = "fit"', 'use = "fit"\ndiscrepency = 0.01'),
                             "target[0].discrepency"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_malformed_target_files_give_one_error_line_and_exit_2(tmp_path, case):
    text, key = BAD[case]
    path = tmp_path / "targets.toml"
    path.write_text(text)
    proc = iesim("validate", str(path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    one_error_line(proc.stderr, str(path), key)
