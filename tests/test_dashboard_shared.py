"""Dashboard runs shared by identical settings, and model pairs in worker processes."""

from __future__ import annotations

import math
import os
import signal
import threading
import time

import pytest

from simulation.dashboard import controls
from simulation.dashboard.engine import Engine
from simulation.dashboard.session import Session
from simulation.dashboard.shared import Tracks
from simulation.dashboard.workers import FairLock, Pool, WorkerError

SMALL = {"n_students": 600}  # a small population: these tests are about plumbing


def settings(preset="full package"):
    params, seed = controls.preset(preset)
    return {**params, **SMALL}, seed


def same(a, b) -> bool:
    """Two frames show the same numbers (NaN equal to NaN)."""
    def eq(x, y):
        return (isinstance(x, float) and isinstance(y, float) and math.isnan(x)
                and math.isnan(y)) or x == y
    return a.month == b.month and all(
        eq(x, y) for ra, rb in zip(a.headlines, b.headlines, strict=True)
        for x, y in zip(ra, rb, strict=True))


class CountingEngine(Engine):
    built = 0

    def __init__(self, params, seed):
        CountingEngine.built += 1
        super().__init__(params, seed)


def test_identical_settings_and_seed_are_computed_once():
    CountingEngine.built = 0
    tracks = Tracks(CountingEngine)
    params, seed = settings()
    a, b = tracks.cursor(params, seed), tracks.cursor(params, seed)
    assert CountingEngine.built == 1 and tracks.count() == 1
    for _ in range(4):
        fa, fb = a.advance(1), b.advance(1)
        assert fa is fb  # one frame, made once, read by both
    other = tracks.cursor(params, seed + 1)  # another seed: its own run
    assert CountingEngine.built == 2
    alone = Engine(params, seed)
    alone.advance(4)
    assert same(fa, alone.last)
    for cursor in (a, b, other):
        cursor.close()
    assert tracks.count() == 0


def test_a_session_behind_its_track_gets_its_own_run_with_the_same_numbers():
    tracks = Tracks(Engine)
    params, seed = settings()
    ahead, behind = tracks.cursor(params, seed), tracks.cursor(params, seed)
    for _ in range(5):
        ahead.advance(1, draw=False)
    frame = behind.advance(3, draw=True)  # month 3 was made undrawn; the track is at 5
    assert frame.month == frame.drawn_month == 3 and behind.track is not ahead.track
    alone = Engine(params, seed)
    alone.advance(3)
    assert same(frame, alone.last)
    late = tracks.cursor(params, seed)  # month 0 is gone from the first track, not from the new
    assert late.track is behind.track
    for cursor in (ahead, behind, late):
        cursor.close()
    assert tracks.count() == 0


def test_sessions_on_a_shared_run_play_and_pause_independently():
    tracks = Tracks(Engine)
    a = Session(engine=lambda p, s: tracks.cursor({**p, **SMALL}, s))
    b = Session(engine=lambda p, s: tracks.cursor({**p, **SMALL}, s))
    assert tracks.count() == 1
    a.step(3)
    b.step(1)
    assert (a.steps, b.steps) == (3, 1) and a.frame.drawn_month == 3
    b.apply_preset("full package")  # b leaves for a run of its own
    assert tracks.count() == 2 and b.steps == 0
    a.close()
    b.close()
    assert tracks.count() == 0


@pytest.fixture(scope="module")
def pool():
    pool = Pool(2)
    pool.start()
    yield pool
    pool.close()


def test_a_worker_process_computes_what_this_process_computes(pool):
    params, seed = settings()
    remote, local = pool.engine(params, seed), Engine(params, seed)
    for months in (1, 2, 12):
        assert same(remote.advance(months), local.advance(months))
    assert remote.last.images.keys() == local.last.images.keys()
    remote.close()


def test_a_refused_setting_in_a_worker_is_the_same_refusal(pool):
    params, seed = settings()
    with pytest.raises(ValueError, match="grant_share"):
        pool.engine({**params, "fund_grant_share": 5.0}, seed)


def test_a_dead_worker_fails_its_sessions_with_a_message_and_is_replaced(pool):
    params, seed = settings()
    own = Session(engine=lambda p, s: pool.engine({**p, **SMALL}, s))
    victim = own.engine.worker
    os.kill(victim.process.pid, signal.SIGKILL)
    victim.process.join(30)
    own.step(1)
    assert own.message is not None and "error" in own.message
    with pytest.raises(WorkerError):
        own.engine.advance(1)
    own.reset()  # a new engine, in a live worker
    own.step(2)
    assert own.message is None and own.steps == 2
    own.close()


def test_a_workers_lock_serves_threads_in_the_order_they_asked():
    lock, order = FairLock(), []
    lock.__enter__()  # held, while three threads queue up one after another

    def take(i):
        with lock:
            order.append(i)

    threads = []
    for i in range(3):
        t = threading.Thread(target=take, args=(i,))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 30
        while lock._next != i + 2:  # the condition: thread i holds its ticket
            assert time.monotonic() < deadline
            time.sleep(0.01)
    lock.__exit__(None, None, None)
    for t in threads:
        t.join(30)
    assert order == [0, 1, 2]
