"""One participant's dashboard: settings in use, the model pair, Play, and what the page shows.

A :class:`Session` owns its run: the settings the models were built with
(:attr:`Session.settings`: sliders never show values the models do not
use), an engine that steps the pair and draws the figures, a Play thread,
and the latest :class:`~simulation.dashboard.engine.Frame`.  One lock
guards the engine: stepping, drawing and rebuilding never overlap, and
pages read only finished frames.  Every change of a setting pauses and
rebuilds both models from month 0 on the same seed; a setting the model
refuses leaves the last good models in place and says why in
:attr:`Session.message`.  A failure while stepping is logged on the server,
pauses this session and shows a short message; other sessions go on.

Pages follow a session with :meth:`Session.wait` (a new revision after each
change); several pages (a reload, a second tab) may show one session.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from simulation.dashboard import controls
from simulation.dashboard.engine import Engine, Frame
from simulation.dashboard.room import DIRECTIONS
from simulation.dashboard.twin import HEADLINES, baseline_params, scenario_toml
from simulation.errors import InputError
from simulation.model.parameters import PARAMETERS
from simulation.scenarios import SEED_RANGE

log = logging.getLogger("iesim.dashboard")

LIVE: weakref.WeakSet = weakref.WeakSet()
"""Sessions alive in this process (for tests and the server's own checks)."""

SPEEDS = {"slow": 1.0, "normal": 2.0, "fast": 8.0}
"""Months a second while playing (fast: at most this many; as many as the server gives)."""
DRAW_EVERY = 0.4
"""While playing, figures are redrawn at most this often (seconds); numbers every month."""
FAILED = ("This run stopped because of an error in the model (the server's log has the "
          "details). Press Reset or choose a preset to start again.")


@dataclass(frozen=True)
class Settings:
    """The settings a model pair was built with."""

    preset: str
    sliders: tuple[tuple[str, Any], ...]
    fixed: tuple[tuple[str, Any], ...]
    seed: int

    def value(self, name: str) -> Any:
        """A slider's value (the registry default when the preset leaves it unset)."""
        return dict(self.sliders).get(name, PARAMETERS[name].default)

    def params(self) -> dict[str, Any]:
        """The policy model's keywords: fixed settings, then every slider set."""
        return {**dict(self.fixed), **dict(self.sliders)}


def parse_seed(text: str) -> int:
    """A seed typed in the page, or ValueError saying what a seed must be."""
    low, high = SEED_RANGE
    try:
        seed = int(str(text).strip())
    except ValueError:
        seed = None
    if seed is None or not low <= seed <= high:
        raise ValueError(f"the seed must be a whole number from {low} to {high:,}; "
                         f"got {str(text)!r}")
    return seed


class Session:
    """A participant's settings, models, Play loop and latest frame.

    Args:
        preset: the preset to start from (a key of :data:`controls.PRESETS`).
        engine: makes the engine for (params, seed); :class:`Engine` unless a test or a
            worker pool gives another.
    """

    def __init__(self, preset: str = "baseline", engine=Engine):
        self.lock = threading.RLock()
        self._changed = threading.Condition(threading.Lock())
        self._wake = threading.Event()
        self._make_engine = engine
        self.revision = 0  # bumped after every change a page should show
        self.closed = False  # released: Play stops, the models are dropped
        self.playing = False
        self.speed = "normal"
        self.message: str | None = None
        self.engine = None
        self.frame: Frame | None = None
        self.settings: Settings | None = None
        self._thread: threading.Thread | None = None
        self._last_draw = 0.0
        self._generation = 0  # of Play threads: an older one stops
        self.label = f"session {id(self):x}"  # the room page's name for it
        self.predictions: dict[str, str] = {}  # headline -> direction, for the settings in use
        self.needs_predictions = False  # room mode: Play waits for a prediction of each headline
        self.apply_preset(preset)
        LIVE.add(self)

    # ------------------------------------------------------------ settings
    def apply_preset(self, name: str) -> None:
        """Pause, take a preset's levers, trends, population and seed, and rebuild."""
        params, seed = controls.preset(name)
        sliders, fixed = controls.split(params)
        self._rebuild(Settings(name, tuple(sliders.items()), tuple(fixed.items()), seed))

    def value(self, name: str) -> Any:
        """A slider's value in use."""
        return self.settings.value(name)

    def set(self, name: str, value: Any) -> None:
        """Pause, set one slider and rebuild (integer parameters are rounded)."""
        p = PARAMETERS[name]
        value = int(round(value)) if p.kind is int else float(value)
        sliders = {**dict(self.settings.sliders), name: value}
        self._rebuild(Settings(self.settings.preset, tuple(sliders.items()), self.settings.fixed,
                               self.settings.seed))

    def set_seed(self, seed: int | str) -> None:
        """Pause, set the seed of both models and rebuild.

        Raises:
            ValueError: not a seed (the message says what a seed must be); nothing changes.
        """
        seed = parse_seed(seed)
        s = self.settings
        self._rebuild(Settings(s.preset, s.sliders, s.fixed, seed))

    def params(self) -> dict[str, Any]:
        """The policy model's keywords in use."""
        return self.settings.params()

    def _rebuild(self, settings: Settings) -> bool:
        """Pause and rebuild both models at month 0; a refused setting keeps the last ones."""
        self.pause()
        with self.lock:
            try:
                engine = self._make_engine(settings.params(), settings.seed)
            except (ValueError, TypeError, InputError) as exc:
                self.message = f"the model refused these settings: {exc}"
                ok = False
            except Exception:
                log.exception("building the models failed (settings %r)", settings)
                self.message = FAILED
                ok = False
            else:
                self._drop_engine()
                if settings != self.settings:
                    self.predictions = {}  # a prediction holds for the settings it was made for
                self.engine, self.frame, self.settings = engine, engine.last, settings
                self.message = None
                ok = True
        self._notify()
        return ok

    # ------------------------------------------------------------ running
    def reset(self) -> None:
        """Pause and go back to month 0 with the same settings."""
        self._rebuild(self.settings)

    def step(self, months: int = 1) -> None:
        """Advance both models ``months`` months and draw the figures (once Play may start)."""
        with self.lock:
            if self.may_play:
                self._advance(months, draw=True)
        self._notify()

    def _advance(self, months: int, draw: bool) -> bool:
        """Step under the lock; a failure is logged, pauses and leaves a short message."""
        if self.engine is None or self.closed:
            return False
        try:
            self.frame = self.engine.advance(months, draw)
        except Exception:
            log.exception("session %x: stepping the models failed at month %s", id(self),
                          self.frame.month if self.frame else "?")
            self.playing = False
            self.message = FAILED
            return False
        return True

    def predict(self, name: str, direction: str) -> None:
        """Record the participant's expected direction of one headline outcome."""
        if name not in HEADLINES or direction not in DIRECTIONS:
            raise ValueError(f"a prediction is one of {DIRECTIONS} for one of {HEADLINES}; "
                             f"got {direction!r} for {name!r}")
        self.predictions = {**self.predictions, name: direction}
        self._notify()

    @property
    def may_play(self) -> bool:
        """Whether Play may start (in room mode, once every headline has a prediction)."""
        return not self.needs_predictions or set(HEADLINES) <= set(self.predictions)

    def play(self) -> None:
        """Start stepping month after month at :attr:`speed` until :meth:`pause`."""
        with self.lock:
            if self.playing or self.closed or self.engine is None or not self.may_play:
                return
            self.playing = True
            self._generation += 1
            self._wake.clear()
            self._thread = threading.Thread(target=self._play, args=(self._generation,),
                                            name=f"play-{id(self):x}", daemon=True)
            self._thread.start()
        self._notify()

    def pause(self) -> None:
        """Stop Play after the month under way; the figures then show the last month."""
        with self.lock:
            was = self.playing
            self.playing = False
            self._wake.set()
            if was and self.engine is not None and not self.closed:
                try:
                    self.frame = self.engine.draw()
                except Exception:
                    log.exception("session %x: drawing the figures failed", id(self))
                    self.message = FAILED
        self._notify()

    def set_speed(self, speed: str) -> None:
        """Months a second while playing: a key of :data:`SPEEDS`."""
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {', '.join(SPEEDS)}; got {speed!r}")
        self.speed = speed
        self._wake.set()  # a waiting Play loop takes the new speed at once
        self._notify()

    def _play(self, generation: int) -> None:
        while True:
            started = time.monotonic()
            with self.lock:
                if not self.playing or self.closed or generation != self._generation:
                    return
                draw = started - self._last_draw >= DRAW_EVERY
                if not self._advance(1, draw):
                    break
                if draw:
                    self._last_draw = started
            self._notify()
            self._wake.clear()
            self._wake.wait(max(0.0, 1.0 / SPEEDS[self.speed] - (time.monotonic() - started)))
        self._notify()

    # ------------------------------------------------------------ pages
    def _notify(self) -> None:
        with self._changed:
            self.revision += 1
            self._changed.notify_all()

    def wait(self, revision: int, timeout: float) -> int:
        """Block until the revision differs from ``revision`` (or ``timeout``); the revision."""
        with self._changed:
            self._changed.wait_for(lambda: self.revision != revision, timeout)
            return self.revision

    def close(self) -> None:
        """Release the session: Play stops, the models are dropped; pages show a message."""
        with self.lock:
            self.playing = False
            self.closed = True
            self._wake.set()
            self._drop_engine()
        self._notify()

    def _drop_engine(self) -> None:
        engine, self.engine = self.engine, None
        if engine is not None and hasattr(engine, "close"):
            engine.close()

    # ------------------------------------------------------------ reading
    @property
    def steps(self) -> int:
        """Months simulated so far."""
        return self.frame.month if self.frame is not None else 0

    @property
    def twin(self):
        """The model pair (in this process only; None when the engine lives elsewhere)."""
        return getattr(self.engine, "twin", None)

    def whole_years(self) -> int:
        """The years the downloaded files run: the months so far rounded up (at least one)."""
        return max(1, math.ceil(self.steps / 12))

    def scenario_file(self, which: str = "policy") -> str:
        """The settings in use as a scenario file (``policy``, or ``baseline``: levers off).

        Its years cover the months run so far; with the same seed ``iesim run`` reproduces
        that column at the end of each whole year.
        """
        s, years = self.settings, self.whole_years()
        params = s.params() if which == "policy" else baseline_params(s.params())
        name = "dashboard" if which == "policy" else "dashboard_baseline"
        what = "with the levers" if which == "policy" else "baseline: the same without levers"
        return scenario_toml(params, s.seed, years, name=name,
                             description=f"Saved from the iesim dashboard ({what}; preset "
                             f"{s.preset!r}, {self.steps} months run).")
