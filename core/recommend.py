"""Where should this run? For one service region and workload class, every compute region ranked
by docs/model.md's unit objective ($ per MWh of IT energy), within the latency budget and the law,
each with its reason; the regions the mask excludes are listed with why.

The unit objective of (s, r, k) is ``PUE[r]·(1+ω[k][r≠s])·(p[r] + τ·c[r]/1000) + [r≠s]·(g[k]·e + φ)``
with the frictions as they are switched on (:func:`core.inputs.unit_objective_usd_per_mwh`). The
ranking is per MWh: it does not know how full a region is. Given a solution, each row also says
how much of this (s, k) the optimum places there, so a cheap region that is full shows as such.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.binding import full_mask
from core.inputs import MASK_REASONS, ModelInputs, facility_factor, mask_reason, transfer_usd_per_mwh
from core.narrative import ms_words, pct_words, usd_words
from core.solution import Solution

EXCLUDED_WORDS = {"latency": "round trip over the budget", "residency": "data residency",
                  "no capacity": "no capacity", "provider": "provider lock"}


def run_here(inp: ModelInputs, service: str, workload: str, sol: Solution | None = None) -> pd.DataFrame:
    """Every compute region r for work of class ``workload`` entering at ``service`` (s), one row
    each: allowed regions first, ranked by unit objective (ties: shorter round trip), then the
    excluded ones.

    Columns: rank (1 = cheapest allowed; nan when excluded), compute, home (r = s), allowed,
    reason ("allowed" or the first mask test that fails: "latency", "residency", "provider",
    "no capacity"),
    unit_objective_usd_per_mwh, energy_usd_per_mwh (PUE·(1+ω)·p), carbon_usd_per_mwh
    (τ·PUE·(1+ω)·c/1000), carbon_t_per_mwh (PUE·(1+ω)·c/1000, objective's signal),
    transfer_usd_per_mwh (g·e + φ; 0 at home), vs_home_usd_per_mwh (unit objective − home's;
    negative: cheaper than home), rtt_ms, budget_ms, price_usd_per_mwh, pue, residency_zone,
    provider ("" for none), placed_mw (MW of this (s, k) the optimum runs at r; nan without ``sol``), full (with the
    capacity friction on, the optimum fills r's capacity; False without ``sol``), and ``why``, a
    sentence with the numbers that decide the row.
    """
    s, k = inp.node_ids.index(service), inp.workload_ids.index(workload)
    ff = facility_factor(inp)[s, :, k]
    p, c = inp.price_usd_per_mwh, inp.carbon_g_per_kwh
    energy = ff * p
    carbon_t = ff * c / 1000.0
    carbon_usd = inp.carbon_price_usd_per_t * carbon_t
    transfer = np.where(np.arange(inp.n_nodes) == s, 0.0, float(transfer_usd_per_mwh(inp)[k]))
    unit = energy + carbon_usd + transfer
    reason = np.array(MASK_REASONS, dtype=object)[mask_reason(inp)[s, :, k]]
    df = pd.DataFrame({
        "compute": list(inp.node_ids), "home": np.arange(inp.n_nodes) == s, "allowed": reason == "allowed",
        "reason": reason, "unit_objective_usd_per_mwh": unit, "energy_usd_per_mwh": energy,
        "carbon_usd_per_mwh": carbon_usd, "carbon_t_per_mwh": carbon_t, "transfer_usd_per_mwh": transfer,
        "vs_home_usd_per_mwh": unit - unit[s], "rtt_ms": inp.rtt_ms[s], "budget_ms": float(inp.budget_ms[k]),
        "price_usd_per_mwh": p, "pue": inp.pue,
        "residency_zone": [z or "" for z in inp.residency_zone],
        "provider": [p or "" for p in inp.provider],
        "placed_mw": sol.x_mw[s, :, k] if sol is not None else np.nan,
        "full": full_mask(sol) if sol is not None else False,
    })
    df = df.sort_values(["allowed", "unit_objective_usd_per_mwh", "rtt_ms"], ascending=[False, True, True],
                        ignore_index=True, kind="stable")
    n_allowed = int(df["allowed"].sum())
    df.insert(0, "rank", np.r_[np.arange(1, n_allowed + 1), np.full(len(df) - n_allowed, np.nan)])
    home_zone, home_provider = inp.residency_zone[s] or "", inp.provider[s] or ""
    df["why"] = [_why(row, inp.carbon_price_usd_per_t, home_zone, home_provider) for row in df.itertuples(index=False)]
    return df


def _why(row, tau: float, home_zone: str, home_provider: str = "") -> str:
    """The sentence of one row: its cost parts, or why the mask excludes it."""
    if row.reason == "latency":
        return f"Excluded: the round trip, {ms_words(row.rtt_ms)}, is over the class's budget of {ms_words(row.budget_ms)}."
    if row.reason == "residency":
        where = f"zone {row.residency_zone}" if row.residency_zone else "no residency zone"
        return f"Excluded: this class's data must stay in zone {home_zone}, and this region is in {where}."
    if row.reason == "provider":
        where = f"with {row.provider}" if row.provider else "with no cloud provider"
        return (f"Excluded: the provider lock keeps this work with its cloud provider, {home_provider}, and this "
                f"region is {where}.")
    if row.reason == "no capacity":
        return "Excluded: the region has no capacity (0 MW)."
    overhead = row.energy_usd_per_mwh > row.price_usd_per_mwh * row.pue * (1 + 1e-12)
    parts = (f"energy {usd_words(row.energy_usd_per_mwh)} (price {usd_words(row.price_usd_per_mwh)}/MWh × PUE {row.pue:g}"
             + (" × (1 + migration overhead))" if overhead else ")"))
    if tau > 0:
        parts += f", carbon {usd_words(row.carbon_usd_per_mwh)} at {usd_words(tau)}/t"
    if row.home:
        return f"Home: {parts}; no transfer and no extra round trip."
    parts += f", transfer {usd_words(row.transfer_usd_per_mwh)}"
    gap = row.vs_home_usd_per_mwh
    versus = (f"{usd_words(-gap)}/MWh less than at home" if gap < -1e-9 else
              f"{usd_words(gap)}/MWh more than at home" if gap > 1e-9 else "the same as at home")
    return f"{parts}; round trip {ms_words(row.rtt_ms)} of {ms_words(row.budget_ms)}: {versus}."


def run_here_sentence(table: pd.DataFrame, *, service_name: str, workload_name: str, pinned_share: float,
                      names: dict[str, str] | None = None) -> str:
    """The ranking of :func:`run_here` in two or three plain sentences: the cheapest allowed
    region and its gain over home, how many regions are excluded and why, and where the optimum
    places this work now (when ``placed_mw`` is known)."""
    names = names or {}
    name = lambda r: names.get(r, r)  # noqa: E731
    allowed = table[table["allowed"]]
    home = table[table["home"]].iloc[0]
    best = allowed.iloc[0]
    head = f"For {workload_name} entering at {service_name}, "
    if best["home"]:
        text = head + (f"home is the cheapest allowed place, at {usd_words(best['unit_objective_usd_per_mwh'])} per MWh"
                       + (f"; the next, {name(allowed.iloc[1]['compute'])}, costs "
                          f"{usd_words(allowed.iloc[1]['vs_home_usd_per_mwh'])} per MWh more." if len(allowed) > 1 else "."))
    else:
        gain = -best["vs_home_usd_per_mwh"]
        share = gain / home["unit_objective_usd_per_mwh"] if home["unit_objective_usd_per_mwh"] > 0 else np.nan
        text = head + (f"the cheapest allowed place is {name(best['compute'])} at "
                       f"{usd_words(best['unit_objective_usd_per_mwh'])} per MWh, {usd_words(gain)} "
                       f"({pct_words(share)}) less than at home.")
    excluded = table[~table["allowed"]]
    if len(excluded):
        counts = excluded["reason"].value_counts()
        why = ", ".join(f"{n} by {EXCLUDED_WORDS.get(r, r)}" for r, n in counts.items())
        text += (f" {len(allowed)} of {len(table)} regions {'is' if len(allowed) == 1 else 'are'} allowed; "
                 f"{len(excluded)} {'is' if len(excluded) == 1 else 'are'} excluded ({why}).")
    else:
        text += f" All {len(table)} regions are allowed."
    if pinned_share > 0:
        text += f" State locality keeps {pct_words(pinned_share)} of this work at home whatever the ranking."
    placed = table[table["placed_mw"].fillna(0) > 1e-6]
    if len(placed):
        where = ", ".join(f"{name(r.compute)} {r.placed_mw:,.1f} MW" for r in placed.itertuples(index=False))
        text += f" The optimum now runs it at: {where}."
        top = allowed.iloc[0]
        if not top["home"] and top["placed_mw"] < 1e-6 and top["full"]:
            text += f" None of it runs at {name(top['compute'])}: that region is full, with work that gains more there."
    return text


# --- descriptions of the break-even charts (alt text) ------------------------------------------

def pair_matrix_alt_text(be: pd.DataFrame, names: dict[str, str] | None = None) -> str:
    """A plain description of the pair matrix from :func:`core.metrics.break_even`'s rows: how
    many pairs are allowed and pay, the best allowed pair, and the forbidden pairs by reason."""
    names = names or {}
    allowed = be[be["allowed"]]
    paying = allowed[allowed["net_benefit_usd_per_mwh"] > 0]
    text = (f"Chart in words: a matrix of {len(be):,} region pairs, home regions in rows and compute regions in "
            f"columns, grouped by continent. {len(allowed):,} pairs are allowed and moving pays in {len(paying):,}")
    if len(allowed):
        best = allowed.loc[allowed["net_benefit_usd_per_mwh"].idxmax()]
        text += (f"; the best is {names.get(best['service'], best['service'])} to "
                 f"{names.get(best['compute'], best['compute'])}, {usd_words(best['net_benefit_usd_per_mwh'])} per MWh")
    counts = be.loc[~be["allowed"], "reason"].value_counts()
    if len(counts):
        text += ". Not allowed: " + ", ".join(f"{n:,} by {EXCLUDED_WORDS.get(r, r)}" for r, n in counts.items())
    return text + "."


def relocatable_share_alt_text(shares: pd.DataFrame, names: dict[str, str] | None = None) -> str:
    """A plain description of the relocatable-share chart: for each class, its share at the
    lowest and the highest carbon price of ``shares`` (columns workload,
    carbon_price_usd_per_t, relocatable_share)."""
    names = names or {}
    parts = []
    for w, d in shares.groupby("workload", sort=False):
        d = d.sort_values("carbon_price_usd_per_t")
        lo, hi = d.iloc[0], d.iloc[-1]
        parts.append(f"{names.get(w, w)} {pct_words(lo['relocatable_share'])} at ${lo['carbon_price_usd_per_t']:,.0f}/t"
                     f" and {pct_words(hi['relocatable_share'])} at ${hi['carbon_price_usd_per_t']:,.0f}/t")
    return ("Chart in words: lines of the share of each class's demand that could gain by moving, against the carbon "
            "price: " + "; ".join(parts) + ".")
