"""The comparison table (Markdown or CSV) and the effects figure of a batch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from simulation import number_format as nf
from simulation.errors import InputError


def outcome_unit(name: str) -> str:
    """The unit :mod:`simulation.model.metrics` declares for outcome ``name`` ("" if none)."""
    from simulation.model.metrics import OUTCOMES

    outcome = OUTCOMES.get(name)
    return outcome.unit if outcome is not None else ""


def _heading(what: str, unit: str) -> str:
    return f"{what} ({unit})" if unit else what


def format_table(table, reference: str | None = None, fmt: str = "markdown") -> str:
    """The comparison table as text.

    Args:
        table: output of :func:`simulation.batch.stats.comparison`.
        reference: the reference scenario (its rows show no difference).
        fmt: ``"markdown"`` (one table per outcome) or ``"csv"`` (long, full precision).

    Returns:
        The text, ending with a newline.
    """
    if fmt == "csv":
        return table.to_csv(index=False, float_format="%.10g")
    if fmt != "markdown":
        raise ValueError(f"fmt must be 'markdown' or 'csv'; got {fmt!r}")
    has_diff = "diff" in table and reference is not None
    lines: list[str] = []
    for outcome, rows in table.groupby("outcome", sort=False):
        unit = outcome_unit(str(outcome))
        shown = "" if unit == nf.SHARE else unit  # shares carry their % sign
        lines.append(f"### {outcome}")
        lines.append("")
        head = ["scenario", "n", _heading("mean", shown), "95% CI"]
        if has_diff:
            head += [_heading(f"difference vs {reference}", nf.difference_unit(unit)),
                     "95% CI of difference", "pairs"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
        for row in rows.itertuples(index=False):
            cells = [str(row.scenario), nf.count(row.n), nf.level(row.mean, unit),
                     nf.interval(row.ci_low, row.ci_high, lambda v, u=unit: nf.level(v, u))]
            if has_diff:
                if row.scenario == reference:
                    cells += ["(reference)", "", ""]
                else:
                    pairs = "" if row.n_pairs != row.n_pairs else nf.count(row.n_pairs)
                    cells += [nf.difference(row.diff, unit),
                              nf.interval(row.diff_low, row.diff_high,
                                          lambda v, u=unit: nf.difference(v, u)), pairs]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def image_formats() -> list[str]:
    """File suffixes (without the dot) that matplotlib can write figures as."""
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


def check_image_path(path: str | Path, option: str) -> Path:
    """Refuse an image file name whose suffix matplotlib cannot write.

    Raises:
        InputError: naming the option, the suffixes allowed and the name given.
    """
    path = Path(path)
    formats = image_formats()
    if path.suffix.lower().removeprefix(".") not in formats:
        raise InputError(option, option,
                         f"{option} must be an image file; got {str(path)!r}, but figures can "
                         f"be written only as {', '.join('.' + f for f in formats)}")
    return path


def draw_effects(
    table, reference: str, path: str | Path, outcomes: Sequence[str] | None = None
) -> Path:
    """Draw each scenario's paired effect on each outcome with its 95% interval.

    One panel per outcome; one horizontal interval per scenario; a line at zero.

    Args:
        table: output of :func:`simulation.batch.stats.comparison` with a reference.
        reference: the reference scenario (named in the axis labels).
        path: image file to write (PNG, PDF or SVG by suffix).
        outcomes: panels to draw (default: every outcome in the table).

    Returns:
        The path written.
    """
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    outcomes = list(outcomes or dict.fromkeys(table["outcome"]))
    rows = table[(table["scenario"] != reference) & table["outcome"].isin(outcomes)]
    scenarios = list(dict.fromkeys(rows["scenario"]))
    ncols = min(3, max(1, len(outcomes)))
    nrows = math.ceil(len(outcomes) / ncols)
    height = max(2.5, 0.35 * len(scenarios) + 1.2)
    fig = Figure(figsize=(4.2 * ncols, height * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    ypos = {s: i for i, s in enumerate(reversed(scenarios))}
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        sub = rows[rows["outcome"] == outcome]
        y = [ypos[s] for s in sub["scenario"]]
        x = sub["diff"].to_numpy(float)
        lo = (x - sub["diff_low"].to_numpy(float))
        hi = (sub["diff_high"].to_numpy(float) - x)
        ax.errorbar(x, y, xerr=[lo, hi], fmt="o", color="tab:blue", ecolor="tab:blue",
                    capsize=3, markersize=4)
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_title(outcome, fontsize=9)
        ax.set_xlabel(f"difference vs {reference}", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.set_yticks(list(ypos.values()), list(ypos.keys()))
        ax.set_ylim(-0.6, len(scenarios) - 0.4)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    fig.suptitle("Effect of each scenario (paired difference, 95% CI)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
