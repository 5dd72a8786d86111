"""Keep the memory a month frees for the next month's arrays (glibc's malloc only).

A month of the model makes and frees dozens of arrays the size of the student
table (a few hundred kilobytes to a megabyte each).  By default glibc's malloc
serves blocks that large with ``mmap`` and gives freed memory back to the
operating system once more than a few megabytes lie free, so the next month
takes the same pages again, each with a page fault and the kernel zeroing it:
about 280 page faults and a millisecond of system time a month at the default
population, over a tenth of a step (``benchmarks/model_speed.py`` and the README's
Speed section give the measurement).  Raising both thresholds keeps that memory
in the process; a run's peak memory does not grow, since the same arrays were
live at once before.

Applied once, when the model is imported, for the whole process; set any of
glibc's own ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or
``MALLOC_TOP_PAD_`` environment variables to keep your own settings instead.
Elsewhere (macOS, Windows, musl) nothing is changed.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
MMAP_THRESHOLD = 32 * 2**20  # blocks below this come from the heap (glibc's own maximum)
TRIM_THRESHOLD = 64 * 2**20  # free memory at the heap's top kept before giving any back
OWN_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (see the module docstring); True if set."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name in os.environ for name in OWN_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) & bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
