"""Worker processes: they end with their parent, fork where safe, and refuse the __main__ trap.

The batch driver runs in a subprocess (its own session, so signals reach
nothing else); its workers are found as its children in /proc.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from simulation.batch import lifeline
from simulation.batch.start_method import _is_main_guard, spawn_blockers, worker_context

TESTS = Path(__file__).parent
WAIT = 300.0  # seconds: generous guards against a hang, never a measure of speed
LINUX = sys.platform.startswith("linux") and Path("/proc/self/task").exists()

DRIVER = """
import sys
sys.path.insert(0, {tests!r})
import simulation.batch.lifeline as lifeline
lifeline.USE_PDEATHSIG = {pdeathsig}
from test_batch_toy import TOY
from simulation.batch import plan_runs, run_batch
run_batch(TOY, plan_runs({{"slow": {{"sleep": 0.02}}}}, 200, 1, 15),
          lambda result: print("done", flush=True), backend="processes", workers=2, chunk_size=4)
"""


def children(pid: int) -> list[int]:
    """Child processes of ``pid`` (started from any of its threads)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def start_driver(pdeathsig: bool = True) -> tuple[subprocess.Popen, list[int]]:
    """Start a slow toy batch on two workers; return it and its workers once runs finish."""
    code = DRIVER.format(tests=str(TESTS), pdeathsig=pdeathsig)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "done", "the batch did not start"
    deadline = time.monotonic() + WAIT
    while len(workers := children(proc.pid)) < 2:
        assert time.monotonic() < deadline, f"workers did not start in {WAIT:g} s"
        time.sleep(0.05)
    return proc, workers


def assert_workers_end(proc: subprocess.Popen, workers: list[int], signum: int) -> None:
    try:
        os.kill(proc.pid, signum)  # the parent only, as `kill -9 PID`
        proc.wait(timeout=WAIT)
        # they end by themselves (the parent-death signal, or end of file after the run in
        # flight); the deadline only guards against a hang, it does not measure speed
        deadline = time.monotonic() + WAIT
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)], f"workers outlived their parent by {WAIT:g} s"
    finally:
        for pid in [proc.pid, *workers]:  # clean up what this test started
            try:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_workers_end_when_the_parent_is_killed(signum):
    proc, workers = start_driver()
    assert_workers_end(proc, workers, signum)


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="needs Linux /proc")
def test_workers_see_end_of_file_without_the_parent_death_signal():
    # each worker closed the parent's pipe ends it inherited, so the pipe breaks
    proc, workers = start_driver(pdeathsig=False)
    assert_workers_end(proc, workers, signal.SIGKILL)


def _in_child(action) -> int:
    """Run ``action`` in a forked child; its exit code (99 if it returned without exiting)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os._exit(action())
        except BaseException:
            os._exit(98)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(not LINUX, reason="prctl is Linux only")
def test_parent_death_signal_is_set_to_sigkill():
    def action():
        lifeline.die_with_parent(os.getppid())
        value = ctypes.c_int()
        ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
        return value.value

    assert _in_child(action) == signal.SIGKILL


@pytest.mark.skipif(not LINUX, reason="prctl is Linux only")
def test_a_worker_whose_parent_already_died_exits_at_once():
    def action():
        lifeline.die_with_parent(parent_pid=-1)  # not our parent: it "died" before prctl
        return 99

    assert _in_child(action) == 0


@pytest.mark.slow
def test_workers_still_fork_after_a_dask_batch():
    from test_batch_toy import TOY

    from simulation.batch import plan_runs, run_batch

    before = spawn_blockers()  # e.g. a test runner's own timeout thread
    run_batch(TOY, plan_runs({"a": {}}, 2, 1, 3), lambda r: None, backend="dask", workers=1)
    assert spawn_blockers() == before  # the idle threads Dask leaves behind do not count
    if not before:
        assert worker_context().get_start_method() == "fork"


SCRIPT = """
import sys, threading
sys.path.insert(0, {tests!r})
from test_batch_toy import TOY
from simulation.batch import BackendError, plan_runs, run_batch

threading.Thread(target=threading.Event().wait, name="app-thread", daemon=True).start()
{body}
"""
CALL = """
try:
    counts = run_batch(TOY, plan_runs({"a": {}}, 2, 1, 3), lambda r: None, backend="processes",
                       workers=1)
    print("ran", counts["succeeded"])
except BackendError as exc:
    print("refused:", exc)
"""


def run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    path = tmp_path / "script.py"
    path.write_text(SCRIPT.format(tests=str(TESTS), body=body))
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=WAIT, cwd=tmp_path)


def test_an_unguarded_script_that_must_spawn_is_refused_with_what_to_do(tmp_path):
    done = run_script(tmp_path, CALL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused: processes workers must be spawned here (other "
                                  "threads are running (app-thread))"), done.stdout
    assert "script.py, line " in done.stdout
    assert 'Put the code that starts the batch under `if __name__ == "__main__":`' in done.stdout
    assert done.stdout.count("refused") == 1  # no worker ran the script again


@pytest.mark.slow
def test_a_guarded_script_spawns_its_workers_and_runs(tmp_path):
    body = "if __name__ == '__main__':\n" + textwrap.indent(CALL, "    ")
    done = run_script(tmp_path, body)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ran 2"


def test_main_guard_is_recognised_either_way_round():
    import ast

    guards = ['if __name__ == "__main__":\n    pass', "if '__main__' == __name__:\n    pass"]
    others = ["if __name__ != '__main__':\n    pass", "if name == '__main__':\n    pass",
              "if __name__ == '__main__' or x:\n    pass", "while __name__ == '__main__':\n    pass"]
    assert all(_is_main_guard(ast.parse(code).body[0]) for code in guards)
    assert not any(_is_main_guard(ast.parse(code).body[0]) for code in others)


DASK_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_batch_toy import TOY
from simulation.batch import plan_runs, run_batch

if __name__ == "__main__":
    try:
        run_batch(TOY, plan_runs({{"slow": {{"sleep": 0.05}}}}, 40, 1, 20),
                  lambda r: print("done", flush=True), backend="dask", workers=2, chunk_size=1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
"""


@pytest.mark.slow
def test_ctrl_c_on_dask_prints_no_worker_tracebacks(tmp_path):
    path = tmp_path / "dask_batch.py"
    path.write_text(DASK_SCRIPT.format(tests=str(TESTS)))
    proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=tmp_path)
    try:
        for _ in range(2):  # runs are going: the workers are up, past their preload
            assert proc.stdout.readline().strip() == "done"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=WAIT)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert err.strip().splitlines()[-1] == "interrupted", err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_dask_workers_are_spawned_once_a_library_refuses_concurrent_forks():
    # filelock >= 4.3 (imported by Solara's server) refuses a fork while another thread
    # forks; a LocalCluster forks its workers from several threads at once.
    probe = ("import sys; from simulation.batch.dask_backend import worker_start_method as m; "
             "a = m(); import filelock; print(a, m())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["fork", "spawn"]
