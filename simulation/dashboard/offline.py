"""Fill Solara's CDN cache from the npm registry, so the dashboard page loads offline.

Solara's page loads its JavaScript and CSS through the server's ``/_solara/cdn``
proxy, which serves files from a cache directory (``$VENV/share/solara/cdn/`` by
default) and fetches a missing one from a public CDN. This machine reaches no CDN,
so without a filled cache the page stays blank. This module fills the cache at
set-up time (``make assets``), never at app run time: for each front-end package
the page loads it runs ``npm pack <spec>`` and unpacks the tarball with
``tar --strip-components=1`` into ``<cache>/<spec>/``, where the proxy looks for
``<spec>/<file>``.

Usage::

    python -m simulation.dashboard.offline            # fill what is missing
    python -m simulation.dashboard.offline --check    # list what is missing

Both exit 0 when every package is in place; ``--check`` exits 1 when some are
missing. A missing ``npm``/``tar`` or a failed pack prints one ``error:`` line on
stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The npm packages (exact versions) that Solara 1.64.1's page loads through its
#: CDN proxy: the Vuetify app bundles (Vue 2 and Vue 3 flavours), RequireJS,
#: Font Awesome, the grid layout of Solara's GridLayout widget, and Mermaid and
#: KaTeX, which every ``solara.Markdown`` loads when it appears on the page.
SPECS: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/solara-vuetify3-app@5.2.0",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "mermaid@10.8.0",
    "katex@0.16.9",
)

#: Written into ``<cache>/<spec>/`` once the package is fully unpacked there.
STAMP_NAME = ".iesim-offline-complete"

# "{{cdn}}/requirejs@2.3.6/require.js", "${this.getCdn()}/@widgetti/x@1.2.3/dist/a.js",
# or settings' fontawesome_path "/font-awesome@4.5.0/css/...": an exact-version spec.
_SPEC_IN_URL = re.compile(
    r"(?:\{\{ *cdn *\}\}|getCdn\(\)\}|^)/((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*@\d+\.\d+\.\d+(?:-[\w.]+)?)/"
)


class OfflineError(Exception):
    """A set-up step failed; the message is one line for the user."""


def cache_dir() -> Path:
    """Return the directory Solara's CDN proxy serves from.

    Taken from Solara's own settings, so it follows ``SOLARA_ASSETS_PROXY_CACHE_DIR``
    when that is set.

    Returns:
        The cache directory (it may not exist yet).
    """
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def specs_referenced_by_solara() -> set[str]:
    """Find the exact-version npm specs that the installed Solara's page and widgets load.

    Scans Solara's page template, its Vue widgets, its Markdown component and its
    Font Awesome setting for CDN URLs (not the components that load packages only
    when used, such as ECharts). Used to notice a Solara upgrade that needs packages not in `SPECS`.

    Returns:
        The specs found, e.g. ``{"requirejs@2.3.6", ...}``; empty if Solara's files
        cannot be read.
    """
    import solara
    from solara.server import settings

    root = Path(solara.__file__).parent
    texts = [settings.assets.fontawesome_path]
    template = root / "server" / "templates" / "solara.html.j2"
    markdown = root / "components" / "markdown.py"
    files = [template, markdown, *sorted((root / "widgets" / "vue").glob("*.vue"))]
    for path in files:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except OSError:
            continue
    found: set[str] = set()
    for text in texts:
        for line in text.splitlines():
            found.update(_SPEC_IN_URL.findall(line.strip()))
    return found


def wanted_specs() -> list[str]:
    """Return the packages to cache: `SPECS` plus any other that Solara's files reference.

    Returns:
        The specs, `SPECS` first, in a stable order.
    """
    extra = sorted(specs_referenced_by_solara() - set(SPECS))
    return [*SPECS, *extra]


def is_present(cache: Path, spec: str) -> bool:
    """Tell whether ``spec`` was fully unpacked into ``cache``.

    Args:
        cache: Solara's CDN cache directory.
        spec: An npm spec with an exact version, e.g. ``requirejs@2.3.6``.

    Returns:
        True when the package's completion stamp exists.
    """
    return (cache / spec / STAMP_NAME).is_file()


def missing_specs(cache: Path, specs: list[str]) -> list[str]:
    """Return the specs not yet fully unpacked into ``cache``.

    Args:
        cache: Solara's CDN cache directory.
        specs: The specs wanted.

    Returns:
        Those of ``specs`` without a completion stamp, in order.
    """
    return [spec for spec in specs if not is_present(cache, spec)]


def _run(cmd: list[str], what: str, cwd: Path) -> str:
    """Run a command, returning its stdout; raise `OfflineError` with its last stderr line on failure."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise OfflineError(f"{what} failed: {_failure_detail(proc)}")
    return proc.stdout


def _failure_detail(proc: subprocess.CompletedProcess) -> str:
    """One line saying why a command failed: npm's JSON error summary, else its last output line."""
    for text in (proc.stdout, proc.stderr):
        try:
            error = json.loads(text)["error"]
            return f"{error.get('code', 'error')}: {error['summary']}".replace("\n", " ")
        except (ValueError, LookupError, TypeError, AttributeError):
            pass
    lines = [line.strip() for line in (proc.stderr + "\n" + proc.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {proc.returncode}"


def fetch(cache: Path, spec: str, npm: str, tar: str) -> None:
    """Pack ``spec`` from the npm registry and unpack it into ``<cache>/<spec>/``.

    The package is unpacked in a temporary directory beside its destination and moved
    into place whole, so an interrupted run leaves no half-filled package behind.
    Files the proxy cached there before (e.g. while online) are replaced.

    Args:
        cache: Solara's CDN cache directory.
        spec: An npm spec with an exact version.
        npm: Path of the ``npm`` executable.
        tar: Path of the ``tar`` executable.

    Raises:
        OfflineError: If ``npm pack`` or ``tar`` fails.
    """
    dest = cache / spec
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".iesim-offline-", dir=dest.parent) as tmp_name:
        tmp = Path(tmp_name)
        pack = [npm, "pack", "--json", "--silent", "--pack-destination", str(tmp), spec]
        out = _run(pack, f"npm pack {spec}", tmp)
        try:
            tarball = tmp / json.loads(out)[0]["filename"]
        except (ValueError, LookupError, TypeError):
            tarballs = sorted(tmp.glob("*.tgz"))
            if len(tarballs) != 1:
                raise OfflineError(f"npm pack {spec} failed: no tarball written") from None
            tarball = tarballs[0]
        unpacked = tmp / "package"
        unpacked.mkdir()
        untar = [tar, "-xzf", str(tarball), "-C", str(unpacked), "--strip-components=1"]
        _run(untar, f"unpacking {spec}", tmp)
        (unpacked / STAMP_NAME).write_text(f"{spec}\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        unpacked.rename(dest)


def fill(cache: Path, specs: list[str], log=print) -> list[str]:
    """Fetch every spec missing from ``cache``.

    Args:
        cache: Solara's CDN cache directory.
        specs: The specs wanted.
        log: Called with one progress line per package.

    Returns:
        The specs fetched (empty when all were present).

    Raises:
        OfflineError: If ``npm`` or ``tar`` is missing, or a pack fails.
    """
    todo = missing_specs(cache, specs)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise OfflineError("npm not found on PATH; install Node.js and npm (e.g. apt-get install -y npm)")
    tar = shutil.which("tar")
    if tar is None:
        raise OfflineError("tar not found on PATH; install it (e.g. apt-get install -y tar)")
    for spec in todo:
        log(f"fetching {spec} -> {cache / spec}")
        fetch(cache, spec, npm, tar)
    return todo


def main(argv: list[str] | None = None) -> int:
    """Run the command line: fill the cache, or with ``--check`` list what is missing.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The exit code: 0 when complete, 1 when ``--check`` finds packages missing,
        2 on an error.
    """
    parser = argparse.ArgumentParser(
        prog="python -m simulation.dashboard.offline",
        description="Fill Solara's CDN cache from the npm registry so the dashboard loads offline.",
    )
    parser.add_argument("--check", action="store_true", help="list missing packages; fetch nothing")
    args = parser.parse_args(argv)
    try:
        cache = cache_dir()
        specs = wanted_specs()
        if args.check:
            missing = missing_specs(cache, specs)
            for spec in missing:
                print(f"missing: {spec}")
            if not missing:
                print(f"ok: {len(specs)} packages in {cache}")
            return 1 if missing else 0
        fetched = fill(cache, specs)
        print(f"ok: {len(specs)} packages in {cache}" + (f" ({len(fetched)} fetched)" if fetched else ""))
        return 0
    except OfflineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
