"""Helpers of tests/test_browser.py: the app server, a websocket recorder and page waits.

The recorder (an init script) wraps the page's ``WebSocket`` and keeps, with the page's own clock
(``performance.now()``, ms since navigation), the time and size of every message, the bytes of
the small ones (decoded here as Streamlit ``ForwardMsg``s: script started / finished) and the
time of every message sent. Times measured in the page do not depend on when Playwright's
Python side gets round to looking.
"""
from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]
METRIC = '[data-testid="stMetric"]'
FINISHED_EARLY_FOR_RERUN = 2          # ForwardMsg.script_finished status of st.rerun / switch_page

RECORDER_JS = """(() => {
  const Orig = window.WebSocket;
  const rec = window.__elf = {recv: [], sent: []};
  const size = d => d.byteLength ?? d.size ?? d.length ?? 0;
  class Recorded extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', ev => {
        const d = ev.data, n = size(d);
        let b64 = null;
        if (d instanceof ArrayBuffer && n <= 4096) b64 = btoa(String.fromCharCode(...new Uint8Array(d)));
        rec.recv.push([performance.now(), n, b64]);
      });
    }
    send(d) { rec.sent.push([performance.now(), size(d)]); return super.send(d); }
  }
  window.WebSocket = Recorded;
})();"""

METRICS_JS = f"""() => Array.from(document.querySelectorAll('{METRIC}')).map(e => e.innerText.trim())"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_groups(procs, grace_s: float = 10.0) -> None:
    """SIGTERM to the process group of each of ``procs`` (started with ``start_new_session``),
    then SIGKILL to the groups whose leader is still running after ``grace_s`` seconds."""
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace_s
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=5)


@contextmanager
def streamlit_server(log_path: Path, timeout_s: float = 60.0):
    """Start ``streamlit run app.py`` on a free loopback port; yield (base url, seconds from the
    start to a healthy server); kill its process group at the end."""
    port = free_port()
    cmd = [sys.executable, "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    env = {k: v for k, v in os.environ.items() if k != "ELF_SCENARIO"}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.05)
        yield base, time.perf_counter() - t0, t0
    finally:
        stop_process_groups([proc])
        log.close()


class Recorder:
    """Reads the page's websocket record (see RECORDER_JS) and decodes the small messages."""

    def __init__(self, page):
        self.page = page

    def received(self) -> list[tuple[float, int, str | None, object]]:
        """[(page ms, bytes, ForwardMsg type or None, message or None)] since the page loaded."""
        out = []
        for t, n, b64 in self.page.evaluate("() => window.__elf ? window.__elf.recv : []"):
            kind = msg = None
            if b64:
                msg = ForwardMsg.FromString(base64.b64decode(b64))
                kind = msg.WhichOneof("type")
            out.append((t, n, kind, msg))
        return out

    def sent(self) -> list[tuple[float, int]]:
        return [tuple(x) for x in self.page.evaluate("() => window.__elf ? window.__elf.sent : []")]

    def finished_runs(self) -> list[tuple[float, int]]:
        """[(page ms, status)] of every script_finished message."""
        return [(t, m.script_finished) for t, _, k, m in self.received() if k == "script_finished"]

    def idle(self, after: int) -> bool:
        """More than ``after`` script runs finished, the last one for good, none running now."""
        runs, running = 0, True
        last_status = None
        for _, _, kind, msg in self.received():
            if kind == "script_finished":
                runs += 1
                last_status = msg.script_finished
            elif kind == "session_status_changed":
                running = msg.session_status_changed.script_is_running
            elif kind == "new_session":
                running = True
        return runs > after and not running and last_status != FINISHED_EARLY_FOR_RERUN


def problems(page) -> list[str]:
    """Exception boxes, tracebacks and 'page not found' on the page (empty when clean)."""
    found = []
    for box in page.query_selector_all('[data-testid="stException"]'):
        found.append("exception box: " + box.inner_text()[:800])
    body = page.inner_text("body")
    if "Traceback (most recent call last)" in body and not found:
        found.append("traceback text: " + body[body.index("Traceback"):][:800])
    if page.query_selector('[data-testid="stPageNotFound"]') or "Page not found" in body:
        found.append("Streamlit says 'Page not found'")
    return found


def wait_idle(page, recorder: Recorder, after: int = 0, timeout_s: float = 45.0, what: str = "") -> None:
    """Wait until Streamlit finished running: the server's last run is over (Recorder.idle), the
    frontend says so (stApp's data-test-script-state), no element of an earlier run is left and
    the page painted. Fail with the page's exception if it shows one."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_s * 1000)
    end = time.monotonic() + timeout_s
    while not recorder.idle(after):
        bad = problems(page)
        assert not bad, f"{what}: {bad[0]}"
        assert time.monotonic() < end, f"{what}: Streamlit still running after {timeout_s:.0f} s"
        page.wait_for_timeout(50)
    # the frontend handles messages asynchronously: wait until it too says the run is over, has
    # replaced every element of the previous run ("stale") and loaded the code of every element
    # (a lazily loaded element shows a skeleton until then)
    page.wait_for_function("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.dataset.testScriptState === 'notRunning'
            && !document.querySelector('[data-stale="true"], [data-testid="stStatusWidgetRunningIcon"], '
                                    + '[data-testid="stSkeleton"]'); }""",
        timeout=timeout_s * 1000, polling=50)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    bad = problems(page)
    assert not bad, f"{what}: {bad[0]}"


def metric_texts(page) -> list[str]:
    return page.evaluate(METRICS_JS)


def metric_value(page, label: str) -> str:
    """The value text of the metric whose label is ``label``."""
    box = page.locator(METRIC).filter(has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return box.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def full_page_screenshot(page, path: Path, width: int, height: int, max_height: int = 9000) -> None:
    """The whole page at ``width`` (Streamlit scrolls inside stMain, so the viewport is made as tall
    as the content for the shot, then set back)."""
    content = page.evaluate("""() => Math.max(...['stMain', 'stSidebarContent'].map(id => {
        const e = document.querySelector(`[data-testid="${id}"]`); return e ? e.scrollHeight : 0; }))""")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": int(min(max(height, content), max_height))})
    page.wait_for_timeout(600)                      # plotly and deck.gl resize on the resize event
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": height})


@contextmanager
def chromium(sync_api):
    """Debian's Chromium, headless, launched by Playwright (``sync_api``: playwright.sync_api)."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def guarded_page(browser, base: str, viewport: dict):
    """A page in a fresh context that lets through only the app's own server (``base``) and
    records page errors; on exit, no request went elsewhere and no error was uncaught."""
    context = browser.new_context(viewport=viewport)
    context.add_init_script(RECORDER_JS)
    blocked, errors = [], []

    def route(r):
        if r.request.url.startswith(base):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)[:300]))
    try:
        yield page
    finally:
        context.close()
    assert not blocked, f"requests outside 127.0.0.1: {blocked[:3]}"
    assert not errors, f"uncaught errors in the page: {errors[:3]}"


def visible(page, selector: str, what: str, timeout_ms: float = 30_000) -> None:
    """Wait until ``selector`` shows; else a screenshot in artifacts/failures and a failure."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    import pytest

    try:
        page.locator(selector).first.wait_for(state="visible", timeout=timeout_ms)
    except PlaywrightTimeout:
        shot = ARTIFACTS / "failures" / f"{what}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"{what}: nothing visible matches {selector} (screenshot {shot})")
