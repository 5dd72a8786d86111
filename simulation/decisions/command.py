"""The ``iesim decide`` subcommand: run a decision file into a directory.

Exit codes: 0 done; 1 some runs failed (rerun with ``--resume``); 2 bad input (one
``error:`` line, nothing written); 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import argparse

from simulation.batch.batchfile import MAX_RUNS
from simulation.batch.commands import study_command
from simulation.errors import InputError


def register(subparsers) -> None:
    """Add ``decide`` to the ``iesim`` parser."""
    study_command(
        subparsers, "decide",
        help="compare policy options under parameter uncertainty (acceptability, EVPI, EVPPI)",
        description="Draw the file's uncertain inputs (the calibration posterior, whole rows, "
        "and named distributions), run every option at every draw on common random numbers "
        "through the batch runner (resumable, on processes or Dask), and write the expected "
        "costs and effects, acceptability curves and frontier, expected loss, EVPI and EVPPI, "
        "tables, figures and a report into --out.",
        file_help="decision TOML file (scenarios/decisions/*.toml)", what="decision study",
        run=cmd_decide)


def cmd_decide(args: argparse.Namespace) -> int:
    """Run ``iesim decide``; see the module docstring for exit codes."""
    from functools import partial

    from simulation.batch.commands import run_study, study_backend
    from simulation.decisions.run import run_decision
    from simulation.decisions.study import load_decision

    backend = study_backend(args)
    decision = load_decision(args.file, quick=args.quick)
    cap = args.max_runs or MAX_RUNS
    if decision.runs > cap:
        raise InputError(decision.source, "--max-runs",
                         f"the decision study needs {decision.runs:,} model runs, more than the "
                         f"cap of {cap:,}; choose fewer draws or replicates, or raise the cap "
                         "with --max-runs")
    return run_study(args, backend, partial(run_decision, decision, args.out))
