"""Room mode: participants' predictions, what the room has tried, and its export as a batch.

``iesim dashboard --room`` prints a facilitator token; the room page
(``/room?token=...``) lists every session with its settings, its headline
outcomes and its predictions against the results.  Each participant states
the expected direction of every headline outcome (with the levers against
the baseline) before Play; a prediction holds for the settings it was made
for.  The export is a zip: one batch file (``iesim batch`` accepts it) with
every idea of the room and the baselines they are compared with, and each
scenario file beside it.  The batch runs replicates on its own random
streams (replicate ``r`` of ``SeedSequence(seed)``); each scenario file,
with ``iesim run``, reproduces its session's page at the end of each whole
year with the session's own seed, which the file keeps.
"""

from __future__ import annotations

import io
import os
import secrets
import zipfile
from collections import Counter
from typing import Any

from simulation.dashboard import controls, labels
from simulation.dashboard.twin import HEADLINES, baseline_params, scenario_toml, toml_value
from simulation.model.metrics import OUTCOMES
from simulation.model.parameters import PARAMETERS

DIRECTIONS = ("up", "no change", "down")
"""What a participant predicts for each headline outcome, with the levers against the baseline."""


def enabled() -> bool:
    """Whether the server runs in room mode (``iesim dashboard --room``)."""
    return os.environ.get("IESIM_DASHBOARD_ROOM") == "1"


def token_ok(given: str | None) -> bool:
    """Whether ``given`` is the facilitator's token (compared in constant time)."""
    token = os.environ.get("IESIM_DASHBOARD_ROOM_TOKEN", "")
    return bool(token) and given is not None and secrets.compare_digest(given, token)


def observed(diff: float, unit: str) -> str | None:
    """The direction a difference shows as people read it ("no change" when it rounds to 0)."""
    text = labels.number(diff, unit, sign=True)
    if text == "n/a":
        return None
    if text.startswith("+"):
        return "up"
    return "no change" if text.startswith("0") else "down"


def scored(predictions: dict[str, str], frame) -> list[tuple[str, str | None, str | None]]:
    """Each headline as (name, predicted direction, observed direction so far)."""
    return [(name, predictions.get(name), observed(diff, OUTCOMES[name].unit))
            for name, _, _, diff in frame.headlines if name in HEADLINES]


def changes(settings) -> dict[str, Any]:
    """The sliders a participant moved away from the preset's values."""
    preset = controls.preset(settings.preset)[0]
    return {name: value for name, value in settings.sliders
            if value != preset.get(name, PARAMETERS[name].default)}


def export(sessions: list, replicates: int = 10) -> bytes:
    """The room's ideas as a zip: ``room/batch.toml`` and ``room/scenarios/*.toml``.

    Every distinct setting of the sessions becomes one scenario, and every distinct
    baseline (levers off; presets may differ in population and trends) another;
    the reference is the most common baseline.  The batch's seed is the seed most
    sessions use, its years the most whole years any session has run.
    """
    ideas: dict[str, tuple[dict, list[str], int]] = {}
    bases: dict[str, dict] = {}
    for own in sessions:
        s = own.settings
        params = s.params()
        key = scenario_toml(params, 0, 1, "x")
        who = f"{own.label} (preset {s.preset!r}, seed {s.seed})"
        if key in ideas:
            ideas[key][1].append(who)
        else:
            ideas[key] = (params, [who], s.seed)
        base = baseline_params(params)
        bases.setdefault(scenario_toml(base, 0, 1, "x"), base)
    seeds = Counter(own.settings.seed for own in sessions)
    seed = seeds.most_common(1)[0][0] if seeds else 0
    years = max([own.whole_years() for own in sessions], default=1)
    files: dict[str, str] = {}
    base_names = {}
    for i, (key, base) in enumerate(bases.items(), 1):
        name = f"baseline_{i}"
        base_names[key] = name
        files[name] = scenario_toml(base, seed, years, name,
                                    "The room's baseline: every lever off.")
    uses = Counter()
    for params, _, _ in ideas.values():
        uses[base_names[scenario_toml(baseline_params(params), 0, 1, "x")]] += 1
    for i, (params, who, own_seed) in enumerate(ideas.values(), 1):
        name = f"idea_{i}"
        base = base_names[scenario_toml(baseline_params(params), 0, 1, "x")]
        files[name] = scenario_toml(params, own_seed, years, name,
                                    f"Tried by {'; '.join(who)}. Compare with {base}. "
                                    f"`iesim run` on this file reproduces the session "
                                    f"(seed {own_seed}).")
    reference = uses.most_common(1)[0][0] if uses else "baseline_1"
    batch = "\n".join([
        "# The workshop room's ideas: every setting a session used, and the baselines.",
        "# `iesim batch` runs each on common random numbers with replicates; each scenario",
        "# file's own seed reproduces its session with `iesim run`.",
        "[batch]", 'name = "workshop_room"',
        f"description = {toml_value('Settings the room tried in the iesim dashboard.')}",
        "scenarios = [" + ", ".join(toml_value(f"scenarios/{n}.toml") for n in files) + "]",
        f"reference = {toml_value(reference)}", f"replicates = {int(replicates)}",
        f"seed = {int(seed)}", f"years = {int(years)}", ""])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("room/batch.toml", batch)
        for name, text in files.items():
            archive.writestr(f"room/scenarios/{name}.toml", text)
    return buffer.getvalue()
