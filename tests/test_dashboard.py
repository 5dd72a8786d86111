"""Dashboard components without a browser (solara.render): controls, lock-step, presets, sessions."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from types import SimpleNamespace

import ipyvuetify as v
import pytest
import solara
from cli_errors import iesim
from solara.widgets import HTML as HTMLWidget

from simulation.dashboard import controls, labels, registry
from simulation.dashboard.app import Dashboard, Page
from simulation.dashboard.session import FAILED, LIVE, Session, Settings
from simulation.dashboard.twin import baseline_params
from simulation.model.metrics import OUTCOMES
from simulation.model.parameters import PARAMETERS
from simulation.scenarios import load_scenario


def render(session=None):
    """The page with every group of sliders unfolded, and the session it shows."""
    session = session or Session()
    _, rc = solara.render(solara.AppLayout(children=[Dashboard(session=session)]),
                          handle_error=False)
    for panels in rc.find(v.ExpansionPanels).widgets:  # a folded group builds no sliders
        panels.v_model = 0
    return session, rc


def button(rc, text):
    return rc.find(v.Btn, children=[text]).widget


def slider(rc, p):
    """The slider of parameter ``p``: its label is the registry meaning, then the value."""
    prefix = labels.parameter_label(p) + ": "
    found = [w for w in rc.find(v.Slider).widgets if w.label.startswith(prefix)]
    assert len(found) == 1, (p.name, [w.label for w in rc.find(v.Slider).widgets])
    return found[0]


def month_text(rc) -> str:
    """The page's month counter."""
    return " ".join(w.unsafe_innerHTML for w in rc.find(HTMLWidget).widgets
                    if getattr(w, "unsafe_innerHTML", "") and "Month " in w.unsafe_innerHTML)


def seed_box(rc):
    return rc.find(v.TextField, label="Seed (a whole number)").widget


def type_seed(rc, text: str) -> None:
    """Type into the seed box and leave it (the box takes its value on focus-out or Enter)."""
    box = seed_box(rc)
    box.v_model = text
    box.fire_event("focusout", None)


def test_a_folded_group_builds_no_sliders_until_unfolded():
    _, rc = solara.render(solara.AppLayout(children=[Dashboard(session=Session())]),
                          handle_error=False)
    first = controls.group_parameters()["Funding and incentives"]
    assert len(rc.find(v.Slider).widgets) == len(first)  # only the open group
    rc.find(v.ExpansionPanels).widgets[1].v_model = 0
    second = controls.group_parameters()["Standards and accreditation"]
    assert len(rc.find(v.Slider).widgets) == len(first) + len(second)


def test_every_control_is_on_the_page():
    _, rc = render()
    for text in ("Play", "Step", "Reset"):
        button(rc, text)
    assert rc.find(v.Select, label="Preset").widget.items == list(controls.PRESETS)
    seed_box(rc)
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == len(controls.slider_parameters())
    for p in controls.slider_parameters():  # ranges from the registry, defaults inside
        widget = slider(rc, p)
        low, high = controls.slider_range(p)
        assert (widget.min, widget.max) == (low, high) and low <= p.default <= high
    texts = [str(w.children) for w in rc.find(v.Btn).widgets]
    for which in ("with the levers", "baseline"):
        assert any(f"Download: {which} (scenario file)" in t for t in texts)
    groups = {p.section for params in controls.group_parameters().values() for p in params}
    assert {p.section for p in PARAMETERS.values() if p.lever} <= groups


def test_a_step_advances_both_models_in_lock_step():
    session, rc = render()
    button(rc, "Step").click()
    button(rc, "Step").click()
    assert session.twin.policy.steps == session.twin.baseline.steps == 2
    assert "Month 2 " in month_text(rc)
    button(rc, "Reset").click()
    assert session.steps == 0


def test_a_preset_sets_the_levers_and_the_baseline_keeps_them_off():
    session, rc = render()
    rc.find(v.Select, label="Preset").widget.v_model = "full package"
    full = load_scenario(controls.SCENARIOS / "full_package.toml").params
    assert session.settings.preset == "full package"
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


def test_two_pages_hold_their_own_sessions_and_share_only_identical_runs():
    before = set(LIVE)
    solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    new = [s for s in LIVE if s not in before]
    assert len(new) == 2
    a, b = new
    assert a.engine.track is b.engine.track  # same preset and seed: computed once
    a.step(3)
    assert (a.steps, b.steps) == (3, 0)
    b.apply_preset("full package")
    assert a.engine.track is not b.engine.track
    assert b.steps == 0 and a.steps == 3 and a.settings.preset == "baseline"


def test_a_session_away_from_its_browser_is_paused_and_released_and_a_reload_gets_it_back(
        monkeypatch):
    browser = SimpleNamespace(session_id="browser-a", page_status={})
    monkeypatch.setattr(registry, "current_context", lambda: browser)
    own = registry.open_session()
    assert registry.open_session() is own  # a reload within the idle time: the same run
    own.step(2)
    own.play()
    registry.release_idle(time.monotonic() + registry.IDLE_SECONDS / 2)
    assert not own.closed and registry.open_session() is own
    registry.release_idle(time.monotonic() + registry.IDLE_SECONDS + 1)
    assert own.closed and not own.playing and own.engine is None
    again = registry.open_session()  # after the release: a new session at month 0
    assert again is not own and again.steps == 0
    registry.release_idle(time.monotonic() + registry.IDLE_SECONDS + 1)


def test_a_full_server_turns_a_new_browser_away_with_a_message(monkeypatch):
    monkeypatch.setattr(registry, "MAX_SESSIONS", len(registry.sessions()))
    monkeypatch.setattr(registry, "current_context",
                        lambda: SimpleNamespace(session_id="browser-late", page_status={}))
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    alerts = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
    assert "already runs" in alerts and not rc.find(v.Slider).widgets


def test_extreme_settings_never_raise_and_a_refused_one_shows_a_message():
    session, rc = render()
    for end in (0, 1):
        s = session.settings
        sliders = tuple((p.name, controls.slider_range(p)[end])
                        for p in controls.slider_parameters())
        session._rebuild(Settings(s.preset, sliders, s.fixed, s.seed))
        assert session.message is None, session.message
        session.step(2)
    old, kept = session.twin, session.value("fund_grant_share")
    session.set("fund_grant_share", 5.0)  # outside the valid range: the model refuses it
    assert session.twin is old and "grant_share" in session.message
    assert session.value("fund_grant_share") == kept  # the refused value is not kept
    _, rc = render(session)
    assert any("refused" in str(w.children) for w in rc.find(v.Alert).widgets)


@pytest.mark.slow
def test_the_downloaded_files_reproduce_both_columns_with_iesim_run(tmp_path):
    session, rc = render()
    rc.find(v.Select, label="Preset").widget.v_model = "case 2: art school and design firms"
    slider(rc, PARAMETERS["tax_break_rate"]).v_model = 0.2
    session.step(24)
    for which, model in (("policy", session.twin.policy), ("baseline", session.twin.baseline)):
        path = tmp_path / f"{which}.toml"
        path.write_text(session.scenario_file(which), encoding="utf-8")
        assert iesim("validate", str(path)).returncode == 0
        done = iesim("run", str(path), "--out", str(tmp_path / which))
        assert done.returncode == 0, done.stderr
        summary = json.loads((tmp_path / which / "summary.json").read_text(encoding="utf-8"))
        ours = model.outcomes()
        for name, value in summary["outcomes"].items():
            if value is None:  # NaN is written as null
                assert math.isnan(ours[name]), name
            else:
                assert ours[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name
        scenario = load_scenario(path)
        assert scenario.seed == session.settings.seed and scenario.years == 2
    assert load_scenario(tmp_path / "baseline.toml").params.get("tax_break_rate", 0.0) == 0.0
    session.step(5)  # inside a year: the page says what the files do not reproduce
    _, rc = render(session)
    assert any("inside a year" in (w.unsafe_innerHTML or "") for w in rc.find(HTMLWidget).widgets)

def test_every_slider_shows_its_value_and_unit_and_follows_every_change():
    session, rc = render()
    for p in controls.slider_parameters():  # labels and units from the registry
        assert slider(rc, p).label == (f"{labels.parameter_label(p)}: "
                                       f"{labels.with_unit(session.value(p.name), p.unit)}")
    tax = PARAMETERS["tax_break_rate"]
    slider(rc, tax).v_model = 0.25
    assert slider(rc, tax).label.endswith(": 25%") and session.value("tax_break_rate") == 0.25
    budget = PARAMETERS["fund_budget"]
    slider(rc, budget).v_model = 1500.0
    assert slider(rc, budget).label.endswith(": 1,500 kCNY per year")
    assert session.twin.policy.p["fund_budget"] == 1500.0


def test_settings_without_effect_are_greyed_with_the_reason():
    session, rc = render()
    share = PARAMETERS["fund_grant_share"]
    assert slider(rc, share).disabled
    reasons = [w.unsafe_innerHTML for w in rc.find(HTMLWidget).widgets
               if "no effect while" in (getattr(w, "unsafe_innerHTML", "") or "")]
    assert "no effect while the yearly budget of the dedicated fund is 0" in reasons
    assert not slider(rc, PARAMETERS["fund_budget"]).disabled  # the switch stays movable
    slider(rc, PARAMETERS["fund_budget"]).v_model = 1500.0
    assert not slider(rc, share).disabled
    assert controls.inactive(share, session.params()) == (None, False)


@pytest.mark.parametrize("typed", ["abc", "1.5", "", "-3", str(2**63)])
def test_the_seed_box_refuses_bad_input_and_keeps_the_seed_in_use(typed):
    session, rc = render()
    kept = session.settings.seed
    type_seed(rc, typed)
    assert session.settings.seed == kept
    assert seed_box(rc).error
    assert any("the seed must be a whole number" in (w.unsafe_innerHTML or "")
               for w in rc.find(HTMLWidget).widgets)
    assert f"seed = {kept}" in session.scenario_file()
    type_seed(rc, "42")
    assert session.settings.seed == 42 == session.twin.seed


def test_numbers_read_as_people_write_them():
    assert labels.number(0.8412, "share") == "84.1%"
    assert labels.number(0.013, "share", sign=True) == "+1.3 points"
    assert labels.number(-0.0004, "share", sign=True) == "0 points"  # never -0.0
    assert labels.number(0.0, "partnerships", sign=True) == "0"
    assert labels.number(12345.0, "kCNY") == "12,345"
    assert labels.number(float("nan"), "share") == "n/a"
    assert labels.with_unit(0.3, "share") == "30%"
    assert labels.with_unit(3000.0, "kCNY per year") == "3,000 kCNY per year"
    assert labels.short(OUTCOMES["matched_employment_share"].meaning) == \
        "Employed graduates in a graduate-level job of their own field"


def test_clicks_during_play_never_fail_and_the_sliders_show_the_settings_in_use(caplog):
    session, rc = render()
    caplog.set_level(logging.WARNING, logger="iesim.dashboard")
    presets = ["full package", "baseline", "case 2: art school and design firms"]
    for i in range(9):  # preset, speed and play/pause clicks while the Play thread runs
        button(rc, "Play").click()
        session.wait(session.revision, timeout=5)
        rc.find(v.BtnToggle).widget.v_model = ("fast", "slow", "normal")[i % 3]
        rc.find(v.Select, label="Preset").widget.v_model = presets[i % 3]
        assert not session.playing  # a change pauses
        params = controls.preset(presets[i % 3])[0]
        for p in controls.slider_parameters():
            expected = params.get(p.name, p.default)
            assert session.twin.policy.p[p.name] == expected
            assert slider(rc, p).v_model == expected, p.name
    button(rc, "Play").click()
    deadline = time.monotonic() + 60
    while session.steps < 3:  # condition, with a generous guard
        assert time.monotonic() < deadline, "Play did not advance"
        session.wait(session.revision, timeout=1)
    button(rc, "Pause").click()
    assert not session.playing and session.frame.drawn_month == session.frame.month
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_figures_are_never_drawn_by_two_threads_at_once():
    session = Session()
    errors = []

    def clicks():
        try:
            for i in range(40):
                session.pause() if i % 2 else session.play()
                session.set_speed(("fast", "normal")[i % 2])
        except Exception as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    session.set_speed("fast")
    threads = [threading.Thread(target=clicks) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    session.pause()
    assert not errors and session.message is None
    assert session.frame.drawn_month == session.frame.month == session.twin.steps


def test_a_failure_in_one_session_shows_a_short_message_and_others_go_on(caplog):
    broken, other = Session(), Session()

    def fail(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'dpi'")

    broken.engine.advance = fail
    _, rc = render(broken)
    with caplog.at_level(logging.ERROR, logger="iesim.dashboard"):
        button(rc, "Step").click()
    assert broken.message == FAILED and not broken.playing
    assert "Traceback" not in broken.message and "dpi" in caplog.text  # logged on the server
    assert any(FAILED in str(w.children) for w in rc.find(v.Alert).widgets)
    other.step(2)
    assert other.steps == 2 and other.message is None
    button(rc, "Reset").click()  # the way out the message names
    assert broken.message is None and broken.steps == 0


def test_every_preset_value_lies_on_its_sliders_steps():
    """A value between steps would show the thumb snapped away from the value in use."""
    for name in controls.PRESETS:
        params = controls.preset(name)[0]
        for p in controls.slider_parameters():
            low, _ = controls.slider_range(p)
            steps = (params.get(p.name, p.default) - low) / controls.slider_step(p)
            assert steps == pytest.approx(round(steps), abs=1e-6), (name, p.name)


def test_the_download_note_and_seed_box_follow_the_run():
    session, rc = render()

    def note():
        return " ".join(w.unsafe_innerHTML or "" for w in rc.find(HTMLWidget).widgets
                        if "The files run" in (w.unsafe_innerHTML or ""))

    assert "The files run 1 year (to month 12)" in note()
    for _ in range(13):
        button(rc, "Step").click()
    assert "The files run 2 years (to month 24)" in note() and "inside a year" in note()
    session.set_seed(7)  # from elsewhere (another tab of the same browser)
    session.set_seed(8)
    button(rc, "Reset").click()
    assert seed_box(rc).v_model == "8"
