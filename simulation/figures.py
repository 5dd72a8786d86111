"""Regenerate the figures: execute the notebooks in ``notebooks/`` at a size (``make figures``).

    python -m simulation.figures [--size QUICK|FULL] [--figures DIR] [--results DIR] [NOTEBOOK ...]

Each notebook opens with a cell tagged ``parameters`` (papermill's
convention).  The run inserts a cell after it that sets ``SIZE``,
``FIGURES`` (where figures go) and ``RESULTS`` (where batches are stored and
reused), then executes the notebook with nbclient in its own directory.
The committed notebooks keep no outputs; the executed copies are written to
``RESULTS/notebooks/``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SIZES = ("QUICK", "FULL")


def notebooks() -> list[Path]:
    """The notebooks, in their numbered order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, size: str, figures: Path, results: Path, timeout: int = 7200) -> Path:
    """Execute one notebook with its parameters set; return the executed copy's path.

    Raises:
        ValueError: the notebook has no cell tagged ``parameters``.
        nbclient.exceptions.CellExecutionError: a cell failed.
    """
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", [])]
    if not tagged:
        raise ValueError(f"{path}: no cell tagged 'parameters'")
    injected = nbformat.v4.new_code_cell(
        f"# injected by simulation.figures\nSIZE = {size!r}\nFIGURES = {str(figures)!r}\n"
        f"RESULTS = {str(results)!r}")
    injected.metadata["tags"] = ["injected-parameters"]
    book.cells.insert(tagged[0] + 1, injected)
    NotebookClient(book, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    done = results / "notebooks" / path.name
    done.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, done)
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="FULL")
    parser.add_argument("--figures", default=str(ROOT / "figures"))
    parser.add_argument("--results", default=None,
                        help="where batches are stored (default results/figures-<size>)")
    parser.add_argument("notebook", nargs="*", help="notebooks to run (default: all)")
    args = parser.parse_args(argv)
    results = Path(args.results or ROOT / "results" / f"figures-{args.size.lower()}").resolve()
    chosen = [Path(n).resolve() for n in args.notebook] or notebooks()
    for path in chosen:
        if not path.is_file():
            print(f"error: {path}: no such notebook", file=sys.stderr)
            return 2
    for path in chosen:
        started = time.perf_counter()
        execute(path, args.size, Path(args.figures).resolve(), results)
        print(f"{path.name}: {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
