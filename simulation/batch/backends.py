"""Parallel backends: a crash-tolerant local process pool (and, in :mod:`.dask_backend`, Dask).

Local processes: ``concurrent.futures.ProcessPoolExecutor`` breaks for every
later task once one worker dies, so this module keeps its own small pool of
worker processes, forked or spawned (see
:func:`simulation.batch.start_method.worker_context`; the global start method
is never touched).  Each worker
tells the parent which run it starts and sends each result as soon as it is
done, so when a worker dies the parent knows exactly which run was in flight:
that run is retried on a fresh worker, and recorded as failed once it has
killed two workers.  The rest of its chunk is requeued; nothing finished is
lost.

Workers never outlive the batch process: if it dies (kill -9, SIGTERM, a
crash) they end too (see :mod:`simulation.batch.lifeline`).  Ctrl-C is the
parent's to handle; workers ignore it and are stopped by the parent.

Dask: see :mod:`simulation.batch.dask_backend`.
"""

from __future__ import annotations

import os
import signal
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import wait

from simulation.batch import lifeline
from simulation.batch.specs import FAILED, RunResult, RunSpec, iter_chunks
from simulation.batch.start_method import guard_message, unguarded_main_call, worker_context
from simulation.batch.task import ModelTask, execute_run

__all__ = [
    "MAX_KILLS",
    "BackendError",
    "default_workers",
    "killed_result",
    "refuse_unguarded_spawn",
    "run_processes",
    "worker_context",
]

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


def killed_result(spec: RunSpec, how: str) -> RunResult:
    """The failed result of a run that killed every worker it was tried on."""
    return RunResult(
        run_id=spec.run_id,
        status=FAILED,
        error=f"running: worker process died {how}; the run killed every worker it was "
        "tried on, so it is not retried",
    )


def refuse_unguarded_spawn(method: str, backend: str) -> None:
    """Raise when spawned workers would re-run the main script's batch (see :mod:`.start_method`).

    Raises:
        BackendError: ``method`` is ``spawn`` and the batch is started from the
            top level of the main script, outside ``if __name__ == "__main__":``.
    """
    if method != "spawn":
        return
    where = unguarded_main_call()
    if where is not None:
        raise BackendError(guard_message(where, backend))


# --------------------------------------------------------------------------- processes


def _worker_main(conn, task: ModelTask, parent_pid: int, inherited: list) -> None:
    """Worker loop: receive chunks, announce and return each run.

    Args:
        conn: this worker's end of its pipe.
        task: the model task.
        parent_pid: the batch process.
        inherited: pipe ends a forked worker inherited but does not use (the
            parent's ends); closed first, so the parent's death ends the pipe.
    """
    lifeline.close_inherited(inherited)
    lifeline.die_with_parent(parent_pid)
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

    def __init__(self, ctx, task: ModelTask, others: Sequence):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        # a forked worker gets copies of every open pipe end; a spawned one only its own
        inherited = [parent, *others] if ctx.get_start_method() == "fork" else []
        self.proc = ctx.Process(target=_worker_main, args=(child, task, os.getpid(), inherited),
                                daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns whenever the process has other OS threads; fork is only
            # chosen when those are BLAS, Arrow or known idle Python threads (start_method).
            warnings.filterwarnings("ignore", "This process .* is multi-threaded",
                                    DeprecationWarning)
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
    """Run specs on local worker processes that survive their workers dying.

    Chunks are taken from ``specs`` as workers become free, so at most one
    chunk per worker (and those a dead worker left) is in flight.

    Raises:
        BackendError: workers keep dying before running anything, or spawned
            workers would re-run an unguarded main script.
    """
    ctx = worker_context()
    refuse_unguarded_spawn(ctx.get_start_method(), "processes")
    queue = _Queue(iter_chunks(specs, chunk_size, workers))
    kills: dict[str, int] = {}
    slots: list[_Slot | None] = [None] * min(workers, len(specs))
    silent_deaths = 0
    try:
        while queue or any(s is not None and s.busy for s in slots):
            for index, slot in enumerate(slots):
                if queue and (slot is None or not slot.busy):
                    if slot is None or not slot.proc.is_alive():  # new, or died while idle
                        if slot is not None:
                            slot.stop()
                        others = [s.conn for s in slots if s is not None and s is not slot]
                        slots[index] = slot = _Slot(ctx, task, others)
                    slot.assign(queue.pop())
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


class _Queue:
    """The chunks to run: a dead worker's unfinished runs first, then new chunks, then retries."""

    def __init__(self, chunks: Iterator[list[RunSpec]]):
        self._source = chunks
        self._next: list[RunSpec] | None = next(chunks, None)
        self.front: deque[list[RunSpec]] = deque()
        self.retries: deque[list[RunSpec]] = deque()

    def __bool__(self) -> bool:
        return bool(self.front) or self._next is not None or bool(self.retries)

    def pop(self) -> list[RunSpec]:
        if self.front:
            return self.front.popleft()
        if self._next is not None:
            chunk, self._next = self._next, next(self._source, None)
            return chunk
        return self.retries.popleft()


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


def _requeue_after_death(slot: _Slot, queue: _Queue, kills: dict[str, int], deliver) -> bool:
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
        queue.front.appendleft(others)
    if culprit is None:
        return slot.started_any
    kills[culprit.run_id] = kills.get(culprit.run_id, 0) + 1
    if kills[culprit.run_id] >= MAX_KILLS:
        deliver(killed_result(culprit, f"(exit code {code}, {MAX_KILLS} times)"))
    else:
        queue.retries.append([culprit])
    return True
