"""The shared sidebar: the scenario picker, latency budgets, relaxation, frictions, prices, reset
and the link.

Every control edits the session's scenario through :func:`pages.common.state.apply_changes`
(validated by ``core.scenario.update_scenario``) in its ``on_change`` callback, so the page that
runs next already sees the new scenario; the session's compiled model re-solves it. Picking
another shipped scenario discards the session's edits and upload, so with edits it asks first.
"""
from __future__ import annotations

import streamlit as st

from core.briefing import edit_lines
from core.scenario import ScenarioError
from pages.common import state
from pages.common.theme import fmt_ms

PICK = "sidebar_scenario_pick"      # the picker: one key for good, so a switch redraws it in place
PENDING = "sidebar_pick_pending"   # the scenario id a pick waits to switch to, while it asks first

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


def _edits() -> list[str]:
    """The session's work a switch would discard: its edits (and upload) against the picked scenario."""
    return edit_lines(state.default_scenario(), state.current_scenario())


def _switch(new_id: str) -> None:
    st.session_state.pop(PENDING, None)
    try:
        state.pick_scenario(new_id)
    except ScenarioError as exc:
        state.add_message("error", f"“{state.scenario_label(new_id)}” could not be loaded: {exc}. "
                                   "The current scenario is kept.")
        _keep()


def _keep() -> None:
    """Back to the picked scenario: no switch waits, the picker shows it again."""
    st.session_state.pop(PENDING, None)
    st.session_state[PICK] = state.scenario_id()


def _picked() -> None:
    """A pick: switch now when nothing would be lost, else ask first (see :func:`_confirm`)."""
    new_id = st.session_state[PICK]
    if new_id == state.scenario_id():
        st.session_state.pop(PENDING, None)
    elif _edits():
        st.session_state[PENDING] = new_id
    else:
        _switch(new_id)


def _confirm(new_id: str, edits: list[str]) -> None:
    """Ask before a switch discards the session's edits; nothing is lost until "Switch"."""
    sc = state.current_scenario()
    with st.sidebar.container(border=True):
        n = f"{len(edits)} edit" + ("" if len(edits) == 1 else "s")
        st.warning(f"Switch to “{state.scenario_label(new_id)}”? Your {n} of “{sc.name}” will be discarded.",
                   icon=":material/help:")
        shown = edits[:4] + ([f"and {len(edits) - 4} more"] if len(edits) > 4 else [])
        st.caption("Your edits: " + "; ".join(shown) + ".")
        buttons = st.container(horizontal=True, wrap=True)
        buttons.button("Switch", type="primary", key="sidebar_pick_switch", on_click=_switch, args=(new_id,))
        buttons.button("Keep my edits", key="sidebar_pick_keep", on_click=_keep)
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in sc.name).strip("-") or "scenario"
        st.download_button("Download my edited scenario", sc.to_json(indent=2), f"{stem}.json", "application/json",
                           icon=":material/download:", on_click="ignore", width="stretch",
                           help="Save the scenario with your edits before switching.")


def _picker() -> None:
    """The scenario picker, its caption, and the question when a pick would discard edits."""
    sb, ss = st.sidebar, st.session_state
    ids = list(state.scenario_catalogue())
    labels = {i: state.scenario_label(i) for i in ids}    # a plain lookup: AppTest calls it after the run
    if ss.get(PICK) not in labels:          # a new session, or a catalogue without it
        ss.pop(PICK, None)
    sb.selectbox("Scenario", ids, index=ids.index(state.scenario_id()), format_func=labels.__getitem__,
                          key=PICK, on_change=_picked,
                          help="The shipped data sets. The link names the one picked; edits apply to it.")
    sc = state.current_scenario()
    now = "" if sc == state.default_scenario() else f"Now **{sc.name}**, " + (
        "edited. " if state.base_scenario() == state.default_scenario() else "uploaded. ")
    sb.caption(now + "Switching loads the picked scenario as shipped: edits and an uploaded file are "
                     "discarded (you are asked first); the relaxation stays.")
    pending = ss.get(PENDING)
    if pending is not None:
        edits = _edits()
        if edits:
            _confirm(pending, edits)
        else:                                   # the edits went meanwhile (a reset): nothing to ask
            _switch(pending)
            st.rerun()
    if not state.model_is_ready():
        with sb.spinner(f"Loading “{sc.name}”: building the model of its {len(sc.nodes)} regions and "
                        "solving…", show_time=True):
            state.prepare()


def render() -> None:
    """Draw the sidebar (below the page navigation)."""
    _picker()
    sc = state.current_scenario()
    sb = st.sidebar

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
    sb.button("Reset scenario", on_click=state.reset, width="stretch", icon=":material/restart_alt:",
              help=f"Back to “{state.scenario_label(state.scenario_id())}” as shipped: every edit, upload and "
                   "relaxation is undone.")
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

