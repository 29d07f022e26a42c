"""What a change of setting changed: the headline numbers against the previous setting's.

Pure: two :meth:`core.analysis.Analysis.headline` dicts in, differences out (units in the names).
"""
from __future__ import annotations

from typing import Iterable

from core.scenario import Scenario

DELTA_KEYS = {  # key of the delta -> headline key it is the change of (current − previous)
    "savings_usd": "savings_usd",
    "emissions_avg_t": "emissions_avg_t",
    "emissions_marginal_t": "emissions_marginal_t",
    "relocated_share": "relocated_share",
    "relocated_mw": "relocated_mw",
    "unserved_mw": "unserved_mw",
}


def headline_delta(previous: dict, current: dict, keys: Iterable[str] | None = None) -> dict[str, float]:
    """Current minus previous of the savings [$], emissions on both signals [tCO2], the
    relocated share [MW/MW] and MW, and unserved demand [MW]; or, with ``keys``, of those
    headline keys (each delta named as its key, units in the name)."""
    pairs = DELTA_KEYS.items() if keys is None else ((k, k) for k in keys)
    return {k: float(current[h]) - float(previous[h]) for k, h in pairs}


def budgets_raised(previous: Scenario, previous_relax_ms: float, current: Scenario, relax_ms: float) -> bool:
    """True when some class's effective budget (its budget + the relaxation) [ms] is larger now
    and none is smaller."""
    old = {w.id: w.latency_budget_ms + previous_relax_ms for w in previous.workloads}
    new = {w.id: w.latency_budget_ms + relax_ms for w in current.workloads}
    common = old.keys() & new.keys()
    return any(new[k] > old[k] for k in common) and all(new[k] >= old[k] for k in common)
