"""Scenario files (MODEL.md, ``schema_version: 1``): reading, validation, defaults and edits.

A :class:`Scenario` is an immutable, validated pydantic model. Every error is a
:class:`ScenarioError` whose message is one line naming the field, e.g.
``nodes[3].pue: must be ≥ 1, got 0.9``. pydantic does the per-field checks (types, ranges,
unknown fields); the cross-field rules (unique and known ids) are checked after it.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION = 1
MAX_SCENARIO_BYTES = 5_000_000
MAX_PERIOD_HOURS = 876_000.0  # a century: beyond it totals lose all meaning (and overflow)


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``str(err)`` is one line that names the field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


Number = float  # strict pydantic floats accept JSON integers, reject strings and booleans
NonNeg = Field(ge=0)


class Node(_Strict):
    """A service and compute node: one region."""

    id: str = Field(min_length=1)
    name: str = ""
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    country: str = ""
    residency_zone: str | None = None
    price_usd_per_mwh: Number = NonNeg
    carbon_avg_g_per_kwh: Number = NonNeg
    carbon_marginal_g_per_kwh: Number = NonNeg
    pue: Number = Field(ge=1)
    capacity_mw: Number = NonNeg


class Workload(_Strict):
    """An inference workload class."""

    id: str = Field(min_length=1)
    name: str = ""
    latency_budget_ms: Number = NonNeg
    state_pinned_share: Number = Field(default=0.0, ge=0, le=1)
    gb_per_mwh: Number = Field(default=0.0, ge=0)
    migration_overhead: Number = Field(default=0.0, ge=0)
    residency_bound: bool = False


class Demand(_Strict):
    node: str
    workload: str
    mw: Number = NonNeg


class LatencyModel(_Strict):
    fixed_ms: Number = Field(default=5.0, ge=0)
    route_inflation: Number = Field(default=1.5, ge=0)
    fiber_km_per_ms: Number = Field(default=200.0, gt=0)


class Frictions(_Strict):
    egress: bool = True
    migration: bool = True
    state_locality: bool = True
    legal: bool = True
    capacity: bool = True


FRICTIONS = tuple(Frictions.model_fields)


class Prices(_Strict):
    egress_usd_per_gb: Number = Field(default=0.02, ge=0)
    migration_usd_per_mwh: Number = Field(default=0.0, ge=0)
    unserved_usd_per_mwh: Number = Field(default=10000.0, ge=0)


class Objective(_Strict):
    carbon_signal: Literal["average", "marginal"] = "marginal"
    carbon_price_usd_per_t: Number = Field(default=0.0, ge=0)


class Scenario(_Strict):
    """A whole scenario; see MODEL.md for every field's meaning and unit."""

    schema_version: Literal[1] = 1
    name: str = "scenario"
    description: str = ""
    period_hours: Number = Field(default=8760.0, gt=0, le=MAX_PERIOD_HOURS)
    nodes: list[Node] = Field(min_length=1)
    workloads: list[Workload] = Field(min_length=1)
    demand: list[Demand]
    rtt_ms: dict[str, dict[str, Number]] = Field(default_factory=dict)
    latency_model: LatencyModel = LatencyModel()
    frictions: Frictions = Frictions()
    prices: Prices = Prices()
    objective: Objective = Objective()
    regional_ms: Number = Field(default=30.0, ge=0)

    @property
    def node_ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    @property
    def workload_ids(self) -> list[str]:
        return [w.id for w in self.workloads]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_json(self, indent: int | None = None) -> str:
        """Canonical JSON text: also the cache key of everything computed from the scenario."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, sort_keys=indent is None)


# ---------------------------------------------------------------------------------------------
# messages

def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(err: dict) -> str:
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    simple = {
        "missing": "is required",
        "extra_forbidden": "unknown field",
        "finite_number": f"must be a finite number, got {_show(got)}",
        "float_type": f"must be a number, got {_show(got)}",
        "int_type": f"must be a whole number, got {_show(got)}",
        "bool_type": f"must be true or false, got {_show(got)}",
        "string_type": f"must be a string, got {_show(got)}",
        "dict_type": f"must be an object, got {_show(got)}",
        "tuple_type": f"must be a list, got {_show(got)}",
        "list_type": f"must be a list, got {_show(got)}",
        "model_type": f"must be an object, got {_show(got)}",
        "literal_error": f"must be one of {ctx.get('expected', '')}, got {_show(got)}",
    }
    if kind in simple:
        return simple[kind]
    bounds = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"),
              "less_than_equal": ("≤", "le"), "less_than": ("<", "lt")}
    if kind in bounds:
        sign, key = bounds[kind]
        return f"must be {sign} {ctx.get(key)}, got {_show(got)}"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "string_too_short":
        return "must not be empty"
    return err["msg"]


def _first_error(exc: ValidationError) -> ScenarioError:
    errors = exc.errors()
    # For a union (zone: str | null) pydantic reports one error per branch; keep the first.
    err = errors[0]
    loc = tuple(p for p in err["loc"] if p not in ("str", "none", "float", "int"))
    field = _loc(loc)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ScenarioError(field, _message(err) + more)


# ---------------------------------------------------------------------------------------------
# cross-field rules

def _check_ids(items, field: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            raise ScenarioError(f"{field}[{i}].id", f"duplicate id {item.id!r}")
        seen[item.id] = i
    return seen


def _check_references(sc: Scenario) -> None:
    nodes = _check_ids(sc.nodes, "nodes")
    workloads = _check_ids(sc.workloads, "workloads")
    for i, d in enumerate(sc.demand):
        if d.node not in nodes:
            raise ScenarioError(f"demand[{i}].node", f"unknown node id {d.node!r}")
        if d.workload not in workloads:
            raise ScenarioError(f"demand[{i}].workload", f"unknown workload id {d.workload!r}")
    for a, row in sc.rtt_ms.items():
        if a not in nodes:
            raise ScenarioError(f"rtt_ms.{a}", f"unknown node id {a!r}")
        for b, value in row.items():
            if b not in nodes:
                raise ScenarioError(f"rtt_ms.{a}.{b}", f"unknown node id {b!r}")
            if b == a:
                raise ScenarioError(f"rtt_ms.{a}.{b}", "a node's round trip to itself is 0 by definition")
            if value < 0:
                raise ScenarioError(f"rtt_ms.{a}.{b}", f"must be ≥ 0, got {_show(value)}")


# ---------------------------------------------------------------------------------------------
# reading

def parse_scenario(data: Any) -> Scenario:
    """Validate a decoded scenario (a dict) and return it with every default filled in."""
    if not isinstance(data, dict):
        raise ScenarioError("", f"a scenario must be a JSON object, got {type(data).__name__}")
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from None
    _check_references(sc)
    return sc



def loads_scenario(text: str | bytes, fmt: str = "json") -> Scenario:
    """Parse scenario text (``fmt`` "json" or "yaml") into a validated :class:`Scenario`."""
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError("", f"scenario is {len(text):,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError("", "scenario is not UTF-8 text") from None
    try:
        if fmt == "yaml":
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError("", f"not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ScenarioError("", "scenario is nested too deeply") from None
    return parse_scenario(data)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (.json, .yaml or .yml); ``"-"`` reads standard input."""
    import sys

    if str(path) == "-":
        return loads_scenario(sys.stdin.read())
    p = Path(path)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise ScenarioError("", f"cannot read {p}: {exc.strerror}") from None
    return loads_scenario(text, "yaml" if p.suffix.lower() in (".yaml", ".yml") else "json")


DEFAULT_SCENARIO_PATH = Path(__file__).resolve().parent.parent / "scenarios" / "default.json"


def default_scenario() -> Scenario:
    """The stylised global simulation shipped in ``scenarios/default.json``."""
    return load_scenario(DEFAULT_SCENARIO_PATH)


# ---------------------------------------------------------------------------------------------
# edits

def _list_index(items: list, key: str, field: str) -> int:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == key:
            return i
    if key.isdigit() and int(key) < len(items):
        return int(key)
    raise ScenarioError(field, f"no item with id {key!r}")


def update_scenario(sc: Scenario, changes: dict[str, Any]) -> Scenario:
    """A new scenario with ``changes`` applied and validated again.

    Keys are dotted paths; list items are named by id (or index): ``"frictions.egress"``,
    ``"workloads.chat.latency_budget_ms"``, ``"nodes.us-va.capacity_mw"``,
    ``"prices.egress_usd_per_gb"``. A whole value (e.g. ``"demand"``) may be replaced too.
    """
    data = copy.deepcopy(sc.to_dict())
    for path, value in changes.items():
        parts = path.split(".")
        target: Any = data
        for depth, part in enumerate(parts[:-1]):
            where = ".".join(parts[: depth + 1])
            if isinstance(target, list):
                target = target[_list_index(target, part, where)]
            elif isinstance(target, dict) and part in target and isinstance(target[part], (dict, list)):
                target = target[part]
            else:
                raise ScenarioError(where, "unknown field")
        last = parts[-1]
        if isinstance(target, list):
            target[_list_index(target, last, path)] = value
        elif isinstance(target, dict):
            target[last] = value
        else:
            raise ScenarioError(path, "unknown field")
    return parse_scenario(data)


def with_budgets_ms(sc: Scenario, budget_ms: float | dict[str, float]) -> Scenario:
    """Every workload's latency budget set to ``budget_ms`` [ms], or per workload id from a dict."""
    if not isinstance(budget_ms, dict):
        budget_ms = {w: float(budget_ms) for w in sc.workload_ids}
    return update_scenario(sc, {f"workloads.{w}.latency_budget_ms": float(b) for w, b in budget_ms.items()})


