"""Parallel backends: a crash-tolerant local process pool and Dask distributed.

Local processes: ``concurrent.futures.ProcessPoolExecutor`` breaks for every
later task once one worker dies, so this module keeps its own small pool of
worker processes, forked or spawned (see :func:`worker_context`; the global
start method is never touched).  Each worker
tells the parent which run it starts and sends each result as soon as it is
done, so when a worker dies the parent knows exactly which run was in flight:
that run is retried on a fresh worker, and recorded as failed once it has
killed two workers.  The rest of its chunk is requeued; nothing finished is
lost.

Dask: chunks are submitted as tasks; a worker that dies is restarted by its
nanny and the scheduler reschedules its tasks.  A chunk that keeps killing
workers ends as ``KilledWorker``; its runs are then retried one per task, and
a single run that still kills its worker is recorded as failed.  With a
LocalCluster the scheduler gives up on a task after it has killed two
workers, and queues no task behind a running one on a worker, so only the
run in flight is blamed.  An external scheduler uses its own
``allowed-failures`` and ``worker-saturation`` settings; with tasks queued on
workers, a run waiting on a worker that keeps dying can be recorded as failed
too (``--resume`` retries it).

On an HPC cluster, start a Dask cluster with ``dask_jobqueue`` (not an iesim
dependency: ``pip install dask-jobqueue``) and pass its scheduler address::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="02:00:00",
                           job_extra_directives=["--partition=compute"])
    cluster.scale(jobs=32)
    print(cluster.scheduler_address)   # e.g. tcp://10.0.0.5:8786

    $ iesim batch scenarios/batches/policy_comparison.toml --out results/pc \
          --backend dask --scheduler tcp://10.0.0.5:8786

The workers need the same iesim installation (same virtual environment on a
shared file system).  Results are identical to a local run.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait

from simulation.batch.runner import (
    FAILED,
    ModelTask,
    RunResult,
    RunSpec,
    chunked,
    execute_run,
    run_chunk,
)

MAX_KILLS = 2
"""A run that kills this many worker processes is recorded as failed."""


class BackendError(RuntimeError):
    """The backend cannot run anything (e.g. workers die before starting)."""


def default_workers() -> int:
    """Worker processes to use by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _killed_result(spec: RunSpec, how: str) -> RunResult:
    return RunResult(
        run_id=spec.run_id,
        status=FAILED,
        error=f"running: worker process died {how}; the run killed every worker it was "
        "tried on, so it is not retried",
    )


# --------------------------------------------------------------------------- processes


def worker_context():
    """The multiprocessing context for local workers (the global default is never changed).

    ``fork`` when no other thread could hold a lock the worker needs: a forked
    worker starts in milliseconds with the model already imported, where a
    spawned one spends about a second importing NumPy, pandas and Mesa.  The
    only other thread tolerated is tqdm's progress monitor (as started by
    ``mesa.batch_run``), which a worker never touches; with any other Python
    thread running, ``spawn`` is used.  Native threads of NumPy's BLAS and of
    Arrow's pools (which Python 3.12 counts when it warns about forking) are
    re-initialised by those libraries' own fork handlers.  Results are the same
    either way: each run's seed comes from its spec.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    harmless = all(t.name == "tqdm_monitor" for t in others)
    if "fork" in mp.get_all_start_methods() and harmless:
        return mp.get_context("fork")
    return mp.get_context("spawn")



def _worker_main(conn, task: ModelTask) -> None:
    """Worker loop: receive chunks, announce and return each run."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    try:
        while True:
            chunk = conn.recv()
            if chunk is None:
                return
            for spec in chunk:
                conn.send(("start", spec.run_id))
                _send_result(conn, execute_run(task, spec))
    except (EOFError, OSError):  # the parent is gone: stop quietly
        return


def _send_result(conn, result: RunResult) -> None:
    try:
        conn.send(("result", result))
    except (EOFError, OSError):
        raise
    except Exception as exc:  # e.g. an unpicklable time series
        conn.send(("result", RunResult(
            run_id=result.run_id, status=FAILED,
            error=f"returning result: {type(exc).__name__}: {exc}",
        )))


class _Slot:
    """One worker process and the chunk it is working on."""

    def __init__(self, ctx, task: ModelTask):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.proc = ctx.Process(target=_worker_main, args=(child, task), daemon=True)
        self.proc.start()
        child.close()
        self.pending: list[RunSpec] = []
        self.current: str | None = None
        self.started_any = False

    @property
    def busy(self) -> bool:
        return bool(self.pending)

    def assign(self, chunk: list[RunSpec]) -> None:
        self.pending = list(chunk)
        self.current = None
        try:
            self.conn.send(chunk)
        except OSError:  # died meanwhile; its sentinel reports it and the chunk is requeued
            pass

    def stop(self) -> None:
        if self.proc.is_alive():
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=2)
        self.conn.close()


def run_processes(
    task: ModelTask,
    specs: Sequence[RunSpec],
    deliver: Callable[[RunResult], None],
    workers: int,
    chunk_size: int | None,
) -> None:
    """Run specs on local worker processes that survive their workers dying."""
    ctx = worker_context()
    queue: deque[list[RunSpec]] = deque(chunked(specs, chunk_size, workers))
    kills: dict[str, int] = {}
    slots: list[_Slot | None] = [None] * min(workers, len(queue))
    silent_deaths = 0
    try:
        while queue or any(s is not None and s.busy for s in slots):
            for index, slot in enumerate(slots):
                if queue and (slot is None or not slot.busy):
                    if slot is None or not slot.proc.is_alive():  # new, or died while idle
                        if slot is not None:
                            slot.stop()
                        slots[index] = slot = _Slot(ctx, task)
                    slot.assign(queue.popleft())
            busy = [s for s in slots if s is not None and s.busy]
            wait([s.conn for s in busy] + [s.proc.sentinel for s in busy])
            for index, slot in enumerate(slots):
                if slot is None or not slot.busy:
                    continue
                if _drain(slot, deliver) and slot.proc.is_alive():
                    continue
                if not _requeue_after_death(slot, queue, kills, deliver):
                    silent_deaths += 1
                    if silent_deaths > 2 + 2 * workers:
                        raise BackendError(
                            "worker processes keep dying before running anything "
                            f"(exit code {slot.proc.exitcode}); is the model factory importable "
                            "in a fresh process (defined in a module, not in __main__ or a "
                            "notebook)? --backend serial runs without worker processes"
                        )
                slot.stop()
                slots[index] = None  # replaced when there is work for it
    finally:
        for slot in slots:
            if slot is not None:
                slot.stop()


def _drain(slot: _Slot, deliver: Callable[[RunResult], None]) -> bool:
    """Handle every message waiting from a worker; False once its pipe is closed.

    Errors raised by ``deliver`` (e.g. the store cannot be written) propagate.
    """
    while True:
        try:
            if not slot.conn.poll():
                return True
            kind, value = slot.conn.recv()
        except (EOFError, OSError):
            return False
        except Exception:  # a message cut short by the worker's death
            return False
        if kind == "start":
            slot.current = value
            slot.started_any = True
        elif kind == "result":
            slot.pending = [s for s in slot.pending if s.run_id != value.run_id]
            slot.current = None
            deliver(value)


def _requeue_after_death(slot: _Slot, queue: deque, kills: dict[str, int], deliver) -> bool:
    """Requeue a dead worker's unfinished runs; blame the run in flight.

    Returns:
        True when a run was in flight (the death is attributed to it).
    """
    slot.proc.join(timeout=5)
    code = slot.proc.exitcode
    remaining = slot.pending
    slot.pending = []
    culprit = next((s for s in remaining if s.run_id == slot.current), None)
    others = [s for s in remaining if s is not culprit]
    if others:
        queue.appendleft(others)
    if culprit is None:
        return slot.started_any
    kills[culprit.run_id] = kills.get(culprit.run_id, 0) + 1
    if kills[culprit.run_id] >= MAX_KILLS:
        deliver(_killed_result(culprit, f"(exit code {code}, {MAX_KILLS} times)"))
    else:
        queue.append([culprit])
    return True


# --------------------------------------------------------------------------- dask


def run_dask(
    task: ModelTask,
    specs: Sequence[RunSpec],
    deliver: Callable[[RunResult], None],
    workers: int,
    chunk_size: int | None,
    scheduler: str | None = None,
) -> None:
    """Run specs on a Dask cluster (a new LocalCluster unless ``scheduler`` is given)."""
    import dask
    from distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        # Give up on a task after it killed MAX_KILLS workers, and send each worker only
        # the task it runs (none queued behind it), so a death blames only that task.
        # Workers' statistical profiler samples every 10 ms and slowed runs by
        # about 15% here; it is off for the LocalCluster this backend owns.
        # Its workers are forked under the same rule as local workers
        # (worker_context): measured here, spawned Dask workers cost 14% of
        # run time in start-up and ran slower; forked ones 3.5%.
        method = worker_context().get_start_method()
        with dask.config.set({"distributed.scheduler.allowed-failures": MAX_KILLS - 1,
                              "distributed.scheduler.worker-saturation": 1.0,
                              "distributed.worker.profile.enabled": False,
                              "distributed.worker.multiprocessing-method": method}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            )
        client = Client(cluster)
    try:
        chunks = {}
        done = as_completed()

        def submit(chunk: list[RunSpec]) -> None:
            future = client.submit(run_chunk, task, chunk, pure=False)
            chunks[future.key] = chunk
            done.add(future)

        for chunk in chunked(specs, chunk_size, workers):
            submit(chunk)
        for future in done:
            chunk = chunks.pop(future.key)
            try:
                results = future.result()
            except KilledWorker:
                if len(chunk) > 1:
                    for spec in chunk:
                        submit([spec])
                else:
                    deliver(_killed_result(chunk[0], "(Dask KilledWorker)"))
                continue
            except Exception as exc:  # e.g. the task cannot be unpickled on a worker
                for spec in chunk:
                    deliver(RunResult(spec.run_id, FAILED,
                                      error=f"dask: {type(exc).__name__}: {exc}"[:500]))
                continue
            finally:
                future.release()
            for result in results:
                deliver(result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
