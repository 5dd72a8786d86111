"""The ``iesim`` command: run, validate, batch, report, sensitivity, calibrate and dashboard.

Bad input prints one line on stderr starting ``error:`` and exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.errors import InputError, one_line


def _cmd_validate(args: argparse.Namespace) -> int:
    from simulation.batch.validate import validate_file

    for path in args.files:
        validate_file(path, allow_function=args.allow_function)
        print(f"ok: {path}")
    return 0


def _check_range(option: str, value: int | None, low: int, high: int) -> None:
    """Refuse an integer option outside [low, high], in the scenario files' words."""
    if value is not None and not low <= value <= high:
        shown = "2**63-1" if high == 2**63 - 1 else high
        raise InputError("", option, f"{option} must be an integer in [{low}, {shown}]; got {value}")


def _cmd_run(args: argparse.Namespace) -> int:
    from simulation.run import run_scenario_file
    from simulation.scenarios import SEED_RANGE, YEARS_RANGE

    _check_range("--years", args.years, *YEARS_RANGE)
    _check_range("--seed", args.seed, *SEED_RANGE)
    if args.out is not None and not args.out.strip():
        raise InputError("", "--out", f"--out must be a directory path; got {args.out!r}")
    out = Path(args.out) if args.out is not None else None
    table = run_scenario_file(args.scenario, seed=args.seed, years=args.years, out=out,
                              overwrite=args.overwrite)
    print(table)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one ``error:`` line, exit 2."""

    def error(self, message: str):  # noqa: D401
        print(f"error: {one_line(f'{self.prog}: {message}')}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="iesim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run one scenario file and print its outcomes")
    run.add_argument("scenario", help="scenario TOML file")
    run.add_argument("--seed", type=int, default=None, help="override the file's seed")
    run.add_argument("--years", type=int, default=None, help="override the simulated years")
    run.add_argument("--out", default=None, help="directory for timeseries.parquet and summary.json")
    run.add_argument("--overwrite", action="store_true",
                     help="replace the results of an earlier run in --out (refused without)")
    run.set_defaults(func=_cmd_run)

    val = sub.add_parser("validate", help="check scenario or batch files without running")
    val.add_argument("files", nargs="+")
    val.add_argument("--allow-function", action="store_true",
                     help="let a sensitivity file's sensitivity.function be imported (it runs "
                          "Python code named by the file)")
    val.set_defaults(func=_cmd_validate)

    try:
        from simulation.batch.commands import register
    except ImportError:  # the batch package is optional until it lands
        register = None
    if register is not None:
        register(sub)
    from simulation.sensitivity.command import register as register_sensitivity

    register_sensitivity(sub)
    from simulation.calibration.command import register as register_calibrate

    register_calibrate(sub)
    from simulation.discovery.command import register as register_discover

    register_discover(sub)
    from simulation.decisions.command import register as register_decide

    register_decide(sub)
    from simulation.dashboard.command import register as register_dashboard

    register_dashboard(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
