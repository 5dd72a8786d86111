"""Reliability of the Dask paths (issue 24): peers that are no scheduler, a scheduler lost
part-way, a scheduler without workers.

Every scheduler here listens on the loopback interface (127.0.0.1) only.  No test
depends on how fast anything runs: each waits on a condition (a line printed, a
run stored), and the batch itself does what the test needs at a given run.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from cli_errors import one_error_line
from test_batch_toy import TOY
from test_reliability import COMMANDS, write_inputs

from simulation.batch import ResultsStore, plan_runs, run_batch
from simulation.batch import dask_backend as backend
from simulation.batch.backends import BackendError
from simulation.batch.runner import stable_hash
from simulation.cli import main

TESTS = Path(__file__).parent
SLOW_TOY = {"flat": {}, "up": {"drift": 0.1}}


def _code(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:
        return exc.code


@pytest.fixture
def silent_peer():
    """A loopback port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # the test reads stderr: the server keeps quiet
        pass


@pytest.fixture
def http_peer():
    """A loopback HTTP server."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join()
    httpd.server_close()


@pytest.mark.parametrize("peer", ["silent_peer", "http_peer"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_scheduler_address_where_no_scheduler_answers_is_one_error_line(
        command, peer, request, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(backend, "CONNECT_TIMEOUT", 2.0)
    address = request.getfixturevalue(peer)
    inputs = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    assert _code([*inputs[command], "--out", str(out), "--scheduler", address]) == 2
    one_error_line(capsys.readouterr().err, address, "scheduler", "nothing ran")
    assert not out.exists()


# --------------------------------------------------------------------------- a lost scheduler


CLUSTER = """
import sys, threading
sys.path.insert(0, {tests!r})
from distributed import LocalCluster
cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                       host="127.0.0.1", dashboard_address=None)
print(cluster.scheduler_address, flush=True)
threading.Event().wait()  # until the test kills this process
"""


@pytest.fixture
def doomed_cluster():
    """A scheduler (and its worker) in a process of its own; ``kill()`` ends it at once."""
    proc = subprocess.Popen([sys.executable, "-c", CLUSTER.format(tests=str(TESTS))],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    address = proc.stdout.readline().strip()
    assert address.startswith("tcp://127.0.0.1:"), "the cluster did not start"

    def kill():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    proc.address, proc.kill_now = address, kill
    yield proc
    kill()


def test_a_scheduler_killed_part_way_ends_the_batch_keeping_what_finished(tmp_path,
                                                                         doomed_cluster):
    specs = plan_runs(SLOW_TOY, 10, seed=3, steps=20)
    store = ResultsStore.create(tmp_path / "store", specs, batch_hash=stable_hash(SLOW_TOY))
    recorded = []

    def record(result):
        store.record(result)
        recorded.append(result.run_id)
        if len(recorded) == 3:
            doomed_cluster.kill_now()

    with pytest.raises(BackendError) as lost:
        run_batch(TOY, store.pending_specs(), record, backend="dask",
                  scheduler=doomed_cluster.address, chunk_size=1)
    message = str(lost.value)
    assert "\n" not in message and "lost the Dask scheduler" in message and "--resume" in message
    # results already on their way when the scheduler died may still be kept, but the
    # batch stops: most runs are left, and nothing recorded failed
    assert 3 <= len(recorded) < len(specs) // 2
    assert not store.failures()
    resumed = ResultsStore.resume(tmp_path / "store", specs, batch_hash=stable_hash(SLOW_TOY))
    assert len(resumed.pending_specs()) == len(specs) - len(recorded)
    run_batch(TOY, resumed.pending_specs(), resumed.record, backend="serial")
    clean = ResultsStore.create(tmp_path / "clean", specs, batch_hash=stable_hash(SLOW_TOY))
    run_batch(TOY, clean.pending_specs(), clean.record, backend="serial")
    pd.testing.assert_frame_equal(resumed.finalize(), clean.finalize())


def test_iesim_batch_with_its_scheduler_killed_part_way_prints_one_error_line(
        tmp_path, capsys, monkeypatch, doomed_cluster):
    inputs = write_inputs(tmp_path / "in")
    stored = []
    original = ResultsStore.record

    def record(self, result):
        original(self, result)
        stored.append(result.run_id)
        if len(stored) == 1:
            doomed_cluster.kill_now()

    monkeypatch.setattr(ResultsStore, "record", record)
    out = tmp_path / "out"
    assert _code([*inputs["batch"], "--out", str(out), "--scheduler",
                  doomed_cluster.address]) == 1
    err = [line for line in capsys.readouterr().err.splitlines()
           if not line.startswith("batch: ")]
    assert len(err) == 1, err
    one_error_line(err[0] + "\n", "lost the Dask scheduler", "--resume")
    monkeypatch.setattr(ResultsStore, "record", original)
    assert _code([*inputs["batch"], "--out", str(out), "--resume", "--backend", "serial"]) == 0
    assert len(pd.read_parquet(out / "summary.parquet")) == 2


# --------------------------------------------------------------------------- no workers


def test_a_scheduler_without_workers_gets_a_warning_and_the_batch_finishes_when_one_joins(
        tmp_path, monkeypatch):
    from distributed import LocalCluster

    specs = plan_runs(SLOW_TOY, 4, seed=3, steps=10)
    store = ResultsStore.create(tmp_path / "store", specs, batch_hash=stable_hash(SLOW_TOY))
    warnings = []
    with LocalCluster(n_workers=0, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        def warn(message):  # the batch says it waits: a worker joins
            warnings.append(message)
            cluster.scale(1)

        monkeypatch.setattr(backend, "NO_WORKERS_WARNING", 0.5)
        monkeypatch.setattr(backend, "_warn", warn)
        run_batch(TOY, store.pending_specs(), store.record, backend="dask",
                  scheduler=cluster.scheduler_address, chunk_size=1)
    assert len(warnings) == 1
    assert "has had no worker" in warnings[0] and "--resume" in warnings[0]
    assert f"; {len(specs)} runs are waiting for one" in warnings[0]
    assert len(store.summary()) == len(specs) and not store.failures()


def test_the_local_cluster_never_gives_up_a_worker_while_a_batch_runs(tmp_path):
    # a worker killed again and again may be restarting just when the cluster's
    # lost-worker timeout (15 s) looks for it; the cluster would then close its nanny, and
    # with every worker gone the batch would wait forever (what hung under load)
    import dask

    specs = plan_runs({"flat": {}}, 2, seed=3, steps=5)
    seen = []

    def record(result):
        seen.append(dask.utils.parse_timedelta(
            dask.config.get("distributed.deploy.lost-worker-timeout")))

    run_batch(TOY, specs, record, backend="dask", workers=1)
    assert len(seen) == 2 and min(seen) >= 365 * 24 * 3600
    assert dask.utils.parse_timedelta(
        dask.config.get("distributed.deploy.lost-worker-timeout")) < 3600  # put back after
