"""Compare two sensitivity studies' rankings of the same factors on one outcome.

Usage::

    python -m simulation.sensitivity.compare DIR_A DIR_B [--outcome employment_rate_6m]

prints the Spearman rank correlation of the headline index (mu*, ST or the
PAWN median) over the factors both studies vary, and the overlap of their
top five.  ``make sensitivity`` runs it on the two population checks.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from simulation.sensitivity.indices import headline, rank_agreement


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.sensitivity.compare",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--outcome", default="employment_rate_6m")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)
    tables, methods = [], []
    for folder in (args.a, args.b):
        path = Path(folder)
        try:
            tables.append(pd.read_csv(path / "indices.csv"))
            methods.append(json.loads((path / "study.json").read_text())["study"]["method"])
        except (OSError, ValueError, KeyError) as exc:
            print(f"error: {folder}: not a finished sensitivity study ({exc})", file=sys.stderr)
            return 2
    if methods[0] != methods[1]:
        print(f"error: {args.b}: method {methods[1]} differs from {methods[0]}", file=sys.stderr)
        return 2
    index = headline(methods[0])
    result = rank_agreement(tables[0], tables[1], args.outcome, index, args.top)
    print(f"{args.outcome}, {index}: Spearman rank correlation {result['spearman']:.3f} over "
          f"{result['factors']} factors; top {args.top} shared: {result['top_overlap']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
