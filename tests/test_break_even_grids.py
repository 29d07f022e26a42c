"""The break-even sweeps appended to core.metrics: hand values and consistency with RID."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.inputs import model_inputs
from core.metrics import (break_even, break_even_gb_per_mwh_line, net_benefit_egress_grid, pair_break_even_terms,
                          relocatable, relocatable_share_grid)
from core.scenario import parse_scenario


@pytest.fixture
def inputs(tiny_scenario):
    """home $100 500 g/kWh; clean $60 50 g/kWh at 40 ms; cheap $30 900 g/kWh at 20 ms (EU zone);
    PUE 1.2 away, ω = 0.1, g = 50 GB/MWh, e = $0.02/GB, φ = $1/MWh."""
    sc = tiny_scenario(
        nodes=[{"id": "home", "price_usd_per_mwh": 100.0, "carbon_marginal_g_per_kwh": 500.0},
               {"id": "clean", "price_usd_per_mwh": 60.0, "carbon_marginal_g_per_kwh": 50.0, "pue": 1.2, "lon": 3.0},
               {"id": "cheap", "price_usd_per_mwh": 30.0, "carbon_marginal_g_per_kwh": 900.0, "pue": 1.2, "lon": 1.0}],
        workloads=[{"id": "w", "latency_budget_ms": 30.0, "gb_per_mwh": 50.0, "migration_overhead": 0.1},
                   {"id": "v", "latency_budget_ms": 10.0}],
        demand=[{"node": "home", "workload": "w", "mw": 10.0}, {"node": "clean", "workload": "w", "mw": 5.0},
                {"node": "home", "workload": "v", "mw": 1.0}],
        rtt_ms={"home": {"clean": 40.0, "cheap": 20.0}, "clean": {"cheap": 35.0}},
        prices={"egress_usd_per_gb": 0.02, "migration_usd_per_mwh": 1.0, "unserved_usd_per_mwh": 10000.0})
    return model_inputs(parse_scenario(sc))


def test_pair_terms_by_hand(inputs):
    t = pair_break_even_terms(inputs, "w", "home", "clean")
    ff = 1.2 * 1.1
    assert t["energy_gap_usd_per_mwh"] == pytest.approx(100 - ff * 60)
    assert t["carbon_gap_t_per_mwh"] == pytest.approx((500 - ff * 50) / 1000)
    assert t["transfer_usd_per_mwh"] == pytest.approx(50 * 0.02 + 1.0)
    assert t["fee_usd_per_mwh"] == 1.0
    assert t["net_benefit_usd_per_mwh"] == pytest.approx(100 - ff * 60 - 2.0)
    assert t["rtt_ms"] == 40.0 and t["reason"] == "latency" and t["reason_ignoring_latency"] == "allowed"
    # it agrees with the break-even table of the same pair
    row = break_even(inputs, "w").set_index(["service", "compute"]).loc[("home", "clean")]
    assert row["net_benefit_usd_per_mwh"] == pytest.approx(t["net_benefit_usd_per_mwh"])
    assert row["break_even_carbon_price_usd_per_t"] == pytest.approx(t["break_even_carbon_price_usd_per_t"])
    with pytest.raises(ValueError):
        pair_break_even_terms(inputs, "w", "home", "home")


def test_egress_grid_and_line(inputs):
    gross, fee = 40.0, 1.0
    grid = net_benefit_egress_grid(gross, fee, [0.0, 0.1, 0.5], [0.0, 10.0, 100.0])
    assert len(grid) == 9
    row = grid[(grid.egress_usd_per_gb == 0.5) & (grid.gb_per_mwh == 100.0)].iloc[0]
    assert row.net_benefit_usd_per_mwh == pytest.approx(40 - 50 - 1)
    e = np.array([0.0, 0.1, 0.39])
    g_star = break_even_gb_per_mwh_line(gross, fee, e)
    assert np.isinf(g_star[0])
    assert g_star[1:] == pytest.approx([390.0, 100.0])
    on_line = net_benefit_egress_grid(gross, fee, e[1:2], g_star[1:2])
    assert on_line.net_benefit_usd_per_mwh.iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_relocatable_share_grid_is_rid_of_the_class(inputs):
    taus, budgets = [0.0, 50.0, 200.0], [0.0, 15.0, 20.0, 36.0, 45.0]
    grid = relocatable_share_grid(inputs, "w", taus, budgets).set_index(["carbon_price_usd_per_t", "budget_ms"])
    d = inputs.demand_mw[:, 0]
    for tau in taus:
        for b in budgets:
            i = replace(inputs, carbon_price_usd_per_t=tau)
            movable = relocatable(i, np.array([b, inputs.budget_ms[1]]))[:, 0]
            assert grid.loc[(tau, b), "relocatable_share"] == pytest.approx(d[movable].sum() / d.sum())


def test_random_scenarios_agree_with_rid(random_scenario):
    for seed in range(8):
        inp = model_inputs(parse_scenario(random_scenario(seed)))
        w = inp.workload_ids[0]
        taus, budgets = [0.0, 80.0], [0.0, 30.0, 120.0, 1e6]
        grid = relocatable_share_grid(inp, w, taus, budgets).set_index(["carbon_price_usd_per_t", "budget_ms"])
        d = inp.demand_mw[:, 0]
        for tau in taus:
            for b in budgets:
                bud = inp.budget_ms.copy()
                bud[0] = b
                movable = relocatable(replace(inp, carbon_price_usd_per_t=tau), bud)[:, 0]
                expected = d[movable].sum() / d.sum() if d.sum() > 0 else 0.0
                assert grid.loc[(tau, b), "relocatable_share"] == pytest.approx(expected), (seed, tau, b)
