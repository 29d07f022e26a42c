"""The Presentation says what produced its numbers and never contradicts itself: on non-default
settings (carbon price $100/t on the average signal, capacity and residency off, every budget
+10 ms) every number and sentence of each slide and of the exported HTML deck agrees with the
engine solved on those settings, the waterfall ends at the headline savings, and the settings
panel and the link say how to get them back."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from app_support import capture_downloads, open_app, served_default
from core.analysis import Analysis, relaxed_inputs
from core.briefing import carbon_signals_sentence
from core.model import solve_scenario
from core.narrative import (corridors_sentence, friction_sentence, headline_sentence, layers_sentence, ms_words,
                            pct_words, significant, tonnes_words, usd_words)
from core.presentation_export import external_references
from core.scenario import FRICTIONS, default_scenario, update_scenario, with_budgets_ms
from core.share import ShareState, apply_state, decode_state, encode_state
from pages.common.theme import fmt_t, fmt_usd

REGIONS = Path(__file__).resolve().parent.parent / "data" / "regions.csv"
RELAX_MS = 10.0
SETTINGS = {"objective.carbon_price_usd_per_t": 100.0, "objective.carbon_signal": "average",
            "frictions.capacity": False, "frictions.legal": False}
OFF = [f for f in FRICTIONS if SETTINGS.get(f"frictions.{f}", True) is False]   # legal, capacity
N_SLIDES = 7


@pytest.fixture(scope="module")
def engine():
    """The engine on the same settings, solved here (not the page's cached values)."""
    sc = update_scenario(default_scenario(), SETTINGS)
    an = Analysis(sc)
    inp = relaxed_inputs(sc, RELAX_MS)
    relaxed = update_scenario(sc, {f"workloads.{w.id}.latency_budget_ms": w.latency_budget_ms + RELAX_MS
                                   for w in sc.workloads})
    sol, local = solve_scenario(relaxed), solve_scenario(with_budgets_ms(relaxed, 0))
    return {"sc": sc, "an": an, "inp": inp, "h": an.headline(inp), "sol": sol, "local": local,
            "savings": local.cost_usd - sol.cost_usd}


@pytest.fixture(scope="module")
def deck(engine):
    """Every slide of the page, reached with the Next button, and the downloaded HTML deck."""
    with pytest.MonkeyPatch.context() as mp, served_default(mp):
        saved = capture_downloads(mp, ".html")
        at = open_app(link=encode_state(ShareState(changes=SETTINGS, relax_ms=RELAX_MS)), page="presentation",
                      timeout=240)
        slides = []
        for i in range(N_SLIDES):
            assert not at.exception, [e.value for e in at.exception]
            slides.append({
                "heading": [e.value for e in (at.title if i == 0 else at.header)],
                "metrics": {m.label: m.value for m in at.metric},
                "text": "\n".join(m.value for m in at.markdown) + "\n" + "\n".join(c.value for c in at.caption),
                "charts": [json.loads(c.proto.spec) for c in at.get("plotly_chart")],
                "links": [p.value for p in at.page_link],
                "counter": f"Slide {i + 1} of {N_SLIDES}",
            })
            if i < N_SLIDES - 1:
                at.button(key="pres_next").click().run()
        assert at.button(key="pres_next").disabled
        at.button(key="pres_prev").click().run()
        assert f"**Slide {N_SLIDES - 1} of {N_SLIDES}**" in [m.value for m in at.markdown]
        assert saved == {}                         # the deck is built only when asked
        at.button(key="pres_build").click().run()
        assert not at.exception, [e.value for e in at.exception]
    assert len(saved) == 1
    return slides, saved.popitem()[1].decode("utf-8")


def md(text: str) -> str:
    """How a sentence appears in the page's Markdown (escaped as pages.common.prose does)."""
    return html.escape(text).replace("$", "&#36;")


def basis_words(flag_column: str, noun: str) -> str:
    """"prices: 6 measured, 25 estimated", counted here from data/regions.csv (no region is edited)."""
    counts = pd.read_csv(REGIONS)[flag_column].value_counts()
    words = {"measured": "measured", "estimate": "estimated", "assumption": "assumed"}
    return f"{noun}: " + ", ".join(f"{int(counts[f])} {w}" for f, w in words.items() if f in counts)


def test_title_slide_numbers_and_sentences(engine, deck):
    slides, _ = deck
    h, savings, local, sol = engine["h"], engine["savings"], engine["local"], engine["sol"]
    title = slides[0]
    assert_allclose(h["savings_usd"], savings, rtol=1e-7)
    m = title["metrics"]
    assert m["Savings ($ per year)"] == fmt_usd(savings)
    signed = lambda x: ("+" if x > 0 else "") + fmt_t(x)
    assert m["CO₂ change, average signal (per year)"] == signed(sol.emissions_avg_t - local.emissions_avg_t)
    assert m["CO₂ change, marginal signal (per year)"] == signed(sol.emissions_marginal_t - local.emissions_marginal_t)
    assert m["Demand moved (% of IT load)"] == pct_words(sol.relocated_share)
    text = title["text"]
    # the data basis beside the headlines
    assert md(basis_words("price_flag", "prices")) in text
    assert md(basis_words("capacity_flag", "capacities")) in text
    assert md(basis_words("carbon_marginal_flag", "marginal carbon intensities")) in text
    # both carbon signals with their percentages, and that the average is the one priced
    avg_cut = (local.emissions_avg_t - sol.emissions_avg_t) / local.emissions_avg_t
    marg_cut = (local.emissions_marginal_t - sol.emissions_marginal_t) / local.emissions_marginal_t
    assert avg_cut > 0 and marg_cut > 0
    assert md(f"{pct_words(avg_cut)} lower than at home (the signal priced at $100/tCO2)") in text
    assert md(f"{pct_words(marg_cut)} lower than at home; marginal carbon") in text
    assert md(carbon_signals_sentence(h)) in text
    assert md(f"fall by {tonnes_words(local.emissions_avg_t - sol.emissions_avg_t)} ({pct_words(avg_cut)})") in text
    assert md(headline_sentence(h, 8760.0, "average")) in text
    assert md(f"saves {usd_words(savings)} a year") in text
    assert md("Computed with a carbon price of $100 per tonne of CO2 on the average grid intensity, "
              "data residency and capacity limits switched off, and every latency budget raised by 10 ms.") in text
    assert "**Slide 1 of 7**" in text


def test_settings_slide_and_link(engine, deck):
    slides, _ = deck
    s = slides[1]
    assert s["heading"] == ["The settings behind every number"]
    text = s["text"]
    for label, value in [("Carbon price", "$100/tCO2 on the average grid intensity"),
                         ("Frictions", "egress fees on, migration overhead on, state locality on, data residency off, "
                                       "capacity limits off"),
                         ("Relaxation Δ", "every budget + 10 ms"), ("Egress price", "$0.020/GB"),
                         ("Scenario", engine["sc"].name)]:
        assert f'<th scope="row">{md(label)}</th><td>{md(value)}</td>' in text
    assert re.search(r"<th scope=\"row\">Computed</th><td>\d{4}-\d\d-\d\d \d\d:\d\d UTC</td>", text)
    assert "capacity limits on → off" in text and "carbon signal marginal → average" in text
    # the link reopens exactly these settings
    link = re.search(r"\]\(([^)\s]+)\)", text).group(1)
    state = decode_state(parse_qs(urlparse(link).query)["s"][0])
    assert apply_state(default_scenario(), state) == engine["sc"] and state.relax_ms == RELAX_MS
    assert state.page == "presentation"
    assert slides[0]["links"] == ["Back to the Explorer"]


def test_frontier_slide(engine, deck):
    slides, _ = deck
    sc, an, inp = engine["sc"], engine["an"], engine["inp"]
    low = min(w.latency_budget_ms for w in sc.workloads) + RELAX_MS
    high = min(max(w.latency_budget_ms for w in sc.workloads) + RELAX_MS, float(an.frontier(inp)["budget_ms"].max()))

    def uniform_savings(b):
        u = with_budgets_ms(sc, b)
        return solve_scenario(with_budgets_ms(u, 0)).cost_usd - solve_scenario(u).cost_usd

    text = slides[2]["text"]
    expected = (f"every class at {ms_words(low)}: {usd_words(uniform_savings(low))}; every class at {ms_words(high)}: "
                f"{usd_words(uniform_savings(high))}; today's per-class budgets (each + 10 ms): "
                f"{usd_words(engine['savings'])}.")
    assert md(expected) in text


def test_waterfall_slide_ends_at_the_headline_savings(engine, deck):
    slides, _ = deck
    s = slides[3]
    assert s["heading"] == ["Saving that survives frictions"]
    (chart,) = s["charts"]
    bars = chart["data"][0]
    assert bars["type"] == "waterfall" and bars["measure"][-1] == "total"
    assert [x.replace("− ", "") for x in bars["x"][1:-1]] == ["Egress", "Migration", "State locality"]
    assert_allclose(bars["y"][-1], engine["savings"], rtol=1e-6)
    assert_allclose(bars["y"][0] + sum(bars["y"][1:-1]), engine["savings"], rtol=1e-6)
    wf = engine["an"].waterfall(engine["inp"])
    text = s["text"]
    assert md(friction_sentence(wf, OFF)) in text
    assert md(f"{usd_words(engine['savings'])} of {usd_words(wf['savings_usd'].iloc[0])}") in text
    assert "Data residency and capacity limits are switched off and not part of this." in text


def test_layers_map_and_sources_slides(engine, deck):
    slides, _ = deck
    sc, sol, names = engine["sc"], engine["sol"], {n.id: n.name or n.id for n in engine["sc"].nodes}
    assert md(layers_sentence(engine["an"].layers(engine["inp"]), sc.regional_ms,
                              names | {w.id: w.name or w.id for w in sc.workloads})) in slides[4]["text"]
    away = sol.placement[sol.placement["service"] != sol.placement["compute"]]
    corridors = away.groupby(["service", "compute"], as_index=False)["mw"].sum().sort_values("mw", ascending=False)
    assert_allclose(corridors["mw"].sum(), sol.relocated_mw, rtol=1e-9)
    text = slides[5]["text"]
    assert md(corridors_sentence(corridors, names)) in text
    assert md(f"{significant(sol.relocated_mw)} MW of IT power runs away from home along {len(corridors)} corridors") in text
    (geo,) = slides[5]["charts"]
    assert all(t["type"] == "scatter" for t in geo["data"])             # plain axes: no geo subplot, no tiles
    top = corridors.iloc[0]
    assert any(t.get("name", "").startswith(f"1. {names[top['service']]} → {names[top['compute']]}") for t in geo["data"])
    sources = slides[6]["text"]
    assert f"<th scope=\"row\">Prices</th><td>{basis_words('price_flag', 'x')[3:]}</td>" in sources
    assert "data residency and capacity limits switched off" in sources
    assert [s["heading"][0] for s in slides] == [
        "AI inference as relocatable electricity demand", "The settings behind every number", "What latency buys",
        "Saving that survives frictions", "Workloads sort into layers", "Where the work moves", "Sources and settings"]


def test_export_is_a_self_contained_deck_with_the_same_numbers(engine, deck):
    slides, doc = deck
    assert external_references(doc) == []
    assert "cdn.plot.ly" not in doc.split("<body>")[1] and len(doc) > 1_000_000
    assert doc.count("<section class=\"slide") == N_SLIDES and doc.count("Plotly.newPlot") == 4
    for key in ("ArrowRight", "ArrowLeft", "PageUp", "PageDown", 'id="deck-next"', 'id="deck-prev"',
                f"Slide 1 of {N_SLIDES}"):
        assert key in doc
    h, savings = engine["h"], engine["savings"]
    for text in (fmt_usd(savings), fmt_t(-h["carbon_savings_avg_t"]), fmt_t(-h["carbon_savings_marginal_t"]),
                 carbon_signals_sentence(h), friction_sentence(engine["an"].waterfall(engine["inp"]), OFF),
                 basis_words("price_flag", "prices"), basis_words("capacity_flag", "capacities"),
                 "$100/tCO2 on the average grid intensity", "data residency off", "capacity limits off",
                 "every budget + 10 ms"):
        assert html.escape(text) in doc, text
    # the same link as text and as an <a>
    link = re.search(r'<a href="([^"]+)">([^<]+)</a>', doc)
    assert link and html.unescape(link.group(1)) == html.unescape(link.group(2))
    state = decode_state(parse_qs(urlparse(html.unescape(link.group(1))).query)["s"][0])
    assert apply_state(default_scenario(), state) == engine["sc"] and state.relax_ms == RELAX_MS
    # the exported waterfall ends at the headline savings too
    call = re.search(r'Plotly\.newPlot\(\s*"chart-3",\s*', doc)
    data, _ = json.JSONDecoder().raw_decode(doc, call.end())
    assert data[0]["type"] == "waterfall"
    assert_allclose(data[0]["y"][-1], savings, rtol=1e-6)
