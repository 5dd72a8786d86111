"""One scenario, one run: what ``iesim run`` does.

Loads and validates a scenario file, runs the model with the file's seed
(or an override), and writes the monthly time series (Parquet) and the
run's summary (JSON) to an output directory.  Files are written to a
temporary name and renamed, so an interrupted run leaves no partial file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from simulation.metrics import OUTCOMES
from simulation.model import IndustryEducationModel
from simulation.scenarios import Scenario, load_scenario


def run_scenario(scenario: Scenario, seed: int | None = None, years: int | None = None):
    """Run one scenario and return the finished model."""
    model = IndustryEducationModel(rng=scenario.seed if seed is None else seed, **scenario.params)
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
    write(tmp)
    os.replace(tmp, path)


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
                      out: Path | None = None) -> str:
    """Validate, run and (optionally) save one scenario file; return the outcome table."""
    scenario = load_scenario(path)
    seed = scenario.seed if seed is None else seed
    years = scenario.years if years is None else years
    model = run_scenario(scenario, seed=seed, years=years)
    if out is not None:
        write_results(model, scenario, Path(out), seed, years)
    header = f"scenario {scenario.name}: seed {seed}, {years} years"
    return header + "\n" + outcome_table(model.outcomes())


__all__ = ["run_scenario", "run_scenario_file", "outcome_table", "write_results"]
