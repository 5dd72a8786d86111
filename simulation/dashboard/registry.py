"""The server's sessions: one per browser, a limit on how many, and release of lost ones.

A browser is known by Solara's session cookie, so a reload (or a second tab)
finds its session again and the run goes on where it was.  A session whose
browser has not been heard from for :data:`IDLE_SECONDS` (no page of it
connected: lid closed, tab closed, network gone) is paused and released:
its models are dropped and its Play thread ends.  At most
:data:`MAX_SESSIONS` sessions run at once; a browser beyond that gets a
message instead of a session, so the room does not slow down for everyone.

Sessions' runs go through :class:`~simulation.dashboard.shared.Tracks`, so
identical settings and seed are computed once, and with
``IESIM_DASHBOARD_WORKERS`` > 0 their model pairs live in that many worker
processes (:mod:`simulation.dashboard.workers`).

The numbers come from the environment, which ``iesim dashboard`` sets from
its options (``IESIM_DASHBOARD_IDLE_SECONDS``, ``IESIM_DASHBOARD_MAX_SESSIONS``,
``IESIM_DASHBOARD_WORKERS``).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time

from simulation.dashboard import room
from simulation.dashboard.engine import Engine
from simulation.dashboard.session import Session
from simulation.dashboard.shared import Tracks

log = logging.getLogger("iesim.dashboard")


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


IDLE_SECONDS = _env_number("IESIM_DASHBOARD_IDLE_SECONDS", 60.0)
"""A session whose browser is away this long is paused and released."""
MAX_SESSIONS = int(_env_number("IESIM_DASHBOARD_MAX_SESSIONS", 6 * (os.cpu_count() or 1)))
"""Sessions running at once (the default, six a core, keeps each at a month a second or more)."""
WORKERS = int(os.environ.get("IESIM_DASHBOARD_WORKERS", "0") or 0)
"""Worker processes for the model pairs (0: in this process)."""


class RoomFull(str):
    """The message a browser gets instead of a session when :data:`MAX_SESSIONS` run."""


_lock = threading.Lock()
_by_browser: dict[str, Session] = {}
_pages: dict[Session, int] = {}
_heard: dict[Session, float] = {}
_reaper: threading.Thread | None = None
_tracks: Tracks | None = None
_warm = None  # a cursor on the first preset's run, kept at month 0
_numbers = itertools.count(1)  # participants, in the order they came


def tracks() -> Tracks:
    """The server's runs: in worker processes when :data:`WORKERS` > 0, else in this one."""
    global _tracks
    with _lock:
        if _tracks is None:
            if WORKERS > 0:
                from simulation.dashboard.workers import Pool

                pool = Pool(WORKERS)
                threading.Thread(target=pool.start, daemon=True, name="iesim-pool").start()
                _tracks = Tracks(pool.engine)
            else:
                _tracks = Tracks(Engine)
        return _tracks


def warm(preset: str = "baseline") -> None:
    """Start the workers and build the first preset's run now, so the first pages load fast.

    The run stays open at month 0 (a cursor that never moves), so every page that
    starts from that preset and seed shares it.
    """
    from simulation.dashboard import controls

    def build():
        global _warm
        try:
            params, seed = controls.preset(preset)
            _warm = tracks().cursor(params, seed)
        except Exception:
            log.exception("dashboard: warming up failed (pages will build their own runs)")

    threading.Thread(target=build, daemon=True, name="iesim-warm").start()


def current_context():
    """The Solara kernel context of this thread, or None (outside a server: tests)."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context()
    except Exception:
        return None


def browser_connected(context) -> bool:
    """Whether a page of this kernel has a live connection (True outside a server)."""
    if context is None:
        return True
    from solara.server.kernel_context import PageStatus

    return any(status == PageStatus.CONNECTED for status in context.page_status.values())


def open_session(preset: str = "baseline") -> Session | RoomFull:
    """The session of this page's browser: its live one, a new one, or the room-full message."""
    context = current_context()
    browser = getattr(context, "session_id", None)
    with _lock:
        own = _by_browser.get(browser) if browser else None
        if own is not None and not own.closed:
            _heard[own] = time.monotonic()
            return own
        if len(_heard) >= MAX_SESSIONS:
            log.warning("dashboard: session limit %d reached; a browser was turned away",
                        MAX_SESSIONS)
            return RoomFull(f"The dashboard already runs {MAX_SESSIONS} sessions, as many as "
                            "this server holds at full speed. Please share a screen with a "
                            "neighbour, or try again when someone has closed their page.")
    own = Session(preset, engine=tracks().cursor)
    own.needs_predictions = room.enabled()
    with _lock:
        own.label = f"participant {next(_numbers)}"
        if browser:
            _by_browser[browser] = own
        _heard[own] = time.monotonic()
        _start_reaper()
    return own


def attach(own: Session) -> None:
    """A page shows ``own``."""
    with _lock:
        _pages[own] = _pages.get(own, 0) + 1
        if own in _heard:
            _heard[own] = time.monotonic()


def detach(own: Session) -> None:
    """A page of ``own`` is gone (its kernel closed); the session waits for a reload."""
    with _lock:
        _pages[own] = max(0, _pages.get(own, 0) - 1)


def heard_from(own: Session, context) -> None:
    """A page's watcher checks in: the browser counts as heard from while it is connected."""
    if browser_connected(context):
        with _lock:
            if own in _heard:
                _heard[own] = time.monotonic()


def sessions() -> list[Session]:
    """The sessions running now."""
    with _lock:
        return list(_heard)


def release_idle(now: float | None = None) -> list[Session]:
    """Pause and release every session not heard from for :data:`IDLE_SECONDS`; those released."""
    now = time.monotonic() if now is None else now
    with _lock:
        gone = [s for s, heard in _heard.items() if now - heard >= IDLE_SECONDS]
        for own in gone:
            del _heard[own]
            _pages.pop(own, None)
            for browser, s in list(_by_browser.items()):
                if s is own:
                    del _by_browser[browser]
    for own in gone:
        own.close()
        log.info("dashboard: released session %x at month %d (browser away %.0f s)",
                 id(own), own.steps, IDLE_SECONDS)
    return gone


def _start_reaper() -> None:
    global _reaper
    if _reaper is None or not _reaper.is_alive():
        _reaper = threading.Thread(target=_reap, name="iesim-reaper", daemon=True)
        _reaper.start()


def _reap() -> None:
    while True:
        time.sleep(min(5.0, IDLE_SECONDS / 4))
        try:
            release_idle()
        except Exception:
            log.exception("dashboard: releasing idle sessions failed")
