"""One participant's dashboard state: settings, the model pair and its figures.

Each browser session makes its own :class:`Session`; nothing is shared
between sessions.  Every change of a setting rebuilds both models from
month 0 on the same seed.  A setting the model refuses leaves the last good
models in place and keeps the refusal in :attr:`Session.message`.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Any

from simulation.dashboard import controls
from simulation.dashboard.twin import Twin, scenario_toml
from simulation.dashboard.views import Views
from simulation.errors import InputError
from simulation.parameters import PARAMETERS

LIVE: weakref.WeakSet = weakref.WeakSet()
"""Sessions alive in this process (for tests and the server's own checks)."""


class Session:
    """A participant's settings and models.

    Args:
        preset: the preset to start from (a key of :data:`controls.PRESETS`).
    """

    def __init__(self, preset: str = "baseline"):
        self.lock = threading.RLock()
        self.closed = False  # set when the page showing it is gone; Play stops
        self.message: str | None = None
        self.twin: Twin | None = None
        self.views: Views | None = None
        self.apply_preset(preset)
        LIVE.add(self)

    # ------------------------------------------------------------ settings
    def apply_preset(self, name: str) -> None:
        """Take a preset's levers, trends, population and seed, and rebuild."""
        params, seed = controls.preset(name)
        self.preset = name
        self.sliders, self.fixed = controls.split(params)
        self.seed = seed
        self.build()

    def value(self, name: str) -> Any:
        """A slider's current value."""
        return self.sliders.get(name, PARAMETERS[name].default)

    def set(self, name: str, value: Any) -> None:
        """Set one slider and rebuild (integer parameters are rounded)."""
        p = PARAMETERS[name]
        before = dict(self.sliders)
        self.sliders[name] = int(round(value)) if p.kind is int else float(value)
        if not self.build():
            self.sliders = before  # the refused value is not kept; the message says why

    def set_seed(self, seed: int) -> None:
        """Set the seed of both models and rebuild."""
        self.seed = int(seed)
        self.build()

    def params(self) -> dict[str, Any]:
        """The model keywords of the policy model: fixed settings, then every slider set."""
        return {**self.fixed, **self.sliders}

    # ------------------------------------------------------------ models
    def build(self) -> bool:
        """Rebuild both models at month 0; on a refused setting keep the last good ones.

        Returns:
            Whether the models were rebuilt (False: :attr:`message` says why not).
        """
        with self.lock:
            try:
                twin = Twin(self.params(), self.seed)
            except (ValueError, TypeError, InputError) as exc:
                self.message = f"the model refused these settings: {exc}"
                return False
            self.twin, self.views, self.message = twin, Views(twin), None
            return True

    def reset(self) -> None:
        """Back to month 0 with the same settings."""
        self.build()

    def step(self, months: int = 1) -> None:
        """Advance both models and bring the figures up to date."""
        with self.lock:
            if self.twin is None:
                return
            self.twin.step(months)
            self.views.update()

    @property
    def steps(self) -> int:
        """Months simulated so far."""
        return self.twin.steps if self.twin is not None else 0

    def scenario_file(self) -> str:
        """The current settings as a scenario file, its years covering the months run so far."""
        years = max(1, math.ceil(self.steps / 12))
        return scenario_toml(self.params(), self.seed, years, name="dashboard",
                             description=f"Saved from the iesim dashboard (preset {self.preset!r}, "
                             f"{self.steps} months run).")
