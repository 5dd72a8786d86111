"""The dashboard's figures, built once per model pair and updated in place each step.

Three matplotlib figures (no pyplot state): the outcomes over time, money
and fields, and the partnership network.  Their artists are created once
and only their data change, and the network's layout is fixed when the
models are built, so a step costs one redraw per figure.  Policy lines are
solid, the baseline's dashed; every outcome is read from the models'
monthly records (:data:`simulation.metrics.OUTCOMES`).
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from simulation.dashboard.twin import Twin
from simulation.policy import KINDS
from simulation.skills import FIELDS

KIND_COLOURS = {"placement": "tab:blue", "co_curriculum": "tab:green",
                "joint_research": "tab:purple"}
FIELD_COLOURS = {"tech": "tab:blue", "design": "tab:orange", "agri": "tab:green"}
SPENDING = (("spending_grants", "grants, subsidies"), ("spending_forgone_tax", "forgone tax"),
            ("spending_other", "programmes"))
PANELS = (  # (title, [(outcome, colour, label)]) of the outcomes figure, in reading order
    ("graduates employed", [("employment_rate_6m", "tab:blue", "6 months"),
                            ("employment_rate_12m", "tab:cyan", "12 months")]),
    ("matched employment (12 months)", [("matched_employment_share", "tab:green", None)]),
    ("placement coverage", [("placement_coverage", "tab:orange", None)]),
    ("curriculum gap", [("curriculum_gap", "tab:red", None)]),
    ("active partnerships by type", [(f"active_{k}", KIND_COLOURS[k], k.replace("_", " "))
                                     for k in KINDS]),
    ("partnerships formed / dissolved, per year", []),
)
DPI = 72


def network_layout(twin: Twin) -> dict[str, np.ndarray]:
    """Fixed positions: universities on an inner circle, firms by sector on an outer one."""
    n_u, n_f = len(twin.policy.universities), len(twin.policy.firms)
    angle_u = 2 * np.pi * np.arange(n_u) / max(n_u, 1)
    order = np.argsort(twin.policy.firm_sector, kind="stable")
    angle_f = np.empty(n_f)
    angle_f[order] = 2 * np.pi * np.arange(n_f) / max(n_f, 1)
    return {"universities": 0.45 * np.c_[np.cos(angle_u), np.sin(angle_u)],
            "firms": np.c_[np.cos(angle_f), np.sin(angle_f)]}


def per_year(cumulative) -> np.ndarray:
    """Increments per simulated year of a cumulative monthly series that starts at month 0.

    The last entry is the current year so far.
    """
    values = np.asarray(cumulative, dtype=float)
    if len(values) < 2:
        return np.zeros(0)
    ends = values[np.r_[np.arange(12, len(values) - 1, 12), len(values) - 1]]
    return np.diff(np.r_[values[0], ends])


def _plain(ax, title: str) -> None:
    """A title and few, small tick labels: text is most of a redraw's cost."""
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.locator_params(nbins=3)


class Views:
    """The figures of one model pair; :meth:`update` then :meth:`images` each step."""

    def __init__(self, twin: Twin):
        self.twin = twin
        self.layout = network_layout(twin)
        self._drawn: dict = {}  # the last PNG of each figure, and the network's edge set
        self._outcomes()
        self._side()
        self._network()
        self.update()

    # ------------------------------------------------------------ building
    def _outcomes(self) -> None:
        self.outcomes = Figure(figsize=(9.6, 4.8), dpi=DPI)
        self.outcomes.subplots_adjust(left=0.06, right=0.99, top=0.93, bottom=0.08,
                                      wspace=0.25, hspace=0.4)
        self.lines = []
        axes = self.outcomes.subplots(2, 3).flat
        for ax, (title, series) in zip(axes, PANELS, strict=True):
            _plain(ax, title)
            for name, colour, label in series:
                solid, = ax.plot([], [], color=colour, lw=1.5, label=label)
                dashed, = ax.plot([], [], color=colour, lw=1, ls="--", alpha=0.7)
                self.lines.append((ax, name, solid, dashed))
        self.flow_axis = ax
        self.flow = {}
        for name, colour, label in (("partnerships_formed", "tab:green", "formed"),
                                    ("partnerships_dissolved", "tab:red", "dissolved")):
            solid, = ax.plot([], [], color=colour, marker="o", ms=3, label=label)
            dashed, = ax.plot([], [], color=colour, ls="--", marker="o", ms=2, alpha=0.7)
            self.flow[name] = (solid, dashed)

    def _side(self) -> None:
        self.side = Figure(figsize=(9.6, 2.6), dpi=DPI)
        self.side.subplots_adjust(left=0.07, right=0.99, top=0.88, bottom=0.12, wspace=0.25)
        money, fields = self.side.subplots(1, 2)
        _plain(money, "government spending by kind, cumulative (kCNY)")
        self.money_axis = money
        self.budget_line, = money.plot([], [], color="k", lw=1, ls=":", label="fund budget")
        self.stack = None
        _plain(fields, "employed 6 months after graduation, by field")
        x = np.arange(len(FIELDS))
        colours = [FIELD_COLOURS[f] for f in FIELDS]
        self.field_bars = (fields.bar(x - 0.2, np.zeros(len(x)), 0.4, color=colours,
                                      label="with the levers"),
                           fields.bar(x + 0.2, np.zeros(len(x)), 0.4, color=colours, alpha=0.35,
                                      hatch="//", label="baseline"))
        fields.set_xticks(x, FIELDS)
        fields.set_ylim(0, 1)

    def _network(self) -> None:
        self.network = Figure(figsize=(4.6, 4.6), dpi=DPI)
        self.network.subplots_adjust(left=0, right=1, top=0.93, bottom=0)
        ax = self.network.subplots()
        ax.set_title("partnerships (edges by type); universities squares, firms dots",
                     fontsize=8)
        self.edges = {}
        for kind in KINDS:
            collection = LineCollection([], colors=KIND_COLOURS[kind], lw=0.8, alpha=0.7,
                                        label=kind.replace("_", " "))
            ax.add_collection(collection)
            self.edges[kind] = collection
        firm, uni = self.layout["firms"], self.layout["universities"]
        ax.scatter(firm[:, 0], firm[:, 1], s=6, zorder=3,
                   c=[FIELD_COLOURS[FIELDS[s]] for s in self.twin.policy.firm_sector])
        ax.scatter(uni[:, 0], uni[:, 1], s=50, c="k", marker="s", zorder=4)
        ax.set_xlim(-1.08, 1.08)
        ax.set_ylim(-1.08, 1.08)
        ax.set_aspect("equal")
        ax.axis("off")

    # ------------------------------------------------------------ updating
    def update(self) -> None:
        """Move every figure to the models' current state."""
        twin = self.twin
        months = np.arange(twin.steps + 1) / 12.0  # the records start at month 0
        for _, name, solid, dashed in self.lines:
            solid.set_data(months, twin.series(name))
            dashed.set_data(months, twin.series(name, "baseline"))
        for name, (solid, dashed) in self.flow.items():
            for line, which in ((solid, "policy"), (dashed, "baseline")):
                yearly = per_year(twin.series(name, which))
                line.set_data(np.arange(1, len(yearly) + 1), yearly)
        for ax in {line[0] for line in self.lines} | {self.flow_axis}:
            ax.relim()
            ax.autoscale_view()
        self._update_money(months)
        policy, base = twin.latest("policy"), twin.latest("baseline")
        for bars, values in zip(self.field_bars, (policy, base), strict=True):
            for bar, field in zip(bars, FIELDS, strict=True):
                value = values.get(f"employment_rate_6m_by_field_{field}", np.nan)
                bar.set_height(0.0 if not np.isfinite(value) else value)
        uni, firm = self.layout["universities"], self.layout["firms"]
        segments: dict[str, list] = {kind: [] for kind in KINDS}
        for p in twin.policy.network.active():
            segments[KINDS[p.kind]].append((uni[p.university], firm[p.firm]))
        for kind, collection in self.edges.items():
            collection.set_segments(segments[kind])
        self._network_key = tuple(p.id for p in twin.policy.network.active())

    def _update_money(self, months: np.ndarray) -> None:
        ax = self.money_axis
        if self.stack is not None:
            for artist in self.stack:
                artist.remove()
        values = [np.asarray(self.twin.series(name), dtype=float) for name, _ in SPENDING]
        self.stack = ax.stackplot(months, *values, labels=[label for _, label in SPENDING],
                                  alpha=0.8) if len(months) else []
        self.budget_line.set_data(months, self.twin.policy.p["fund_budget"] * months)
        ax.relim()
        ax.autoscale_view()

    def images(self) -> dict[str, bytes]:
        """Each figure as PNG bytes (fast compression); the network only when its edges changed."""
        out = {}
        for name in ("outcomes", "side", "network"):
            if name == "network" and self._drawn.get("network_key") == self._network_key:
                out[name] = self._drawn["network"]
                continue
            buffer = io.BytesIO()
            getattr(self, name).savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
            out[name] = self._drawn[name] = buffer.getvalue()
        self._drawn["network_key"] = self._network_key
        return out
