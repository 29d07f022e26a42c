"""The Data page's pure helpers (pages/common/editing.py): which values are flagged "user edit"
or "not documented", which round trips were edited, and the flag counts of a table."""
from __future__ import annotations

import pandas as pd

from core.scenario import parse_scenario
from pages.common.editing import (NODE_PROVENANCE, flag_counts, mark_user_edits, nodes_table,
                                  rtt_edited_pairs)


def scenarios(tiny_scenario):
    default = parse_scenario(tiny_scenario())
    d = tiny_scenario()
    d["nodes"][1]["price_usd_per_mwh"] = 42.0            # away: an edited price
    d["nodes"][0]["lon"] = 3.0                          # home: an edited longitude (coords: lat and lon)
    d["nodes"].append({**d["nodes"][1], "id": "new"})   # a region the default lacks
    d["rtt_ms"] = {"home": {"away": 20.0}, "away": {"home": 30.0}}
    return default, parse_scenario(d)


def with_provenance(table: pd.DataFrame) -> pd.DataFrame:
    """home and away documented (price measured, coords estimate), new without a row."""
    prov = pd.DataFrame({"id": ["home", "away"], "price_flag": ["measured", "measured"],
                         "price_source": ["home tariff", "away tariff"],
                         "coords_flag": ["estimate", "estimate"], "coords_source": ["city", "city"]})
    return table.merge(prov, on="id", how="left")


def test_edited_values_are_flagged_with_their_default(tiny_scenario):
    default, sc = scenarios(tiny_scenario)
    out = mark_user_edits(with_provenance(nodes_table(sc)), nodes_table(default), NODE_PROVENANCE).set_index("id")
    assert out.at["away", "price_flag"] == "user edit"
    assert out.at["away", "price_source"] == "your value (default 50 $/MWh: away tariff)"
    assert (out.at["home", "price_flag"], out.at["home", "price_source"]) == ("measured", "home tariff")
    assert out.at["home", "coords_flag"] == "user edit"                 # lon 0 → 3
    assert out.at["home", "coords_source"] == "your value (default 0°, 0°: city)"
    assert out.at["away", "coords_flag"] == "estimate"
    # a region the default lacks, and flags the provenance does not have (pue, capacity, ...)
    assert out.at["new", "price_flag"] == "not documented" and out.at["new", "coords_flag"] == "not documented"
    assert set(out["pue_flag"]) == {"not documented"} and set(out["capacity_flag"]) == {"not documented"}


def test_flag_counts_count_each_flag_once(tiny_scenario):
    default, sc = scenarios(tiny_scenario)
    out = mark_user_edits(with_provenance(nodes_table(sc)), nodes_table(default), NODE_PROVENANCE)
    counts = flag_counts(out, ["price", "coords"]).set_index(["subject", "flag"])["count"].to_dict()
    # price: home measured, away edited, new not documented; coords: home edited, away estimate, new none
    assert counts == {("price", "measured"): 1, ("price", "user edit"): 1, ("price", "not documented"): 1,
                      ("coords", "user edit"): 1, ("coords", "estimate"): 1, ("coords", "not documented"): 1}


def test_rtt_edited_pairs(tiny_scenario):
    default, sc = scenarios(tiny_scenario)
    # home→away 20 in both; away→home 30 is new: the pair is edited (in either direction)
    assert rtt_edited_pairs(default, sc) == {frozenset(("home", "away"))}
    assert rtt_edited_pairs(default, default) == set()
