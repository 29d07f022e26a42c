"""The shared sidebar: latency budgets, relaxation, frictions, prices, reset and the link.

Every control edits the session's scenario through :func:`pages.common.state.apply_changes`
(validated by ``core.scenario.update_scenario``) in its ``on_change`` callback, so the page that
runs next already sees the new scenario; the session's compiled model re-solves it.
"""
from __future__ import annotations

import streamlit as st

from pages.common import state
from pages.common.theme import fmt_ms

FRICTION_LABELS = {
    "egress": ("Egress fees", "Charge g·e $ per MWh relocated: GB moved per MWh × the egress price."),
    "migration": ("Migration overhead", "Relocated work needs ω more IT energy (state transfer, cache "
                                        "warm-up) and pays the migration fee φ per MWh."),
    "state_locality": ("State locality", "The pinned share σ of each class's demand must run at home "
                                         "(sessions, KV caches, local data)."),
    "legal": ("Legal / data residency", "Residency-bound classes may only run inside their home "
                                        "node's residency zone (EU, IN, ...)."),
    "capacity": ("Capacity limits", "Each compute node takes at most its capacity in MW. Off: unlimited "
                                    "(nodes without capacity still take nothing)."),
    "provider_lock": ("Provider lock", "Work may move only to regions of its own cloud provider (regions "
                                       "without a provider are not limited)."),
}


def _set(path: str, key: str, cast=float) -> None:
    state.apply_changes({path: cast(st.session_state[key])})


def _set_relax(key: str) -> None:
    state.set_relax_ms(st.session_state[key])


def render() -> None:
    """Draw the sidebar (below the page navigation)."""
    sc = state.current_scenario()
    sb = st.sidebar

    sb.caption(f"Scenario: **{sc.name}**" + ("" if sc == state.base_scenario() else " (edited)"))

    sb.markdown("**Latency budgets**")
    for w in sc.workloads:
        key = state.widget_key(f"budget_{w.id}")
        sb.select_slider(
            w.name or w.id, options=state.budget_options_ms(w.latency_budget_ms),
            value=float(w.latency_budget_ms), format_func=fmt_ms, key=key,
            on_change=_set, args=(f"workloads.{w.id}.latency_budget_ms", key),
            help=f"`{w.id}`: extra round trip (ms) allowed between the service node and the compute "
                 "node. Work may run only where the round-trip time is within this budget.")
    top = max(50.0, 50.0 * -(-state.max_useful_budget_ms() // 50))
    key = state.widget_key("relax")
    sb.slider("Relax every budget by Δ (ms)", 0.0, max(top, state.relax_ms()), value=state.relax_ms(),
              step=5.0, format="%.0f ms", key=key, on_change=_set_relax, args=(key,),
              help="Adds Δ ms to every class's budget at once (the uniform relaxation of the "
                   "frontier); the budgets above stay as set.")

    sb.markdown("**Frictions**")
    for name, (label, help_text) in FRICTION_LABELS.items():
        key = state.widget_key(f"friction_{name}")
        sb.toggle(label, value=getattr(sc.frictions, name), key=key, help=help_text,
                  on_change=_set, args=(f"frictions.{name}", key, bool))

    sb.markdown("**Carbon and prices**")
    key = state.widget_key("carbon_signal")
    sb.radio(
        "Carbon signal", ["marginal", "average"], index=["marginal", "average"].index(sc.objective.carbon_signal),
        key=key, format_func=str.capitalize, horizontal=True,
        on_change=_set, args=("objective.carbon_signal", key, str),
        help="Which grid intensity prices carbon and counts as 'emissions': the marginal "
             "(what one more MWh emits) or the average of the grid mix. Both are reported.")
    price = sc.objective.carbon_price_usd_per_t
    key = state.widget_key("carbon_price")
    sb.slider("Carbon price ($/tCO₂)", 0.0, max(500.0, price), value=float(price), step=5.0,
              format="$%.0f", key=key, on_change=_set, args=("objective.carbon_price_usd_per_t", key),
              help="τ: what one tonne of CO₂ on the chosen signal costs in the objective.")
    egress = sc.prices.egress_usd_per_gb
    key = state.widget_key("egress_price")
    sb.slider("Egress price ($/GB)", 0.0, max(0.20, egress), value=float(egress), step=0.005,
              format="$%.3f", key=key, on_change=_set, args=("prices.egress_usd_per_gb", key),
              help="e: what moving one GB between regions costs; applies with the egress friction on.")

    sb.divider()
    sb.button("Reset to default scenario", on_click=state.reset, width="stretch",
              icon=":material/restart_alt:",
              help="Back to the shipped default scenario: every edit, upload and relaxation is undone.")
    with sb.popover("Copy link", width="stretch", icon=":material/link:",
                    help="The address bar always holds this view; copy it from here or from there."):
        url = state.link_url()
        if url:
            st.code(url, language=None, wrap_lines=True)
            st.caption("Opens this page with the same scenario and numbers.")
        else:
            st.write(state.link_note() or "The link is being prepared.")
    note = state.link_note()
    if note:
        sb.caption(f":material/link_off: {note}")

