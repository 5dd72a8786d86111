"""Room mode: participants' predictions, what the room has tried, and its export as a batch.

``iesim dashboard --room`` prints a facilitator token; the room page
(``/room?token=...``) lists every session with its settings, its headline
outcomes and its predictions against the results.  Each participant states
the expected direction of every headline outcome (with the levers against
the baseline) before Play; a prediction holds for the settings it was made
for.  The export is a zip: one batch file (``iesim batch`` accepts it) with
every idea of the room and the baselines they are compared with, and each
scenario file beside it.  A session's models draw the streams of replicate 0
of a batch with the session's seed, so the batch (seeded as most sessions
are) reproduces those sessions as its replicate 0, and a one-replicate batch
per other seed reproduces the rest; each scenario file, with ``iesim run``,
reproduces its session's page at the end of each whole year with the
session's own seed, which the file keeps.
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
    """The room's ideas as a zip of batch files and ``room/scenarios/*.toml``.

    ``room/batch.toml`` holds every idea; ``room/batch_seed_<seed>.toml`` each seed
    that fewer sessions used.  Every distinct setting of the sessions becomes one scenario, and every distinct
    baseline (levers off; presets may differ in population and trends) another;
    the reference is the most common baseline.  The batch's seed is the seed most
    sessions use, its years the most whole years any session has run.  A single
    run is replicate 0 of a batch with its seed (:func:`simulation.scenarios.run_seed`),
    so replicate 0 of ``batch.toml`` reproduces every session with that seed, both
    columns; each other seed gets a one-replicate batch of its sessions' settings and
    baselines that reproduces them the same way.
    """
    ideas: dict[str, tuple[dict, list[str], int]] = {}
    bases: dict[str, dict] = {}
    seeds_of: dict[str, set[int]] = {}  # an idea's key -> the seeds sessions ran it with
    base_of: dict[str, str] = {}  # an idea's key -> its baseline's key
    for own in sessions:
        s = own.settings
        params = s.params()
        key = scenario_toml(params, 0, 1, "x")
        who = f"{own.label} (preset {s.preset!r}, seed {s.seed})"
        if key in ideas:
            ideas[key][1].append(who)
        else:
            ideas[key] = (params, [who], s.seed)
        seeds_of.setdefault(key, set()).add(int(s.seed))
        base = baseline_params(params)
        base_of[key] = scenario_toml(base, 0, 1, "x")
        bases.setdefault(base_of[key], base)
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
    for key in ideas:
        uses[base_names[base_of[key]]] += 1
    idea_names = {}
    for i, (key, (params, who, own_seed)) in enumerate(ideas.items(), 1):
        name = idea_names[key] = f"idea_{i}"
        base = base_names[base_of[key]]
        files[name] = scenario_toml(params, own_seed, years, name,
                                    f"Tried by {'; '.join(who)}. Compare with {base}. "
                                    f"`iesim run` on this file reproduces the session "
                                    f"(seed {own_seed}).")
    reference = uses.most_common(1)[0][0] if uses else "baseline_1"
    batches = {"batch": _batch_file(
        list(files), reference, replicates, seed, years,
        ["# The workshop room's ideas: every setting a session used, and the baselines.",
         "# `iesim batch` runs each on common random numbers with replicates; replicate 0",
         f"# reproduces every session with seed {seed} (both columns), and each scenario",
         "# file's own seed reproduces its session with `iesim run`."])}
    for other in sorted(set(seeds) - {seed}):
        chosen = [key for key in ideas if other in seeds_of[key]]
        names = sorted({base_names[base_of[k]] for k in chosen}) + [idea_names[k] for k in chosen]
        batches[f"batch_seed_{other}"] = _batch_file(
            names, names[0], 1, other, years,
            [f"# The room's sessions with seed {other}: `iesim batch` on this file reproduces",
             "# each of them (both columns) as replicate 0. For replicates use batch.toml."])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in batches.items():
            archive.writestr(f"room/{name}.toml", text)
        for name, text in files.items():
            archive.writestr(f"room/scenarios/{name}.toml", text)
    return buffer.getvalue()


def _batch_file(names: list[str], reference: str, replicates: int, seed: int, years: int,
                comment: list[str]) -> str:
    """A batch file over ``room/scenarios/<name>.toml``."""
    return "\n".join([
        *comment, "[batch]", 'name = "workshop_room"',
        f"description = {toml_value('Settings the room tried in the iesim dashboard.')}",
        "scenarios = [" + ", ".join(toml_value(f"scenarios/{n}.toml") for n in names) + "]",
        f"reference = {toml_value(reference)}", f"replicates = {int(replicates)}",
        f"seed = {int(seed)}", f"years = {int(years)}", ""])
