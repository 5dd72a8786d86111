"""Value-of-information speed: EVPPI of 20 single inputs and 3 groups from 2,000 draws.

A synthetic probabilistic sample stands in for the model's: ``--options`` options (10 by
default, the policy comparison's baseline, eight levers and the package), each option's
cost and effect a smooth function of a few of ``--inputs`` standard normal inputs plus
seed noise.  Reported: seconds for the 20 single-input EVPPIs (penalised splines), for the 3
groups (Gaussian processes), for an EVPPI curve over 41 willingness-to-pay values, and in
all, each the median of ``--repeats`` runs with min and max (the machine is shared).

    python -m benchmarks.voi_bench [--draws 2000] [--options 10] [--repeats 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from benchmarks.model_speed import spread
from simulation.decisions import evpi, evppi, evppi_curve

GROUPS = ((0, 1), (2, 3, 4), (5, 6, 7, 8, 9))


def sample(draws: int, options: int, inputs: int, seed: int = 0):
    """Inputs, costs and effects of a synthetic probabilistic sample."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(draws, inputs))
    weights = rng.normal(0.0, 1.0, size=(inputs, options)) * (rng.random((inputs, options)) < 0.3)
    effects = 300 + np.tanh(x) @ (200 * weights) + rng.normal(0, 150, (draws, options))
    costs = 1_000 * np.arange(options) + (x**2) @ (150 * np.abs(weights)) \
        + rng.normal(0, 300, (draws, options))
    effects[:, 0], costs[:, 0] = 0.0, 0.0
    return x, costs, effects


def run(draws: int, options: int, wtp: float = 5.0) -> dict[str, float]:
    """Seconds for each part of one value-of-information analysis."""
    x, costs, effects = sample(draws, options, 20)
    nb = wtp * effects - costs
    out = {}
    start = time.perf_counter()
    singles = [evppi(nb, x[:, j], seed=j) for j in range(x.shape[1])]
    out["singles_s"] = time.perf_counter() - start
    start = time.perf_counter()
    groups = [evppi(nb, x[:, list(g)], seed=i) for i, g in enumerate(GROUPS)]
    out["groups_s"] = time.perf_counter() - start
    start = time.perf_counter()
    evppi_curve(costs, effects, np.linspace(0, 20, 41), x[:, 0])
    out["curve_s"] = time.perf_counter() - start
    out["total_s"] = out["singles_s"] + out["groups_s"] + out["curve_s"]
    out["evpi"] = float(evpi(nb))
    out["largest_single_evppi"] = max(r.value for r in singles)
    out["group_evppi"] = [r.value for r in groups]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--options", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    runs = [run(args.draws, args.options) for _ in range(args.repeats)]
    result = {key: spread([r[key] for r in runs]) for key in ("singles_s", "groups_s", "curve_s",
                                                              "total_s")}
    result["draws"], result["options"] = args.draws, args.options
    result["evpi"], result["group_evppi"] = runs[0]["evpi"], runs[0]["group_evppi"]
    for key in ("singles_s", "groups_s", "curve_s", "total_s"):
        s = result[key]
        print(f"{key[:-2]:>8}: {s['median']:6.2f} s (min {s['min']:.2f}, max {s['max']:.2f})")
    print(f"{args.draws} draws, {args.options} options, 20 single inputs, {len(GROUPS)} groups "
          f"(sizes {', '.join(str(len(g)) for g in GROUPS)}); EVPI {result['evpi']:.1f}, "
          f"group EVPPIs {', '.join(f'{v:.1f}' for v in result['group_evppi'])}; "
          f"median total {statistics.median(r['total_s'] for r in runs):.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
