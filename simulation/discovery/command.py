"""The ``iesim discover`` subcommand: run a discovery file into a directory.

Exit codes: 0 done; 1 some runs failed (rerun with ``--resume``); 2 bad
input (one ``error:`` line); 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import argparse

from simulation.batch.batchfile import MAX_RUNS
from simulation.batch.commands import study_command
from simulation.errors import InputError


def register(subparsers) -> None:
    """Add ``discover`` to the ``iesim`` parser."""
    study_command(
        subparsers, "discover",
        help="scenario discovery: where in the uncertainty space a policy fails (PRIM, CART)",
        description="Sample the file's uncertain factors (Latin hypercube), run the policy and "
        "its reference at every point through the batch runner (resumable, on processes or "
        "Dask), and find with PRIM the boxes where the case of interest concentrates, with a "
        "CART tree as a second view; writes tables, figures and a report into --out.",
        file_help="discovery TOML file (scenarios/discovery/*.toml)", what="discovery",
        run=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    """Run ``iesim discover``; see the module docstring for exit codes."""
    from functools import partial

    from simulation.batch.commands import run_study, study_backend
    from simulation.discovery.run import run_discovery
    from simulation.discovery.study import load_discovery

    backend = study_backend(args)
    discovery = load_discovery(args.file, quick=args.quick)
    cap = args.max_runs or MAX_RUNS
    if discovery.runs > cap:
        raise InputError(discovery.study.source, "--max-runs",
                         f"the discovery needs {discovery.runs:,} model runs, more than the cap "
                         f"of {cap:,}; choose a smaller size, or raise the cap with --max-runs")
    return run_study(args, backend, partial(run_discovery, discovery, args.out))
