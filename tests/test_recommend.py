"""Where should this run? The ranking of core.recommend on a hand-worked three-region case.

Regions a (home, EU), b (EU) and c (no zone); round trips a–b 20 ms, a–c 80 ms, b–c 70 ms.
Carbon price τ = $20/t on the marginal signal; egress e = $0.05/GB; migration fee φ = $1/MWh.
Unit objective (MODEL.md) PUE·(1+ω[r≠s])·(p + τ·c/1000) + [r≠s]·(g·e + φ), $/MWh:

chat (budget 100 ms, residency-bound, g = 10 GB/MWh, ω = 0.1), from a:
    a (home): 1.2 · (100 + 20·0.5)            = 132
    b:        1.1 · 1.1 · (50 + 20·0.4) + 1.5 = 71.68
    c:        1.0 · 1.1 · (30 + 20·0.8) + 1.5 = 52.1   excluded: residency (a is EU, c has no zone)
batch (budget 50 ms, not bound, g = 2, ω = 0), from a:
    a: 132;  b: 1.1 · 58 + 1.1 = 64.9;  c: 1.0 · 46 + 1.1 = 47.1  excluded: latency (80 > 50 ms)

With b's capacity 10 MW and 10 MW of each class at a: batch saves 132 − 64.9 = 67.1 $/MWh at b,
chat 132 − 71.68 = 60.32, so the optimum fills b with batch and runs all chat at home.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

from core.analysis import Analysis
from core.inputs import model_inputs
from core.recommend import pair_matrix_alt_text, run_here, run_here_sentence
from core.metrics import break_even
from core.scenario import parse_scenario

HAND = {
    "schema_version": 1, "name": "run here",
    "nodes": [
        {"id": "a", "name": "Alpha", "lat": 50.0, "lon": 8.0, "country": "DE", "residency_zone": "EU",
         "price_usd_per_mwh": 100, "carbon_avg_g_per_kwh": 300, "carbon_marginal_g_per_kwh": 500, "pue": 1.2,
         "capacity_mw": 100},
        {"id": "b", "name": "Beta", "lat": 59.0, "lon": 18.0, "country": "SE", "residency_zone": "EU",
         "price_usd_per_mwh": 50, "carbon_avg_g_per_kwh": 30, "carbon_marginal_g_per_kwh": 400, "pue": 1.1,
         "capacity_mw": 10},
        {"id": "c", "name": "Gamma", "lat": 40.0, "lon": -75.0, "country": "US",
         "price_usd_per_mwh": 30, "carbon_avg_g_per_kwh": 400, "carbon_marginal_g_per_kwh": 800, "pue": 1.0,
         "capacity_mw": 100},
    ],
    "workloads": [
        {"id": "chat", "name": "Chat", "latency_budget_ms": 100, "state_pinned_share": 0.2, "gb_per_mwh": 10,
         "migration_overhead": 0.1, "residency_bound": True},
        {"id": "batch", "name": "Batch", "latency_budget_ms": 50, "gb_per_mwh": 2},
    ],
    "demand": [{"node": "a", "workload": "chat", "mw": 10}, {"node": "a", "workload": "batch", "mw": 10}],
    "rtt_ms": {"a": {"b": 20, "c": 80}, "b": {"c": 70}},
    "prices": {"egress_usd_per_gb": 0.05, "migration_usd_per_mwh": 1.0},
    "objective": {"carbon_signal": "marginal", "carbon_price_usd_per_t": 20},
}


@pytest.fixture
def hand():
    sc = parse_scenario(copy.deepcopy(HAND))
    return sc, model_inputs(sc)


def test_chat_ranking_by_hand_with_a_residency_exclusion(hand):
    _, inp = hand
    t = run_here(inp, "a", "chat")
    assert list(t["compute"]) == ["b", "a", "c"]
    assert list(t["rank"][:2]) == [1, 2] and np.isnan(t["rank"][2])
    assert list(t["unit_objective_usd_per_mwh"]) == pytest.approx([71.68, 132.0, 52.1])
    assert list(t["reason"]) == ["allowed", "allowed", "residency"]
    assert list(t["vs_home_usd_per_mwh"]) == pytest.approx([71.68 - 132, 0.0, 52.1 - 132])
    b = t.iloc[0]
    assert b["energy_usd_per_mwh"] == pytest.approx(1.1 * 1.1 * 50)
    assert b["carbon_usd_per_mwh"] == pytest.approx(20 * 1.1 * 1.1 * 0.4)
    assert b["transfer_usd_per_mwh"] == pytest.approx(10 * 0.05 + 1)
    assert t.iloc[1]["transfer_usd_per_mwh"] == 0.0                   # home moves no data
    assert "zone EU" in t.iloc[2]["why"] and "no residency zone" in t.iloc[2]["why"]
    assert "20 ms of 100 ms" in b["why"] and "$60.32/MWh less than at home" in b["why"]


def test_batch_ranking_by_hand_with_a_latency_exclusion(hand):
    _, inp = hand
    t = run_here(inp, "a", "batch")
    assert list(t["compute"]) == ["b", "a", "c"]
    assert list(t["unit_objective_usd_per_mwh"]) == pytest.approx([64.9, 132.0, 47.1])
    assert list(t["reason"]) == ["allowed", "allowed", "latency"]
    assert t.iloc[2]["why"] == "Excluded: the round trip, 80 ms, is over the class's budget of 50 ms."


def test_the_legal_friction_off_admits_the_cheapest(hand):
    _, inp = hand
    t = run_here(inp.with_frictions(legal=False), "a", "chat")
    assert list(t["compute"]) == ["c", "b", "a"]
    assert list(t["rank"]) == [1, 2, 3]


def test_placement_and_a_full_region(hand):
    sc, inp = hand
    sol = Analysis(sc).solve(inp)
    chat, batch = run_here(inp, "a", "chat", sol), run_here(inp, "a", "batch", sol)
    # by hand (module doc): b takes the 10 MW of batch, chat stays home
    assert dict(zip(batch["compute"], batch["placed_mw"])) == pytest.approx({"b": 10, "a": 0, "c": 0}, abs=1e-6)
    assert dict(zip(chat["compute"], chat["placed_mw"])) == pytest.approx({"b": 0, "a": 10, "c": 0}, abs=1e-6)
    assert bool(chat.set_index("compute").loc["b", "full"])
    text = run_here_sentence(chat, service_name="Alpha", workload_name="Chat", pinned_share=0.2,
                             names={"a": "Alpha", "b": "Beta", "c": "Gamma"})
    assert text.startswith("For Chat entering at Alpha, the cheapest allowed place is Beta at $71.68 per MWh, "
                           "$60.32 (46%) less than at home.")
    assert "2 of 3 regions are allowed; 1 is excluded (1 by data residency)." in text
    assert "keeps 20% of this work at home" in text
    assert "None of it runs at Beta: that region is full" in text


def test_home_first_when_nothing_is_cheaper(hand):
    sc, inp = hand
    t = run_here(inp, "c", "batch")        # c is the cheapest region of all: 1.0 · (30 + 20·0.8) = 46 at home
    assert t.iloc[0]["compute"] == "c" and bool(t.iloc[0]["home"])
    assert list(t["reason"]) == ["allowed", "latency", "latency"]
    text = run_here_sentence(t, service_name="Gamma", workload_name="Batch", pinned_share=0.0)
    assert text.startswith("For Batch entering at Gamma, home is the cheapest allowed place, at $46.00 per MWh.")


def test_pair_matrix_description_counts_the_reasons(hand):
    _, inp = hand
    text = pair_matrix_alt_text(break_even(inp, "batch"))
    # batch (50 ms): a↔b allowed; a–c (80 ms) and b–c (70 ms) both ways over the budget
    assert "6 region pairs" in text and "2 pairs are allowed" in text
    assert "Not allowed: 4 by round trip over the budget." in text
