"""Digital versus physical relocation: the HVDC line that would move the same electricity.

Relocated work draws its facility power ``x·PUE[r]·(1+ω)`` at the compute node instead of at
home. Moving that power physically instead would take a high-voltage DC line over the same
great-circle distance. Reference figures (rating, losses, cost: ±800 kV UHVDC by default) come
from ``data/hvdc_reference.json`` (estimates; sources in data/SOURCES.md). Submarine routes
and right-of-way are not modelled: the line figures are for overhead lines on land.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from core.inputs import facility_factor
from core.solution import Solution

HVDC_REFERENCE_PATH = Path(__file__).resolve().parent.parent / "data" / "hvdc_reference.json"


@lru_cache(maxsize=4)
def load_hvdc_reference(path: str | Path = HVDC_REFERENCE_PATH, line: str = "uhvdc_800kv") -> dict[str, float]:
    """Line rating [MW], line loss [%/1000 km], converter loss [% per station], line cost [$/km]
    and converter-pair cost [$] of the chosen line type (``uhvdc_800kv`` or ``hvdc_500kv``)."""
    figures = json.loads(Path(path).read_text())["figures"]
    prefix = "uhvdc" if line.startswith("uhvdc") else "hvdc_500kv"
    value = {k: v["value"] for k, v in figures.items()}
    return {
        "line": line,
        "rating_mw": value[f"{line}_bipole_rating_mw"],
        "line_loss_pct_per_1000km": value[f"{line}_line_loss_pct_per_1000km"],
        "converter_loss_pct_per_station": value["converter_station_loss_pct"],
        "line_cost_usd_per_km": value[f"{prefix}_line_capex_musd_per_km"] * 1e6,
        "converter_pair_cost_usd": value[f"{prefix}_converter_pair_capex_musd"] * 1e6,
    }


def hvdc_loss_share(distance_km, line_loss_pct_per_1000km: float, converter_loss_pct_per_station: float):
    """Share [0..1] of the sent power lost over ``distance_km`` of line and two converter stations."""
    return (np.asarray(distance_km, dtype=float) / 1000.0 * line_loss_pct_per_1000km
            + 2 * converter_loss_pct_per_station) / 100.0


def hvdc_capex_usd(power_mw, distance_km, rating_mw: float, line_cost_usd_per_km: float,
                   converter_pair_cost_usd: float):
    """Capital cost [$] of HVDC capacity for ``power_mw``, pro rata of a ``rating_mw`` line
    (line cost per km × distance plus a converter pair)."""
    per_line = np.asarray(distance_km, dtype=float) * line_cost_usd_per_km + converter_pair_cost_usd
    return np.asarray(power_mw, dtype=float) / rating_mw * per_line


def digital_vs_physical(sol: Solution, reference: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """Relocated electricity × distance against the HVDC line that would carry it.

    Returns a summary and one row per corridor (s → r ≠ s) with: relocated facility power [MW],
    distance [km], energy [GWh over the period], energy × distance [GWh·km], HVDC losses [GWh]
    and loss share, HVDC capacity cost pro rata [$] and whole lines needed, data moved [TB] and
    its egress cost [$] (the digital route's transfer price, with the egress friction's price).
    """
    ref = load_hvdc_reference() if reference is None else reference
    inp = sol.inputs
    hours = inp.period_hours
    facility_mw = (sol.x_mw * facility_factor(inp)).sum(axis=2)        # [s, r]
    it_mwh = sol.x_mw * hours                                            # [s, r, k]
    data_gb = (it_mwh * inp.gb_per_mwh[None, None, :]).sum(axis=2)      # [s, r]
    s, r = np.nonzero((facility_mw > 1e-9) & ~np.eye(inp.n_nodes, dtype=bool))
    ids = np.array(inp.node_ids, dtype=object)
    mw, km = facility_mw[s, r], inp.distance_km[s, r]
    gwh = mw * hours / 1000.0
    loss = hvdc_loss_share(km, ref["line_loss_pct_per_1000km"], ref["converter_loss_pct_per_station"])
    corridors = pd.DataFrame({
        "service": ids[s], "compute": ids[r], "mw": mw, "distance_km": km, "gwh": gwh,
        "gwh_km": gwh * km, "hvdc_loss_share": loss, "hvdc_loss_gwh": gwh * loss,
        "hvdc_capex_usd": hvdc_capex_usd(mw, km, ref["rating_mw"], ref["line_cost_usd_per_km"],
                                         ref["converter_pair_cost_usd"]),
        "hvdc_lines": np.ceil(mw / ref["rating_mw"]).astype(int),
        "data_tb": data_gb[s, r] / 1000.0,
        "egress_usd": data_gb[s, r] * (inp.egress_usd_per_gb if inp.friction("egress") else 0.0),
    }).sort_values("gwh_km", ascending=False, ignore_index=True)
    total_gwh = float(corridors["gwh"].sum())
    summary = {
        "line": ref.get("line", ""), "rating_mw": ref["rating_mw"],
        "relocated_mw": float(corridors["mw"].sum()), "relocated_gwh": total_gwh,
        "gwh_km": float(corridors["gwh_km"].sum()),
        "mean_distance_km": float(corridors["gwh_km"].sum() / total_gwh) if total_gwh > 0 else 0.0,
        "corridors": int(len(corridors)),
        "hvdc_loss_gwh": float(corridors["hvdc_loss_gwh"].sum()),
        "hvdc_capex_usd": float(corridors["hvdc_capex_usd"].sum()),
        "hvdc_lines": int(corridors["hvdc_lines"].sum()),
        "data_tb": float(corridors["data_tb"].sum()),
        "egress_usd": float(corridors["egress_usd"].sum()),
    }
    return summary, corridors
