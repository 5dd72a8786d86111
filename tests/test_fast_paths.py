"""The model's fast paths give the numbers of the plain NumPy they replace.

Each helper here exists for speed only (issue 25); these tests pin it to the
straightforward expression, bit for bit, so a speed-up can never change an
outcome.  The allocator setting is checked by what it is for: fewer page
faults a month, in a fresh process.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from simulation.model import IndustryEducationModel
from simulation.model.allocator import OWN_SETTINGS, keep_freed_memory
from simulation.model.labour_market import rank_in_runs, reservation
from simulation.model.skills import last_axis_sum, put_rows, rms_gap
from tests import small_world


@pytest.mark.parametrize("shape", [(500, 2), (500, 6), (500, 7), (500, 8), (500, 9), (500, 20),
                                   (4, 3, 6), (6,), (0, 6), (3, 1)])
def test_last_axis_sum_is_numpy_sum_bit_for_bit(shape):
    rng = np.random.default_rng(sum(shape))
    a = rng.random(shape) ** 2 * 10.0 ** rng.integers(-8, 8, shape)  # magnitudes that round
    np.testing.assert_array_equal(last_axis_sum(a), np.add.reduce(a, axis=-1))


def test_rms_gap_is_the_textbook_formula_bit_for_bit():
    rng = np.random.default_rng(5)
    a, b = rng.random((1000, 6)), rng.random((1000, 6))
    np.testing.assert_array_equal(rms_gap(a, b), np.sqrt(np.mean((a - b) ** 2, axis=-1)))
    np.testing.assert_array_equal(rms_gap(a[0], b[0]), np.sqrt(np.mean((a[0] - b[0]) ** 2)))


def test_put_rows_is_fancy_assignment():
    rng = np.random.default_rng(6)
    a = rng.random((50, 6))
    expected = a.copy()
    rows = rng.choice(50, 20, replace=False)
    values = rng.random((20, 6))
    expected[rows] = values
    put_rows(a, rows, values)
    np.testing.assert_array_equal(a, expected)


@pytest.mark.parametrize("keys", [[], [3], [1, 1, 1], [0, 0, 2, 5, 5, 5, 7], [4, 4, 1, 1, 4]])
def test_rank_in_runs_counts_positions_within_each_run(keys):
    keys = np.asarray(keys, dtype=np.int64)
    expected, previous, rank = [], None, 0
    for k in keys.tolist():
        rank = rank + 1 if k == previous else 0
        expected.append(rank)
        previous = k
    np.testing.assert_array_equal(rank_in_runs(keys), expected)


def test_reservation_is_the_power_formula_and_follows_the_parameter():
    model = IndustryEducationModel(rng=1, **small_world.SMALL)
    months = np.array([0, 1, 5, 12, 0, 70, 200])
    for decay in (model.p["reservation_decay"], 0.2):
        model.p["reservation_decay"] = decay
        expected = model.p["reservation_match"] * (1.0 - decay) ** months
        np.testing.assert_array_equal(reservation(model, months), expected)


def test_firm_demand_is_kept_only_until_sector_demand_drifts():
    model = IndustryEducationModel(rng=2, **small_world.SMALL)
    for _ in range(3):
        kept = model.firm_demand()
        fresh = np.clip(model.sector_demand[model.firm_sector] + model.firm_offsets, 0.0, 1.0)
        np.testing.assert_array_equal(kept, fresh)
        assert not kept.flags.writeable  # callers copy what they change
        model.step()
    assert not np.array_equal(kept, model.firm_demand())  # it drifted with its sector


PAGE_FAULTS = r"""
import json, resource
from simulation.model import IndustryEducationModel
from simulation.model.core import KEEPS_FREED_MEMORY
from simulation.scenarios import load_scenario
model = IndustryEducationModel(rng=0, **load_scenario("scenarios/full_package.toml").params)
model.run_for(12)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
model.run_for(12)
after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
print(json.dumps({"kept": KEEPS_FREED_MEMORY, "per_month": (after - before) / 12}))
"""


def _page_faults(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", PAGE_FAULTS], env=env, capture_output=True,
                         text=True, check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="the allocator setting applies to glibc's malloc only")
def test_a_month_reuses_memory_instead_of_faulting_pages_in_again():
    plain = {k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}
    tuned = _page_faults(plain)
    # glibc's own default threshold, set by hand: the model leaves it alone
    untouched = _page_faults({**plain, "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)})
    assert tuned["kept"] and not untouched["kept"]
    assert tuned["per_month"] * 3 < untouched["per_month"]


def test_own_malloc_settings_are_respected(monkeypatch):
    monkeypatch.setenv("MALLOC_TOP_PAD_", "0")
    assert keep_freed_memory() is False
