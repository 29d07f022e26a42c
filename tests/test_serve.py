"""``make serve`` end to end: deploy/serve.py with 2 workers behind HAProxy on free loopback ports.

Sessions are opened the way the browser opens them (Streamlit's websocket protocol, as
../shared/tools/wsload.py speaks it). Which process holds a session is checked on the workers
themselves, bypassing the proxy: Streamlit's upload endpoint accepts a file (204) only for a
session its own process holds, and answers 400 otherwise. Checked: both workers get sessions; an
upload with the session's cookie lands on its websocket's worker and the rerun there reads it;
the upload limit, XSRF and the websocket origin check hold through the proxy; no server banner or
directory listing; a SIGKILLed worker is restarted and back in HAProxy while the other's sessions
carry on; SIGTERM stops every process. The tests run in file order on one server (the last one
stops it).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/local/sbin:/usr/sbin:/sbin")
pytestmark = pytest.mark.skipif(
    HAPROXY is None, reason="HAProxy is not installed (no `haproxy` on PATH or in /usr/sbin): `make test` installs "
                            "Debian's haproxy package, or run `sudo apt-get install haproxy`")

from streamlit.proto.BackMsg_pb2 import BackMsg                  # noqa: E402
from streamlit.proto.Common_pb2 import UploadedFileInfo          # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg            # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState         # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402
from websockets.sync.client import connect                       # noqa: E402

from bench.serve import free_ports                               # noqa: E402

COOKIE = "ELF_WORKER"            # deploy/haproxy.cfg's sticky cookie; its value is the worker's name
UPLOAD_MB = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
START_TIMEOUT_S = 90.0


class Served:
    """The launcher under test: its process, public URL, worker ports by name and run dir."""

    def __init__(self, proc, port: int, worker_ports: dict[str, int], run_dir: Path, log: Path):
        self.proc, self.port, self.worker_ports, self.run_dir, self.log = proc, port, worker_ports, run_dir, log
        self.base = f"http://127.0.0.1:{port}"
        self.seen_pids: set[int] = set()

    def state(self) -> dict:
        state = json.loads((self.run_dir / "state.json").read_text())
        self.seen_pids |= {v["pid"] for v in state.values() if v["pid"]}
        return state

    def server_status(self) -> dict[str, str]:
        """HAProxy's view of each worker ("UP", "DOWN", …), from its stats socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.run_dir / "haproxy.sock"))
            s.sendall(b"show stat\n")
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        lines = raw.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "streamlit" and r["svname"].startswith("w")}

    def wait_for(self, predicate, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
        end = time.monotonic() + timeout_s
        while True:
            try:
                if predicate():
                    return
            except (OSError, ValueError, KeyError):
                pass
            if self.proc.poll() is not None or time.monotonic() > end:
                pytest.fail(f"{what}: not after {timeout_s:.0f} s (launcher status {self.proc.poll()}):\n"
                            f"{self.log.read_text()[-3000:]}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("serve")
    port, p1, p2 = free_ports(3)
    log = run_dir / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "ELF_SCENARIO"}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), "--workers", "2",
                                 "--port", str(port), "--address", "127.0.0.1",
                                 "--worker-ports", f"{p1},{p2}", "--run-dir", str(run_dir)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    srv = Served(proc, port, {"w1": p1, "w2": p2}, run_dir, log)
    try:
        srv.wait_for(lambda: srv.server_status() == {"w1": "UP", "w2": "UP"}, "both workers UP in HAProxy")
        srv.state()
        yield srv
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _xsrf_cookie(base: str) -> str:
    """A ``_streamlit_xsrf`` cookie value as Streamlit hands it out (its check compares the
    X-Xsrftoken header with this cookie)."""
    conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=20)
    conn.request("GET", "/_stcore/health")
    resp = conn.getresponse()
    resp.read()
    for name, value in resp.getheaders():
        if name.lower() == "set-cookie" and value.startswith("_streamlit_xsrf="):
            return value.split(";")[0].split("=", 1)[1]
    raise AssertionError("no _streamlit_xsrf cookie from /_stcore/health")


def _multipart(name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/json\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _put(host_port: str, path: str, body, headers: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(host_port, timeout=60)
    conn.request("PUT", path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}


def upload(host_port: str, path: str, xsrf: str, data: bytes = b"{}", worker: str | None = None,
           name: str = "probe.json") -> int:
    """PUT one file to ``path`` (/_stcore/upload_file/<session>/<file>) with a valid XSRF token,
    and the sticky cookie naming ``worker`` when given. Returns the status."""
    body, ctype = _multipart(name, data)
    cookie = f"_streamlit_xsrf={xsrf}" + (f"; {COOKIE}={worker}" if worker else "")
    return _put(host_port, path, body, {"Content-Type": ctype, "Cookie": cookie, "X-Xsrftoken": xsrf})[0]


class Session:
    """One browser-like Streamlit session through the proxy (websocket + protobuf)."""

    def __init__(self, base: str, worker: str | None = None, origin: str | None = None):
        headers = {"Cookie": f"{COOKIE}={worker}"} if worker else {}
        self.ws = connect(base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                          origin=origin or base, additional_headers=headers, max_size=2**26,
                          open_timeout=60, proxy=None, legacy=True)
        set_cookies = self.ws.response.headers.get_all("Set-Cookie")
        given = [c.split(";")[0].split("=", 1)[1] for c in set_cookies if c.startswith(f"{COOKIE}=")]
        self.worker = given[0] if given else worker      # HAProxy sets it when it chose the worker
        self.session_id = None
        self.elements: list = []

    def send(self, bm: BackMsg) -> None:
        self.ws.send(bm.SerializeToString())

    def recv(self) -> ForwardMsg:
        fm = ForwardMsg()
        fm.ParseFromString(self.ws.recv(timeout=120))
        return fm

    def rerun(self, page: str = "", widgets: list | None = None) -> int:
        """Run the script; keep the elements drawn; return script_finished's status."""
        bm = BackMsg()
        bm.rerun_script.page_name = page
        bm.rerun_script.widget_states.widgets.extend(widgets or [])
        self.send(bm)
        self.elements = []
        while True:
            fm = self.recv()
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                self.elements.append(fm.delta.new_element)
            elif kind == "script_finished" and fm.script_finished != 2:   # 2: it reruns itself
                return fm.script_finished

    def exceptions(self) -> list:
        return [e.exception.message for e in self.elements if e.WhichOneof("type") == "exception"]

    def close(self) -> None:
        self.ws.close()


def open_sessions(base: str, n: int) -> list[Session]:
    out = []
    for _ in range(n):
        s = Session(base)
        assert s.rerun() == 0 and not s.exceptions(), s.exceptions()
        out.append(s)
    return out


def holders(srv: Served, session: Session, xsrf: str) -> set[str]:
    """The workers whose own process accepts an upload for ``session`` (asked directly, not
    through the proxy)."""
    path = f"/_stcore/upload_file/{session.session_id}/{uuid.uuid4().hex}"
    found = set()
    for name, port in srv.worker_ports.items():
        try:
            status = upload(f"127.0.0.1:{port}", path, xsrf)
        except ConnectionRefusedError:                 # not running: holds nothing
            continue
        assert status in (204, 400), f"{name}: upload answered {status}"
        if status == 204:
            found.add(name)
    return found


def test_both_workers_serve_sessions(served):
    xsrf = _xsrf_cookie(served.base)
    sessions = open_sessions(served.base, 4)
    try:
        for s in sessions:
            assert s.worker in served.worker_ports, "HAProxy set no sticky cookie naming a worker"
            assert holders(served, s, xsrf) == {s.worker}
        assert {s.worker for s in sessions} == {"w1", "w2"}
    finally:
        for s in sessions:
            s.close()


def _uploader_id(session: Session, label: str) -> str:
    for e in session.elements:
        if e.WhichOneof("type") == "file_uploader" and e.file_uploader.label == label:
            return e.file_uploader.id
    raise AssertionError(f"no file uploader {label!r} on the page")


def test_upload_and_the_rerun_after_it_reach_the_same_worker(served):
    """The browser's steps: ask the session for upload URLs, PUT the file through the proxy with
    the sticky cookie, rerun with the uploader's new state: the page then reports the file."""
    xsrf = _xsrf_cookie(served.base)
    s = Session(served.base)
    try:
        assert s.rerun("data") == 0 and not s.exceptions(), s.exceptions()
        uploader = _uploader_id(s, "Scenario file")
        name = "proxy-probe.json"
        data = b'{"schema_version": 1}'                 # readable JSON, not a usable scenario
        bm = BackMsg()
        bm.file_urls_request.request_id = "r1"
        bm.file_urls_request.file_names.append(name)
        bm.file_urls_request.session_id = s.session_id
        s.send(bm)
        while (fm := s.recv()).WhichOneof("type") != "file_urls_response":
            pass
        urls = fm.file_urls_response.file_urls[0]
        other = ({"w1", "w2"} - {s.worker}).pop()
        assert upload(served.base.removeprefix("http://"), urls.upload_url, xsrf, data, other, name) == 400
        assert upload(served.base.removeprefix("http://"), urls.upload_url, xsrf, data, s.worker, name) == 204

        state = WidgetState(id=uploader)
        state.file_uploader_state_value.uploaded_file_info.append(
            UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id, file_urls=urls))
        assert s.rerun("data", [state]) == 0 and not s.exceptions(), s.exceptions()
        errors = [e.alert.body for e in s.elements if e.WhichOneof("type") == "alert"]
        assert any(name in text and "not loaded" in text for text in errors), errors
        assert holders(served, s, xsrf) == {s.worker}
    finally:
        s.close()


def test_upload_limit_holds_through_the_proxy(served):
    s = Session(served.base)
    try:
        s.rerun()
        xsrf = _xsrf_cookie(served.base)
        path = f"/_stcore/upload_file/{s.session_id}/{uuid.uuid4().hex}"
        host = served.base.removeprefix("http://")
        headers = {"Cookie": f"_streamlit_xsrf={xsrf}; {COOKIE}={s.worker}", "X-Xsrftoken": xsrf}
        limit = int(UPLOAD_MB * 1024 * 1024)
        # declared too big: refused from the headers, the body never sent
        conn = http.client.HTTPConnection(host, timeout=30)
        conn.putrequest("PUT", path)
        for k, v in {**headers, "Content-Type": "multipart/form-data; boundary=x",
                     "Content-Length": str(10 * limit)}.items():
            conn.putheader(k, v)
        conn.endheaders()
        assert conn.getresponse().status == 413
        conn.close()
        # undeclared (chunked) and too big: the stream is cut while it arrives
        body, ctype = _multipart("big.json", b"0" * (limit + 2 * 1024 * 1024))
        chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
        try:
            status, _ = _put(host, path, chunks, {**headers, "Content-Type": ctype, "Transfer-Encoding": "chunked"})
        except (BrokenPipeError, ConnectionResetError):
            status = 413                                   # refused before the whole body was sent
        assert status == 413
        # a file under the limit is accepted
        assert upload(host, path, xsrf, b"0" * (limit // 2), s.worker) == 204
    finally:
        s.close()


def test_xsrf_and_origin_checks_stay_on_through_the_proxy(served):
    with pytest.raises(InvalidStatus) as refused:
        Session(served.base, origin="http://elsewhere.example")
    assert refused.value.response.status_code == 403
    s = Session(served.base)
    try:
        s.rerun()
        path = f"/_stcore/upload_file/{s.session_id}/{uuid.uuid4().hex}"
        body, ctype = _multipart("probe.json", b"{}")
        status, _ = _put(served.base.removeprefix("http://"), path, body,
                         {"Content-Type": ctype, "Cookie": f"{COOKIE}={s.worker}"})     # no XSRF token
        assert status == 403
    finally:
        s.close()


def test_no_server_banner_and_no_directory_listing(served):
    host = served.base.removeprefix("http://")
    for path in ["/", "/_stcore/health", "/static/", "/app/static/", "/media/", "/_stcore/", "/nothing-here"]:
        conn = http.client.HTTPConnection(host, timeout=20)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        assert resp.getheader("Server") is None, f"{path}: Server: {resp.getheader('Server')}"
        if path not in ("/", "/_stcore/health"):
            listing = b"Index of" in body or b"Directory listing" in body
            assert not listing, f"{path} lists a directory"
        conn.close()


@pytest.mark.browser
def test_a_shared_link_opens_through_the_proxy_in_a_browser(served, tmp_path):
    """Chromium opens a shared link (another catalogue scenario, a changed carbon price) through
    HAProxy: the Explorer renders that scenario; the sticky cookie is set; nothing else is fetched."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from browser_support import CHROMIUM, CHROMIUM_ARGS, METRIC, RECORDER_JS, Recorder, problems, wait_idle
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from core.catalogue import shipped
    from core.share import ShareState, decode_state, encode_state
    from urllib.parse import parse_qs, urlsplit

    scenario_id = "world_cloud_regions"
    state = ShareState(scenario=scenario_id, changes={"objective.carbon_price_usd_per_t": 80.0})
    name = shipped()[scenario_id].name
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            outside = []
            context.on("request", lambda r: None if r.url.startswith(served.base) or r.url.startswith(
                served.base.replace("http", "ws", 1)) or r.url.startswith(("data:", "blob:")) else outside.append(r.url))
            page = context.new_page()
            page.add_init_script(RECORDER_JS)
            page.goto(f"{served.base}/?s={encode_state(state)}")
            wait_idle(page, Recorder(page), timeout_s=90, what="shared link through the proxy")
            page.locator(METRIC).first.wait_for(state="visible", timeout=20_000)
            picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Scenario")
            picked = picker.first.evaluate(          # the chosen option: text or the combobox's value
                "e => e.textContent + ' ' + Array.from(e.querySelectorAll('input')).map(i => i.value).join(' ')")
            assert name in picked, picked
            assert page.locator('[data-testid="stAlert"]').count() == 0, "a valid link raised a warning"
            assert not problems(page)
            shown = decode_state(parse_qs(urlsplit(page.url).query)["s"][0])
            assert (shown.scenario, shown.changes) == (state.scenario, state.changes)
            cookies = {c["name"]: c["value"] for c in context.cookies()}
            assert cookies.get(COOKIE) in served.worker_ports, cookies
            assert not outside, f"fetched from elsewhere: {outside[:5]}"
        finally:
            browser.close()


def test_a_killed_worker_comes_back_and_the_other_carries_on(served):
    sessions = open_sessions(served.base, 2)
    while {s.worker for s in sessions} != {"w1", "w2"} and len(sessions) < 6:
        sessions += open_sessions(served.base, 1)
    victim = next(s for s in sessions if s.worker == "w1")
    survivor = next(s for s in sessions if s.worker == "w2")
    old_pid = served.state()["w1"]["pid"]
    xsrf = _xsrf_cookie(served.base)
    try:
        os.kill(old_pid, signal.SIGKILL)
        served.wait_for(lambda: not _listening(served.worker_ports["w1"]), "w1's port closed", 20)
        # a request that still names the dead worker is answered by the other, not an error page,
        # and its refused connection takes w1 out of HAProxy at once
        conn = http.client.HTTPConnection(served.base.removeprefix("http://"), timeout=20)
        conn.request("GET", "/_stcore/health", headers={"Cookie": f"{COOKIE}=w1"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
        assert f"{COOKIE}=w2" in (resp.getheader("Set-Cookie") or ""), "not re-stuck to the live worker"
        conn.close()
        assert served.server_status()["w1"].startswith("DOWN")
        with pytest.raises(ConnectionClosed):          # the browser sees the close and reconnects
            victim.rerun()
        assert survivor.rerun() == 0 and not survivor.exceptions()
        assert holders(served, survivor, xsrf) == {"w2"}

        served.wait_for(lambda: served.state()["w1"]["pid"] not in (None, old_pid), "w1 restarted", 60)
        served.wait_for(lambda: _listening(served.worker_ports["w1"]), "the new w1 listening", 60)
        served.wait_for(lambda: served.server_status()["w1"] == "UP", "w1 UP again in HAProxy", 60)
        assert served.state()["w1"]["starts"] == 2
        back = Session(served.base, worker="w1")       # the reconnect of a session that lived on w1
        try:
            assert back.rerun() == 0 and not back.exceptions()
            assert holders(served, back, xsrf) == {"w1"}
        finally:
            back.close()
        assert survivor.rerun() == 0
    finally:
        for s in sessions:
            s.close()


@pytest.mark.parametrize("mode", ["--upstream", "--upstream-dns"])
def test_with_no_worker_up_the_proxy_serves_a_page_that_retries(mode, tmp_path):
    """HAProxy alone (the compose proxy finds its workers by DNS), before workers that are not
    there: the visitor gets the short page that reloads itself, not a bare error."""
    port, nobody = free_ports(2)
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), mode, f"localhost:{nobody}",
                             "--port", str(port), "--address", "127.0.0.1", "--run-dir", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 30
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < end, "HAProxy did not start"
            time.sleep(0.1)
        conn = http.client.HTTPConnection(f"127.0.0.1:{port}", timeout=20)
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 503 and resp.getheader("Retry-After") == "2"
        assert '<meta http-equiv="refresh" content="2">' in body and "starting" in body
        assert resp.getheader("Server") is None
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_stops_every_process(served):
    served.state()
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0
    alive = []
    for pid in served.seen_pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    assert not alive, f"processes left running: {alive}"
    assert not any(_listening(p) for p in [served.port, *served.worker_ports.values()])


def _launcher_module():
    """deploy/serve.py as a module (deploy/ is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("elf_serve_launcher", ROOT / "deploy" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module               # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_upload_limit_follows_streamlit_precedence(tmp_path):
    """Streamlit's order (its config.get_config_options): flag > STREAMLIT_SERVER_MAX_UPLOAD_SIZE >
    the last config file that sets it (project over ~/.streamlit) > 200 MB."""
    limit = _launcher_module().upload_limit_mb
    home, project, silent = tmp_path / "home.toml", tmp_path / "project.toml", tmp_path / "silent.toml"
    home.write_text("[server]\nmaxUploadSize = 50\n")
    project.write_text("[server]\nmaxUploadSize = 7\n")
    silent.write_text("[server]\nheadless = true\n")
    env = {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "9"}
    assert limit([], {}, [tmp_path / "missing.toml"]) == 200
    assert limit([], {}, [home]) == 50
    assert limit([], {}, [home, project]) == 7
    assert limit([], {}, [home, silent]) == 50
    assert limit([], env, [home, project]) == 9
    assert limit(["--server.maxUploadSize", "11"], env, [project]) == 11
    assert limit(["--server.maxUploadSize=12"], env, [project]) == 12
    assert limit([], {}, [ROOT / ".streamlit" / "config.toml"]) == UPLOAD_MB
    with pytest.raises(SystemExit, match="STREAMLIT_SERVER_MAX_UPLOAD_SIZE"):
        limit([], {"STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "lots"}, [])


def _launch(args: list[str], env: dict | None = None, timeout_s: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "deploy" / "serve.py"), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout_s)


def test_a_taken_public_port_is_refused_by_name():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _launch(["--workers", "1", "--port", str(port), "--address", "127.0.0.1"])
    assert done.returncode == 2
    assert f"port {port}" in done.stderr and "already in use" in done.stderr, done.stderr
    assert "started" not in done.stderr, "something was started"


def test_haproxy_dying_at_start_is_reported_and_nothing_is_left(tmp_path):
    """An HAProxy that passes the config check and exits at start (as when its port is taken
    between the launcher's check and its bind): its message, status 2, no worker started, the
    temporary run dir removed."""
    fake = tmp_path / "haproxy"
    fake.write_text('#!/bin/sh\n[ "$1" = "-c" ] && exit 0\n'
                    'echo "[ALERT] (1) : Starting frontend explorer: cannot bind socket" >&2\nexit 1\n')
    fake.chmod(0o755)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port, worker = free_ports(2)
    done = _launch(["--workers", "1", "--port", str(port), "--address", "127.0.0.1", "--worker-ports",
                    str(worker), "--haproxy", str(fake)], env={**os.environ, "TMPDIR": str(tmp)})
    assert done.returncode == 2
    assert "exited at start with status 1" in done.stderr and "cannot bind socket" in done.stderr, done.stderr
    assert "w1 started" not in done.stderr
    assert list(tmp.iterdir()) == []


def test_the_proxy_limit_follows_the_environment_and_its_run_dir_goes(tmp_path):
    """STREAMLIT_SERVER_MAX_UPLOAD_SIZE=1 (MB) reaches HAProxy: a body declared over 1 MiB plus
    the 1 MiB multipart margin is refused (413) before any worker is asked, one under it passes
    to the backend (no worker here: 503). SIGTERM then removes the temporary run dir."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port, nobody = free_ports(2)
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), "--upstream", f"127.0.0.1:{nobody}",
                             "--port", str(port), "--address", "127.0.0.1"], cwd=ROOT,
                            env={**os.environ, "TMPDIR": str(tmp), "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 30
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < end, "HAProxy did not start"
            time.sleep(0.1)
        assert len(list(tmp.iterdir())) == 1
        statuses = []
        for declared in (2 * 1024 * 1024 + 1, 2 * 1024 * 1024 - 1024):
            conn = http.client.HTTPConnection(f"127.0.0.1:{port}", timeout=20)
            conn.putrequest("PUT", "/_stcore/upload_file/s/f")
            conn.putheader("Content-Length", str(declared))
            conn.endheaders()
            statuses.append(conn.getresponse().status)
            conn.close()
        assert statuses == [413, 503]
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    assert list(tmp.iterdir()) == []
