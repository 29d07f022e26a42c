"""Every metric of docs/model.md for one scenario, as one JSON-ready dict (``python -m core metrics``).

JSON-ready: only dicts, lists, str, int, float, bool and None, every float finite (NaN and ±inf
become None), built column by column from the DataFrames (numpy's ``tolist``), never cell by cell.
The break-even pairs, N²·K of them, come in two parts: rows for the pairs the solution uses, and
every pair in columns (``break_even_pairs``), which is most of the report's size.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.analysis import Analysis
from core.inputs import MASK_REASONS, ModelInputs, model_inputs, transfer_usd_per_mwh
from core.metrics import WATERFALL_ORDER, break_even
from core.physical import digital_vs_physical, scenario_continents
from core.scenario import Scenario
from core.solution import TOL_MW, Solution


def json_scalar(value):
    """A number, string, bool or None as a Python value; NaN and ±inf as None."""
    value = value.item() if isinstance(value, np.generic) else value
    return None if isinstance(value, float) and not np.isfinite(value) else value


def json_dict(values: dict) -> dict:
    """A flat dict of scalars with :func:`json_scalar` values."""
    return {str(k): json_scalar(v) for k, v in values.items()}


def json_values(values) -> list:
    """A 1-D array as a list of Python values, NaN and ±inf as None."""
    arr = np.asarray(values)
    out = arr.tolist()
    if arr.dtype.kind == "f":
        for i in np.flatnonzero(~np.isfinite(arr)):
            out[i] = None
    return out


def json_rows(df: pd.DataFrame) -> list[dict]:
    """A DataFrame as one dict per row of Python values (NaN and ±inf as None)."""
    names = [str(c) for c in df.columns]
    columns = [json_values(df[c].to_numpy()) for c in df.columns]
    return [dict(zip(names, row)) for row in zip(*columns)]


def relocated_pairs(sol: Solution, workload: str, table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` (:func:`core.metrics.break_even` of ``workload``, pairs by s then r)
    on which ``sol`` runs the class's work away from home, with that IT power ``mw`` [MW]."""
    k = sol.inputs.workload_ids.index(workload)
    mw = sol.x_mw[:, :, k][~np.eye(sol.inputs.n_nodes, dtype=bool)]   # by s, then r ≠ s
    used = mw > TOL_MW
    return table[used].assign(mw=mw[used])


def break_even_pairs(inp: ModelInputs, tables: dict[str, pd.DataFrame]) -> dict:
    """Every pair s ≠ r of every workload, in columns (docs/model.md, ``break_even_pairs``).

    ``service`` and ``compute`` index ``nodes``; the pairs' order (by s, then r) is the same for
    every workload, so ``rtt_ms`` is given once. Per workload: ``gross_benefit_usd_per_mwh``,
    ``break_even_carbon_price_usd_per_t`` and ``reason`` (an index of ``reasons``, 0 "allowed"),
    one entry per pair, and the class's ``transfer_usd_per_mwh``, ``fee_usd_per_mwh`` φ and
    ``gb_per_mwh`` g, from which the other columns of :func:`core.metrics.break_even` follow:
    net = gross − transfer, e* = (gross − φ)/g, g* = (gross − φ)/e (``egress_usd_per_gb`` e)."""
    nodes, reasons = pd.Index(inp.node_ids), pd.Index(MASK_REASONS)
    transfer = transfer_usd_per_mwh(inp)
    fee = inp.migration_usd_per_mwh if inp.friction("migration") else 0.0
    first = next(iter(tables.values()))
    return {
        "nodes": list(inp.node_ids), "reasons": list(MASK_REASONS),
        "service": json_values(nodes.get_indexer(first["service"])),
        "compute": json_values(nodes.get_indexer(first["compute"])),
        "rtt_ms": json_values(first["rtt_ms"].to_numpy()),
        "egress_usd_per_gb": float(inp.egress_usd_per_gb),
        "workloads": {w: {"transfer_usd_per_mwh": float(transfer[k]), "fee_usd_per_mwh": float(fee),
                          "gb_per_mwh": float(inp.gb_per_mwh[k]),
                          "gross_benefit_usd_per_mwh": json_values(t["gross_benefit_usd_per_mwh"].to_numpy()),
                          "break_even_carbon_price_usd_per_t":
                              json_values(t["break_even_carbon_price_usd_per_t"].to_numpy()),
                          "reason": json_values(reasons.get_indexer(t["reason"]))}
                      for k, (w, t) in enumerate(tables.items())},
    }


def metrics_report(sc: Scenario, solve_engine: str = "auto", sweep_engine: str = "auto") -> dict:
    """Solution, local baseline and savings, RID and realized relocation,
    the exact uniform frontier (with marginal and average ERoL/CRoL), execution layers,
    friction waterfall, shadow prices, break-even (in rows for the pairs the solution relocates on,
    in columns for every pair), digital versus physical.

    ``solve_engine`` solves the solution and the local baseline (shadow prices come from its
    duals: None for "network"), ``sweep_engine`` the frontier and the waterfall (:mod:`core.engines`;
    "auto" by its rule)."""
    inp = model_inputs(sc)
    analysis = Analysis(sc, sweep_engine=sweep_engine, solve_engine=solve_engine)
    solve_engine, sweep_engine = analysis.solve_engine, analysis.sweep_engine
    sol, local = analysis.solve(inp), analysis.local(inp)
    head = analysis.headline(inp, sol, local)
    physical_summary, corridors = digital_vs_physical(sol, continents=scenario_continents(sc))
    tables = {w: break_even(inp, w) for w in sc.workload_ids}
    return {
        "scenario": sc.name,
        "engine": {"solve": solve_engine, "sweep": sweep_engine},
        "solution": json_dict(sol.summary()),
        "local_baseline": json_dict(local.summary()),
        "savings": json_dict({k: head[k] for k in ("savings_usd", "objective_savings_usd", "carbon_savings_t",
                                                   "carbon_savings_avg_t", "carbon_savings_marginal_t")}),
        "rid": json_scalar(head["rid"]),
        "realized_relocation": json_scalar(sol.relocated_share),
        "frontier": json_rows(analysis.frontier(inp)),
        "execution_layers": json_rows(analysis.layers(inp, sol)),
        "friction_waterfall": json_rows(analysis.waterfall(inp, WATERFALL_ORDER)),   # docs/model.md: all five
        "shadow_prices": {
            "capacity": json_rows(sol.load[["node", "load_mw", "capacity_mw", "capacity_shadow_usd_per_mw"]]),
            "demand": json_rows(sol.demand[["service", "workload", "demand_mw", "marginal_cost_usd_per_mw"]]),
        },
        "break_even": {w: json_rows(relocated_pairs(sol, w, t)) for w, t in tables.items()},
        "break_even_pairs": break_even_pairs(inp, tables),
        "digital_vs_physical": {"summary": json_dict(physical_summary), "corridors": json_rows(corridors)},
    }
