"""The serving benchmark of ``make bench-serve``: many sessions at once against ``make run`` and ``make serve``.

``python -m bench.serve [--quick] [--scenario PATH] [--write]`` starts, one after the other (never
both at once), on free 127.0.0.1 ports:

(a) the single process as ``make run`` starts it (``python app.py``);
(b) ``deploy/serve.py --workers 2``: HAProxy in front of 2 app processes.

Both run with ``--server.disconnectedSessionTTL`` :data:`TTL_S` (Streamlit's default is 120 s), so
that a closed session's state may be freed within the run. Against each, once healthy and warmed
up (2 sessions × 1 move, not recorded):

* memory: the RSS of the server's process tree (the app process; or the launcher, HAProxy and
  the workers) [MB = 10^6 bytes, the sum of VmRSS, so pages shared between processes count once
  per process] with no session open, with :data:`IDLE` idle sessions open (each opened and its
  script run once, the way ``wsload.py`` opens one), and before and after :data:`CHURN` sessions
  came and went (opened and closed in rounds of :data:`ROUND`). "No session open" is measured
  after :func:`settle`: the TTL has passed and one probe session was opened and closed, because
  Streamlit reaps expired sessions only when it next stores one.
* load: ``../shared/tools/wsload.py URL N 8`` for N in :data:`LOADS` (slider move and session
  start p50/p95 [s], failed sessions, kB the server sends per run), and a burst of :data:`BURST`
  sessions opening at once (``wsload.py URL 50 0``: no moves, every start recorded); the RSS
  after each step.

The table goes to stdout (and ``bench/serve_results.md`` with ``--write``), beside the goals of
issue 8. Timings are measured, never asserted: the exit status is 0 even when a goal is missed,
1 when a server could not start, 2 on bad arguments.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WSLOAD = ROOT.parent / "shared" / "tools" / "wsload.py"
RESULTS_MD = ROOT / "bench" / "serve_results.md"

TTL_S = 5                  # --server.disconnectedSessionTTL of the servers under test [s]
MOVES = 8                  # slider moves per session
LOADS, BURST = (1, 4, 10, 20), 50
IDLE, CHURN, ROUND = 50, 200, 25
QUICK = {"loads": (1, 4), "burst": 10, "idle": 10, "churn": 25, "round": 25}
WORKERS = 2
START_TIMEOUT_S = 180.0
WSLOAD_TIMEOUT_S = 900.0
STOP_GRACE_S = 20.0

GOAL_MOVE_P95_S, GOAL_LOAD_SESSIONS = 1.0, 20
GOAL_BURST_START_P95_S = 5.0
GOAL_RSS_50_MB = 1500.0
GROWTH_TOLERANCE = 0.05    # growth ≤ 5 % of the RSS before counts as none (allocator noise; an assumption)

SUMMARY = re.compile(
    r"server load(?: on /\S+)?: (?P<sessions>\d+) sessions x (?P<moves>\d+) slider moves, no browsers: "
    r"move p50 (?P<move_p50>\S+)s p95 (?P<move_p95>\S+)s; "
    r"session start p50 (?P<start_p50>\S+)s p95 (?P<start_p95>\S+)s; (?P<failed>\d+) failed; "
    r"(?P<kb>\S+) kB sent per run \(p50\); (?P<total>\d+)s total")


# --- wsload's output ----------------------------------------------------------------------------
@dataclass
class Load:
    """One wsload run: ``sessions`` × ``moves``; times [s], kB per run [10^3 bytes] (p50), RSS
    of the server's tree right after [MB]; ``problems``: wsload's FAIL lines or why it gave no
    summary."""
    sessions: int
    moves: int
    move_p50_s: float = math.nan
    move_p95_s: float = math.nan
    start_p50_s: float = math.nan
    start_p95_s: float = math.nan
    failed: int = 0
    kb_per_run: float = math.nan
    total_s: float = math.nan
    rss_mb: float = math.nan
    problems: list[str] = field(default_factory=list)


def parse_wsload(stdout: str, sessions: int, moves: int) -> Load:
    """The figures of wsload.py's summary line; without one (it crashed or was stopped) every
    session counts as failed, with the output's last line as the reason."""
    problems = [line.removeprefix("FAIL ").strip() for line in stdout.splitlines() if line.startswith("FAIL ")]
    match = SUMMARY.search(stdout)
    if match is None:
        tail = stdout.strip().splitlines()[-1:] or ["no output"]
        return Load(sessions, moves, failed=sessions, problems=[*problems, f"no summary from wsload: {tail[0][:200]}"])
    g = match.groupdict()
    return Load(int(g["sessions"]), int(g["moves"]), float(g["move_p50"]), float(g["move_p95"]),
                float(g["start_p50"]), float(g["start_p95"]), int(g["failed"]), float(g["kb"]),
                float(g["total"]), problems=problems)


def run_wsload(url: str, sessions: int, moves: int) -> Load:
    """``wsload.py url sessions moves`` in a child process (this interpreter), parsed."""
    try:
        out = subprocess.run([sys.executable, str(WSLOAD), url, str(sessions), str(moves)], cwd=ROOT,
                             capture_output=True, text=True, timeout=WSLOAD_TIMEOUT_S)
        text = out.stdout + (out.stderr if SUMMARY.search(out.stdout) is None else "")
    except subprocess.TimeoutExpired:
        text = f"wsload stopped after {WSLOAD_TIMEOUT_S:.0f} s"
    return parse_wsload(text, sessions, moves)


# --- memory of a process tree -------------------------------------------------------------------
def tree_pids(root: int) -> list[int]:
    """``root`` and every process descended from it (parents read from /proc/PID/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])   # the name may hold spaces or ")"
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def rss_kib(pid: int) -> int:
    """VmRSS of one process [KiB] (/proc/PID/status); 0 when it is gone or has none."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(root: int) -> float:
    """Sum of VmRSS over ``root``'s process tree [MB = 10^6 bytes]."""
    return sum(rss_kib(pid) for pid in tree_pids(root)) * 1024 / 1e6


# --- sessions held open -------------------------------------------------------------------------
class Session:
    """One browser-like session (websocket + Streamlit's protobufs, as wsload.py opens one): the
    script run once, then held open until :meth:`close`."""

    def __init__(self, url: str):
        from websockets.sync.client import connect

        self.ws = connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                          origin=url, max_size=2**26, open_timeout=60, proxy=None, legacy=True)

    def run_script(self) -> None:
        """Send rerun_script; read until script_finished; an exception on the page is a failure."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        bm = BackMsg()
        bm.rerun_script.page_name = ""
        self.ws.send(bm.SerializeToString())
        exceptions = 0
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(self.ws.recv(timeout=180))
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                exceptions += fm.delta.new_element.WhichOneof("type") == "exception"
            elif kind == "script_finished" and fm.script_finished in (0, 1, 3):   # 2: it reruns itself
                if exceptions:
                    raise RuntimeError("the page shows an exception when opened")
                return

    def close(self) -> None:
        self.ws.close()


def open_sessions(url: str, n: int, at_once: int) -> tuple[list[Session], list[str]]:
    """``n`` sessions opened, at most ``at_once`` opening together; (the open ones, problems)."""
    opened: list[Session] = []
    problems: list[str] = []
    lock = threading.Lock()
    pending = iter(range(n))

    def opener() -> None:
        while True:
            with lock:
                i = next(pending, None)
            if i is None:
                return
            try:
                s = Session(url)
                try:
                    s.run_script()
                except BaseException:
                    s.close()
                    raise
                with lock:
                    opened.append(s)
            except Exception as e:
                with lock:
                    problems.append(f"session {i}: {type(e).__name__}: {str(e)[:120]}")

    threads = [threading.Thread(target=opener, daemon=True) for _ in range(min(n, at_once))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return opened, problems


def close_all(sessions: list[Session]) -> None:
    for s in sessions:
        try:
            s.close()
        except Exception:
            pass


@dataclass
class Memory:
    """RSS of the server's tree [MB]: ``idle`` (no session, after warm-up), ``open`` (``n_open``
    sessions open), ``before``/``after`` (no session, around ``n_churn`` sessions that came and
    went); ``problems``: sessions that failed to open."""
    idle: float
    open: float
    n_open: int
    before: float
    after: float
    n_churn: int
    problems: list[str]


def per_session_mb(idle_mb: float, open_mb: float, n_open: int) -> float:
    """RSS per idle open session [MB]: (RSS with ``n_open`` open − RSS with none) / ``n_open``."""
    return (open_mb - idle_mb) / n_open


def growth_mb(before_mb: float, after_mb: float) -> float:
    """RSS growth after sessions came and went [MB]."""
    return after_mb - before_mb


def settle(url: str, root: int) -> float:
    """RSS [MB] with no session open: wait the TTL out, open and close a probe session (Streamlit
    reaps expired sessions when it stores the next one), and read the tree's RSS."""
    time.sleep(TTL_S + 1)
    probe, _ = open_sessions(url, 1, 1)
    close_all(probe)
    time.sleep(1)
    return tree_rss_mb(root)


def measure_memory(url: str, root: int, n_open: int, n_churn: int, round_n: int) -> Memory:
    idle = settle(url, root)
    held, problems = open_sessions(url, n_open, 10)
    open_mb = tree_rss_mb(root)
    close_all(held)
    before = settle(url, root)
    for _ in range(n_churn // round_n):
        batch, more = open_sessions(url, round_n, round_n)
        problems += more
        close_all(batch)
    after = settle(url, root)
    return Memory(idle, open_mb, len(held), before, after, n_churn, problems)


# --- the servers --------------------------------------------------------------------------------
def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


@dataclass
class Server:
    """A server under test: its label, command, the ports whose health means it is up, its
    public port, and (once started) its process and log."""
    label: str
    cmd: list[str]
    port: int
    health_ports: list[int]
    proc: subprocess.Popen | None = None
    log: Path | None = None

    def start(self, env: dict[str, str], log_dir: Path) -> str | None:
        """Start it and wait until healthy; None, or why it is not up."""
        self.log = log_dir / f"{self.label.split()[0]}.log"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        end = time.monotonic() + START_TIMEOUT_S
        while not all(healthy(p) for p in self.health_ports):
            if self.proc.poll() is not None:
                return f"exited with status {self.proc.returncode}:\n{self.log.read_text()[-2000:]}"
            if time.monotonic() > end:
                return f"not healthy after {START_TIMEOUT_S:.0f} s:\n{self.log.read_text()[-2000:]}"
            time.sleep(0.5)
        return None

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after :data:`STOP_GRACE_S`."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue


def single_server() -> Server:
    (port,) = free_ports(1)
    return Server("single process (`make run`)",
                  [sys.executable, "app.py", "--server.port", str(port), "--server.headless", "true",
                   "--server.address", "127.0.0.1", "--server.disconnectedSessionTTL", str(TTL_S)],
                  port, [port])


def proxied_server() -> Server:
    port, *workers = free_ports(1 + WORKERS)
    return Server(f"HAProxy + {WORKERS} workers (`make serve WORKERS={WORKERS}`)",
                  [sys.executable, "deploy/serve.py", "--workers", str(WORKERS), "--port", str(port),
                   "--address", "127.0.0.1", "--worker-ports", ",".join(map(str, workers)),
                   "--", "--server.disconnectedSessionTTL", str(TTL_S)],
                  port, [port, *workers])


@dataclass
class Result:
    label: str
    error: str | None = None
    loads: list[Load] = field(default_factory=list)
    burst: Load | None = None
    memory: Memory | None = None
    seconds: float = 0.0


def bench_server(server: Server, env: dict[str, str], log_dir: Path, plan: dict) -> Result:
    """Start ``server``, measure memory then load, stop it (also on an exception or Ctrl-C)."""
    t0 = time.perf_counter()
    result = Result(server.label)
    print(f"\n{server.label}: starting", flush=True)
    try:
        result.error = server.start(env, log_dir)
        if result.error:
            print(f"  could not start: {result.error}", flush=True)
            return result
        url = f"http://127.0.0.1:{server.port}"
        run_wsload(url, WORKERS, 1)                          # warm-up: caches, imports; not recorded
        m = measure_memory(url, server.proc.pid, plan["idle"], plan["churn"], plan["round"])
        result.memory = m
        print(f"  memory: {m.idle:.0f} MB idle, {m.open:.0f} MB with {m.n_open} open, "
              f"{m.before:.0f} → {m.after:.0f} MB around {m.n_churn} sessions", flush=True)
        for n in plan["loads"]:
            load = run_wsload(url, n, MOVES)
            load.rss_mb = tree_rss_mb(server.proc.pid)
            result.loads.append(load)
            print(f"  {n} sessions: {load_cells(load)}", flush=True)
        burst = run_wsload(url, plan["burst"], 0)
        burst.rss_mb = tree_rss_mb(server.proc.pid)
        result.burst = burst
        print(f"  burst of {plan['burst']}: {load_cells(burst)}", flush=True)
    finally:
        server.stop()
        result.seconds = time.perf_counter() - t0
    return result


# --- the report ---------------------------------------------------------------------------------
def _s(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.2f} s"


def load_cells(load: Load) -> str:
    return (f"move {_s(load.move_p50_s)} / {_s(load.move_p95_s)}, start {_s(load.start_p50_s)} / "
            f"{_s(load.start_p95_s)}, {load.failed} failed, {load.kb_per_run:.0f} kB per run, "
            f"RSS {load.rss_mb:.0f} MB")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def goals_lines(r: Result) -> list[str]:
    """The issue's goals beside ``r``'s figures (those it has)."""
    out = []
    load = next((x for x in r.loads if x.sessions == GOAL_LOAD_SESSIONS), None)
    if load is not None:
        ok = load.failed == 0 and load.move_p95_s <= GOAL_MOVE_P95_S
        out.append(f"{GOAL_LOAD_SESSIONS} sessions p95 ≤ {GOAL_MOVE_P95_S:g} s per move, none failed: "
                   f"{_s(load.move_p95_s)}, {load.failed} failed — {verdict(ok)}")
    if r.burst is not None:
        b = r.burst
        ok = b.failed == 0 and b.start_p95_s <= GOAL_BURST_START_P95_S
        out.append(f"{b.sessions} opening at once all served, start p95 ≤ {GOAL_BURST_START_P95_S:g} s: "
                   f"{b.sessions - b.failed} of {b.sessions} served, p95 {_s(b.start_p95_s)} — {verdict(ok)}"
                   + ("" if b.sessions == BURST else f" (goal is for {BURST})"))
    if r.memory is not None:
        m = r.memory
        out.append(f"≤ {GOAL_RSS_50_MB / 1e3:g} GB with {IDLE} open sessions: {m.open:.0f} MB with {m.n_open} — "
                   + (verdict(m.open <= GOAL_RSS_50_MB) if m.n_open == IDLE else f"not measured at {IDLE}"))
        g = growth_mb(m.before, m.after)
        out.append(f"no growth after sessions end (≤ {GROWTH_TOLERANCE:.0%} counted as none): {g:+.0f} MB "
                   f"after {m.n_churn} — {verdict(g <= GROWTH_TOLERANCE * m.before)}")
    return out


def report_markdown(results: list[Result], header: list[str]) -> str:
    lines = ["# Serving benchmark (`make bench-serve`, `python -m bench.serve`)", "", *header, ""]
    for r in results:
        lines += [f"## {r.label}", ""]
        if r.error:
            lines += [f"Could not start: {r.error.splitlines()[0]}", ""]
            continue
        lines += ["| sessions at once | slider move p50 / p95 | session start p50 / p95 | failed | kB per run | RSS after |",
                  "|---|---|---|---|---|---|"]
        for x in r.loads:
            lines.append(f"| {x.sessions} × {x.moves} moves | {_s(x.move_p50_s)} / {_s(x.move_p95_s)} | "
                         f"{_s(x.start_p50_s)} / {_s(x.start_p95_s)} | {x.failed} | {x.kb_per_run:.0f} | {x.rss_mb:.0f} MB |")
        if r.burst is not None:
            b = r.burst
            lines.append(f"| burst: {b.sessions} opening at once | – | {_s(b.start_p50_s)} / {_s(b.start_p95_s)} | "
                         f"{b.failed} | {b.kb_per_run:.0f} | {b.rss_mb:.0f} MB |")
        lines.append("")
        if r.memory is not None:
            m = r.memory
            lines += [f"- RSS with no session open, after start-up and warm-up: {m.idle:.0f} MB",
                      f"- RSS with {m.n_open} idle sessions open: {m.open:.0f} MB, "
                      f"{per_session_mb(m.idle, m.open, m.n_open):.1f} MB per idle session" if m.n_open else
                      "- no idle session could be opened",
                      f"- RSS with no session open before / after {m.n_churn} sessions came and went "
                      f"(rounds of {ROUND if m.n_churn >= ROUND else m.n_churn}, TTL passed): "
                      f"{m.before:.0f} / {m.after:.0f} MB, growth {growth_mb(m.before, m.after):+.0f} MB"]
        problems = [p for x in [*r.loads, *([r.burst] if r.burst else [])] for p in x.problems]
        problems += r.memory.problems if r.memory else []
        if problems:
            lines.append(f"- failures ({len(problems)}), first: " + "; ".join(problems[:3]))
        lines += ["", "Goals (issue 8, this 2-core machine):", *[f"- {g}" for g in goals_lines(r)],
                  "", f"({r.seconds:.0f} s for this server)", ""]
    return "\n".join(lines)


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"a short trial: {QUICK['loads']} sessions, a burst of {QUICK['burst']}, "
                             f"{QUICK['idle']} idle and {QUICK['churn']} churned sessions")
    parser.add_argument("--scenario", help="serve this scenario file in place of the default (ELF_SCENARIO)")
    parser.add_argument("--write", action="store_true", help=f"also write {RESULTS_MD.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "ELF_SCENARIO"}
    if args.scenario:
        path = Path(args.scenario).resolve()
        if not path.is_file():
            parser.error(f"--scenario: no file {args.scenario}")
        env["ELF_SCENARIO"] = str(path)
    if not WSLOAD.is_file():
        parser.error(f"no {WSLOAD} (the load generator)")
    plan = QUICK if args.quick else {"loads": LOADS, "burst": BURST, "idle": IDLE, "churn": CHURN, "round": ROUND}
    signal.signal(signal.SIGTERM, _raise_interrupt)

    import streamlit
    load0 = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    t0 = time.perf_counter()
    results: list[Result] = []
    servers = [single_server(), proxied_server()]
    try:
        with tempfile.TemporaryDirectory(prefix="elf-bench-serve-") as log_dir:
            for server in servers:
                results.append(bench_server(server, env, Path(log_dir), plan))
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
    header = [f"{started}{', --quick' if args.quick else ''}; Python {platform.python_version()}, "
              f"Streamlit {streamlit.__version__}, {os.cpu_count()} CPUs, load average {load0[0]:.1f} at start, "
              f"{os.getloadavg()[0]:.1f} at the end; scenario: {args.scenario or 'the default'}.",
              f"Load from `../shared/tools/wsload.py URL N {MOVES}` (websocket + protobuf, no browser: the "
              "server's time from a rerun sent to its script_finished); the burst is `wsload.py URL N 0`. "
              f"Servers started with `--server.disconnectedSessionTTL {TTL_S}` (default 120 s). RSS: the sum "
              "of VmRSS over the server's process tree (the app process; or the launcher, HAProxy and "
              f"the {WORKERS} workers) [MB = 10^6 bytes]. Each server ran alone.",
              f"Whole run: {time.perf_counter() - t0:.0f} s."]
    text = report_markdown(results, header)
    print("\n" + text)
    if args.write:
        RESULTS_MD.write_text(text + "\n")
        print(f"written: {RESULTS_MD.relative_to(ROOT)}")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
