"""Bad batch input: one `error:` line naming file and key, exit code 2, no store left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.batch.batchfile import load_batch
from simulation.cli import main
from simulation.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
BAD = FIXTURES / "bad"

# file stem -> (what the error names: file, key or expectation fragments)
CORPUS = {
    "replicates_string": ("bad/replicates_string.toml", "batch.replicates", "integer in [1"),
    "replicates_negative": ("bad/replicates_negative.toml", "batch.replicates", "got -3"),
    "replicates_float": ("bad/replicates_float.toml", "batch.replicates", "got 2.5"),
    "years_nan": ("bad/years_nan.toml", "batch.years", "got nan"),
    "years_out_of_range": ("bad/years_out_of_range.toml", "batch.years", "[1, 200]"),
    "seed_negative": ("bad/seed_negative.toml", "batch.seed", "got -1"),
    "seed_inf": ("bad/seed_inf.toml", "batch.seed", "got inf"),
    "unknown_batch_key": ("bad/unknown_batch_key.toml", "batch.replicats", "'replicates'"),
    "unknown_section": ("bad/unknown_section.toml", "levers.tax_brake", "levers.tax_break"),
    "param_out_of_range": ("bad/param_out_of_range.toml", "levers.tax_break.rate", "got 1.5"),
    "param_nan": ("bad/param_nan.toml", "levers.tax_break.rate", "got nan"),
    "param_wrong_type": ("bad/param_wrong_type.toml", "population.n_students", "'many'"),
    "reference_unknown": ("bad/reference_unknown.toml", "batch.reference", "'baseline'"),
    "missing_scenario_file": ("bad/missing_scenario_file.toml", "batch.scenarios", "not found"),
    "scenario_file_bad": ("scenarios/bad_unknown_key.toml", "levers.tax_break.rat", "rate"),
    "scenario_file_empty": ("scenarios/empty.toml", "empty", "TOML"),
    "duplicate_scenario_names": ("bad/duplicate_scenario_names.toml", "batch.scenarios", "'tax'"),
    "scenarios_empty_list": ("bad/scenarios_empty_list.toml", "batch.scenarios", "got []"),
    "scenarios_not_list": ("bad/scenarios_not_list.toml", "batch.scenarios", "list"),
    "no_batch_table": ("bad/no_batch_table.toml", "[batch]", "missing"),
    "comment_only": ("bad/comment_only.toml", "[batch]", "missing"),
    "empty": ("bad/empty.toml", "empty", "TOML"),
    "invalid_toml": ("bad/invalid_toml.toml", "not valid TOML", "line 1"),
    "scenario_not_batch": ("bad/scenario_not_batch.toml", "[scenario]", "[batch]"),
    "name_missing": ("bad/name_missing.toml", "batch.name", "missing"),
    "name_empty": ("bad/name_empty.toml", "batch.name", "non-empty"),
    "both_scenarios_and_design": ("bad/both_scenarios_and_design.toml", "batch.scenarios",
                                  "[design]"),
    "neither_scenarios_nor_design": ("bad/neither_scenarios_nor_design.toml", "batch.scenarios",
                                     "[design]"),
    "keep_timeseries_string": ("bad/keep_timeseries_string.toml", "batch.keep_timeseries",
                               "boolean"),
    "outcome_unknown": ("bad/outcome_unknown.toml", "batch.outcomes", "employment_rate_12m"),
    "report_not_kept": ("bad/report_not_kept.toml", "batch.report", "batch.outcomes"),
    "max_replicates_below": ("bad/max_replicates_below.toml", "batch.max_replicates", "got 5"),
    "design_unknown_method": ("bad/design_unknown_method.toml", "design.method", "'sobol'"),
    "design_unknown_parameter": ("bad/design_unknown_parameter.toml", "design.parameters",
                                 "tax_break_rate"),
    "design_level_out_of_range": ("bad/design_level_out_of_range.toml",
                                  "design.parameters.tax_break_rate", "got 1.2"),
    "design_level_nan": ("bad/design_level_nan.toml", "levers.dedicated_fund.budget", "got nan"),
    "design_levels_empty": ("bad/design_levels_empty.toml", "design.parameters.tax_break_rate",
                            "non-empty"),
    "design_lhs_low_above_high": ("bad/design_lhs_low_above_high.toml",
                                  "design.parameters.tax_break_rate", "low must be below high"),
    "design_lhs_no_samples": ("bad/design_lhs_no_samples.toml", "design.samples", "missing"),
    "design_lhs_range_outside": ("bad/design_lhs_range_outside.toml",
                                 "design.parameters.linkage_meetings.high", "got 40"),
    "design_unknown_key": ("bad/design_unknown_key.toml", "design.levels", "unknown key"),
    "design_base_missing": ("bad/design_base_missing.toml", "design.base", "not found"),
    "wtp_negative": ("bad/wtp_negative.toml", "batch.willingness_to_pay", "got -5.0"),
    "design_no_firms": ("bad/design_no_firms.toml", "population.firms_tech",
                        "scenario 'n_firms_tech=0'"),
    "wtp_string": ("bad/wtp_string.toml", "batch.willingness_to_pay", "'five'"),
    "design_factor_overridden": ("bad/design_factor_overridden.toml", "levers.tax_break.rate",
                                 "design.parameters.tax_break_rate"),
    "too_many_runs": ("bad/too_many_runs.toml", "1,000,000,000 runs", "--max-runs"),
}


def test_corpus_covers_every_bad_file():
    assert {p.stem for p in BAD.glob("*.toml")} == set(CORPUS)


@pytest.mark.parametrize("stem", sorted(CORPUS))
def test_bad_batch_file_gives_one_error_line_and_exit_2(stem, tmp_path, capsys):
    file, *fragments = CORPUS[stem]
    out = tmp_path / "results"
    code = main(["batch", str(BAD / f"{stem}.toml"), "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1, captured.err
    line = lines[0]
    assert line.startswith("error: ")
    # names the offending file (the batch file, or the scenario file it points at)
    assert Path(line.split(": ")[1]).resolve() == (FIXTURES / file).resolve()
    for fragment in fragments:
        assert fragment in line
    assert captured.out == ""
    assert not out.exists()


@pytest.mark.parametrize("stem", ["replicates_negative", "design_level_nan", "scenario_file_bad"])
def test_validate_reports_the_same_errors(stem, capsys):
    assert main(["validate", str(BAD / f"{stem}.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--workers", "0"], "--workers must be an integer >= 1"),
        (["--chunk-size", "0"], "--chunk-size"),
        (["--ci-width", "-1"], "--ci-width must be a number > 0"),
        (["--ci-width", "nan"], "--ci-width must be a number > 0"),
        (["--backend", "serial", "--scheduler", "tcp://127.0.0.1:1"], "--backend dask"),
        (["--backend", "threads"], "invalid choice"),
        (["--wtp", "-1"], "--wtp must be a number in [0, 1e6]"),
        (["--wtp", "nan"], "--wtp must be a number in [0, 1e6]"),
    ],
)
def test_bad_command_line_gives_exit_2_and_no_store(argv, fragment, tmp_path, capsys):
    out = tmp_path / "results"
    try:
        code = main(["batch", str(FIXTURES / "small.toml"), "--out", str(out), *argv])
    except SystemExit as exit_:  # argparse's own usage errors
        code = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and fragment in err[0]
    assert not out.exists()


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    out = tmp_path / "file"
    out.write_text("x")
    assert main(["batch", str(FIXTURES / "small.toml"), "--out", str(out)]) == 2
    assert "--out must be a writable directory" in capsys.readouterr().err
    assert out.read_text() == "x"


def test_out_with_other_content_is_refused_without_resume(tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["batch", str(FIXTURES / "small.toml"), "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_good_batch_files_load():
    small = load_batch(FIXTURES / "small.toml")
    assert list(small.scenarios) == ["base", "tax", "package"]
    assert small.reference == "base" and small.steps == 48
    # the batch's [population] applies to every scenario; levers stay per scenario
    assert {p["n_students"] for p in small.scenarios.values()} == {600}
    assert small.scenarios["tax"]["tax_break_rate"] == 0.3
    assert small.scenarios["base"]["tax_break_rate"] == 0.0  # filled with the default
    assert len({tuple(p) for p in small.scenarios.values()}) == 1  # same keys everywhere
    assert len(small.specs()) == 12


def test_designs_expand_within_the_registry():
    factorial = load_batch(FIXTURES / "factorial.toml")
    assert len(factorial.scenarios) == 1 + 2 * 3
    assert factorial.scenarios["tax_break_rate=0.3 linkage_meetings=4"]["linkage_meetings"] == 4
    lhs = load_batch(FIXTURES / "lhs.toml")
    rates = [p["tax_break_rate"] for p in lhs.scenarios.values()]
    meetings = [p["linkage_meetings"] for p in lhs.scenarios.values()]
    assert len(rates) == 6 and all(0.0 <= r <= 0.5 for r in rates)
    # Latin hypercube: one sample in each sixth of the range
    assert sorted(int(r / 0.5 * 6) for r in rates) == list(range(6))
    assert all(isinstance(m, int) and 0 <= m <= 4 for m in meetings)
    assert load_batch(FIXTURES / "lhs.toml").scenarios == lhs.scenarios  # seeded


def test_load_batch_raises_input_error_with_key():
    with pytest.raises(InputError) as err:
        load_batch(BAD / "replicates_negative.toml")
    assert err.value.key == "batch.replicates"
