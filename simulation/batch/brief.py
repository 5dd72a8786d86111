"""The summary of a batch, first on screen: what a policy reader needs, in numbers people read.

For each option (every scenario but the reference): its paired effect against the
reference on the headline outcomes (:data:`HEADLINE`), with 95% intervals, marked where
the interval excludes 0; its incremental government cost per 1,000 graduates; its
cost-effectiveness verdict at the willingness to pay, with the pairwise probability
(bootstrap over replicate pairs) and, once a decision study supplies it, the probability
over parameter uncertainty (:class:`ParameterProbability`); and one sentence in words
made from those numbers.  :func:`to_markdown`, :func:`to_frame` (CSV) and
:func:`to_json` render the same summary; numbers are printed by
:mod:`simulation.number_format`, and the CSV and JSON keep full precision.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from simulation import number_format as nf
from simulation.batch.report import outcome_unit
from simulation.evaluation.increments import EFFECTS, MIN_BOOTSTRAP_PAIRS, NOT_ESTIMABLE

HEADLINE = ("employment_rate_6m", "employment_rate_12m", "matched_employment_share",
            "placement_coverage", "partnership_survival_3y")
"""The outcomes the summary leads with (those a batch's summary has; else its first five)."""
PERSPECTIVE = "government"
"""The cost perspective of the summary's cost and verdict (the full tables give both)."""
MARK = "*"
COST_EFFECTIVE, NOT_COST_EFFECTIVE = "cost-effective", "not cost-effective"
DOMINANT, DOMINATED = "dominant", "dominated"


@dataclass(frozen=True)
class ParameterProbability:
    """The hook for a decision study: each option's probability over parameter uncertainty.

    Attributes:
        label: what the probability is, in words (e.g. "best of all options over
            parameter uncertainty"); printed next to it.
        by_option: scenario name to probability (options left out print nothing).
    """

    label: str
    by_option: Mapping[str, float]


@dataclass(frozen=True)
class Effect:
    """A paired difference against the reference with its 95% interval (full precision)."""

    outcome: str
    unit: str
    diff: float
    low: float
    high: float
    pairs: int

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly above or wholly below 0."""
        return bool(self.low > 0 or self.high < 0)  # False for NaN ends


@dataclass
class Option:
    """One option's line of the summary."""

    scenario: str
    effects: list[Effect]
    cost: float = math.nan  # incremental government cost, kCNY per 1,000 graduates
    cost_low: float = math.nan
    cost_high: float = math.nan
    verdict: str = ""  # COST_EFFECTIVE, NOT_COST_EFFECTIVE, DOMINANT, DOMINATED or NOT_ESTIMABLE
    p_cost_effective: float = math.nan  # pairwise, bootstrap over pairs
    p_over_parameters: float | None = None  # from a decision study (ParameterProbability)
    sentence: str = ""


@dataclass
class Brief:
    """The summary of a batch (see the module docstring)."""

    name: str
    reference: str
    outcomes: list[str]
    options: list[Option]
    wtp: float | None = None
    effect: str = "employment_months"
    parameters_label: str | None = None


def headline(columns: Sequence[str], fallback: Sequence[str] = ()) -> list[str]:
    """The headline outcomes present in ``columns``; else the first five of ``fallback``."""
    present = [o for o in HEADLINE if o in columns]
    return present or [o for o in fallback if o in columns][:5]


def verdict(row) -> str:
    """The cost-effectiveness verdict of an evaluation row at its willingness to pay.

    Dominant and dominated by the plane's quadrant; otherwise cost-effective when the
    mean net monetary benefit is positive; "not estimable" when it has no value.
    """
    if row.quadrant in (DOMINANT, DOMINATED):
        return row.quadrant
    if not math.isfinite(row.nmb):
        return NOT_ESTIMABLE
    return COST_EFFECTIVE if row.nmb > 0 else NOT_COST_EFFECTIVE


def build(name: str, reference: str, table: pd.DataFrame, evaluation: pd.DataFrame | None,
          outcomes: Sequence[str], parameters: ParameterProbability | None = None) -> Brief:
    """The summary from a comparison table and an evaluation table.

    Args:
        name: the batch's name.
        reference: the scenario every option is paired with.
        table: :func:`simulation.batch.stats.comparison` with ``reference``, holding
            ``outcomes``.
        evaluation: :func:`simulation.evaluation.increments.evaluate` (None or empty: no costs).
        outcomes: the headline outcomes (see :func:`headline`).
        parameters: probabilities over parameter uncertainty, from a decision study.
    """
    rows = table[table["outcome"].isin(list(outcomes)) & (table["scenario"] != reference)]
    cost = None
    if evaluation is not None and not evaluation.empty:
        cost = evaluation[evaluation["perspective"] == PERSPECTIVE].set_index("scenario")
    options = []
    for scenario, sub in rows.groupby("scenario", sort=False):
        by_outcome = sub.set_index("outcome")
        effects = [Effect(o, outcome_unit(o), *(float(by_outcome.at[o, k]) for k in
                                                ("diff", "diff_low", "diff_high")),
                          int(np.nan_to_num(by_outcome.at[o, "n_pairs"])))
                   for o in outcomes if o in by_outcome.index]
        option = Option(str(scenario), effects)
        if cost is not None and scenario in cost.index:
            row = cost.loc[scenario]
            option.cost, option.cost_low, option.cost_high = (
                float(row.d_cost), float(row.d_cost_low), float(row.d_cost_high))
            option.verdict, option.p_cost_effective = verdict(row), float(row.p_cost_effective)
        if parameters is not None and scenario in parameters.by_option:
            option.p_over_parameters = float(parameters.by_option[scenario])
        options.append(option)
    brief = Brief(name, reference, list(outcomes), options,
                  parameters_label=parameters.label if parameters else None)
    if cost is not None:
        brief.wtp, brief.effect = float(evaluation["wtp"].iloc[0]), str(evaluation["effect"].iloc[0])
    for option in options:
        option.sentence = sentence(brief, option)
    return brief


# --------------------------------------------------------------------------- words
def _label(outcome: str) -> str:
    return outcome.replace("_", " ")


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _magnitude(effect: Effect) -> str:
    """``0.804 pp [0.435, 1.17]``: the size of an effect that excludes 0, without its sign."""
    k = nf.scale(effect.unit) * (1 if effect.diff >= 0 else -1)
    low, high = sorted((k * effect.low, k * effect.high))
    unit = nf.difference_unit(effect.unit)
    return f"{nf.number(k * effect.diff)}{' ' + unit if unit else ''} [{nf.number(low)}, " \
           f"{nf.number(high)}]"


def _effect_clauses(effects: Sequence[Effect]) -> list[str]:
    up = [e for e in effects if e.excludes_zero and e.diff > 0]
    down = [e for e in effects if e.excludes_zero and e.diff < 0]
    unknown = [e for e in effects if not math.isfinite(e.diff)]
    flat = [e for e in effects if not e.excludes_zero and e not in unknown]
    clauses = [f"{verb} {_join([f'{_label(e.outcome)} by {_magnitude(e)}' for e in group])}"
               for verb, group in (("raises", up), ("lowers", down)) if group]
    if flat and not clauses and not unknown:
        clauses.append("no measurable effect on any headline outcome")
    elif flat:
        clauses.append(f"no measurable effect on {_join([_label(e.outcome) for e in flat])}")
    if unknown:
        clauses.append(f"{_join([_label(e.outcome) for e in unknown])} not estimable")
    return clauses


def _cost_clause(option: Option) -> str:
    per = "kCNY per 1,000 graduates"
    if not math.isfinite(option.cost):
        return ""
    if option.cost > 0:
        return f"costs {nf.number(option.cost)} {per}"
    if option.cost < 0:
        return f"saves {nf.number(-option.cost)} {per}"
    return "costs no more than the reference"


def _sure(option: Option, label: str | None, at: str = "") -> str:
    """How sure the verdict is: ``cost-effective [at ...] in 89.0% of resamples``."""
    if math.isnan(option.p_cost_effective):
        text = f"probability {NOT_ESTIMABLE}: fewer than {MIN_BOOTSTRAP_PAIRS} pairs"
    else:
        text = f"cost-effective {at + ' ' if at else ''}in {nf.percent(option.p_cost_effective)} " \
               "of resamples"
    if option.p_over_parameters is not None:
        text += f"; {nf.percent(option.p_over_parameters)} {label}"
    return text


def _verdict_clause(brief: Brief, option: Option) -> str:
    if not option.verdict:
        return ""
    measure = EFFECTS[brief.effect].split(" per ")[0]
    at = f"at {brief.wtp:g} kCNY per {measure.removesuffix('s')}"
    label = brief.parameters_label
    if option.verdict == COST_EFFECTIVE:
        sure = _sure(option, label, at)
        return sure if sure.startswith("cost-effective") else f"cost-effective {at} ({sure})"
    if option.verdict == NOT_COST_EFFECTIVE:
        return f"not cost-effective {at} ({_sure(option, label)})"
    if option.verdict == DOMINATED:
        return f"dominated, fewer {measure} at a higher cost ({_sure(option, label, at)})"
    if option.verdict == DOMINANT:
        return f"dominant, more {measure} at a lower cost ({_sure(option, label, at)})"
    return f"cost-effectiveness {NOT_ESTIMABLE}"


def sentence(brief: Brief, option: Option) -> str:
    """One sentence in words from an option's numbers (effects, cost, verdict)."""
    clauses = _effect_clauses(option.effects) + [_cost_clause(option),
                                                 _verdict_clause(brief, option)]
    text = "; ".join(c for c in clauses if c)
    return (text[:1].upper() + text[1:] + ".") if text else ""


# ------------------------------------------------------------------------ renderings
def _effect_cell(effect: Effect) -> str:
    cell = nf.estimate(nf.scale(effect.unit) * effect.diff, nf.scale(effect.unit) * effect.low,
                       nf.scale(effect.unit) * effect.high)
    return f"{cell} {MARK}" if effect.excludes_zero else cell


def _verdict_cell(option: Option) -> str:
    if not option.verdict:
        return ""
    chances = [nf.percent(option.p_cost_effective, missing=NOT_ESTIMABLE)]
    if option.p_over_parameters is not None:
        chances.append(nf.percent(option.p_over_parameters))
    return f"{option.verdict} ({'; '.join(chances)})"


def _pairs(brief: Brief) -> str:
    counts = sorted({e.pairs for o in brief.options for e in o.effects if e.pairs})
    if not counts:
        return "(no replicate pair has values)"
    n = nf.count(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
    return f"on {n} replicate pairs"


def _legend(brief: Brief) -> list[str]:
    units = {nf.difference_unit(outcome_unit(o)) for o in brief.outcomes}
    said = "in percentage points (pp)" if units == {nf.POINTS} else "in each outcome's unit"
    lines = [f"Paired effects against {brief.reference} {_pairs(brief)} "
             f"(common random numbers), {said}, with 95% intervals; "
             f"{MARK} the interval excludes 0."]
    if brief.wtp is not None:
        measure = EFFECTS[brief.effect]
        parameters = (f"; then the probability {brief.parameters_label}"
                      if brief.parameters_label else "")
        lines.append(f"Cost: incremental {PERSPECTIVE} cost, discounted kCNY per 1,000 graduates. "
                     f"Verdict at a willingness to pay of {brief.wtp:g} kCNY per "
                     f"{measure.split(' per ')[0].removesuffix('s')} ({PERSPECTIVE} perspective; "
                     f"effect: discounted {measure}), with the share of bootstrap resamples of "
                     f"the pairs in which the option is cost-effective against {brief.reference}"
                     f"{parameters}.")
    return lines


def to_markdown(brief: Brief) -> str:
    """The summary in Markdown: a legend, a table and one sentence per option."""
    head = ["option"]
    for o in brief.outcomes:
        unit = nf.difference_unit(outcome_unit(o))
        head.append(f"{_label(o)}{f' ({unit})' if unit else ''}")
    costs = brief.wtp is not None
    if costs:
        head += ["cost (kCNY)", f"verdict at {brief.wtp:g} kCNY"]
    n = len(brief.options)
    lines = [f"## Summary: {brief.name}, {n} option{'s' if n != 1 else ''} against "
             f"{brief.reference}",
             "", *_legend(brief), "",
             "| " + " | ".join(head) + " |",
             "|---|" + "---:|" * (len(brief.outcomes) + costs) + ("---|" if costs else "")]
    for option in brief.options:
        by_outcome = {e.outcome: _effect_cell(e) for e in option.effects}
        cells = [option.scenario] + [by_outcome.get(o, nf.NA) for o in brief.outcomes]
        if costs:
            cells += [nf.signed(option.cost), _verdict_cell(option)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- **{o.scenario}**: {o.sentence}" for o in brief.options]
    return "\n".join([*lines, "", ""])


SUMMARY_COLUMNS = ("headline", "unit", "excludes_zero", "incremental_cost",
                   "incremental_cost_low", "incremental_cost_high", "perspective", "wtp",
                   "verdict", "p_cost_effective", "p_over_parameters", "sentence")


def to_frame(brief: Brief, table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table (every outcome, full precision) with the summary's columns.

    One row per scenario and outcome, as :func:`simulation.batch.stats.comparison`, plus
    ``headline`` (the outcome is in the summary), ``unit``, ``excludes_zero`` (the paired
    difference's interval excludes 0) and, repeated on each of an option's rows, its
    incremental cost, ``perspective``, ``wtp``, ``verdict``, ``p_cost_effective``,
    ``p_over_parameters`` and ``sentence`` (empty on the reference's rows).
    """
    frame = table.copy()
    frame["headline"] = frame["outcome"].isin(brief.outcomes)
    frame["unit"] = [outcome_unit(o) for o in frame["outcome"]]
    frame["excludes_zero"] = (frame.get("diff_low", math.nan) > 0) | \
        (frame.get("diff_high", math.nan) < 0)
    by_option = {o.scenario: o for o in brief.options}
    values = {c: [] for c in SUMMARY_COLUMNS[3:]}
    for scenario in frame["scenario"]:
        option = by_option.get(scenario)
        row = _option_values(brief, option) if option else dict.fromkeys(values)
        for column in values:
            values[column].append(row[column])
    for column, column_values in values.items():
        frame[column] = column_values
    return frame


def _option_values(brief: Brief, option: Option) -> dict:
    return {"incremental_cost": option.cost, "incremental_cost_low": option.cost_low,
            "incremental_cost_high": option.cost_high,
            "perspective": PERSPECTIVE if brief.wtp is not None else None, "wtp": brief.wtp,
            "verdict": option.verdict or None, "p_cost_effective": option.p_cost_effective,
            "p_over_parameters": option.p_over_parameters, "sentence": option.sentence}


def _plain(value):
    """A JSON-safe value: NaN and infinities become null (their kind columns say which)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def to_json(brief: Brief | None, tables: Mapping[str, pd.DataFrame]) -> str:
    """The summary (null without a reference) and the full tables as JSON.

    Numbers at full precision; NaN and infinities are null (the tables' ``*_kind``
    columns say which ends are unbounded).
    """
    summary = asdict(brief) if brief is not None else None
    for option, data in zip(brief.options if brief else [], (summary or {}).get("options", []),
                            strict=True):
        for effect, row in zip(option.effects, data["effects"], strict=True):
            row["excludes_zero"] = effect.excludes_zero
    records = {name: frame.astype(object).to_dict(orient="records")
               for name, frame in tables.items()}
    return json.dumps(_plain({"summary": summary, "tables": records}), indent=1) + "\n"
