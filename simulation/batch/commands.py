"""The ``iesim batch`` and ``iesim report`` commands.

``iesim batch FILE --out DIR`` validates the batch file, runs every scenario's
replicates on a backend, stores results in DIR as they finish and prints the
summary (:mod:`simulation.batch.publish`: each option's effects, cost and
verdict against the reference; every table with ``--full``, and always in
DIR/report.md and tidy files whose paths go to standard error).  Exit codes: 0
all runs succeeded, 1 some failed (their count is printed; ``--resume``
retries them), 2 bad input (nothing runs), 130 interrupted (``--resume``
continues).

Bad input, refused before anything is written: a bad batch file or option; a
batch of more than ``--max-runs`` runs (default
:data:`~simulation.batch.batchfile.MAX_RUNS`); an ``--out`` that cannot be
created or written; an ``--out`` that another batch is using (the store is
locked while a batch writes it); and a ``--resume`` whose plan differs from
the runs stored in ``--out``.

``iesim report DIR`` prints the same for a stored batch, reading the store
without locking it, also while a batch runs or after one was killed: runs
without results are left out and counted on standard error.  When DIR cannot
be written, the output is still printed and one ``warning:`` line says which
files were not written.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from simulation.batch.batchfile import MAX_RUNS
from simulation.batch.runner import BACKENDS, stable_hash
from simulation.errors import InputError, escape_controls


def register(subparsers) -> None:
    """Add the ``batch`` and ``report`` subcommands to the ``iesim`` parser."""
    batch = subparsers.add_parser(
        "batch", help="run a batch file (scenarios x replicates) into a results store",
        description="Run every scenario's replicates, store results in --out as they "
        "finish, and print each scenario's effect against the reference.",
    )
    batch.add_argument("file", help="batch TOML file (scenarios/batches/*.toml)")
    runner_options(batch, "batch")
    batch.add_argument("--quiet", action="store_true",
                       help="plain progress lines instead of a bar")
    batch.add_argument("--ci-width", type=float, default=None,
                       help="add replicates until every reported paired difference's 95%% "
                            "interval is narrower than this (up to batch.max_replicates)")
    _output_options(batch)
    batch.add_argument("--max-runs", type=int, default=None,
                       help=f"refuse batches of more runs than this (scenarios x replicates, "
                            f"or x batch.max_replicates with --ci-width; default {MAX_RUNS:,})")
    _evaluation_options(batch)
    batch.set_defaults(func=cmd_batch)

    report = subparsers.add_parser(
        "report", help="print a results store's summary (or every table) and draw its effects "
                       "figure",
        description="Print the summary of a results store: each option's paired effects, cost "
                    "and cost-effectiveness verdict against the reference (--full: every "
                    "table); write report.md and the tidy tables into DIR.",
    )
    report.add_argument("dir", help="results directory written by `iesim batch`")
    _output_options(report)
    report.add_argument("--figure", default=None,
                        help="image file for the effects figure (default: DIR/effects.png)")
    report.add_argument("--no-figure", action="store_true", help="draw no effects figure")
    report.add_argument("--figures", action="store_true",
                        help="also draw the evaluation figures: cost-effectiveness plane, "
                             "acceptability curves and efficient frontier (PNG files in DIR)")
    _evaluation_options(report)
    report.set_defaults(func=cmd_report)


def runner_options(parser, what: str) -> None:
    """Options every command that runs a batch takes: --out, where runs execute, --resume."""
    parser.add_argument("--out", required=True, help="results directory")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="where runs execute (default: processes; dask if --scheduler)")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address to join (default: start a LocalCluster)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: the CPUs available)")
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="runs per task (default: guided, large chunks first and single runs "
                             "at the end)")
    parser.add_argument("--resume", action="store_true",
                        help=f"continue the {what} in --out: run only missing or failed runs "
                             "(also after its settings changed, when the change leaves every "
                             "stored run as it was)")
    parser.add_argument("--replan", action="store_true",
                        help=f"with --resume, after the {what}'s settings changed: keep the "
                             "stored runs the change leaves as they were, run the others anew")


def _output_options(parser) -> None:
    parser.add_argument("--format", choices=("md", "markdown", "csv", "json"), default="md",
                        help="md: the summary (every table with --full); csv: the comparison "
                             "table of every outcome with the summary's columns; json: the "
                             "summary and every table (csv and json at full precision)")
    parser.add_argument("--full", action="store_true",
                        help="print every table after the summary, not only the summary "
                             "(they are always written to report.md in the results directory)")


def _evaluation_options(parser) -> None:
    parser.add_argument("--wtp", type=float, default=None,
                        help="willingness to pay, kCNY per employment-month, for net monetary "
                             "benefit (default: batch.willingness_to_pay, else 5)")
    parser.add_argument("--effect", choices=("employment_months", "matched_employment_months"),
                        default="employment_months",
                        help="effect measure of the policy evaluation")


def _check_args(args: argparse.Namespace) -> str:
    backend = study_backend(args)  # --workers, --chunk-size, --max-runs, --scheduler
    _check_wtp(args)
    if args.ci_width is not None and not (math.isfinite(args.ci_width) and args.ci_width > 0):
        raise InputError("--ci-width", "--ci-width",
                         f"--ci-width must be a number > 0; got {args.ci_width}")
    if args.scheduler:  # before any store is created, so a failed start blocks no rerun
        from simulation.batch.dask_backend import check_scheduler

        check_scheduler(args.scheduler)
    check_out(args.out)
    return backend


def study_command(subparsers, name: str, help: str, description: str, file_help: str,
                  what: str, run):
    """Add a study subcommand (``sensitivity``, ``calibrate``, ``discover``) whose ``run(args)`` works.

    It takes FILE, ``--out``, the runner options, ``--quick``, ``--max-runs`` and ``--quiet``.

    Returns:
        The subcommand's parser (to add options of its own).
    """
    cmd = subparsers.add_parser(name, help=help, description=description)
    cmd.add_argument("file", help=file_help)
    runner_options(cmd, what)
    cmd.add_argument("--quick", action="store_true",
                     help="the file's quick size (a smoke test, as CI runs it)")
    cmd.add_argument("--max-runs", type=int, default=None,
                     help=f"refuse a {what} of more model runs than this (default {MAX_RUNS:,})")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(func=run)
    return cmd


def study_backend(args: argparse.Namespace) -> str:
    """Check the runner options (``runner_options`` plus ``--max-runs``); the backend they give."""
    for option, value in (("--workers", args.workers), ("--chunk-size", args.chunk_size),
                          ("--max-runs", args.max_runs)):
        if value is not None and value < 1:
            raise InputError(option, option, f"{option} must be an integer >= 1; got {value}")
    if getattr(args, "replan", False) and not args.resume:
        raise InputError("--replan", "--replan", "--replan needs --resume (it re-plans the "
                         "runs of the study already in --out)")
    backend = args.backend or ("dask" if args.scheduler else "processes")
    if args.scheduler and backend != "dask":
        raise InputError("--scheduler", "--scheduler",
                         f"--scheduler needs --backend dask; got --backend {backend}")
    return backend


def run_study(args: argparse.Namespace, backend: str, run) -> int:
    """Run a study command's ``run(**runner keywords)`` into ``args.out``; print its report.

    Exit codes: 0 done; 1 some runs failed (rerun with ``--resume``); 130
    interrupted (finished runs are kept).  The study writes ``report.md`` in
    ``args.out`` and returns an object with a ``warnings`` list.
    """
    if args.scheduler:
        from simulation.batch.dask_backend import check_scheduler

        check_scheduler(args.scheduler)
    check_out(args.out)
    try:
        result = run(resume=args.resume, replan=args.replan, backend=backend,
                     workers=args.workers, scheduler=args.scheduler,
                     chunk_size=args.chunk_size, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are kept in {args.out}; run the same command with "
              "--resume to finish", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"error: {escape_controls(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # the output cannot be written (disk full, directory removed)
        print(f"error: cannot write the results to {args.out}: {escape_controls(str(exc))}; the runs "
              "stored so far are kept (--resume continues)", file=sys.stderr)
        return 1
    print((Path(args.out) / "report.md").read_text(encoding="utf-8"), end="")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def check_out(out: str | Path) -> Path:
    """Refuse an --out that is not a writable directory and cannot be created as one.

    The one check of output directories every command shares
    (:func:`simulation.batch.out_paths.check_out_dir`).
    """
    from simulation.batch.out_paths import check_out_dir

    return check_out_dir(out, "--out")


def _check_wtp(args: argparse.Namespace) -> None:
    if args.wtp is not None and not (math.isfinite(args.wtp) and 0 <= args.wtp <= 1e6):
        raise InputError("--wtp", "--wtp", f"--wtp must be a number in [0, 1e6]; got {args.wtp}")


def _provenance(batch, backend: str, args: argparse.Namespace) -> dict:
    from simulation.batch.provenance import collect, file_sha256

    files = {batch.source: file_sha256(batch.source)}
    files.update({p: file_sha256(p) for p in set(batch.scenario_sources.values()) if p})
    return collect({"command": _command_line(args), "process_argv": list(sys.argv),
                    "master_seed": batch.seed, "backend": backend, "workers": args.workers,
                    "scheduler": args.scheduler, "input_files_sha256": files})


def _command_line(args: argparse.Namespace) -> list[str]:
    """The ``iesim batch`` command line that gives this session (from parsed options)."""
    line = ["iesim", "batch", str(args.file), "--out", str(args.out)]
    for name in ("backend", "scheduler", "workers", "chunk_size", "ci_width", "format", "wtp",
                 "effect", "max_runs"):
        value = getattr(args, name)
        if value is not None:
            line += [f"--{name.replace('_', '-')}", str(value)]
    line += [f"--{flag}" for flag in ("resume", "replan", "quiet", "full") if getattr(args, flag)]
    return line


def cmd_batch(args: argparse.Namespace) -> int:
    """Run a batch file; see the module docstring for exit codes."""
    from simulation.batch.batchfile import load_batch
    from simulation.batch.store import ResultsStore, stored_plan

    backend = _check_args(args)
    batch = load_batch(args.file, max_runs=args.max_runs or MAX_RUNS,
                       ci_width=args.ci_width is not None)
    if args.ci_width is not None and batch.reference is None:
        raise InputError(batch.source, "batch.reference",
                         "--ci-width needs batch.reference (the scenario to compare with)")
    from simulation.batch.iesim_task import iesim_task

    task = iesim_task(batch.outcomes, batch.keep_timeseries)
    batch_hash = stable_hash({"batch": batch.design_hash(), "task": task.identity()})
    out = Path(args.out)
    replicates = batch.replicates
    if args.resume and (out / "manifest.json").is_file():
        # plan every replicate the store holds (earlier --ci-width sessions may have added
        # some), so resume checks each stored run against this plan before changing anything
        replicates = max(replicates, stored_plan(out).replicates)
    specs = batch.specs(replicates)
    provenance = _provenance(batch, backend, args)
    try:
        if args.resume:
            store = ResultsStore.resume(out, specs, batch_hash, batch.meta(), provenance,
                                        replan=args.replan, changed_settings=True)
        else:
            store = ResultsStore.create(out, specs, batch_hash, batch.meta(), provenance)
    except OSError as exc:
        raise InputError(str(out), "--out", f"cannot write results there: {exc}") from None
    if store.resume_note:
        print(f"note: {out}: {store.resume_note}", file=sys.stderr)
    with store:  # holds the store's lock until the batch ends
        if args.resume:
            _warn_if_code_changed(store.manifest["provenance"])
        replicates = max(replicates, store.replicates)
        return _run(args, batch, task, store, backend, replicates)


def _warn_if_code_changed(sessions: list[dict]) -> None:
    """Say so when a resume runs other code than the session that started the store."""
    first, now = sessions[0], sessions[-1]
    changes = []
    if (first.get("git") or {}).get("revision") != (now.get("git") or {}).get("revision"):
        changes.append("git revision")
    if first.get("packages") != now.get("packages"):
        changes.append("package versions")
    if changes:
        print(f"warning: resuming with different {' and '.join(changes)} than the batch "
              "started with (see manifest.json provenance); runs may mix code versions",
              file=sys.stderr)


def _run(args, batch, task, store, backend, replicates) -> int:
    from simulation.batch.backends import BackendError
    from simulation.batch.publish import publish
    from simulation.batch.session import run_session
    from simulation.number_format import number

    quiet = args.quiet
    try:
        result = run_session(
            task, store, batch.specs, replicates, reference=batch.reference,
            report=batch.report or (), scenarios=list(batch.scenarios), backend=backend,
            workers=args.workers, scheduler=args.scheduler, chunk_size=args.chunk_size,
            quiet=quiet, ci_width=args.ci_width, max_replicates=batch.max_replicates,
        )
    except KeyboardInterrupt:
        done = store.counts()["succeeded"]
        print(f"interrupted: {done} runs are stored in {store.root}; "
              "run the same command with --resume to finish", file=sys.stderr)
        return 130
    except BackendError as exc:
        print(f"error: {escape_controls(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # the store cannot be written (disk full, directory removed)
        print(f"error: cannot write results to {store.root}: {exc}", file=sys.stderr)
        return 1
    print(publish(result.summary, batch.name, batch.reference, list(batch.scenarios),
                  list(batch.report or ()), args, store.root, batch.willingness_to_pay).text,
          end="")
    total = len(store.plan)
    if args.ci_width is not None:
        met = result.widest < args.ci_width
        print(f"{'reached' if met else 'did not reach'} --ci-width {args.ci_width}: widest "
              f"interval {number(result.widest)} with {result.replicates} replicates", file=sys.stderr)
    if not quiet:
        print(f"results: {store.root} ({total} runs, {result.ran} run now)", file=sys.stderr)
    if result.failures:
        print(f"{len(result.failures)} of {total} runs failed (errors in "
              f"{store.root / 'status.jsonl'}); rerun with --resume to retry them",
              file=sys.stderr)
        for run_id, error in list(result.failures.items())[:5]:
            print(f"  {run_id}: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Print the summary (or every table) of a results store and draw its effects figure.

    A store still being written, interrupted or damaged is reported from the runs
    it holds, with a note of how many are missing.  When files cannot be written
    into it, the output is still printed, with one ``warning:`` line.
    """
    from simulation.batch.publish import publish
    from simulation.batch.report import check_image_path, draw_effects
    from simulation.batch.store import ResultsStore

    _check_wtp(args)
    if args.figure is not None:
        from simulation.batch.out_paths import check_out_file

        check_image_path(args.figure, "--figure")
        if not args.no_figure:
            check_out_file(args.figure, "--figure")
    store = ResultsStore.open(args.dir)
    meta = store.manifest.get("meta", {})
    reference = meta.get("reference")
    summary = store.summary()
    report = meta.get("report") or [
        c for c in summary.columns if c not in _non_outcome_columns(summary)
    ]
    scenarios = [s["name"] for s in meta.get("scenarios") or []
                 if isinstance(s, dict) and "name" in s] or None
    problems: list[str] = []
    name = meta.get("name") or store.root.name
    published = publish(summary, name, reference, scenarios, report, args, store.root,
                        meta.get("willingness_to_pay"), figures=args.figures, problems=problems)
    print(published.text, end="")
    table = published.table
    failures = store.failures()
    if failures:
        print(f"note: {len(failures)} runs failed and are left out", file=sys.stderr)
    missing = store.missing_count()
    if missing:
        damaged = f", {len(store.damaged)} of them with damaged result files" \
            if store.damaged else ""
        print(f"note: {missing:,} of {len(store.plan):,} planned runs have no "
              f"results (not run yet, interrupted or damaged{damaged}) and are left out; "
              f"run the batch again with --out {store.root} --resume to complete the store",
              file=sys.stderr)
    if not args.no_figure and reference is not None and not summary.empty:
        path = Path(args.figure) if args.figure else store.root / "effects.png"
        try:
            draw_effects(table, reference, path)
            print(f"figure: {path}", file=sys.stderr)
        except OSError as exc:
            problems.append(f"the effects figure {path} ({exc})")
    if problems:
        print(f"warning: could not write {'; nor '.join(problems)}; the printed tables are "
              "complete", file=sys.stderr)
    return 0


def _non_outcome_columns(frame) -> set[str]:
    from simulation.batch.store import ID_COLUMNS

    return set(ID_COLUMNS) | {c for c in frame.columns if c.startswith("param_")}
