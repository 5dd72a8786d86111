"""Fork or spawn: how local worker processes start, and the ``__main__`` guard rule.

Workers are forked when that is safe, which is almost always: a forked
worker starts in milliseconds with the model already imported.  They are
spawned (a fresh interpreter) only when another Python thread is running that
could hold a lock the worker needs -- e.g. a live Dask client's event loop.

A spawned worker re-imports the main script.  A script that starts a batch at
its top level, outside ``if __name__ == "__main__":``, would start the batch
again in every worker; :func:`unguarded_main_call` finds that case so the
backends can refuse it with a clear message before any worker starts.
Interactive sessions, notebooks and ``python -c`` are not re-imported and
are never refused.
"""

from __future__ import annotations

import ast
import multiprocessing as mp
import sys
import threading
from pathlib import Path

FORK_SAFE_THREADS = ("tqdm_monitor", "Dask-Offload")
"""Name prefixes of threads that never hold a lock a worker needs.

tqdm's progress monitor (started by ``mesa.batch_run``) only sleeps and
refreshes bars; ``Dask-Offload`` is distributed's serialisation pool, which
stays behind, idle, once a Dask client has closed (its executor re-creates its
locks in a forked child).  Without this, every batch after the first Dask
batch in a process would spawn its workers.
"""


def worker_context():
    """The multiprocessing context for local workers (the global default is never changed).

    ``fork`` when no other thread could hold a lock the worker needs (see
    :data:`FORK_SAFE_THREADS`): a forked worker starts in milliseconds with
    the model already imported, where a spawned one spends about a second
    importing NumPy, pandas and Mesa.  With any other Python thread running,
    ``spawn`` is used.  Native threads of NumPy's BLAS and of Arrow's pools
    (which Python 3.12 counts when it warns about forking) are re-initialised
    by those libraries' own fork handlers.  Results are the same either way:
    each run's seed comes from its spec.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    harmless = all(t.name.startswith(FORK_SAFE_THREADS) for t in others)
    if "fork" in mp.get_all_start_methods() and harmless:
        return mp.get_context("fork")
    return mp.get_context("spawn")


def concurrent_forks_refused() -> bool:
    """Whether a loaded library refuses a fork while another thread is forking.

    filelock 4.3 (which Solara's server imports, so the dashboard and the
    test suite load it) installs an audit hook that raises in ``os.fork``
    while any other thread is between its fork hooks.  Dask's LocalCluster
    starts its nannies' processes from several threads at once, so its
    forked workers then fail to start now and then; they must be spawned.
    Local workers are forked one at a time, from one thread, and may still fork.
    """
    return "filelock._core._fork" in sys.modules


def spawn_blockers() -> list[str]:
    """Names of the running threads that make workers be spawned (empty: they fork)."""
    return [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and not t.name.startswith(FORK_SAFE_THREADS)]


def unguarded_main_call() -> str | None:
    """Where the main script starts this batch outside its ``__main__`` guard, if it does.

    Returns:
        ``"script.py, line 12"`` when spawned workers would re-run the batch
        (the call comes from the top level of the main script, not under
        ``if __name__ == "__main__":``, or this process is itself a spawned
        worker importing the main script); None when spawning is safe or
        cannot be judged (interactive session, notebook, ``python -c``, a
        package's ``__main__``, a call from another thread).
    """
    if getattr(mp.current_process(), "_inheriting", False):
        return "the main script, while a spawned worker process imports it"
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec_name = getattr(getattr(main, "__spec__", None), "name", "") or ""
    if main is None or not path or spec_name.endswith("__main__"):
        return None
    frame, top = sys._getframe(1), None
    while frame is not None:
        if frame.f_globals is vars(main) and frame.f_code.co_name == "<module>":
            top = frame
        frame = frame.f_back
    if top is None:
        return None
    line = top.f_lineno
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    if any(_is_main_guard(node) and node.lineno <= line <= (node.end_lineno or node.lineno)
           for node in tree.body):
        return None
    return f"{path}, line {line}"


def _is_main_guard(node: ast.stmt) -> bool:
    """True for ``if __name__ == "__main__":`` (either way round)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    values = [s.value for s in sides if isinstance(s, ast.Constant)]
    return names == ["__name__"] and values == ["__main__"]


def guard_message(where: str, backend: str) -> str:
    """The error for a batch that spawned workers would start again."""
    blockers = spawn_blockers()
    why = (f"other threads are running ({', '.join(blockers[:3])})" if blockers
           else "this platform cannot fork")
    return (f"{backend} workers must be spawned here ({why}), and a spawned worker re-imports "
            f"the main script, which starts this batch outside `if __name__ == \"__main__\":` "
            f"({where}); every worker would start the batch again. Put the code that starts "
            "the batch under `if __name__ == \"__main__\":`, or use backend=\"serial\"")
