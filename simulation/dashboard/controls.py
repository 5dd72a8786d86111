"""What the dashboard lets a participant set: presets, and the levers grouped as the paper does.

Everything comes from the registry and the scenario files: a slider's range
is the parameter's plausible range (for a lever, from off to about twice
its shipped setting), its label the parameter's meaning and unit, and a
preset is a shipped scenario file's settings.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from simulation.dashboard.labels import parameter_label
from simulation.model.parameters import PARAMETERS, Parameter, resolve
from simulation.model.policy import LEVERS, Levers

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

GROUPS = {  # Zhao (2024)'s recommendations, grouped; each lists registry sections
    "Funding and incentives": ("levers.dedicated_fund", "levers.tax_break"),
    "Standards and accreditation": ("levers.accreditation", "levers.firm_lecturers"),
    "Cooperation procedures": ("levers.fast_track", "levers.linkage_meetings"),
    "Entrepreneurship": ("levers.incubator",),
    "Monitoring": ("levers.monitoring",),
    "Future trends": ("trends",),
}

PRESETS = {  # preset name: scenario file (None: the registry's defaults)
    "baseline": "baseline.toml",
    "case 1: technical university and IT firm": "case_tech_it.toml",
    "case 2: art school and design firms": "case_art_design.toml",
    "case 3: comprehensive university, agriculture": "case_agri_comprehensive.toml",
    "full package": "full_package.toml",
    "trend: faster technological change": "trend_technology.toml",
    "trend: flexible pathways": "trend_flexible_pathways.toml",
    "trend: cross-sector networks": "trend_cross_sector.toml",
}


def group_parameters() -> dict[str, list[Parameter]]:
    """The parameters each group's sliders set, in registry order."""
    return {group: [p for p in PARAMETERS.values() if p.section in sections]
            for group, sections in GROUPS.items()}


def slider_parameters() -> list[Parameter]:
    """Every parameter with a slider."""
    return [p for params in group_parameters().values() for p in params]


def slider_range(p: Parameter) -> tuple[float, float]:
    """A slider's range: the plausible range, widened to hold the default."""
    low, high = p.plausible if p.plausible is not None else (p.low, p.high)
    return min(low, p.default), max(high, p.default)


@cache
def slider_step(p: Parameter) -> float:
    """A slider's step: 1 for an integer; else a 1-2-5 step near a hundredth of the range.

    The step is one that every preset's value and the default lie on, so a slider's
    thumb never snaps away from the value in use (a 60 kCNY step would show 400 as 420).
    """
    if p.kind is int:
        return 1
    low, high = slider_range(p)
    values = {p.default, *(preset(name)[0].get(p.name, p.default) for name in PRESETS)}
    power = 10.0 ** math.floor(math.log10((high - low) / 100))
    candidates = [m * power / 10**k for k in range(5) for m in (5, 2, 1)]
    for step in candidates:
        if all(abs((x - low) / step - round((x - low) / step)) < 1e-6 for x in values):
            return float(f"{step:.6g}")
    return candidates[-1]


NEEDS = {"monitoring": "dedicated_fund"}
"""A lever that acts through another: monitoring moves the dedicated fund's grants."""


def lever_of(p: Parameter) -> str | None:
    """The lever a parameter belongs to (its section ``levers.<lever>``), or None."""
    head, _, lever = p.section.partition(".")
    return lever if head == "levers" and lever in LEVERS else None


@cache
def switches() -> dict[str, tuple[Parameter, ...]]:
    """Each lever's switches: the parameters that, raised alone from the baseline, turn it on."""
    out = {}
    for lever in LEVERS:
        members = [p for p in PARAMETERS.values() if lever_of(p) == lever]
        out[lever] = tuple(p for p in members
                           if Levers(resolve(**{p.name: slider_range(p)[1]})).active()[lever])
    return out


def inactive(p: Parameter, params: dict[str, Any]) -> tuple[str | None, bool]:
    """Why a setting has no effect with ``params``, and whether its slider is greyed.

    Returns:
        (None, False) for a setting that acts; else the reason ("no effect while the
        yearly budget of the dedicated fund is 0") and True when the setting cannot act
        until another setting changes (a lever's switch itself stays movable).
    """
    lever = lever_of(p)
    if lever is None:
        return None, False
    active = Levers(resolve(**params)).active()
    keys = switches()[lever]
    if not active[lever] and p not in keys:
        names = " or ".join(parameter_label(s).lower() for s in keys)
        return f"no effect while the {names} is 0", True
    needed = NEEDS.get(lever)
    if needed and not active[needed]:
        names = " or ".join(parameter_label(s).lower() for s in switches()[needed])
        return f"moves no grants while the {names} is 0 (it still costs)", p not in keys
    return None, False


def preset(name: str) -> tuple[dict[str, Any], int]:
    """A preset's model keywords and seed.

    Raises:
        KeyError: an unknown preset.
    """
    from simulation.scenarios import load_scenario

    scenario = load_scenario(SCENARIOS / PRESETS[name])
    return dict(scenario.params), scenario.seed


def split(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Model keywords as (slider settings, the rest: population and other fixed settings)."""
    sliders = {p.name for p in slider_parameters()}
    return ({k: v for k, v in params.items() if k in sliders},
            {k: v for k, v in params.items() if k not in sliders})
