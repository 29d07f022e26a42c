"""The Explorer through AppTest (from app.py): the headline sentence and four hero numbers, the
Δ against the previous setting after a sidebar change, what binds, and the map's alt text; each
number compared with core computed here, not through the page code."""
from __future__ import annotations

import json

import pytest

from core.analysis import Analysis, relaxed_inputs
from core.binding import full_regions
from core.briefing import data_basis, data_basis_words
from core.model import solve_scenario
from core.narrative import headline_sentence
from core.scenario import default_scenario, update_scenario
from pages.common.theme import fmt_mw, fmt_pct, fmt_usd
from app_support import by_key
from test_app import _clear_caches, _navigation_mode, open_app  # noqa: F401  (fixtures)

VOICE_60 = {"workloads.voice.latency_budget_ms": 60.0}
CO2_CHANGE = "CO₂ change: average\u00a0·\u00a0marginal"     # no-break spaces: it wraps after "change:"


def headline(changes: dict | None = None) -> dict:
    sc = update_scenario(default_scenario(), changes) if changes else default_scenario()
    return Analysis(sc).headline(relaxed_inputs(sc, 0.0))


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.proto.delta) for m in at.metric}


def kt(x: float) -> str:
    """Tonnes as the hero card writes them, worked out here: -265 kt, +51.4 kt."""
    sign = "-" if x < 0 else "+"
    ax = abs(x)
    for size, unit in ((1e6, "Mt"), (1e3, "kt"), (1, "t")):
        if ax >= size:
            v = ax / size
            digits = max(0, 2 - int(f"{v:e}".split("e")[1]))
            return f"{sign}{v:,.{digits}f} {unit}"
    return "0 t"


def test_explorer_leads_with_the_headline_and_four_numbers():
    at = open_app()
    assert not at.exception, [e.value for e in at.exception]
    h, sc = headline(), default_scenario()
    assert at.markdown[0].value == f"**{headline_sentence(h, 8760.0, 'marginal')}**"
    shown = metrics(at)
    assert list(shown)[:4] == ["Savings vs local", CO2_CHANGE, "Demand moved", "Data basis"]
    assert shown["Savings vs local"][0] == fmt_usd(h["local_cost_usd"] - h["cost_usd"])
    d_avg = h["emissions_avg_t"] - h["local_emissions_avg_t"]
    d_marg = h["emissions_marginal_t"] - h["local_emissions_marginal_t"]
    assert shown[CO2_CHANGE][0] == f"{kt(d_avg)} · {kt(d_marg)}"
    assert shown["Demand moved"][0] == fmt_pct(h["relocated_mw"] / h["demand_mw"])
    basis = data_basis(sc, sc)
    assert shown["Data basis"] == (data_basis_words(basis, "price"), data_basis_words(basis, "capacity"))
    # both signals reconciled, and the marginal one said to be an assumption, at the headline
    carbon = [c.value for c in at.caption if c.value.startswith("Counted with each grid's average intensity")]
    assert carbon and "marginal intensity here is an assumption" in carbon[0]
    # one meaning per name: no average ERoL / CRoL over a mean budget on this page
    assert not [label for label in shown if "ERoL" in label or "CRoL" in label or "budget" in label.lower()]
    assert not any("previous setting" in m.value for m in at.markdown)        # nothing changed yet


def test_delta_vs_previous_after_a_sidebar_change():
    at = open_app()
    by_key(at.select_slider, "budget_voice").set_value(60.0)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    before, after = headline(), headline(VOICE_60)
    delta = [m.value for m in at.markdown if m.value.startswith("**Δ vs your previous setting**")]
    assert len(delta) == 1, [m.value[:60] for m in at.markdown]
    text = delta[0]
    assert "latency budget 25 → 60 ms" in text
    saved = (after["local_cost_usd"] - after["cost_usd"]) - (before["local_cost_usd"] - before["cost_usd"])
    assert f"savings {'+' if saved >= 0 else ''}{fmt_usd(saved)} a year" in text
    assert f"CO₂ {kt(after['emissions_avg_t'] - before['emissions_avg_t'])} on the average signal" in text
    assert f"{kt(after['emissions_marginal_t'] - before['emissions_marginal_t'])} on the marginal" in text
    moved_mw = after["relocated_mw"] - before["relocated_mw"]
    assert f"({'+' if moved_mw >= 0 else ''}{fmt_mw(moved_mw)})" in text
    # and why it moved so little: the cheap regions are full
    why = [c.value for c in at.caption if "full:" in c.value and "longer latency budget" in c.value]
    assert why, [c.value[:80] for c in at.caption]
    # a second change compares with the first change, not with the start
    by_key(at.select_slider, "budget_voice").set_value(25.0)
    at.run()
    text = next(m.value for m in at.markdown if m.value.startswith("**Δ vs your previous setting**"))
    assert "latency budget 60 → 25 ms" in text
    assert f"savings {fmt_usd(-saved) if saved > 0 else '+' + fmt_usd(-saved)}" in text


def test_what_binds_lists_full_regions_and_the_next_milliseconds():
    at = open_app()
    at.session_state["explorer_tab"] = "What binds"
    at.run()
    sc = default_scenario()
    sol = solve_scenario(sc)
    load = sol.x_mw.sum(axis=(0, 2))
    names = {n.id: n.name for n in sc.nodes}
    text = "\n".join(m.value for m in at.markdown)
    at_capacity = [n.id for n, ld in zip(sc.nodes, load) if n.capacity_mw > 0 and ld >= n.capacity_mw - 1e-6]
    assert set(full_regions(sol)["node"]) == set(at_capacity)
    for node in at_capacity:
        cap = next(n.capacity_mw for n in sc.nodes if n.id == node)
        assert f"- {names[node]}: {fmt_mw(cap)} of {fmt_mw(cap)}, $" in text, node
    free = solve_scenario(update_scenario(sc, {"frictions.capacity": False}))
    assert ("- Capacity limits: binds: switching it off would lower the objective by "
            f"{fmt_usd(sol.objective_usd - free.objective_usd)} a year") in text
    # +10 ms on chat: an independent re-solve with chat's budget 60 → 70 ms
    more = solve_scenario(update_scenario(sc, {"workloads.chat.latency_budget_ms": 70.0}))
    value = sol.objective_usd - more.objective_usd
    shown = fmt_usd(value) if abs(value) > 1e-6 * sol.objective_usd else "$0"
    assert f"- +10 ms on Interactive chat (60 ms now): {shown} a year" in text


def test_map_carries_alt_text_written_from_the_results():
    at = open_app()
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 2                              # the wide and the phone view
    caption = next(c.value for c in at.caption if c.value.startswith("Map: "))
    sol = solve_scenario(default_scenario())
    assert f"{fmt_mw(sol.relocated_mw)} of IT power runs away from home" in caption
    for chart in charts:
        assert chart.proto.alt == caption
        assert json.loads(chart.proto.tooltip)["text"] == "{tip}"
    views = [json.loads(c.proto.json)["initialViewState"]["zoom"] for c in charts]
    assert views[1] < views[0]                            # the phone view is zoomed out to hold everything


@pytest.mark.parametrize("colour_by", ["capacity_value", "carbon"])
def test_colour_by_switches_the_region_fill(colour_by):
    at = open_app()
    at.session_state["explorer_colour_by"] = colour_by
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    legend = next(m.value for m in at.markdown if m.value.startswith("<div"))
    assert ("Value of one more MW of capacity" in legend) == (colour_by == "capacity_value")


def test_what_binds_re_solves_only_while_its_tab_is_open():
    at = open_app()
    at.session_state["explorer_tab"] = "Placement"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(c.value.startswith("Open this tab to see the full regions") for c in at.caption)
    assert not any(m.value.startswith("**The next 10 ms**") for m in at.markdown)
    assert at.dataframe                                     # the placement table is there
