"""Dashboard components without a browser (solara.render): controls, lock-step, presets, sessions."""

from __future__ import annotations

import json
import math

import ipyvuetify as v
import pytest
import solara
from cli_errors import iesim

from simulation.dashboard import controls
from simulation.dashboard.app import Dashboard, Page
from simulation.dashboard.session import LIVE, Session
from simulation.dashboard.twin import baseline_params
from simulation.parameters import PARAMETERS
from simulation.scenarios import load_scenario


def render(session=None):
    """The page in an AppLayout (the sidebar needs it), and the session it shows."""
    session = session or Session()
    _, rc = solara.render(solara.AppLayout(children=[Dashboard(session=session)]),
                          handle_error=False)
    return session, rc


def button(rc, text):
    return rc.find(v.Btn, children=[text]).widget


def slider(rc, p):
    return rc.find(v.Slider, label=p.name).widget


def test_every_control_is_on_the_page():
    _, rc = render()
    for text in ("Play", "Step", "Reset"):
        button(rc, text)
    assert rc.find(v.Select, label="Preset").widget.items == list(controls.PRESETS)
    rc.find(v.TextField, label="Seed").assert_single()
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == len(controls.slider_parameters())
    for p in controls.slider_parameters():  # ranges from the registry, defaults inside
        widget = slider(rc, p)
        low, high = controls.slider_range(p)
        assert (widget.min, widget.max) == (low, high) and low <= p.default <= high
    assert any("Download settings as a scenario file" in w.children
               for w in rc.find(v.Btn).widgets)
    groups = {p.section for params in controls.group_parameters().values() for p in params}
    assert {p.section for p in PARAMETERS.values() if p.lever} <= groups


def test_a_step_advances_both_models_in_lock_step():
    session, rc = render()
    button(rc, "Step").click()
    button(rc, "Step").click()
    assert session.twin.policy.steps == session.twin.baseline.steps == 2
    rc.find(children=["Month 2"]).assert_single()
    button(rc, "Reset").click()
    assert session.steps == 0


def test_a_preset_sets_the_levers_and_the_baseline_keeps_them_off():
    session, rc = render()
    rc.find(v.Select, label="Preset").widget.v_model = "full package"
    full = load_scenario(controls.SCENARIOS / "full_package.toml").params
    assert session.preset == "full package"
    assert session.twin.policy.p["fund_budget"] == full["fund_budget"] > 0
    assert session.twin.baseline.p["fund_budget"] == 0.0
    fund = PARAMETERS["fund_budget"]
    assert slider(rc, fund).v_model == full["fund_budget"]
    case = load_scenario(controls.SCENARIOS / "case_tech_it.toml").params
    rc.find(v.Select, label="Preset").widget.v_model = "case 1: technical university and IT firm"
    assert session.twin.policy.p["n_students"] == case["n_students"]
    assert session.twin.baseline.p["n_students"] == case["n_students"]  # same population


def test_a_slider_change_rebuilds_both_models_on_the_same_seed():
    session, rc = render()
    button(rc, "Step").click()
    slider(rc, PARAMETERS["tax_break_rate"]).v_model = 0.3
    assert session.steps == 0 and session.twin.policy.p["tax_break_rate"] == 0.3
    assert session.twin.baseline.p["tax_break_rate"] == 0.0
    assert baseline_params(session.params()) == {k: v for k, v in session.params().items()
                                                 if not PARAMETERS[k].lever}


def test_two_sessions_hold_their_own_models():
    before = set(LIVE)
    solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    new = [s for s in LIVE if s not in before]
    assert len(new) == 2
    a, b = new
    assert a.twin.policy is not b.twin.policy and a.twin.baseline is not b.twin.baseline
    a.step(3)
    assert (a.steps, b.steps) == (3, 0)


def test_closing_the_page_marks_its_session_closed_so_play_stops():
    session, rc = render()
    assert not session.closed
    rc.close()
    assert session.closed


def test_extreme_settings_never_raise_and_a_refused_one_shows_a_message():
    session, rc = render()
    for end in (0, 1):
        for p in controls.slider_parameters():
            session.sliders[p.name] = controls.slider_range(p)[end]
        session.build()
        assert session.message is None, session.message
        session.step(2)
    old, kept = session.twin, session.value("fund_grant_share")
    session.set("fund_grant_share", 5.0)  # outside the valid range: the model refuses it
    assert session.twin is old and "grant_share" in session.message
    assert session.value("fund_grant_share") == kept  # the refused value is not kept
    _, rc = render(session)
    assert any("refused" in str(w.children) for w in rc.find(v.Alert).widgets)


@pytest.mark.slow
def test_the_downloaded_scenario_reproduces_the_dashboard_with_iesim_run(tmp_path):
    session, rc = render()
    rc.find(v.Select, label="Preset").widget.v_model = "case 2: art school and design firms"
    slider(rc, PARAMETERS["tax_break_rate"]).v_model = 0.2
    session.step(24)
    path = tmp_path / "dashboard.toml"
    path.write_text(session.scenario_file(), encoding="utf-8")
    assert iesim("validate", str(path)).returncode == 0
    done = iesim("run", str(path), "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    ours = session.twin.policy.outcomes()
    for name, value in summary["outcomes"].items():
        if value is None:  # NaN is written as null
            assert math.isnan(ours[name]), name
        else:
            assert ours[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name
    scenario = load_scenario(path)
    assert scenario.seed == session.seed and scenario.years == 2
