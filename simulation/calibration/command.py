"""The ``iesim calibrate`` subcommand: calibrate the baseline to a target file.

Exit codes: 0 done; 1 some runs failed (rerun with ``--resume``); 2 bad
input (one ``error:`` line); 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import argparse

from simulation.batch.batchfile import MAX_RUNS
from simulation.batch.commands import study_command
from simulation.errors import InputError


def register(subparsers) -> None:
    """Add ``calibrate`` to the ``iesim`` parser."""
    study_command(
        subparsers, "calibrate", help="calibrate the no-policy baseline to a target file",
        description="History matching with Gaussian-process emulators over the file's "
        "[calibration.parameters], an emulator posterior, confirmation on the model and a "
        "check of every target; writes calibrated.toml, a report and figures into --out.",
        file_help="target file (calibration/targets.toml)", what="calibration", run=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run ``iesim calibrate``; see the module docstring for exit codes."""
    from functools import partial

    from simulation.batch.commands import run_study, study_backend
    from simulation.calibration.run import calibrate
    from simulation.calibration.targets import load_targets

    backend = study_backend(args)
    targets = load_targets(args.file, quick=args.quick)
    if targets.plan is None:
        raise InputError(args.file, "calibration.parameters", "the file names no parameters to "
                         "calibrate; add a [calibration.parameters] table")
    cap = args.max_runs or MAX_RUNS
    if targets.plan.most_runs() > cap:
        raise InputError(args.file, "--max-runs",
                         f"the calibration may need {targets.plan.most_runs():,} model runs, more "
                         f"than the cap of {cap:,}; choose a smaller size, or raise the cap with "
                         "--max-runs")
    return run_study(args, backend, partial(calibrate, targets, args.out))
