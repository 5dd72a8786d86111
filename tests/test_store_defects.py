"""Results store and its commands: locking, plan checks, caps, damaged stores, file modes."""

from __future__ import annotations

import fcntl
import io
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_batch_toy import TOY

from simulation.batch import ResultsStore, plan_runs, run_batch
from simulation.batch import files as store_module
from simulation.batch.batchfile import MAX_RUNS, load_batch
from simulation.cli import main
from simulation.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
BAD = FIXTURES / "bad"
SCENARIOS = FIXTURES / "scenarios"

TINY = f"""# 2 scenarios x 2 replicates of one year: the fastest real batch
[batch]
name = "tiny"
scenarios = [{str(SCENARIOS / "base.toml")!r}, {str(SCENARIOS / "tax.toml")!r}]
replicates = 2
seed = 7
years = 1
reference = "base"

[population]
n_students = 600
technical_universities = 1
art_schools = 1
comprehensive_universities = 1
firms_tech = 10
firms_design = 6
firms_agri = 6
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def finished(tiny, tmp_path_factory) -> Path:
    """A finished store of the tiny batch (copy it before changing it)."""
    out = tmp_path_factory.mktemp("finished") / "out"
    assert main(["batch", str(tiny), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    return out


@pytest.fixture
def store_copy(finished, tmp_path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    return out


def batch(tiny, out, *extra):
    return main(["batch", str(tiny), "--out", str(out), "--backend", "serial", "--quiet",
                 *extra])


def one_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in captured.err
    return lines[0]


def snapshot(root: Path) -> dict:
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")}


def hold_lock(root: Path) -> subprocess.Popen:
    """Another process holding ``root``'s lock, as a running batch would."""
    code = ("import fcntl, os, signal; "
            f"fd = os.open({str(root / '.lock')!r}, os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); signal.pause()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def change_stored_hash(root: Path, line: int, new: str) -> str:
    """Make a stored run look planned otherwise (its journal line's run hash); its run id.

    The manifest's plan hash is cleared too, as in a store whose plan changed
    since, so a resume checks each stored run against its plan.
    """
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["plan"]["hash"] = None
    (root / "manifest.json").write_text(json.dumps(manifest))
    lines = (root / "status.jsonl").read_text().splitlines()
    entry = json.loads(lines[line])
    entry["run_hash"] = new
    lines[line] = json.dumps(entry)
    (root / "status.jsonl").write_text("\n".join(lines) + "\n")
    return entry["run_id"]


def lock_is_free(root: Path) -> bool:
    fd = os.open(root / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


# ---------------------------------------------------------------- 1. locking
def test_a_store_in_use_is_refused_and_a_killed_holder_leaves_no_stale_lock(
        tiny, store_copy, tmp_path, capsys):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    holders = [hold_lock(fresh), hold_lock(store_copy)]
    try:
        assert batch(tiny, fresh) == 2
        assert "another batch is using" in one_error(capsys)
        assert [p.name for p in fresh.iterdir()] == [".lock"]  # nothing written
        before = snapshot(store_copy)
        for extra in (["--resume"], []):
            assert batch(tiny, store_copy, *extra) == 2
            line = one_error(capsys)
            assert "another batch is using" in line and line.startswith(f"error: {store_copy}:")
        assert snapshot(store_copy) == before
    finally:
        for proc in holders:  # killed as with kill -9: its flock dies with it
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    assert batch(tiny, fresh) == 0
    assert len(pd.read_parquet(fresh / "summary.parquet")) == 4
    assert lock_is_free(fresh)  # released when the batch ended
    capsys.readouterr()


def test_the_lock_is_held_during_a_batch_and_released_on_errors(tiny, store_copy, capsys):
    seen = []

    def record(self, result, original=ResultsStore.record):
        seen.append(lock_is_free(self.root))
        return original(self, result)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ResultsStore, "record", record)
        (store_copy / "status.jsonl").write_text("")  # every run again
        assert batch(tiny, store_copy, "--resume") == 0
    assert seen == [False] * 4
    assert lock_is_free(store_copy)
    capsys.readouterr()
    # refused after locking (a changed plan): the lock is let go too
    change_stored_hash(store_copy, 0, "0" * 16)
    assert batch(tiny, store_copy, "--resume") == 2
    assert lock_is_free(store_copy)


def idle(ready) -> None:
    ready.set()
    signal.pause()


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_library_stores_lock_and_forked_workers_do_not_keep_the_lock(tmp_path):
    specs = plan_runs({"a": {}}, 2, seed=1, steps=3)
    store = ResultsStore.create(tmp_path / "s", specs, batch_hash="h")
    assert not lock_is_free(store.root)
    again = ResultsStore.resume(tmp_path / "s", specs, batch_hash="h")  # same process: shared
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    worker = context.Process(target=idle, args=(ready,))
    worker.start()
    try:
        assert ready.wait(600)  # a guard against a hang, not a measure of speed
        store.close()
        assert not lock_is_free(again.root)
        again.close()
        assert lock_is_free(again.root)  # the forked worker closed its copy of the lock file
    finally:
        worker.kill()
        worker.join()
    with ResultsStore.resume(tmp_path / "s", specs, batch_hash="h") as third:
        assert not lock_is_free(third.root)
    assert lock_is_free(third.root)


# ---------------------------------------------------------------- 2. design factors
def test_a_batch_level_setting_of_a_design_factor_is_refused():
    with pytest.raises(InputError) as err:
        load_batch(BAD / "design_factor_overridden.toml")
    assert err.value.key == "levers.tax_break.rate"
    assert "design.parameters.tax_break_rate" in str(err.value)
    assert "levers.tax_break.rate = 0.1" in str(err.value)


# ---------------------------------------------------------------- 3. run cap
def test_too_many_runs_are_refused_before_any_is_planned(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert batch(tiny, out, "--max-runs", "3") == 2
    line = one_error(capsys)
    assert "= 4 runs" in line and "cap of 3 runs" in line and "--max-runs 4" in line
    assert batch(tiny, out, "--max-runs", "100", "--ci-width", "0.1") == 2  # 2 x 200
    line = one_error(capsys)
    assert "400 runs" in line and "batch.max_replicates" in line and "--max-runs" in line
    assert batch(tiny, out, "--max-runs", "0") == 2
    assert "--max-runs must be an integer >= 1" in one_error(capsys)
    assert not out.exists()
    huge = BAD / "too_many_runs.toml"
    assert main(["validate", str(huge)]) == 2
    line = one_error(capsys)
    assert "1,000,000,000 runs" in line and f"cap of {MAX_RUNS:,}" in line
    assert len(load_batch(huge, max_runs=10**9).scenarios) == 10_000  # the flag raises the cap


# ---------------------------------------------------------------- 4. --out
def test_out_under_a_file_is_refused_before_anything_runs(tiny, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert batch(tiny, afile / "sub" / "deeper") == 2
    line = one_error(capsys)
    assert "cannot be created" in line and "is a file" in line
    assert afile.read_text() == "mine"


def test_out_in_an_unwritable_directory_is_refused(tiny, tmp_path, capsys, monkeypatch):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        if os.access(parent, os.W_OK):  # root: permissions do not stop it, so pretend
            real = os.access
            monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != parent and real(p, mode))
        assert batch(tiny, parent / "out") == 2
        assert "not writable" in one_error(capsys)
        assert batch(tiny, parent) == 2  # an existing but unwritable --out
        assert "not writable" in one_error(capsys)
    finally:
        parent.chmod(0o700)
    assert list(parent.iterdir()) == []


# ---------------------------------------------------------------- 5. damaged stores
def report(root, *extra):
    return main(["report", str(root), "--no-figure", *extra])


def test_report_of_a_store_with_a_truncated_part_leaves_the_run_out(store_copy, capsys):
    part = sorted((store_copy / "parts").glob("*.parquet"))[0]
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    assert report(store_copy, "--full") == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "### employment_rate_12m" in captured.out
    assert "| base | 1 |" in captured.out  # one replicate of base is left
    notes = [line for line in captured.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "1 of 4 planned runs have no results" in notes[0]
    assert "damaged" in notes[0] and "--resume" in notes[0]


def test_report_of_a_half_finished_store_says_how_many_runs_are_missing(store_copy, capsys):
    lines = (store_copy / "status.jsonl").read_text().splitlines()
    (store_copy / "status.jsonl").write_text("\n".join(lines[:2]) + "\n")
    (store_copy / "summary.parquet").unlink()
    assert report(store_copy, "--format", "csv") == 0
    captured = capsys.readouterr()
    assert "2 of 4 planned runs have no results" in captured.err
    assert pd.read_csv(io.StringIO(captured.out))["n"].sum() > 0


def test_report_skips_journal_lines_without_a_status(store_copy, finished, capsys):
    with open(store_copy / "status.jsonl", "a") as fh:
        fh.write('{"run_id": "s001-r00001"}\n{"run_id": "s009-r00000", "error": "x"}\n'
                 '["not", "an", "entry"]\n{"status": "failed"}\n')
    assert report(store_copy) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "note:" not in captured.err
    assert main(["report", str(finished), "--no-figure"]) == 0
    assert capsys.readouterr().out == captured.out  # the same table as the intact store


def test_report_of_an_unwritable_store_prints_the_tables_and_one_warning(store_copy, capsys):
    for name in ("evaluation", "acceptability", "frontier"):  # files it has to create
        for suffix in ("csv", "parquet"):
            (store_copy / f"{name}.{suffix}").unlink()
    store_copy.chmod(0o500)
    try:
        if os.access(store_copy, os.W_OK):  # root: make the outputs unwritable instead
            for name in ("evaluation.csv", "effects.png"):
                (store_copy / name).mkdir()
        assert main(["report", str(store_copy), "--figures", "--full"]) == 0
    finally:
        store_copy.chmod(0o700)
    captured = capsys.readouterr()
    assert "### employment_rate_12m" in captured.out
    assert "### policy evaluation against base" in captured.out
    assert "Traceback" not in captured.err
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, captured.err
    assert "evaluation tables" in warnings[0] and "effects figure" in warnings[0]


def test_report_refuses_an_unknown_figure_suffix_first(store_copy, tmp_path, capsys):
    before = snapshot(store_copy)
    figure = tmp_path / "x.xyz"
    assert main(["report", str(store_copy), "--figure", str(figure)]) == 2
    line = one_error(capsys)
    assert "--figure must be an image file" in line and ".png" in line and "x.xyz" in line
    assert "cut;" not in line
    assert capsys.readouterr().out == ""
    assert not figure.exists() and snapshot(store_copy) == before
    assert main(["report", str(tmp_path / "no_store"), "--figure", "e.xyz"]) == 2
    assert "--figure" in one_error(capsys)


# ---------------------------------------------------------------- 6. minor
def test_a_manifest_without_a_plan_is_a_damaged_store(tiny, store_copy, capsys):
    manifest = json.loads((store_copy / "manifest.json").read_text())
    del manifest["plan"]
    (store_copy / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(store_copy)
    assert report(store_copy) == 2
    line = one_error(capsys)
    assert "not a results store, or a damaged manifest" in line and "plan" in line
    assert batch(tiny, store_copy, "--resume") == 2
    assert "damaged manifest" in one_error(capsys)
    assert snapshot(store_copy) == before


def test_resume_in_a_directory_that_is_not_a_store_suggests_another_out(tiny, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert batch(tiny, out, "--resume") == 2
    line = one_error(capsys)
    assert "not a results store" in line and "choose a new --out" in line
    assert "use --resume" not in line
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def store_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_store_files_respect_the_umask(finished, tmp_path):
    umask = store_module._umask()
    files = store_files(finished)
    assert {"manifest.json", "summary.parquet", "status.jsonl", "evaluation.csv"} <= {
        p.name for p in files}
    assert {p.stat().st_mode & 0o777 for p in files} == {0o666 & ~umask}
    old = os.umask(0o027)
    store_module._umask.cache_clear()
    try:
        specs = plan_runs({"a": {}}, 2, seed=1, steps=3)
        with ResultsStore.create(tmp_path / "s", specs, batch_hash="h") as store:
            run_batch(TOY, store.pending_specs(), store.record, backend="serial")
            store.finalize()
    finally:
        os.umask(old)
        store_module._umask.cache_clear()
    assert {p.stat().st_mode & 0o777 for p in store_files(tmp_path / "s")} == {0o640}


# ---------------------------------------------------------------- 7. changed plan
def test_resume_refuses_a_changed_plan_with_the_same_batch_hash(tmp_path):
    scenarios = {"flat": {}, "up": {"drift": 0.1}}
    with ResultsStore.create(tmp_path, plan_runs(scenarios, 2, 4, 10), "same") as store:
        run_batch(TOY, store.pending_specs(), store.record, backend="serial")
        store.finalize()
    before = snapshot(tmp_path)
    longer = plan_runs(scenarios, 2, 4, 20)  # more steps per run
    with pytest.raises(InputError) as err:
        ResultsStore.resume(tmp_path, longer, "same")
    assert "run s000-r00000" in str(err.value) and "another --out" in str(err.value)
    other = plan_runs({"flat": {}, "up": {"drift": 0.2}}, 2, 4, 10)  # other parameters
    with pytest.raises(InputError, match="run s001-r00000"):
        ResultsStore.resume(tmp_path, other, "same")
    assert snapshot(tmp_path) == before
    # the same plan resumes; more replicates are checked and planned once each
    with ResultsStore.resume(tmp_path, plan_runs(scenarios, 1, 4, 10), "same") as store:
        with pytest.raises(InputError, match="run s000-r00000"):  # stored replicates differ
            store.add_specs(plan_runs(scenarios, 2, 4, 20))
        store.add_specs(plan_runs(scenarios, 3, 4, 10))
        ids = list(store.specs)
        assert len(ids) == len(set(ids)) == 6
        assert [s.run_id for s in store.pending_specs()] == ["s000-r00002", "s001-r00002"]


def test_cli_resume_refuses_a_run_whose_stored_hash_differs(tiny, store_copy, capsys):
    changed = change_stored_hash(store_copy, 2, "0123456789abcdef")
    before = snapshot(store_copy)
    assert batch(tiny, store_copy, "--resume") == 2
    line = one_error(capsys)
    assert f"run {changed}" in line and "planned differently" in line
    assert "0123456789abcdef" in line and "another --out" in line
    assert snapshot(store_copy) == before
