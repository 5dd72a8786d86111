"""Results store: kill -9 then --resume, corrupt parts, refusing a different batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from interrupt import WAIT, held_command
from test_batch_toy import HELD, TOY

from simulation.batch import ResultsStore, plan_runs, run_batch
from simulation.batch.runner import stable_hash
from simulation.cli import main

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures" / "batch"
IESIM = [sys.executable, "-m", "simulation.cli"]
TOY_SCENARIOS = {"flat": {"sleep": 0.005}, "up": {"drift": 0.1, "sleep": 0.005},
                 "down": {"drift": -0.1, "sleep": 0.005}}


def toy_store(out, resume=False, scenarios=TOY_SCENARIOS, replicates=8):
    specs = plan_runs(scenarios, replicates, seed=4, steps=20)
    opener = ResultsStore.resume if resume else ResultsStore.create
    return opener(out, specs, batch_hash=stable_hash(scenarios))


def drive(out: str, backend: str, hold_after: int | None = None) -> None:
    """Run the toy batch into ``out`` (called in a subprocess that gets killed).

    With ``hold_after``, the batch stops recording after that many runs and
    waits there for the kill, however fast the machine runs it.
    """
    store = toy_store(Path(out))
    record = store.record
    if hold_after is not None:
        def record(result):
            if len(store.status) >= hold_after:
                threading.Event().wait()  # held here until the test kills this process
            store.record(result)
    run_batch(TOY, store.pending_specs(), record, backend=backend, workers=2, chunk_size=2)
    store.finalize()


def drive_held(out: str, hold: str) -> None:
    """Run the toy batch with held runs (see ``HeldToy``) into ``out``, in a subprocess."""
    scenarios = {**TOY_SCENARIOS, "held": {"hold": hold}}
    specs = plan_runs(scenarios, 8, seed=4, steps=20)
    store = ResultsStore.create(Path(out), specs, batch_hash=stable_hash(scenarios))
    run_batch(HELD, store.pending_specs(), store.record, backend="processes", workers=2,
              chunk_size=2)
    store.finalize()


def journal(out: Path) -> list[dict]:
    path = out / "status.jsonl"
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def wait_for(condition, proc, what: str, timeout: float = WAIT) -> None:
    """Wait until ``condition()`` holds while ``proc`` runs (a generous guard, not a speed test)."""
    end = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the batch ended before {what}"
        assert time.monotonic() < end, f"no {what} in {timeout:g} s"
        time.sleep(0.02)


def wait_for_runs(out: Path, n: int, proc, timeout: float = WAIT) -> None:
    wait_for(lambda: len(journal(out)) >= n, proc, f"{n} runs were stored", timeout)


def kill_9(proc) -> None:
    os.kill(proc.pid, signal.SIGKILL)  # the batch's main process, as `kill -9 PID`
    proc.wait()
    try:  # then any orphaned workers of our own session
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_toy_kill_9_then_resume_equals_uninterrupted(tmp_path):
    out = tmp_path / "killed"
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_batch_store as t; " \
           f"t.drive({str(out)!r}, 'processes', hold_after=6)"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    wait_for_runs(out, 6, proc)
    kill_9(proc)
    done_before = {e["run_id"] for e in journal(out)}
    assert len(done_before) == 6

    store = toy_store(out, resume=True)
    pending = store.pending_specs()
    assert {s.run_id for s in pending} == set(store.specs) - done_before
    run_batch(TOY, pending, store.record, backend="serial")
    resumed = store.finalize()

    clean = toy_store(tmp_path / "clean")
    run_batch(TOY, clean.pending_specs(), clean.record, backend="serial")
    pd.testing.assert_frame_equal(resumed, clean.finalize())
    assert resumed["run_id"].is_unique and len(resumed) == 24


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*IESIM, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cli_kill_9_then_resume_equals_uninterrupted(tmp_path):
    batch = str(FIXTURES / "many.toml")
    out = tmp_path / "killed"
    command = held_command([*IESIM, "batch", batch, "--out", str(out), "--workers", "2",
                            "--quiet"], 20)  # held after 20 stored runs, however fast they go
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for_runs(out, 20, proc)
    kill_9(proc)
    before = journal(out)
    assert len(before) == 20
    assert not (out / "summary.parquet").exists()

    resumed = run_cli("batch", batch, "--out", str(out), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    clean = run_cli("batch", batch, "--out", str(tmp_path / "clean"), "--backend", "serial",
                    "--quiet")
    assert clean.returncode == 0, clean.stderr
    assert resumed.stdout == clean.stdout  # the same comparison table

    a = pd.read_parquet(out / "summary.parquet")
    b = pd.read_parquet(tmp_path / "clean" / "summary.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert a["run_id"].is_unique and len(a) == 120
    # no run done twice: resume ran exactly the runs the killed batch had not stored
    after = journal(out)
    assert len(after) == 120
    assert {e["run_id"] for e in after[len(before):]}.isdisjoint(e["run_id"] for e in before)
    # time series too, and polars reads the store without iesim
    ts_a = pl.read_parquet(out / "timeseries" / "*.parquet").sort(["run_id", "step"])
    ts_b = pl.read_parquet(tmp_path / "clean" / "timeseries" / "*.parquet").sort(
        ["run_id", "step"])
    assert ts_a.equals(ts_b) and ts_a.height == 120 * 49
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["provenance"]) == 2  # first session and the resume
    assert manifest["status"] == {"succeeded": 120, "failed": 0, "pending": 0, "damaged": 0}


def test_corrupt_missing_and_partial_parts_are_redone(tmp_path, capsys):
    batch = str(FIXTURES / "small.toml")
    out = tmp_path / "out"
    assert main(["batch", batch, "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    table = capsys.readouterr().out
    reference = pd.read_parquet(out / "summary.parquet")
    parts = sorted((out / "parts").glob("*.parquet"))
    parts[0].write_bytes(parts[0].read_bytes()[:100])  # partial write
    parts[1].unlink()  # lost
    parts[2].write_bytes(b"not parquet at all")  # garbage
    (out / "parts" / ".run-s000-r00003.parquet.123.tmp").write_bytes(b"half")  # temp file
    with open(out / "status.jsonl", "a") as fh:
        fh.write('{"run_id": "s001-r0')  # a journal line cut short by a kill
    assert main(["batch", batch, "--out", str(out), "--resume", "--backend", "serial"]) == 0
    captured = capsys.readouterr()
    assert "3 run now" in captured.err
    assert captured.out == table
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), reference)
    assert not list((out / "parts").glob(".*tmp"))


def test_resume_refuses_a_different_batch(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["batch", str(FIXTURES / "small.toml"), "--out", str(out), "--backend",
                 "serial", "--quiet"]) == 0
    capsys.readouterr()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    code = main(["batch", str(FIXTURES / "small_independent.toml"), "--out", str(out),
                 "--resume"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and "different batch" in err[0]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_resume_retries_failed_runs_and_adds_replicates(tmp_path):
    scenarios = {"ok": {}, "bad": {"fail_at": 3}}
    store = toy_store(tmp_path, scenarios=scenarios, replicates=2)
    run_batch(TOY, store.pending_specs(), store.record, backend="serial")
    assert sorted(store.failures()) == ["s001-r00000", "s001-r00001"]

    store = toy_store(tmp_path, resume=True, scenarios=scenarios, replicates=3)
    assert sorted(s.run_id for s in store.pending_specs()) == [
        "s000-r00002", "s001-r00000", "s001-r00001", "s001-r00002"]
    run_batch(TOY, store.pending_specs(), store.record, backend="serial")
    frame = store.finalize()
    assert list(frame["run_id"]) == ["s000-r00000", "s000-r00001", "s000-r00002"]
    counts = pd.Series([e["run_id"] for e in journal(tmp_path)]).value_counts()
    assert counts["s000-r00000"] == 1 and counts["s001-r00000"] == 2


def worker_pids(parent: int) -> list[int]:
    """Worker processes of the batch driver (forked or spawned), not its helpers."""
    pids = []
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"resource_tracker" not in cmdline and b"forkserver" not in cmdline:
            pids.append(int(child))
    return pids


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_lost_worker_is_replaced_and_its_run_retried(tmp_path):
    out, hold = tmp_path / "lost", tmp_path / "hold"
    hold.mkdir()
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import test_batch_store as t; " \
           f"t.drive_held({str(out)!r}, {str(hold)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        # a worker is in the middle of a held run: kill it there, then let the runs go on
        wait_for(lambda: list(hold.glob("held-*")), proc, "a held run started")
        victim = int(sorted(hold.glob("held-*"))[0].name.removeprefix("held-"))
        assert victim in worker_pids(proc.pid)
        os.kill(victim, signal.SIGKILL)
        (hold / "release").touch()
        assert proc.wait(timeout=WAIT) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    entries = journal(out)
    assert len(entries) == 32 and all(e["status"] == "succeeded" for e in entries)
    scenarios = {**TOY_SCENARIOS, "held": {"hold": str(hold)}}
    specs = plan_runs(scenarios, 8, seed=4, steps=20)
    clean = ResultsStore.create(tmp_path / "clean", specs, batch_hash=stable_hash(scenarios))
    run_batch(HELD, clean.pending_specs(), clean.record, backend="serial")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), clean.finalize())
