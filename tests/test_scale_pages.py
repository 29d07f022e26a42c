"""The frontier pages at scale: a scenario with more breakpoints than
``core.frontier_view.EXACT_AT_ONCE_MAX_BREAKPOINTS`` draws the frontier at a few budgets first
(each point the frontier at that budget), then the exact frontier, with a progress bar over each
computation; the default scenario draws the exact one at once; the Presentation builds its deck
only when asked. A generated 60-node scenario (1,770 breakpoints) with the rule's limit lowered
stands for the large ones, so the suite stays fast."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from app_support import capture_downloads, open_app, served_default, served_scenario
from bench.scenarios import generated_scenario
from core import presentation_export
from core.analysis import Analysis
from core.frontier_view import COARSE_BUDGETS, EXACT_AT_ONCE_MAX_BREAKPOINTS, step_rows
from core.inputs import model_inputs
from core.scenario import default_scenario
from pages.common import charts, state

LIMIT = 500          # breakpoints: below the 60-node scenario's, so it takes the large scenarios' path


@pytest.fixture(scope="module")
def sixty():
    """The 60-node scenario, its inputs and its exact frontier, computed here on a fresh Analysis."""
    sc = generated_scenario(60, seed=0)
    inp = model_inputs(sc)
    exact = Analysis(sc).frontier(inp)
    assert len(exact) > LIMIT
    return sc, inp, exact


@pytest.fixture
def recorded(monkeypatch):
    """The frontiers the pages draw (the DataFrames handed to the two frontier charts) and the
    texts of the progress bars they show, in order."""
    seen = {"frontiers": [], "bars": [], "shares": []}
    monkeypatch.setattr(state, "_EXACT_READY", {})       # as the caches, which the tests clear: none computed
    for name in ("frontier_levels_figure", "layers_frontier_figure"):
        original = getattr(charts, name)

        def keep(df, *args, _original=original, **kwargs):
            seen["frontiers"].append(df.copy())
            return _original(df, *args, **kwargs)

        monkeypatch.setattr(charts, name, keep)
    bar = state.progress_bar

    def keep_bar(text):
        seen["bars"].append(text)
        context = bar(text)

        class Recording:
            def __enter__(self):
                update = context.__enter__()
                return lambda share: (seen["shares"].append(share), update(share))[1]

            def __exit__(self, *exc):
                return context.__exit__(*exc)

        return Recording()

    monkeypatch.setattr(state, "progress_bar", keep_bar)
    return seen


COLUMNS = ("objective_usd", "cost_usd", "savings_usd", "rid")
"""What every optimum of a budget shares (an LP can have several optimal placements, which split the
served MW and emissions differently: the page's warm model and a fresh one may reach different ones)."""
ALL_COLUMNS = COLUMNS + ("carbon_savings_t", "emissions_avg_t", "relocated_share", "local_mw", "regional_mw",
                         "energy_oriented_mw", "unserved_mw")


def same_steps(drawn: pd.DataFrame, expected: pd.DataFrame, columns=COLUMNS) -> None:
    """``drawn`` read as a step function (the value at b: its last row at or below b) gives every
    row of ``expected``, from rows at ``expected``'s budgets, its first and last included."""
    b, e = drawn["budget_ms"].to_numpy(), expected["budget_ms"].to_numpy()
    assert np.isclose(b[0], e[0]) and np.isclose(b[-1], e[-1])
    assert np.isclose(b[:, None], e[None, :]).any(axis=1).all()
    at = np.searchsorted(b, e + 1e-9, side="right") - 1
    for column in columns:
        assert np.allclose(drawn[column].to_numpy()[at], expected[column].to_numpy(), rtol=1e-6, atol=1e-3), column


def test_step_rows_draw_the_same_steps(sixty):
    _, _, exact = sixty
    kept = step_rows(exact)
    assert len(kept) < len(exact)
    same_steps(kept, exact, ALL_COLUMNS)


@pytest.mark.parametrize("page", ["frontier", "layers"])
def test_a_large_frontier_is_drawn_at_a_few_budgets_then_exactly(tmp_path, monkeypatch, sixty, recorded, page):
    sc, inp, exact = sixty
    monkeypatch.setattr(state, "EXACT_AT_ONCE_MAX_BREAKPOINTS", LIMIT)
    with served_scenario(tmp_path, monkeypatch, json.loads(sc.to_json()), "sixty.json"):
        at = open_app(page=page)
        first, last = recorded["frontiers"][0], recorded["frontiers"][-1]
        # first: the frontier at COARSE_BUDGETS budgets evenly spaced over the exact frontier's range
        # (drawn as its steps)
        grid = np.linspace(0.0, float(exact["budget_ms"].max()), COARSE_BUDGETS)
        same_steps(first, Analysis(sc).frontier(inp, list(grid)))
        # then, after the exact frontier was computed under a progress bar: the exact frontier's steps
        same_steps(last, exact)
        assert any("being computed" in text for text in recorded["bars"])
        assert recorded["shares"] and all(0.0 <= s <= 1.0 for s in recorded["shares"])
        text = "\n".join(c.value for c in at.caption)
        assert f"{len(exact):,} breakpoints" in text and "being computed" not in text
        # the next open (another session) finds the exact frontier in the cache: no coarse step
        recorded["frontiers"].clear()
        open_app(page=page)
        assert len(recorded["frontiers"]) == 1
        same_steps(recorded["frontiers"][0], exact)


def test_the_default_scenario_draws_the_exact_frontier_at_once(monkeypatch, recorded):
    sc = default_scenario()
    exact = Analysis(sc).frontier(model_inputs(sc))
    assert len(exact) <= EXACT_AT_ONCE_MAX_BREAKPOINTS      # the rule: at most this many, exact at once
    with served_default(monkeypatch):
        open_app(page="frontier")
    assert len(recorded["frontiers"]) == 1
    same_steps(recorded["frontiers"][0], exact)
    assert recorded["bars"][0].startswith("Solving the exact frontier")
    assert not any("being computed" in text for text in recorded["bars"])


def test_the_deck_is_built_only_when_asked(tmp_path, monkeypatch, sixty, recorded):
    sc, _, exact = sixty
    monkeypatch.setattr(state, "EXACT_AT_ONCE_MAX_BREAKPOINTS", LIMIT)
    builds = []
    build = presentation_export.presentation_html
    monkeypatch.setattr(presentation_export, "presentation_html", lambda talk: builds.append(1) or build(talk))
    with served_scenario(tmp_path, monkeypatch, json.loads(sc.to_json()), "sixty.json"):
        saved = capture_downloads(monkeypatch, ".html")
        at = open_app(page="presentation")
        assert builds == [] and saved == {} and not at.get("download_button")
        assert any("being computed" in text for text in recorded["bars"])   # the slides' frontier
        at.button(key="pres_build").click().run()
        assert not at.exception and builds == [1] and len(saved) == 1
        doc = next(iter(saved.values())).decode("utf-8")
        assert f"{len(exact):,} breakpoints" in doc
        # the same settings on the next run: the deck is kept, not built again
        at.button(key="pres_next").click().run()
        assert builds == [1] and at.get("download_button")
        assert "pres_build" not in [b.key for b in at.button]
