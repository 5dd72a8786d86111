"""Why the fund saturates: how often universities are at their coordination capacity.

Run from the project root: ``.venv/bin/python docs/probes/fund_saturation.py`` (about a
minute). For the baseline, the fund preset, twice its budget, and the preset with twice the
calibrated coordination capacity, it prints the share of university-months (years 5-12) in
which a university's open partnerships fill its capacity, per seed, and the partnerships
formed in 12 years. docs/ODD.md (7.7) quotes its output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulation.model import IndustryEducationModel  # noqa: E402
from simulation.model.parameters import defaults  # noqa: E402
from simulation.scenarios import load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def at_capacity(params: dict, seed: int, years: int = 12, warm_up: int = 60) -> tuple[float, int]:
    """Share of university-months at capacity after ``warm_up`` steps, and partnerships formed."""
    model = IndustryEducationModel(rng=seed, **params)
    shares = []
    for _ in range(12 * years):
        model.step()
        if model.steps > warm_up:
            load = model.network.open_by_university
            shares.append(np.mean([load[u.index] >= u.capacity for u in model.universities]))
    return float(np.mean(shares)), int(model.outcomes()["partnerships_formed"])


def main() -> None:
    fund = dict(load_scenario(ROOT / "scenarios" / "lever_dedicated_fund.toml").params)
    arms = {
        "baseline": {},
        "fund": fund,
        "fund, twice the budget": {**fund, "fund_budget": 2 * fund["fund_budget"]},
        "fund, twice the capacity": {**fund,
                                     "coordination_capacity": 2 * defaults()["coordination_capacity"]},
    }
    for name, params in arms.items():
        results = [at_capacity(params, seed) for seed in range(3)]
        print(f"{name}: at capacity {[round(s, 3) for s, _ in results]}; "
              f"partnerships formed {[f for _, f in results]}")


if __name__ == "__main__":
    main()
