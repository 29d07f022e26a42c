"""core.narrative: the sentences carry the right numbers, computed here by hand on tiny scenarios."""
from __future__ import annotations

import pandas as pd
import pytest

from core.analysis import Analysis
from core.inputs import model_inputs
from core.metrics import pair_break_even_terms
from core.narrative import (break_even_pair_sentence, budget_savings_sentence, carbon_price_words, corridors_sentence,
                            erol_sentence, friction_sentence, frontier_value_at, headline_sentence,
                            layers_sentence, ms_words, pct_words, period_words, settings_sentence,
                            tonnes_words, usd_words, waterfall_order_sentence)
from core.scenario import parse_scenario


def three_nodes(tiny_scenario, **overrides):
    """home $100/MWh; near $80 at 10 ms; far $40 at 60 ms with 4 MW; 10 MW at home over 10 h;
    20% pinned; 100 GB/MWh at $0.1/GB = $10/MWh transfer; budget 100 ms."""
    fields = dict(
        nodes=[{"id": "home", "price_usd_per_mwh": 100.0},
               {"id": "near", "price_usd_per_mwh": 80.0, "lon": 0.5},
               {"id": "far", "price_usd_per_mwh": 40.0, "lon": 5.0, "capacity_mw": 4.0}],
        workloads=[{"id": "w", "latency_budget_ms": 100.0, "state_pinned_share": 0.2, "gb_per_mwh": 100.0}],
        rtt_ms={"home": {"near": 10.0, "far": 60.0}, "near": {"far": 55.0}},
        prices={"egress_usd_per_gb": 0.1, "migration_usd_per_mwh": 0.0, "unserved_usd_per_mwh": 10000.0})
    return parse_scenario(tiny_scenario(**{**fields, **overrides}))


# --- numbers in words ----------------------------------------------------------------------------

@pytest.mark.parametrize("x, text", [(25_573_068, "$25.6 million"), (1.901706e9, "$1.90 billion"),
                                     (641_232, "$641,000"), (5000, "$5,000"), (950, "$950"), (4.2, "$4.20"),
                                     (-65_700, "-$65,700"), (0.0, "$0")])
def test_usd_words(x, text):
    assert usd_words(x) == text


def test_other_words():
    assert tonnes_words(128_482.9) == "128 thousand tonnes of CO2"
    assert tonnes_words(20) == "20.0 tonnes of CO2"
    assert pct_words(0.3799) == "38%" and pct_words(0.035) == "3.5%" and pct_words(0) == "0%"
    assert ms_words(20) == "20 ms" and ms_words(22.949) == "22.9 ms"
    assert period_words(8760) == "a year" and period_words(10) == "over 10.0 hours"


# --- sentences from solved tiny scenarios ----------------------------------------------------------

def test_headline_sentence_two_nodes(tiny_scenario):
    # home $100, away $50 at 20 ms, 10 MW for 10 h: local 10 000 $, optimum all away 5 000 $;
    # marginal carbon 400 → 200 g/kWh: (400 − 200) kg/MWh × 100 MWh / 1000 = 20 t avoided
    sc = parse_scenario(tiny_scenario(nodes=[
        {"id": "home", "price_usd_per_mwh": 100.0, "carbon_marginal_g_per_kwh": 400.0},
        {"id": "away", "lon": 1.0, "price_usd_per_mwh": 50.0, "carbon_marginal_g_per_kwh": 200.0}]))
    inp = model_inputs(sc)
    text = headline_sentence(Analysis(sc).headline(inp), sc.period_hours, inp.carbon_signal)
    assert "saves $5,000 over 10.0 hours, 50% of the cost" in text
    assert "100% of inference demand runs away from home, which avoids 20.0 tonnes of CO2 (marginal" in text


def test_headline_sentence_signs():
    h = {"savings_usd": -1500.0, "local_cost_usd": 10_000.0, "relocated_share": 0.25, "carbon_savings_t": -3.0}
    text = headline_sentence(h, 8760, "average")
    assert "costs $1,500 more a year" in text and "adds 3.00 tonnes of CO2 (average" in text


def test_relaxation_and_erol_sentences(tiny_scenario):
    sc = three_nodes(tiny_scenario)
    f = Analysis(sc).frontier(model_inputs(sc))
    # breakpoints 0, 10, 55?, 60: 0 ms all home 10 000 $; 10 ms: 2 MW pinned home, 8 near at 80 + 10:
    # 2 000 + 7 200 = 9 200 $; 60 ms: 4 MW far at 40 + 10: 2 000 + 3 600 + 2 000 = 7 600 $
    assert frontier_value_at(f, "cost_usd", 0) == pytest.approx(10_000)
    assert frontier_value_at(f, "cost_usd", 30) == pytest.approx(9_200)
    assert frontier_value_at(f, "cost_usd", 60) == pytest.approx(7_600)
    # each budget's savings stated as a total on its own: 0, 10 000 − 9 200 = 800 at 30 ms, 2 400 at 60 ms
    text = budget_savings_sentence(f, [0, 30, 60], 1234.5, sc.period_hours)
    assert text == ("Savings over 10.0 hours against running everything at home, each a total on its own — every "
                    "class at 0 ms: $0; every class at 30 ms: $800; every class at 60 ms: $2,400; today's per-class "
                    "budgets: $1,230.")   # 3 significant figures
    assert budget_savings_sentence(f, [], 2400, 8760, "now").endswith("on its own — now: $2,400.")
    # the biggest drop is at 60 ms (1 600 $); average ERoL (10 000 − 7 600) / 60 = 40 $/ms
    text = erol_sentence(f, sc.period_hours)
    assert "reaches 60 ms: $1,600 of savings over 10.0 hours appear at once" in text
    assert "From 0 ms to 60 ms, each millisecond saves $40.00 over 10.0 hours on average." in text


def test_friction_sentence(tiny_scenario):
    sc = three_nodes(tiny_scenario)
    wf = Analysis(sc).waterfall(model_inputs(sc))
    # potential: 10 MW far at 40: 6 000 $ saved; egress +10 $/MWh: 5 000; migration (φ = 0, ω = 0): 5 000;
    # state locality 2 MW home: 4 000; legal: 4 000; capacity 4 MW far, 4 near: 2 400 → capacity takes 1 600
    assert list(wf["savings_usd"]) == pytest.approx([6000, 5000, 5000, 4000, 4000, 2400])
    assert friction_sentence(wf) == friction_sentence(wf, ()) == ("Frictions keep 40% of the potential saving: $2,400 of $6,000. "
                                     "Capacity limits take the most: $1,600.")


def test_friction_sentence_names_the_frictions_off(tiny_scenario):
    # legal and capacity off: the waterfall stops after state locality (2 MW pinned home): 4 000 of 6 000;
    # egress (6 000 → 5 000) and state locality (5 000 → 4 000) tie at 1 000: the first is named
    sc = three_nodes(tiny_scenario, frictions={"legal": False, "capacity": False})
    wf = Analysis(sc).waterfall(model_inputs(sc))
    assert friction_sentence(wf, ["legal", "capacity"]) == ("The frictions switched on keep 67% of the potential saving: $4,000 of $6,000. "
                                     "Egress fees take the most: $1,000. Data residency and capacity "
                                     "limits are switched off and not part of this.")
    none_on = three_nodes(tiny_scenario, frictions={f: False for f in
                                                    ("egress", "migration", "state_locality", "legal", "capacity")})
    wf = Analysis(none_on).waterfall(model_inputs(none_on))
    assert friction_sentence(wf, ["egress", "migration", "state_locality", "legal", "capacity"]).startswith(
        "No friction is switched on: the whole potential saving, $6,000, is kept. Egress fees, migration overhead, "
        "state locality, data residency and capacity limits are switched off and not part of this.")
    # one friction off: its verb agrees with its name
    only_locality_off = three_nodes(tiny_scenario, frictions={"state_locality": False})
    assert friction_sentence(Analysis(only_locality_off).waterfall(model_inputs(only_locality_off)),
                             ["state_locality"]).endswith("State locality is switched off and not part of this.")


def test_friction_sentence_without_potential():
    wf = pd.DataFrame({"step": ["potential (no frictions)", "egress"], "savings_usd": [0.0, 0.0],
                       "change_usd": [0.0, 0.0]})
    assert "saves nothing" in friction_sentence(wf)


def test_waterfall_order_sentence(tiny_scenario):
    assert waterfall_order_sentence(["egress", "migration", "state_locality"]) == (
        "Frictions switched on in this order: egress fees, migration overhead, state locality.")
    assert waterfall_order_sentence(["capacity"]) == "Frictions switched on in this order: capacity limits."
    assert waterfall_order_sentence([]) == "No friction is switched on."
    # read off a waterfall: its steps after the potential, in the order solved
    sc = three_nodes(tiny_scenario, frictions={"legal": False, "capacity": False})
    wf = Analysis(sc).waterfall(model_inputs(sc))
    assert waterfall_order_sentence(list(wf["step"].iloc[1:])) == (
        "Frictions switched on in this order: egress fees, migration overhead, state locality.")


def test_settings_sentence():
    assert settings_sentence(100.0, "average", ["legal", "capacity"], 10.0) == (
        "Computed with a carbon price of $100 per tonne of CO2 on the average grid intensity, data residency "
        "and capacity limits switched off, and every latency budget raised by 10 ms.")
    assert settings_sentence(0.0, "marginal", [], 0.0) == (
        "Computed with no carbon price (emissions on the marginal grid intensity), every friction switched on, "
        "and the latency budgets as set.")


def test_corridors_sentence():
    corridors = pd.DataFrame({"service": ["a", "b", "a"], "compute": ["c", "c", "b"], "mw": [584.0, 252.0, 3.25]})
    assert corridors_sentence(corridors, {"a": "Alpha", "c": "Gamma"}, top=2) == (
        "839 MW of IT power runs away from home along 3 corridors; the largest: Alpha → Gamma 584 MW and "
        "b → Gamma 252 MW.")
    assert "every region serves its own demand" in corridors_sentence(corridors.iloc[:0])


def test_layers_sentence(tiny_scenario):
    sc = three_nodes(tiny_scenario)
    an = Analysis(sc)
    layers = an.layers(model_inputs(sc))
    # 2 MW home (local), 4 MW near at 10 ms (regional ≤ 30 ms), 4 MW far at 60 ms (energy-oriented)
    assert layers_sentence(layers, 30) == ("Of the inference power served, 20% runs at home, 40% in nearby regions "
                                           "(within 30 ms) and 40% in distant, energy-oriented regions.")


def test_layers_sentence_names_the_most_mobile_class():
    layers = pd.DataFrame({"workload": ["a"] * 3 + ["b"] * 3, "layer": ["local", "regional", "energy-oriented"] * 2,
                           "mw": [9.0, 1.0, 0.0, 1.0, 0.0, 3.0]})
    text = layers_sentence(layers, 30, {"b": "Batch"})
    assert "71% runs at home, 7.1% in nearby regions" in text   # 10/14, 1/14, 3/14
    assert "The most mobile class is Batch: 75% of it runs away from home." in text


def test_break_even_pair_sentence(tiny_scenario):
    inp = model_inputs(three_nodes(tiny_scenario))
    terms = pair_break_even_terms(inp, "w", "home", "far")
    # gross 100 − 40 = 60 $/MWh, transfer 100 GB × 0.1 $/GB = 10, net 50; e* = 60 / 100 = 0.6 $/GB
    assert break_even_pair_sentence(terms) == (
        "Moving 1 MWh of w from home to far saves $60.00 of energy and carbon cost, against $10.00 of transfer "
        "costs: it pays, by $50.00 per MWh. It stays worth it up to an egress price of $0.60 per GB. "
        "The carbon price does not change this: both sites emit the same per MWh.")
    tight = model_inputs(three_nodes(tiny_scenario, workloads=[{"id": "w", "latency_budget_ms": 50.0, "gb_per_mwh": 100.0}]))
    assert break_even_pair_sentence(pair_break_even_terms(tight, "w", "home", "far")).endswith(
        "The model does not allow it now (latency).")


@pytest.mark.parametrize("tau, gap_t, words", [
    (120.0, 0.2, "It pays at carbon prices above $120 per tonne of CO2."),
    (120.0, -0.2, "It pays only at carbon prices below $120 per tonne of CO2."),
    (-50.0, 0.2, "It pays at every carbon price."),
    (-50.0, -0.2, "It does not pay at any carbon price."),
    (float("nan"), 0.0, "The carbon price does not change this: both sites emit the same per MWh."),
])
def test_carbon_price_words(tau, gap_t, words):
    assert carbon_price_words({"break_even_carbon_price_usd_per_t": tau, "carbon_gap_t_per_mwh": gap_t}) == words


def test_headline_sentence_says_when_relocation_serves_what_home_could_not(tiny_scenario):
    """Home holds 6 of its 10 MW (capacity): the local baseline leaves 4 MW unserved. Hand-worked
    over 10 h at $100 and $50/MWh and V = $10,000/MWh: local cost 6·10·100 = $6,000 plus
    4·10·10,000 = $400,000 of penalty; relocated, all 10 MW run away: 10·10·50 = $5,000, no
    penalty. Savings $1,000; objective saving 406,000 − 5,000 = $401,000."""
    sc = parse_scenario(tiny_scenario(nodes=[{"id": "home", "price_usd_per_mwh": 100.0, "capacity_mw": 6.0},
                                             {"id": "away", "lon": 1.0, "price_usd_per_mwh": 50.0}]))
    inp = model_inputs(sc)
    h = Analysis(sc).headline(inp)
    text = headline_sentence(h, sc.period_hours, inp.carbon_signal)
    assert "saves $1,000 over 10.0 hours" in text
    assert "It also serves 4.00 MW that home regions could not" in text
    assert "improves by $401,000" in text
