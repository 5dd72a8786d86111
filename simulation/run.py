"""One scenario, one run: what ``iesim run`` does.

Loads and validates a scenario file, runs the model with the file's seed
(or an override), and writes the monthly time series (Parquet) and the
run's summary (JSON) to an output directory.  The directory is checked
before the run (it must be a directory, or a path where one can be made, and
writable; it must not hold an earlier run's files unless ``overwrite``), so
a bad ``--out`` costs no simulation.  Files are written to a temporary name
and renamed, so an interrupted run leaves no partial file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from simulation.errors import InputError
from simulation.model import IndustryEducationModel
from simulation.model.metrics import OUTCOMES
from simulation.scenarios import Scenario, load_scenario, run_seed

RESULT_FILES = ("timeseries.parquet", "summary.json")
"""The files a run writes into its output directory."""


def run_scenario(scenario: Scenario, seed: int | None = None, years: int | None = None):
    """Run one scenario and return the finished model.

    The run is replicate 0 of a batch whose master seed is the file's seed (or
    ``seed``): ``iesim batch`` with that seed reproduces it (:func:`run_seed`).
    """
    model = IndustryEducationModel(rng=run_seed(scenario.seed if seed is None else seed),
                                   **scenario.params)
    model.run_years(scenario.years if years is None else years)
    return model


def outcome_table(summary: dict[str, float]) -> str:
    """The outcomes as an aligned plain-text table (name, value, unit)."""
    width = max(len(n) for n in summary)
    lines = [f"{'outcome':<{width}}  {'value':>12}  unit", "-" * (width + 26)]
    for name, value in summary.items():
        shown = "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:,.4g}"
        lines.append(f"{name:<{width}}  {shown:>12}  {OUTCOMES[name].unit}")
    return "\n".join(lines)


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_out_dir(out: Path, overwrite: bool = False) -> None:
    """Refuse an output directory the results could not be written to, before any run.

    ``out`` must be a directory or a path where one can be made, and
    writable (see :func:`simulation.batch.out_paths.check_out_dir`: the check
    leaves nothing behind).  A directory that already holds a run's files is
    refused unless ``overwrite``.

    Raises:
        InputError: naming ``out``, the key ``--out`` and what was expected.
    """
    from simulation.batch.out_paths import check_out_dir as check_writable

    out = check_writable(out, "--out")
    source = str(out)
    try:
        in_the_way = [n for n in RESULT_FILES if (out / n).is_symlink() or (out / n).exists()]
        odd = [n for n in in_the_way if not (out / n).is_file()]
    except OSError as exc:
        raise InputError(source, "--out", f"--out cannot be checked ({exc.strerror or exc})") from None
    if odd:
        raise InputError(source, "--out", f"--out holds {', '.join(in_the_way)} that are not "
                         "regular files; choose another directory")
    if in_the_way and not overwrite:
        raise InputError(source, "--out", f"--out already holds an earlier run "
                         f"({', '.join(in_the_way)}); give --overwrite to replace it, "
                         "or choose another directory")


def write_results(model, scenario: Scenario, out: Path, seed: int, years: int) -> None:
    """Write ``timeseries.parquet`` and ``summary.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    series = model.datacollector.get_model_vars_dataframe().reset_index(names="step")
    series.insert(0, "scenario", scenario.name)
    _atomic_write(out / "timeseries.parquet", lambda p: series.to_parquet(p, index=False))
    doc = {
        "scenario": scenario.name,
        "source": scenario.source,
        "seed": seed,
        "years": years,
        "parameters": model.p,
        "outcomes": {k: (None if math.isnan(v) else v) for k, v in model.outcomes().items()},
    }
    _atomic_write(out / "summary.json",
                  lambda p: p.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n"))


def run_scenario_file(path, seed: int | None = None, years: int | None = None,
                      out: Path | None = None, overwrite: bool = False) -> str:
    """Validate, run and (optionally) save one scenario file; return the outcome table.

    The scenario and ``out`` (see :func:`check_out_dir`) are checked before
    the run; ``overwrite`` allows replacing an earlier run's files in ``out``.
    """
    scenario = load_scenario(path)
    seed = scenario.seed if seed is None else seed
    years = scenario.years if years is None else years
    if out is not None:
        check_out_dir(Path(out), overwrite)
    model = run_scenario(scenario, seed=seed, years=years)
    if out is not None:
        try:
            write_results(model, scenario, Path(out), seed, years)
        except OSError as exc:  # e.g. the disk filled up during the run
            raise InputError(str(out), "--out",
                             f"cannot write the results there ({exc.strerror or exc})") from None
    header = f"scenario {scenario.name}: seed {seed}, {years} years"
    return header + "\n" + outcome_table(model.outcomes())


__all__ = ["check_out_dir", "run_scenario", "run_scenario_file", "outcome_table", "write_results"]
