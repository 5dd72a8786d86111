"""Room mode's pieces of the page: a participant's predictions, and the facilitator's room page."""

from __future__ import annotations

import html
import logging
import threading
from urllib.parse import parse_qs

import solara

from simulation.dashboard import labels, registry, room
from simulation.dashboard.session import Session
from simulation.dashboard.twin import HEADLINES
from simulation.model.metrics import OUTCOMES

log = logging.getLogger("iesim.dashboard")
REFRESH_SECONDS = 2.0
MARK = {True: "\u2713 as predicted", False: "\u2717 not as predicted", None: ""}


@solara.component
def Predictions(own: Session, predictions: dict, sync):
    """Each headline's expected direction (with the levers against the baseline), before Play."""
    with solara.Details("Your predictions (before Play)", expand=not own.may_play):
        solara.HTML(tag="div", classes=["iesim-help"], unsafe_innerHTML=(
            "With these settings, will each outcome end up above the baseline (up), below it "
            "(down), or the same? Play starts once every outcome has a prediction."))
        for name in HEADLINES:
            def choose(direction, name=name):
                try:
                    own.predict(name, direction)
                except Exception:
                    log.exception("dashboard: a prediction failed")
                sync()
            solara.HTML(tag="div", classes=["iesim-setting"],
                        unsafe_innerHTML=html.escape(labels.short(OUTCOMES[name].meaning)))
            solara.ToggleButtonsSingle(value=predictions.get(name), values=list(room.DIRECTIONS),
                                       on_value=choose)


def verdicts(own: Session) -> list[str]:
    """Each headline's prediction against the result so far, as the room page writes it."""
    out = []
    for _, predicted, seen in room.scored(own.predictions, own.frame):
        if predicted is None:
            out.append("no prediction")
        elif seen is None:
            out.append(f"{predicted} (no result yet)")
        else:
            out.append(f"{predicted}: {MARK[predicted == seen]}")
    return out


def _room_table(sessions: list[Session]) -> str:
    heads = "".join(f"<th scope='col'>{html.escape(labels.short(OUTCOMES[n].meaning))}</th>"
                    for n in HEADLINES)
    rows = [f"<tr><th scope='col'>participant</th><th scope='col'>settings</th>"
            f"<th scope='col'>month</th>{heads}</tr>"]
    for own in sessions:
        frame, s = own.frame, own.settings
        if frame is None or s is None:
            continue
        moved = ", ".join(f"{k} = {v:g}" for k, v in room.changes(s).items()) or "as the preset"
        cells = []
        for (name, policy, _, diff), verdict in zip(
                (r for r in frame.headlines if r[0] in HEADLINES), verdicts(own), strict=True):
            unit = OUTCOMES[name].unit
            cells.append(f"<td>{labels.number(policy, unit)} "
                         f"({labels.number(diff, unit, sign=True)})<br>"
                         f"<small>{html.escape(verdict)}</small></td>")
        state = "playing" if own.playing else "paused"
        rows.append(f"<tr><td>{html.escape(own.label)}</td><td>{html.escape(s.preset)}; seed "
                    f"{s.seed}; {html.escape(moved)}</td><td>{frame.month} ({state})</td>"
                    + "".join(cells) + "</tr>")
    return "".join(rows)


@solara.component
def RoomPage():
    """The facilitator's page at ``/room?token=...``."""
    router = solara.use_router()
    RoomView(parse_qs(router.search or "").get("token", [None])[0])


@solara.component
def RoomView(token: str | None):
    """The facilitator's page: every session, its settings, outcomes and predictions; the export."""
    tick = solara.use_reactive(0)
    replicates = solara.use_reactive(10)

    def refresh():
        stop = threading.Event()
        context = registry.current_context()

        def run():
            while not stop.wait(REFRESH_SECONDS):
                try:
                    if context is not None:
                        with context:
                            tick.value += 1
                    else:
                        tick.value += 1
                except Exception:
                    log.debug("dashboard: the room page could not be refreshed", exc_info=True)
        threading.Thread(target=run, daemon=True, name="iesim-room").start()
        return stop.set

    solara.use_effect(refresh, [])
    solara.Title("iesim workshop room")
    if not room.enabled():
        solara.Warning("The room page needs the server started with `iesim dashboard --room`.")
        return
    if not room.token_ok(token):
        solara.Error("The room page needs the facilitator's token: open the address "
                     "`iesim dashboard --room` printed when it started.")
        return
    tick.value  # noqa: B018  (re-render every REFRESH_SECONDS)
    sessions = sorted(registry.sessions(), key=lambda s: s.label)
    with solara.Column(style={"padding": "12px"}):
        solara.HTML(tag="h1", classes=["iesim-title"],
                    unsafe_innerHTML=f"The room: {len(sessions)} sessions")
        solara.HTML(tag="div", classes=["iesim-help"], unsafe_innerHTML=(
            "Each cell: the outcome with the participant's levers and, in brackets, the "
            "difference from their baseline; under it the prediction against the result "
            "so far."))
        solara.HTML(tag="table", classes=["iesim-table"], unsafe_innerHTML=_room_table(sessions))
        solara.SliderInt("Replicates per idea in the exported batch", value=replicates,
                         min=1, max=50)
        solara.FileDownload(lambda: room.export(registry.sessions(), replicates.value),
                            filename="workshop_room.zip",
                            label="Export the room's settings as a batch (zip)")
        solara.HTML(tag="div", classes=["iesim-help"], unsafe_innerHTML=(
            "Unzip, then <code>iesim batch room/batch.toml --out results/room</code> runs every "
            "idea with replicates on common random numbers. The batch draws its own random "
            "streams; each scenario file keeps its session's seed, and <code>iesim run</code> "
            "on it reproduces that session at the end of each whole year."))
