"""The dashboard in a real browser: ``iesim dashboard`` served locally, driven by headless Chromium.

Every request that leaves the machine is blocked, so the page must load from the
server alone (Solara's CDN cache filled by ``make assets``). Needs Debian's
``chromium`` (``make chromium``) and the ``playwright`` Python package; it never
runs ``playwright install``. Skips without Chromium, except under CI=true, where
it fails. Leaves a screenshot in ``test-artifacts/dashboard.png``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from simulation.dashboard.chromium import CHROMIUM, LOCAL_HOSTS, launch

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SERVER_START_TIMEOUT = 60.0
LOAD_TIMEOUT_MS = 60_000
STEP_TIMEOUT = 120.0  # a guard, not a speed: the machine may be shared
MONTH = re.compile(r"\bMonth (\d+)\b")

pytestmark = pytest.mark.slow


def _missing(reason: str) -> None:
    """Skip for a missing browser piece, but fail under CI, which must run this test."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run; `make test` installs it)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "simulation.cli", "dashboard", "--host", "127.0.0.1", "--port", str(port),
            *extra]


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@pytest.fixture
def server(tmp_path):
    """Start ``iesim dashboard`` on a free port; yield (url, log path); always stop it."""
    yield from _serve(tmp_path)


def _serve(tmp_path, *extra: str):
    """Start ``iesim dashboard`` (with ``extra`` options); yield (url, log path); always stop it."""
    from simulation.dashboard import offline

    missing = offline.missing_specs(offline.cache_dir(), offline.wanted_specs())
    if missing:
        pytest.fail(f"Solara's CDN cache lacks {', '.join(missing)}: run `make assets` "
                    "(python -m simulation.dashboard.offline)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        # its own process group, so stopping it also stops the `solara run` it starts
        proc = subprocess.Popen(
            _server_command(port, *extra),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dashboard server exited with code {proc.returncode}:\n{_log_tail(log)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard not answering HTTP 200 at {url} after {SERVER_START_TIMEOUT:.0f} s:\n"
                            f"{_log_tail(log)}")
            time.sleep(0.5)
        yield url, log, proc
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after 15 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            continue
        # the group leader is gone; wait (with a generous guard) until its children are too
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


@pytest.fixture
def browser():
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} not found; install it with `make chromium` (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package is not installed; `make setup` installs the test extras")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            yield browser
        finally:
            browser.close()


class Watch:
    """What went wrong in the page: requests sent outside, failed requests, HTTP errors, JS errors."""

    def __init__(self, page):
        self.external: list[str] = []
        self.failed: list[str] = []
        self.http_errors: list[str] = []
        self.js_errors: list[str] = []
        page.route("**/*", self._route)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", self._response)
        page.on("pageerror", lambda e: self.js_errors.append(f"pageerror: {e}"))
        page.on("console", self._console)

    def _route(self, route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort("blockedbyclient")

    def _response(self, response):
        if response.status >= 400:
            self.http_errors.append(f"{response.status} {response.url}")

    def _console(self, msg):
        if msg.type == "error":
            self.js_errors.append(f"console.error: {msg.text} @ {msg.location.get('url', '')}")

    def problems(self) -> list[str]:
        return (
            [f"blocked request to outside: {u}" for u in self.external]
            + [f"failed request: {u}" for u in self.failed]
            + [f"HTTP error: {u}" for u in self.http_errors]
            + self.js_errors
        )


def _month(page) -> int | None:
    m = MONTH.search(page.inner_text("body"))
    return int(m.group(1)) if m else None


def _wait_month(page, ok, what: str, timeout: float = STEP_TIMEOUT) -> int:
    """Poll the page's "Month N" counter until ``ok(N)``; return N."""
    deadline = time.monotonic() + timeout
    while True:
        n = _month(page)
        if n is not None and ok(n):
            return n
        if time.monotonic() > deadline:
            pytest.fail(f"expected the counter to show {what} within {timeout:.0f} s; it shows Month {n}")
        page.wait_for_timeout(200)


def _button(page, text: str):
    return page.get_by_role("button", name=text, exact=True).first


def _nudge_first_slider(page) -> None:
    """Move the first Vuetify slider one step by keyboard (left if it is at its maximum).

    First checks that a person could see and drag it: its thumb lies inside the slider's
    own box (a long label can push track and thumb out of a narrow sidebar).
    """
    slider = page.locator(".v-slider").first
    thumb = slider.locator("[role=slider]").first
    thumb.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    box, thumb_box = slider.bounding_box(), thumb.bounding_box()
    assert box and thumb_box, "the first .v-slider or its thumb has no box"
    centre = thumb_box["x"] + thumb_box["width"] / 2
    assert box["x"] <= centre <= box["x"] + box["width"], (
        f"the first slider's thumb is outside the slider (thumb centre x={centre:.0f}, slider spans "
        f"x={box['x']:.0f}..{box['x'] + box['width']:.0f}): a person cannot see or drag it; "
        f"label: {slider.inner_text()[:80]!r}"
    )
    now, high = thumb.get_attribute("aria-valuenow"), thumb.get_attribute("aria-valuemax")
    key = "ArrowLeft" if now is not None and high is not None and float(now) >= float(high) else "ArrowRight"
    thumb.focus()
    thumb.press(key)


def _plot_src(page) -> str:
    """The first plot's src: solara.FigureMatplotlib renders an ipywidgets Image (a blob: or data: URL)."""
    img = page.locator("img[src^='blob:'], img[src^='data:image']").first
    img.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    return img.get_attribute("src") or ""


def test_dashboard_in_browser(browser, server):
    url, log, _ = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    watch = Watch(page)
    try:
        page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
        page.get_by_text(MONTH).first.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
        assert _month(page) == 0, f"the page should start at Month 0; it shows Month {_month(page)}"
        assert not watch.problems(), "after load:\n" + "\n".join(watch.problems())
        assert page.locator(".v-slider").count() > 0, "no Vuetify slider (.v-slider) on the page"

        _button(page, "Step").click()
        _wait_month(page, lambda n: n == 1, "Month 1 after Step")

        _nudge_first_slider(page)
        _wait_month(page, lambda n: n == 0, "Month 0 after a slider change (models rebuilt)")
        _wait_first_slider_label_matches(page)

        _button(page, "Step").click()
        _wait_month(page, lambda n: n == 1, "Month 1 after Step")
        _button(page, "Reset").click()
        _wait_month(page, lambda n: n == 0, "Month 0 after Reset")

        before = _plot_src(page)
        _button(page, "Play").click()
        _wait_month(page, lambda n: n >= 2, "Month 2 or more while playing")
        deadline = time.monotonic() + STEP_TIMEOUT
        while _plot_src(page) == before:
            assert time.monotonic() < deadline, "the first plot did not change while playing"
            page.wait_for_timeout(200)
        _button(page, "Pause").click()
        _button(page, "Play").wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)  # paused
        paused = _month(page)
        _button(page, "Step").click()  # enabled only when paused; one month, no more
        _wait_month(page, lambda n: n == paused + 1, f"Month {paused + 1} after Pause and Step")
        _button(page, "Reset").click()
        _wait_month(page, lambda n: n == 0, "Month 0 after Reset")
        _button(page, "Step").click()
        _wait_month(page, lambda n: n == 1, "Month 1 after Reset and Step")

        low = [c for c in _contrasts(page) if c[2] < 4.5]
        assert not low, f"text below WCAG AA contrast (4.5:1): {low}"
        assert not watch.problems(), "during use:\n" + "\n".join(watch.problems())
        assert "Could not load URL" not in log.read_text(errors="replace"), _log_tail(log)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        except Exception as exc:  # a screenshot must not hide the test's own failure
            print(f"screenshot failed: {exc}")
        page.close()


def _wait_first_slider_label_matches(page, timeout: float = STEP_TIMEOUT) -> str:
    """Wait until the first slider's label shows the value its thumb reports; return the label.

    The first slider is the fund's yearly budget (kCNY, whole numbers): its label reads
    "Yearly budget of the dedicated fund: 1,234 kCNY per year".
    """
    slider = page.locator(".iesim-setting").first
    thumb = slider.locator("[role=slider]").first
    deadline = time.monotonic() + timeout
    while True:
        label, now = slider.locator(".v-label").first.inner_text(), thumb.get_attribute("aria-valuenow")
        if now is not None and label.endswith(f": {float(now):,.0f} kCNY per year"):
            named = page.get_by_role("slider", name=label, exact=True)  # its accessible name
            if named.count() == 1:
                return label
        if time.monotonic() > deadline:
            pytest.fail(f"the first slider's label {label!r} does not show its value {now}, or the "
                        "slider is not named by it")
        page.wait_for_timeout(200)


def _open(context, url):
    page = context.new_page()
    watch = Watch(page)
    page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
    page.get_by_text(MONTH).first.wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
    return page, watch


def _no_traceback(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error:" not in body, body[:2000]


def test_five_pages_playing_at_once_all_advance_on_a_projector_width(browser, server):
    """Five participants (browser contexts) press Play; every one advances; 1024 px wide."""
    url, log, _ = server
    contexts = [browser.new_context(viewport={"width": 1024, "height": 768}) for _ in range(5)]
    try:
        pages = [_open(c, url) for c in contexts]
        for page, _ in pages:
            _button(page, "Play").click()
        for i, (page, _watch) in enumerate(pages):
            _wait_month(page, lambda n: n >= 3, f"Month 3 or more in page {i + 1}")
        page, _ = pages[0]  # the controls stay reachable after a click on a plot
        page.locator("img[src^='data:image']").first.click()
        for control in (_button(page, "Pause"), page.locator("[role=slider]").first):
            control.scroll_into_view_if_needed()
            assert control.is_visible()
        for page, watch in pages:
            _button(page, "Pause").click()
            _no_traceback(page)
            assert not watch.problems(), "\n".join(watch.problems())
        alt = page.locator("img[src^='data:image']").first.get_attribute("alt") or ""
        assert "Line charts" in alt and "with the levers" in alt and "employed" in alt
        assert "Traceback" not in log.read_text(errors="replace"), _log_tail(log)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            contexts[0].pages[0].screenshot(path=str(ARTIFACTS / "dashboard-1024.png"), full_page=True)
        except Exception as exc:  # a screenshot must not hide the test's own failure
            print(f"screenshot failed: {exc}")
        for c in contexts:
            c.close()


def _choose_preset(page, name: str) -> None:
    page.get_by_label("Preset").first.click(force=True)
    page.get_by_role("option", name=name, exact=True).click()


def test_speed_and_preset_clicks_during_play_never_show_a_traceback_or_stale_sliders(browser, server):
    url, log, _ = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page, watch = _open(context, url)
        presets = ["full package", "baseline", "case 1: technical university and IT firm"]
        from simulation.dashboard import controls

        for _ in range(2):
            for name in presets:
                _button(page, "Play").click()
                _wait_month(page, lambda n: n >= 1, "Month 1 or more while playing")
                for speed in ("fast", "slow", "normal"):
                    _button(page, speed).click()
                _choose_preset(page, name)  # pauses, rebuilds at month 0
                _wait_month(page, lambda n: n == 0, f"Month 0 after choosing {name!r} while playing")
                _button(page, "Play").wait_for(state="visible", timeout=LOAD_TIMEOUT_MS)
                expected = controls.preset(name)[0].get("fund_budget", 0.0)
                label = _wait_first_slider_label_matches(page)
                assert label.endswith(f": {expected:,.0f} kCNY per year"), (name, label)
                _no_traceback(page)
        assert not watch.problems(), "\n".join(watch.problems())
        text = log.read_text(errors="replace")
        assert "Traceback" not in text and "'dpi'" not in text, _log_tail(log)
    finally:
        context.close()


def _cpu_seconds(proc) -> float:
    """CPU seconds used so far by the server and every process it started."""
    import psutil

    root = psutil.Process(proc.pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def test_a_closed_tab_stops_its_work(browser, tmp_path):
    gen = _serve(tmp_path, "--idle-seconds", "3")
    url, log, proc = next(gen)
    try:
        context = browser.new_context()
        page, _ = _open(context, url)
        _button(page, "fast").click()
        _button(page, "Play").click()
        _wait_month(page, lambda n: n >= 2, "Month 2 or more while playing")
        context.close()  # the participant's tab is gone while playing
        deadline = time.monotonic() + STEP_TIMEOUT
        while "released session" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, f"the session was never released:\n{_log_tail(log)}"
            time.sleep(0.5)
        before = _cpu_seconds(proc)
        time.sleep(4)  # a window to count CPU in, not a wait for speed
        used = _cpu_seconds(proc) - before
        assert used < 1.0, f"the server still used {used:.1f} CPU-seconds in 4 s after the tab closed"
    finally:
        gen.close()


def test_room_mode_predictions_before_play_and_the_facilitators_page(browser, tmp_path):
    gen = _serve(tmp_path, "--room")
    url, log, _ = next(gen)
    try:
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (found := re.search(r"/room\?token=(\S+)", log.read_text(errors="replace"))):
            assert time.monotonic() < deadline, _log_tail(log)
            time.sleep(0.2)
        token = found.group(1)
        contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
        pages = [_open(c, url) for c in contexts]
        for page, _ in pages:
            play = _button(page, "Play")
            assert play.is_disabled(), "Play should wait for the predictions"
            up = page.get_by_role("button", name="up", exact=True)
            assert up.count() == 6, "one prediction for each headline outcome"
            for i in range(up.count()):
                up.nth(i).click()
            deadline = time.monotonic() + STEP_TIMEOUT
            while play.is_disabled():
                assert time.monotonic() < deadline, "Play stayed disabled after every prediction"
                page.wait_for_timeout(200)
            play.click()
            _wait_month(page, lambda n: n >= 1, "Month 1 or more after predicting and Play")
        facilitator = browser.new_context()
        try:
            refused = facilitator.new_page()
            refused.goto(url + "room?token=wrong", wait_until="load", timeout=LOAD_TIMEOUT_MS)
            refused.get_by_text("facilitator's token").first.wait_for(timeout=LOAD_TIMEOUT_MS)
            assert "participant 1" not in refused.inner_text("body")
            page = facilitator.new_page()
            watch = Watch(page)
            page.goto(f"{url}room?token={token}", wait_until="load", timeout=LOAD_TIMEOUT_MS)
            page.get_by_text("The room: 2 sessions").wait_for(timeout=LOAD_TIMEOUT_MS)
            body = page.inner_text("body")
            assert "participant 1" in body and "participant 2" in body
            with page.expect_download(timeout=LOAD_TIMEOUT_MS) as download:
                page.get_by_role("button", name=re.compile("Export the room")).click()
            path = tmp_path / "room.zip"
            download.value.save_as(path)
            import zipfile

            with zipfile.ZipFile(path) as archive:
                archive.extractall(tmp_path / "export")
            from cli_errors import iesim

            assert iesim("validate", str(tmp_path / "export" / "room" / "batch.toml")).returncode == 0
            assert not watch.problems(), "\n".join(watch.problems())
        finally:
            facilitator.close()
            for c in contexts:
                c.close()
        assert "Traceback" not in log.read_text(errors="replace"), _log_tail(log)
    finally:
        gen.close()


CONTRAST_JS = """
(selectors) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.99)) { return c.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.innerText || !el.innerText.trim() || el.closest('.v-input--disabled')) { continue; }
      const style = getComputedStyle(el);
      const fg = rgb(style.color);
      const alpha = (fg.length === 4 ? fg[3] : 1) * Number(style.opacity);
      const bg = background(el);
      const mixed = fg.slice(0, 3).map((c, i) => alpha * c + (1 - alpha) * bg[i]);
      const [a, b] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
      out.push([selector, el.innerText.trim().slice(0, 40), (a + 0.05) / (b + 0.05)]);
    }
  }
  return out;
}
"""
CONTRAST_SELECTORS = [".iesim-title", ".iesim-month", ".iesim-table td", ".iesim-table th",
                      ".iesim-help", ".iesim-reason", ".iesim-setting .v-label", ".v-btn__content",
                      ".v-expansion-panel-title"]


def _contrasts(page) -> list:
    """(selector, text, contrast ratio) of the page's text against its background (WCAG 2)."""
    found = page.evaluate(CONTRAST_JS, CONTRAST_SELECTORS)
    assert {f[0] for f in found} >= {".iesim-title", ".iesim-table td", ".iesim-setting .v-label"}
    return found
