"""Reliability of the study commands (issue 24): hostile cases, each refused or handled.

Every case is tried in every command it applies to (``batch``, ``sensitivity``,
``calibrate``, ``discover``) on tiny valid input files that run in seconds (the
tiny population, two simulated years, one replicate): ``write_inputs(folder)``
writes them and returns each command's line without ``--out``.  Refused input
is one ``error:`` line, exit code 2, nothing written.  Dask cases are in
``test_reliability_dask.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_errors import one_error_line
from small_world import TINY_POPULATION_TABLE

from simulation.cli import main

COMMANDS = ("batch", "sensitivity", "calibrate", "discover")

BASE = '[scenario]\nname = "base"\n'
POLICY = '[scenario]\nname = "policy"\n\n[levers.tax_break]\nrate = 0.3\n'

BATCH = """[batch]
name = "tiny"
scenarios = ["base.toml", "policy.toml"]
replicates = 1
seed = 5
years = 2
reference = "base"
""" + TINY_POPULATION_TABLE

SENSITIVITY = """[sensitivity]
name = "tiny"
method = "morris"
outcomes = ["employment_rate_6m"]
replicates = 1
seed = 5
years = 2

[sensitivity.size]
trajectories = 2

[sensitivity.quick]
replicates = 1

[factors.parameters]
contact_rate = "plausible"
""" + TINY_POPULATION_TABLE

DISCOVERY = """[discovery]
name = "tiny"
samples = 10
replicates = 1
seed = 5
years = 2
resamples = 0

[discovery.case]
outcome = "employment_rate_6m"
below = 0.01

[discovery.target]
policy = "policy.toml"
reference = "base.toml"

[discovery.quick]
replicates = 1

[factors.parameters]
labour_demand_multiplier = "plausible"
""" + TINY_POPULATION_TABLE

CALIBRATION = """[calibration]
name = "tiny"
scenario = "tiny_base.toml"
seed = 5
replicates = 1
waves = 1
runs_per_wave = 6
confirm = 1
confirm_replicates = 1
check_replicates = 2
years = 2

[calibration.parameters]
contact_rate = "plausible"

[calibration.quick]
runs_per_wave = 6

[[target]]
name = "employment_6m"
outcome = "employment_rate_6m"
value = 0.9
low = 0.5
high = 1.0
range_why = "wide on purpose"
population = "the tiny world"
year = 2026
source = "iesim"
use = "fit"
"""

FILES = {"base.toml": BASE, "policy.toml": POLICY, "tiny_base.toml": BASE + TINY_POPULATION_TABLE,
         "batch.toml": BATCH, "sensitivity.toml": SENSITIVITY, "discovery.toml": DISCOVERY,
         "calibration.toml": CALIBRATION}
FILE_OF = {"batch": "batch.toml", "sensitivity": "sensitivity.toml",
           "calibrate": "calibration.toml", "discover": "discovery.toml"}


def write_inputs(folder: Path, **changes: str) -> dict[str, list[str]]:
    """Write the tiny inputs into ``folder``; each command's line (without --out).

    Args:
        folder: where the files go.
        **changes: file name (without ``.toml``) to replacement text.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(changes.get(name.removesuffix(".toml"), text),
                                   encoding="utf-8")
    return {command: [command, str(folder / FILE_OF[command]), "--quiet"]
            for command in COMMANDS}


# =========================================================================== the tests
# Issue 24: hostile cases the study commands failed; each is refused as one ``error:``
# line (exit 2, nothing written), or handled, in every command it applies to.




ROOT = Path(__file__).parents[1]


def _code(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:  # argparse usage errors
        return exc.code


def _error_line(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("batch: ")]
    assert len(lines) == 1, err[-2000:]
    return one_error_line(lines[0] + "\n", *fragments)


def _tree(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.fixture
def inputs(tmp_path):
    return write_inputs(tmp_path / "in")


# --------------------------------------------------------------------------- --out


@pytest.mark.parametrize("command", COMMANDS)
def test_an_out_name_longer_than_the_file_system_allows_is_one_error_line(command, inputs,
                                                                          tmp_path, capsys):
    before = _tree(tmp_path)
    out = tmp_path / "deeper" / ("x" * 300)
    assert _code([*inputs[command], "--out", str(out)]) == 2
    _error_line(capsys, "--out", "too long")
    assert _tree(tmp_path) == before  # nothing written, not even the parent


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("command", COMMANDS)
def test_an_out_under_proc_is_one_error_line(command, inputs, capsys):
    out = Path("/proc") / "iesim-reliability" / "out"
    assert _code([*inputs[command], "--out", str(out)]) == 2
    _error_line(capsys, str(out), "--out must be a writable directory")
    assert not out.parent.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_an_out_under_a_regular_file_is_one_error_line(command, inputs, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    assert _code([*inputs[command], "--out", str(blocker / "out")]) == 2
    _error_line(capsys, f"{blocker} is not a directory")
    assert blocker.read_text() == "mine"


def test_report_figure_under_a_regular_file_is_refused_before_anything_is_printed(
        tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in")
    store = tmp_path / "store"
    assert _code([*inputs["batch"], "--out", str(store), "--backend", "serial"]) == 0
    capsys.readouterr()
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    before = _tree(store)
    assert _code(["report", str(store), "--figure", str(blocker / "effects.png")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_error_line(err, "--figure", f"its folder {blocker} exists and is not a directory")
    assert _tree(store) == before and blocker.read_text() == "mine"


# --------------------------------------------------------------------------- huge integers


@pytest.mark.parametrize("command", [*COMMANDS, "validate", "run"])
def test_a_5000_digit_integer_is_one_error_line_naming_the_file_and_line(command, tmp_path,
                                                                         capsys):
    huge = "9" * 5000
    if command in ("validate", "run"):
        path = tmp_path / "s.toml"
        path.write_text(f'[scenario]\nname = "s"\nseed = {huge}\n')
        args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run"
                                       else [])
    else:
        name = FILE_OF[command].removesuffix(".toml")
        table = {"calibration": "calibration", "discovery": "discovery"}.get(name, name)
        text = FILES[FILE_OF[command]].replace(f"[{table}]\n", f"[{table}]\nseed = {huge}\n", 1)
        inputs = write_inputs(tmp_path / "in", **{name: text})
        path = tmp_path / "in" / FILE_OF[command]
        args = [*inputs[command], "--out", str(tmp_path / "out")]
    assert _code(args) == 2
    _error_line(capsys, str(path), "5,000 digits", "line")
    assert not (tmp_path / "out").exists()


def test_a_huge_hexadecimal_integer_is_refused_naming_its_key(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(f'[scenario]\nname = "s"\n\n[population]\nn_students = 0x{"f" * 3000}\n')
    assert _code(["validate", str(path)]) == 2
    _error_line(capsys, "population.n_students", "digits")


# --------------------------------------------------------------------------- outcomes


UNMEASURABLE = {  # each command's file, asking for partnership_survival_3y over 2 years
    "batch": ("batch", BATCH.replace('reference = "base"',
                                     'reference = "base"\noutcomes = ["partnership_survival_3y"]'),
              "batch.outcomes"),
    "sensitivity": ("sensitivity", SENSITIVITY.replace('"employment_rate_6m"',
                                                       '"partnership_survival_3y"'),
                    "sensitivity.outcomes"),
    "calibrate": ("calibration", CALIBRATION.replace('outcome = "employment_rate_6m"',
                                                     'outcome = "partnership_survival_3y"'),
                  "target[0].outcome"),
    "discover": ("discovery", DISCOVERY.replace('outcome = "employment_rate_6m"',
                                                'outcome = "partnership_survival_3y"'),
                 "discovery.case.outcome"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_an_outcome_the_runs_are_too_short_to_measure_is_refused_up_front(command, tmp_path,
                                                                         capsys):
    name, text, key = UNMEASURABLE[command]
    inputs = write_inputs(tmp_path / "in", **{name: text})
    out = tmp_path / "out"
    assert _code([*inputs[command], "--out", str(out)]) == 2
    _error_line(capsys, key, "partnership_survival_3y cannot be measured in runs of 2 years",
                "at least 4", "36 months")
    assert not out.exists()
    assert _code(["validate", str(tmp_path / "in" / FILE_OF[command])]) == 2
    _error_line(capsys, key, "cannot be measured")


def test_an_outcome_measurable_at_one_end_of_a_factor_is_not_refused(tmp_path):
    from simulation.sensitivity.study import load_study

    text = SENSITIVITY.replace('"employment_rate_6m"', '"partnership_survival_3y"').replace(
        "years = 2", "years = 3").replace('contact_rate = "plausible"', "seed_partnerships = [0, 2]")
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert load_study(path).years == 3  # 3 years measure it where partnerships are seeded
    path.write_text(text.replace("[0, 2]", "[0, 0]").replace("seed_partnerships = [0, 0]",
                                                             "contact_rate = \"plausible\""))
    with pytest.raises(Exception, match="at least 4"):
        load_study(path)


# --------------------------------------------------------------------------- quick sections

QUICK = {  # command: (file name, its quick table's header, the bad lines, the key)
    "sensitivity": ("sensitivity", "[sensitivity.quick]\n"),
    "calibrate": ("calibration", "[calibration.quick]\n"),
    "discover": ("discovery", "[discovery.quick]\n"),
}
BAD_QUICK = {
    "unknown key": {"sensitivity": ("trajectoriez = 2", "sensitivity.quick.trajectoriez"),
                    "calibrate": ("wavez = 2", "calibration.quick.wavez"),
                    "discover": ("sample = 10", "discovery.quick.sample")},
    "nonsense value": {"sensitivity": ("trajectories = -5", "sensitivity.quick.trajectories"),
                       "calibrate": ("waves = -5", "calibration.quick.waves"),
                       "discover": ("samples = 3", "discovery.quick.samples")},
}


@pytest.mark.parametrize("case", sorted(BAD_QUICK))
@pytest.mark.parametrize("command", sorted(QUICK))
@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])
def test_a_bad_quick_section_is_refused_by_validate_and_by_the_command(command, case, quick,
                                                                       tmp_path, capsys):
    name, header = QUICK[command]
    line, key = BAD_QUICK[case][command]
    text = FILES[FILE_OF[command]].replace(header, f"{header}{line}\n")
    inputs = write_inputs(tmp_path / "in", **{name: text})
    path = tmp_path / "in" / FILE_OF[command]
    assert _code(["validate", str(path)]) == 2
    _error_line(capsys, str(path), key)
    out = tmp_path / "out"
    assert _code([*inputs[command], "--out", str(out), *(["--quick"] if quick else [])]) == 2
    _error_line(capsys, str(path), key)
    assert not out.exists()


def test_sensitivity_quick_samples_below_the_method_minimum_are_refused(tmp_path, capsys):
    text = SENSITIVITY.replace('"morris"', '"pawn"').replace("[sensitivity.size]\ntrajectories = 2",
                                                             "[sensitivity.size]\nsamples = 20")
    text = text.replace("[sensitivity.quick]\n", "[sensitivity.quick]\nsamples = 3\n")
    write_inputs(tmp_path / "in", sensitivity=text)
    assert _code(["validate", str(tmp_path / "in" / "sensitivity.toml")]) == 2
    _error_line(capsys, "sensitivity.quick.samples", "[20, ")


# --------------------------------------------------------------------------- factor ranges


NO_UNIVERSITY = """technical_universities = 0
art_schools = 0
comprehensive_universities = 1
"""


@pytest.mark.parametrize("command", ["sensitivity", "discover", "calibrate"])
def test_a_factor_whose_range_reaches_no_university_is_refused_up_front(command, tmp_path,
                                                                        capsys):
    population = TINY_POPULATION_TABLE.replace("technical_universities = 1\n", "").replace(
        "art_schools = 1\n", "").replace("comprehensive_universities = 1\n", "")
    zero = "technical_universities = 0\nart_schools = 0\n"
    factor = "n_comprehensive_universities = [0, 2]"
    if command == "calibrate":
        changes = {"tiny_base": BASE + population.replace("[population]\n",
                                                          "[population]\n" + zero),
                   "calibration": CALIBRATION.replace('contact_rate = "plausible"', factor)}
        key = "calibration.parameters.n_comprehensive_universities"
    else:
        name = FILE_OF[command].removesuffix(".toml")
        text = FILES[FILE_OF[command]].replace(TINY_POPULATION_TABLE, population.replace(
            "[population]\n", "[population]\n" + zero))
        text = text.replace('contact_rate = "plausible"', factor).replace(
            'labour_demand_multiplier = "plausible"', factor)
        changes = {name: text}
        key = "factors.parameters.n_comprehensive_universities"
    inputs = write_inputs(tmp_path / "in", **changes)
    out = tmp_path / "out"
    assert _code([*inputs[command], "--out", str(out)]) == 2
    _error_line(capsys, key, "reaches 0", "at least one university is needed")
    assert not out.exists()


# --------------------------------------------------------------------------- functions


FUNCTION_STUDY = """[sensitivity]
name = "f"
method = "morris"
outcomes = ["y"]
replicates = 1
function = "{spec}"

[sensitivity.size]
trajectories = 4

[factors.parameters]
x1 = [0, 1]
x2 = [0, 1]
"""
MODULE = "import numpy as np\n\ndef f(x):\n    return 3 * x[:, 0] + 0 * x[:, 1]\n"


def test_a_file_function_is_refused_without_allow_function_and_never_imported(tmp_path, capsys):
    marker = tmp_path / "imported"
    (tmp_path / "mine.py").write_text(f"open({str(marker)!r}, 'w').close()\n" + MODULE)
    path = tmp_path / "f.toml"
    for spec in ("os:system", "mine:f"):
        path.write_text(FUNCTION_STUDY.format(spec=spec))
        out = tmp_path / "out"
        assert _code(["sensitivity", str(path), "--out", str(out)]) == 2
        _error_line(capsys, str(path), "sensitivity.function", "--allow-function")
        assert _code(["validate", str(path)]) == 2
        _error_line(capsys, "sensitivity.function", "--allow-function")
        assert not out.exists() and not marker.exists()


def test_allow_function_looks_for_the_module_beside_the_study_file_only(tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "f.toml"
    path.write_text(FUNCTION_STUDY.format(spec="os:system"))
    assert _code(["sensitivity", str(path), "--out", str(tmp_path / "o"), "--allow-function"]) == 2
    _error_line(capsys, "sensitivity.function", "no module file for 'os'")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "mine.py").write_text(MODULE)
    for spec in ("lib.mine:f", "lib/mine.py:f"):
        path.write_text(FUNCTION_STUDY.format(spec=spec))
        out = tmp_path / spec.replace("/", "_")
        assert _code(["sensitivity", str(path), "--out", str(out), "--allow-function",
                      "--quiet"]) == 0
        table = pd.read_csv(out / "indices.csv")
        mu = table[table["index"] == "mu_star"].set_index("parameter")["value"]
        assert mu["x1"] == pytest.approx(3.0) and mu["x2"] == 0.0
    assert _code(["validate", str(path), "--allow-function"]) == 0


def test_a_study_runs_a_python_callable(tmp_path):
    from simulation.sensitivity import Factor, Study, run_study

    def f(x):
        return 2 * x[:, 0] + x[:, 1]

    study = Study(name="callable", method="morris", factors=(Factor("a", 0, 1), Factor("b", 0, 1)),
                  outcomes=("y",), replicates=1, size={"trajectories": 4, "levels": 4},
                  function=f)
    result = run_study(study, tmp_path / "o", figures_too=False, progress=False)
    mu = result.indices[result.indices["index"] == "mu_star"].set_index("parameter")["value"]
    assert mu["a"] == pytest.approx(2.0) and mu["b"] == pytest.approx(1.0)
    assert "test_reliability" in (tmp_path / "o" / "report.md").read_text()
    # the same study resumes (its description, with the callable's name, hashes the same)
    assert run_study(study, tmp_path / "o", resume=True, figures_too=False,
                     progress=False).indices.equals(result.indices)


# --------------------------------------------------------------------------- values that come out NaN

NAN = "funded_partnership_score"  # no fund pays for a partnership in these runs: no value


@pytest.mark.parametrize("method", ["morris", "pawn"])
def test_a_sensitivity_outcome_without_values_is_reported_and_the_others_analysed(
        method, tmp_path, capsys):
    text = SENSITIVITY.replace('["employment_rate_6m"]', f'["employment_rate_6m", "{NAN}"]')
    if method == "pawn":
        text = text.replace('"morris"', '"pawn"').replace("trajectories = 2", "samples = 20")
    inputs = write_inputs(tmp_path / "in", sensitivity=text)
    out = tmp_path / "out"
    assert _code([*inputs["sensitivity"], "--out", str(out), "--backend", "serial"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"warning: {NAN}: " in err and "partnerships the fund pays for" in err
    table = pd.read_csv(out / "indices.csv")
    assert set(table["outcome"]) == {"employment_rate_6m"}
    assert f"{NAN}: no indices" in (out / "report.md").read_text()


@pytest.mark.parametrize("method", ["morris", "pawn"])
def test_a_sensitivity_study_whose_every_outcome_lacks_values_ends_with_one_line(
        method, tmp_path, capsys):
    text = SENSITIVITY.replace('["employment_rate_6m"]', f'["{NAN}"]')
    if method == "pawn":
        text = text.replace('"morris"', '"pawn"').replace("trajectories = 2", "samples = 20")
    inputs = write_inputs(tmp_path / "in", sensitivity=text)
    out = tmp_path / "out"
    assert _code([*inputs["sensitivity"], "--out", str(out), "--backend", "serial"]) == 1
    _error_line(capsys, NAN, "no value", "the runs are kept")
    assert len(list((out / "runs" / "parts").glob("*.parquet"))) > 0


def test_a_calibration_target_without_values_is_left_out_of_the_fit(tmp_path, capsys):
    text = CALIBRATION + "\n" + CALIBRATION[CALIBRATION.index("[[target]]"):].replace(
        'name = "employment_6m"', 'name = "funded"').replace(
        'outcome = "employment_rate_6m"', f'outcome = "{NAN}"')
    inputs = write_inputs(tmp_path / "in", calibration=text)
    out = tmp_path / "out"
    assert _code([*inputs["calibrate"], "--out", str(out), "--backend", "serial"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "fitted target funded has a value at 0% of the first wave's points" in err
    assert "left out of the fit" in err
    assert (out / "calibrated.toml").exists()


def test_a_calibration_whose_every_target_lacks_values_ends_with_one_line(tmp_path, capsys):
    text = CALIBRATION.replace('outcome = "employment_rate_6m"', f'outcome = "{NAN}"')
    inputs = write_inputs(tmp_path / "in", calibration=text)
    assert _code([*inputs["calibrate"], "--out", str(tmp_path / "out"), "--backend",
                  "serial"]) == 1
    _error_line(capsys, "no fitted target can be emulated", NAN)


def test_a_discovery_whose_case_outcome_lacks_values_ends_with_one_line(tmp_path, capsys):
    text = DISCOVERY.replace('outcome = "employment_rate_6m"', f'outcome = "{NAN}"')
    inputs = write_inputs(tmp_path / "in", discovery=text)
    assert _code([*inputs["discover"], "--out", str(tmp_path / "out"), "--backend",
                  "serial"]) == 1
    _error_line(capsys, f"the case's outcome {NAN} has a paired effect at 0 of 10 points")


def test_report_figures_leave_out_runs_without_an_evaluation_measure(tmp_path, capsys):
    import pyarrow.parquet as pq

    inputs = write_inputs(tmp_path / "in", batch=BATCH.replace("replicates = 1", "replicates = 3"))
    store = tmp_path / "store"
    assert _code([*inputs["batch"], "--out", str(store), "--backend", "serial"]) == 0
    capsys.readouterr()
    part = sorted((store / "parts").glob("*.parquet"))[-1]
    table = pq.read_table(part).to_pandas()
    table["cost_government"] = np.nan
    table.to_parquet(part, index=False)
    assert _code(["report", str(store), "--figures"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "warning: cost_government has no value in 1 of 6 runs" in err
    assert (store / "ce_plane.png").stat().st_size > 0


# --------------------------------------------------------------------------- resume after a fix


def test_a_study_fixed_after_failed_runs_resumes_with_replan_keeping_what_matches(
        tmp_path, capsys, monkeypatch):
    import simulation.batch.iesim_task as adapter

    def fails_above(model):  # runs with a high contact rate fail: the "cause" to fix
        if model.p["contact_rate"] > 0.3:
            raise ValueError("contact rate too high for this model")
        return model.outcomes()

    monkeypatch.setattr(adapter, "model_outcomes", fails_above)
    text = SENSITIVITY.replace('contact_rate = "plausible"', "contact_rate = [0.1, 0.5]").replace(
        "trajectories = 2", "trajectories = 3")
    inputs = write_inputs(tmp_path / "in", sensitivity=text)
    out = tmp_path / "out"
    command = [*inputs["sensitivity"], "--out", str(out), "--backend", "serial"]
    assert _code(command) == 1
    _error_line(capsys, "runs failed", "--resume", "--replan")
    stored = len(list((out / "runs" / "parts").glob("*.parquet")))
    assert 0 < stored < 6
    # the fix: the factor's range; it changes the runs at some points, so --resume alone is
    # refused (saying what --replan does), and nothing is written
    write_inputs(tmp_path / "in", sensitivity=text.replace("[0.1, 0.5]", "[0.1, 0.3]"))
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert _code([*command, "--resume"]) == 2
    _error_line(capsys, "--resume", "alters", "--replan")
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert _code([*command, "--resume", "--replan"]) == 0
    err = capsys.readouterr().err
    assert "note: " in err and "re-planned (--replan): kept the" in err
    assert len(pd.read_parquet(out / "results.parquet")) == 6
    factor = json.loads((out / "study.json").read_text())["study"]["factors"][0]
    assert (factor["low"], factor["high"]) == (0.1, 0.3)  # the study now has the fixed range


def test_a_change_that_leaves_the_stored_runs_alone_resumes_with_a_note(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    command = [*inputs["sensitivity"], "--out", str(out), "--backend", "serial"]
    assert _code(command) == 0
    capsys.readouterr()
    # conf_width changes the study (its hash) but no run
    write_inputs(tmp_path / "in", sensitivity=SENSITIVITY.replace("years = 2",
                                                                  "years = 2\nconf_width = 0.5"))
    assert _code([*command, "--resume"]) == 0
    assert "the sensitivity study was resumed with changed settings" in capsys.readouterr().err
    assert "conf_width 0.5" in (out / "report.md").read_text()


def test_a_batch_resumed_with_a_scenario_added_keeps_every_stored_run(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    command = [*inputs["batch"], "--out", str(out), "--backend", "serial"]
    assert _code(command) == 0
    capsys.readouterr()
    write_inputs(tmp_path / "in", batch=BATCH.replace('"policy.toml"]', '"policy.toml", '
                                                      '"more.toml"]'))
    (tmp_path / "in" / "more.toml").write_text('[scenario]\nname = "more"\n\n'
                                               '[levers.tax_break]\nrate = 0.1\n')
    journal = (out / "status.jsonl").read_text()
    assert _code([*command, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "resuming with changed settings: they leave all 2 stored runs" in err
    assert (out / "status.jsonl").read_text().startswith(journal)  # kept, and one run more
    assert len(pd.read_parquet(out / "summary.parquet")) == 3
    write_inputs(tmp_path / "in", batch=BATCH.replace("seed = 5", "seed = 6"))
    assert _code([*command, "--resume"]) == 2
    _error_line(capsys, "different batch", "--replan")
    assert _code([*command, "--resume", "--replan"]) == 0
    assert "kept the 0 of 3 stored runs" in capsys.readouterr().err
