"""bench/serve.py's own arithmetic, never its timings: wsload.py's summary parsed (figures written
here by hand in the tool's format), the memory figures and goals worked out by hand, and the RSS
reader checked on this test process and a child that holds a known amount of memory."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from bench import serve

LINE_20 = ("server load: 20 sessions x 8 slider moves, no browsers: move p50 7.22s p95 9.80s; "
           "session start p50 15.40s p95 18.50s; 0 failed; 123 kB sent per run (p50); 95s total")


def test_a_summary_line_is_read_field_by_field():
    load = serve.parse_wsload("some log line\n" + LINE_20 + "\n", 20, 8)
    assert (load.sessions, load.moves) == (20, 8)
    assert (load.move_p50_s, load.move_p95_s) == (7.22, 9.80)
    assert (load.start_p50_s, load.start_p95_s) == (15.40, 18.50)
    assert (load.failed, load.kb_per_run, load.total_s) == (0, 123.0, 95.0)
    assert load.problems == []


def test_failures_and_a_burst_without_moves():
    text = ("FAIL user 3: TimeoutError: timed out during opening handshake\n"
            "FAIL user 7: RuntimeError: the page shows an exception when opened\n"
            "server load on /frontier: 50 sessions x 0 slider moves, no browsers: move p50 nans p95 nans; "
            "session start p50 2.10s p95 4.90s; 2 failed; 118 kB sent per run (p50); 6s total\n")
    load = serve.parse_wsload(text, 50, 0)
    assert math.isnan(load.move_p50_s) and math.isnan(load.move_p95_s)
    assert (load.start_p95_s, load.failed) == (4.90, 2)
    assert load.problems == ["user 3: TimeoutError: timed out during opening handshake",
                             "user 7: RuntimeError: the page shows an exception when opened"]


def test_no_summary_counts_every_session_failed():
    load = serve.parse_wsload("Traceback (most recent call last):\nConnectionRefusedError: [Errno 111]\n", 10, 8)
    assert load.failed == 10 and math.isnan(load.move_p95_s)
    assert "ConnectionRefusedError" in load.problems[-1]


def test_the_parser_matches_the_tools_format():
    if not serve.WSLOAD.is_file():
        pytest.skip(f"no {serve.WSLOAD}")
    source = serve.WSLOAD.read_text()
    for piece in ("sessions x {R} slider moves, no browsers: move p50", "session start p50",
                  "failed; ", "kB sent per run (p50); ", "s total"):
        assert piece in source, f"wsload.py no longer prints {piece!r}: update bench.serve.SUMMARY"


def test_memory_figures_and_goals_by_hand():
    # 50 sessions took RSS from 400 MB to 650 MB: 250 / 50 = 5 MB each
    assert serve.per_session_mb(400.0, 650.0, 50) == pytest.approx(5.0)
    assert serve.growth_mb(420.0, 450.0) == pytest.approx(30.0)
    r = serve.Result("x", loads=[serve.Load(20, 8, 0.4, 0.9, 1.0, 2.0, 0, 100.0, 30.0, 600.0)],
                     burst=serve.Load(50, 0, math.nan, math.nan, 3.0, 5.5, 0, 100.0, 8.0, 700.0),
                     memory=serve.Memory(400.0, 1600.0, 50, 420.0, 450.0, 200, []))
    goals = serve.goals_lines(r)
    assert goals[0].endswith("— met")                       # p95 0.9 s ≤ 1 s, none failed
    assert goals[1].endswith("— NOT met")                   # start p95 5.5 s > 5 s
    assert goals[2].endswith("— NOT met")                   # 1600 MB > 1.5 GB
    assert goals[3].endswith("— NOT met")                   # +30 MB > 5 % of 420 MB = 21 MB
    r.memory = serve.Memory(400.0, 1400.0, 50, 420.0, 430.0, 200, [])
    assert [g.endswith("— met") for g in serve.goals_lines(r)[2:]] == [True, True]   # 1.4 GB; +10 MB ≤ 21 MB
    r.loads[0].failed = 1
    assert serve.goals_lines(r)[0].endswith("— NOT met")    # one failed session misses it
    text = serve.report_markdown([r], ["header"])
    assert "| 20 × 8 moves | 0.40 s / 0.90 s | 1.00 s / 2.00 s | 1 | 100 | 600 MB |" in text
    assert "20.0 MB per idle session" in text               # (1400 − 400) / 50


def test_the_rss_reader_on_this_process_and_a_child():
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    with open("/proc/self/statm") as f:
        statm_kib = int(f.read().split()[1]) * page_kib          # resident pages, read independently
    assert serve.rss_kib(os.getpid()) == pytest.approx(statm_kib, rel=0.05)
    child = subprocess.Popen([sys.executable, "-c", "import sys, time; b = b'x' * 80_000_000; "
                              "print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        assert child.pid in serve.tree_pids(os.getpid())
        own_mb = serve.rss_kib(os.getpid()) * 1024 / 1e6
        assert serve.tree_rss_mb(os.getpid()) - own_mb >= 80.0    # the child's 80 MB bytes object
    finally:
        child.kill()
        child.wait()
    assert child.pid not in serve.tree_pids(os.getpid())
    assert serve.rss_kib(child.pid) == 0
