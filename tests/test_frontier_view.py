"""The frontier as a table: values from the rows shown, and the notes on zig-zags and falls,
checked on hand-made frontiers whose answers are worked out below."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.analysis import Analysis
from core.frontier_view import (carbon_zigzags, changed_rows, frontier_notes, frontier_table, notes_summary,
                                notes_why, relocated_share_falls)
from core.inputs import model_inputs
from core.scenario import parse_scenario


def hand_frontier(budget, cost, emissions, share=None, local_cost=None, local_emissions=None) -> pd.DataFrame:
    """A frontier DataFrame with the columns core.frontier writes that the view reads."""
    cost, emissions = np.asarray(cost, float), np.asarray(emissions, float)
    local_cost = cost[0] if local_cost is None else local_cost
    local_emissions = emissions[0] if local_emissions is None else local_emissions
    n = len(budget)
    share = np.zeros(n) if share is None else np.asarray(share, float)
    return pd.DataFrame({"budget_ms": np.asarray(budget, float), "cost_usd": cost, "emissions_t": emissions,
                         "savings_usd": local_cost - cost, "carbon_savings_t": local_emissions - emissions,
                         "relocated_share": share, "rid": share, "unserved_mw": np.zeros(n),
                         # the frontier's own marginal values, over every row (what the view must replace)
                         "erol_marginal_usd_per_ms": -pd.Series(cost).diff() / pd.Series(budget).diff(),
                         "crol_marginal_t_per_ms": -pd.Series(emissions).diff() / pd.Series(budget).diff()})


def test_marginal_values_come_from_the_rows_shown():
    # row 1 (5 ms) changes nothing; row 2 (5.1 ms) is the step that saves 20
    f = hand_frontier([0, 5, 5.1, 10], cost=[100, 100, 80, 50], emissions=[10, 10, 12, 6])
    assert list(changed_rows(f)) == [True, False, True, True]
    t = frontier_table(f)
    assert list(t["budget_ms"]) == [0, 5.1, 10]
    assert np.isnan(t["erol_marginal_usd_per_ms"][0]) and np.isnan(t["delta_savings_usd"][0])
    # by hand: (C(0) − C(5.1)) / (5.1 − 0) = 20 / 5.1; (80 − 50) / (10 − 5.1) = 30 / 4.9
    assert t["erol_marginal_usd_per_ms"][1] == pytest.approx(20 / 5.1)
    assert t["erol_marginal_usd_per_ms"][2] == pytest.approx(30 / 4.9)
    assert t["crol_marginal_t_per_ms"][1] == pytest.approx(-2 / 5.1)
    assert t["crol_marginal_t_per_ms"][2] == pytest.approx(6 / 4.9)
    assert list(t["delta_savings_usd"][1:]) == pytest.approx([20, 30])
    assert list(t["delta_carbon_savings_t"][1:]) == pytest.approx([-2, 6])
    assert list(t["previous_budget_ms"][1:]) == [0, 5.1]
    # the frontier's own value at 5.1 ms divides by the hidden 0.1 ms step: 200 $/ms
    assert f["erol_marginal_usd_per_ms"][2] == pytest.approx(200)


def test_every_row_shown_gives_the_frontier_values():
    f = hand_frontier([0, 5, 5.1, 10], cost=[100, 100, 80, 50], emissions=[10, 10, 12, 6])
    t = frontier_table(f, shown=pd.Series(True, index=f.index))
    assert list(t["erol_marginal_usd_per_ms"][1:]) == pytest.approx([0, 200, 30 / 4.9])


def test_carbon_zigzag_on_a_hand_made_frontier():
    # carbon savings 0 → 10 → 5 → 12 → 12 → 20 → 25 (t); savings rise at every step
    carbon = np.array([0, 10, 5, 12, 12, 20, 25], float)
    f = hand_frontier([0, 1, 2, 3, 4, 5, 6], cost=[100, 90, 80, 70, 60, 50, 40], emissions=100 - carbon,
                      local_emissions=100)
    z = carbon_zigzags(frontier_table(f, shown=pd.Series(True, index=f.index)))
    # moves +10, −5, +7 alternate (rows 1-3); the flat step at 4 ms is skipped; +8 after +7 ends it
    assert len(z) == 1
    row = z.iloc[0]
    assert (row.from_ms, row.to_ms, row.moves, row.reversals) == (0, 3, 3, 2)
    assert row.savings_change_usd == pytest.approx(30)
    assert row.carbon_change_t == pytest.approx(12)
    assert row.carbon_swing_t == pytest.approx(10 + 5 + 7)
    assert (row.carbon_low_t, row.carbon_high_t) == (0, 12)


def test_zigzag_note_names_signed_tonnes_in_words():
    # carbon savings 0 → 1 500 → −1 200 → 4 000 t: two reversals, low −1 200 t, high 4 000 t; savings +30 $
    f = hand_frontier([0, 1, 2, 3], cost=[100, 90, 80, 70], emissions=[5000, 3500, 6200, 1000], local_emissions=5000)
    notes = frontier_notes(frontier_table(f, shown=pd.Series(True, index=f.index)), signal="average", period_hours=8760)
    assert list(notes["note"]) == ["From 0 ms to 3 ms carbon savings (average signal) change direction twice, between "
                                   "−1.20 thousand tonnes of CO2 and 4.00 thousand tonnes of CO2, while savings rise "
                                   "by $30.00 a year."]


def test_small_carbon_steps_and_flat_savings_are_no_zigzag():
    every = lambda f: frontier_table(f, shown=pd.Series(True, index=f.index))  # noqa: E731
    # ±0.1 t on a 100 t frontier is below 1% of it: flat, so +100 is the only move
    carbon = np.array([0, 100, 99.9, 100.05, 100.1], float)
    f = hand_frontier([0, 1, 2, 3, 4], cost=[10, 9, 8, 7, 6], emissions=200 - carbon, local_emissions=200)
    assert carbon_zigzags(every(f)).empty
    # +100 then −50 is one reversal while savings rise by 3 ...
    f = hand_frontier([0, 1, 2, 3], cost=[10, 9, 8, 7], emissions=200 - np.array([0, 100, 100, 50.0]),
                      local_emissions=200)
    z = carbon_zigzags(every(f))
    assert list(z[["from_ms", "to_ms", "reversals"]].iloc[0]) == [0, 3, 1]
    # ... but not when savings stay flat
    f = hand_frontier([0, 1, 2], cost=[10, 10, 10], emissions=[0, -5, 0])
    assert carbon_zigzags(every(f)).empty


def test_relocated_share_falls_while_savings_rise():
    f = hand_frontier([0, 10, 20, 30, 40], cost=[100, 90, 85, 80, 70], emissions=[5] * 5,
                      share=[0, 0.10, 0.08, 0.07, 0.20])
    falls = relocated_share_falls(frontier_table(f))
    assert len(falls) == 1
    row = falls.iloc[0]
    assert (row.from_ms, row.to_ms, row.steps) == (10, 30, 2)
    assert row.savings_change_usd == pytest.approx(10)
    assert (row.relocated_from, row.relocated_to) == (0.10, 0.07)
    notes = frontier_notes(frontier_table(f), signal="marginal", period_hours=8760)
    assert list(notes["kind"]) == ["relocated share falls"]
    assert notes["note"][0] == ("From 10 ms to 30 ms the share of demand relocated falls from 10.0% to 7.0% while "
                                "savings rise by $10.00 a year.")
    assert "capacity" in notes_why(notes, carbon_price_usd_per_t=0, capacity_on=True)[0]
    assert "falls" in notes_summary(notes)


def test_no_notes_on_a_monotone_frontier():
    f = hand_frontier([0, 1, 2], cost=[3, 2, 1], emissions=[3, 2, 1], share=[0, 0.1, 0.2])
    notes = frontier_notes(frontier_table(f), signal="average", period_hours=8760)
    assert notes.empty
    assert notes_why(notes, carbon_price_usd_per_t=0, capacity_on=True) == []
    assert "never" in notes_summary(notes)


SMALL = {
    "schema_version": 1, "name": "view",
    "nodes": [
        {"id": "a", "lat": 50.0, "lon": 8.0, "price_usd_per_mwh": 120, "carbon_avg_g_per_kwh": 300,
         "carbon_marginal_g_per_kwh": 500, "pue": 1.2, "capacity_mw": 100},
        {"id": "b", "lat": 59.0, "lon": 18.0, "price_usd_per_mwh": 40, "carbon_avg_g_per_kwh": 30,
         "carbon_marginal_g_per_kwh": 600, "pue": 1.1, "capacity_mw": 50},
        {"id": "c", "lat": 40.0, "lon": -3.7, "price_usd_per_mwh": 60, "carbon_avg_g_per_kwh": 200,
         "carbon_marginal_g_per_kwh": 300, "pue": 1.1, "capacity_mw": 80},
    ],
    "workloads": [{"id": "w", "latency_budget_ms": 10, "gb_per_mwh": 10}],
    "demand": [{"node": "a", "workload": "w", "mw": 60}, {"node": "c", "workload": "w", "mw": 20}],
}


def test_shown_rows_add_up_to_the_frontier_on_a_solved_scenario():
    """Σ marginal ERoL × Δb over the rows shown is the saving at the last budget (an invariant)."""
    sc = parse_scenario(json.loads(json.dumps(SMALL)))
    inp = model_inputs(sc)
    f = Analysis(sc).frontier(inp)
    t = frontier_table(f)
    steps = (t["erol_marginal_usd_per_ms"] * t["budget_ms"].diff()).iloc[1:].sum()
    assert steps == pytest.approx(f["savings_usd"].iloc[-1] - f["savings_usd"].iloc[0], rel=1e-9)
    assert t["delta_savings_usd"].iloc[1:].sum() == pytest.approx(steps, rel=1e-9)
