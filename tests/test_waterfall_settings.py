"""The friction waterfall follows the session's frictions: its steps are the frictions switched
on, so its last row is the session's own savings (checked by hand and by independent solves)."""
from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from app_support import open_app, served_default
from core.analysis import Analysis, relaxed_inputs
from core.inputs import model_inputs
from core.metrics import WATERFALL_ORDER, friction_waterfall
from core.model import PlacementModel, solve_scenario
from core.scenario import default_scenario, parse_scenario, update_scenario, with_budgets_ms
from core.share import ShareState, encode_state
from pages.common.theme import fmt_usd
from test_metrics import _waterfall_case

SETTINGS = {"objective.carbon_price_usd_per_t": 100.0, "objective.carbon_signal": "average",
            "frictions.capacity": False, "frictions.legal": False}


def _case(tiny_scenario, **frictions):
    # the case of tests/test_metrics.py (a: EU $100 cap 100; b: EU $60 cap 4; c: no zone, $50;
    # rtt a–b 10, a–c 20, b–c 20; budget 50; 10 MW of a residency-bound class at a: σ = 0.3,
    # g = 50, ω = 0.1; e = 0.2, φ = 2; H = 10) with the given frictions
    return parse_scenario(_waterfall_case(tiny_scenario, frictions=frictions))


def _savings_by_direct_solves(sc) -> float:
    """Local-baseline cost minus optimal cost, each from a model compiled for that scenario alone."""
    return solve_scenario(with_budgets_ms(sc, 0)).cost_usd - solve_scenario(sc).cost_usd


def test_session_frictions_by_hand(tiny_scenario):
    # legal and capacity off: local 10·10·100 = 10 000 $ at every step.
    # none: all 10 MW to c at 50:                        10·10·(100 − 50) = 5000
    # + egress: c at 50 + 50·0.2 = 60:                   10·10·40         = 4000
    # + migration: c at 1.1·50 + 10 + 2 = 67:            10·10·33         = 3300
    # + state locality: 7 MW may leave:                  10·7·33          = 2310 (the session's savings)
    sc = _case(tiny_scenario, legal=False, capacity=False)
    inp = model_inputs(sc)
    wf = Analysis(sc).waterfall(inp)
    assert list(wf["step"]) == ["potential (no frictions)", "egress", "migration", "state_locality"]
    assert wf["frictions_on"].iloc[-1] == "egress,migration,state_locality"
    assert_allclose(wf["savings_usd"], [5000, 4000, 3300, 2310], rtol=1e-7)
    assert_allclose(wf["change_usd"], [5000, -1000, -700, -990], rtol=1e-7)
    # the full order still switches on legal (b 1.1·60 + 12 = 78: 10·7·22 = 1540) and capacity (b 4 MW: 880)
    full = friction_waterfall(PlacementModel.for_scenario(sc), inp)
    assert_allclose(full["savings_usd"], [5000, 4000, 3300, 2310, 1540, 880], rtol=1e-7)
    assert_allclose(_savings_by_direct_solves(sc), 2310, rtol=1e-7)


def test_no_friction_on_is_the_potential_alone(tiny_scenario):
    sc = _case(tiny_scenario, egress=False, migration=False, state_locality=False, legal=False, capacity=False)
    wf = Analysis(sc).waterfall(model_inputs(sc))
    assert list(wf["frictions_on"]) == ["none"]
    assert_allclose(wf["savings_usd"], [5000], rtol=1e-7)


def test_listed_steps_in_the_given_order(tiny_scenario):
    # capacity first (b 4 MW, but c takes everything at 50): 5000; then state locality: 10·7·50 = 3500
    sc = _case(tiny_scenario)
    wf = friction_waterfall(PlacementModel.for_scenario(sc), model_inputs(sc), ["capacity", "state_locality"])
    assert list(wf["frictions_on"]) == ["none", "capacity", "state_locality,capacity"]
    assert_allclose(wf["savings_usd"], [5000, 5000, 3500], rtol=1e-7)


@pytest.mark.parametrize("steps", [["egress", "egress"], ["tariffs"]])
def test_bad_steps_are_refused(tiny_scenario, steps):
    sc = _case(tiny_scenario)
    with pytest.raises(ValueError, match="frictions"):
        friction_waterfall(PlacementModel.for_scenario(sc), model_inputs(sc), steps)


def test_random_scenarios_end_at_their_own_savings(random_scenario):
    for seed in (3, 7, 11, 19):
        sc = parse_scenario(random_scenario(seed))
        wf = Analysis(sc).waterfall(model_inputs(sc))
        on = [f for f in WATERFALL_ORDER if getattr(sc.frictions, f)]
        assert list(wf["step"].iloc[1:]) == on
        for row, step in enumerate([[]] + [on[:i + 1] for i in range(len(on))]):
            sc_step = update_scenario(sc, {f"frictions.{f}": f in step for f in WATERFALL_ORDER})
            expected = _savings_by_direct_solves(sc_step)
            scale = max(1.0, solve_scenario(with_budgets_ms(sc_step, 0)).cost_usd)
            assert_allclose(wf["savings_usd"].iloc[row], expected, rtol=1e-6, atol=1e-7 * scale)


def test_default_scenario_on_non_default_settings_ends_at_the_headline_savings():
    relax = 10.0
    sc = update_scenario(default_scenario(), SETTINGS)
    an = Analysis(sc)
    inp = relaxed_inputs(sc, relax)
    wf = an.waterfall(inp)
    assert list(wf["step"].iloc[1:]) == ["egress", "migration", "state_locality"]
    # independent: every budget raised by hand, solved by a model compiled for that scenario alone
    relaxed = update_scenario(sc, {f"workloads.{w.id}.latency_budget_ms": w.latency_budget_ms + relax
                                   for w in sc.workloads})
    expected = _savings_by_direct_solves(relaxed)
    assert_allclose(wf["savings_usd"].iloc[-1], expected, rtol=1e-7)
    assert_allclose(wf["savings_usd"].iloc[-1], an.headline(inp)["savings_usd"], rtol=1e-7)
    # and not the all-frictions-on figure the presentation used to show beside it
    full = friction_waterfall(an.sweeper, inp)
    assert full["savings_usd"].iloc[-1] < expected * 0.99


def test_frictions_page_on_non_default_settings(monkeypatch):
    """The Frictions page's realized savings are the session's savings, and it names the frictions off."""
    with served_default(monkeypatch):
        at = open_app(link=encode_state(ShareState(changes=SETTINGS, relax_ms=10.0)), page="frictions", timeout=240)
        sc = update_scenario(default_scenario(), SETTINGS)
        relaxed = update_scenario(sc, {f"workloads.{w.id}.latency_budget_ms": w.latency_budget_ms + 10.0
                                       for w in sc.workloads})
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Realized savings ($ per year)"] == fmt_usd(_savings_by_direct_solves(relaxed))
        assert any("not part of this waterfall: data residency, capacity limits" in i.value for i in at.info)


PROVIDERS = {  # a (aws, $100/MWh, 10 MW of demand), b (azure, $40), c (aws, $70); H = 10 h, g = 0
    "nodes": [{"id": "a", "provider": "aws", "price_usd_per_mwh": 100.0},
              {"id": "b", "provider": "azure", "price_usd_per_mwh": 40.0},
              {"id": "c", "provider": "aws", "price_usd_per_mwh": 70.0}],
    "demand": [{"node": "a", "workload": "w", "mw": 10.0}],
    "rtt_ms": {"a": {"b": 10.0, "c": 20.0}, "b": {"c": 15.0}},
}


@pytest.mark.parametrize("lock", [True, False])
def test_frictions_page_with_providers(tiny_scenario, tmp_path, monkeypatch, lock):
    """Lock on: the page's last step is the provider lock, which takes 6000 − 3000 = 3000 $ (the
    work goes to c at $70 instead of b at $40: 10 h · 10 MW · 30 $/MWh); realized 3000 $. Lock
    off (with providers on the nodes): it is named as switched off, and the realized savings are
    the potential, 10 · 10 · (100 − 40) = 6000 $."""
    from app_support import served_scenario

    d = tiny_scenario(**PROVIDERS, frictions={"provider_lock": lock})
    with served_scenario(tmp_path, monkeypatch, d, "providers.json"):
        at = open_app(page="frictions")
        assert not at.exception
        metrics = {m.label: m.value for m in at.metric}
        realized = next(v for k, v in metrics.items() if k.startswith("Realized savings"))
        assert realized == fmt_usd(3000.0 if lock else 6000.0)
        steps = list(at.dataframe[0].value["Friction switched on"])
        infos = " ".join(i.value for i in at.info)
        if lock:
            assert steps[-1] == "Provider lock" and "provider lock" not in infos
        else:
            assert "Provider lock" not in steps and "not part of this waterfall: provider lock" in infos
