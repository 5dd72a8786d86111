"""Regression tests for input-validation defects found by hostile testing.

Every case drives the CLI as a user would (``simulation.cli.main``) and
checks the project's rule for bad input: exactly one line on stderr starting
``error:``, naming the file, the key and what was expected; exit code 2; no
traceback; nothing run and nothing written.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cli_errors import one_error_line

import simulation.batch.out_paths
import simulation.run
from simulation.cli import main
from simulation.model import IndustryEducationModel

SMALL = '[scenario]\nname = "small"\nyears = 1\nseed = 3\n\n[population]\nn_students = 300\n'


def _code(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:  # argparse usage errors
        return exc.code


def _one_error_line(capsys, *fragments: str) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1, repr(err[:500])
    return one_error_line(err, *fragments)


def _scenario(tmp_path: Path, text: str = SMALL, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if the model is run at all."""

    def boom(*args, **kwargs):
        raise AssertionError("the model ran on bad input")

    monkeypatch.setattr(simulation.run, "run_scenario", boom)


# --------------------------------------------------------------------------
# 1. a named pipe (or a device) as the scenario file hung validate and run
# --------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
@pytest.mark.parametrize("command", ["validate", "run"])
def test_fifo_scenario_is_refused_not_read(command, tmp_path, capsys, no_run):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    args = [command, str(fifo)] + (["--out", str(out)] if command == "run" else [])
    assert _code(args) == 2
    _one_error_line(capsys, f"error: {fifo}: ", "named pipe", "not a regular file")
    assert not out.exists()
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left alone


@pytest.mark.timeout(60)
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_character_device_scenario_is_refused_not_read(capsys):
    assert _code(["validate", "/dev/zero"]) == 2
    _one_error_line(capsys, "error: /dev/zero: ", "character device", "not a regular file")


# --------------------------------------------------------------------------
# 2. an unusable --out failed with a traceback after the whole run
# --------------------------------------------------------------------------


def test_out_dev_null_is_refused_before_running(tmp_path, capsys, no_run):
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    assert _code(["run", str(_scenario(tmp_path)), "--out", "/dev/null"]) == 2
    _one_error_line(capsys, "error: /dev/null: ", "--out must be a writable directory", "not a directory")


def test_out_existing_file_is_refused_and_kept(tmp_path, capsys, no_run):
    out = tmp_path / "results.txt"
    out.write_text("precious", encoding="utf-8")
    assert _code(["run", str(_scenario(tmp_path)), "--out", str(out)]) == 2
    _one_error_line(capsys, f"error: {out}: ", "--out must be a writable directory", "not a directory")
    assert out.read_text(encoding="utf-8") == "precious"


def test_out_under_a_file_is_refused(tmp_path, capsys, no_run):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "sub" / "dir"
    assert _code(["run", str(_scenario(tmp_path)), "--out", str(out)]) == 2
    _one_error_line(capsys, f"error: {out}: ", "--out", f"{blocker} is not a directory")
    assert blocker.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("below", [False, True], ids=["dir", "new_subdir"])
def test_out_unwritable_directory_is_refused(below, tmp_path, capsys, no_run, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores file modes: make new files fail instead
            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied (cannot write)")

            monkeypatch.setattr(simulation.batch.out_paths.tempfile, "mkstemp", refuse)
            monkeypatch.setattr(simulation.batch.out_paths.os, "makedirs", refuse)
        out = locked / "new" if below else locked
        assert _code(["run", str(_scenario(tmp_path)), "--out", str(out)]) == 2
        _one_error_line(capsys, f"error: {out}: ", "--out must be a writable directory", "cannot write")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_out_unwritable_is_refused_even_as_root(tmp_path, capsys, no_run, monkeypatch):
    # root ignores file modes, so simulate a directory that refuses new files
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(simulation.batch.out_paths.tempfile, "mkstemp", refuse)
    out = tmp_path / "new" / "deeper"
    assert _code(["run", str(_scenario(tmp_path)), "--out", str(out)]) == 2
    _one_error_line(capsys, f"error: {out}: ", "--out must be a writable directory",
                    "Permission denied")
    assert not (tmp_path / "new").exists()  # directories made for the check are removed


def test_out_check_leaves_nothing_behind(tmp_path):
    out = tmp_path / "a" / "b"
    simulation.run.check_out_dir(out)
    assert not (tmp_path / "a").exists()
    out.mkdir(parents=True)
    simulation.run.check_out_dir(out)
    assert list(out.iterdir()) == []


def test_out_empty_string_is_refused(tmp_path, capsys, no_run):
    assert _code(["run", str(_scenario(tmp_path)), "--out", ""]) == 2
    _one_error_line(capsys, "--out must be a directory path")


# --------------------------------------------------------------------------
# 3. --out silently overwrote an earlier run
# --------------------------------------------------------------------------


def test_out_with_an_earlier_run_needs_overwrite(tmp_path, capsys, monkeypatch):
    scen = _scenario(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(scen), "--out", str(out)]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"summary.json", "timeseries.parquet"}

    real_run = simulation.run.run_scenario
    monkeypatch.setattr(simulation.run, "run_scenario", lambda *a, **k: pytest.fail("ran"))
    assert _code(["run", str(scen), "--out", str(out), "--seed", "4"]) == 2
    _one_error_line(capsys, f"error: {out}: ", "earlier run", "summary.json", "--overwrite")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    monkeypatch.setattr(simulation.run, "run_scenario", real_run)
    assert main(["run", str(scen), "--out", str(out), "--seed", "4", "--overwrite"]) == 0
    assert "seed 4" in capsys.readouterr().out
    assert json.loads((out / "summary.json").read_text())["seed"] == 4
    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "timeseries.parquet"]


@pytest.mark.parametrize("name", ["summary.json", "timeseries.parquet"])
def test_out_with_either_result_file_is_refused(name, tmp_path, capsys, no_run):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text("old", encoding="utf-8")
    assert _code(["run", str(_scenario(tmp_path)), "--out", str(out)]) == 2
    _one_error_line(capsys, name, "--overwrite")
    assert (out / name).read_text(encoding="utf-8") == "old"


def test_out_with_other_files_is_fine(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", str(_scenario(tmp_path)), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "summary.json", "timeseries.parquet"]


# --------------------------------------------------------------------------
# 4. files that validated but could not run: no university, no firm
# --------------------------------------------------------------------------

NO_UNIVERSITY = ("[population]\ntechnical_universities = 0\nart_schools = 0\n"
                 "comprehensive_universities = 0\n")
NO_FIRM = "[population]\nfirms_tech = 0\nfirms_design = 0\nfirms_agri = 0\n"


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(
    ("table", "fragments"),
    [
        (NO_UNIVERSITY, ("population.technical_universities", "population.art_schools",
                         "population.comprehensive_universities", "at least one university is needed")),
        (NO_FIRM, ("population.firms_tech", "population.firms_design", "population.firms_agri",
                   "at least one firm")),
    ],
    ids=["no_university", "no_firm"],
)
def test_population_the_model_cannot_run_is_refused(command, table, fragments, tmp_path, capsys, no_run):
    path = _scenario(tmp_path, '[scenario]\nname = "empty"\n\n' + table)
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out)] if command == "run" else [])
    assert _code(args) == 2
    _one_error_line(capsys, f"error: {path}: ", *fragments)
    assert not out.exists()


def test_one_university_and_one_sector_of_firms_is_enough(tmp_path, capsys):
    path = _scenario(tmp_path, '[scenario]\nname = "one"\n\n[population]\ntechnical_universities = 0\n'
                     "art_schools = 1\ncomprehensive_universities = 0\nfirms_tech = 0\nfirms_agri = 0\n")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == f"ok: {path}\n"


def test_model_constructor_refuses_no_university():
    with pytest.raises(ValueError, match="at least one university"):
        IndustryEducationModel(rng=1, n_students=300, n_technical_universities=0, n_art_schools=0,
                               n_comprehensive_universities=0)


def test_model_constructor_refuses_no_firm():
    with pytest.raises(ValueError, match="firm"):
        IndustryEducationModel(rng=1, n_students=300, n_firms_tech=0, n_firms_design=0, n_firms_agri=0)


# --------------------------------------------------------------------------
# 5. deep nesting gave a RecursionError traceback
# --------------------------------------------------------------------------

DEPTH = 5000


def _deep(kind: str) -> str:
    head = '[scenario]\nname = "deep"\n\n[levers.tax_break]\n'
    if kind == "inline_tables":
        return head + "rate = " + "{a = " * DEPTH + "1" + "}" * DEPTH + "\n"
    if kind == "arrays":
        return head + "rate = " + "[" * DEPTH + "1" + "]" * DEPTH + "\n"
    # tomllib reads a long dotted header without recursing; checking and
    # echoing the value it makes (50000 nested tables) recursed instead
    return "[scenario.name" + ".a" * (10 * DEPTH) + "]\nb = 1\n"


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("kind", ["inline_tables", "arrays", "dotted_header"])
def test_deep_nesting_is_one_error_line(kind, command, tmp_path, capsys, no_run):
    path = _scenario(tmp_path, _deep(kind), "deep.toml")
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out)] if command == "run" else [])
    assert _code(args) == 2
    _one_error_line(capsys, f"error: {path}: ", "nested too deeply")
    assert not out.exists()


# --------------------------------------------------------------------------
# 6. iesim run --years had no upper bound
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--years", "201", "--years must be an integer in [1, 200]; got 201"),
        ("--years", "1000000", "--years must be an integer in [1, 200]; got 1000000"),
        ("--years", "0", "--years must be an integer in [1, 200]; got 0"),
        ("--seed", str(2**63), f"--seed must be an integer in [0, 2**63-1]; got {2**63}"),
        ("--seed", "-1", "--seed must be an integer in [0, 2**63-1]; got -1"),
    ],
)
def test_run_option_out_of_range_is_refused(option, value, fragment, tmp_path, capsys, no_run):
    out = tmp_path / "out"
    assert _code(["run", str(_scenario(tmp_path)), option, value, "--out", str(out)]) == 2
    _one_error_line(capsys, fragment)
    assert not out.exists()


# --------------------------------------------------------------------------
# 7. error lines broke the one-line rule
# --------------------------------------------------------------------------


def test_key_with_newline_is_one_error_line(tmp_path, capsys):
    path = _scenario(tmp_path, '"a\\nerror: b" = 1\n\n[scenario]\nname = "k"\n')
    assert _code(["validate", str(path)]) == 2
    err = _one_error_line(capsys, f"error: {path}: ", "unknown key", "a\\nerror: b")
    assert err.count("error:") == 2  # the key's own text, escaped onto the same line


@pytest.mark.parametrize("char", ["\r", "\t", "\x1b", "\x85", "\u2028", "\u202e", "\x00"])
def test_control_characters_in_a_key_are_escaped(char, tmp_path, capsys):
    escaped = json.dumps(char)[1:-1]  # TOML basic strings share JSON's escapes
    path = _scenario(tmp_path, f'"a{escaped}b" = 1\n\n[scenario]\nname = "x"\n')
    assert _code(["validate", str(path)]) == 2
    err = _one_error_line(capsys, f"error: {path}: ", "unknown key a\\")
    assert char not in err


def test_file_name_with_newline_is_one_error_line(tmp_path, capsys):
    path = tmp_path / "bad\nerror: injected.toml"
    assert _code(["validate", str(path)]) == 2
    _one_error_line(capsys, "bad\\nerror: injected.toml", "not found")


def test_ten_megabyte_value_is_cut(tmp_path, capsys):
    big = "x" * 10_000_000
    path = _scenario(tmp_path, f'[scenario]\nname = "big"\n\n[levers.tax_break]\nrate = "{big}"\n')
    assert _code(["validate", str(path)]) == 2
    err = _one_error_line(capsys, f"error: {path}: ", "levers.tax_break.rate must be a float in [0, 1]",
                          "...", "characters in all")
    assert len(err) < 400


def test_ten_megabyte_key_is_cut(tmp_path, capsys):
    text = '[scenario]\nname = "big"\n\n[levers.tax_break]\n' + "k" * 10_000_000 + " = 1\n"
    path = _scenario(tmp_path, text)
    assert _code(["validate", str(path)]) == 2
    err = _one_error_line(capsys, f"error: {path}: ", "unknown key levers.tax_break.kkk")
    assert len(err) < 400


def test_usage_error_with_newline_is_one_line(capsys):
    assert _code(["run", "x.toml", "--bogus\nerror:x"]) == 2
    _one_error_line(capsys, "unrecognized arguments", "--bogus\\nerror:x")


# --------------------------------------------------------------------------
# 8. small validation gaps: one parameter at two addresses, a blank name
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ('"levers.tax_break.rate" = 0.1\n\n[scenario]\nname = "d"\n\n[levers.tax_break]\nrate = 0.3\n',
         '"levers.tax_break.rate"', "levers.tax_break.rate"),
        ('[scenario]\nname = "d"\n\n[levers]\n"tax_break.rate" = 0.1\n\n[levers.tax_break]\nrate = 0.3\n',
         'levers."tax_break.rate"', "levers.tax_break.rate"),
        ('[scenario]\nname = "d"\n\n[levers.tax_break]\nrate = 0.3\n\n[levers."tax_break"]\n',
         None, None),  # the same table written twice is TOML's own error
    ],
    ids=["quoted_dotted_key_and_table", "partly_quoted_and_table", "same_table_twice"],
)
def test_parameter_at_two_addresses_is_refused(text, first, second, tmp_path, capsys):
    path = _scenario(tmp_path, text)
    out = tmp_path / "out"
    assert _code(["run", str(path), "--out", str(out)]) == 2
    if first is None:
        _one_error_line(capsys, f"error: {path}: ", "not valid TOML")
    else:
        _one_error_line(capsys, f"error: {path}: ", "levers.tax_break.rate is given twice",
                        f"as {first} and as {second}")
    assert not out.exists()


def test_parameter_at_one_quoted_address_is_still_accepted(tmp_path, capsys):
    path = _scenario(tmp_path, '"levers.tax_break.rate" = 0.1\n\n[scenario]\nname = "q"\n')
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == f"ok: {path}\n"


@pytest.mark.parametrize("name", ["   ", "\\t", " \\n "])
def test_blank_scenario_name_is_refused(name, tmp_path, capsys):
    path = _scenario(tmp_path, f'[scenario]\nname = "{name}"\n')
    assert _code(["validate", str(path)]) == 2
    _one_error_line(capsys, f"error: {path}: ", "scenario.name must be a non-empty string")
