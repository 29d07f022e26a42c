"""core.robustness on hand-made draws tables: quantiles against numpy, the sensitivity measure on a
table built so that one input drives the savings, the pair that pays worked out by hand and
against the project's own unit objective of each draw, corridor shares, and the sentences."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm

from core import robustness as R
from core.inputs import mask_reason, model_inputs, unit_objective_usd_per_mwh
from core.narrative import tonnes_words, usd_words
from core.scenario import parse_scenario
from core.sweep import OUTPUTS, SweepResult
from core.uncertainty import UncertainInput, draw_design, draw_inputs

PAIR = {
    "schema_version": 1, "name": "Hand pair",
    "nodes": [
        {"id": "home", "lat": 50.1, "lon": 8.7, "price_usd_per_mwh": 100.0, "carbon_avg_g_per_kwh": 400.0,
         "carbon_marginal_g_per_kwh": 600.0, "pue": 1.0, "capacity_mw": 100.0},
        {"id": "away", "lat": 59.3, "lon": 18.1, "price_usd_per_mwh": 58.8, "carbon_avg_g_per_kwh": 100.0,
         "carbon_marginal_g_per_kwh": 700.0, "pue": 1.0, "capacity_mw": 100.0},
        {"id": "far", "lat": 40.7, "lon": -74.0, "price_usd_per_mwh": 40.0, "carbon_avg_g_per_kwh": 300.0,
         "carbon_marginal_g_per_kwh": 500.0, "pue": 1.2, "capacity_mw": 100.0}],
    "workloads": [{"id": "chat", "latency_budget_ms": 50.0, "state_pinned_share": 0.25, "gb_per_mwh": 0.0,
                   "migration_overhead": 0.0},
                  {"id": "batch", "latency_budget_ms": 500.0, "state_pinned_share": 0.0, "gb_per_mwh": 2.0,
                   "migration_overhead": 0.1}],
    "demand": [{"node": "home", "workload": "chat", "mw": 10.0}, {"node": "home", "workload": "batch", "mw": 5.0}],
    "rtt_ms": {"home": {"away": 20.0}},
}


def result_of(draws: pd.DataFrame, inputs, corridors=None, n_requested=None, labels=None) -> SweepResult:
    """A SweepResult around a hand-made draws table (outputs missing from it are 0)."""
    d = draws.copy()
    for c in OUTPUTS:
        if c not in d:
            d[c] = 0.0
    corridors = pd.DataFrame(columns=["draw", "service", "compute", "mw"]) if corridors is None else corridors
    return SweepResult(d, corridors, None, 7, len(d) if n_requested is None else n_requested, tuple(inputs),
                       "highs", "in-process", False, tuple(labels or [e.field for e in inputs]))


# --- quantiles ------------------------------------------------------------------------------

def test_quantiles_are_numpys_and_the_base_is_kept():
    rng = np.random.default_rng(3)
    v = rng.normal(5e8, 1e8, 257)
    r = result_of(pd.DataFrame({"draw": np.arange(257), "savings_usd": v, "carbon_savings_avg_t": -v / 1e3,
                                "carbon_savings_marginal_t": v / 2e3}), [])
    q = R.quantile_table(r, {"savings_usd": 4.2e8}).set_index("output")
    for name, share in (("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95)):
        assert q.at["savings_usd", name] == pytest.approx(np.quantile(v, share, method="linear"), rel=1e-12)
        assert q.at["carbon_savings_avg_t", name] == pytest.approx(np.quantile(-v / 1e3, share), rel=1e-12)
    assert q.at["savings_usd", "mean"] == pytest.approx(v.mean())
    assert q.at["savings_usd", "base"] == 4.2e8 and math.isnan(q.at["carbon_savings_avg_t", "base"])
    tidy = R.distributions(r)
    assert len(tidy) == 3 * 257 and set(tidy["output"]) == set(R.DISTRIBUTION_OUTPUTS)
    assert_allclose(tidy.loc[tidy["output"] == "savings_usd", "value"], v)


# --- sensitivity ----------------------------------------------------------------------------

def synthetic(n: int = 300, seed: int = 0) -> SweepResult:
    """savings = 3·x1 + 0.1·x2 + noise, x3 unrelated, x4 constant; x1..x3 uniform on [0, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 3))
    y = 3 * x[:, 0] + 0.1 * x[:, 1] + rng.normal(0, 0.05, n)
    inputs = [UncertainInput(f"x{i}", 0.0, 1.0) for i in (1, 2, 3)] + [UncertainInput("x4", 2.0, 2.0)]
    table = pd.DataFrame({"draw": np.arange(n), "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "x4": 2.0,
                          "savings_usd": y * 1e8})
    return result_of(table, inputs, labels=["first input [$/MWh]", "second input [×]", "third [ms]", "fixed [×]"])


def test_the_tornados_top_input_is_the_one_that_drives_the_savings():
    r = synthetic()
    s = R.sensitivity(r, top=None)
    assert list(s["field"])[0] == "x1" and "x4" not in set(s["field"])      # a constant input has no ρ
    top = s.iloc[0]
    assert top["rho"] > 0.95 and top["stands_out"]
    assert not s.set_index("field").at["x3", "stands_out"]
    # thirds of a uniform x1 on [0, 1]: medians of 3·x1 near 3·(1/6) and 3·(5/6), in $ (× 1e8)
    assert top["low_median"] == pytest.approx(0.5e8 + 0.05e8, abs=0.15e8)
    assert top["high_median"] == pytest.approx(2.5e8 + 0.05e8, abs=0.15e8)
    assert top["swing"] == pytest.approx(2e8, abs=0.2e8)
    assert R.sensitivity(r, top=2)["field"].tolist() == s["field"].head(2).tolist()


def test_rho_noise_is_the_bonferroni_normal_bound():
    assert R.rho_noise(200, 1) == pytest.approx(1.959964 / math.sqrt(199), rel=1e-6)
    assert R.rho_noise(200, 145) == pytest.approx(norm.ppf(1 - 0.05 / 290) / math.sqrt(199), rel=1e-12)
    assert 0.25 < R.rho_noise(200, 145) < 0.26 and R.rho_noise(2) == math.inf


# --- one pair -------------------------------------------------------------------------------

def test_the_pair_pays_as_worked_out_by_hand():
    """home → away for chat: g = ω = 0, τ = 0, so net = PUE·(100 − p_away) [$/MWh] when both PUEs
    are scaled by one factor f; the rtt is the given 20 ms unless drawn (budget 50 ms).
      draw  p_away  f    rtt   net                  allowed  pays
      0     50      1.0  20    1.0·50 = 50          yes      yes
      1     90      1.2  20    1.2·10 = 12          yes      yes
      2     110     1.0  20    −10                  yes      no
      3     80      1.1  60    1.1·20 = 22          no       no (60 ms > 50 ms)"""
    sc = parse_scenario(PAIR)
    inputs = [UncertainInput("nodes[away].price_usd_per_mwh", 40.0, 120.0),
              UncertainInput("rtt_ms.home.away", 10.0, 70.0),
              UncertainInput("scale:pue", 1.0, 1.3, fields=("nodes[home].pue", "nodes[away].pue"))]
    table = pd.DataFrame({"draw": [0, 1, 2, 3], "nodes[away].price_usd_per_mwh": [50.0, 90.0, 110.0, 80.0],
                          "rtt_ms.home.away": [20.0, 20.0, 20.0, 60.0], "scale:pue": [1.0, 1.2, 1.0, 1.1]})
    corridors = pd.DataFrame({"draw": [0, 2, 2], "service": ["home", "home", "home"],
                              "compute": ["away", "away", "far"], "mw": [7.5, 7.5, 1.0]})
    out = R.pair_outcomes(result_of(table, inputs, corridors), sc, "home", "away", "chat")
    assert_allclose(out["net_benefit_usd_per_mwh"], [50.0, 12.0, -10.0, 22.0], rtol=1e-12)
    assert out["allowed"].tolist() == [True, True, True, False]
    assert out["pays"].tolist() == [True, True, False, False]
    assert out["carries_flow"].tolist() == [True, False, True, False]
    p = R.pair_probability(out)
    assert (p["pays_share"], p["allowed_share"], p["flow_share"], p["draws"]) == (0.5, 0.75, 0.5, 4)
    assert p["net_benefit_usd_per_mwh"]["p50"] == pytest.approx(17.0)       # median of 50, 12, −10, 22


def test_the_pair_matches_the_unit_objective_of_each_drawn_scenario():
    """Every kind of input the break-even reads, drawn by the real design; each draw's net benefit
    and mask recomputed with core.uncertainty.draw_inputs and core.inputs (independent of the
    vectorised path rule), for a given round trip and a modelled one, with egress, migration
    overhead and a carbon price on."""
    sc = parse_scenario({**PAIR, "objective": {"carbon_price_usd_per_t": 80.0, "carbon_signal": "average"},
                         "prices": {"egress_usd_per_gb": 0.05, "migration_usd_per_mwh": 3.0},
                         "frictions": {"migration": True}})
    inputs = [UncertainInput("nodes[home].price_usd_per_mwh", 80.0, 120.0),
              UncertainInput("nodes[far].carbon_avg_g_per_kwh", 100.0, 500.0),
              UncertainInput("scale:pue", 1.0, 1.3, fields=("nodes[home].pue", "nodes[far].pue")),
              UncertainInput("workloads[batch].gb_per_mwh", 0.0, 4.0),
              UncertainInput("workloads[batch].migration_overhead", 0.0, 0.3),
              UncertainInput("prices.egress_usd_per_gb", 0.01, 0.09),
              UncertainInput("prices.migration_usd_per_mwh", 0.0, 6.0),
              UncertainInput("objective.carbon_price_usd_per_t", 0.0, 150.0),
              UncertainInput("latency_model.route_inflation", 1.2, 4.0),
              UncertainInput("workloads[batch].latency_budget_ms", 50.0, 200.0),
              UncertainInput("scale:rtt", 0.5, 3.0, fields=("rtt_ms.home.away",))]
    values = draw_design(inputs, 40, 11)
    table = pd.DataFrame(values, columns=[e.field for e in inputs])
    table.insert(0, "draw", np.arange(40))
    r = result_of(table, inputs)
    base = model_inputs(sc)
    for compute, workload in (("far", "batch"), ("away", "batch"), ("away", "chat"), ("far", "chat")):
        out = R.pair_outcomes(r, sc, "home", compute, workload)
        i, j, k = 0, base.node_ids.index(compute), base.workload_ids.index(workload)
        net, allowed = [], []
        for v in values:
            inp = draw_inputs(base, sc, inputs, v)
            u = unit_objective_usd_per_mwh(inp)
            net.append(u[i, i, k] - u[i, j, k])
            allowed.append(mask_reason(inp)[i, j, k] == 0)
        assert_allclose(out["net_benefit_usd_per_mwh"], net, rtol=1e-12, atol=1e-9)
        assert out["allowed"].tolist() == allowed
        assert 0 < sum(allowed) <= 40 if workload == "batch" else True
    with pytest.raises(ValueError, match="compute"):
        R.pair_outcomes(r, sc, "home", "nowhere", "chat")
    with pytest.raises(ValueError, match="differ"):
        R.pair_outcomes(r, sc, "home", "home", "chat")


# --- corridors ------------------------------------------------------------------------------

def test_corridor_shares_count_draws_and_merge_markers():
    corridors = pd.DataFrame({"draw": [0, 0, 1, 2, 2, 3], "service": ["a", "a", "a", "a", "b", "a"],
                              "compute": ["x", "y", "x", "y", "x", "b"], "mw": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    r = result_of(pd.DataFrame({"draw": [0, 1, 2, 3]}), [], corridors)
    s = R.corridor_shares(r).set_index(["service", "compute"])
    assert s.at[("a", "x"), "share"] == 0.5 and s.at[("a", "y"), "draws_with_flow"] == 2
    assert s.at[("a", "x"), "mean_mw"] == pytest.approx((1 + 3) / 4)
    # x and y one marker "g": a→g carries flow in draws 0, 1, 2 (3 of 4); a→b stays; b→g in draw 2
    merged = R.corridor_shares(r, {"a": "a", "b": "b", "x": "g", "y": "g"})
    assert merged.iloc[0][["service", "compute", "draws_with_flow"]].tolist() == ["a", "g", 3]
    assert merged.set_index(["service", "compute"]).at[("a", "g"), "mean_mw"] == pytest.approx(10 / 4)
    # a marker holding both ends: the flow stays inside it, no corridor
    inside = R.corridor_shares(r, {"a": "m", "b": "m", "x": "m", "y": "m"})
    assert inside.empty


# --- sentences ------------------------------------------------------------------------------

def test_the_sentence_quotes_p5_and_p95_and_the_drivers():
    r = synthetic()
    y = r.draws["savings_usd"].to_numpy()
    text = R.robustness_sentence(r, 8760)
    assert text == (f"In 90 % of 300 draws, relocation saves between {usd_words(np.quantile(y, 0.05))} and "
                    f"{usd_words(np.quantile(y, 0.95))} a year; the result hangs most on first input.")


def test_savings_at_or_below_zero_and_carbon_are_said_honestly():
    n = 101
    lose = result_of(pd.DataFrame({"draw": np.arange(n), "savings_usd": -np.linspace(1e6, 2e6, n),
                                   "carbon_savings_avg_t": np.linspace(-5e3, 5e3, n),
                                   "carbon_savings_marginal_t": np.linspace(1e3, 2e3, n)}), [])
    text = R.robustness_sentence(lose, 720)
    assert text.startswith(f"In 90 % of 101 draws, relocation costs between {usd_words(1.05e6)} and "
                           f"{usd_words(1.95e6)} more over 720 hours than running at home;")
    assert "no single input stands out" in text
    mixed = lose.draws.assign(savings_usd=np.linspace(-1e6, 3e6, n))
    assert "ranges from a loss of $800,000 to a saving of $2.80 million" in R.robustness_sentence(
        result_of(mixed, []), 8760)
    carbon = R.carbon_sentence(lose, 8760)
    assert carbon == ("Over the same 90 % of the draws, relocation emits from 4.50 thousand tonnes more to "
                      f"{tonnes_words(4.5e3)} less on the average signal than running at home, and from "
                      f"1.05 thousand tonnes less to {tonnes_words(1.95e3)} less on the marginal signal, a year.")


def test_progress_and_inputs_words():
    r = result_of(pd.DataFrame({"draw": np.arange(60), "savings_usd": 1.0}), [], n_requested=200)
    assert R.progress_words(r) == "Cancelled after 60 of 200 draws"
    inputs = [UncertainInput("nodes[a].pue", 1, 2, basis="measured ±5 % (data/SOURCES.md)"),
              UncertainInput("nodes[b].pue", 1, 2, basis="measured ±5 % (data/SOURCES.md)"),
              UncertainInput("scale:x", 0.5, 1.5, basis="assumption ±50 % (data/SOURCES.md), with the node's capacity",
                             fields=("nodes[a].capacity_mw", "demand[0].mw"))]
    assert R.inputs_sentence(inputs) == (
        '3 uncertain inputs: 2 measured ±5 %, 1 assumption ±50 % (data/SOURCES.md, "Uncertainty ranges"). 1 of them '
        "is a factor, one number that scales several values together (2 values in all: every PUE by one factor, "
        "a region's demand with its capacity, …).")
    # 5·(343/5)^(i/6) ms for i = 0..6: 5, 10.1, 20.4, 41.4, 83.7, 169.6, 343, rounded, after 0
    assert R.band_budgets_ms(343.0) == [0.0, 5.0, 10.0, 20.0, 41.0, 84.0, 170.0, 343.0]
