r"""The Dask backend: a LocalCluster of its own, or an existing scheduler.

Chunks are submitted as tasks; a worker that dies is restarted by its
nanny and the scheduler reschedules its tasks.  A task that keeps killing
workers ends as ``KilledWorker``.  Which of its runs killed them is not
known, and it may only have waited on a worker another task killed (the
scheduler blames every task a dying worker held), so each of its runs is
tried again at the end, one at a time, alone on the cluster: a run is
recorded as failed only if it then kills its workers again.  Running them
alone also keeps the finished results of other tasks, which live on the
workers until they are fetched, from dying with the workers.  With a
LocalCluster the scheduler gives up on a task after it has killed two
workers; an external scheduler uses its own ``allowed-failures`` setting.

A scheduler address is checked before anything runs (:func:`check_scheduler`):
a malformed address, a scheduler that cannot be reached within
:data:`CONNECT_TIMEOUT` seconds, or a peer that does not answer as a Dask
scheduler (a port that accepts and never speaks, an HTTP server) is an
:class:`~simulation.errors.InputError` (one ``error:`` line, exit code 2),
not a traceback or a hang.

While the batch runs, a scheduler that goes away (killed, its machine
lost) ends it with a :class:`~simulation.batch.backends.BackendError` (one
line; every run finished so far is stored, ``--resume`` continues), and a
scheduler without workers for :data:`NO_WORKERS_WARNING` seconds gets a
``warning:`` line saying how many runs are waiting (they run when workers
join; or stop, and ``--resume`` finishes the job).  On Ctrl-C the
LocalCluster's workers stay quiet (they ignore SIGINT, see :func:`dask_setup`)
and the parent closes them.

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
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from simulation.batch.backends import (
    MAX_KILLS,
    BackendError,
    killed_result,
    refuse_unguarded_spawn,
)
from simulation.batch.specs import FAILED, RunResult, RunSpec, iter_chunks
from simulation.batch.start_method import concurrent_forks_refused, worker_context
from simulation.batch.task import ModelTask, run_chunk
from simulation.errors import InputError

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler (to connect, and to answer) before giving up."""

NO_WORKERS_WARNING = 60.0
"""Seconds a scheduler may have no worker, while runs wait, before a warning says so."""

POLL = 0.05
"""Seconds between looks at finished tasks while none is ready."""

HEALTH_EVERY = 1.0
"""Seconds between checks of the scheduler's workers while no task finishes."""

WINDOW_PER_THREAD = 4
"""Tasks submitted at a time per thread of the cluster (more are taken as tasks finish)."""

EXAMPLE_ADDRESS = "tcp://10.0.0.5:8786"


def check_scheduler(address: str, timeout: float | None = None) -> str:
    """Check that a Dask scheduler address is well formed and answers; call before creating a store.

    A TCP or TLS address is checked by opening a plain socket to it (refused
    at once when nothing listens there); a TCP address then by asking the
    peer who it is, as a Dask client does, so that a port that accepts and
    never speaks, or one where another server listens, is refused within
    ``timeout`` instead of hanging.  Other schemes (``inproc``, ``ucx``,
    ``ws``) are checked only by parsing.

    Args:
        address: e.g. ``tcp://10.0.0.5:8786`` or ``10.0.0.5:8786``.
        timeout: seconds to wait for the connection and for the answer
            (default :data:`CONNECT_TIMEOUT`).

    Returns:
        The address with its scheme (``tcp://10.0.0.5:8786``).

    Raises:
        InputError: the address is malformed, or nothing answers there in time.
    """
    from distributed.comm.addressing import parse_address, parse_host_port, unparse_address
    from distributed.comm.registry import get_backend

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    text = str(address).strip()
    try:
        scheme, location = parse_address(text, strict=False)
        get_backend(scheme)  # an unknown scheme raises ValueError naming the known ones
        if scheme not in ("tcp", "tls"):
            return unparse_address(scheme, location)
        host, port = parse_host_port(location)
        if not host or not 0 < int(port) < 65536:
            raise ValueError(f"port must be in 1..65535; got {port}")
    except (ValueError, TypeError) as exc:
        raise InputError("", "scheduler",
                         f"the Dask scheduler address {text!r} is malformed ({exc}); "
                         f"expected e.g. {EXAMPLE_ADDRESS}") from None
    full = unparse_address(scheme, location)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError("", "scheduler", _unreachable(full, timeout, exc)) from None
    if scheme == "tcp":
        _check_identity(full, timeout)
    return full


def _check_identity(address: str, timeout: float) -> None:
    """Refuse a peer that does not answer as a Dask scheduler within ``timeout`` seconds.

    The question runs on an event loop of its own, in a thread of its own,
    so it works from a notebook (whose loop is running) and leaves no thread.
    """
    answer: dict = {}

    def ask() -> None:
        import asyncio

        from distributed.comm import connect

        async def identity():
            comm = await connect(address, timeout=timeout)
            try:
                await comm.write({"op": "identity", "reply": True})
                return await comm.read()
            finally:
                comm.abort()

        try:
            answer["reply"] = asyncio.run(asyncio.wait_for(identity(), timeout))
        except BaseException as exc:  # reported by the caller
            answer["error"] = exc

    with quiet_distributed():
        thread = threading.Thread(target=ask, name="iesim-scheduler-check", daemon=True)
        thread.start()
        thread.join(timeout + 5)
    reply, error = answer.get("reply"), answer.get("error")
    if thread.is_alive() or isinstance(error, TimeoutError):
        raise InputError("", "scheduler", f"the peer at {address} accepts connections but gave "
                         f"no answer within {timeout:g} s; is it a Dask scheduler? nothing ran")
    if error is not None or not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        said = (f"{type(error).__name__}: {error}" if error is not None
                else f"it answered {str(reply)[:80]!r}")
        raise InputError("", "scheduler", f"the peer at {address} is not a Dask scheduler "
                         f"({said}); nothing ran")


@contextmanager
def quiet_distributed():
    """Silence the ``distributed`` loggers (connection noise when a peer goes away)."""
    logs = [logging.getLogger(name) for name in ("distributed", "tornado", "asyncio")]
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for log, level in zip(logs, levels, strict=True):
            log.setLevel(level)


def _unreachable(address: str, timeout: float, exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        reason = "connection refused: is the scheduler running?"
    elif isinstance(exc, socket.gaierror):
        reason = "unknown host"
    elif isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        reason = f"no answer within {timeout:g} s"
    else:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"cannot reach the Dask scheduler at {address} ({reason}); nothing ran"


def dask_setup(worker) -> None:
    """Preload of this backend's LocalCluster workers: leave Ctrl-C to the batch process.

    A Ctrl-C in the terminal reaches every process of the foreground group;
    without this each worker prints a ``KeyboardInterrupt`` traceback while the
    batch process shuts the cluster down anyway.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _connect(scheduler: str | None, workers: int, timeout: float):
    """A client on ``scheduler``, or on a new LocalCluster; returns (client, cluster or None)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        full = check_scheduler(scheduler, timeout)
        try:
            return Client(full, timeout=timeout), None
        except (OSError, ValueError, TimeoutError) as exc:
            raise InputError("", "scheduler", _unreachable(full, timeout, exc)) from None
    # Give up on a task after it killed MAX_KILLS workers, and send each worker only
    # the task it runs (none queued behind it), so a death blames only that task.
    # Workers' statistical profiler samples every 10 ms and slowed runs by
    # about 15% here; it is off for the LocalCluster this backend owns.
    # Its workers are forked under the same rule as local workers
    # (worker_context): measured here, spawned Dask workers cost 14% of
    # run time in start-up and ran slower; forked ones 3.5%. They are spawned
    # when a loaded library refuses concurrent forks (concurrent_forks_refused):
    # the cluster starts its workers from several threads at once.
    method = worker_start_method()
    refuse_unguarded_spawn(method, "dask")
    with dask.config.set({"distributed.scheduler.allowed-failures": MAX_KILLS - 1,
                          "distributed.scheduler.worker-saturation": 1.0,
                          "distributed.worker.profile.enabled": False,
                          "distributed.worker.multiprocessing-method": method,
                          "distributed.worker.preload": [__name__]}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    return Client(cluster), cluster


def worker_start_method() -> str:
    """How the LocalCluster's workers start: as local workers, but spawned if concurrent forks are refused."""
    return "spawn" if concurrent_forks_refused() else worker_context().get_start_method()


def _close_quietly(client, cluster) -> None:
    """Close the client and the cluster without logging their shutdown noise."""
    log = logging.getLogger("distributed")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        for closable in (client, cluster):
            if closable is not None:
                try:
                    closable.close()
                except Exception:  # already closing after an interrupt
                    pass
    finally:
        log.setLevel(level)


def run_dask(
    task: ModelTask,
    specs: Sequence[RunSpec],
    deliver: Callable[[RunResult], None],
    workers: int,
    chunk_size: int | None,
    scheduler: str | None = None,
    timeout: float | None = None,
) -> None:
    """Run specs on a Dask cluster (a new LocalCluster unless ``scheduler`` is given).

    Raises:
        InputError: ``scheduler`` is malformed, cannot be reached or is no Dask scheduler.
        BackendError: spawned workers would re-run an unguarded main script, or
            the scheduler went away during the batch (what finished is delivered).
    """
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    client, cluster = _connect(scheduler, workers, timeout)
    try:
        with quiet_distributed() if scheduler else _keep_workers():
            _run_tasks(client, task, specs, deliver, workers, chunk_size,
                       scheduler or "the LocalCluster")
    finally:
        _close_quietly(client, cluster)


@contextmanager
def _keep_workers():
    """Keep every worker of this backend's LocalCluster for the whole batch.

    A LocalCluster closes a worker's nanny for good when the scheduler has
    not seen that worker for ``distributed.deploy.lost-worker-timeout`` (15
    s), read when the worker is lost.  A run that kills its worker again and
    again (it is retried, then tried alone) can leave its worker restarting
    at that moment, and the cluster would then lose it, and at last every
    worker: the batch would wait forever.  The nanny restarts it anyway.
    """
    import dask

    with dask.config.set({"distributed.deploy.lost-worker-timeout": "3650 days"}):
        yield


def _warn(message: str) -> None:
    """Say something about the batch on standard error (tests replace this)."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def _run_tasks(client, task, specs, deliver, workers, chunk_size, where: str) -> None:
    """Submit the chunks and hand back each result; watch the scheduler and its workers.

    Results are gathered in the client's own thread as tasks finish
    (``as_completed(with_results=True)``), so this loop never blocks on one:
    a result whose worker left before it was fetched is computed again, and
    meanwhile the loop still watches the scheduler.  Chunks are taken from
    ``specs`` as tasks finish: at most :data:`WINDOW_PER_THREAD` tasks per
    thread of the cluster (or per worker asked for) are submitted at a time.
    """
    from concurrent.futures import CancelledError

    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    chunks: dict[str, list[RunSpec]] = {}
    done = as_completed(with_results=True, raise_errors=False)
    source = iter_chunks(specs, chunk_size, workers)
    total, delivered = len(specs), 0
    suspects: list[RunSpec] = []  # runs of tasks a worker died under: tried alone at the end
    alone: set[str] = set()

    def submit(chunk: list[RunSpec]) -> None:
        future = client.submit(run_chunk, task, chunk, pure=False)
        chunks[future.key] = chunk
        done.add(future)

    def give(result: RunResult) -> None:
        nonlocal delivered
        delivered += 1
        deliver(result)

    def lost(why: str) -> BackendError:
        return BackendError(f"lost the Dask scheduler at {where} ({why}); the {delivered} runs "
                            f"finished in this session are stored, {total - delivered} were "
                            "still to come: run the same command with --resume once the "
                            "scheduler is back")

    def refill() -> None:
        while len(chunks) < WINDOW_PER_THREAD * max(workers, watch.threads):
            chunk = next(source, None)
            if chunk is None:
                return
            submit(chunk)

    watch = _Watch(client)
    refill()
    while not done.is_empty() or suspects:
        if done.is_empty():  # nothing else runs now: a worker dying under it is its fault
            spec = suspects.pop(0)
            alone.add(spec.run_id)
            submit([spec])
            continue
        if not done.has_ready():
            problem = watch.check(total - delivered, where)
            if problem:
                raise lost(problem)
            time.sleep(POLL)
            continue
        watch.progress()
        for future, outcome in done.next_batch(block=False):
            if isinstance(outcome, CancelledError) or future.cancelled() \
                    or client.status != "running":
                raise lost("the connection closed" if client.status != "running"
                           else "its tasks were cancelled")
            chunk = chunks.pop(future.key)
            errored = future.status == "error"
            future.release()  # (a released future reads as cancelled: its status is read first)
            if not errored and isinstance(outcome, list):
                for result in outcome:
                    give(result)
                continue
            exc = outcome[1] if isinstance(outcome, tuple) else outcome
            if isinstance(exc, KilledWorker):
                if len(chunk) == 1 and chunk[0].run_id in alone:
                    give(killed_result(chunk[0], "(Dask KilledWorker)"))
                else:  # which run killed the workers is not known: each is tried alone
                    suspects += chunk
                continue
            # e.g. the task cannot be unpickled on a worker
            for spec in chunk:
                give(RunResult(spec.run_id, FAILED,
                               error=f"dask: {type(exc).__name__}: {exc}"[:500]))
        refill()


class _Watch:
    """While no task finishes: is the scheduler still there, and has it any worker?"""

    def __init__(self, client):
        self.client = client
        self.last = 0.0
        self.empty_since: float | None = None
        self.warned = False
        self.threads = self._threads()

    def _threads(self) -> int:
        """The cluster's threads (0 when it cannot say)."""
        try:
            return sum(self.client.nthreads().values())
        except Exception:  # the scheduler went away; the next check says so
            return 0

    def progress(self) -> None:
        """A task finished: workers are there."""
        self.empty_since, self.warned = None, False

    def check(self, pending: int, where: str) -> str:
        """What is wrong (empty when nothing is); warns once per stretch without workers."""
        now = time.monotonic()
        if now - self.last < HEALTH_EVERY:
            return ""
        self.last = now
        if self.client.status != "running":
            return "the connection closed"
        try:
            threads = self.client.nthreads()
        except Exception as exc:  # the scheduler went away between two looks
            if self.client.status != "running":
                return "the connection closed"
            return f"{type(exc).__name__}: {exc}"
        count, self.threads = len(threads), sum(threads.values())
        if count:
            self.progress()
            return ""
        if self.empty_since is None:
            self.empty_since = now
        idle = now - self.empty_since
        if idle >= NO_WORKERS_WARNING and not self.warned:
            self.warned = True
            _warn(f"the Dask scheduler at {where} has had no worker for {idle:.0f} s; "
                  f"{pending} runs are waiting for one (they run when workers join; or stop "
                  "with Ctrl-C, finished runs are kept, and run the same command with --resume "
                  "to finish)")
        return ""
