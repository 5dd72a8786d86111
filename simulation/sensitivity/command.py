"""The ``iesim sensitivity`` subcommand: run a sensitivity file into a directory.

Exit codes: 0 done; 1 some runs failed (rerun with ``--resume``); 2 bad
input (one ``error:`` line); 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import argparse

from simulation.batch.batchfile import MAX_RUNS
from simulation.batch.commands import study_command
from simulation.errors import InputError


def register(subparsers) -> None:
    """Add ``sensitivity`` to the ``iesim`` parser."""
    cmd = study_command(
        subparsers, "sensitivity",
        help="run a sensitivity file (Morris, Sobol or PAWN) into a directory",
        description="Sample the file's factors with SALib, run every point through the batch "
        "runner (resumable, on processes or Dask), and write index tables, figures and a report.",
        file_help="sensitivity TOML file (scenarios/sensitivity/*.toml)", what="study",
        run=cmd_sensitivity)
    cmd.add_argument("--allow-function", action="store_true",
                     help="run the file's sensitivity.function instead of the model (it imports "
                          "and runs Python code: a module file relative to the study file)")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run ``iesim sensitivity``; see the module docstring for exit codes."""
    from functools import partial

    from simulation.batch.commands import run_study, study_backend
    from simulation.sensitivity.run import run_study as run_sensitivity
    from simulation.sensitivity.study import load_study, runs

    backend = study_backend(args)
    study = load_study(args.file, quick=args.quick, allow_function=args.allow_function)
    cap = args.max_runs or MAX_RUNS
    if runs(study) > cap:
        raise InputError(study.source, "--max-runs",
                         f"the study needs {runs(study):,} model runs, more than the cap of "
                         f"{cap:,}; choose a smaller size, or raise the cap with --max-runs")
    return run_study(args, backend, partial(run_sensitivity, study, args.out))
