"""The switch between the annual model and the hourly model on the Frontier, Execution layers
and Frictions pages (a scenario with a time block), and the caption that says what the hourly
numbers are."""
from __future__ import annotations

import streamlit as st

from core import time_view
from core.narrative import settings_sentence
from core.scenario import Scenario, frictions_shown
from core.time_metrics import hourly_model_words
from pages.common import prose, state


def typical_days_k(sc: Scenario) -> int | None:
    """K of the hourly mode (:data:`core.time_view.TYPICAL_DAYS`, at most the horizon's days);
    None without a time block or when it is not whole days in blocks of 24 periods."""
    tb = sc.time
    if tb is None or tb.periods % 24 or tb.block_length != 24:
        return None
    return min(time_view.TYPICAL_DAYS, tb.periods // 24)


def model_switch(sc: Scenario, key: str) -> str:
    """The page's "Model" control: "annual" (the default) or "hourly"; "annual" without it (no
    time block, or one without typical days, which a caption then says)."""
    k = typical_days_k(sc)
    if sc.time is None:
        return "annual"
    if k is None:
        st.caption("This scenario's time block is not whole days in blocks of 24 periods, so it has no typical days: "
                   "this page shows the annual averages; the Time page solves its every period.")
        return "annual"
    return st.segmented_control(
        "Model", ["annual", "hourly"], default="annual", key=key, required=True,
        format_func={"annual": "Annual averages", "hourly": f"Hourly ({k} typical days)"}.get,
        help=f"Annual averages: the single-period model on each region's annual prices and carbon. Hourly: the "
             f"time-resolved model on {k} typical days, every hour with its own prices, carbon and demand, deferrable "
             "work may wait; annual totals over the periods (docs/model.md, Time-resolved mode; the Time page).")


def hourly_caption(res: time_view.TimeResult, extra: str = "") -> None:
    """A caption: what the hourly numbers are (:func:`core.time_metrics.hourly_model_words` of
    ``res``, a typical-days :func:`state.time_result`), ``extra``, and the settings they use."""
    sc, inp = state.current_scenario(), state.current_inputs()
    off = [f for f in frictions_shown(sc) if not inp.friction(f)]
    words = " ".join(w for w in (hourly_model_words(res.run.inputs, res.info), extra,
                                 settings_sentence(inp.carbon_price_usd_per_t, inp.carbon_signal, off, state.relax_ms()))
                     if w)
    st.caption(prose.escape(words))
