"""The shipped scenarios: every ``*.json`` in ``scenarios/``, by id (the file's stem).

``default`` (``scenarios/default.json``) is the one a session starts on and what a link without a
``scenario`` key means; a server started on a file of its own puts that file in its place.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.scenario import Scenario, ScenarioError, load_scenario

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_ID = "default"
SOURCE_TABLES = {DEFAULT_ID: "regions.csv", "world_cloud_regions": "world_regions.csv",
                 "default_hourly_2024": "regions.csv"}
"""Per shipped scenario, the table in ``data/`` (written by its build script) with the source and
quality flag of each region's values; a server's own file keeps the default's."""

RTT_SOURCE_TABLES = {DEFAULT_ID: "rtt_pairs.csv", "world_cloud_regions": "world_rtt_pairs.csv",
                     "default_hourly_2024": "rtt_pairs.csv"}
"""(The hourly scenario has the default's regions and round trips; its series are in
``data/hourly_mapping.csv``.)"""
"""Per shipped scenario, the table in ``data/`` with the source of each given round-trip time."""


@dataclass(frozen=True)
class Entry:
    """One scenario of the catalogue: its id (file stem), its ``name``, its file and the table of
    its regions' sources and flags and of its round-trip times' sources (None when there is none)."""
    id: str
    name: str
    path: Path
    sources: Path | None = None
    rtt_sources: Path | None = None


def _name(path: Path) -> str:
    """The file's ``name`` field without validating the rest (the file's stem if it has none)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (OSError, ValueError, yaml.YAMLError):
        return path.stem
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name.strip() else path.stem


def shipped(folder: Path | None = None, default_path: Path | None = None) -> dict[str, Entry]:
    """Every ``*.json`` of ``folder`` (default :data:`SCENARIOS_DIR`) by id, ``default`` first,
    the others by name; ``default_path`` (a server's own file) takes the place of ``default``."""
    folder = SCENARIOS_DIR if folder is None else Path(folder)
    paths = {p.stem: p for p in sorted(folder.glob("*.json"))}
    if default_path is not None:
        paths[DEFAULT_ID] = Path(default_path)
    found = {i: Entry(i, _name(p), p, DATA_DIR / SOURCE_TABLES[i] if i in SOURCE_TABLES else None,
                      DATA_DIR / RTT_SOURCE_TABLES[i] if i in RTT_SOURCE_TABLES else None)
             for i, p in paths.items()}
    rest = sorted((e for i, e in found.items() if i != DEFAULT_ID), key=lambda e: (e.name.casefold(), e.id))
    return ({DEFAULT_ID: found[DEFAULT_ID]} if DEFAULT_ID in found else {}) | {e.id: e for e in rest}


def load(catalogue: dict[str, Entry], scenario_id: str) -> Scenario:
    """The scenario ``scenario_id`` of ``catalogue``, validated; an unknown id raises
    :class:`~core.scenario.ScenarioError` on the field ``scenario``, listing the known ids."""
    entry = catalogue.get(scenario_id) if isinstance(scenario_id, str) else None
    if entry is None:
        shown = scenario_id[:40] if isinstance(scenario_id, str) else scenario_id
        raise ScenarioError("scenario", f"no scenario {shown!r} here (known: {', '.join(catalogue) or 'none'})")
    return load_scenario(entry.path)
