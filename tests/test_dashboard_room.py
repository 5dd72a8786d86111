"""Room mode without a browser: predictions, the room page, the export as a batch."""

from __future__ import annotations

import io
import json
import math
import zipfile

import ipyvuetify as v
import pytest
import solara
from cli_errors import iesim
from solara.widgets import HTML as HTMLWidget

from simulation.dashboard import registry, room
from simulation.dashboard.roompage import RoomView, verdicts
from simulation.dashboard.session import Session
from simulation.dashboard.twin import HEADLINES
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
def test_the_exported_batch_validates_runs_and_its_files_reproduce_each_session(tmp_path):
    a, b, c = Session(), Session(), Session("case 2: art school and design firms")
    a.label, b.label, c.label = "participant 1", "participant 2", "participant 3"
    b.set("tax_break_rate", 0.3)
    for own in (a, b, c):
        own.step(12)
    with zipfile.ZipFile(io.BytesIO(room.export([a, b, c], replicates=1))) as archive:
        archive.extractall(tmp_path)
    batch = tmp_path / "room" / "batch.toml"
    assert iesim("validate", str(batch)).returncode == 0
    ideas = sorted((tmp_path / "room" / "scenarios").glob("idea_*.toml"))
    bases = sorted((tmp_path / "room" / "scenarios").glob("baseline_*.toml"))
    assert len(ideas) == 3 and len(bases) == 2  # two populations: two baselines
    done = iesim("batch", str(batch), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    idea = next(p for p in ideas if "participant 2" in load_scenario(p).description)
    assert load_scenario(idea).params["tax_break_rate"] == 0.3
    run = iesim("run", str(idea), "--out", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    ours = b.twin.policy.outcomes()
    for name, value in summary["outcomes"].items():
        if value is None:
            assert math.isnan(ours[name]), name
        else:
            assert ours[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name
