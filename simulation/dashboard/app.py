"""The workshop dashboard page (Solara): ``iesim dashboard`` serves it.

Plain Solara rather than Mesa's ``SolaraViz``: the page steps two models in
lock-step (the levers and a no-lever baseline on the same seed) and draws
its own figures, while ``SolaraViz`` drives one model.  Each browser gets its
own :class:`~simulation.dashboard.session.Session`; the page only reads the
session's finished frames and settings in use, and follows it with a
watcher thread, so the Play loop never renders the page and a click never
touches a figure.  Errors are caught at the page's edge: a short message in
this page, the details in the server's log.
"""

from __future__ import annotations

import base64
import logging
import os
import threading

import reacton.ipyvuetify as rv
import solara
from ipyvuetify.components import ExpansionPanelText, ExpansionPanelTitle

from simulation.dashboard import controls, labels, registry
from simulation.dashboard.roompage import Predictions, RoomPage
from simulation.dashboard.session import SPEEDS, Session
from simulation.dashboard.twin import HEADLINES
from simulation.model.metrics import OUTCOMES

log = logging.getLogger("iesim.dashboard")
if not log.handlers:  # the server's log says what happened to sessions (stderr, with Solara's)
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False
FAILED_HINT = "Press Reset or choose a preset to start again."
PAGE_EVERY = 0.2
"""A page follows its session at most this often (seconds); clicks show at once."""
if os.environ.get("IESIM_DASHBOARD_SERVER"):  # served: workers and the first run get ready now
    registry.warm()

CSS = """
.iesim-page { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 12px;
  padding: 8px; color: #1a1a1a; background: #ffffff; }
.iesim-controls { flex: 0 0 330px; max-width: 100%; min-width: 0; }
.iesim-controls .v-btn { max-width: 100%; }
.iesim-controls .v-btn__content { white-space: normal; }
.iesim-main { flex: 1 1 560px; min-width: 0; }
.iesim-main img { max-width: 100%; height: auto; display: block; }
.iesim-title { font-size: 1.5em; font-weight: 700; color: #1a1a1a; margin: 0 0 4px 0; }
.iesim-help { font-size: 0.85em; color: #3d3d3d; line-height: 1.3; }
.iesim-reason { font-size: 0.8em; color: #5c4400; }
.iesim-setting { margin-top: 10px; }
.iesim-month { font-size: 1.6em; font-weight: 700; }
.iesim-table td, .iesim-table th { padding: 2px 8px; text-align: right; }
.iesim-table td:first-child, .iesim-table th:first-child { text-align: left; }
.iesim-table { border-collapse: collapse; font-size: 0.95em; }
.iesim-table tr { border-bottom: 1px solid #d0d0d0; }
.iesim-setting .v-input { display: flex; flex-direction: column; align-items: stretch; }
.iesim-setting .v-input__prepend { margin: 0 !important; }
.iesim-setting .v-label { white-space: normal; opacity: 1; color: #1a1a1a;
  font-size: 0.85em; line-height: 1.25; }
.iesim-figure-network { max-width: 440px !important; }
.iesim-help code { font-size: 0.95em; }
"""

NAME_SLIDERS = """
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    // Vuetify 3 gives a slider's thumb (role=slider) no accessible name: name it by its label.
    const name = () => document.querySelectorAll('.v-slider').forEach((slider) => {
      const label = slider.querySelector('.v-label');
      const thumb = slider.querySelector('[role=slider]');
      if (label && thumb && label.id && thumb.getAttribute('aria-labelledby') !== label.id) {
        thumb.setAttribute('aria-labelledby', label.id);
      }
    });
    name();
    this.observer = new MutationObserver(name);
    this.observer.observe(document.body, {childList: true, subtree: true});
  },
  unmounted() { if (this.observer) { this.observer.disconnect(); } },
  destroyed() { if (this.observer) { this.observer.disconnect(); } },
};
</script>
"""


def _guard(own: Session, what: str, action, sync):
    """An event handler that never lets an exception reach the page: logged, short message."""
    def run(*args):
        try:
            action(*args)
        except Exception:
            log.exception("dashboard: %s failed", what)
            own.message = f"{what} did not work (the server's log has the details). {FAILED_HINT}"
        sync()
    return run


@solara.component
def Dashboard(session: Session | None = None):
    """The whole page for one participant (``session`` given by tests; else the browser's)."""
    own = solara.use_memo(lambda: session or registry.open_session(), [])
    frame_rev = solara.use_reactive(0)
    control_rev = solara.use_reactive(0)

    def sync():
        if isinstance(own, Session):
            frame_rev.value = own.revision
            control_rev.value = hash(_control_state(own))

    def follow():
        if not isinstance(own, Session):
            return None
        return _Watcher(own, sync).stop

    solara.use_effect(follow, [])
    solara.Title("iesim workshop dashboard")
    solara.Style(CSS)
    rv.VuetifyTemplate(template=NAME_SLIDERS)
    if not isinstance(own, Session):  # the room is full: a message, not a slower room
        solara.Error(str(own))
        return
    with solara.Div(classes=["iesim-page"]):
        with solara.Div(classes=["iesim-controls"]):
            Controls(own, control_rev, sync)
        with solara.Div(classes=["iesim-main"]):
            Live(own, frame_rev)


def _control_state(own: Session):
    return (own.settings, own.playing, own.speed, own.message, own.closed, own.whole_years(),
            own.steps % 12 == 0, tuple(sorted(own.predictions.items())))


class _Watcher:
    """Follows a session from a thread of the page's kernel: re-renders after each change."""

    def __init__(self, own: Session, sync):
        self.own, self.sync = own, sync
        self.stopped = threading.Event()
        self.context = registry.current_context()
        registry.attach(own)
        threading.Thread(target=self.run, daemon=True, name="iesim-watch").start()

    def run(self):
        revision = -1
        while not self.stopped.is_set():
            revision = self.own.wait(revision, timeout=1.0)
            if self.stopped.wait(PAGE_EVERY):  # several months at once when playing fast
                break
            revision = self.own.revision
            registry.heard_from(self.own, self.context)
            try:
                if self.context is not None:
                    with self.context:
                        self.sync()
                else:
                    self.sync()
            except Exception:  # the page went away between two frames
                log.debug("dashboard: a page could not be updated", exc_info=True)

    def stop(self):
        self.stopped.set()
        registry.detach(self.own)


@solara.component
def Controls(own: Session, control_rev, sync):
    """Preset, seed, play/pause/step/reset, speed, the levers and the downloads."""
    control_rev.value  # noqa: B018  (re-render when the settings or Play state change)
    s = own.settings
    solara.HTML(tag="h1", unsafe_innerHTML="iesim workshop dashboard", classes=["iesim-title"])
    if own.closed:
        solara.Warning("This session was released after its browser was away; reload the page "
                       "to start a new one.")
        return
    solara.Select("Preset", values=list(controls.PRESETS), value=s.preset,
                  on_value=_guard(own, "preset", own.apply_preset, sync))
    SeedBox(own, s.seed, sync).key(f"seed-{s.seed}")  # a new seed in use: a new box
    if own.needs_predictions:
        Predictions(own, dict(own.predictions), sync)
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.Button("Pause" if own.playing else "Play", color="primary",
                      on_click=_guard(own, "play", own.pause if own.playing else own.play, sync),
                      disabled=not own.may_play)
        solara.Button("Step", on_click=_guard(own, "step", lambda: own.step(1), sync),
                      disabled=own.playing or not own.may_play)
        solara.Button("Reset", on_click=_guard(own, "reset", own.reset, sync))
    solara.ToggleButtonsSingle(value=own.speed, values=list(SPEEDS),
                               on_value=_guard(own, "speed", own.set_speed, sync))
    solara.HTML(tag="div", classes=["iesim-help"], unsafe_innerHTML=(
        f"Speed: slow {SPEEDS['slow']:g}, normal {SPEEDS['normal']:g}, fast up to "
        f"{SPEEDS['fast']:g} months a second. Any change pauses and restarts both models "
        "at month 0 on the same seed."))
    Downloads(own, own.whole_years(), own.steps % 12 != 0)
    for group, members in controls.group_parameters().items():
        Group(own, s, group, members, sync, expand=group == "Funding and incentives")


@solara.component
def Group(own: Session, s, group: str, members, sync, expand: bool = False):
    """A group of sliders (settings ``s``) that folds; a folded group builds no sliders."""
    shown, show = solara.use_state(expand)
    params = s.params()
    with rv.ExpansionPanels(v_model=0 if shown else None, on_v_model=lambda x: show(x == 0)):
        with rv.ExpansionPanel():
            ExpansionPanelTitle(children=[group])
            inside = [Slider(own, p, s.value(p.name), controls.inactive(p, params), sync)
                      for p in (members if shown else ())]
            if shown and group == "Future trends":
                inside.insert(0, solara.HTML(tag="div", classes=["iesim-help"], unsafe_innerHTML=(
                    "Trends change both columns alike (they are not levers): the difference "
                    "column stays at 0 until a lever is on.")))
            ExpansionPanelText(children=inside)


@solara.component
def SeedBox(own: Session, seed: int, sync):
    """The seed in use: whole numbers only; anything else is refused here, with the reason."""
    text, set_text = solara.use_state(str(seed))
    problem, set_problem = solara.use_state("")

    def submit(value: str):
        set_text(value)
        try:
            own.set_seed(value)
        except ValueError as exc:
            set_problem(str(exc))
            return
        except Exception:
            log.exception("dashboard: setting the seed failed")
        set_problem("")
        sync()

    solara.InputText("Seed (a whole number)", value=text, on_value=submit,
                     continuous_update=False, error=problem or False)
    if problem:
        solara.HTML(tag="div", classes=["iesim-reason"], unsafe_innerHTML=problem)


@solara.component
def Downloads(own: Session, years: int, inside_a_year: bool):
    """Both columns as scenario files (``years`` long), and what they reproduce."""
    for which, text in (("policy", "with the levers"), ("baseline", "baseline")):
        solara.FileDownload(lambda which=which: own.scenario_file(which).encode("utf-8"),
                            filename=f"dashboard_{which}.toml",
                            label=f"Download: {text} (scenario file)")
    note = (f"<code>iesim run</code> on each file, with its seed, reproduces that column at the end of "
            f"every whole year; the difference is the first file's numbers minus the second's. "
            f"The files run {years} year{'s' if years > 1 else ''} (to month {12 * years}).")
    if inside_a_year:
        note += " The page is inside a year now: its numbers are not in the files' yearly results."
    solara.HTML(tag="div", classes=["iesim-help"], unsafe_innerHTML=note)


@solara.component
def Slider(own: Session, p, value, state, sync):
    """One parameter's slider: label with value and unit, the file key on hover, why greyed."""
    low, high = controls.slider_range(p)
    reason, greyed = state
    label = f"{labels.parameter_label(p)}: {labels.with_unit(value, p.unit)}"
    on_value = _guard(own, p.name, lambda x: own.set(p.name, x), sync)
    with rv.Html(tag="div", class_="iesim-setting", attributes={"title": f"file key: {p.path}"}):
        if p.kind is int:
            solara.SliderInt(label, value=int(value), min=int(low), max=int(high),
                             on_value=on_value, disabled=greyed)
        else:
            solara.SliderFloat(label, value=float(value), min=float(low), max=float(high),
                               step=controls.slider_step(p), on_value=on_value, disabled=greyed)
        if reason:
            solara.HTML(tag="div", classes=["iesim-reason"], unsafe_innerHTML=reason)


@solara.component
def Live(own: Session, frame_rev):
    """The month, the headline table, the cost line and the figures of the latest frame."""
    frame_rev.value  # noqa: B018  (re-render after every new frame)
    frame = own.frame
    if own.message:
        solara.Error(own.message)
    if frame is None:
        return
    solara.HTML(tag="div", classes=["iesim-month"],
                unsafe_innerHTML=f"Month {frame.month} (year {frame.month / 12:.1f})")
    solara.HTML(tag="table", classes=["iesim-table"], unsafe_innerHTML=_table(frame))
    Cost(frame)
    if frame.drawn_month != frame.month:
        solara.HTML(tag="div", classes=["iesim-help"],
                    unsafe_innerHTML=f"Figures at month {frame.drawn_month}; they catch up "
                    "while playing fast and on Pause.")
    for name in ("outcomes", "side", "network"):
        if name in frame.images:
            Figure(name, frame.images[name], _alt(name, frame.drawn_month))


def _table(frame) -> str:
    rows = ["<tr><th scope='col'>outcome (latest)</th><th scope='col'>with the levers</th>"
            "<th scope='col'>baseline</th><th scope='col'>difference</th></tr>"]
    for name, policy, base, diff in frame.headlines:
        o = OUTCOMES[name]
        unit = "" if o.unit in ("share", "partnerships") else f" ({o.unit})"
        rows.append(f"<tr><td title='{name}: {o.meaning}'>{labels.short(o.meaning)}{unit}</td>"
                    f"<td>{labels.number(policy, o.unit)}</td><td>{labels.number(base, o.unit)}"
                    f"</td><td>{labels.number(diff, o.unit, sign=True)}</td></tr>")
    return "".join(rows)


@solara.component
def Cost(frame):
    """The money per extra month of graduate employment, in plain words."""
    cost, effect = frame.cost_parts
    if effect > 0:
        text = (f"Each extra month of graduate employment has cost the government "
                f"{labels.number(frame.cost)} thousand CNY so far.")
    elif cost > 0:
        text = "The levers have cost money but bought no extra months of employment so far."
    else:
        text = "No extra government money and no extra employment yet."
    tip = ("The incremental cost-effectiveness ratio (ICER) as `iesim report` computes it: "
           f"{OUTCOMES['cost_government'].meaning}, over {OUTCOMES['employment_months'].meaning}"
           "; both with the levers minus the baseline.")
    with solara.Tooltip(tip):
        solara.HTML(tag="div", unsafe_innerHTML=text + " (what is this?)",
                    style="margin: 6px 0; font-weight: 600;")


@solara.component
def Figure(name: str, png: bytes, alt: str):
    """A figure as an image with a text alternative."""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    rv.Html(tag="img", attributes={"src": src, "alt": alt, "title": alt},
            class_=f"iesim-figure-{name}", style_="max-width: 100%; height: auto; margin-top: 6px;")


def _alt(name: str, month: int) -> str:
    """A figure's text alternative (its numbers are in the table above it)."""
    if name == "network":
        return (f"Network of university-firm partnerships with the levers at month {month}: "
                "universities as squares in the centre, firms as dots around them, edges "
                "by partnership type.")
    if name == "side":
        return (f"Up to month {month}: government spending with the levers by kind, against "
                "the fund's budget; graduates employed 6 months after graduation by field, "
                "with the levers and in the baseline.")
    names = "; ".join(labels.short(OUTCOMES[n].meaning) for n in HEADLINES[:4])
    return (f"Line charts up to month {month}, with the levers (solid) and the baseline "
            f"(dashed): {names}; curriculum gap; active partnerships by type; partnerships "
            "formed and dissolved per year. The table above gives the latest values.")


@solara.component
def Page():
    """The page ``solara run`` serves: one dashboard per browser, errors kept out of sight."""
    error, clear_error = solara.use_exception()
    if error is not None:
        log.error("dashboard page failed: %r", error, exc_info=error)
        with solara.Column(style={"padding": "16px"}):
            solara.Error("Something went wrong while drawing this page; your run is kept.")
            solara.Button("Show the dashboard again", on_click=clear_error)
        return
    Dashboard()


@solara.component
def Room():
    """The facilitator's room page (``/room?token=...``, room mode only)."""
    solara.Style(CSS)
    RoomPage()


@solara.component
def Layout(children=()):
    """No app bar, drawer or tabs: the controls stay in the page at any width."""
    solara.Column(children=list(children), style={"padding": "0"})


routes = [solara.Route(path="/", component=Page, label="dashboard", layout=Layout),
          solara.Route(path="room", component=Room, label="room")]
