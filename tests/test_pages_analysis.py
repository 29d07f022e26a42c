"""The analysis pages (frontier, layers, break-even, frictions, digital vs physical, presentation)
run from the app's entry point without exceptions and show core's numbers for the same scenario."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app_support import capture_downloads, open_app, served_scenario
from core.analysis import Analysis
from core.inputs import model_inputs
from core.metrics import break_even, pair_break_even_terms
from core.narrative import erol_sentence, friction_sentence, pct_words
from core.physical import digital_vs_physical, load_hvdc_reference
from core.presentation_export import external_references
from core.scenario import parse_scenario
from pages.common import prose
from pages.common.theme import fmt_mw, fmt_pct, fmt_t, fmt_usd, fmt_usd_per_mwh, fmt_usd_per_ms

SCENARIO = {
    "schema_version": 1, "name": "pages test",
    "nodes": [
        {"id": "fra", "name": "Frankfurt", "lat": 50.1, "lon": 8.7, "residency_zone": "EU", "price_usd_per_mwh": 120,
         "carbon_avg_g_per_kwh": 350, "carbon_marginal_g_per_kwh": 500, "pue": 1.2, "capacity_mw": 100},
        {"id": "sto", "name": "Stockholm", "lat": 59.3, "lon": 18.1, "residency_zone": "EU", "price_usd_per_mwh": 40,
         "carbon_avg_g_per_kwh": 30, "carbon_marginal_g_per_kwh": 100, "pue": 1.1, "capacity_mw": 50},
        {"id": "iowa", "name": "Iowa", "lat": 41.6, "lon": -93.6, "price_usd_per_mwh": 50,
         "carbon_avg_g_per_kwh": 400, "carbon_marginal_g_per_kwh": 700, "pue": 1.15, "capacity_mw": 200},
        {"id": "virg", "name": "Virginia", "lat": 39.0, "lon": -77.5, "price_usd_per_mwh": 90,
         "carbon_avg_g_per_kwh": 320, "carbon_marginal_g_per_kwh": 600, "pue": 1.15, "capacity_mw": 300},
    ],
    "workloads": [
        {"id": "chat", "name": "Chat", "latency_budget_ms": 40, "state_pinned_share": 0.2, "gb_per_mwh": 40,
         "migration_overhead": 0.03, "residency_bound": True},
        {"id": "batch", "name": "Batch", "latency_budget_ms": 200, "gb_per_mwh": 5, "migration_overhead": 0.01},
    ],
    "demand": [{"node": "fra", "workload": "chat", "mw": 40}, {"node": "fra", "workload": "batch", "mw": 30},
               {"node": "virg", "workload": "chat", "mw": 60}, {"node": "sto", "workload": "batch", "mw": 10}],
    "prices": {"egress_usd_per_gb": 0.05, "migration_usd_per_mwh": 2.0, "unserved_usd_per_mwh": 10000.0},
}


@pytest.fixture
def scenario_file(tmp_path, monkeypatch):
    with served_scenario(tmp_path, monkeypatch, SCENARIO, "pages_test.json") as path:
        yield path


@pytest.fixture
def core():
    sc = parse_scenario(SCENARIO)
    an = Analysis(sc)
    inp = model_inputs(sc)
    return sc, an, inp


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_frontier_page(scenario_file, core):
    sc, an, inp = core
    at = open_app(page="frontier")
    h, f = an.headline(inp), an.frontier(inp)
    m = metrics(at)
    assert m["Savings now ($ per year)"] == fmt_usd(h["savings_usd"])
    assert m["Carbon savings now (tCO2 per year)"] == fmt_t(h["carbon_savings_t"])
    assert m["Savings, widest budget ($ per year)"] == fmt_usd(f["savings_usd"].iloc[-1])
    assert m["Average ERoL, whole frontier ($/ms)"] == fmt_usd_per_ms(f["erol_avg_usd_per_ms"].iloc[-1])
    assert prose.escape(erol_sentence(f, sc.period_hours)) in texts(at)
    table = at.dataframe[0].value
    assert table["Budget (ms)"].iloc[0] == 0.0
    assert set(table["Budget (ms)"]) <= set(f["budget_ms"])
    # the savings column is core's, in $M
    last = table.iloc[-1]
    assert last["Savings ($M per year)"] == pytest.approx(
        f.set_index("budget_ms").loc[last["Budget (ms)"], "savings_usd"] / 1e6)

    at.selectbox(key="frontier_workload").set_value("chat").run()
    assert not at.exception
    fc = an.frontier(inp, workload="chat")
    assert metrics(at)["Savings, widest budget ($ per year)"] == fmt_usd(fc["savings_usd"].iloc[-1])
    at.segmented_control(key="frontier_view").set_value("levels").run()
    assert not at.exception


def test_layers_page(scenario_file, core):
    _, an, inp = core
    at = open_app(page="layers")
    layers = an.layers(inp).groupby("layer")["mw"].sum()
    m = metrics(at)
    assert m["Local, at home (MW)"] == fmt_mw(layers["local"])
    assert m["Regional (MW)"] == fmt_mw(layers["regional"])
    assert m["Energy-oriented (MW)"] == fmt_mw(layers["energy-oriented"])
    at.selectbox(key="layers_workload").set_value("batch").run()
    assert not at.exception


def test_break_even_page(scenario_file, core):
    sc, _, inp = core
    at = open_app(page="break_even")
    be = break_even(inp, "chat")
    m = metrics(at)
    assert m["Pairs the mask allows"] == f"{int(be['allowed'].sum()):,} of {len(be):,}"
    s, r = at.selectbox(key="be_service").value, at.selectbox(key="be_compute").value
    terms = pair_break_even_terms(inp, "chat", s, r)
    assert m["Net benefit ($/MWh)"] == fmt_usd_per_mwh(terms["net_benefit_usd_per_mwh"])
    assert m["Transfer cost g·e + φ ($/MWh)"] == fmt_usd_per_mwh(terms["transfer_usd_per_mwh"])

    at.selectbox(key="be_workload").set_value("batch").run()
    at.selectbox(key="be_service").set_value("virg").run()
    at.selectbox(key="be_compute").set_value("iowa").run()
    assert not at.exception
    terms = pair_break_even_terms(inp, "batch", "virg", "iowa")
    assert metrics(at)["Net benefit ($/MWh)"] == fmt_usd_per_mwh(terms["net_benefit_usd_per_mwh"])
    assert len(at.get("plotly_chart")) == 3


def test_frictions_page(scenario_file, core):
    _, an, inp = core
    at = open_app(page="frictions")
    wf = an.waterfall(inp)
    m = metrics(at)
    assert m["Potential savings ($ per year)"] == fmt_usd(wf["savings_usd"].iloc[0])
    assert m["Realized savings ($ per year)"] == fmt_usd(wf["savings_usd"].iloc[-1])
    assert m["Kept by the frictions (%)"] == fmt_pct(wf["savings_usd"].iloc[-1] / wf["savings_usd"].iloc[0])
    assert prose.escape(friction_sentence(wf)) in texts(at)


def test_physical_page(scenario_file, core):
    _, an, inp = core
    at = open_app(page="physical")
    summary, _ = digital_vs_physical(an.solve(inp), load_hvdc_reference(line="uhvdc_800kv"))
    m = metrics(at)
    assert m["Facility power (MW)"] == fmt_mw(summary["relocated_facility_mw"])
    assert m["Egress paid ($ per year)"] == fmt_usd(summary["egress_usd"])
    at.radio(key="physical_line").set_value("hvdc_500kv").run()
    assert not at.exception
    summary, _ = digital_vs_physical(an.solve(inp), load_hvdc_reference(line="hvdc_500kv"))
    assert metrics(at)["HVDC capex, one-off ($)"] == fmt_usd(summary["hvdc_capex_usd"])


def test_presentation_page_and_export(scenario_file, core, monkeypatch):
    _, an, inp = core
    saved = capture_downloads(monkeypatch, ".html")
    at = open_app(page="presentation")
    h = an.headline(inp)
    m = metrics(at)
    assert m["Savings ($ per year)"] == fmt_usd(h["savings_usd"])
    assert m["Demand moved (% of IT load)"] == pct_words(h["relocated_share"])
    assert len(at.get("plotly_chart")) == 0                  # the title slide: numbers, no chart

    assert saved == {}                                       # built only when asked
    at.button(key="pres_build").click().run()
    assert not at.exception
    assert list(saved) == ["elf-presentation-pages-test.html"]
    html = saved["elf-presentation-pages-test.html"].decode("utf-8")
    assert external_references(html) == []
    assert '<script src="http' not in html.lower() and "cdn.plot.ly" not in html.split("<body>")[1]
    assert html.count("Plotly.newPlot") == 4              # frontier, waterfall, layers, map slides
    assert fmt_usd(h["savings_usd"]) in html
    assert len(html) > 1_000_000          # plotly.js is inside the file
