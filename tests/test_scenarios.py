"""Scenario files, their validation, the `validate` command and the parameter registry.

* every file in scenarios/ loads and says what the design asks of it;
* every malformed file in tests/fixtures/scenarios_bad/ is refused with one
  InputError naming the file, the key and (for range errors) the allowed range;
* the CLI turns each refusal into one ``error:`` line on stderr and exit code 2;
* invalid-value tests generated from the registry (scikit-learn style).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulation import cli
from simulation.errors import InputError
from simulation.model.parameters import BY_PATH, PARAMETERS, SECTIONS, Parameter, defaults
from simulation.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BAD = Path(__file__).resolve().parent / "fixtures" / "scenarios_bad"

SCENARIO_FILES = sorted(SCENARIOS.glob("*.toml"))
BASELINE = SCENARIOS / "baseline.toml"
SEED = 20240501

LEVER_SECTIONS = tuple(s for s in SECTIONS if s.startswith("levers."))
SINGLE_LEVER = {
    "lever_dedicated_fund": {"levers.dedicated_fund"},
    "lever_tax_break": {"levers.tax_break"},
    "lever_accreditation": {"levers.accreditation"},
    "lever_fast_track": {"levers.fast_track"},
    "lever_linkage_meetings": {"levers.linkage_meetings"},
    "lever_firm_lecturers": {"levers.firm_lecturers"},
    "lever_incubator": {"levers.incubator"},
    # monitoring reallocates the fund, so the fund is on too
    "lever_monitoring": {"levers.monitoring", "levers.dedicated_fund"},
}
CASES = ("case_tech_it", "case_art_design", "case_agri_comprehensive")
TRENDS = ("trend_technology", "trend_flexible_pathways", "trend_cross_sector")
PAIRED = ("baseline", *SINGLE_LEVER, "full_package", *TRENDS)
REQUIRED = {"baseline", "full_package", *SINGLE_LEVER, *CASES, *TRENDS}


def _load(stem: str):
    return load_scenario(SCENARIOS / f"{stem}.toml")


def _resolved(stem: str) -> dict:
    """Every parameter's value in a scenario, by keyword name."""
    return {**defaults(), **_load(stem).params}


def _on_sections(values: dict) -> set[str]:
    """Lever sections with at least one parameter away from its default."""
    return {p.section for p in PARAMETERS.values() if p.lever and values[p.name] != p.default}


def _section(values: dict, section: str) -> dict:
    return {p.key: values[p.name] for p in PARAMETERS.values() if p.section == section}


def _header(path: Path) -> str:
    """The comment block at the top of a file."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# "))
    return " ".join(lines)


# --------------------------------------------------------------------------
# (a) the shipped scenario files
# --------------------------------------------------------------------------


def test_every_required_preset_exists():
    stems = {p.stem for p in SCENARIO_FILES}
    assert REQUIRED <= stems, f"missing: {sorted(REQUIRED - stems)}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_file_loads_and_describes_itself(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.description.strip()
    assert scenario.source == str(path)
    assert scenario.years == 15
    assert scenario.seed == SEED
    assert scenario.replicates == 10
    for name, value in scenario.params.items():
        assert PARAMETERS[name].check(value) == value


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_file_has_header_citing_the_paper(path):
    header = _header(path)
    assert len(header) > 200, "expected a one-paragraph comment header"
    assert "Zhao (2024)" in header


def test_cli_validates_every_scenario_file(capsys):
    assert cli.main(["validate", *map(str, SCENARIO_FILES)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [f"ok: {p}" for p in SCENARIO_FILES]


def test_baseline_is_the_registry_defaults():
    scenario = load_scenario(BASELINE)
    assert (scenario.years, scenario.seed, scenario.replicates) == (15, SEED, 10)
    assert _resolved("baseline") == defaults()
    assert _on_sections(defaults()) == set()


@pytest.mark.parametrize("stem", PAIRED[1:])
def test_paired_files_share_seed_years_replicates_and_population(stem):
    base, other = _load("baseline"), _load(stem)
    assert (other.seed, other.years, other.replicates) == (base.seed, base.years, base.replicates)
    assert _section(_resolved(stem), "population") == _section(_resolved("baseline"), "population")


@pytest.mark.parametrize("stem", sorted(SINGLE_LEVER))
def test_single_lever_file_switches_on_only_its_lever(stem):
    values = _resolved(stem)
    assert _on_sections(values) == SINGLE_LEVER[stem]
    for p in PARAMETERS.values():
        if not p.lever:
            assert values[p.name] == p.default, f"{stem} changes non-lever {p.path}"


def test_tax_break_is_chinas_thirty_percent():
    assert _resolved("lever_tax_break")["tax_break_rate"] == 0.3


def test_fund_is_plausible():
    fund = _section(_resolved("lever_dedicated_fund"), "levers.dedicated_fund")
    assert fund["grant_share"] == 0.5  # KTP
    # at 30-100 kCNY per partnership-year the budget pays for tens to a few
    # hundred partnership-years a year: a good share, not one and not all
    fewest = fund["budget"] / (fund["grant_share"] * 100)
    most = fund["budget"] / (fund["grant_share"] * 30)
    assert 20 <= fewest and most <= 500


def test_monitoring_file_carries_the_same_fund_as_the_fund_file():
    fund = _section(_resolved("lever_dedicated_fund"), "levers.dedicated_fund")
    assert _section(_resolved("lever_monitoring"), "levers.dedicated_fund") == fund
    assert _resolved("lever_monitoring")["monitoring_interval"] > 0
    assert "fund" in _load("lever_monitoring").description


def test_full_package_is_every_single_lever_at_the_same_settings():
    package = _load("full_package").params
    union: dict = {}
    for stem in SINGLE_LEVER:
        for name, value in _load(stem).params.items():
            assert union.setdefault(name, value) == value, f"{stem} disagrees on {name}"
    assert package == union
    assert _on_sections(_resolved("full_package")) == set(LEVER_SECTIONS)


@pytest.mark.parametrize("stem", TRENDS)
def test_trend_files_switch_on_no_lever(stem):
    assert _on_sections(_resolved(stem)) == set()


def test_trend_technology_speeds_demand_and_learning():
    values = _resolved("trend_technology")
    assert 1.5 <= values["demand_drift_multiplier"] <= 2.0
    assert values["personalised_learning"] > 0


def test_trend_flexible_pathways():
    values = _resolved("trend_flexible_pathways")
    assert values["flexible_pathways"] > 0
    assert {k: v for k, v in values.items() if k != "flexible_pathways"} == {
        k: v for k, v in defaults().items() if k != "flexible_pathways"
    }


def test_trend_cross_sector_lets_firms_keep_several_partners():
    values = _resolved("trend_cross_sector")
    assert values["cross_sector_networks"] > 0
    assert values["firm_max_partners"] > 1


@pytest.mark.parametrize("stem", CASES)
def test_case_is_one_university_with_cooperation_from_the_start(stem):
    values = _resolved(stem)
    universities = (
        values["n_technical_universities"]
        + values["n_art_schools"]
        + values["n_comprehensive_universities"]
    )
    assert universities == 1
    assert 2000 <= values["n_students"] <= 5000
    assert values["seed_partnerships"] > 0
    firms = values["n_firms_tech"] + values["n_firms_design"] + values["n_firms_agri"]
    # proportionate: tens of students per firm, as in the default population
    assert 20 <= values["n_students"] / firms <= 150


def test_case_tech_it():
    values = _resolved("case_tech_it")
    assert values["n_technical_universities"] == 1
    assert values["n_firms_tech"] > 0 and values["n_firms_design"] == values["n_firms_agri"] == 0
    assert values["large_firm_share"] > PARAMETERS["large_firm_share"].default
    assert values["fund_budget"] > 0 and values["firm_lecturer_share"] > 0


def test_case_art_design():
    values = _resolved("case_art_design")
    assert values["n_art_schools"] == 1
    assert values["n_firms_design"] >= 3 and values["n_firms_tech"] == values["n_firms_agri"] == 0


def test_case_agri_comprehensive():
    values = _resolved("case_agri_comprehensive")
    assert values["n_comprehensive_universities"] == 1
    assert values["n_firms_agri"] > max(values["n_firms_tech"], values["n_firms_design"])
    assert values["fund_budget"] > 0 and values["incubator_places"] > 0


# --------------------------------------------------------------------------
# (b) the malformed corpus
# --------------------------------------------------------------------------


def _range(path: str) -> str:
    return BY_PATH[path].describe()


# file name -> (offending key or None, substrings the message must contain)
BAD_CASES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "unknown_top_level_key.toml": ("replicates", ("unknown key replicates",)),
    "unknown_section.toml": ("populaton", ("unknown section", "did you mean 'population'")),
    "typo_section.toml": (
        "levers.tax_brake",
        ("unknown section", "did you mean 'levers.tax_break'"),
    ),
    "typo_dotted_key.toml": ("levers.tax_brake", ("did you mean 'levers.tax_break'",)),
    "typo_key.toml": ("levers.tax_break.rat", ("did you mean 'levers.tax_break.rate'",)),
    "typo_scenario_key.toml": ("scenario.replicate", ("did you mean 'replicates'",)),
    "out_of_range_rate.toml": (
        "levers.tax_break.rate",
        ("must be a float in [0, 1]", "got 1.5", _range("levers.tax_break.rate")),
    ),
    "out_of_range_low.toml": (
        "population.n_students",
        (_range("population.n_students"), "got 10"),
    ),
    "negative_budget.toml": (
        "levers.dedicated_fund.budget",
        (_range("levers.dedicated_fund.budget"), "got -100.0"),
    ),
    "nan_rate.toml": ("levers.tax_break.rate", (_range("levers.tax_break.rate"), "got nan")),
    "inf_budget.toml": (
        "levers.dedicated_fund.budget",
        (_range("levers.dedicated_fund.budget"), "got inf"),
    ),
    "negative_inf.toml": (
        "trends.demand_drift_multiplier",
        (_range("trends.demand_drift_multiplier"), "got -inf"),
    ),
    "nan_years.toml": ("scenario.years", ("finite", "got nan")),
    "string_for_number.toml": ("levers.tax_break.rate", ("a float", "got '0.3'")),
    "float_for_integer.toml": ("population.n_students", ("an integer", "got 4000.0")),
    "bool_for_integer.toml": ("levers.incubator.places", ("an integer", "got True")),
    "bool_for_float.toml": ("levers.tax_break.rate", ("a float", "got True")),
    "int_for_string.toml": ("scenario.name", ("a non-empty string", "got 42")),
    "float_for_seed.toml": ("scenario.seed", ("an integer", "got 1.5")),
    "bool_for_replicates.toml": ("scenario.replicates", ("an integer", "got True")),
    "array_for_number.toml": ("levers.tax_break.rate", ("a float", "got [0.3]")),
    "date_for_number.toml": ("levers.tax_break.rate", ("a float", "2024")),
    "table_for_value.toml": ("levers.tax_break.rate", ()),
    "value_for_section.toml": ("levers", ("unknown key levers",)),
    "negative_replicates.toml": ("scenario.replicates", ("[1, 100000]", "got -1")),
    "zero_years.toml": ("scenario.years", ("[1, 200]", "got 0")),
    "missing_scenario.toml": ("scenario", ("missing table [scenario]",)),
    "missing_name.toml": ("scenario.name", ("missing key scenario.name",)),
    "empty_name.toml": ("scenario.name", ("a non-empty string", "got ''")),
    "scenario_not_table.toml": ("scenario", ("must be a table",)),
    "comments_only.toml": ("scenario", ("missing table [scenario]",)),
    "empty.toml": (None, ("empty",)),
    "whitespace_only.toml": (None, ("empty",)),
    "invalid_syntax.toml": (None, ("not valid TOML", "line 1")),
    "unquoted_string.toml": (None, ("not valid TOML", "line 2")),
    "duplicate_key.toml": (None, ("not valid TOML",)),
    "not_utf8.toml": (None, ("UTF-8",)),
    "directory.toml": (None, ("is a directory",)),
    "does_not_exist.toml": (None, ("not found",)),
}
BAD_PATHS = [BAD / name for name in sorted(BAD_CASES)]


def test_bad_corpus_is_complete():
    on_disk = {p.name for p in BAD.iterdir()}
    assert on_disk == set(BAD_CASES) - {"does_not_exist.toml"}
    assert not (BAD / "does_not_exist.toml").exists()
    assert (BAD / "directory.toml").is_dir()


@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: p.name)
def test_bad_file_raises_input_error_naming_file_and_key(path):
    key, fragments = BAD_CASES[path.name]
    with pytest.raises(InputError) as info:
        load_scenario(path)
    err = info.value
    message = str(err)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    assert err.key == key
    if key is not None:
        assert key in err.message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: p.name)
def test_bad_file_also_refused_as_str_path(path):
    with pytest.raises(InputError, match="^" + re.escape(str(path))):
        load_scenario(str(path))


# --------------------------------------------------------------------------
# (c) the CLI
# --------------------------------------------------------------------------


def _assert_one_error_line(err: str, path: Path) -> None:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.startswith(f"error: {path}: "), err


@pytest.mark.parametrize("path", BAD_PATHS, ids=lambda p: p.name)
def test_cli_validate_bad_file(path, capsys):
    assert cli.main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _assert_one_error_line(err, path)
    key = BAD_CASES[path.name][0]
    if key is not None:
        assert key in err


def test_cli_validate_stops_at_the_first_bad_file(capsys):
    bad = BAD / "out_of_range_rate.toml"
    assert cli.main(["validate", str(BASELINE), str(bad), str(BASELINE)]) == 2
    out, err = capsys.readouterr()
    assert out == f"ok: {BASELINE}\n"
    _assert_one_error_line(err, bad)


@pytest.mark.parametrize(
    "name", ["out_of_range_rate.toml", "invalid_syntax.toml", "directory.toml"]
)
def test_cli_subprocess_bad_file(name):
    path = BAD / name
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    _assert_one_error_line(proc.stderr, path)


def test_cli_subprocess_good_file():
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", "validate", str(BASELINE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"ok: {BASELINE}\n"
    assert proc.stderr == ""


# --------------------------------------------------------------------------
# (d) generated from the registry
# --------------------------------------------------------------------------

ALL = list(PARAMETERS.values())


def _ids(p: Parameter) -> str:
    return p.path


def _toml_literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return repr(value)


def _write(tmp_path: Path, p: Parameter, value) -> Path:
    path = tmp_path / "generated.toml"
    path.write_text(
        f'[scenario]\nname = "generated"\n\n[{p.section}]\n{p.key} = {_toml_literal(value)}\n',
        encoding="utf-8",
    )
    return path


def _just_outside(p: Parameter) -> list:
    values = []
    if p.kind is bool:
        return values
    if p.low is not None:
        values.append(p.low - 1 if p.kind is int else math.nextafter(p.low, -math.inf))
    if p.high is not None:
        values.append(p.high + 1 if p.kind is int else math.nextafter(p.high, math.inf))
    return values


def _wrong_type(p: Parameter) -> list:
    if p.kind is bool:
        return [1, 0, "true", 1.0]
    if p.kind is int:
        return [float(p.default), str(p.default), True]
    return [str(p.default), True, False]


OUTSIDE = [(p, v) for p in ALL for v in _just_outside(p)]
WRONG_TYPE = [(p, v) for p in ALL for v in _wrong_type(p)]
NON_FINITE = [(p, v) for p in ALL if p.kind is float for v in (math.nan, math.inf, -math.inf)]


def test_registry_is_consistent():
    assert len(BY_PATH) == len(PARAMETERS)
    for name, p in PARAMETERS.items():
        assert p.name == name
        assert BY_PATH[p.path] is p
        assert p.section in SECTIONS
        assert p.kind in (bool, int, float)


@pytest.mark.parametrize("p", ALL, ids=_ids)
def test_default_passes_its_own_check_and_lies_in_range(p):
    checked = p.check(p.default)
    assert checked == p.default and type(checked) is p.kind
    if p.low is not None:
        assert p.default >= p.low
    if p.high is not None:
        assert p.default <= p.high
    if p.low is not None and p.high is not None:
        assert p.low < p.high


@pytest.mark.parametrize("p", ALL, ids=_ids)
def test_parameter_is_documented(p):
    for field in ("unit", "meaning", "source"):
        value = getattr(p, field)
        assert isinstance(value, str) and value.strip(), f"{p.path} has no {field}"


@pytest.mark.parametrize("section", LEVER_SECTIONS)
def test_every_lever_is_off_at_its_default(section):
    switches = [p for p in ALL if p.section == section and "lever off" in p.meaning]
    assert switches, f"{section} has no parameter saying '(0: lever off)'"
    assert all(p.lever for p in ALL if p.section == section)
    assert all(p.default == 0 for p in switches)


@pytest.mark.parametrize("p", ALL, ids=_ids)
def test_default_written_in_a_file_loads(p, tmp_path):
    scenario = load_scenario(_write(tmp_path, p, p.default))
    assert scenario.params == {p.name: p.default}


@pytest.mark.parametrize("p", [p for p in ALL if p.kind is not bool], ids=_ids)
def test_bounds_are_inclusive(p, tmp_path):
    for bound in (p.low, p.high):
        if bound is not None:
            value = p.kind(bound)
            assert load_scenario(_write(tmp_path, p, value)).params == {p.name: value}


@pytest.mark.parametrize(("p", "value"), OUTSIDE, ids=[f"{p.path}={v!r}" for p, v in OUTSIDE])
def test_value_just_outside_range_is_rejected(p, value, tmp_path):
    path = _write(tmp_path, p, value)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert info.value.key == p.path
    assert message.startswith(f"{path}: {p.path} must be {p.describe()}; got ")
    with pytest.raises(ValueError, match=p.path):
        p.check(value)


@pytest.mark.parametrize(("p", "value"), WRONG_TYPE, ids=[f"{p.path}={v!r}" for p, v in WRONG_TYPE])
def test_value_of_wrong_type_is_rejected(p, value, tmp_path):
    path = _write(tmp_path, p, value)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.key == p.path
    assert f"{p.path} must be {p.describe()}; got {value!r}" in str(info.value)


@pytest.mark.parametrize(("p", "value"), NON_FINITE, ids=[f"{p.path}={v!r}" for p, v in NON_FINITE])
def test_non_finite_value_is_rejected(p, value, tmp_path):
    path = _write(tmp_path, p, value)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.key == p.path
    assert p.describe() in str(info.value)


def test_boolean_parameter_refuses_integers():
    # the registry has no boolean parameter yet; the check must still be strict
    flag = Parameter("flag", "trends", "flag", False, None, None, "flag", "a switch", "test")
    assert flag.describe() == "a boolean"
    assert flag.check(True) is True
    for value in (0, 1, 1.0, "true"):
        with pytest.raises(ValueError, match=r"trends\.flag must be a boolean"):
            flag.check(value)


# --------------------------------------------------------------------------
# (e) "did you mean"
# --------------------------------------------------------------------------


def _misspell(word: str) -> str:
    """Drop the last letter, or the one before it for very short words."""
    return word[:-1] if len(word) > 3 else word + word[-1]


KEY_TYPOS = [p for p in ALL if f"{p.section}.{_misspell(p.key)}" not in BY_PATH]


@pytest.mark.parametrize("p", KEY_TYPOS, ids=_ids)
def test_misspelt_key_suggests_the_parameter(p, tmp_path):
    path = tmp_path / "typo.toml"
    typo = _misspell(p.key)
    path.write_text(f'[scenario]\nname = "t"\n\n[{p.section}]\n{typo} = 1\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.key == f"{p.section}.{typo}"
    assert f"unknown key {p.section}.{typo} (did you mean '{p.path}'?)" in str(info.value)


@pytest.mark.parametrize("section", SECTIONS)
def test_misspelt_section_suggests_the_section(section, tmp_path):
    head, _, last = section.rpartition(".")
    typo = f"{head}.{_misspell(last)}" if head else _misspell(last)
    key = next(p.key for p in ALL if p.section == section)
    path = tmp_path / "typo.toml"
    path.write_text(f'[scenario]\nname = "t"\n\n[{typo}]\n{key} = 1\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.key == typo
    assert f"unknown section [{typo}] (did you mean '{section}'?)" in str(info.value)


@pytest.mark.parametrize("key", ["name", "description", "years", "seed", "replicates"])
def test_misspelt_scenario_key_suggests_the_key(key, tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(f'[scenario]\nname = "t"\n{_misspell(key)} = 1\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.key == f"scenario.{_misspell(key)}"
    assert f"did you mean '{key}'?" in str(info.value)


# --------------------------------------------------------------------------
# Edge cases: huge integers, misplaced [scenario] keys, misspelt parent tables
# --------------------------------------------------------------------------


def test_huge_integer_for_float_parameter_is_an_input_error(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text(
        '[scenario]\nname = "t"\n\n[levers.tax_break]\nrate = ' + "9" * 400 + "\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"levers\.tax_break\.rate is an integer of about 400 digits; "
                       r"expected a number of at most 300 digits"):
        load_scenario(path)


def test_top_level_scenario_key_suggests_the_scenario_table():
    with pytest.raises(InputError, match=r"did you mean 'scenario\.replicates'"):
        load_scenario(BAD / "unknown_top_level_key.toml")


def test_misspelt_parent_table_suggests_levers(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('[scenario]\nname = "t"\n\n[levrs.tax_break]\nrate = 0.3\n', encoding="utf-8")
    with pytest.raises(InputError, match="did you mean 'levers"):
        load_scenario(path)
