"""Words and numbers for people: short labels from the declarations, values with units.

Nothing here declares a meaning or a unit: a slider's label is the registry
parameter's ``meaning`` shortened (its file key goes in the tooltip), and an
outcome's is the metric declaration's (:data:`simulation.model.metrics.OUTCOMES`).
Shares read as percentages and their differences as percentage points;
large numbers get thousands separators; a difference that rounds to zero
reads "0", never "+0" or "-0.000".
"""

from __future__ import annotations

import math
import re

from simulation.model.parameters import Parameter

_ASIDE = re.compile(r"\s*\([^()]*\)")
_TRAILING = re.compile(r"\.(\d*?)0+(?=\D|$)")


def short(meaning: str) -> str:
    """A declaration's meaning as a label: asides in brackets and after a semicolon dropped."""
    text = _ASIDE.sub("", meaning.replace("``", "").replace("_", " ")).split(";")[0].strip()
    return text[:1].upper() + text[1:]


def parameter_label(p: Parameter) -> str:
    """A slider's label: the parameter's meaning, shortened."""
    return short(p.meaning)


def _digits(x: float) -> int:
    """Decimals that show ``x`` with about three significant digits (none from 100 up)."""
    x = abs(x)
    if x >= 100 or x == 0:
        return 0
    return min(4, max(0, 2 - math.floor(math.log10(x))))


def number(x, unit: str = "", sign: bool = False) -> str:
    """A value for people, in ``unit`` ('share' reads as a percentage; with ``sign``, points).

    Args:
        x: the value (None or NaN reads "n/a").
        unit: the declaration's unit.
        sign: a difference: "+" or "-" in front, and "0" when it rounds to zero.
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    x = float(x)
    if unit == "share":
        scaled, digits = 100 * x, 1
        suffix = " points" if sign else "%"
    else:
        scaled = x
        digits = 0 if x.is_integer() else _digits(x)
        suffix = ""
    text = f"{abs(scaled):,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return f"0{suffix}"
    if sign:
        text = ("+" if scaled > 0 else "\u2212") + text
    elif scaled < 0:
        text = "\u2212" + text
    return text + suffix


def with_unit(x, unit: str) -> str:
    """A setting's value with its unit: '30%', '3,000 kCNY per year', '×1.5'."""
    text = number(x, unit)
    text = _TRAILING.sub(lambda m: f".{m.group(1)}" if m.group(1) else "", text)  # a setting
    if unit == "share" or text == "n/a":
        return text
    return f"×{text}" if unit == "factor" else f"{text} {unit}"
