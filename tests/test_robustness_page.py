"""The Robustness page (AppTest) on the default scenario: 20 draws set through the widget and run;
the headline sentence and the p5/p50/p95 metrics equal SweepResult.summary() of the same sweep
computed here; the Presentation gets its slide after the sweep; a run cancelled after two batches
(cancelled() turning True) keeps its partial result on the page, says so, and is not cached."""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

from app_support import capture_downloads, keep_navigation_mode, no_exception, open_app, served_default
from core.analysis import Analysis, relaxed_inputs
from core.catalogue import load, shipped
from core.narrative import usd_words
from core.sweep import quantile_summary, sweep
from pages.common import state
from pages.common.theme import fmt_usd

DRAWS, SEED = 20, 1


@pytest.fixture(autouse=True)
def default_scenario(monkeypatch):
    keep_navigation_mode(monkeypatch)
    with served_default(monkeypatch):
        yield


@pytest.fixture(scope="module")
def reference():
    """The same sweep, run here: the default scenario (no relaxation), 20 draws, seed 1."""
    return sweep(load(shipped(), "default"), DRAWS, SEED, scheduler="in-process")


def run_sweep(at, band: bool = True):
    at.selectbox(key="robustness_draws").set_value(DRAWS)
    at.number_input(key="robustness_seed").set_value(SEED)
    at.toggle(key="robustness_band").set_value(band)
    at.button(key="robustness_run").click()
    at.run(timeout=300)
    no_exception(at)
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def text_of(at) -> str:
    return html.unescape("\n".join(m.value for m in at.markdown)).replace("\\$", "$")


def test_a_run_shows_the_sweeps_numbers_and_reaches_the_presentation(reference, monkeypatch):
    at = open_app(page="robustness", timeout=300)
    assert any("Press Run" in i.value for i in at.info), "nothing runs before Run is pressed"
    run_sweep(at)
    q = reference.summary()["savings_usd"]
    text = text_of(at)
    sentence = (f"In 90 % of {DRAWS} draws, relocation saves between {usd_words(q['p5'])} and "
                f"{usd_words(q['p95'])} a year")
    assert sentence in text, text[:1500]
    m = metrics(at)
    assert m["Savings, p5 ($ per year)"] == fmt_usd(q["p5"])
    assert m["Savings, median ($ per year)"] == fmt_usd(q["p50"])
    assert m["Savings, p95 ($ per year)"] == fmt_usd(q["p95"])
    sc = load(shipped(), "default")
    assert m["Undrawn setting ($ per year)"] == fmt_usd(Analysis(sc).headline(relaxed_inputs(sc))["savings_usd"])
    assert not at.warning, [w.value for w in at.warning]
    assert {"How far the answer moves", "What the savings hang on", "The frontier, drawn", "Which corridors hold up",
            "Does one pair's relocation pay?"} <= {s.value for s in at.subheader}
    assert "Relocation pays" in m and "The optimum uses the pair" in m

    at.switch_page("pages/presentation.py").run(timeout=300)
    no_exception(at)
    at.session_state["pres_slide"] = 3
    at.run(timeout=300)
    no_exception(at)
    assert [h.value for h in at.header] == ["How sure is the answer"]
    assert sentence in text_of(at)
    notes = " ".join(c.value for c in at.caption)
    design = f"{DRAWS} draws of {len(reference.inputs)} uncertain inputs, seed {SEED}"
    assert design in notes and "data/SOURCES.md" in notes

    saved = capture_downloads(monkeypatch, ".html")            # the HTML export carries the same slide
    at.button(key="pres_build").click().run(timeout=300)
    no_exception(at)
    (name,) = saved
    deck = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", saved[name].decode("utf-8"))).split())
    assert "How sure is the answer" in deck and sentence in deck and design in deck
    assert f"Ranges: {len(reference.inputs)} uncertain inputs" in deck and "Latin hypercube" in deck


def test_a_cancelled_run_keeps_its_partial_result_and_is_not_cached(reference, monkeypatch):
    real = state.sweep_iter
    asked = []

    def cancelled_after_two_batches(*args, cancelled=None, **kwargs):
        def cancelled_now():
            asked.append(1)
            return len(asked) > 2          # asked before each batch in this process: two batches run
        return real(*args, cancelled=cancelled_now, **kwargs)

    monkeypatch.setattr(state, "sweep_iter", cancelled_after_two_batches)
    at = open_app(page="robustness", timeout=300)
    run_sweep(at, band=False)
    done = 10                              # 20 draws in batches of 5 (core.sweep.batch_draws): two batches
    warnings = [w.value for w in at.warning]
    assert any(f"Cancelled after {done} of {DRAWS} draws" in w for w in warnings), warnings
    first = quantile_summary(reference.draws["savings_usd"].to_numpy()[:done])
    m = metrics(at)
    assert m["Savings, p5 ($ per year)"] == fmt_usd(first["p5"])
    assert m["Savings, p95 ($ per year)"] == fmt_usd(first["p95"])
    assert f"In 90 % of {done} draws" in text_of(at)
    at.run(timeout=300)                    # another rerun: the partial result is still shown
    assert m == metrics(at)

    monkeypatch.setattr(state, "sweep_iter", real)
    run_sweep(at, band=False)              # not cached: Run solves every draw this time
    assert not at.warning, [w.value for w in at.warning]
    assert metrics(at)["Savings, p95 ($ per year)"] == fmt_usd(np.quantile(reference.draws["savings_usd"], 0.95))
