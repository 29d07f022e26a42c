"""The command line on time scenarios: --typical-days K and --scheduler (docs/model.md, section 13)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import build_tiny_scenario

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def two_day_types(tmp_path_factory) -> Path:
    """Six days of two kinds (cheap away in the day, at night), 3 of each, with deferral: two
    typical days are the whole year exactly."""
    day_a = [40.0 if 8 <= h < 20 else 120.0 for h in range(24)]
    day_b = [120.0 if 8 <= h < 20 else 40.0 for h in range(24)]
    days = [day_a, day_b, day_a, day_a, day_b, day_b]
    sc = build_tiny_scenario(workloads=[{"id": "w", "latency_budget_ms": 50.0, "deferrable_periods": 5}])
    sc.pop("period_hours")
    sc["time"] = {"periods": 144, "weight_hours": 1, "block_periods": 24,
                  "price_usd_per_mwh": {"away": [p for d in days for p in d]}}
    path = tmp_path_factory.mktemp("time") / "six_days.json"
    path.write_text(json.dumps(sc))
    return path


def test_typical_days_of_two_repeated_days_give_the_full_year(two_day_types):
    full = json.loads(run("solve", str(two_day_types)).stdout)
    typical = run("solve", str(two_day_types), "--typical-days", "2")
    assert typical.returncode == 0, typical.stderr
    out = json.loads(typical.stdout)
    assert out["typical_days"] == 2 and out["typical_days_detail"]["days_represented"] in ([3, 3],)
    assert out["objective_usd"] == pytest.approx(full["objective_usd"], rel=1e-9)
    assert out["cost_usd"] == pytest.approx(full["cost_usd"], rel=1e-9)


def test_the_scheduler_option_gives_the_serial_numbers(two_day_types):
    serial = json.loads(run("solve", str(two_day_types)).stdout)
    inproc = json.loads(run("solve", str(two_day_types), "--scheduler", "in-process").stdout)
    assert inproc["objective_usd"] == pytest.approx(serial["objective_usd"], rel=1e-12)
    assert np.allclose([p["cost_usd"] for p in inproc["periods"]], [p["cost_usd"] for p in serial["periods"]])


@pytest.mark.parametrize("args, field", [
    (("--typical-days", "0"), "--typical-days"),
    (("--typical-days", "7"), "typical_days"),
    (("--typical-days", "two"), "--typical-days"),
])
def test_bad_typical_days_are_one_line_errors(two_day_types, args, field):
    r = run("solve", str(two_day_types), *args)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and field in r.stderr, r.stderr


def test_time_options_on_a_scenario_without_time_are_refused():
    r = run("metrics", str(ROOT / "scenarios" / "default.json"), "--typical-days", "3")
    assert r.returncode == 2 and "--typical-days: applies to time scenarios only" in r.stderr
