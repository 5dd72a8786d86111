"""The ODD document's parameter table, generated from the parameter registry.

docs/ODD.md holds the table between two markers::

    <!-- parameter-table:start -->
    | name | file path | ... |
    <!-- parameter-table:end -->

Nothing between the markers is written by hand: ``--write`` regenerates it
from :func:`simulation.model.parameters.as_table`, ``--check`` fails when the file
and the registry disagree (run by the test suite), so the documentation
cannot drift from the code.

Usage::

    python -m simulation.odd_table                      # print the table
    python -m simulation.odd_table --check docs/ODD.md  # exit 1 if out of date
    python -m simulation.odd_table --write docs/ODD.md  # regenerate in place
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.model.parameters import as_table

START = "<!-- parameter-table:start -->"
END = "<!-- parameter-table:end -->"
COLUMNS = (
    ("name", "name"),
    ("path", "file path"),
    ("default", "default"),
    ("range", "range"),
    ("unit", "unit"),
    ("meaning", "meaning"),
    ("source", "source"),
    ("plausible", "plausible range (sensitivity analysis)"),
)


def _cell(value: object) -> str:
    """One table cell: TOML-style literals, pipes escaped, one line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    return " ".join(text.split()).replace("|", "\\|")


def parameter_table_markdown() -> str:
    """The registry as a Markdown table, one row per parameter, in declaration order.

    Names and file paths are code-formatted; the text ends without a newline.
    """
    header = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    lines = [header, rule]
    for row in as_table():
        cells = []
        for key, _ in COLUMNS:
            cell = _cell(row[key])
            cells.append(f"`{cell}`" if key in ("name", "path", "default") else cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _span(text: str) -> tuple[int, int]:
    """Start and end offsets of the text between the markers (exclusive of them)."""
    if text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"expected exactly one {START!r} and one {END!r} marker")
    begin = text.index(START) + len(START)
    end = text.index(END)
    if end < begin:
        raise ValueError(f"{END!r} comes before {START!r}")
    return begin, end


def extract_table(text: str) -> str:
    """The table currently between the markers of ``text`` (stripped)."""
    begin, end = _span(text)
    return text[begin:end].strip()


def replace_table(text: str, table: str | None = None) -> str:
    """``text`` with the generated table (or ``table``) between the markers."""
    begin, end = _span(text)
    table = parameter_table_markdown() if table is None else table
    return text[:begin] + "\n" + table.strip() + "\n" + text[end:]


def is_current(path: str | Path) -> bool:
    """True when the table in ``path`` equals the one generated from the registry."""
    return extract_table(Path(path).read_text(encoding="utf-8")) == parameter_table_markdown()


def write(path: str | Path) -> bool:
    """Regenerate the table in ``path``; return True when the file changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = replace_table(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old


def main(argv: list[str] | None = None) -> int:
    """Command line: print, check (exit 1 when stale) or write the table."""
    parser = argparse.ArgumentParser(prog="python -m simulation.odd_table",
                                     description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="FILE", help="fail if FILE's table is out of date")
    group.add_argument("--write", metavar="FILE", help="regenerate the table in FILE")
    args = parser.parse_args(argv)
    target = args.check or args.write
    if target is None:
        print(parameter_table_markdown())
        return 0
    try:
        if args.check:
            if is_current(target):
                print(f"ok: {target}: parameter table matches the registry")
                return 0
            print(f"error: {target}: parameter table differs from the registry; run "
                  f"python -m simulation.odd_table --write {target}", file=sys.stderr)
            return 1
        changed = write(target)
        print(f"{'updated' if changed else 'unchanged'}: {target}")
        return 0
    except (OSError, ValueError) as exc:
        print(f"error: {target}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
