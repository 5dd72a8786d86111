"""The ``iesim sensitivity`` subcommand: run a sensitivity file into a directory.

Exit codes: 0 done; 1 some runs failed (rerun with ``--resume``); 2 bad
input (one ``error:`` line); 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.batch.batchfile import MAX_RUNS
from simulation.batch.commands import runner_options
from simulation.errors import InputError


def register(subparsers) -> None:
    """Add ``sensitivity`` to the ``iesim`` parser."""
    cmd = subparsers.add_parser(
        "sensitivity", help="run a sensitivity file (Morris, Sobol or PAWN) into a directory",
        description="Sample the file's factors with SALib, run every point through the batch "
        "runner (resumable, on processes or Dask), and write index tables, figures and a report.",
    )
    cmd.add_argument("file", help="sensitivity TOML file (scenarios/sensitivity/*.toml)")
    runner_options(cmd, "study")
    cmd.add_argument("--quick", action="store_true",
                     help="the file's [sensitivity.quick] size (a smoke test, as CI runs it)")
    cmd.add_argument("--max-runs", type=int, default=None,
                     help=f"refuse studies of more model runs than this (default {MAX_RUNS:,})")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(func=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run ``iesim sensitivity``; see the module docstring for exit codes."""
    from simulation.batch.commands import check_out
    from simulation.sensitivity.run import run_study
    from simulation.sensitivity.study import load_study, runs

    for option, value in (("--workers", args.workers), ("--chunk-size", args.chunk_size),
                          ("--max-runs", args.max_runs)):
        if value is not None and value < 1:
            raise InputError(option, option, f"{option} must be an integer >= 1; got {value}")
    backend = args.backend or ("dask" if args.scheduler else "processes")
    if args.scheduler and backend != "dask":
        raise InputError("--scheduler", "--scheduler",
                         f"--scheduler needs --backend dask; got --backend {backend}")
    study = load_study(args.file, quick=args.quick)
    cap = args.max_runs or MAX_RUNS
    if runs(study) > cap:
        raise InputError(study.source, "--max-runs",
                         f"the study needs {runs(study):,} model runs, more than the cap of "
                         f"{cap:,}; choose a smaller size, or raise the cap with --max-runs")
    if args.scheduler:
        from simulation.batch.dask_backend import check_scheduler

        check_scheduler(args.scheduler)
    check_out(Path(args.out))
    try:
        result = run_study(study, args.out, resume=args.resume, backend=backend,
                           workers=args.workers, scheduler=args.scheduler,
                           chunk_size=args.chunk_size, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are kept in {args.out}; run the same command with "
              "--resume to finish", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print((Path(args.out) / "report.md").read_text(encoding="utf-8"), end="")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
