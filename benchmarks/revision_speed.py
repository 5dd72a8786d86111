"""The model's own speed at two revisions, measured alternately on the same machine.

    python -m benchmarks.revision_speed REV [--pairs 6] [--years 15]

Checks out ``REV`` into a temporary git worktree and times full-package runs of
``--years`` years at the default population, in fresh interpreters that take turns
(the revision, then the working tree, ``--pairs`` times): each interpreter runs the
model twice after a one-year warm-up and reports the smaller CPU time.  Printed:
both series and the median of the pairwise ratios (revision / working tree), so a
busy machine slows both sides alike.  The outcomes are not compared here (the
tests do that); this is speed only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TIMED = r"""
import gc, sys, time
from simulation.model import IndustryEducationModel
from simulation.scenarios import load_scenario
params = load_scenario(sys.argv[1]).params
IndustryEducationModel(rng=9, **params).run_for(12)
times = []
for seed in range(2):
    model = IndustryEducationModel(rng=seed, **params)
    gc.collect()
    start = time.process_time()
    model.run_years(int(sys.argv[2]))
    times.append(time.process_time() - start)
print(min(times))
"""


def cpu_seconds(tree: Path, years: int) -> float:
    """CPU seconds of a full-package run of ``years`` years with the code in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", TIMED, str(ROOT / "scenarios/full_package.toml"),
                          str(years)], cwd=tree, env=env, capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="git revision to compare the working tree with")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--years", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "revision"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                        args.revision], check=True, capture_output=True)
        try:
            old, new = [], []
            for _ in range(args.pairs):
                old.append(cpu_seconds(tree, args.years))
                new.append(cpu_seconds(ROOT, args.years))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)
    ratios = [a / b for a, b in zip(old, new, strict=True)]
    print(f"{args.revision}: " + ", ".join(f"{s:.3f}" for s in old) + " s")
    print("working tree: " + ", ".join(f"{s:.3f}" for s in new) + " s")
    print(f"speed-up (revision / working tree), median of {args.pairs} pairs: "
          f"{statistics.median(ratios):.3f} ({min(ratios):.3f} - {max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
