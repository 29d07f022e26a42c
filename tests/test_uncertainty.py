"""The ``uncertainty`` block (core.scenario + core.uncertainty): every validation rule, the default
ranges of the shipped default scenario worked out by hand from data/regions.csv's flags, the
Latin-hypercube draws, and the fast path into the model's arrays against the slow one."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from core.briefing import edit_lines
from core.inputs import model_inputs
from core.scenario import ScenarioError, default_scenario, parse_scenario, update_scenario
from core.share import ShareState, apply_state, scenario_changes
from core.uncertainty import (UncertainInput, apply_draw, default_inputs, draw_design, draw_inputs,
                              input_labels, uncertain_inputs)


@pytest.fixture(scope="module")
def default():
    return default_scenario()


@pytest.fixture(scope="module")
def defaults(default):
    return {e.field: e for e in default_inputs(default)}


def tiny_with(tiny_scenario, *entries):
    return tiny_scenario(uncertainty=list(entries))


def refused(data: dict) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    return err.value


# --- validation: one test per rule, each asserting the field named --------------------------

def test_a_valid_block_by_index_and_by_id(tiny_scenario):
    sc = parse_scenario(tiny_with(tiny_scenario, {"field": "nodes[1].price_usd_per_mwh", "low": 40, "high": 60},
                                  {"field": "nodes[home].pue", "low": 1.0, "high": 1.3, "dist": "triangular",
                                   "mode": 1.1}))
    assert [(e.field, e.low, e.high, e.dist, e.mode) for e in uncertain_inputs(sc)] == [
        ("nodes[1].price_usd_per_mwh", 40, 60, "uniform", None), ("nodes[home].pue", 1.0, 1.3, "triangular", 1.1)]
    assert parse_scenario(sc.to_dict()) == sc


def test_unknown_field_path(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].pue", "low": 1, "high": 2},
                            {"field": "nodes[99].pue", "low": 1, "high": 2}))
    assert err.field == "uncertainty[1].field" and "nodes[99].pue" in str(err)
    assert str(err).startswith("uncertainty[1].field: unknown field path 'nodes[99].pue'")


@pytest.mark.parametrize("path", ["nodes[home].residency_zone", "workloads[w].residency_bound", "nodes[0].id",
                                  "objective.carbon_signal", "frictions.egress", "demand[0].node"])
def test_non_numeric_field_paths(tiny_scenario, path):
    err = refused(tiny_with(tiny_scenario, {"field": path, "low": 0, "high": 1}))
    assert err.field == "uncertainty[0].field" and path in str(err)


def test_a_modelled_round_trip_is_no_field(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "rtt_ms.away.home", "low": 10, "high": 30}))
    assert err.field == "uncertainty[0].field" and "rtt_ms.away.home" in str(err)


def test_duplicate_field_by_index_and_id(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].pue", "low": 1, "high": 2},
                            {"field": "nodes[home].pue", "low": 1, "high": 1.5}))
    assert err.field == "uncertainty[1].field" and "uncertainty[0]" in str(err)


def test_low_above_high(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].price_usd_per_mwh", "low": 110, "high": 60}))
    assert err.field == "uncertainty[0].high"


def test_non_finite(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].price_usd_per_mwh", "low": 1, "high": math.inf}))
    assert err.field == "uncertainty[0].high" and "finite" in str(err)


def test_mode_outside_the_range(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].price_usd_per_mwh", "low": 60, "high": 110,
                                            "dist": "triangular", "mode": 120}))
    assert err.field == "uncertainty[0].mode"


def test_mode_without_triangular(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].price_usd_per_mwh", "low": 60, "high": 110, "mode": 80}))
    assert err.field == "uncertainty[0].mode"


def test_triangular_without_mode(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].price_usd_per_mwh", "low": 60, "high": 110,
                                            "dist": "triangular"}))
    assert err.field == "uncertainty[0].mode"


def test_unknown_distribution(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].pue", "low": 1, "high": 2, "dist": "normal"}))
    assert err.field == "uncertainty[0].dist"


@pytest.mark.parametrize("path, low, high, key", [
    ("nodes[home].pue", 0.9, 1.2, "low"),                       # PUE ≥ 1
    ("demand[0].mw", -1.0, 5.0, "low"),                         # demand ≥ 0
    ("workloads[w].state_pinned_share", 0.5, 1.2, "high"),      # a share ≤ 1
    ("nodes[away].lat", 80.0, 95.0, "high"),                    # latitude ≤ 90
    ("nodes[away].lon", -181.0, 0.0, "low"),                    # longitude ≥ −180
    ("rtt_ms.home.away", -2.0, 30.0, "low"),                    # a round trip ≥ 0
    ("latency_model.fiber_km_per_ms", 0.0, 200.0, "low"),       # > 0
    ("period_hours", 1.0, 1e7, "high"),                         # at most a century
])
def test_a_range_that_allows_a_forbidden_value(tiny_scenario, path, low, high, key):
    err = refused(tiny_with(tiny_scenario, {"field": path, "low": low, "high": high}))
    assert err.field == f"uncertainty[0].{key}" and path in str(err)


def test_unknown_key_and_non_numeric_bound(tiny_scenario):
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].pue", "low": 1, "high": 2, "spread": 3}))
    assert err.field == "uncertainty[0].spread" and "unknown field" in str(err)
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].pue", "low": "1", "high": 2}))
    assert err.field == "uncertainty[0].low"
    err = refused(tiny_with(tiny_scenario, {"field": "nodes[0].pue", "low": True, "high": 2}))
    assert err.field == "uncertainty[0].low"
    err = refused(tiny_scenario(uncertainty=[["nodes[0].pue", 1, 2]]))
    assert err.field == "uncertainty[0]"


def test_factor_entries(tiny_scenario):
    ok = {"field": "every PUE", "fields": ["nodes[home].pue", "nodes[away].pue"], "low": 1.0, "high": 1.2}
    parse_scenario(tiny_with(tiny_scenario, ok))
    # PUE 1.0 × 0.9 < 1: the factor allows a forbidden value
    err = refused(tiny_with(tiny_scenario, {**ok, "low": 0.9}))
    assert err.field == "uncertainty[0].low" and "nodes[home].pue" in str(err)
    err = refused(tiny_with(tiny_scenario, {**ok, "fields": ["nodes[home].pue", "nodes[9].pue"]}))
    assert err.field == "uncertainty[0].fields[1]"
    err = refused(tiny_with(tiny_scenario, {"field": "prices", "fields": ["prices.egress_usd_per_gb"],
                                            "low": -1, "high": 1}))
    assert err.field == "uncertainty[0].low"
    err = refused(tiny_with(tiny_scenario, ok, {**ok, "field": "again", "fields": ["nodes[0].pue"]}))
    assert err.field == "uncertainty[1].fields[0]"
    # a value entry and a factor on one field compose: 1.0..1.1 × 1.0..1.2 stays ≥ 1
    parse_scenario(tiny_with(tiny_scenario, ok, {"field": "nodes[home].pue", "low": 1.0, "high": 1.1}))


def test_edits_and_links_carry_the_block(tiny_scenario):
    base = parse_scenario(tiny_scenario())
    block = [{"field": "nodes[away].price_usd_per_mwh", "low": 40.0, "high": 60.0, "dist": "uniform"}]
    with_block = update_scenario(base, {"uncertainty": block})        # the key was absent
    assert "uncertainty" not in base.to_dict() and with_block.to_dict()["uncertainty"] == block
    changes = scenario_changes(base, with_block)
    assert changes == {"uncertainty": block}
    assert apply_state(base, ShareState(changes=changes)) == with_block
    # removing the block is an edit a link carries too
    back = scenario_changes(with_block, base)
    assert back == {"uncertainty": None} and apply_state(with_block, ShareState(changes=back)) == base
    assert edit_lines(base, with_block) == ["uncertainty ranges: replaced"]
    assert edit_lines(with_block, base) == ["uncertainty ranges: removed"]
    with pytest.raises(ScenarioError) as err:
        update_scenario(base, {"uncertainty": [{**block[0], "low": 70.0}]})
    assert err.value.field == "uncertainty[0].high"


def test_a_scenario_without_the_block_keeps_its_canonical_json(default):
    assert "uncertainty" not in default.to_dict()
    assert "uncertainty" not in default.to_json()


# --- default ranges of the shipped default (data/regions.csv, data/workloads.csv by hand) ------

def test_default_widths_by_flag(defaults):
    def rng(field):
        return defaults[field].low, defaults[field].high

    # N. Virginia price 89.2 $/MWh, measured: ±5 %
    assert rng("nodes[us-va].price_usd_per_mwh") == pytest.approx((84.74, 93.66))
    # Dublin price 161.2 $/MWh, estimate: ±25 %
    assert rng("nodes[ie-dub].price_usd_per_mwh") == pytest.approx((120.9, 201.5))
    # Washington's average carbon is Oregon's value, estimate: ±25 %; Oregon's own measured: ±5 %
    assert rng("nodes[us-wa].carbon_avg_g_per_kwh") == pytest.approx((79.23 * 0.75, 79.23 * 1.25))
    assert rng("nodes[us-or].carbon_avg_g_per_kwh") == pytest.approx((79.23 * 0.95, 79.23 * 1.05))
    # capacity 900 MW, own demand 748.5 MW: spare 151.5 ± 50 %
    assert rng("nodes[us-va].capacity_mw") == pytest.approx((824.25, 975.75))
    # chat pinned share 0.3, assumption: ±50 %; voice data moved 333.3 GB/MWh, estimate: ±25 %
    assert rng("workloads[chat].state_pinned_share") == pytest.approx((0.15, 0.45))
    assert rng("workloads[voice].gb_per_mwh") == pytest.approx((249.975, 416.625))
    assert "workloads[batch].state_pinned_share" not in defaults          # 0: no width
    assert not any("latency_budget_ms" in f for f in defaults)            # a setting, not a datum
    assert rng("prices.egress_usd_per_gb") == pytest.approx((0.019, 0.021))
    assert rng("latency_model.route_inflation") == pytest.approx((1.125, 1.875))


def test_default_factors(default, defaults):
    pue = defaults["scale:nodes[*].pue"]                  # every PUE estimate; the lowest 1.10 stays ≥ 1
    assert (pue.low, pue.high) == pytest.approx((1 / 1.10, 1.25)) and len(pue.fields) == 31
    gas = defaults["scale:nodes[margin=gas].carbon_marginal_g_per_kwh"]
    assert (gas.low, gas.high, gas.mode, gas.dist) == pytest.approx((400 / 430, 450 / 430, 1.0, "triangular"))
    assert "nodes[us-or].carbon_marginal_g_per_kwh" in gas.fields
    coal_gas = defaults["scale:nodes[margin=coal-gas].carbon_marginal_g_per_kwh"]
    assert "nodes[us-va].carbon_marginal_g_per_kwh" in coal_gas.fields
    va = defaults["scale:demand[node=us-va]"]
    va_entries = [f"demand[{j}].mw" for j, d in enumerate(default.demand) if d.node == "us-va"]
    assert (va.low, va.high) == (0.5, 1.5) and va.fields == (*va_entries, "nodes[us-va].capacity_mw")
    rtt = defaults["scale:rtt_ms[given]"]
    assert (rtt.low, rtt.high) == (0.95, 1.05) and len(rtt.fields) == 321
    # 31 prices + 31 average carbon + 3 plant types + 1 PUE + 31 capacities + 31 demands
    # + 14 class values (batch's pinned share is 0) + round trips + egress + route inflation
    assert len(defaults) == 31 + 31 + 3 + 1 + 31 + 31 + 14 + 1 + 1 + 1


def test_defaults_are_a_valid_block(default, defaults):
    sc = update_scenario(default, {"uncertainty": [e.entry() for e in defaults.values()]})
    assert [dataclasses.replace(e, basis="") for e in uncertain_inputs(sc)] == \
        [dataclasses.replace(e, basis="") for e in defaults.values()]


def test_user_edits_and_unknown_scenarios_have_no_default_range(default, tiny_scenario):
    first = default.demand[0]
    edited = update_scenario(default, {"nodes.us-va.price_usd_per_mwh": 50.0,
                                       "demand": [{**d.model_dump(), "mw": d.mw + 1} if d is first else d.model_dump()
                                                  for d in default.demand]})
    fields = {e.field for e in default_inputs(edited)}
    assert "nodes[us-va].price_usd_per_mwh" not in fields and "nodes[us-or].price_usd_per_mwh" in fields
    assert f"scale:demand[node={first.node}]" not in fields and "scale:demand[node=us-or]" in fields
    assert default_inputs(parse_scenario(tiny_scenario())) == []
    assert uncertain_inputs(update_scenario(default, {"uncertainty": []})) == []


# --- draws -----------------------------------------------------------------------------------

INPUTS = [UncertainInput("nodes[0].price_usd_per_mwh", 60.0, 110.0),
          UncertainInput("nodes[1].pue", 1.0, 1.4, "triangular", 1.1),
          UncertainInput("fixed", 3.0, 3.0)]


def triangular_cdf(x, a, c, b):
    """The triangular distribution's CDF on [a, b] with mode c (written out, not scipy's)."""
    x = np.asarray(x)
    return np.where(x <= c, (x - a) ** 2 / ((b - a) * (c - a)), 1 - (b - x) ** 2 / ((b - a) * (b - c)))


def test_draws_are_determined_by_the_seed():
    a, b = draw_design(INPUTS, 64, 7), draw_design(INPUTS, 64, 7)
    assert a.shape == (64, 3) and np.array_equal(a, b)
    assert not np.array_equal(a, draw_design(INPUTS, 64, 8))


def test_every_stratum_holds_one_draw():
    n = 200
    x = draw_design(INPUTS, n, 3)
    strata_uniform = np.floor((x[:, 0] - 60.0) / 50.0 * n).astype(int)
    strata_triangular = np.floor(triangular_cdf(x[:, 1], 1.0, 1.1, 1.4) * n + 1e-9).astype(int)
    assert sorted(strata_uniform) == list(range(n))
    assert sorted(np.minimum(strata_triangular, n - 1)) == list(range(n))
    assert (x[:, 2] == 3.0).all()


def test_draws_stay_in_range_and_follow_the_mode():
    x = draw_design(INPUTS, 3000, 11)
    assert x[:, 0].min() >= 60 and x[:, 0].max() <= 110 and x[:, 1].min() >= 1.0 and x[:, 1].max() <= 1.4
    # quantiles of a Latin hypercube of 3,000: within 1/3000 of the distribution's own
    for q in (0.05, 0.5, 0.95):
        assert np.quantile(x[:, 0], q) == pytest.approx(60 + 50 * q, abs=50 / 1000)
    assert x[:, 1].mean() == pytest.approx((1.0 + 1.1 + 1.4) / 3, abs=1e-3)
    # the mode: the densest tenth of the range is the one around 1.1
    counts, edges = np.histogram(x[:, 1], bins=8, range=(1.0, 1.4))
    assert edges[counts.argmax()] <= 1.1 <= edges[counts.argmax() + 1]


def test_apply_draw_gives_a_valid_scenario_without_the_block(tiny_scenario):
    sc = parse_scenario(tiny_with(tiny_scenario, {"field": "nodes[away].price_usd_per_mwh", "low": 40, "high": 60},
                                  {"field": "both", "fields": ["nodes[home].pue", "nodes[away].pue"],
                                   "low": 1.0, "high": 1.5}))
    drawn = apply_draw(sc, uncertain_inputs(sc), [45.0, 1.25])
    assert drawn.uncertainty is None
    assert (drawn.nodes[1].price_usd_per_mwh, drawn.nodes[0].pue, drawn.nodes[1].pue) == (45.0, 1.25, 1.25)


def _same_inputs(a, b) -> list[str]:
    """The fields of two ModelInputs that differ (arrays compared exactly)."""
    out = []
    for f in dataclasses.fields(a):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if not (np.array_equal(va, vb) if isinstance(va, np.ndarray) else va == vb):
            out.append(f.name)
    return out


def test_fast_path_equals_the_scenario_path_on_the_default(default):
    inputs = uncertain_inputs(default)
    base = model_inputs(default)
    for x in draw_design(inputs, 6, 5):
        assert _same_inputs(draw_inputs(base, default, inputs, x), model_inputs(apply_draw(default, inputs, x))) == []


def test_fast_path_equals_the_scenario_path_on_every_kind_of_field(random_scenario):
    sc = parse_scenario(random_scenario(4))
    a, b = next((a, b) for a, row in sc.rtt_ms.items() for b in row)
    k = sc.workload_ids[0]
    inputs = [UncertainInput("nodes[0].lat", -10.0, 10.0), UncertainInput("nodes[1].lon", 0.0, 5.0),
              UncertainInput(f"rtt_ms.{a}.{b}", 1.0, 90.0), UncertainInput("latency_model.fixed_ms", 2.0, 8.0),
              UncertainInput("latency_model.route_inflation", 1.2, 2.0), UncertainInput("demand[0].mw", 0.0, 9.0),
              UncertainInput(f"workloads[{k}].latency_budget_ms", 5.0, 300.0),
              UncertainInput(f"workloads[{k}].state_pinned_share", 0.0, 0.5),
              UncertainInput("prices.egress_usd_per_gb", 0.0, 0.1), UncertainInput("period_hours", 100.0, 9000.0),
              UncertainInput("objective.carbon_price_usd_per_t", 0.0, 200.0), UncertainInput("regional_ms", 5.0, 60.0),
              UncertainInput("nodes[0].capacity_mw", 1.0, 80.0),
              UncertainInput("all demand", 0.5, 1.5, fields=tuple(f"demand[{j}].mw" for j in range(len(sc.demand)))),
              UncertainInput("given", 0.9, 1.1,
                             fields=tuple(f"rtt_ms.{x}.{y}" for x, r in sc.rtt_ms.items() for y in r)),
              UncertainInput("prices", 0.8, 1.2, "triangular", 1.0, fields=("nodes[0].price_usd_per_mwh",
                                                                          "nodes[1].price_usd_per_mwh",
                                                                          "nodes[0].capacity_mw"))]
    sc = update_scenario(sc, {"uncertainty": [e.entry() for e in inputs]})
    inputs = uncertain_inputs(sc)
    base = model_inputs(sc)
    for x in draw_design(inputs, 8, 9):
        assert _same_inputs(draw_inputs(base, sc, inputs, x), model_inputs(apply_draw(sc, inputs, x))) == []


def test_labels(defaults):
    picked = [defaults[f] for f in ("nodes[us-va].price_usd_per_mwh", "scale:nodes[*].pue", "scale:demand[node=us-va]",
                                    "workloads[chat].gb_per_mwh", "scale:rtt_ms[given]", "prices.egress_usd_per_gb")]
    assert input_labels(picked) == ["us-va price [$/MWh]", "every PUE [×]", "us-va demand and capacity [×]",
                                    "chat data moved [GB/MWh]", "every given round trip [×]", "egress price [$/GB]"]


def test_world_defaults_group_one_number_behind_many_values():
    import pandas as pd

    from core.catalogue import DATA_DIR, load, shipped

    world = load(shipped(), "world_cloud_regions")
    inputs = {e.field: e for e in default_inputs(world)}
    assert len(inputs) == 381                                      # data/SOURCES.md, "Uncertainty ranges"
    update_scenario(world, {"uncertainty": [e.entry() for e in inputs.values()]})       # a valid block
    regions = pd.read_csv(DATA_DIR / "world_regions.csv").set_index("id")
    prices = [e for f, e in inputs.items() if f.startswith("scale:nodes[") and f.endswith("price_usd_per_mwh")]
    assert prices
    for e in prices:       # every region of a price factor has the same value and source in the CSV
        ids = [f.split("[")[1].split("]")[0] for f in e.fields]
        assert regions.loc[ids, "price_usd_per_mwh"].nunique() == 1 and regions.loc[ids, "price_source"].nunique() == 1
        assert set(regions.loc[ids, "price_flag"]) == {"estimate"} and (e.low, e.high) == (0.75, 1.25) or \
            set(regions.loc[ids, "price_flag"]) == {"measured"} and (e.low, e.high) == (0.95, 1.05)
    rtt = pd.read_csv(DATA_DIR / "world_rtt_pairs.csv")
    assert len(inputs["scale:rtt_ms[given]"].fields) == int((rtt["source"] == "azure-measured").sum())
    pue = inputs["scale:nodes[*].pue"]                             # the lowest fleet PUE, Google's 1.10, stays ≥ 1
    assert len(pue.fields) == 117 and pue.low == pytest.approx(1 / regions["pue"].min())


def test_nothing_to_draw_is_a_short_error(tiny_scenario):
    with pytest.raises(ScenarioError) as err:
        draw_design(uncertain_inputs(parse_scenario(tiny_scenario())), 10, 0)
    assert err.value.field == "uncertainty"
    with pytest.raises(ScenarioError) as err:
        draw_design(INPUTS, 0, 0)
    assert err.value.field == "draws"


def test_the_same_design_in_another_process(default):
    import hashlib
    import subprocess
    import sys
    from pathlib import Path

    code = ("import hashlib; from core.scenario import default_scenario; "
            "from core.uncertainty import draw_design, uncertain_inputs; "
            "print(hashlib.sha256(draw_design(uncertain_inputs(default_scenario()), 50, 3).tobytes()).hexdigest())")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(root), "PATH": ""}, check=True).stdout.strip()
    assert out == hashlib.sha256(draw_design(uncertain_inputs(default), 50, 3).tobytes()).hexdigest()
