"""The workshop dashboard page (Solara): ``iesim dashboard`` serves it.

Plain Solara rather than Mesa's ``SolaraViz``: the page steps two models in
lock-step (the levers and a no-lever baseline on the same seed) and draws
its own figures, while ``SolaraViz`` drives one model.  Each browser session
gets its own :class:`~simulation.dashboard.session.Session` (``use_memo``),
so participants never share models.
"""

from __future__ import annotations

import math
import time

import solara

from simulation.dashboard import controls
from simulation.dashboard.session import Session
from simulation.metrics import OUTCOMES

LEGEND = (
    "Solid lines: with the levers; dashed: the baseline (same seed, no levers). "
    "Employment: dark blue 6 months, light blue 12 months. Partnerships and network edges: "
    "blue internship bases, green co-curriculum, purple joint research; formed green, "
    "dissolved red. Firms by sector: blue tech, orange design, green agriculture. Spending: "
    "blue grants and subsidies, orange forgone tax, green programmes, dotted the fund's budget. "
    "Fields: solid bars with the levers, hatched the baseline."
)
SPEEDS = {"slow": 1.0, "normal": 0.5, "fast": 0.0}  # seconds between months while playing


@solara.component
def Dashboard(session: Session | None = None):
    """The whole page for one participant (``session`` given by tests; else a new one)."""
    own = solara.use_memo(lambda: session or Session(), [])
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive("normal")

    def refresh():
        version.value += 1

    def closing():
        def close():  # the page is gone (tab closed, session ended): stop any Play loop
            own.closed = True
        return close

    solara.use_effect(closing, [])

    def play():
        while playing.value and not own.closed:
            started = time.perf_counter()
            own.step()
            refresh()
            time.sleep(max(0.0, SPEEDS[speed.value] - (time.perf_counter() - started)))

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def act(action):
        def run(*args):
            playing.value = False
            action(*args)
            refresh()
        return run

    solara.Title("iesim workshop dashboard")
    with solara.Sidebar():
        Controls(own, playing, speed, act, version.value)
    with solara.Column(style={"padding": "8px"}):
        if own.message:
            solara.Error(own.message)
        Headlines(own, version.value)
        Figures(own, version.value)


@solara.component
def Controls(own: Session, playing, speed, act, version: int):
    """Preset, seed, play/pause/step/reset, speed, the levers and the download."""
    solara.Select("Preset", values=list(controls.PRESETS), value=own.preset,
                  on_value=act(own.apply_preset))
    solara.InputInt("Seed", value=own.seed, on_value=act(own.set_seed))
    with solara.Row():
        solara.Button("Pause" if playing.value else "Play", color="primary",
                      on_click=lambda: setattr(playing, "value", not playing.value))
        solara.Button("Step", on_click=act(lambda: own.step(1)), disabled=playing.value)
        solara.Button("Reset", on_click=act(own.reset))
    solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS))
    solara.FileDownload(lambda: own.scenario_file().encode("utf-8"),
                        filename="dashboard_scenario.toml",
                        label="Download settings as a scenario file")
    for group, params in controls.group_parameters().items():
        with solara.Details(group, expand=group == "Funding and incentives"):
            for p in params:
                Slider(own, p, act, version)


@solara.component
def Slider(own: Session, p, act, version: int):
    """One parameter's slider over its registry range."""
    low, high = controls.slider_range(p)
    solara.Text(controls.label(p), style={"font-size": "0.8em", "line-height": "1.2"})
    if p.kind is int:  # the slider's own label is short, so its track keeps the width
        solara.SliderInt(p.name, value=int(own.value(p.name)), min=int(low), max=int(high),
                         on_value=act(lambda v: own.set(p.name, v)))
    else:
        solara.SliderFloat(p.name, value=float(own.value(p.name)), min=float(low),
                           max=float(high), step=controls.slider_step(p),
                           on_value=act(lambda v: own.set(p.name, v)))


@solara.component
def Headlines(own: Session, version: int):
    """Month counter, each headline outcome against the baseline, and money per extra month."""
    twin = own.twin
    solara.Text(f"Month {own.steps}", style={"font-size": "1.6em", "font-weight": "bold"})
    if twin is None:
        return
    rows = ["| outcome | with the levers | baseline | difference |", "|---|---|---|---|"]
    for name, (policy, base, diff) in twin.differences().items():
        rows.append(f"| {OUTCOMES[name].meaning} | {_fmt(policy)} | {_fmt(base)} | "
                    f"{_fmt(diff, sign=True)} |")
    cost = twin.cost_per_employment_month()
    rows.append("| government money per additional employment-month (kCNY), as `iesim report`"
                f"'s ICER | {_fmt(cost)} | | |")
    solara.Markdown("\n".join(rows))


def _fmt(x: float, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:+,.0f}" if sign else f"{x:,.0f}"
    return f"{x:+.3f}" if sign else f"{x:.3f}"


@solara.component
def Figures(own: Session, version: int):
    """The figures of the current models, redrawn each step."""
    images = solara.use_memo(lambda: own.views.images() if own.views is not None else {},
                             [version, id(own.views), own.steps])
    if not images:
        return
    solara.Markdown(LEGEND)
    solara.Image(images["outcomes"], format="png")
    with solara.Row():
        solara.Image(images["network"], format="png")
        solara.Image(images["side"], format="png")


@solara.component
def Page():
    """The page ``solara run`` serves: one dashboard per browser session."""
    Dashboard()
