"""core.time_view on a tiny time scenario worked out by hand.

Scenario TINY: 2 nodes × 48 hourly periods (two days, blocks of 24, w = 1 h), PUE 1, capacity
500 MW each, no transfer costs (g = 0, migration 0), carbon price 0.
  home: price 100 $/MWh in every hour except hour 23 of each day, 40; average 400 g/kWh.
  away: price 60 on day 1, 120 on day 2; average 100 g/kWh; 20 ms from home.
  chat: 10 MW at home, budget 50 ms, σ = 0, waits 0 h.  batch: 4 MW at home, budget 0, waits 23 h.
  The nodes' constant (annual) prices are the series' means: home (23·100 + 40)/24 = 97.5,
  away (60 + 120)/2 = 90.
Both (space and time): chat runs away in hours 0–22 of day 1 (60 < 100), at home otherwise
(40 < 60 at hour 23; 100 < 120 on day 2); batch waits to hour 23 of its day (40): 96 MW there.
  cost = (23·10·60 + 106·40) + (23·10·100 + 106·40) = 18,040 + 27,240 = 45,280 $
Local: 14 MW at home every hour: 2·(23·14·100 + 14·40) = 65,520 $.
Space only: chat as in both, batch 4 MW at home every hour: 2·(23·4·100 + 4·40) + 14,200 + 23,400
  = 56,320 $. Time only: chat at home, batch at hour 23: 2·(23·10·100 + 10·40 + 96·40) = 54,480 $.
Savings: both 20,240; space 9,200; time 11,040; interaction 20,240 − 9,200 − 11,040 = 0.
Annual model (one period of 48 h at the means): chat moves (90 < 97.5), batch cannot:
  savings 10·48·(97.5 − 90) = 3,600 $ → hourly/annual − 1 = 20,240/3,600 − 1 = 4.6222 ("462 % more").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import time_view as tv
from core.analysis import Analysis
from core.inputs import model_inputs
from core.scenario import parse_scenario
from core.time_inputs import time_inputs
from core.time_solve import decomposition

T = 48
HOME_PRICE = [40.0 if t % 24 == 23 else 100.0 for t in range(T)]
AWAY_PRICE = [60.0] * 24 + [120.0] * 24
TINY = {
    "schema_version": 1, "name": "Tiny two days",
    "nodes": [
        {"id": "home", "name": "Home", "lat": 35.7, "lon": 139.7, "price_usd_per_mwh": 97.5,
         "carbon_avg_g_per_kwh": 400.0, "carbon_marginal_g_per_kwh": 600.0, "pue": 1.0, "capacity_mw": 500.0},
        {"id": "away", "name": "Away", "lat": 59.3, "lon": 18.1, "price_usd_per_mwh": 90.0,
         "carbon_avg_g_per_kwh": 100.0, "carbon_marginal_g_per_kwh": 700.0, "pue": 1.0, "capacity_mw": 500.0}],
    "workloads": [
        {"id": "chat", "name": "Chat", "latency_budget_ms": 50.0, "state_pinned_share": 0.0},
        {"id": "batch", "name": "Batch", "latency_budget_ms": 0.0, "state_pinned_share": 0.0,
         "deferrable_periods": 23}],
    "demand": [{"node": "home", "workload": "chat", "mw": 10.0}, {"node": "home", "workload": "batch", "mw": 4.0}],
    "rtt_ms": {"home": {"away": 20.0}},
    "time": {"periods": T, "weight_hours": 1, "block_periods": 24,
             "price_usd_per_mwh": {"home": HOME_PRICE, "away": AWAY_PRICE}},
}
ZONES = {"home": "Asia/Tokyo"}         # UTC+9, no daylight saving; away has none: UTC


@pytest.fixture(scope="module")
def run():
    ti = time_inputs(parse_scenario(TINY))
    return tv.solve_cases(ti, parts=2)


@pytest.fixture(scope="module")
def cal(run):
    return tv.calendar(run.inputs)


def test_decomposition_by_hand_and_equal_to_the_engines(run):
    d = tv.decomposition_table(run).set_index("case")
    assert d["cost_usd"].to_dict() == pytest.approx(
        {"local": 65_520, "spatial": 56_320, "temporal": 54_480, "both": 45_280})
    engine = decomposition(run.inputs).set_index("case")
    pd.testing.assert_frame_equal(d, engine[d.columns], rtol=1e-9)
    bars = tv.decomposition_bars(tv.decomposition_table(run)).set_index("part")["savings_usd"]
    assert bars.to_dict() == pytest.approx({"spatial": 9_200, "temporal": 11_040, "both": 20_240, "interaction": 0},
                                           abs=1e-6)
    assert bars["both"] == pytest.approx(bars["spatial"] + bars["temporal"] + bars["interaction"])


def test_carbon_bars_on_each_signal(run):
    bars = tv.decomposition_bars(tv.decomposition_table(run), "average").set_index("part")["carbon_savings_t"]
    # local 672 MWh at home · 0.4 = 268.8 t; both: 230 MWh away · 0.1 + 442 MWh home · 0.4 = 199.8 t
    assert bars["both"] == pytest.approx(268.8 - 199.8)
    marg = tv.decomposition_bars(tv.decomposition_table(run), "marginal").set_index("part")["carbon_savings_t"]
    assert marg["both"] == pytest.approx(672 * 0.6 - (230 * 0.7 + 442 * 0.6))


def test_load_heatmap_in_utc_and_local_time(run, cal):
    utc = tv.load_heatmap(run.solutions["both"], cal)
    # home: hours 0–22 run 0 MW (day 1) and 10 (day 2), hour 23 runs 106 on both days; away the rest
    assert utc.loc["home"].tolist() == pytest.approx([5.0] * 23 + [106.0])
    assert utc.loc["away"].tolist() == pytest.approx([5.0] * 23 + [0.0])
    local = tv.load_heatmap(run.solutions["both"], cal, ZONES)
    assert local.loc["home", 8] == pytest.approx(106.0)           # 23:00 UTC is 08:00 in Tokyo
    assert local.loc["home"].sum() == pytest.approx(utc.loc["home"].sum())
    assert local.loc["away"].tolist() == pytest.approx(utc.loc["away"].tolist())


def test_savings_by_hour_of_day_and_by_month(run, cal):
    hours = tv.by_hour_of_day(run, cal).set_index("hour_utc")
    # hours 0–22: local 2·14·100 = 2,800 $, both 10·60 + 10·100 = 1,600 $; hour 23: 2·14·40 − 2·106·40
    assert hours["savings_usd"].tolist() == pytest.approx([1_200.0] * 23 + [1_120.0 - 8_480.0])
    months = tv.by_month(run, cal)
    assert months["month"].tolist() == [1]
    assert months["savings_usd"].tolist() == pytest.approx([20_240.0])
    assert hours["local_emissions_t"].sum() == pytest.approx(672 * 0.6)    # the scenario's signal: marginal


def test_region_profiles_put_prices_beside_load(run, cal):
    p = tv.region_profiles(run.inputs, run.solutions["both"], cal, ZONES)
    home = p[p["region"] == "home"].set_index("hour")
    assert home["clock"].iloc[0] == "local"
    assert home.at[8, "price_usd_per_mwh"] == pytest.approx(40.0) and home.at[8, "load_mw"] == pytest.approx(106.0)
    away = p[p["region"] == "away"].set_index("hour")
    assert away["clock"].iloc[0] == "UTC"
    assert away["price_usd_per_mwh"].tolist() == pytest.approx([90.0] * 24)
    assert away["carbon_avg_g_per_kwh"].tolist() == pytest.approx([100.0] * 24)
    assert away["carbon_marginal_g_per_kwh"].tolist() == pytest.approx([700.0] * 24)


def test_rid_by_hour(run, cal):
    rid = tv.rid_by_hour(run.inputs, cal)
    # day 1 hours 0–22: chat (10 of 14 MW) could go somewhere cheaper; never on day 2 nor at hour 23
    assert rid["rid"].tolist() == pytest.approx([5 / 14] * 23 + [0.0])


def test_annual_against_hourly_sentence(run):
    sc = parse_scenario(TINY)
    annual = Analysis(sc).headline(model_inputs(sc))["savings_usd"]
    assert annual == pytest.approx(3_600.0)
    hourly = tv.decomposition_table(run).set_index("case").at["both", "savings_usd"]
    ratio, sentence = tv.annual_vs_hourly(annual, hourly)
    assert ratio == pytest.approx(20_240 / 3_600 - 1)
    assert sentence == "With hourly prices, relocation saves 462 % more than the annual averages suggest."
    assert tv.annual_vs_hourly(100.0, 82.0)[1].endswith("saves 18 % less than the annual averages suggest.")
    assert tv.annual_vs_hourly(0.0, 5e6)[0] is None


def test_typical_days_calendar_spreads_each_day_over_the_days_it_stands_for(run):
    class Info:                       # two days that both map to typical day 0
        assignment, days_represented = (0, 0), (2,)
    cal = tv.calendar(run.inputs, Info)
    assert cal.period.tolist() == list(range(24)) * 2
    assert cal.totals(np.arange(48.0)).tolist() == pytest.approx(list(np.arange(24.0) / 2) * 2)


def test_time_frontier_by_hand(run):
    # 10 ms < the 20 ms round trip: nothing moves, batch waits (time only); 50 ms: chat moves on
    # day 1, batch still waits to 40 $/MWh at home (cheaper than 60 away): the "both" answer
    f = tv.time_frontier(run.inputs, (0.0, 10.0, 50.0)).set_index("budget_ms")
    assert f["savings_usd"].tolist() == pytest.approx([11_040.0, 11_040.0, 20_240.0])
    assert f.at[50.0, "cost_usd"] == pytest.approx(45_280.0)
