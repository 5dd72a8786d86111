"""Room mode without a browser: predictions, the room page, the export as a batch."""

from __future__ import annotations

import io
import json
import math
import zipfile

import ipyvuetify as v
import pandas as pd
import pytest
import solara
from cli_errors import iesim
from solara.widgets import HTML as HTMLWidget

from simulation.dashboard import registry, room
from simulation.dashboard.roompage import RoomView, verdicts
from simulation.dashboard.session import Session
from simulation.dashboard.twin import HEADLINES
from simulation.model.parameters import PARAMETERS
from simulation.scenarios import load_scenario

TOKEN = "facilitator-token-for-tests"


@pytest.fixture
def room_mode(monkeypatch):
    monkeypatch.setenv("IESIM_DASHBOARD_ROOM", "1")
    monkeypatch.setenv("IESIM_DASHBOARD_ROOM_TOKEN", TOKEN)


def predicted(own: Session, direction: str = "up") -> Session:
    for name in HEADLINES:
        own.predict(name, direction)
    return own


def test_play_waits_for_a_prediction_of_every_headline(room_mode):
    own = Session()
    own.needs_predictions = True
    own.step(1)
    own.play()
    assert own.steps == 0 and not own.playing and not own.may_play
    own.predict("employment_rate_6m", "up")
    with pytest.raises(ValueError, match="prediction"):
        own.predict("employment_rate_6m", "sideways")
    assert own.predictions == {"employment_rate_6m": "up"}
    predicted(own, "no change")
    own.step(2)
    assert own.steps == 2 and set(own.predictions) == set(HEADLINES)
    own.reset()  # the same settings: the predictions still hold
    assert set(own.predictions) == set(HEADLINES)
    own.set("tax_break_rate", 0.3)  # new settings: predict again
    assert own.predictions == {} and not own.may_play


def test_predictions_are_scored_against_the_results_as_people_read_them():
    assert room.observed(0.013, "share") == "up"
    assert room.observed(-0.0002, "share") == "no change"  # rounds to 0 points
    assert room.observed(-2.0, "partnerships") == "down"
    assert room.observed(math.nan, "share") is None
    own = predicted(Session(), "no change")
    own.step(1)  # nothing measured yet but the stocks, which are equal without levers
    texts = verdicts(own)
    assert len(texts) == len(HEADLINES)
    assert "no change: \u2713 as predicted" in texts and "no change (no result yet)" in texts


def _room(token):
    _, rc = solara.render(RoomView(token), handle_error=False)
    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(HTMLWidget).widgets), rc


def test_the_room_page_needs_the_token_and_shows_every_session(room_mode, monkeypatch):
    a, b = Session(), Session("full package")
    a.label, b.label = "participant 1", "participant 2"
    predicted(a)
    b.set("tax_break_rate", 0.4)
    monkeypatch.setattr(registry, "sessions", lambda: [a, b])
    text, rc = _room("wrong")
    assert "participant" not in text
    assert any("token" in str(w.children) for w in rc.find(v.Alert).widgets)
    text, _ = _room(TOKEN)
    assert "participant 1" in text and "participant 2" in text and "2 sessions" in text
    assert "tax_break_rate = 0.4" in text and "no prediction" in text


@pytest.mark.slow
def test_the_exported_batch_validates_runs_and_reproduces_each_session(tmp_path):
    a, b, c, d = Session(), Session(), Session("case 2: art school and design firms"), Session()
    a.label, b.label, c.label, d.label = (f"participant {i}" for i in range(1, 5))
    b.set("tax_break_rate", 0.3)
    d.set("tax_break_rate", 0.3)
    d.set_seed(77)  # a seed only one session used: its own batch file
    for own in (a, b, c, d):
        own.step(12)
    with zipfile.ZipFile(io.BytesIO(room.export([a, b, c, d], replicates=2))) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / "room"
    scenarios = {p.stem: load_scenario(p) for p in (folder / "scenarios").glob("*.toml")}
    ideas = sorted(n for n in scenarios if n.startswith("idea_"))
    assert len(ideas) == 3  # b and d share a setting
    assert len(scenarios) - len(ideas) == 2  # two populations: two baselines
    assert sorted(p.name for p in folder.glob("batch*.toml")) == ["batch.toml",
                                                                   "batch_seed_77.toml"]
    runs = {}
    for batch in ("batch", "batch_seed_77"):
        assert iesim("validate", str(folder / f"{batch}.toml")).returncode == 0
        done = iesim("batch", str(folder / f"{batch}.toml"), "--out", str(tmp_path / batch),
                     "--quiet")
        assert done.returncode == 0, done.stderr
        summary = pd.read_parquet(tmp_path / batch / "summary.parquet")
        runs[batch] = summary[summary["replicate"] == 0].set_index("scenario")
    assert len(runs["batch"]) == 5 and len(runs["batch_seed_77"]) == 2

    def same(ours, row):
        for name, value in ours.items():
            if math.isnan(value):
                assert math.isnan(row[name]), name
            else:
                assert row[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name

    for own, batch in ((a, "batch"), (b, "batch"), (c, "batch"), (d, "batch_seed_77")):
        # the session's two columns are replicate 0 of its idea and that idea's baseline
        idea = next(n for n in ideas if own.label in scenarios[n].description)
        base = {k: v for k, v in scenarios[idea].params.items() if not PARAMETERS[k].lever}
        baseline = next(n for n in runs[batch].index
                        if n.startswith("baseline_") and scenarios[n].params == base)
        same(own.twin.policy.outcomes(), runs[batch].loc[idea])
        same(own.twin.baseline.outcomes(), runs[batch].loc[baseline])
    # and `iesim run` on a scenario file reproduces its session with the file's own seed
    idea = next(n for n in ideas if "participant 2" in scenarios[n].description)
    assert scenarios[idea].params["tax_break_rate"] == 0.3
    run = iesim("run", str(folder / "scenarios" / f"{idea}.toml"), "--out", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    ours = b.twin.policy.outcomes()
    for name, value in summary["outcomes"].items():
        if value is None:
            assert math.isnan(ours[name]), name
        else:
            assert ours[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name
