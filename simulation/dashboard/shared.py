"""Identical runs computed once: sessions with the same settings and seed share a track.

A room often starts from the same preset and seed: thirty pages would build
and step thirty identical model pairs.  A :class:`Track` is one engine with
the frames it has made; each session reads it through a :class:`Cursor`
(its own month).  The first cursor to need a month steps the engine; the
others find the frame made.  Frames no cursor can still need are dropped.
A cursor that needs a month its track has passed and dropped, or a drawn
frame its track can no longer draw, moves to a track of its own (built
and brought to that month), so sharing never changes what a page shows.

A cursor offers what an :class:`~simulation.dashboard.engine.Engine` offers
(``last``, ``advance``, ``draw``, ``close``), so a session does not know
whether its run is shared.
"""

from __future__ import annotations

import json
import threading
from typing import Any

MAX_FRAMES = 240
"""Frames a track keeps at most (20 years; about 60 kB each): older ones go first."""


def track_key(params: dict[str, Any], seed: int) -> str:
    """The identity of a run: its settings and seed."""
    return json.dumps([sorted(params.items()), int(seed)], default=str)


class Track:
    """One engine and its frames by month, read by several cursors."""

    def __init__(self, engine):
        self.engine = engine
        self.frames = {engine.last.month: engine.last}
        self.lock = threading.Lock()
        self.cursors: set = set()

    def frame(self, month: int, draw: bool):
        """The frame at ``month`` (stepping the engine there), or None when it has passed it."""
        with self.lock:
            while self.engine.last.month < month:
                last = self.engine.advance(1, draw and self.engine.last.month + 1 == month)
                self.frames[last.month] = last
            frame = self.frames.get(month)
            if frame is not None and draw and frame.drawn_month != month:
                if self.engine.last.month != month:
                    return None  # drawing needs the models at that month
                frame = self.frames[month] = self.engine.draw()
            self._prune()
            return frame

    def _prune(self) -> None:
        """Drop frames older than every cursor's month, and beyond :data:`MAX_FRAMES`."""
        newest = self.engine.last.month
        oldest = max(min((c.month for c in self.cursors), default=newest), newest - MAX_FRAMES)
        for month in [m for m in self.frames if m < oldest and m != newest]:
            del self.frames[month]


class Tracks:
    """The tracks of a server: one per run in progress, found by settings and seed.

    Args:
        make_engine: builds an engine for (params, seed): a local one or one in a worker.
    """

    def __init__(self, make_engine):
        self.make_engine = make_engine
        self._lock = threading.Lock()
        self._open: dict[str, list[Track]] = {}

    def cursor(self, params: dict[str, Any], seed: int) -> Cursor:
        """A cursor at month 0 on a track of this run (shared when one still has month 0)."""
        key = track_key(params, seed)
        with self._lock:
            for track in self._open.get(key, []):
                with track.lock:
                    if 0 in track.frames:
                        cursor = Cursor(self, key, params, seed, track)
                        return cursor
        track = Track(self.make_engine(params, seed))  # outside the lock: building takes time
        with self._lock:
            self._open.setdefault(key, []).append(track)
        return Cursor(self, key, params, seed, track)

    def leave(self, key: str, track: Track, cursor: Cursor) -> None:
        """A cursor is done with a track; the last one out closes the engine."""
        with self._lock, track.lock:
            track.cursors.discard(cursor)
            if track.cursors:
                track._prune()
                return
            tracks = self._open.get(key, [])
            if track in tracks:
                tracks.remove(track)
            if not tracks:
                self._open.pop(key, None)
        close = getattr(track.engine, "close", None)
        if close is not None:
            close()

    def private(self, key: str, params, seed) -> Track:
        """A new track nobody shares yet (registered, so later cursors may join it)."""
        track = Track(self.make_engine(params, seed))
        with self._lock:
            self._open.setdefault(key, []).append(track)
        return track

    def count(self) -> int:
        """Engines open."""
        with self._lock:
            return sum(len(t) for t in self._open.values())


class Cursor:
    """A session's place on a track: an engine as far as the session can tell."""

    def __init__(self, tracks: Tracks, key: str, params, seed, track: Track):
        self.tracks, self.key, self.params, self.seed = tracks, key, dict(params), int(seed)
        self.track = track
        self.month = 0
        track.cursors.add(self)
        self.last = track.frames[0]

    def _read(self, month: int, draw: bool):
        frame = self.track.frame(month, draw)
        if frame is None:  # the track has passed this month: a track of our own
            track = self.tracks.private(self.key, self.params, self.seed)
            with track.lock:
                track.cursors.add(self)
            self.tracks.leave(self.key, self.track, self)
            self.track = track
            if month:
                with track.lock:
                    if month > 1:
                        track.engine.advance(month - 1, False)
                    last = track.engine.advance(1, True)
                    track.frames[last.month] = last
            frame = track.frame(month, draw)
        self.month = month
        self.last = frame
        return frame

    def advance(self, months: int = 1, draw: bool = True):
        """Move ``months`` months on; the frame there."""
        return self._read(self.month + months, draw)

    def draw(self):
        """The frame at this month with its figures drawn."""
        return self._read(self.month, True)

    def close(self) -> None:
        """Leave the track."""
        self.tracks.leave(self.key, self.track, self)
