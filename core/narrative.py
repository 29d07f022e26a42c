"""Plain sentences written from results, for the presentation view and the analysis pages.

Every number in a sentence is read from a core result passed in (the headline of
:meth:`core.analysis.Analysis.headline`, a frontier, the friction waterfall, execution layers,
a pair's break-even terms); none is invented or rounded before the final formatting. Each
function is pure and returns one or two sentences of plain English.
"""
from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

HOURS_PER_YEAR = 8760.0
FRICTION_WORDS = {"egress": "egress fees", "migration": "migration overhead", "state_locality": "state locality",
                  "legal": "data residency", "capacity": "capacity limits",
                  "provider_lock": "provider lock"}
"""Plain names of the frictions, as the sidebar's switches name them; used everywhere."""
LAYER_WORDS = {"local": "at home", "regional": "in nearby regions", "energy-oriented": "in distant, energy-oriented regions"}


# --- numbers in words ------------------------------------------------------------------------

def finite(x) -> bool:
    """True for a real, finite number (numpy scalars too)."""
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def significant(x: float, digits: int = 3) -> str:
    """``x`` ≥ 0 with ``digits`` significant figures and thousands separators."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def usd_words(x: float) -> str:
    """Dollars in words: $25.6 million, $1.23 billion, $641,000, $950, $4.20, $0 (3 significant
    figures from a thousand up)."""
    if not finite(x):
        return "an undefined amount"
    sign, ax = ("-" if x < 0 else ""), abs(float(x))
    if ax == 0:
        return "$0"
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if ax >= size:
            return f"{sign}${significant(ax / size)} {word}"
    if ax >= 1000:
        return f"{sign}${round(ax, 2 - int(math.floor(math.log10(ax)))):,.0f}"
    if ax >= 100:
        return f"{sign}${ax:,.0f}"
    return f"{sign}${ax:,.2f}"


def tonnes_words(x: float) -> str:
    """Tonnes of CO2 in words: 128 thousand tonnes of CO2, 1.2 million tonnes of CO2."""
    if not finite(x):
        return "an undefined amount of CO2"
    ax = abs(float(x))
    for size, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if ax >= size:
            return f"{significant(ax / size)} {word} tonnes of CO2"
    return f"{significant(ax)} tonnes of CO2"


def pct_words(share: float) -> str:
    """A share 0..1 as a percentage: whole percent from 10%, one decimal below (3.5%)."""
    if not finite(share):
        return "an undefined share"
    p = 100 * float(share)
    if abs(p) >= 9.95 or p == 0:
        return f"{p:.0f}%"
    return f"{p:.1f}%"


def ms_words(x: float) -> str:
    """Milliseconds: 20 ms, 22.9 ms."""
    if not finite(x):
        return "no finite budget"
    x = float(x)
    return f"{x:.0f} ms" if abs(x - round(x)) < 1e-9 else f"{x:.1f} ms"


def period_words(period_hours: float) -> str:
    """"a year" for 8760 h, else "over 720 hours"."""
    if abs(float(period_hours) - HOURS_PER_YEAR) < 1e-9:
        return "a year"
    return f"over {significant(float(period_hours))} hours"


def frontier_value_at(frontier: pd.DataFrame, column: str, budget_ms: float) -> float:
    """The frontier's step-function value of ``column`` at ``budget_ms`` [ms]: the value at the
    last budget ≤ ``budget_ms`` (C(b) only changes at breakpoints); nan below the first."""
    d = frontier.sort_values("budget_ms")
    rows = d[d["budget_ms"] <= float(budget_ms) + 1e-9]
    return float(rows[column].iloc[-1]) if len(rows) else float("nan")


# --- sentences -------------------------------------------------------------------------------

def headline_sentence(headline: dict, period_hours: float, carbon_signal: str = "marginal") -> str:
    """The result in two sentences: saving [$] and its share of the local baseline's cost,
    emissions change [tCO2] on the objective's signal, and the share of demand that moved.

    ``headline``: :meth:`core.analysis.Analysis.headline` (savings_usd, local_cost_usd,
    carbon_savings_t, relocated_share)."""
    when = period_words(period_hours)
    saving, local = headline["savings_usd"], headline["local_cost_usd"]
    moved = pct_words(headline["relocated_share"])
    if saving > 0:
        first = (f"Running inference where energy is cheapest within each workload's latency budget saves "
                 f"{usd_words(saving)} {when}, {pct_words(saving / local) if local > 0 else 'all'} of the cost "
                 f"of running everything where its users are.")
    elif saving < 0:
        first = (f"Within the current latency budgets, relocation costs {usd_words(-saving)} more {when} than "
                 f"running everything where its users are.")
    else:
        first = f"Within the current latency budgets, relocation saves nothing {when}."
    carbon = headline["carbon_savings_t"]
    if carbon > 0:
        co2 = f"avoids {tonnes_words(carbon)}"
    elif carbon < 0:
        co2 = f"adds {tonnes_words(-carbon)}"
    else:
        co2 = "leaves emissions unchanged"
    second = f"{moved} of inference demand runs away from home, which {co2} ({carbon_signal} carbon intensity)."
    text = f"{first} {second}"
    newly_served = headline.get("local_unserved_mw", 0.0) - headline.get("unserved_mw", 0.0)
    if newly_served > 1e-6:
        text += (f" It also serves {significant(newly_served)} MW that home regions could not; cost counts energy "
                 f"bought, so the objective, which prices unserved demand, improves by "
                 f"{usd_words(headline['objective_savings_usd'])}.")
    return text


def budget_savings_sentence(frontier: pd.DataFrame, uniform_ms, current_savings_usd: float, period_hours: float,
                            current_label: str = "today's per-class budgets") -> str:
    """Savings [$] against the local baseline at each of the budgets ``uniform_ms`` [ms] given to
    every class alike (read off the uniform ``frontier``) and at the current per-class budgets,
    each stated as a total on its own, so that no two figures read as parts of a sum."""
    parts = [f"every class at {ms_words(b)}: {usd_words(frontier_value_at(frontier, 'savings_usd', b))}"
             for b in uniform_ms]
    parts.append(f"{current_label}: {usd_words(current_savings_usd)}")
    return (f"Savings {period_words(period_hours)} against running everything at home, each a total on its own "
            f"— {'; '.join(parts)}.")


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def friction_sentence(waterfall: pd.DataFrame, off: Sequence[str] = ()) -> str:
    """How much of the potential saving the frictions switched on keep, which one takes most,
    and which frictions are off (and so not part of the waterfall).

    ``waterfall``: :func:`core.metrics.friction_waterfall` (first row the potential, last the
    realized savings, ``change_usd`` what each friction changed); ``off``: the ids (keys of
    :data:`FRICTION_WORDS`) of the frictions switched off, named in the order given."""
    potential = float(waterfall["savings_usd"].iloc[0])
    realized = float(waterfall["savings_usd"].iloc[-1])
    off = [FRICTION_WORDS[f] for f in off]
    named = _join(off) if off else ""
    verb = "are" if len(off) > 1 or named.endswith("s") else "is"
    off_text = f" {named[:1].upper() + named[1:]} {verb} switched off and not part of this." if off else ""
    if potential <= 0:
        return ("Even with every friction switched off, relocation saves nothing here, so the frictions have "
                "nothing to take." + off_text)
    steps = waterfall.iloc[1:]
    if not len(steps):
        return f"No friction is switched on: the whole potential saving, {usd_words(potential)}, is kept." + off_text
    kept = realized / potential
    worst = steps.loc[steps["change_usd"].idxmin()]
    first = (f"{'The frictions switched on' if off else 'Frictions'} keep {pct_words(kept)} of the potential "
             f"saving: {usd_words(realized)} of {usd_words(potential)}.")
    if worst["change_usd"] >= 0:
        return first + " No single friction reduces it." + off_text
    name = FRICTION_WORDS.get(worst["step"], str(worst["step"]))
    verb = "take" if name.endswith("s") else "takes"
    return first + f" {name[0].upper() + name[1:]} {verb} the most: {usd_words(-float(worst['change_usd']))}." + off_text


def waterfall_order_sentence(steps: Sequence[str]) -> str:
    """The order in which a waterfall switches the frictions on (``steps``: friction ids, keys of
    :data:`FRICTION_WORDS`, e.g. the ``step`` column of :func:`core.metrics.friction_waterfall`
    after its first row), named as everywhere else: "Frictions switched on in this order:
    egress fees, migration overhead, state locality."."""
    if not len(steps):
        return "No friction is switched on."
    return "Frictions switched on in this order: " + ", ".join(FRICTION_WORDS.get(s, str(s)) for s in steps) + "."


def layers_sentence(layers: pd.DataFrame, regional_ms: float, names: dict[str, str] | None = None) -> str:
    """Where served work runs (local, regional within ``regional_ms``, energy-oriented), as
    shares of all served MW, and the class that moves most (``layers``:
    :func:`core.metrics.execution_layers`)."""
    names = names or {}
    by_layer = layers.groupby("layer")["mw"].sum()
    total = float(by_layer.sum())
    if total <= 0:
        return "No inference demand is served."
    share = {layer: float(by_layer.get(layer, 0.0)) / total for layer in LAYER_WORDS}
    text = (f"Of the inference power served, {pct_words(share['local'])} runs at home, "
            f"{pct_words(share['regional'])} in nearby regions (within {ms_words(regional_ms)}) and "
            f"{pct_words(share['energy-oriented'])} in distant, energy-oriented regions.")
    served = layers.groupby("workload")["mw"].sum()
    away = layers[layers["layer"] != "local"].groupby("workload")["mw"].sum().reindex(served.index).fillna(0.0)
    mobile = (away / served.where(served > 0)).dropna()
    if len(mobile) > 1 and mobile.max() > 0:
        w = mobile.idxmax()
        text += f" The most mobile class is {names.get(w, w)}: {pct_words(mobile.max())} of it runs away from home."
    return text


def erol_sentence(frontier: pd.DataFrame, period_hours: float) -> str:
    """Where on a frontier relaxing pays: the budget with the largest single drop in cost [$]
    and the average ERoL [$ per ms] from the first budget to the last (the frontier's
    ``erol_avg_usd_per_ms`` at its last row)."""
    d = frontier.sort_values("budget_ms").reset_index(drop=True)
    drop = -d["cost_usd"].diff()
    when = period_words(period_hours)
    if len(d) < 2 or not (drop > 0).any():
        return "Relaxing the latency budget lowers cost nowhere on this frontier."
    i = int(drop.idxmax())
    last = d.iloc[-1]
    text = (f"The biggest single step comes when the budget reaches {ms_words(d['budget_ms'].iloc[i])}: "
            f"{usd_words(drop.iloc[i])} of savings {when} appear at once.")
    avg = last.get("erol_avg_usd_per_ms", float("nan"))
    if finite(avg) and avg > 0:
        text += (f" From {ms_words(d['budget_ms'].iloc[0])} to {ms_words(last['budget_ms'])}, each millisecond saves "
                 f"{usd_words(avg)} {when} on average.")
    return text


def carbon_price_words(terms: dict) -> str:
    """How the pair's verdict depends on the carbon price τ ≥ 0 (from its break-even τ* [$/t]
    and the sign of its carbon gap): net(τ) = energy gap − transfer + τ·carbon gap."""
    tau, gap_t = terms["break_even_carbon_price_usd_per_t"], terms["carbon_gap_t_per_mwh"]
    if not finite(tau) or gap_t == 0:
        return "The carbon price does not change this: both sites emit the same per MWh."
    if tau <= 0:
        # net(τ) is zero at τ* ≤ 0, so for τ ≥ 0 its sign is the carbon gap's
        return "It pays at every carbon price." if gap_t > 0 else "It does not pay at any carbon price."
    if gap_t > 0:
        return f"It pays at carbon prices above {usd_words(tau)} per tonne of CO2."
    return f"It pays only at carbon prices below {usd_words(tau)} per tonne of CO2."


def break_even_pair_sentence(terms: dict, names: dict[str, str] | None = None) -> str:
    """One relocation's break-even in words, from :func:`core.metrics.pair_break_even_terms`."""
    names = names or {}
    s, r, k = (names.get(terms[x], terms[x]) for x in ("service", "compute", "workload"))
    gross, transfer, net = terms["gross_benefit_usd_per_mwh"], terms["transfer_usd_per_mwh"], terms["net_benefit_usd_per_mwh"]
    energy = (f"saves {usd_words(gross)} of energy and carbon cost" if gross >= 0
              else f"costs {usd_words(-gross)} more in energy and carbon")
    verdict = (f"it pays, by {usd_words(net)} per MWh" if net > 0
               else f"it does not pay (net {usd_words(net)} per MWh)")
    text = (f"Moving 1 MWh of {k} from {s} to {r} {energy}, against {usd_words(transfer)} of transfer "
            f"costs: {verdict}.")
    g, fee = terms["gb_per_mwh"], terms["fee_usd_per_mwh"]
    if g > 0 and gross - fee > 0:
        limit = usd_words((gross - fee) / g)
        text += (f" It stays worth it up to an egress price of {limit} per GB." if net > 0 else
                 f" It would pay below an egress price of {limit} per GB.")
    text += " " + carbon_price_words(terms)
    if terms["reason"] != "allowed":
        text += f" The model does not allow it now ({terms['reason']})."
    return text


def settings_sentence(carbon_price_usd_per_t: float, carbon_signal: str, off: list[str], relax_ms: float) -> str:
    """The settings that move the numbers most, in one sentence: the carbon price [$/tCO2] on
    its signal, the frictions switched ``off`` (ids of :data:`FRICTION_WORDS`) and the relaxation
    Δ [ms] added to every class's budget."""
    price = (f"a carbon price of {usd_words(carbon_price_usd_per_t)} per tonne of CO2 on the {carbon_signal} grid "
             f"intensity" if carbon_price_usd_per_t > 0 else f"no carbon price (emissions on the {carbon_signal} "
                                                               "grid intensity)")
    frictions = (f"{_join([FRICTION_WORDS[f] for f in off])} switched off" if off else "every friction switched on")
    budgets = (f"every latency budget raised by {ms_words(relax_ms)}" if relax_ms > 0 else "the latency budgets as set")
    return f"Computed with {price}, {frictions}, and {budgets}."


def corridors_sentence(corridors: pd.DataFrame, names: dict[str, str] | None = None, top: int = 3) -> str:
    """The largest relocation corridors and the total relocated IT power [MW]; ``corridors``:
    service, compute, mw, largest first (:func:`core.presentation_export.relocation_corridors`)."""
    names = names or {}
    if corridors.empty or float(corridors["mw"].sum()) <= 0:
        return "No work runs away from home: every region serves its own demand."
    parts = [f"{names.get(c.service, c.service)} → {names.get(c.compute, c.compute)} {significant(c.mw)} MW"
             for c in corridors.head(top).itertuples(index=False)]
    n = len(corridors)
    return (f"{significant(float(corridors['mw'].sum()))} MW of IT power runs away from home along {n} "
            f"corridor{'s' if n != 1 else ''}; the largest: {_join(parts)}.")
