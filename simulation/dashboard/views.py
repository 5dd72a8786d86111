"""The dashboard's figures, built once per model pair and redrawn cheaply each month.

Three matplotlib figures (no pyplot state): the outcomes over time, money
and fields, and the partnership network.  Everything that stays put (axes,
ticks, labels, legends, the network's nodes) is drawn once into a cached
background; each month only the data artists are drawn on top of it
(blitting), and the background is redrawn only when an axis has to grow
(the time axis in steps of five years, value axes in 1-2-5 steps).  Text is
most of a redraw's cost, so a month costs a fraction of a full draw.

Policy lines are solid, the baseline's dashed; series of one panel differ by
marker as well as colour (no meaning by colour alone); the colours are the
Okabe-Ito palette, fixed per series.  Units come from the outcome
declarations (:data:`simulation.model.metrics.OUTCOMES`).
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter
from PIL import Image

from simulation.dashboard.twin import Twin
from simulation.model.metrics import OUTCOMES
from simulation.model.policy import KINDS
from simulation.model.skills import FIELDS

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, GREY = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#555555")
KIND_STYLE = {"placement": (BLUE, "o"), "co_curriculum": (GREEN, "s"),
              "joint_research": (PURPLE, "^")}
FIELD_COLOURS = {"tech": BLUE, "design": ORANGE, "agri": GREEN}
SPENDING = (("spending_grants", "grants, subsidies", BLUE, None),
            ("spending_forgone_tax", "forgone tax", ORANGE, "//"),
            ("spending_other", "programmes", GREEN, ".."))
PANELS = (  # (title, [(outcome, colour, marker, label)]) of the outcomes figure, reading order
    ("graduates employed", [("employment_rate_6m", BLUE, "o", "at 6 months"),
                            ("employment_rate_12m", SKY, "^", "at 12 months")]),
    ("matched employment at 12 months", [("matched_employment_share", GREEN, None, None)]),
    ("placement coverage", [("placement_coverage", ORANGE, None, None)]),
    ("curriculum gap to industry demand", [("curriculum_gap", VERMILLION, None, None)]),
    ("active partnerships by type", [(f"active_{k}", *KIND_STYLE[k], k.replace("_", " "))
                                     for k in KINDS]),
    ("partnerships per year", []),
)
FLOWS = (("partnerships_formed", GREEN, "^", "formed"),
         ("partnerships_dissolved", VERMILLION, "v", "dissolved"))
DPI = 80
PALETTE = 64  # colours of each PNG
YEARS_STEP = 5  # the time axis grows in steps of this many years
HEADROOM = 1.6  # a growing axis' top over its data's maximum: room for the legend


def network_layout(twin: Twin) -> dict[str, np.ndarray]:
    """Fixed positions: universities on an inner circle, firms by sector on an outer one."""
    n_u, n_f = len(twin.policy.universities), len(twin.policy.firms)
    angle_u = 2 * np.pi * np.arange(n_u) / max(n_u, 1)
    order = np.argsort(twin.policy.firm_sector, kind="stable")
    angle_f = np.empty(n_f)
    angle_f[order] = 2 * np.pi * np.arange(n_f) / max(n_f, 1)
    return {"universities": 0.45 * np.c_[np.cos(angle_u), np.sin(angle_u)],
            "firms": np.c_[np.cos(angle_f), np.sin(angle_f)]}


def per_year(cumulative) -> tuple[np.ndarray, bool]:
    """Increments per simulated year of a cumulative monthly series that starts at month 0.

    Returns:
        The increments (the last one the current year so far when the year is
        not complete) and whether the last one is such a part-year.
    """
    values = np.asarray(cumulative, dtype=float)
    if len(values) < 2:
        return np.zeros(0), False
    ends = values[np.r_[np.arange(12, len(values) - 1, 12), len(values) - 1]]
    return np.diff(np.r_[values[0], ends]), (len(values) - 1) % 12 != 0


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten at or above ``x`` (1 for x <= 0)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x * (1 - 1e-12))


def _finite_max(*arrays) -> float:
    values = [np.nanmax(a) for a in arrays if len(a) and np.isfinite(a).any()]
    return max(values) if values else 0.0


class Blit:
    """One figure drawn as a cached background plus animated artists."""

    def __init__(self, figure: Figure):
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.background = None
        self.animated: list = []

    def animate(self, *artists) -> None:
        """Mark artists as drawn every frame (left out of the background)."""
        for artist in artists:
            artist.set_animated(True)
            self.animated.append(artist)

    def invalidate(self) -> None:
        """Redraw the background at the next :meth:`png` (an axis changed)."""
        self.background = None

    def png(self) -> bytes:
        """The figure as PNG bytes: the background, then every animated artist."""
        if self.background is None:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in self.animated:
            if artist.get_visible():
                artist.draw(renderer)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw",
                                 "RGBA", 0, 1).convert("RGB")
        buffer = io.BytesIO()  # a 64-colour palette: faster to encode, a third of the bytes
        image.quantize(PALETTE, method=Image.Quantize.FASTOCTREE).save(
            buffer, format="PNG", compress_level=1)
        return buffer.getvalue()


def _axis_label(name: str) -> str:
    unit = OUTCOMES[name].unit
    return "%" if unit == "share" else unit


class Views:
    """The figures of one model pair: :meth:`update` after each step, then :meth:`images`."""

    def __init__(self, twin: Twin):
        self.twin = twin
        self.layout = network_layout(twin)
        self._years = 0.0  # the time axis' current end (years)
        self._tops: dict = {}  # each growing axis' current top
        self._network_key = None
        self._network_png: bytes | None = None
        self._outcomes()
        self._side()
        self._network()
        self.update()

    # ------------------------------------------------------------ building
    def _outcomes(self) -> None:
        fig = Figure(figsize=(9.6, 5.4), dpi=DPI)
        fig.subplots_adjust(left=0.07, right=0.99, top=0.86, bottom=0.09, wspace=0.3,
                            hspace=0.45)
        self.outcomes = Blit(fig)
        self.lines = []
        self.time_axes = []
        axes = list(fig.subplots(2, 3).flat)
        for ax, (title, series) in zip(axes, PANELS, strict=True):
            ax.set_title(title, fontsize=11)
            ax.tick_params(labelsize=9)
            ax.set_xlabel("years", fontsize=9, labelpad=1)
            self.time_axes.append(ax)
            handles = []
            for name, colour, marker, label in series:
                solid, = ax.plot([], [], color=colour, lw=1.8, marker=marker, markevery=12, ms=4)
                dashed, = ax.plot([], [], color=colour, lw=1.2, ls="--", marker=marker,
                                  markevery=12, ms=3, mfc="none")
                self.outcomes.animate(solid, dashed)
                self.lines.append((ax, name, solid, dashed))
                if label:
                    handles.append(Line2D([], [], color=colour, marker=marker, label=label))
            if series:
                ax.set_ylabel(_axis_label(series[0][0]), fontsize=9, labelpad=1)
                if OUTCOMES[series[0][0]].unit == "share":
                    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
                    ax.set_ylim(0, 1)
            if handles:
                ax.legend(handles=handles, fontsize=8, framealpha=0.8, ncols=min(2, len(handles)),
                          loc="lower right" if OUTCOMES[series[0][0]].unit == "share"
                          else "upper left", handlelength=1.2, columnspacing=0.8)
        self.flow_axis = ax
        ax.set_ylabel("partnerships per year", fontsize=9, labelpad=1)
        ax.set_xlabel("year", fontsize=9, labelpad=1)
        self.flow = {}
        handles = []
        for name, colour, marker, label in FLOWS:
            solid, = ax.plot([], [], color=colour, marker=marker, ms=5, lw=1.5)
            dashed, = ax.plot([], [], color=colour, marker=marker, ms=4, lw=1, ls="--",
                              mfc="none")
            part, = ax.plot([], [], color=colour, marker=marker, ms=7, ls="none", mfc="white")
            self.outcomes.animate(solid, dashed, part)
            self.flow[name] = (solid, dashed, part)
            handles.append(Line2D([], [], color=colour, marker=marker, label=label))
        handles.append(Line2D([], [], color=GREY, marker="o", ls="none", mfc="white",
                              label="this year so far"))
        ax.legend(handles=handles, fontsize=8, loc="upper left", framealpha=0.8, ncols=2,
                  handlelength=1.2, columnspacing=0.8)
        fig.legend(handles=[Line2D([], [], color="k", lw=1.8, label="with the levers"),
                            Line2D([], [], color="k", lw=1.2, ls="--",
                                   label="baseline (same seed, no levers)")],
                   loc="upper center", ncols=2, fontsize=10, frameon=False)

    def _side(self) -> None:
        fig = Figure(figsize=(9.6, 3.0), dpi=DPI)
        fig.subplots_adjust(left=0.08, right=0.99, top=0.89, bottom=0.15, wspace=0.3)
        self.side = Blit(fig)
        money, fields = fig.subplots(1, 2)
        money.set_title("government spending with the levers, cumulative", fontsize=11)
        money.tick_params(labelsize=9)
        money.set_xlabel("years", fontsize=9, labelpad=1)
        money.set_ylabel(OUTCOMES[SPENDING[0][0]].unit, fontsize=9, labelpad=1)
        money.yaxis.set_major_formatter("{x:,.0f}")
        self.money_axis = money
        self.time_axes.append(money)
        self.budget_line, = money.plot([], [], color="k", lw=1.2, ls=":")
        self.side.animate(self.budget_line)
        self.stack = []
        money.legend(handles=[Patch(facecolor=c, hatch=h, label=label, alpha=0.85)
                              for _, label, c, h in SPENDING]
                     + [Line2D([], [], color="k", ls=":", label="fund budget")],
                     fontsize=8, loc="upper left", framealpha=0.8)
        name = "employment_rate_6m"
        fields.set_title("employed 6 months after graduation, by field", fontsize=11)
        fields.tick_params(labelsize=9)
        fields.set_ylabel(_axis_label(name), fontsize=9, labelpad=1)
        fields.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        x = np.arange(len(FIELDS))
        colours = [FIELD_COLOURS[f] for f in FIELDS]
        self.field_bars = (fields.bar(x - 0.2, np.zeros(len(x)), 0.4, color=colours),
                           fields.bar(x + 0.2, np.zeros(len(x)), 0.4, color="white",
                                      edgecolor=colours, hatch="//", lw=1.2))
        for bars in self.field_bars:
            self.side.animate(*bars)
        fields.set_xticks(x, FIELDS)
        fields.set_ylim(0, 1.3)  # room above the bars for the legend
        fields.set_yticks(np.linspace(0, 1, 6))
        fields.legend(handles=[Patch(facecolor=GREY, label="with the levers"),
                               Patch(facecolor="white", edgecolor=GREY, hatch="//",
                                     label="baseline")],
                      fontsize=8, loc="upper center", ncols=2, framealpha=0.8)

    def _network(self) -> None:
        fig = Figure(figsize=(4.8, 4.8), dpi=DPI)
        fig.subplots_adjust(left=0, right=1, top=0.9, bottom=0)
        self.network = Blit(fig)
        ax = fig.subplots()
        ax.set_title("partnerships with the levers", fontsize=11)
        self.edges = {}
        for kind in KINDS:
            colour, _ = KIND_STYLE[kind]
            collection = LineCollection([], colors=colour, lw=0.9, alpha=0.75,
                                        linestyles={"placement": "-", "co_curriculum": "--",
                                                    "joint_research": ":"}[kind])
            ax.add_collection(collection)
            self.network.animate(collection)
            self.edges[kind] = collection
        firm, uni = self.layout["firms"], self.layout["universities"]
        dots = ax.scatter(firm[:, 0], firm[:, 1], s=8, zorder=3,
                          c=[FIELD_COLOURS[FIELDS[s]] for s in self.twin.policy.firm_sector])
        squares = ax.scatter(uni[:, 0], uni[:, 1], s=55, c="k", marker="s", zorder=4)
        self.network.animate(dots, squares)  # over the edges
        ax.legend(handles=[Line2D([], [], color=KIND_STYLE[k][0], ls=ls, label=k.replace("_", " "))
                           for k, ls in zip(KINDS, ("-", "--", ":"), strict=True)]
                  + [Line2D([], [], color="k", marker="s", ls="none", label="university")]
                  + [Line2D([], [], color=FIELD_COLOURS[f], marker="o", ls="none",
                            label=f"{f} firm") for f in FIELDS],
                  fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncols=3,
                  framealpha=0.9)
        ax.set_xlim(-1.08, 1.08)
        ax.set_ylim(-1.08, 1.32)
        ax.set_aspect("equal")
        ax.axis("off")

    # ------------------------------------------------------------ updating
    def update(self) -> None:
        """Move every artist to the models' current state (no drawing yet)."""
        twin = self.twin
        months = np.arange(twin.steps + 1) / 12.0  # the records start at month 0
        years = YEARS_STEP * max(1, math.ceil(months[-1] / YEARS_STEP - 1e-9))
        if years != self._years:
            self._years = years
            for ax in self.time_axes:
                ax.set_xlim(0, years)
            self.flow_axis.set_xlim(0.5, years + 0.5)
            self.outcomes.invalidate()
            self.side.invalidate()
        highs: dict = {}
        for ax, name, solid, dashed in self.lines:
            policy = np.asarray(twin.series(name), dtype=float)
            base = np.asarray(twin.series(name, "baseline"), dtype=float)
            solid.set_data(months, policy)
            dashed.set_data(months, base)
            if OUTCOMES[name].unit != "share":
                highs[ax] = max(highs.get(ax, 0.0), _finite_max(policy, base))
        for ax, high in highs.items():
            self._grow(ax, ax, high, self.outcomes)
        flows = []
        for name, (solid, dashed, part) in self.flow.items():
            for line, which in ((solid, "policy"), (dashed, "baseline")):
                yearly, partial = per_year(twin.series(name, which))
                whole = yearly[:-1] if partial else yearly
                line.set_data(np.arange(1, len(whole) + 1), whole)
                flows.append(yearly)
                if which == "policy":  # the year so far: an open marker, not a fall
                    part.set_data(([len(yearly)], [yearly[-1]]) if partial else ([], []))
        self._grow(self.flow_axis, "flow", _finite_max(*flows), self.outcomes)
        self._update_money(months)
        policy, base = twin.latest("policy"), twin.latest("baseline")
        for bars, values in zip(self.field_bars, (policy, base), strict=True):
            for bar, field in zip(bars, FIELDS, strict=True):
                value = values.get(f"employment_rate_6m_by_field_{field}", np.nan)
                bar.set_height(0.0 if not np.isfinite(value) else value)
        uni, firm = self.layout["universities"], self.layout["firms"]
        segments: dict[str, list] = {kind: [] for kind in KINDS}
        active = twin.policy.network.active()
        for p in active:
            segments[KINDS[p.kind]].append((uni[p.university], firm[p.firm]))
        for kind, collection in self.edges.items():
            collection.set_segments(segments[kind])
        self._network_key = tuple(p.id for p in active)

    def _grow(self, ax, key, high: float, blit: Blit) -> None:
        """Raise an axis' top to the next 1-2-5 step when the data reach it."""
        top = nice_ceiling(high * HEADROOM)
        if self._tops.get(key) != top:
            self._tops[key] = top
            ax.set_ylim(0, top)
            blit.invalidate()

    def _update_money(self, months: np.ndarray) -> None:
        ax = self.money_axis
        for artist in self.stack:
            artist.remove()
            self.side.animated.remove(artist)
        values = [np.asarray(self.twin.series(name), dtype=float) for name, *_ in SPENDING]
        bottom = np.zeros(len(months))
        self.stack = []
        for (_, _, colour, hatch), value in zip(SPENDING, values, strict=True):
            top = bottom + np.nan_to_num(value)
            self.stack.append(ax.fill_between(months, bottom, top, facecolor=colour, hatch=hatch,
                                              edgecolor="white", lw=0, alpha=0.85))
            bottom = top
        self.side.animate(*self.stack)
        self.side.animated.remove(self.budget_line)  # the budget line over the stack
        self.side.animated.append(self.budget_line)
        budget = self.twin.policy.p["fund_budget"] * months
        self.budget_line.set_data(months, budget)
        self._grow(ax, "money", max(10.0, _finite_max(bottom, budget)), self.side)

    def images(self) -> dict[str, bytes]:
        """Each figure as PNG bytes; the network only when its edges changed."""
        if self._network_png is None or self._network_key != self._drawn_network_key:
            self._network_png = self.network.png()
            self._drawn_network_key = self._network_key
        return {"outcomes": self.outcomes.png(), "side": self.side.png(),
                "network": self._network_png}

    _drawn_network_key = None
