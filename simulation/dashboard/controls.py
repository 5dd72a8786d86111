"""What the dashboard lets a participant set: presets, and the levers grouped as the paper does.

Everything comes from the registry and the scenario files: a slider's range
is the parameter's plausible range (for a lever, from off to about twice
its shipped setting), its label the parameter's meaning and unit, and a
preset is a shipped scenario file's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulation.parameters import PARAMETERS, Parameter

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


def slider_step(p: Parameter) -> float:
    """1 for an integer parameter; about a hundredth of the range otherwise."""
    if p.kind is int:
        return 1
    low, high = slider_range(p)
    return float(f"{(high - low) / 100:.1g}")


def label(p: Parameter) -> str:
    """A slider's label: the parameter's meaning, unit and file address."""
    return f"{p.meaning} ({p.unit}) [{p.path}]"


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
