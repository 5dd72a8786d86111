"""Model pairs in worker processes, so a room's sessions use every core.

The server process keeps the pages; each :class:`Worker` is a process that
holds many engines (a model pair and its figures each) and steps and draws
them on request, one request at a time.  A :class:`RemoteEngine` is the
server's handle on one of them: it offers what an
:class:`~simulation.dashboard.engine.Engine` offers (``last``,
``advance``, ``draw``, ``close``) and returns the same picklable frames.
A new engine goes to the worker with the fewest.  The processes are
spawned (no fork of a threaded server) from a start method held by this
pool alone.

A setting the model refuses comes back as the same ``ValueError`` or
``TypeError``; any other failure in a worker comes back as
:class:`WorkerError` with the worker's traceback logged on the server, and
a worker that died is replaced for the next engine.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import threading
import traceback

from simulation.errors import InputError

log = logging.getLogger("iesim.dashboard")


class WorkerError(RuntimeError):
    """A worker failed to step or draw an engine, or died."""


def _serve(conn) -> None:
    """A worker's loop: requests ``(op, engine id, args)``; replies ``("ok", value)`` or an error."""
    from simulation.dashboard.engine import Engine

    engines: dict[int, Engine] = {}
    while True:
        try:
            op, key, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if op == "build":
                engines[key] = Engine(*args)
                value = engines[key].last
            elif op == "advance":
                value = engines[key].advance(*args)
            elif op == "draw":
                value = engines[key].draw()
            elif op == "drop":
                value = engines.pop(key, None) is not None
            elif op == "count":
                value = len(engines)
            else:
                raise ValueError(f"unknown request {op!r}")
            reply = ("ok", value)
        except (ValueError, TypeError, InputError) as exc:
            reply = ("refused", type(exc).__name__, str(exc))
        except Exception as exc:
            reply = ("error", repr(exc), traceback.format_exc())
        conn.send(reply)


class FairLock:
    """A lock taken in the order it was asked for, so no session's Play thread starves.

    A plain lock lets a thread that releases it take it again at once, ahead of
    others waiting: with many sessions on one worker, some advanced while others
    never got a turn.
    """

    def __init__(self):
        self._turn = threading.Condition(threading.Lock())
        self._next = 0  # the next ticket to hand out
        self._serving = 0  # the ticket whose holder may go

    def __enter__(self):
        with self._turn:
            ticket = self._next
            self._next += 1
            self._turn.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc):
        with self._turn:
            self._serving += 1
            self._turn.notify_all()


class Worker:
    """One worker process and the pipe to it (one request at a time, first come first served)."""

    def __init__(self, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True,
                                       name="iesim-dashboard-worker")
        self.process.start()
        child.close()
        self.lock = FairLock()
        self.engines = 0

    def call(self, op: str, key: int, *args):
        """Send one request and wait for its reply (re-raising what the worker raised)."""
        with self.lock:
            try:
                self.conn.send((op, key, args))
                reply = self.conn.recv()
            except (EOFError, OSError) as exc:
                raise WorkerError(f"a dashboard worker stopped ({exc!r})") from None
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "refused":
            raise {"TypeError": TypeError}.get(reply[1], ValueError)(reply[2])
        log.error("dashboard worker failed on %s: %s\n%s", op, reply[1], reply[2])
        raise WorkerError(reply[1])

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.is_alive()

    def stop(self) -> None:
        """Close the pipe; the worker ends."""
        self.conn.close()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()


class Pool:
    """Worker processes for engines, ``size`` of them (default: one a core)."""

    def __init__(self, size: int | None = None):
        self.size = max(1, size or os.cpu_count() or 1)
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[Worker] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def worker(self) -> Worker:
        """The live worker with the fewest engines (starting or replacing one as needed)."""
        with self._lock:
            self._workers = [w for w in self._workers if w.alive]
            if len(self._workers) < self.size:
                self._workers.append(Worker(self._context))
            worker = min(self._workers, key=lambda w: w.engines)
            worker.engines += 1
            return worker

    def engine(self, params, seed) -> RemoteEngine:
        """A new engine in a worker process, built at month 0."""
        return RemoteEngine(self, params, seed)

    def start(self) -> None:
        """Start every worker now (they take a few seconds to import the model)."""
        with self._lock:
            while len(self._workers) < self.size:
                self._workers.append(Worker(self._context))
        for w in list(self._workers):
            w.call("count", 0)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._workers = self._workers, []
        for w in workers:
            w.stop()


class RemoteEngine:
    """An engine living in a worker process: the same calls as a local one."""

    def __init__(self, pool: Pool, params, seed):
        self.key = next(pool._ids)
        self.worker = pool.worker()
        try:
            self.last = self.worker.call("build", self.key, dict(params), int(seed))
        except Exception:
            self.worker.engines -= 1
            raise

    def advance(self, months: int = 1, draw: bool = True):
        """Step both models ``months`` months; the new frame."""
        self.last = self.worker.call("advance", self.key, months, draw)
        return self.last

    def draw(self):
        """The current frame with its figures brought up to date."""
        self.last = self.worker.call("draw", self.key)
        return self.last

    def close(self) -> None:
        """Drop the engine in its worker."""
        self.worker.engines -= 1
        try:
            self.worker.call("drop", self.key)
        except WorkerError:
            pass
