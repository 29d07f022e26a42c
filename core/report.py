"""Every metric of docs/model.md for one scenario, as one JSON-ready dict (``python -m core metrics``)."""
from __future__ import annotations

from core.analysis import Analysis
from core.inputs import model_inputs
from core.metrics import WATERFALL_ORDER, break_even
from core.physical import digital_vs_physical, scenario_continents
from core.scenario import Scenario


def _records(df) -> list[dict]:
    return df.to_dict(orient="records")


def metrics_report(sc: Scenario, solve_engine: str = "cvxpy", sweep_engine: str = "highs") -> dict:
    """Solution, local baseline and savings, RID and realized relocation,
    the exact uniform frontier (with marginal and average ERoL/CRoL), execution layers,
    friction waterfall, shadow prices, break-even pairs per workload, digital versus physical.

    ``solve_engine`` solves the solution and the local baseline (shadow prices come from its
    duals: NaN for "network"), ``sweep_engine`` the frontier and the waterfall (:mod:`core.engines`)."""
    inp = model_inputs(sc)
    analysis = Analysis(sc, sweep_engine=sweep_engine, solve_engine=solve_engine)
    sol, local = analysis.solve(inp), analysis.local(inp)
    head = analysis.headline(inp, sol, local)
    physical_summary, corridors = digital_vs_physical(sol, continents=scenario_continents(sc))
    return {
        "scenario": sc.name,
        "engine": {"solve": solve_engine, "sweep": sweep_engine},
        "solution": sol.summary(),
        "local_baseline": local.summary(),
        "savings": {k: head[k] for k in ("savings_usd", "objective_savings_usd", "carbon_savings_t",
                                         "carbon_savings_avg_t", "carbon_savings_marginal_t")},
        "rid": head["rid"],
        "realized_relocation": sol.relocated_share,
        "frontier": _records(analysis.frontier(inp)),
        "execution_layers": _records(analysis.layers(inp, sol)),
        "friction_waterfall": _records(analysis.waterfall(inp, WATERFALL_ORDER)),   # docs/model.md: all five
        "shadow_prices": {
            "capacity": _records(sol.load[["node", "load_mw", "capacity_mw", "capacity_shadow_usd_per_mw"]]),
            "demand": _records(sol.demand[["service", "workload", "demand_mw", "marginal_cost_usd_per_mw"]]),
        },
        "break_even": {w: _records(break_even(inp, w)) for w in sc.workload_ids},
        "digital_vs_physical": {"summary": physical_summary, "corridors": _records(corridors)},
    }
