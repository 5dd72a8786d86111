"""Run a decision study into an output directory, resumably.

``DIR`` receives, as the study goes:

* ``decision.json``: the validated study (its hash guards ``--resume``);
* ``draws.parquet`` (and ``.csv``): every draw's values of the uncertain inputs (and the
  posterior row it took);
* ``runs/``: the batch runner's results store (every option at every draw and replicate);
* ``results.parquet`` (and ``.csv``): every run's costs and effects (both perspectives,
  both effect measures);
* the analysis (:mod:`simulation.decisions.analysis`), each as Parquet and CSV:
  ``per_draw``, ``expected``, ``acceptability``, ``frontier``, ``evpi``, ``evppi``,
  ``variance``;
* ``figures/``: ``ce_plane.png``, ``acceptability.png``, ``evpi.png``, ``evppi.png``;
* ``sessions.json`` (the wall time of every session) and ``report.md``.

An interrupted study continues with ``resume=True``: finished runs are kept, the draws
are made again from the seed and checked against the stored ones, and the analysis,
deterministic in the seed, is done again on all runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.batch.specs import stable_hash
from simulation.batch.store import write_atomically
from simulation.batch.study_dir import claim, record_session, settle
from simulation.decisions.analysis import Analysis, analyse
from simulation.decisions.runs import evaluate
from simulation.decisions.study import Decision
from simulation.errors import InputError

RECORD = "decision.json"
KIND = "decision study"


@dataclass
class DecisionResult:
    """What a finished decision study produced (also written to its directory)."""

    decision: Decision
    draws: pd.DataFrame
    runs: pd.DataFrame
    analysis: Analysis
    seconds: list[float]
    warnings: list[str]
    out: Path


def decision_hash(decision: Decision) -> str:
    """Hash of what determines a study's numbers (not its name, description, source or scale)."""
    described = decision.describe()
    for key in ("description", "source", "name", "scale"):
        described.pop(key)
    return stable_hash(described)


def run_decision(decision: Decision, out: str | Path, *, resume: bool = False,
                 replan: bool = False, figures_too: bool = True, **runner) -> DecisionResult:
    """Draw, run, analyse and report a decision study in ``out``.

    Args:
        decision: a validated study (:func:`~simulation.decisions.study.load_decision`).
        out: the output directory: new or empty, or this study's with ``resume``.
        resume: continue the study already in ``out`` (also after its settings changed,
            when the change leaves its stored runs as they were).
        replan: with ``resume``, keep the stored runs changed settings leave as they were
            and run the others anew.
        figures_too: also draw the figures.
        **runner: how and where runs execute, passed to
            :func:`~simulation.decisions.runs.evaluate` (``task``, ``backend``, ``workers``,
            ``scheduler``, ``chunk_size``, ``progress``).

    Raises:
        InputError: ``out`` holds something else, or another study.
        RuntimeError: some runs failed (rerun with ``resume``).
    """
    from simulation.decisions import figures
    from simulation.decisions.report import report, warnings

    started = time.perf_counter()
    out = Path(out)
    key, payload = decision_hash(decision), {"decision": decision.describe()}
    changed = claim(out, RECORD, key, payload, resume, KIND, changeable=True)
    draws = decision.uncertainty.draw(decision.draws, decision.seed)
    if not changed:
        write_draws(draws, out)
    runs = evaluate(decision, draws, out, replan=replan, **runner)
    if changed:  # the runs store took the change: the study is now this one
        write_draws(draws, out, replace=True)
        settle(out, RECORD, key, payload, KIND, changed=True)
    write_table(out, "results", runs)
    analysis = analyse(decision, draws, runs)
    for name, table in analysis.tables().items():
        write_table(out, name, table)
    if figures_too:
        figures.draw_all(decision, analysis, out / "figures")
    seconds = record_session(out, time.perf_counter() - started)
    result = DecisionResult(decision, draws, runs, analysis, seconds, [], out)
    result.warnings = warnings(result)
    write_atomically(out / "report.md", lambda p: Path(p).write_text(report(result),
                                                                     encoding="utf-8"))
    return result


def write_table(out: Path, name: str, table: pd.DataFrame) -> None:
    """``name.parquet`` and ``name.csv`` in ``out`` (full precision)."""
    write_atomically(out / f"{name}.parquet", lambda p: table.to_parquet(p, index=False))
    write_atomically(out / f"{name}.csv",
                     lambda p: table.to_csv(p, index=False, float_format="%.10g"))


def write_draws(draws: pd.DataFrame, out: Path, replace: bool = False) -> None:
    """Write the draws; when resuming, check them against the stored ones first.

    Raises:
        InputError: the stored draws differ from the ones the study's seed gives.
    """
    path = out / "draws.parquet"
    if path.exists() and not replace:
        stored = pd.read_parquet(path)
        same = (list(stored.columns) == list(draws.columns) and stored.shape == draws.shape
                and np.allclose(stored.to_numpy(float), draws.to_numpy(float)))
        if not same:
            raise InputError(str(path), "--resume", "the stored draws differ from the ones this "
                             "study's seed gives (another NumPy version?); start a new --out")
        return
    write_table(out, "draws", draws)


def read_analysis(out: str | Path) -> Analysis:
    """The analysis tables of a finished study in ``out`` (as :func:`run_decision` wrote them)."""
    out = Path(out)
    names = ("per_draw", "expected", "acceptability", "frontier", "evpi", "evppi", "variance")
    return Analysis(*(pd.read_parquet(out / f"{name}.parquet") for name in names))
