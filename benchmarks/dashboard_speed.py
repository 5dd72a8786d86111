"""How long one dashboard step takes: both models, every figure, the headline table.

One step is what the page does on "Step" or each month of "Play": advance
the policy model and its baseline one month, move every figure to the new
state and draw it (PNG), and compute the headline differences and the money
per extra employment-month.  The browser's own drawing is not included.

    python -m benchmarks.dashboard_speed [--preset NAME] [--warm MONTHS] [--steps N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from simulation.dashboard.session import Session


def step_times(preset: str = "full package", warm: int = 60, steps: int = 30) -> dict:
    """Seconds per dashboard step after ``warm`` months (the default dashboard size)."""
    session = Session(preset)
    session.step(warm)
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        session.step(1)  # both models, the headline numbers and every figure drawn
        seconds.append(time.perf_counter() - started)
    return {"preset": preset, "warm_months": warm, "steps": steps,
            "students": session.twin.policy.p["n_students"],
            "seconds": {"median": statistics.median(seconds), "min": min(seconds),
                        "max": max(seconds)}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="full package")
    parser.add_argument("--warm", type=int, default=60)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args(argv)
    r = step_times(args.preset, args.warm, args.steps)
    s = r["seconds"]
    print(f"dashboard step ({r['preset']}, {r['students']:,} students, after {r['warm_months']} "
          f"months): median {s['median'] * 1000:.0f} ms (min {s['min'] * 1000:.0f}, "
          f"max {s['max'] * 1000:.0f}) over {r['steps']} steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
