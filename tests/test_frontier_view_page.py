"""The Frontier page's table: every Δ and marginal return is computed from the rows it shows,
checked against the table's own budget and savings columns; the notes come from core."""
from __future__ import annotations

import numpy as np
import pytest

from app_support import open_app, page_text, served_scenario
from core.analysis import Analysis
from core.frontier_view import frontier_notes, frontier_table, notes_summary
from core.inputs import model_inputs
from core.scenario import parse_scenario
from pages.common import prose
from test_frontier_view import SMALL


@pytest.fixture
def page(tmp_path, monkeypatch):
    with served_scenario(tmp_path, monkeypatch, SMALL, "small.json"):
        yield open_app(page="frontier")


def number(text: str) -> float:
    return float("nan") if text == "—" else float(text.replace(",", ""))


def check_rows(table) -> None:
    """Δ savings and ERoL of each row from the row shown above it, by the table's own columns."""
    b = table["Budget (ms)"].to_numpy(float)
    savings = table["Savings ($M per year)"].to_numpy(float)
    delta = np.array([number(v) for v in table["Δ savings ($M)"]])
    erol = np.array([number(v) for v in table["ERoL ($M/ms)"]])
    assert np.isnan(delta[0]) and np.isnan(erol[0])
    assert delta[1:] == pytest.approx(np.diff(savings), abs=0.006)
    assert erol[1:] == pytest.approx(np.diff(savings) / np.diff(b), abs=0.006, rel=1e-3)


def test_table_values_come_from_the_rows_shown(page):
    at = page
    table = at.dataframe[0].value
    assert len(table) >= 3
    check_rows(table)
    at.toggle(key="frontier_all_rows").set_value(True).run()
    assert not at.exception
    every = at.dataframe[0].value
    assert len(every) >= len(table)
    check_rows(every)


def test_notes_are_core_notes(page):
    sc = parse_scenario(SMALL)
    f = Analysis(sc).frontier(model_inputs(sc))
    notes = frontier_notes(frontier_table(f), signal=sc.objective.carbon_signal, period_hours=sc.period_hours)
    text = page_text(page)
    assert prose.escape(notes_summary(notes)) in text
    assert "Chart in words: the frontier" in text


def test_layers_page_describes_its_charts(tmp_path, monkeypatch):
    with served_scenario(tmp_path, monkeypatch, SMALL, "small.json"):
        text = page_text(open_app(page="layers"))
        # by hand: at w's 10 ms budget no region is in reach (a–b is about 1,200 km, 23 ms by the
        # distance model; a–c and b–c are further), so all of w runs at home
        assert "Chart in words: one bar per class, split by where its served power runs: w 100% at home, 0% regional, " \
               "0% energy-oriented." in text
        assert "Chart in words: stacked areas of where the served power runs" in text
