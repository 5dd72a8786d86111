"""Backends: identical results everywhere; raising and worker-killing runs recorded, not fatal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_batch_toy import run_toy

from simulation.batch.runner import chunked, plan_runs
from simulation.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "batch"


def run_small(out: Path, *options: str) -> pd.DataFrame:
    code = main(["batch", str(FIXTURES / "small.toml"), "--out", str(out), "--quiet",
                 *options])
    assert code == 0
    return pd.read_parquet(out / "summary.parquet")


def test_serial_processes_and_dask_give_identical_results(tmp_path, capsys):
    serial = run_small(tmp_path / "serial", "--backend", "serial")
    table = capsys.readouterr().out
    processes = run_small(tmp_path / "processes", "--backend", "processes", "--workers", "2",
                          "--chunk-size", "5")
    assert capsys.readouterr().out == table
    dask = run_small(tmp_path / "dask", "--backend", "dask", "--workers", "2")
    assert capsys.readouterr().out == table
    one_worker = run_small(tmp_path / "one", "--backend", "processes", "--workers", "1",
                           "--chunk-size", "1")
    assert len(serial) == 12 and serial["employment_rate_12m"].notna().all()
    for other in (processes, dask, one_worker):
        pd.testing.assert_frame_equal(serial, other)


@pytest.mark.slow
def test_dask_records_a_raising_and_a_worker_killing_run(tmp_path):
    scenarios = {"flat": {}, "up": {"drift": 0.2}, "raises": {"fail_at": 2},
                 "kills": {"die_at": 2}}
    serial = run_toy(tmp_path / "s", {k: scenarios[k] for k in ("flat", "up")}, replicates=2,
                     backend="serial")
    store = run_toy(tmp_path / "d", scenarios, replicates=2, backend="dask", workers=2,
                    chunk_size=3)
    failures = store.failures()
    assert sorted(failures) == ["s002-r00000", "s002-r00001", "s003-r00000", "s003-r00001"]
    assert "RuntimeError: toy model failed on purpose" in failures["s002-r00001"]
    assert "KilledWorker" in failures["s003-r00000"]
    cols = ["run_id", "mean_wealth", "share_positive"]
    pd.testing.assert_frame_equal(serial.summary()[cols], store.summary()[cols])


def test_processes_isolate_the_run_that_kills_its_worker(tmp_path):
    # the killer shares a chunk with good runs: they are requeued and finish
    scenarios = {"kills": {"die_at": 3}, "flat": {}}
    store = run_toy(tmp_path, scenarios, replicates=3, backend="processes", workers=1,
                    chunk_size=6)
    assert sorted(store.failures()) == ["s000-r00000", "s000-r00001", "s000-r00002"]
    assert list(store.summary()["run_id"]) == ["s001-r00000", "s001-r00001", "s001-r00002"]
    assert all("exit code 3" in e for e in store.failures().values())


@pytest.mark.parametrize("size", [None, 1, 4, 100])
def test_chunks_cover_every_run_once(size):
    specs = plan_runs({"a": {}, "b": {}, "c": {}}, 70, seed=1, steps=1)
    chunks = chunked(specs, size, workers=2)
    assert [s.run_id for c in chunks for s in c] == [s.run_id for s in specs]
    lengths = [len(c) for c in chunks]
    if size is None:  # guided: large first, shrinking to single runs at the end
        assert lengths[0] == 16 and lengths[-1] == 1
        assert lengths == sorted(lengths, reverse=True)
    else:
        assert max(lengths) == min(size, len(specs))


def test_cli_batch_with_failures_exits_1_and_counts_them(tmp_path, capsys, monkeypatch):
    import simulation.batch.iesim_task as adapter

    def broken_outcomes(model):
        if model.p["tax_break_rate"] > 0 and model.p["fund_budget"] == 0:
            raise ValueError("no outcomes for tax")
        return model.outcomes()

    monkeypatch.setattr(adapter, "model_outcomes", broken_outcomes)
    out = tmp_path / "out"
    code = main(["batch", str(FIXTURES / "small.toml"), "--out", str(out), "--backend",
                 "serial", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "4 of 12 runs failed" in err
    assert "extracting outcomes: ValueError: no outcomes for tax" in err
    assert len(pd.read_parquet(out / "summary.parquet")) == 8


@pytest.mark.slow
def test_dask_joins_an_existing_scheduler(tmp_path, capsys):
    from distributed import LocalCluster

    serial = run_small(tmp_path / "serial", "--backend", "serial")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        joined = run_small(tmp_path / "joined", "--scheduler", cluster.scheduler_address)
    pd.testing.assert_frame_equal(serial, joined)
    manifest = (tmp_path / "joined" / "manifest.json").read_text()
    assert '"backend": "dask"' in manifest
