"""How numbers are printed for readers: one policy for every printed table and report.

* Three significant figures (:func:`number`), with thousands separators, in positional
  notation for everyday magnitudes (``1e-6 <= |x| < 1e15``); scientific notation only
  outside that range.  Rounding to three figures may end in zeros (12,345 prints as
  12,300), as a reader rounding by hand would.
* Shares as percentages (:func:`percent`); differences of shares in percentage points
  with a sign (:func:`points`); other differences with a sign (:func:`signed`).  Which
  one applies follows an outcome's declared unit (:func:`level`, :func:`difference`).
* Counts exact, with thousands separators (:func:`count`).
* A missing value (NaN) prints as "n/a", or as the caller's words ("not estimable");
  infinite interval ends are said in words ("unbounded"); negative zero prints as 0.

Tidy CSV and Parquet files are not formatted: they keep full precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable

DIGITS = 3
NA = "n/a"
UNBOUNDED = "unbounded"
SHARE = "share"  # the unit of an outcome that is a share (metrics.Outcome.unit)
POINTS = "pp"  # the unit of a difference of shares, in percentage points
SMALLEST, LARGEST = 1e-6, 1e15  # positional notation inside [SMALLEST, LARGEST)

Format = Callable[[float], str]


def _missing(x) -> bool:
    return x is None or math.isnan(float(x))


def number(x: float | None, digits: int = DIGITS, missing: str = NA) -> str:
    """``x`` to ``digits`` significant figures, with thousands separators.

    Examples: ``0.000123``, ``0.400``, ``98.2``, ``2,410``, ``12,300``; ``0`` for 0 and
    -0.0; ``missing`` for NaN and None; "infinite" and "minus infinite" for infinities.
    """
    if _missing(x):
        return missing
    x = float(x)
    if math.isinf(x):
        return "infinite" if x > 0 else "minus infinite"
    if x == 0:
        return "0"
    rounded = float(f"{x:.{digits}g}")
    if not SMALLEST <= abs(rounded) < LARGEST:
        return f"{rounded:.{digits - 1}e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:,.{decimals}f}"


def signed(x: float | None, digits: int = DIGITS, missing: str = NA) -> str:
    """A difference: :func:`number` with ``+`` before a positive value (0 unsigned)."""
    text = number(x, digits, missing)
    return f"+{text}" if not _missing(x) and math.isfinite(x) and x > 0 else text


def percent(share: float | None, digits: int = DIGITS, missing: str = NA) -> str:
    """A share (0.123) as a percentage (``12.3%``); also for probabilities."""
    return missing if _missing(share) else f"{number(100.0 * float(share), digits)}%"


def points(diff: float | None, digits: int = DIGITS, missing: str = NA) -> str:
    """A difference of shares (0.00804) in signed percentage points (``+0.804 pp``)."""
    return missing if _missing(diff) else f"{signed(100.0 * float(diff), digits)} {POINTS}"


def count(n: float | None, missing: str = NA) -> str:
    """A count, exact with thousands separators (``12,345``); :func:`number` if fractional."""
    if _missing(n):
        return missing
    if math.isfinite(n) and float(n).is_integer():
        return f"{int(n):,}"
    return number(n)


def interval(low: float | None, high: float | None, fmt: Format = number,
             missing: str = NA) -> str:
    """``[low, high]``, with infinite ends in words.

    Both ends infinite: "unbounded"; one end infinite: "at least LOW (unbounded above)"
    or "at most HIGH (unbounded below)"; either end NaN: ``missing``.
    """
    if _missing(low) or _missing(high):
        return missing
    low_inf, high_inf = math.isinf(low), math.isinf(high)
    if low_inf and high_inf:
        return UNBOUNDED
    if high_inf:
        return f"at least {fmt(low)} ({UNBOUNDED} above)"
    if low_inf:
        return f"at most {fmt(high)} ({UNBOUNDED} below)"
    return f"[{fmt(low)}, {fmt(high)}]"


def estimate(x: float | None, low: float | None, high: float | None, fmt: Format = signed,
             missing: str = NA) -> str:
    """An estimate and its interval, ``+98.2 [+90.1, +106]`` (a difference by default)."""
    return f"{fmt(x)} {interval(low, high, fmt, missing)}" if not _missing(x) else missing


def scale(unit: str) -> float:
    """What a value in ``unit`` is multiplied by for printing (100 for shares, else 1)."""
    return 100.0 if unit == SHARE else 1.0


def level(x: float | None, unit: str = "", missing: str = NA) -> str:
    """A value of an outcome in its unit: a share as a percentage, else :func:`number`."""
    return percent(x, missing=missing) if unit == SHARE else number(x, missing=missing)


def difference(x: float | None, unit: str = "", missing: str = NA) -> str:
    """A difference in an outcome's unit, signed: shares in points (``+0.804``), no unit."""
    return missing if _missing(x) else signed(scale(unit) * float(x))


def difference_unit(unit: str) -> str:
    """The unit a difference of ``unit`` is printed in ("pp" for shares)."""
    return POINTS if unit == SHARE else unit
