"""``make serve``: several Explorer processes behind HAProxy, supervised.

Starts ``--workers`` Streamlit processes (``python app.py``), each bound to 127.0.0.1 on its own
port, and HAProxy on ``--address``:``--port`` with ``deploy/haproxy.cfg`` (one ``server`` line per
worker appended). HAProxy starts first: a public port already taken, or an HAProxy that exits at
start (its messages shown), stops the launcher with status 2 before any worker starts. A process
that exits later is started again (after 1 s, doubling up to 30 s while it keeps dying young);
HAProxy's health checks take its worker out and back. SIGINT, SIGTERM or SIGHUP stops everything
(and removes the temporary run dir); the children also get SIGTERM if this launcher is killed
outright (Linux).

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
import threading
import time
import tomllib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = Path(__file__).resolve().parent
TEMPLATE = DEPLOY / "haproxy.cfg"
STREAMLIT_DEFAULT_UPLOAD_MB = 200            # Streamlit's default server.maxUploadSize
UPLOAD_ENV = "STREAMLIT_SERVER_MAX_UPLOAD_SIZE"
# Streamlit reads these in this order, a later one overriding (the workers run with cwd = ROOT)
STREAMLIT_CONFIG_FILES = [Path.home() / ".streamlit" / "config.toml", ROOT / ".streamlit" / "config.toml"]
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
    _write_stderr(f"serve: {message}\n")


def _write_stderr(text: str) -> None:
    """To our stderr; a closed one (the terminal gone) must not keep the launcher from stopping
    its children."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def upload_limit_mb(extra: list[str], environ: Mapping[str, str], config_files: list[Path]) -> float:
    """The server.maxUploadSize [MB] the workers will use, by Streamlit's own precedence (its
    ``config.get_config_options``): the flag after ``--`` (``--server.maxUploadSize N`` or ``=N``),
    else ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``, else the last of ``config_files`` that sets it, else
    Streamlit's default (200 MB)."""
    value, where = None, "Streamlit's default"
    for i, arg in enumerate(extra):
        if arg.startswith("--server.maxUploadSize="):
            value, where = arg.split("=", 1)[1], "--server.maxUploadSize"
        elif arg == "--server.maxUploadSize" and i + 1 < len(extra):
            value, where = extra[i + 1], "--server.maxUploadSize"
    if value is None and environ.get(UPLOAD_ENV):
        value, where = environ[UPLOAD_ENV], UPLOAD_ENV
    if value is None:
        for path in config_files:
            if path.is_file():
                try:
                    server = tomllib.loads(path.read_text()).get("server", {})
                except tomllib.TOMLDecodeError as e:
                    raise SystemExit(f"serve: {path}: not valid TOML ({e})") from None
                if "maxUploadSize" in server:
                    value, where = server["maxUploadSize"], f"server.maxUploadSize in {path}"
    if value is None:
        return float(STREAMLIT_DEFAULT_UPLOAD_MB)
    try:
        mb = float(value)
    except (TypeError, ValueError):
        mb = -1.0
    if not mb > 0:
        raise SystemExit(f"serve: {where}: expected a positive number of MB, got {value!r}")
    return mb


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
            # The secret of the sticky cookies derived from the workers' addresses (`dynamic`):
            # unset or empty, a random one per start (cookies then last as long as this proxy;
            # a browser whose cookie is unknown just gets a worker anew). Several proxies in
            # front of the same DNS-found workers need the same key set on each.
            "ELF_COOKIE_KEY": os.environ.get("ELF_COOKIE_KEY") or secrets.token_hex(16)}


def find_haproxy(name: str = "haproxy") -> str | None:
    """The HAProxy binary: on PATH, or where Debian puts it (/usr/sbin, not on a user's PATH)."""
    return shutil.which(name) or shutil.which(name, path=SBIN)


def bind_error(address: str, port: int) -> str | None:
    """Why a listener could not bind ``address``:``port`` now ("Address already in use", …), or
    None when it could (IPv6 when the address has a colon)."""
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server binds: TIME_WAIT is no owner
        try:
            s.bind((address, port))
        except OSError as e:
            return e.strerror or str(e)
    return None


# looked up before any thread starts: the pre-exec step below runs between fork and exec, where
# only the bare prctl call is safe (no imports, no allocation of Python objects to speak of)
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the launcher dies (the new process group comes
    from ``start_new_session``)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)   # PR_SET_PDEATHSIG


class StderrRelay:
    """A child's stderr copied to ours line by line; while ``held`` it is kept instead, so that a
    start-up failure can be told in one message."""

    def __init__(self, stream, hold: bool):
        self.held: list[str] | None = [] if hold else None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._copy, args=(stream,), daemon=True)
        self.thread.start()

    def _copy(self, stream) -> None:
        for line in stream:
            with self.lock:
                if self.held is not None:
                    self.held.append(line)
                    continue
            _write_stderr(line)

    def release(self) -> None:
        """Write what was held and copy from now on."""
        with self.lock:
            _write_stderr("".join(self.held or []))
            self.held = None

    def held_text(self, timeout_s: float = 2.0) -> str:
        """Everything held, once the stream has ended (the child exited) or after ``timeout_s``."""
        self.thread.join(timeout_s)
        with self.lock:
            return "".join(self.held or [])


@dataclass
class Child:
    """A supervised process: started again after it exits, with a growing delay while it dies
    young. ``relay``: its stderr goes through a :class:`StderrRelay`."""
    name: str
    cmd: list[str]
    env: dict[str, str] | None = None
    port: int | None = None
    relay: bool = False
    proc: subprocess.Popen | None = None
    stderr: StderrRelay | None = None
    started_at: float = 0.0
    starts: int = 0
    delay_s: float = 1.0
    restart_at: float | None = field(default=None)

    def start(self, hold_stderr: bool = False) -> None:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, start_new_session=True,
                                     preexec_fn=_die_with_parent,
                                     stderr=subprocess.PIPE if self.relay else None,
                                     text=True, errors="replace")
        if self.relay:
            self.stderr = StderrRelay(self.proc.stderr, hold_stderr)
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
    """Starts the proxy, then (once it listens) the workers; restarts whatever exits; stops all."""

    def __init__(self, workers: list[Child], proxy: Child, run_dir: Path):
        self.workers, self.proxy, self.run_dir, self.stopping = workers, proxy, run_dir, False
        self.children = [*workers, proxy]

    def write_state(self) -> None:
        state = {c.name: {"pid": c.proc.pid if c.proc and c.proc.poll() is None else None,
                          "port": c.port, "starts": c.starts} for c in self.children}
        tmp = self.run_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.run_dir / "state.json")

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = True

    def start_proxy(self, probe: tuple[str, int], timeout_s: float = 10.0) -> bool:
        """Start HAProxy and wait until ``probe`` (its public address) accepts a connection.
        False, after saying why with HAProxy's own messages, when it exits first (a port
        taken meanwhile, a bind refused, a bad certificate, …)."""
        self.proxy.start(hold_stderr=True)
        end = time.monotonic() + timeout_s
        while self.proxy.proc.poll() is None and not self.stopping and time.monotonic() < end:
            if _accepts(*probe):
                break
            time.sleep(0.1)
        if self.proxy.proc.poll() is not None:
            log(f"HAProxy exited at start with status {self.proxy.proc.returncode}:\n"
                f"{self.proxy.stderr.held_text().rstrip() or '(it printed nothing)'}")
            return False
        self.proxy.stderr.release()
        return True

    def run(self, probe: tuple[str, int], on_started=None) -> int:
        """Serve until SIGINT, SIGTERM or SIGHUP; 0 after a clean stop, 2 when HAProxy could not start."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        if not self.start_proxy(probe):
            self.stop()
            return 2
        if self.stopping:
            return self.stop()
        for c in self.workers:
            c.start()
        if on_started is not None:
            on_started()
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


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def announce_when_healthy(workers: list[Child], url: str, timeout_s: float = 120.0) -> None:
    """Print the address once every worker answers its health check (never blocks serving)."""

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
    p.add_argument("--run-dir", help="where the config, stats socket and state go "
                                     "(default: a temporary folder, removed on exit)")
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
    address = args.address or "0.0.0.0"
    refused = bind_error(address, args.port)
    if refused is not None:
        log(f"cannot listen on port {args.port} of {address}: {refused}"
            + (" (another server?): stop it, or pick another with --port (make serve PORT=...)"
               if "in use" in refused else ""))
        return 2
    if args.run_dir:
        run_dir = Path(args.run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        return serve(args, extra, haproxy, address, run_dir)
    run_dir = Path(tempfile.mkdtemp(prefix="elf-serve-"))
    try:
        return serve(args, extra, haproxy, address, run_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def serve(args: argparse.Namespace, extra: list[str], haproxy: str, address: str, run_dir: Path) -> int:
    """Check the workers' ports and HAProxy's configuration, then supervise until stopped."""
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
        busy = [p for p in ports if bind_error("127.0.0.1", p) is not None]
        if busy:
            log(f"worker port(s) {', '.join(map(str, busy))} on 127.0.0.1 already in use "
                "(pick others with --worker-ports or --port)")
            return 2
        workers = [Child(f"w{i}", worker_command("127.0.0.1", port, extra), port=port)
                   for i, port in enumerate(ports, start=1)]
        servers = server_lines([("127.0.0.1", p) for p in ports])

    max_body = int(upload_limit_mb(extra, os.environ, STREAMLIT_CONFIG_FILES) * 1024 * 1024) + MULTIPART_MARGIN_BYTES
    bind = f"[{address}]:{args.port}" if ":" in address else f"{address}:{args.port}"
    env = haproxy_env(run_dir, bind, max_body)
    cfg = render_config(run_dir, servers)
    checked = subprocess.run([haproxy, "-c", "-q", "-f", str(cfg)], env=env,
                             capture_output=True, text=True)
    if checked.returncode != 0:
        log(f"HAProxy refuses {cfg}:\n{checked.stdout}{checked.stderr}")
        return 2
    proxy = Child("haproxy", [haproxy, "-db", "-f", str(cfg)], env=env, relay=True)
    local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
    url = f"http://{'localhost' if address in ('0.0.0.0', '::') else address}:{args.port}"
    log(f"HAProxy on {bind}; run dir {run_dir}")
    return Supervisor(workers, proxy, run_dir).run(
        (local, args.port), (lambda: announce_when_healthy(workers, url)) if workers else None)


if __name__ == "__main__":
    sys.exit(main())
