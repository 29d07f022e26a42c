"""``make serve``: several Explorer processes behind HAProxy, supervised.

Starts ``--workers`` Streamlit processes (``python app.py``), each bound to 127.0.0.1 on its own
port, and HAProxy on ``--address``:``--port`` with ``deploy/haproxy.cfg`` (one ``server`` line per
worker appended). A process that exits is started again (after 1 s, doubling up to 30 s while it
keeps dying young); HAProxy's health checks take its worker out and back. SIGINT or SIGTERM stops
everything; the children also get SIGTERM if this launcher is killed outright (Linux).

Other uses, for containers and more machines (see the README):

- ``--worker-only``: run one worker in the foreground with the production settings below, bound
  to ``--address``:``--port`` (a container of ``compose.yaml``'s ``app`` service).
- ``--upstream host:port,...``: HAProxy only, in front of workers that run elsewhere.
- ``--upstream-dns name:port --slots N``: HAProxy only, the workers found by DNS (every address
  of ``name``, up to N), re-resolved every few seconds: compose replicas, a headless service.

Anything after ``--`` goes to every worker (e.g. ``-- --server.maxUploadSize 10``). The state
(pids, ports, restarts) is in ``<run dir>/state.json``, HAProxy's stats socket in
``<run dir>/haproxy.sock``.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = Path(__file__).resolve().parent
TEMPLATE = DEPLOY / "haproxy.cfg"
STREAMLIT_DEFAULT_UPLOAD_MB = 200            # Streamlit's default server.maxUploadSize
MULTIPART_MARGIN_BYTES = 1024 * 1024         # the framing margin Streamlit's upload handler allows
STOP_GRACE_S = 10.0
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"

# Production settings of every worker, on the command line so that they hold whatever
# .streamlit/config.toml says (today it sets the same for `make run`, with the same reasons).
PRODUCTION_FLAGS = [
    "--server.headless", "true",
    # No file watcher: nobody edits the code on a production server, and watching every module
    # costs time on each rerun; a new version is deployed by restarting the processes.
    "--server.fileWatcherType", "none",
    # No gc.collect() after every script run: CPython's own collector still runs as usual (by
    # allocation counts), so memory is reclaimed as in any Python program; the forced full
    # collection only made every rerun wait for it.
    "--runner.postScriptGC", "false",
    "--browser.gatherUsageStats", "false",
]


def log(message: str) -> None:
    print(f"serve: {message}", file=sys.stderr, flush=True)


def upload_limit_mb(extra: list[str]) -> float:
    """server.maxUploadSize (MB) the workers will use: ``-- --server.maxUploadSize N``, else
    ``.streamlit/config.toml``, else Streamlit's default."""
    for i, arg in enumerate(extra):
        if arg.startswith("--server.maxUploadSize="):
            return float(arg.split("=", 1)[1])
        if arg == "--server.maxUploadSize" and i + 1 < len(extra):
            return float(extra[i + 1])
    path = ROOT / ".streamlit" / "config.toml"
    if path.exists():
        server = tomllib.loads(path.read_text()).get("server", {})
        return float(server.get("maxUploadSize", STREAMLIT_DEFAULT_UPLOAD_MB))
    return float(STREAMLIT_DEFAULT_UPLOAD_MB)


def worker_command(address: str, port: int, extra: list[str]) -> list[str]:
    return [sys.executable, str(ROOT / "app.py"), "--server.port", str(port),
            "--server.address", address, *PRODUCTION_FLAGS, *extra]


def server_lines(upstream: list[tuple[str, int]]) -> str:
    """One HAProxy ``server`` per worker, named (and cookied) w1, w2, …"""
    return "".join(f"    server w{i} {host}:{port} cookie w{i}\n"
                   for i, (host, port) in enumerate(upstream, start=1))


def dns_lines(name: str, port: int, slots: int) -> str:
    """Up to ``slots`` servers, one per address of ``name`` (re-resolved), with a resolvers section
    that reads /etc/resolv.conf (Docker's embedded DNS in compose)."""
    return (f"    server-template w 1-{slots} {name}:{port} resolvers dns init-addr none\n"
            "\nresolvers dns\n    parse-resolv-conf\n    hold valid 5s\n    hold obsolete 10s\n")


def render_config(run_dir: Path, servers: str) -> Path:
    path = run_dir / "haproxy.cfg"
    path.write_text(TEMPLATE.read_text() + servers)
    return path


def haproxy_env(run_dir: Path, bind: str, max_body_bytes: int) -> dict[str, str]:
    return {**os.environ,
            "ELF_RUN_DIR": str(run_dir), "ELF_DEPLOY_DIR": str(DEPLOY), "ELF_BIND": bind,
            "ELF_MAX_BODY_BYTES": str(max_body_bytes),
            # the same key on every proxy keeps DNS-found workers' cookies valid across them
            "ELF_COOKIE_KEY": os.environ.get("ELF_COOKIE_KEY") or secrets.token_hex(16)}


def find_haproxy(name: str = "haproxy") -> str | None:
    """The HAProxy binary: on PATH, or where Debian puts it (/usr/sbin, not on a user's PATH)."""
    return shutil.which(name) or shutil.which(name, path=SBIN)


def port_is_free(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server binds: TIME_WAIT is no owner
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


# looked up before any thread starts: the pre-exec step below runs between fork and exec, where
# only the bare prctl call is safe (no imports, no allocation of Python objects to speak of)
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the launcher dies (the new process group comes
    from ``start_new_session``)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


@dataclass
class Child:
    """A supervised process: started again after it exits, with a growing delay while it dies young."""
    name: str
    cmd: list[str]
    env: dict[str, str] | None = None
    port: int | None = None
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    starts: int = 0
    delay_s: float = 1.0
    restart_at: float | None = field(default=None)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        self.started_at, self.restart_at = time.monotonic(), None
        self.starts += 1
        log(f"{self.name} started (pid {self.proc.pid}{f', port {self.port}' if self.port else ''})")

    def check(self, now: float) -> bool:
        """Restart if due; schedule a restart if it exited. True when something changed."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
                return True
            return False
        if self.proc is None or self.proc.poll() is None:
            return False
        lived = now - self.started_at
        self.delay_s = 1.0 if lived > 60 else min(30.0, self.delay_s * 2 if self.starts > 1 else 1.0)
        self.restart_at = now + self.delay_s
        log(f"{self.name} exited with status {self.proc.returncode} after {lived:.0f} s; "
            f"restarting in {self.delay_s:.0f} s")
        return True

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass


class Supervisor:
    def __init__(self, children: list[Child], run_dir: Path):
        self.children, self.run_dir, self.stopping = children, run_dir, False

    def write_state(self) -> None:
        state = {c.name: {"pid": c.proc.pid if c.proc and c.proc.poll() is None else None,
                          "port": c.port, "starts": c.starts} for c in self.children}
        tmp = self.run_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.run_dir / "state.json")

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for c in self.children:
            c.start()
        self.write_state()
        while not self.stopping:
            now = time.monotonic()
            if any([c.check(now) for c in self.children]):
                self.write_state()
            time.sleep(0.2)
        return self.stop()

    def stop(self) -> int:
        log("stopping")
        for c in self.children:
            c.signal(signal.SIGTERM)
        end = time.monotonic() + STOP_GRACE_S
        for c in self.children:
            if c.proc is None:
                continue
            try:
                c.proc.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                c.signal(signal.SIGKILL)
                c.proc.wait()
        self.write_state()
        return 0


def announce_when_healthy(workers: list[Child], url: str, timeout_s: float = 120.0) -> None:
    """Print the address once every worker answers its health check (never blocks serving)."""
    import threading

    def wait() -> None:
        end = time.monotonic() + timeout_s
        pending = {c.port for c in workers}
        while pending and time.monotonic() < end:
            for port in list(pending):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                        pending.discard(port)
                except OSError:
                    pass
            time.sleep(0.5)
        log(f"{len(workers) - len(pending)} of {len(workers)} workers up; open {url}")

    threading.Thread(target=wait, daemon=True).start()


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                   help="app processes (default: the CPUs this process may use)")
    p.add_argument("--port", type=int, default=8501, help="the public port (default 8501)")
    p.add_argument("--address", default=None,
                   help="the public address (default all interfaces; 127.0.0.1 with --worker-only)")
    p.add_argument("--worker-ports", help="comma-separated ports of the workers on 127.0.0.1 "
                                          "(default: the --workers ports after --port)")
    p.add_argument("--run-dir", help="where the config, stats socket and state go (default: a temporary folder)")
    p.add_argument("--haproxy", default="haproxy", help="the HAProxy binary")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--worker-only", action="store_true", help="run one worker in the foreground")
    mode.add_argument("--upstream", help="HAProxy only, before these host:port workers (comma-separated)")
    mode.add_argument("--upstream-dns", help="HAProxy only, before every address of name:port")
    p.add_argument("--slots", type=int, default=16, help="with --upstream-dns: at most this many workers")
    return p.parse_args(argv), extra


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"serve: expected host:port, got {text!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    args, extra = parse_args(sys.argv[1:] if argv is None else argv)
    if args.worker_only:
        os.chdir(ROOT)
        os.execv(sys.executable, worker_command(args.address or "127.0.0.1", args.port, extra))

    haproxy = find_haproxy(args.haproxy)
    if haproxy is None:
        log(f"no {args.haproxy!r} on PATH or in {SBIN}: install Debian's haproxy package (`make serve` does)")
        return 2
    run_dir = Path(args.run_dir) if args.run_dir else Path(tempfile.mkdtemp(prefix="elf-serve-"))
    run_dir.mkdir(parents=True, exist_ok=True)

    workers: list[Child] = []
    if args.upstream_dns:
        name, port = _host_port(args.upstream_dns)
        servers = dns_lines(name, port, args.slots)
    elif args.upstream:
        servers = server_lines([_host_port(u) for u in args.upstream.split(",")])
    else:
        if args.workers < 1:
            log("--workers must be at least 1")
            return 2
        ports = ([int(p) for p in args.worker_ports.split(",")] if args.worker_ports
                 else [args.port + i for i in range(1, args.workers + 1)])
        if len(ports) != args.workers:
            log(f"--worker-ports names {len(ports)} ports for {args.workers} workers")
            return 2
        busy = [p for p in ports if not port_is_free("127.0.0.1", p)]
        if busy:
            log(f"worker port(s) {', '.join(map(str, busy))} on 127.0.0.1 already in use "
                "(pick others with --worker-ports or --port)")
            return 2
        workers = [Child(f"w{i}", worker_command("127.0.0.1", port, extra), port=port)
                   for i, port in enumerate(ports, start=1)]
        servers = server_lines([("127.0.0.1", p) for p in ports])

    max_body = int(upload_limit_mb(extra) * 1024 * 1024) + MULTIPART_MARGIN_BYTES
    args.address = args.address or "0.0.0.0"
    bind = f"[{args.address}]:{args.port}" if ":" in args.address else f"{args.address}:{args.port}"
    env = haproxy_env(run_dir, bind, max_body)
    cfg = render_config(run_dir, servers)
    checked = subprocess.run([haproxy, "-c", "-q", "-f", str(cfg)], env=env,
                             capture_output=True, text=True)
    if checked.returncode != 0:
        log(f"HAProxy refuses {cfg}:\n{checked.stdout}{checked.stderr}")
        return 2
    proxy = Child("haproxy", [haproxy, "-db", "-f", str(cfg)], env=env)
    url = f"http://{'localhost' if args.address in ('0.0.0.0', '::') else args.address}:{args.port}"
    if workers:
        announce_when_healthy(workers, url)
    log(f"HAProxy on {bind}; run dir {run_dir}")
    return Supervisor([*workers, proxy], run_dir).run()


if __name__ == "__main__":
    sys.exit(main())
