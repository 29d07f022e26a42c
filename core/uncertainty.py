"""Uncertain inputs of a scenario (docs/model.md, "Uncertainty sweeps"): the ``uncertainty``
block, the default ranges by data-quality flag, a seeded Latin-hypercube design of draws, and
the scenario (or the model's arrays) of one draw.

**Field paths.** ``nodes[i].<field>``, ``workloads[k].<field>`` (a number field of the item: its
``[...]`` holds the item's id or its index; an id is tried first, as in
:func:`core.scenario.update_scenario`), ``demand[j].mw`` (``j`` an index: demand entries have no
id), ``prices.<field>``, ``objective.carbon_price_usd_per_t``, ``latency_model.<field>``,
``period_hours``, ``regional_ms``, and ``rtt_ms.A.B`` for a round trip the scenario gives
(a modelled pair is no field: give it in ``rtt_ms`` first). Ids, booleans, text and the carbon
signal are not numbers and take no range.

**Two kinds of input.** A *value* input (``fields`` empty) draws the field's value itself, in the
field's unit, between ``low`` and ``high``. A *factor* input (``fields`` a list of paths; ``field``
is then only its name) draws one dimensionless factor and multiplies the value of every path of
``fields`` by it: one number standing behind many values (every PUE from one story, one node's
demand). A path takes at most one value input and at most one factor input; a draw first sets
every value input, then multiplies by every factor, so a path in both gets ``value × factor``.

**Validation** (:func:`check_block`, from :func:`core.scenario.parse_scenario`): each entry's
paths exist and are numbers, ``low ≤ high``, a ``mode`` (only and always with
``"dist": "triangular"``) within ``[low, high]``, factors ≥ 0, no path twice, and every value a
draw can give within the bounds of the target field, read from the pydantic constraints of
:mod:`core.scenario` (PUE ≥ 1, shares 0..1, latitudes ±90, ...), so a draw is always a valid
scenario. Default ranges (no block): :func:`default_inputs` and data/SOURCES.md, "Uncertainty
ranges".
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc, triang

from core.catalogue import DATA_DIR, shipped
from core.inputs import ModelInputs
from core.latency import distance_matrix_km, rtt_from_distance_ms
from core.scenario import (Demand, LatencyModel, Node, Objective, Prices, Scenario, ScenarioError,
                           Workload, load_scenario, parse_scenario)

DISTS = ("uniform", "triangular")


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input of a sweep.

    ``fields`` empty: ``field`` is a field path and the drawn value, in the field's unit, replaces
    its value. ``fields`` given: ``field`` is the input's name and the drawn value is a
    dimensionless factor that multiplies the value of every path in ``fields`` (after every value
    input is set). ``low``/``high``/``mode`` in the same unit as the drawn value; ``dist``
    "uniform" or "triangular"; ``basis`` where the range comes from ("scenario", or the default
    rule of data/SOURCES.md)."""

    field: str
    low: float
    high: float
    dist: str = "uniform"
    mode: float | None = None
    basis: str = ""
    fields: tuple[str, ...] = ()

    def entry(self) -> dict:
        """The ``uncertainty`` block entry of this input (its basis is not part of a scenario)."""
        out = {"field": self.field, "low": self.low, "high": self.high, "dist": self.dist}
        if self.fields:
            out["fields"] = list(self.fields)
        if self.mode is not None:
            out["mode"] = self.mode
        return out


# ---------------------------------------------------------------------------------------------
# field paths

@dataclass(frozen=True)
class Bounds:
    """The values a field allows: ``lo ≤ v ≤ hi`` (``<`` where open)."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False

    def allows(self, v: float) -> bool:
        return (v > self.lo if self.lo_open else v >= self.lo) and (v < self.hi if self.hi_open else v <= self.hi)

    def words(self) -> str:
        parts = []
        if self.lo > -math.inf:
            parts.append(f"{'>' if self.lo_open else '≥'} {self.lo:g}")
        if self.hi < math.inf:
            parts.append(f"{'<' if self.hi_open else '≤'} {self.hi:g}")
        return " and ".join(parts)

    def clip(self, low: float, high: float) -> tuple[float, float]:
        """``[low, high]`` cut to the closed bounds (an open bound is never a default's edge)."""
        return max(low, self.lo), min(high, self.hi)


@dataclass(frozen=True)
class Target:
    """A resolved field path: ``kind`` ("nodes", "workloads", "demand", "rtt_ms", "prices",
    "objective", "latency_model" or "" for a top-level field), ``index`` of the list item,
    ``attr`` the field name (for rtt_ms: the pair ``a``, ``b``)."""

    kind: str
    attr: str
    index: int | None = None
    pair: tuple[str, str] | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.index, self.attr, self.pair)


_ITEM = re.compile(r"^(nodes|workloads|demand)\[([^\]]+)\]\.([A-Za-z_]\w*)$")
_ITEM_MODELS = {"nodes": Node, "workloads": Workload, "demand": Demand}
_SECTION_MODELS = {"prices": Prices, "objective": Objective, "latency_model": LatencyModel}
RTT_BOUNDS = Bounds(lo=0.0)  # core.scenario._check_references: a given round trip is ≥ 0 ms


def field_bounds(model, attr: str) -> Bounds | None:
    """The bounds of the number field ``attr`` of the pydantic ``model`` from its constraints
    (``Field(ge=…, le=…, gt=…, lt=…)``); None if it is not a number field."""
    info = model.model_fields.get(attr)
    if info is None or info.annotation is not float:
        return None
    b = Bounds()
    for m in info.metadata:
        for name, lo_open in (("ge", False), ("gt", True)):
            if getattr(m, name, None) is not None:
                b = replace(b, lo=float(getattr(m, name)), lo_open=lo_open)
        for name, hi_open in (("le", False), ("lt", True)):
            if getattr(m, name, None) is not None:
                b = replace(b, hi=float(getattr(m, name)), hi_open=hi_open)
    return b


def _not_drawn(model, attr: str, path: str) -> str:
    if model.model_fields[attr].annotation is int:
        return f"{path!r} takes whole numbers; a range draws real numbers"
    return f"{path!r} is not a number field"


def _item_index(items: list, key: str) -> int | None:
    for i, item in enumerate(items):
        if getattr(item, "id", None) == key:
            return i
    return int(key) if key.isdigit() and int(key) < len(items) else None


def resolve(sc: Scenario, path: str) -> tuple[Target, Bounds]:
    """The field ``path`` names in ``sc`` and its bounds; ValueError with the reason if it names
    no number field."""
    m = _ITEM.match(path)
    if m:
        kind, key, attr = m.groups()
        items = getattr(sc, kind)
        index = int(key) if kind == "demand" and key.isdigit() and int(key) < len(items) else (
            None if kind == "demand" else _item_index(items, key))
        if index is None or attr not in _ITEM_MODELS[kind].model_fields:
            raise ValueError(f"unknown field path {path!r}")
        bounds = field_bounds(_ITEM_MODELS[kind], attr)
        if bounds is None:
            raise ValueError(_not_drawn(_ITEM_MODELS[kind], attr, path))
        return Target(kind, attr, index), bounds
    parts = path.split(".")
    if parts[0] == "rtt_ms" and len(parts) == 3:
        a, b = parts[1], parts[2]
        if b not in sc.rtt_ms.get(a, {}):
            raise ValueError(f"unknown field path {path!r} (only the round trips given in rtt_ms are fields)")
        return Target("rtt_ms", "", pair=(a, b)), RTT_BOUNDS
    if parts[0] in _SECTION_MODELS and len(parts) == 2:
        model, kind, attr = _SECTION_MODELS[parts[0]], parts[0], parts[1]
    elif len(parts) == 1:
        model, kind, attr = Scenario, "", parts[0]
    else:
        raise ValueError(f"unknown field path {path!r}")
    if attr not in model.model_fields:
        raise ValueError(f"unknown field path {path!r}")
    bounds = field_bounds(model, attr)
    if bounds is None:
        raise ValueError(_not_drawn(model, attr, path))
    return Target(kind, attr), bounds


def _get(data: dict, t: Target) -> float:
    if t.kind == "rtt_ms":
        return data["rtt_ms"][t.pair[0]][t.pair[1]]
    if t.index is not None:
        return data[t.kind][t.index][t.attr]
    return (data[t.kind] if t.kind else data)[t.attr]


def _set(data: dict, t: Target, value: float) -> None:
    if t.kind == "rtt_ms":
        data["rtt_ms"][t.pair[0]][t.pair[1]] = value
    elif t.index is not None:
        data[t.kind][t.index][t.attr] = value
    else:
        (data[t.kind] if t.kind else data)[t.attr] = value


# ---------------------------------------------------------------------------------------------
# validation of the block

def _range_text(lo: float, hi: float) -> str:
    return f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}"


def check_inputs(sc: Scenario, inputs: list[UncertainInput], where: str = "uncertainty") -> None:
    """Raise :class:`ScenarioError` naming ``{where}[i].<key>`` for the first entry of ``inputs``
    that breaks a rule of the module docstring; the base values are ``sc``'s."""
    data = sc.to_dict()
    names: dict[str, int] = {}
    valued: dict[tuple, int] = {}
    scaled: dict[tuple, int] = {}
    span: dict[tuple, tuple[float, float]] = {}
    for i, e in enumerate(inputs):               # each entry's own rules, in order
        at = f"{where}[{i}]"
        if e.dist not in DISTS:
            raise ScenarioError(f"{at}.dist", f"must be one of {', '.join(DISTS)}, got {e.dist!r}")
        for key in ("low", "high", "mode"):
            v = getattr(e, key)
            if v is not None and not math.isfinite(v):
                raise ScenarioError(f"{at}.{key}", f"must be a finite number, got {v!r}")
        if e.low > e.high:
            raise ScenarioError(f"{at}.high", f"must be ≥ low ({e.low:g}), got {e.high:g}")
        if e.dist == "triangular" and e.mode is None:
            raise ScenarioError(f"{at}.mode", 'a "triangular" entry needs a mode')
        if e.dist != "triangular" and e.mode is not None:
            raise ScenarioError(f"{at}.mode", 'only a "triangular" entry has a mode')
        if e.mode is not None and not e.low <= e.mode <= e.high:
            raise ScenarioError(f"{at}.mode",
                                f"must lie between low and high ({e.low:g} to {e.high:g}), got {e.mode:g}")
        if e.field in names:
            raise ScenarioError(f"{at}.field", f"{e.field!r} is given twice (also {where}[{names[e.field]}])")
        names[e.field] = i
        if e.fields and e.low < 0:
            raise ScenarioError(f"{at}.low", f"a factor must be ≥ 0, got {e.low:g}")
    order = sorted(range(len(inputs)), key=lambda i: bool(inputs[i].fields))   # value entries, then factors
    for i in order:
        e, at = inputs[i], f"{where}[{i}]"
        if not e.fields:
            try:
                t, bounds = resolve(sc, e.field)
            except ValueError as exc:
                raise ScenarioError(f"{at}.field", str(exc)) from None
            if t.key in valued:
                raise ScenarioError(f"{at}.field", f"{e.field!r} names the field of {where}[{valued[t.key]}]")
            valued[t.key] = i
            for v in (e.low, e.high):
                if not bounds.allows(v):
                    raise ScenarioError(f"{at}.{'low' if v == e.low else 'high'}",
                                        f"{e.field} must be {bounds.words()}; the range allows {v:g}")
            span[t.key] = (e.low, e.high)
            continue
        for j, path in enumerate(e.fields):
            try:
                t, bounds = resolve(sc, path)
            except ValueError as exc:
                raise ScenarioError(f"{at}.fields[{j}]", str(exc)) from None
            if t.key in scaled:
                other = scaled[t.key]
                raise ScenarioError(f"{at}.fields[{j}]", f"{path!r} is scaled twice (also by {where}[{other}])")
            scaled[t.key] = i
            lo, hi = span.get(t.key) or (_get(data, t),) * 2
            corners = (lo * e.low, lo * e.high, hi * e.low, hi * e.high)
            for v in (min(corners), max(corners)):
                if not bounds.allows(v):
                    raise ScenarioError(f"{at}.{'low' if v == min(corners) else 'high'}",
                                        f"{path} must be {bounds.words()}; the range allows {v:g} "
                                        f"({_range_text(lo, hi)} × {_range_text(e.low, e.high)})")


def block_inputs(sc: Scenario) -> list[UncertainInput]:
    """The scenario's own ``uncertainty`` block as inputs (basis "scenario"); [] without one."""
    return [UncertainInput(e.field, e.low, e.high, e.dist, e.mode, "scenario", tuple(e.fields or ()))
            for e in sc.uncertainty or []]


def check_block(sc: Scenario) -> None:
    """The cross-checks of the ``uncertainty`` block (called by :func:`core.scenario.parse_scenario`)."""
    check_inputs(sc, block_inputs(sc))


# ---------------------------------------------------------------------------------------------
# default ranges (data/SOURCES.md, "Uncertainty ranges")

FLAG_WIDTH = {"measured": 0.05, "estimate": 0.25, "assumption": 0.50}
"""Half-width of a default range, as a share of the value, by data-quality flag."""

MARGINAL_RANGES_G_PER_KWH = {430.0: ("gas", 400.0, 450.0), 650.0: ("coal-gas", 600.0, 700.0),
                             975.0: ("coal", 950.0, 1000.0)}
"""Plant type on the margin → emission-factor range [gCO2/kWh] (data/SOURCES.md, "Marginal carbon")."""

DEMAND_FLAG = "assumption"   # demand.csv and world_demand.csv: "assumption on IEA figures"
RTT_FLAG = "measured"        # a given round trip whose source is an Azure median (data/rtt_pairs.csv)
MEASURED_RTT_SOURCE = "azure-measured"
SETTING_FLAGS = {"prices.egress_usd_per_gb": "measured", "latency_model.route_inflation": "estimate"}
"""Scenario settings with a default range and their flag (data/SOURCES.md, "Scenario settings",
and the fit of core/latency.py); every other setting is a choice, not a datum."""
NODE_FLAGS = {"price_usd_per_mwh": "price_flag", "carbon_avg_g_per_kwh": "carbon_avg_flag"}
WORKLOAD_FLAGS = {"gb_per_mwh": "gb_per_mwh_flag", "migration_overhead": "migration_overhead_flag",
                  "state_pinned_share": "state_pinned_flag"}


@lru_cache(maxsize=4)
def _shipped_references(folder: str | None) -> tuple:
    """(id, scenario, regions provenance, measured pairs) of every shipped scenario with a table
    of sources; measured pairs: the ``{a, b}`` its rtt table calls "azure-measured"."""
    out = []
    for entry in shipped(Path(folder) if folder else None).values():
        if entry.sources is not None and entry.sources.exists():
            prov = pd.read_csv(entry.sources, keep_default_na=False, na_values=[""]).set_index("id")
            measured = set()
            if entry.rtt_sources is not None and entry.rtt_sources.exists():
                rtt = pd.read_csv(entry.rtt_sources, usecols=["a", "b", "source"])
                measured = {frozenset(p) for p in rtt.loc[rtt["source"] == MEASURED_RTT_SOURCE, ["a", "b"]].values}
            out.append((entry.id, load_scenario(entry.path), prov, frozenset(measured)))
    return tuple(out)


@lru_cache(maxsize=1)
def _workload_flags() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "workloads.csv", keep_default_na=False, na_values=[""]).set_index("id")


def reference_for(sc: Scenario, folder: str | Path | None = None):
    """The shipped scenario ``sc`` comes from, (id, scenario, regions provenance, measured round-trip
    pairs), or None: the one with
    the most node ids in common with ``sc`` (the default first on a tie), if any."""
    best, common = None, 0
    ids = set(sc.node_ids)
    for ref in _shipped_references(str(folder) if folder else None):
        n = len(ids & set(ref[1].node_ids))
        if n > common:
            best, common = ref, n
    return best


def _flag_range(value: float, flag: str, bounds: Bounds) -> tuple[float, float]:
    w = FLAG_WIDTH[flag]
    return bounds.clip(value * (1 - w), value * (1 + w))


def _basis(flag: str) -> str:
    return f"{flag} ±{FLAG_WIDTH[flag]:.0%} (data/SOURCES.md)".replace("%", " %")


def _factor_range(values: list[float], w: float, bounds: Bounds) -> tuple[float, float]:
    """The factor range ``[1 − w, 1 + w]`` cut so that every (positive) value stays in ``bounds``
    (a cut factor moved by one ulp where ``value × factor`` would round out of them)."""
    def edge(limit: float, v: float, inward: float) -> float:
        f = limit / v
        return float(np.nextafter(f, inward)) if not bounds.allows(v * f) else f

    lo = max([1 - w] + [edge(bounds.lo, v, math.inf) for v in values if bounds.lo > -math.inf])
    hi = min([1 + w] + [edge(bounds.hi, v, -math.inf) for v in values if bounds.hi < math.inf])
    return lo, hi


def default_inputs(sc: Scenario, folder: str | Path | None = None) -> list[UncertainInput]:
    """The documented default ranges of ``sc`` (data/SOURCES.md, "Uncertainty ranges").

    Only values whose data-quality flag is known get a range: a value of a shipped scenario
    (:func:`reference_for`; ``folder`` the scenarios folder, default ``scenarios/``) that ``sc``
    still has unchanged. An edited value, a region or class the shipped data lacks, and every
    value of a scenario that matches no shipped one are the user's own numbers: no default range
    (give one in the ``uncertainty`` block). Rules, with ``w`` = 5 % measured, 25 % estimate,
    50 % assumption: price and average carbon ``value·(1 ± w)`` per node (nodes whose value and
    source are the same number share one factor); marginal carbon one triangular factor per plant
    type over its emission-factor range; every PUE one factor ``1 ± w`` (kept ≥ 1); capacity's
    spare part ``(capacity − own demand)·(1 ± w)``; each node's demand entries and capacity one
    factor ``1 ± 50 %``; per workload class data moved, migration overhead and pinned share
    ``value·(1 ± w)`` (within 0..1); every given round trip one factor ``1 ± 5 %``; the egress price
    ±5 %; the route inflation ±25 %. Inputs of zero width are left out.
    """
    ref = reference_for(sc, folder)
    if ref is None:
        return []
    _, base, prov, measured_pairs = ref
    base_nodes = {n.id: n for n in base.nodes}
    base_work = {w.id: w for w in base.workloads}
    wflags = _workload_flags()
    out: list[UncertainInput] = []

    def documented(node, attr: str, flag_col: str) -> str | None:
        ref_node = base_nodes.get(node.id)
        if ref_node is None or getattr(ref_node, attr) != getattr(node, attr) or node.id not in prov.index:
            return None
        flag = prov.at[node.id, flag_col] if flag_col in prov.columns else None
        return flag if flag in FLAG_WIDTH else None

    def per_value(attr: str, flag_col: str) -> None:
        bounds = field_bounds(Node, attr)
        groups: dict[tuple, list[str]] = {}
        source_col = flag_col.replace("_flag", "_source")
        for node in sc.nodes:
            flag = documented(node, attr, flag_col)
            if flag is not None and getattr(node, attr) > 0:
                source = prov.at[node.id, source_col] if source_col in prov.columns else node.id
                groups.setdefault((flag, getattr(node, attr), source), []).append(node.id)
        for (flag, value, _), ids in groups.items():
            if len(ids) == 1:
                low, high = _flag_range(value, flag, bounds)
                out.append(UncertainInput(f"nodes[{ids[0]}].{attr}", low, high, basis=_basis(flag)))
            else:
                low, high = _factor_range([value], FLAG_WIDTH[flag], bounds)
                name = f"scale:nodes[{ids[0]}+{len(ids) - 1}].{attr}"
                out.append(UncertainInput(name, low, high, basis=_basis(flag) + ", one source",
                                          fields=tuple(f"nodes[{i}].{attr}" for i in ids)))

    for attr, col in NODE_FLAGS.items():
        per_value(attr, col)

    # marginal carbon: one triangular factor per plant type
    plants: dict[float, list[str]] = {}
    for node in sc.nodes:
        v = node.carbon_marginal_g_per_kwh
        if documented(node, "carbon_marginal_g_per_kwh", "carbon_marginal_flag") and v in MARGINAL_RANGES_G_PER_KWH:
            plants.setdefault(v, []).append(node.id)
    for v, ids in plants.items():
        plant, lo, hi = MARGINAL_RANGES_G_PER_KWH[v]
        out.append(UncertainInput(f"scale:nodes[margin={plant}].carbon_marginal_g_per_kwh", lo / v, hi / v,
                                  "triangular", 1.0, f"{plant} plant range {lo:g}–{hi:g} gCO2/kWh (data/SOURCES.md)",
                                  tuple(f"nodes[{i}].carbon_marginal_g_per_kwh" for i in ids)))

    # PUE: one story for all regions, one factor per flag
    pue_bounds = field_bounds(Node, "pue")
    by_flag: dict[str, list] = {}
    for node in sc.nodes:
        flag = documented(node, "pue", "pue_flag")
        if flag is not None:
            by_flag.setdefault(flag, []).append(node)
    for flag, nodes in by_flag.items():
        low, high = _factor_range([n.pue for n in nodes], FLAG_WIDTH[flag], pue_bounds)
        out.append(UncertainInput(f"scale:nodes[*].pue" + ("" if len(by_flag) == 1 else f"[{flag}]"), low, high,
                                  basis=_basis(flag) + ", one story for every PUE",
                                  fields=tuple(f"nodes[{n.id}].pue" for n in nodes)))

    # demand per node (with its capacity), capacity's spare part per node
    base_demand: dict[str, list] = {}
    for d in base.demand:
        base_demand.setdefault(d.node, []).append((d.workload, d.mw))
    entries: dict[str, list[int]] = {}
    for j, d in enumerate(sc.demand):
        entries.setdefault(d.node, []).append(j)
    own_mw = {n: sum(sc.demand[j].mw for j in js) for n, js in entries.items()}
    w_demand = FLAG_WIDTH[DEMAND_FLAG]
    for node in sc.nodes:
        js = entries.get(node.id, [])
        same_demand = bool(js) and sorted((sc.demand[j].workload, sc.demand[j].mw) for j in js) == \
            sorted(base_demand.get(node.id, []))
        flag = documented(node, "capacity_mw", "capacity_flag")
        spare = node.capacity_mw - own_mw.get(node.id, 0.0)
        if flag is not None and spare > 0:
            w = FLAG_WIDTH[flag]
            low, high = node.capacity_mw - w * spare, node.capacity_mw + w * spare
            out.append(UncertainInput(f"nodes[{node.id}].capacity_mw", low, high,
                                      basis=f"{flag}: spare capacity ±{w:.0%} (data/SOURCES.md)".replace("%", " %")))
        fields = tuple(f"demand[{j}].mw" for j in js if sc.demand[j].mw > 0)
        if same_demand and node.id in base_nodes and fields:
            if flag is not None:
                fields += (f"nodes[{node.id}].capacity_mw",)
            out.append(UncertainInput(f"scale:demand[node={node.id}]", 1 - w_demand, 1 + w_demand,
                                      basis=_basis(DEMAND_FLAG) + ", with the node's capacity", fields=fields))

    # workload classes
    for k, w in enumerate(sc.workloads):
        ref_w = base_work.get(w.id)
        for attr, col in WORKLOAD_FLAGS.items():
            value = getattr(w, attr)
            if ref_w is None or getattr(ref_w, attr) != value or w.id not in wflags.index or value == 0:
                continue
            flag = wflags.at[w.id, col]
            if flag in FLAG_WIDTH:
                low, high = _flag_range(value, flag, field_bounds(Workload, attr))
                out.append(UncertainInput(f"workloads[{w.id}].{attr}", low, high, basis=_basis(flag)))

    # given round trips (one factor), settings
    pairs = [f"rtt_ms.{a}.{b}" for a, row in sc.rtt_ms.items() for b, v in row.items()
             if base.rtt_ms.get(a, {}).get(b) == v and v > 0 and frozenset((a, b)) in measured_pairs]
    if pairs:
        w = FLAG_WIDTH[RTT_FLAG]
        out.append(UncertainInput("scale:rtt_ms[given]", 1 - w, 1 + w, basis=_basis(RTT_FLAG) + ", every given pair",
                                  fields=tuple(pairs)))
    data, base_data = sc.to_dict(), base.to_dict()
    for path, flag in SETTING_FLAGS.items():
        t, bounds = resolve(sc, path)
        value = _get(data, t)
        if value == _get(base_data, t) and value > 0:
            low, high = _flag_range(value, flag, bounds)
            out.append(UncertainInput(path, low, high, basis=_basis(flag)))
    return out


def uncertain_inputs(sc: Scenario) -> list[UncertainInput]:
    """The uncertain inputs of ``sc``: its ``uncertainty`` block if it has one (an empty block:
    none), else :func:`default_inputs`."""
    return block_inputs(sc) if sc.uncertainty is not None else default_inputs(sc)


# ---------------------------------------------------------------------------------------------
# draws

def draw_design(inputs: list[UncertainInput], n: int, seed: int) -> np.ndarray:
    """``n`` draws of ``inputs``, shape (n, len(inputs)), in each input's unit: a scrambled Latin
    hypercube (``scipy.stats.qmc.LatinHypercube``, seeded by ``seed``; each of the ``n`` equal
    strata of each input holds one draw) mapped by the inverse CDF of each input's distribution.
    The same inputs, ``n`` and ``seed`` give the same array on any machine."""
    if not inputs:
        raise ScenarioError("uncertainty", "no uncertain inputs to draw: give ranges in the scenario's uncertainty "
                                           "block (a scenario that is not shipped has no default ranges)")
    if n < 1:
        raise ScenarioError("draws", f"must be ≥ 1, got {n}")
    u = qmc.LatinHypercube(d=len(inputs), rng=np.random.default_rng(seed)).random(n)
    out = np.empty_like(u)
    for j, e in enumerate(inputs):
        width = e.high - e.low
        if width == 0:
            out[:, j] = e.low
        elif e.dist == "triangular":
            out[:, j] = triang.ppf(u[:, j], (e.mode - e.low) / width, loc=e.low, scale=width)
        else:
            out[:, j] = e.low + u[:, j] * width
    return out


def _resolved(sc: Scenario, inputs: list[UncertainInput]) -> list[tuple[UncertainInput, list[Target]]]:
    return [(e, [resolve(sc, p)[0] for p in (e.fields or (e.field,))]) for e in inputs]


def _sequence(sc: Scenario, inputs, values):
    """(target, value, is_factor) in the order a draw applies them: values, then factors."""
    pairs = list(zip(_resolved(sc, inputs), np.asarray(values, dtype=float).tolist()))
    if len(pairs) != len(inputs):
        raise ValueError(f"a draw needs {len(inputs)} values, got {len(values)}")
    for (e, targets), v in pairs:
        if not e.fields:
            yield targets[0], v, False
    for (e, targets), v in pairs:
        if e.fields:
            for t in targets:
                yield t, v, True


def apply_draw(sc: Scenario, inputs: list[UncertainInput], values) -> Scenario:
    """``sc`` with one draw's ``values`` (one per input, in its unit) applied as the module
    docstring says, validated; the result has no ``uncertainty`` block (it is one point)."""
    data = sc.to_dict()
    data.pop("uncertainty", None)
    for t, v, factor in _sequence(sc, inputs, values):
        _set(data, t, _get(data, t) * v if factor else v)
    return parse_scenario(data)


_NODE_ARRAYS = {"price_usd_per_mwh": "price_usd_per_mwh", "pue": "pue", "carbon_avg_g_per_kwh": "carbon_avg_g_per_kwh",
                "carbon_marginal_g_per_kwh": "carbon_marginal_g_per_kwh", "capacity_mw": "capacity_mw"}
_WORKLOAD_ARRAYS = {"latency_budget_ms": "budget_ms", "state_pinned_share": "pinned_share",
                    "gb_per_mwh": "gb_per_mwh", "migration_overhead": "migration_overhead"}
_SCALARS = {("prices", "egress_usd_per_gb"): "egress_usd_per_gb",
            ("prices", "migration_usd_per_mwh"): "migration_usd_per_mwh",
            ("prices", "unserved_usd_per_mwh"): "unserved_usd_per_mwh",
            ("objective", "carbon_price_usd_per_t"): "carbon_price_usd_per_t",
            ("", "period_hours"): "period_hours", ("", "regional_ms"): "regional_ms"}


@dataclass(frozen=True)
class _Plan:
    """How one draw's values reach the arrays: ``ops`` (array name, position, column, is factor)
    in the order of :func:`_sequence`; the given round trips as positions in the rtt matrix."""

    ops: tuple[tuple[str, int, int, bool], ...]
    rtt_pairs: tuple[tuple[str, str], ...]
    rtt_index: tuple[np.ndarray, np.ndarray]
    rtt_reverse_only: np.ndarray


_PLANS: dict = {}   # one entry: (id(sc), inputs) -> (sc, plan); sc is kept so that its id stays its own


def _plan(sc: Scenario, inputs: list[UncertainInput]) -> _Plan:
    key = (id(sc), tuple(inputs))
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is sc:
        return hit[1]
    pairs = tuple((a, b) for a, row in sc.rtt_ms.items() for b in row)
    pair_pos = {pair: i for i, pair in enumerate(pairs)}
    index = {n: i for i, n in enumerate(sc.node_ids)}
    ops = []
    columns = {id(e): j for j, e in enumerate(inputs)}
    resolved = _resolved(sc, inputs)
    for want_factor in (False, True):
        for e, targets in resolved:
            if bool(e.fields) != want_factor:
                continue
            for t in targets:
                if t.kind == "nodes":
                    name = _NODE_ARRAYS.get(t.attr, t.attr)
                elif t.kind == "workloads":
                    name = _WORKLOAD_ARRAYS[t.attr]
                elif t.kind == "demand":
                    name = "demand"
                elif t.kind == "rtt_ms":
                    ops.append(("rtt", pair_pos[t.pair], columns[id(e)], want_factor))
                    continue
                elif t.kind == "latency_model":
                    name = t.attr
                else:
                    name = _SCALARS[(t.kind, t.attr)]
                ops.append((name, -1 if t.index is None else t.index, columns[id(e)], want_factor))
    forward = np.zeros((len(index), len(index)), dtype=bool)
    rows = np.array([index[a] for a, _ in pairs], dtype=int)
    cols = np.array([index[b] for _, b in pairs], dtype=int)
    forward[rows, cols] = True
    plan = _Plan(tuple(ops), pairs, (rows, cols), forward.T & ~forward)
    _PLANS.clear()
    _PLANS[key] = (sc, plan)
    return plan


_LATENCY = ("fixed_ms", "route_inflation", "fiber_km_per_ms")


def draw_inputs(base_inp: ModelInputs, sc: Scenario, inputs: list[UncertainInput], values) -> ModelInputs:
    """``model_inputs(apply_draw(sc, inputs, values))`` without building a scenario: the drawn
    values written into the arrays of ``base_inp`` (which must be ``model_inputs(sc)``), every
    array bit-for-bit the same, in the order of operations of :func:`apply_draw` (values set,
    then factors multiply). Every number field takes this way: node and workload fields and
    settings into their arrays; demand entries summed per node and class as
    :func:`core.inputs.model_inputs` does; coordinates, given round trips and the latency model
    rebuild the distance and rtt matrices as :func:`core.latency.rtt_matrix_ms` does."""
    plan = _plan(sc, inputs)
    x = np.asarray(values, dtype=float).tolist()
    if len(x) != len(inputs):
        raise ValueError(f"a draw needs {len(inputs)} values, got {len(x)}")
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, float] = {}
    lists: dict[str, list] = {}
    for name, pos, col, factor in plan.ops:
        v = x[col]
        if name in ("demand", "rtt", "lat", "lon"):
            seq = lists.get(name)
            if seq is None:
                seq = lists[name] = {"demand": lambda: [d.mw for d in sc.demand],
                                     "rtt": lambda: [sc.rtt_ms[a][b] for a, b in plan.rtt_pairs],
                                     "lat": lambda: [n.lat for n in sc.nodes],
                                     "lon": lambda: [n.lon for n in sc.nodes]}[name]()
            seq[pos] = seq[pos] * v if factor else v
        elif name in _LATENCY:
            base = scalars.get(name, getattr(sc.latency_model, name))
            scalars[name] = base * v if factor else v
        elif pos < 0:
            scalars[name] = scalars.get(name, getattr(base_inp, name)) * v if factor else v
        else:
            arr = arrays.get(name)
            if arr is None:
                arr = arrays[name] = getattr(base_inp, name).copy()
            arr[pos] = arr[pos] * v if factor else v
    changes: dict = {**arrays, **{k: v for k, v in scalars.items() if k not in _LATENCY}}
    if "demand" in lists:
        n_index = {n: i for i, n in enumerate(base_inp.node_ids)}
        k_index = {k: i for i, k in enumerate(base_inp.workload_ids)}
        demand = np.zeros((base_inp.n_nodes, base_inp.n_workloads))
        for d, value in zip(sc.demand, lists["demand"]):
            demand[n_index[d.node], k_index[d.workload]] += value
        changes["demand_mw"] = demand
    if {"rtt", "lat", "lon"} & set(lists) or set(_LATENCY) & set(scalars):
        distance = base_inp.distance_km
        if "lat" in lists or "lon" in lists:
            distance = distance_matrix_km(np.array(lists.get("lat") or [n.lat for n in sc.nodes]),
                                          np.array(lists.get("lon") or [n.lon for n in sc.nodes]))
            changes["distance_km"] = distance
        lm = {k: scalars.get(k, getattr(sc.latency_model, k)) for k in _LATENCY}
        rtt = rtt_from_distance_ms(distance, lm["fixed_ms"], lm["route_inflation"], lm["fiber_km_per_ms"])
        given = lists.get("rtt") or [sc.rtt_ms[a][b] for a, b in plan.rtt_pairs]
        if plan.rtt_pairs:
            rtt[plan.rtt_index] = given
        rtt[plan.rtt_reverse_only] = rtt.T[plan.rtt_reverse_only]
        np.fill_diagonal(rtt, 0.0)
        changes["rtt_ms"] = rtt
    return replace(base_inp, **changes)


# ---------------------------------------------------------------------------------------------
# labels

_WORDS = {"price_usd_per_mwh": "price", "carbon_avg_g_per_kwh": "CO₂ avg", "carbon_marginal_g_per_kwh": "CO₂ marginal",
          "pue": "PUE", "capacity_mw": "capacity", "lat": "latitude", "lon": "longitude",
          "latency_budget_ms": "latency budget", "state_pinned_share": "pinned share", "gb_per_mwh": "data moved",
          "migration_overhead": "migration overhead", "mw": "demand", "egress_usd_per_gb": "egress price",
          "migration_usd_per_mwh": "migration fee", "unserved_usd_per_mwh": "unserved penalty",
          "carbon_price_usd_per_t": "carbon price", "fixed_ms": "fixed latency", "route_inflation": "route inflation",
          "fiber_km_per_ms": "fibre speed", "period_hours": "period", "regional_ms": "regional layer"}
_UNITS = (("_usd_per_mwh", "$/MWh"), ("_g_per_kwh", "gCO₂/kWh"), ("_usd_per_gb", "$/GB"), ("_usd_per_t", "$/tCO₂"),
          ("_km_per_ms", "km/ms"), ("gb_per_mwh", "GB/MWh"), ("_ms", "ms"), ("_mw", "MW"), ("mw", "MW"),
          ("_hours", "h"), ("lat", "°"), ("lon", "°"))
_GROUP = re.compile(r"^scale:(nodes|demand)\[([^\]]+)\](?:\.(\w+))?(?:\[(\w+)\])?$")


def _unit(attr: str) -> str:
    return next((u for suffix, u in _UNITS if attr.endswith(suffix)), "")


def input_label(e: UncertainInput) -> str:
    """A short label of one input with its unit: "us-va price [$/MWh]", "every PUE [×]"."""
    if e.fields:
        m = _GROUP.match(e.field)
        if e.field == "scale:rtt_ms[given]":
            return "every given round trip [×]"
        if m and m.group(1) == "demand":
            return f"{m.group(2).removeprefix('node=')} demand and capacity [×]"
        if m and m.group(2) == "*":
            return f"every {_WORDS.get(m.group(3), m.group(3))}" + (f" ({m.group(4)})" if m.group(4) else "") + " [×]"
        if m and m.group(2).startswith("margin="):
            return f"{_WORDS.get(m.group(3), m.group(3))}, {m.group(2).removeprefix('margin=')} margin [×]"
        if m:
            first, _, more = m.group(2).partition("+")
            return f"{first} and {more} more: {_WORDS.get(m.group(3), m.group(3))} [×]"
        return f"{e.field} [×]"
    item = _ITEM.match(e.field)
    if item:
        kind, key, attr = item.groups()
        who = f"demand[{key}]" if kind == "demand" else key
        return f"{who} {_WORDS.get(attr, attr)} [{_unit(attr)}]".replace(" []", "")
    parts = e.field.split(".")
    if parts[0] == "rtt_ms" and len(parts) == 3:
        return f"round trip {parts[1]}→{parts[2]} [ms]"
    return f"{_WORDS.get(parts[-1], parts[-1])} [{_unit(parts[-1])}]".replace(" []", "")


def input_labels(inputs: list[UncertainInput]) -> list[str]:
    """:func:`input_label` of each input."""
    return [input_label(e) for e in inputs]


# ---------------------------------------------------------------------------------------------
# the table of ranges (Data page)

RANGE_COLUMNS = ("label", "field", "value", "low", "high", "dist", "mode", "basis")


def ranges_table(sc: Scenario, inputs: list[UncertainInput]) -> pd.DataFrame:
    """One row per input (:data:`RANGE_COLUMNS`): its label, path or name, the scenario's value
    (text: "×1 on N values" for a factor), low, high, dist, mode (NaN if none) and basis."""
    data = sc.to_dict()
    rows = []
    for e in inputs:
        value = f"×1 on {len(e.fields)} values" if e.fields else f"{_get(data, resolve(sc, e.field)[0]):g}"
        rows.append({"label": input_label(e), "field": e.field, "value": value, "low": e.low, "high": e.high,
                     "dist": e.dist, "mode": math.nan if e.mode is None else e.mode, "basis": e.basis})
    return pd.DataFrame(rows, columns=list(RANGE_COLUMNS)).astype({"low": float, "high": float, "mode": float})


def _cell(value):
    """A table cell as a block value: a missing cell None, a number a float, text as typed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    return value


def table_entries(table: pd.DataFrame, inputs: list[UncertainInput]) -> list[dict]:
    """The ``uncertainty`` block of an edited :func:`ranges_table` (rows may be added or deleted):
    a row keeps the ``fields`` of the factor input of the same name; a missing dist is uniform.
    Not validated here: :func:`core.scenario.update_scenario` does that."""
    groups = {e.field: e.fields for e in inputs if e.fields}
    out = []
    for row in table.to_dict("records"):
        field = _cell(row.get("field"))
        entry = {"field": field, "low": _cell(row.get("low")), "high": _cell(row.get("high")),
                 "dist": _cell(row.get("dist")) or "uniform"}
        if field in groups:
            entry["fields"] = list(groups[field])
        if _cell(row.get("mode")) is not None:
            entry["mode"] = _cell(row.get("mode"))
        out.append(entry)
    return out
