"""Read-only reference files shipped in ``data/`` (never a file named by a user or a link):
the world outline for the map, and the sources and quality flags of the default scenario's
values. Each is read once per server (``st.cache_data``). The references and the build of the
data set are for developers, in ``data/SOURCES.md``; the Data page summarises them in words."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st


DATA = Path(__file__).resolve().parents[2] / "data"


@st.cache_data(max_entries=1, show_spinner=False)
def world_geojson() -> dict | None:
    """Country outlines (GeoJSON FeatureCollection) without Antarctica; None if missing."""
    try:
        geo = json.loads((DATA / "world_countries.geojson").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    geo["features"] = [f for f in geo.get("features", [])
                       if (f.get("properties") or {}).get("name") != "Antarctica"]
    return geo


STATIC = DATA.parent / "static"
OUTLINE_FILE = "world_countries_3x.geojson"   # built by data/build_default_scenario.py


def world_outline() -> dict | str | None:
    """What the maps draw the countries from: the URL of ``static/world_countries_3x.geojson``
    (every country at −360°, 0 and +360°, fetched once by the browser and cached) when the server
    serves ``static/`` (``server.enableStaticServing``, .streamlit/config.toml), else the outline
    itself (:func:`world_geojson`), which then rides in every map's JSON."""
    if st.get_option("server.enableStaticServing") and (STATIC / OUTLINE_FILE).is_file():
        return f"app/static/{OUTLINE_FILE}"
    return world_geojson()


@st.cache_data(max_entries=4, show_spinner=False)
def _csv(name: str) -> pd.DataFrame | None:
    try:
        return pd.read_csv(DATA / name, keep_default_na=False, na_values=[""])
    except (OSError, ValueError):
        return None


def _provenance(df: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """The id column and every ``*_source`` / ``*_flag`` column of a data file."""
    if df is None or key not in df.columns:
        return pd.DataFrame(columns=[key])
    cols = [key] + [c for c in df.columns if c.endswith("_source") or c.endswith("_flag")]
    return df[cols].copy()


def workload_provenance() -> pd.DataFrame:
    """Per default workload id: sources and flags, from ``data/workloads.csv``."""
    return _provenance(_csv("workloads.csv"), "id")


def rtt_provenance(name: str = "rtt_pairs.csv") -> pd.DataFrame:
    """Per node pair (a, b) of a shipped scenario: where its round-trip time comes from (the
    scenario's table in ``data/``, default ``rtt_pairs.csv``)."""
    df = _csv(name)
    if df is None or not {"a", "b", "source"} <= set(df.columns):
        return pd.DataFrame(columns=["a", "b", "source"])
    return df[["a", "b", "source"]].copy()

