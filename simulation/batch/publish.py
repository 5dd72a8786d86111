"""What ``iesim batch`` and ``iesim report`` print and write for a batch's results.

Printed (standard output), by ``--format``: ``md`` the summary
(:mod:`simulation.batch.brief`), or with ``--full`` the summary and every table;
``csv`` the comparison table of every outcome with the summary's columns; ``json``
the summary and the comparison, evaluation and frontier tables.  CSV and JSON are
always complete and at full precision; ``--full`` changes only the Markdown.

Written in the results directory, whatever the format: ``report.md`` (the summary and
every table, as ``--full`` prints them), ``comparison.csv`` and ``.parquet`` (the CSV
output), and the evaluation's tidy tables (``evaluation``, ``acceptability``,
``frontier``, each ``.csv`` and ``.parquet``; figures with ``--figures``).  Their paths
go to standard error.  Files that cannot be written are named in ``problems`` (or, without
a list, in one ``warning:`` line at once); the printed output is complete anyway.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulation.batch.brief import ParameterProbability

WHERE_THE_REST_IS = ("Every table: `iesim report DIR --full`, or `report.md` in the results "
                     "directory, with the tidy tables at full precision beside it.\n")


@dataclass
class Published:
    """What :func:`publish` printed and wrote.

    Attributes:
        text: the text for standard output.
        table: the comparison table of every reported and headline outcome.
    """

    text: str
    table: pd.DataFrame


def publish(summary: pd.DataFrame, name: str, reference: str | None,
            scenarios: list[str] | None, report: list[str], args: argparse.Namespace,
            root: Path, batch_wtp: float | None, figures: bool = False,
            problems: list[str] | None = None,
            parameters: ParameterProbability | None = None) -> Published:
    """Evaluate, summarise, write the files, and give the text to print.

    Args:
        summary: one row per succeeded run (the store's summary).
        name: the batch's name.
        reference: the scenario every other is paired with (None: means only).
        scenarios: scenario order.
        report: the outcomes of the full tables.
        args: the command's options (``format``, ``full``, ``wtp``, ``effect``).
        root: the results directory.
        batch_wtp: the batch file's willingness to pay (None: the default).
        figures: also draw the evaluation figures.
        problems: collects what could not be written (None: warn at once).
        parameters: probabilities over parameter uncertainty from a decision study.
    """
    from simulation.batch.brief import build, headline, to_frame, to_json, to_markdown
    from simulation.batch.report import format_table
    from simulation.batch.stats import comparison

    chosen = headline(list(summary.columns), report)
    table = comparison(summary, list(dict.fromkeys([*report, *chosen])), reference, scenarios)
    evaluation = _evaluation(summary, reference, args, root, batch_wtp, figures)
    paired = reference is not None and "diff" in table
    brief = build(name, reference, table, evaluation.table, chosen, parameters) if paired \
        else None
    full = (to_markdown(brief) if brief else "") + format_table(table, reference) + \
        evaluation.markdown
    frame = to_frame(brief, table) if brief else table
    written, problem = evaluation.written, evaluation.problem
    try:
        (root / "report.md").write_text(full, encoding="utf-8")
        written = [root / "report.md", *_write_tidy(frame, root / "comparison"), *written]
    except OSError as exc:
        problem = "; nor ".join(p for p in (problem, f"the report files in {root} ({exc})") if p)
    if problem and problems is None:
        print(f"warning: could not write {problem}", file=sys.stderr)
    elif problem:
        problems.append(problem)
    if written:
        print("tables: " + ", ".join(str(p) for p in written), file=sys.stderr)
    if args.format == "csv":
        text = frame.to_csv(index=False, float_format="%.10g")
    elif args.format == "json":
        tables = {"comparison": frame, "evaluation": evaluation.both, "frontier": evaluation.fronts}
        tables = {k: v for k, v in tables.items() if v is not None}
        text = to_json(brief, tables)
    elif getattr(args, "full", False) or brief is None:
        text = full
    else:
        text = to_markdown(brief) + WHERE_THE_REST_IS
    return Published(text, table)


@dataclass
class _Evaluation:
    """The evaluation of a batch: tables, Markdown, files written and what was not."""

    table: pd.DataFrame | None = None  # with --effect
    both: pd.DataFrame | None = None  # both effect measures
    fronts: pd.DataFrame | None = None  # efficient frontiers, both perspectives
    markdown: str = ""
    written: list[Path] = field(default_factory=list)
    problem: str = ""


def _evaluation(summary, reference, args, root, batch_wtp, figures) -> _Evaluation:
    """Evaluate against ``reference`` and write the tidy tables (empty when nothing to do)."""
    if reference is None or summary is None or len(summary) == 0:
        return _Evaluation()
    from simulation.evaluation.increments import DEFAULT_WTP, curves_and_fronts, evaluate
    from simulation.evaluation.report import format_alternative, format_evaluation

    wtp = args.wtp if args.wtp is not None else (batch_wtp if batch_wtp is not None
                                                 else DEFAULT_WTP)
    summary = finite_measures(summary)
    table = evaluate(summary, reference, wtp=wtp, effect=args.effect)
    if table.empty:
        return _Evaluation()
    other = "matched_employment_months" if args.effect == "employment_months" \
        else "employment_months"
    alternative = evaluate(summary, reference, wtp=wtp, effect=other)
    both = pd.concat([table, alternative], ignore_index=True)
    curves, fronts = curves_and_fronts(summary, table, reference)
    result = _Evaluation(table, both, fronts,
                         format_evaluation(table, reference) + format_alternative(alternative))
    try:
        for name, frame in (("evaluation", both), ("acceptability", curves),
                            ("frontier", fronts)):
            result.written += _write_tidy(frame, root / name)
        if figures:
            from simulation.evaluation.figures import draw_all

            result.written += draw_all(summary, table, curves, fronts, reference, root)
    except OSError as exc:
        result.problem = (f"the evaluation tables{' and figures' if figures else ''} in {root} "
                          f"({exc})")
    return result


def _write_tidy(frame: pd.DataFrame, stem: Path) -> list[Path]:
    """Write ``frame`` as ``stem.csv`` and ``stem.parquet``, full precision; their paths."""
    csv, parquet = stem.with_suffix(".csv"), stem.with_suffix(".parquet")
    frame.to_csv(csv, index=False, float_format="%.10g")
    frame.to_parquet(parquet, index=False)
    return [csv, parquet]


def finite_measures(summary):
    """The runs whose evaluation measures (effects and costs) all have a value.

    A run without one (NaN) cannot be paired; it is left out, with one
    ``warning:`` line per measure naming it, how many runs lack it and why.
    """
    import numpy as np

    from simulation.batch.study_checks import nan_reason
    from simulation.evaluation.increments import EFFECTS, PERSPECTIVES

    measures = [m for m in (*EFFECTS, *PERSPECTIVES.values()) if m in summary.columns]
    if not measures:
        return summary
    bad = ~np.isfinite(summary[measures].to_numpy(float))
    for j, measure in enumerate(measures):
        if bad[:, j].any():
            print(f"warning: {measure} has no value in {int(bad[:, j].sum())} of {len(summary)} "
                  f"runs ({nan_reason(measure)}); those runs are left out of the evaluation",
                  file=sys.stderr)
    return summary[~bad.any(axis=1)] if bad.any() else summary
