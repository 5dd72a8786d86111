"""Worker processes end when the batch process that started them ends, however it ends.

Two mechanisms, both set up first thing in a local worker:

* end of file: a forked worker closes every inherited pipe end it does not
  use -- the parent's end of its own pipe and of earlier workers' pipes -- so
  when the parent dies its pipe reports end of file (or a broken pipe) and
  the worker stops after at most the run in flight;
* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker
  as soon as its parent dies (kill -9, SIGTERM, a crash), mid-run.  The
  parent's pid is checked again after setting it, for a parent that died
  before.

The signal is sent when the *thread* that started the worker ends; the pool
starts its workers from the thread that runs the batch and stops them before
that call returns, so that is the batch's lifetime.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterable

PR_SET_PDEATHSIG = 1
USE_PDEATHSIG = True
"""Set the parent-death signal (Linux).  Tests switch it off to check the end-of-file path alone."""


def close_inherited(connections: Iterable) -> None:
    """Close pipe ends this worker inherited but does not use."""
    for conn in connections:
        try:
            conn.close()
        except OSError:
            pass


def die_with_parent(parent_pid: int) -> bool:
    """Have the kernel kill this process when its parent dies (Linux only).

    Args:
        parent_pid: the pid of the process that started this one; if it is no
            longer the parent (it died before the signal was set), this process
            exits at once.

    Returns:
        True when the parent-death signal is set.
    """
    if not USE_PDEATHSIG or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no prctl in this libc
        return False
    if os.getppid() != parent_pid:  # the parent died before prctl: nothing would signal us
        os._exit(0)
    return ok
