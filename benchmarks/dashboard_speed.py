"""How fast the dashboard is: one step in this process, and a room of pages against a server.

One step is what the page does on "Step" or each month of "Play": advance
the policy model and its baseline one month, compute the headline numbers,
move every figure to the new state and draw it (PNG).  The browser's own
drawing is not included.

The room (``--sessions 1 5 10 30``) starts ``iesim dashboard`` on a free
local port and opens that many pages in Debian's Chromium (each its own
browser context and seed, speed "fast", playing; outside requests blocked),
then counts the months each page shows over a window.  Only 127.0.0.1 is
contacted.  The browsers share the machine with the server.

    python -m benchmarks.dashboard_speed [--preset NAME] [--warm MONTHS] [--steps N]
    python -m benchmarks.dashboard_speed --sessions 1 5 10 30 [--window 30] [--workers N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import urlsplit

from simulation.dashboard.session import Session


def step_times(preset: str = "full package", warm: int = 60, steps: int = 30) -> dict:
    """Seconds per dashboard step after ``warm`` months (the default dashboard size)."""
    session = Session(preset)
    session.step(warm)
    seconds = []
    for _ in range(steps):
        started = time.perf_counter()
        session.step(1)  # both models, the headline numbers and every figure drawn
        seconds.append(time.perf_counter() - started)
    return {"preset": preset, "warm_months": warm, "steps": steps,
            "students": session.twin.policy.p["n_students"],
            "seconds": {"median": statistics.median(seconds), "min": min(seconds),
                        "max": max(seconds)}}


# ---------------------------------------------------------------- the room
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(*options: str):
    """``iesim dashboard`` on a free local port; yields (url, process); always stopped."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "simulation.cli", "dashboard", "--port",
                             str(port), *options], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError("the dashboard did not start:\n"
                                   + log.read().decode(errors="replace")[-3000:])
            time.sleep(0.5)
        yield url, proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
                break
        log.close()


def _processes(proc) -> list:
    import psutil

    root = psutil.Process(proc.pid)
    return [root, *root.children(recursive=True)]


def _usage(proc) -> tuple[float, float]:
    """(CPU seconds so far, resident memory in MiB) of the server and its workers."""
    cpu = rss = 0.0
    for p in _processes(proc):
        with contextlib.suppress(Exception):
            t = p.cpu_times()
            cpu += t.user + t.system
            rss += p.memory_info().rss / 2**20
    return cpu, rss


def _month(page) -> int:
    text = page.locator(".iesim-month").first.inner_text(timeout=120_000)
    return int(text.split()[1])


def _open(browser, url: str, seed: int) -> tuple[object, float]:
    """A participant's page: loaded, a seed of its own, fast, playing; (page, seconds to usable)."""
    from simulation.dashboard.chromium import LOCAL_HOSTS

    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname in LOCAL_HOSTS
               or r.request.url.startswith(("data:", "blob:")) else r.abort("blockedbyclient"))
    started = time.monotonic()
    page.goto(url, wait_until="load", timeout=180_000)
    play = page.get_by_role("button", name="Play", exact=True)
    play.wait_for(state="visible", timeout=180_000)
    page.locator(".iesim-month").first.wait_for(state="visible", timeout=180_000)
    usable = time.monotonic() - started
    box = page.get_by_label("Seed (a whole number)")
    box.fill(str(seed))
    box.press("Enter")
    page.get_by_role("button", name="fast", exact=True).click()
    pause = page.get_by_role("button", name="Pause", exact=True)
    deadline = time.monotonic() + 300
    while not pause.is_visible():  # a click on a button the page was just replacing is lost
        if time.monotonic() > deadline:
            raise RuntimeError("a page did not start playing")
        with contextlib.suppress(Exception):
            play.click(timeout=10_000)
        with contextlib.suppress(Exception):
            pause.wait_for(state="visible", timeout=20_000)
    return page, usable


def room(sizes=(1, 5, 10, 30), window: float = 30.0, workers: int | None = None,
         report=None) -> list[dict]:
    """Participants' pages playing at once (each its own seed, fast) against one local server.

    For each room size: months a second each page advanced over ``window`` seconds, how long
    the last page took to become usable while the others played, the server's and workers'
    CPU use and resident memory (the browsers run on the same machine and are not counted).
    """
    from playwright.sync_api import sync_playwright

    from simulation.dashboard.chromium import launch

    options = ["--max-sessions", str(max(sizes) + 1), "--idle-seconds", "600"]
    if workers is not None:
        options += ["--workers", str(workers)]
    results = []
    for n in sizes:
        with _server(*options) as (url, proc), sync_playwright() as pw:
            browser = launch(pw)
            try:
                warm, _ = _open(browser, url, 999)  # the workers and caches get ready
                warm.context.close()
                _, idle_rss = _usage(proc)
                pages, usable = [], []
                for i in range(n):
                    page, seconds = _open(browser, url, 1000 + i)
                    pages.append(page)
                    usable.append(seconds)
                cpu0, rss = _usage(proc)
                first = [_month(p) for p in pages]
                t0 = time.monotonic()
                time.sleep(window)
                last = [_month(p) for p in pages]
                elapsed = time.monotonic() - t0
                cpu1, rss = _usage(proc)
                months = [b - a for a, b in zip(first, last, strict=True)]
                rates = sorted(m / elapsed for m in months)
                results.append({
                    "sessions": n, "window_s": round(elapsed, 1),
                    "months_per_s_each": {"min": rates[0], "median": statistics.median(rates),
                                          "max": rates[-1]},
                    "months_per_s_total": sum(rates),
                    "last_page_usable_s": usable[-1], "page_usable_s_max": max(usable),
                    "server_cores_used": (cpu1 - cpu0) / elapsed,
                    "server_cpu_s_per_session_month": (cpu1 - cpu0) / max(1, sum(months)),
                    "rss_mib": rss, "rss_idle_mib": idle_rss,
                    "rss_per_session_mib": (rss - idle_rss) / n})
                if report is not None:
                    report(results)
            finally:
                browser.close()
    return results


def print_room(results: list[dict], header: bool = True) -> None:
    if header:
        print("| sessions | months/s each (min / median) | all sessions | last page usable | "
              "server+workers cores | CPU s per session-month | memory per session |")
        print("|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        m = r["months_per_s_each"]
        print(f"| {r['sessions']} | {m['min']:.2f} / {m['median']:.2f} | "
              f"{r['months_per_s_total']:.1f} | {r['last_page_usable_s']:.1f} s | "
              f"{r['server_cores_used']:.2f} | {r['server_cpu_s_per_session_month']:.3f} | "
              f"{r['rss_per_session_mib']:.0f} MiB |", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="full package")
    parser.add_argument("--warm", type=int, default=60)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--sessions", type=int, nargs="+",
                        help="measure a room of this many pages (several sizes, one by one)")
    parser.add_argument("--window", type=float, default=30.0,
                        help="seconds over which a room's months are counted")
    parser.add_argument("--workers", type=int, default=None,
                        help="iesim dashboard --workers (default: its own, one per core)")
    parser.add_argument("--json", help="also write the room's figures to this file")
    args = parser.parse_args(argv)
    if args.sessions:
        def report(results):  # after each room size, so a failure later loses nothing
            print_room(results[-1:], header=len(results) == 1)
            if args.json:
                with open(args.json, "w", encoding="utf-8") as out:
                    json.dump({"cpus": os.cpu_count(), "rooms": results}, out, indent=1)
        room(args.sessions, args.window, args.workers, report)
        return 0
    r = step_times(args.preset, args.warm, args.steps)
    s = r["seconds"]
    print(f"dashboard step ({r['preset']}, {r['students']:,} students, after {r['warm_months']} "
          f"months): median {s['median'] * 1000:.0f} ms (min {s['min'] * 1000:.0f}, "
          f"max {s['max'] * 1000:.0f}) over {r['steps']} steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
