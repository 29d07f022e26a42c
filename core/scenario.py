"""Scenario files (docs/model.md, ``schema_version: 1``): reading, validation, defaults and edits.

A :class:`Scenario` is an immutable, validated pydantic model. Every error is a
:class:`ScenarioError` whose message is one line naming the field and, when the file gives it,
the region, class or demand entry: ``us-ca (nodes[3]).pue: must be ≥ 1.0, got 0.9``. Reading
refuses a key given twice in one object (JSON or YAML); pydantic does the per-field checks
(types, ranges, unknown fields); the cross-field rules (unique and known ids) are checked after it.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_serializer

from core.time_block import TimeBlock, check_time_block, read_series_files

SCHEMA_VERSION = 1
MAX_SCENARIO_BYTES = 5_000_000
MAX_PERIOD_HOURS = 876_000.0  # a century: beyond it totals lose all meaning (and overflow)


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``str(err)`` is one line that names the field.

    ``field`` is the pure path (``nodes[3].pue``), ``where`` the path as shown, with the item's
    id when known (``us-ca (nodes[3]).pue``), ``message`` what is wrong.
    """

    def __init__(self, field: str, message: str, where: str | None = None):
        self.field, self.message, self.where = field, message, where or field
        super().__init__(f"{self.where}: {message}" if self.where else message)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


Number = float  # strict pydantic floats accept JSON integers, reject strings and booleans
NonNeg = Field(ge=0)
ID_PATTERN = r"^[^.]*$"
"""Node and workload ids hold no ".": edits name list items by id in dotted paths
(``nodes.us-va.capacity_mw``), so an id "a.b" could not be told from a path."""


class Node(_Strict):
    """A service and compute node: one region."""

    id: str = Field(min_length=1, pattern=ID_PATTERN)
    name: str = ""
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    country: str = ""
    residency_zone: str | None = None
    provider: str | None = Field(default=None, min_length=1)
    """Cloud provider ("aws", "azure", "gcp", ...) or None; only the provider lock reads it."""
    price_usd_per_mwh: Number = NonNeg
    carbon_avg_g_per_kwh: Number = NonNeg
    carbon_marginal_g_per_kwh: Number = NonNeg
    pue: Number = Field(ge=1)
    capacity_mw: Number = NonNeg


class Workload(_Strict):
    """An inference workload class."""

    id: str = Field(min_length=1, pattern=ID_PATTERN)
    name: str = ""
    latency_budget_ms: Number = NonNeg
    state_pinned_share: Number = Field(default=0.0, ge=0, le=1)
    gb_per_mwh: Number = Field(default=0.0, ge=0)
    migration_overhead: Number = Field(default=0.0, ge=0)
    residency_bound: bool = False
    deferrable_periods: int = Field(default=0, ge=0, exclude_if=lambda d: d == 0)
    """d[k]: periods work may wait in time mode (docs/model.md); 0 is left out of the JSON."""


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
    provider_lock: bool = False


FRICTIONS = tuple(Frictions.model_fields)


def frictions_shown(sc: Scenario) -> tuple[str, ...]:
    """The frictions a result names as on or off: all of :data:`FRICTIONS`, except the provider
    lock while it is off and no node has a provider (then it cannot change anything)."""
    lock_matters = sc.frictions.provider_lock or any(n.provider is not None for n in sc.nodes)
    return tuple(f for f in FRICTIONS if f != "provider_lock" or lock_matters)


class Prices(_Strict):
    egress_usd_per_gb: Number = Field(default=0.02, ge=0)
    migration_usd_per_mwh: Number = Field(default=0.0, ge=0)
    unserved_usd_per_mwh: Number = Field(default=10000.0, ge=0)


class Objective(_Strict):
    carbon_signal: Literal["average", "marginal"] = "marginal"
    carbon_price_usd_per_t: Number = Field(default=0.0, ge=0)


class UncertaintyEntry(_Strict):
    """One uncertain input of the optional ``uncertainty`` block (docs/model.md; the paths, the
    ``fields`` groups and every cross-check: :mod:`core.uncertainty`)."""

    field: str = Field(min_length=1)
    fields: list[str] | None = Field(default=None, min_length=1)
    low: Number
    high: Number
    dist: Literal["uniform", "triangular"] = "uniform"
    mode: Number | None = None

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class Scenario(_Strict):
    """A whole scenario; see docs/model.md for every field's meaning and unit."""

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
    uncertainty: list[UncertaintyEntry] | None = Field(default=None, exclude_if=lambda u: u is None)
    """The ranges a sweep draws (:mod:`core.uncertainty`); None is left out of the JSON, so the
    canonical JSON, cache keys and links of a scenario without it do not change."""
    time: TimeBlock | None = Field(default=None, exclude_if=lambda t: t is None)
    """The time-resolved mode's block (:mod:`core.time_block`); None is left out of the JSON."""

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
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ID_PATTERN:
        return "must not contain '.'"
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

_ITEM = re.compile(r"^(nodes|workloads|demand)\[(\d+)\]")


def _id_text(value: Any) -> str | None:
    """An id as shown in a message: as written when short and printable, else quoted and cut."""
    if not isinstance(value, str) or not value:
        return None
    return value if len(value) <= 40 and value.isprintable() else _show(value)


def field_label(field: str, data: Any) -> str:
    """``field`` with the id of the item it is in, read from the raw scenario ``data``:
    ``nodes[3].pue`` → ``us-ca (nodes[3]).pue``, ``workloads[1]`` → ``chat (workloads[1])``,
    ``demand[2].mw`` → ``demand[2] (us-va/chat).mw``; unchanged when the ids are not known."""
    m = _ITEM.match(field)
    items = data.get(m.group(1)) if m and isinstance(data, dict) else None
    if not isinstance(items, list) or int(m.group(2)) >= len(items) or not isinstance(items[int(m.group(2))], dict):
        return field
    item, head, rest = items[int(m.group(2))], m.group(0), field[m.end():]
    if m.group(1) == "demand":
        node, workload = _id_text(item.get("node")), _id_text(item.get("workload"))
        return f"{head} ({node}/{workload}){rest}" if node and workload else field
    name = _id_text(item.get("id"))
    return f"{name} ({head}){rest}" if name else field


def parse_scenario(data: Any, base_dir: Path | None = None) -> Scenario:
    """Validate a decoded scenario (a dict) and return it with every default filled in.

    ``base_dir``: the folder of the scenario file, where ``time`` series given as CSV file names
    are read (:func:`core.time_block.read_series_files`); None reads no file (such a name is an
    error)."""
    if not isinstance(data, dict):
        raise ScenarioError("", f"a scenario must be a JSON object, got {type(data).__name__}")
    try:
        data = read_series_files(data, base_dir)
        sc = Scenario.model_validate(data)
        _check_references(sc)
        if sc.time is not None:
            sc = check_time_block(sc)
        if sc.uncertainty is not None:
            from core.uncertainty import check_block     # it builds on this module

            check_block(sc)
    except (ValidationError, ScenarioError) as exc:
        err = _first_error(exc) if isinstance(exc, ValidationError) else exc
        raise ScenarioError(err.field, err.message, field_label(err.field, data)) from None
    return sc


# ---------------------------------------------------------------------------------------------
# strict decoding: a key given twice in one object is an error (docs/model.md), never "last one wins"

MAX_DECODED_VALUES = MAX_SCENARIO_BYTES  # no alias-free text of that size holds more values


def _key_text(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _json_object(duplicates: list):
    """An ``object_pairs_hook`` that builds a dict and records ``(dict, key)`` of a repeated key."""
    def hook(pairs: list[tuple[str, Any]]) -> dict:
        out: dict = {}
        repeated = None
        for key, value in pairs:
            if repeated is None and key in out:
                repeated = key
            out[key] = value
        if repeated is not None:
            duplicates.append((out, repeated))
        return out
    return hook


class StrictYamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that records a mapping whose key is given twice (merge keys ``<<``
    still override, as YAML defines) in ``self.duplicates`` as ``(dict, key)``."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[dict, Any]] = []

    def _repeated_key(self, node: yaml.MappingNode) -> Any:
        seen = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            if key in seen:
                return key
            seen.add(key)
        return None

    def construct_strict_map(self, node: yaml.MappingNode):
        data: dict = {}
        yield data
        repeated = self._repeated_key(node) if isinstance(node, yaml.MappingNode) else None
        data.update(self.construct_mapping(node))
        if repeated is not None:
            self.duplicates.append((data, repeated))


StrictYamlLoader.add_constructor("tag:yaml.org,2002:map", StrictYamlLoader.construct_strict_map)


def _expanded_values(data: Any) -> int:
    """How many values ``data`` holds with every shared (YAML alias) object counted each time it
    appears; linear in the distinct objects. Raises for an object that contains itself."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        obj, done = stack.pop()
        if not isinstance(obj, (dict, list)):
            continue
        children = list(obj.values()) if isinstance(obj, dict) else obj
        if done:
            sizes[id(obj)] = 1 + sum(sizes.get(id(c), 1) for c in children)
            open_.discard(id(obj))
        elif id(obj) not in sizes:
            if id(obj) in open_:
                raise ScenarioError("", "a YAML alias refers to a value that contains it")
            open_.add(id(obj))
            stack.append((obj, True))
            stack += [(c, False) for c in children]
    return sizes.get(id(data), 1)


def _duplicate_error(data: Any, duplicates: list[tuple[dict, Any]]) -> ScenarioError | None:
    """The error of the first object (in document order) with a key given twice, naming its path."""
    marked = {id(d): key for d, key in duplicates}
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if not isinstance(value, (dict, list)) or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            if id(value) in marked:
                key = _key_text(marked[id(value)])
                if not path:
                    return ScenarioError("", f"duplicate top-level key {key}")
                return ScenarioError(path, f"duplicate key {key}", field_label(path, data))
            stack += [(v, f"{path}.{k}" if path else str(k)) for k, v in reversed(list(value.items()))]
        else:
            stack += [(v, f"{path}[{i}]") for i, v in reversed(list(enumerate(value)))]
    return None


def _decode(text: str, fmt: str) -> Any:
    """Decoded scenario text (JSON or YAML) with no key given twice in one object."""
    duplicates: list[tuple[dict, Any]] = []
    if fmt == "yaml":
        loader = StrictYamlLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
        duplicates = loader.duplicates
        if _expanded_values(data) > MAX_DECODED_VALUES:     # aliases can expand a small text
            raise ScenarioError("", f"the YAML aliases expand the scenario beyond {MAX_DECODED_VALUES:,} values")
    else:
        data = json.loads(text, object_pairs_hook=_json_object(duplicates))
    error = _duplicate_error(data, duplicates) if duplicates else None
    if error is not None:
        raise error
    return data


def loads_scenario(text: str | bytes, fmt: str = "json") -> Scenario:
    """Parse scenario text (``fmt`` "json" or "yaml") into a validated :class:`Scenario`. It
    reads no file: a ``time`` series given as a file name is an error (uploads, links)."""
    return parse_scenario(decode_scenario_text(text, fmt))


def decode_scenario_text(text: str | bytes, fmt: str = "json") -> Any:
    """Scenario text (``fmt`` "json" or "yaml", at most :data:`MAX_SCENARIO_BYTES`) decoded,
    not yet validated."""
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError("", f"scenario is {len(text):,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError("", "scenario is not UTF-8 text") from None
    try:
        data = _decode(text, fmt)
    except json.JSONDecodeError as exc:
        raise ScenarioError("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError("", f"not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ScenarioError("", "scenario is nested too deeply") from None
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (.json, .yaml or .yml), or a folder of CSV files
    (:mod:`core.scenario_csv`); ``"-"`` reads standard input. A file's ``time`` series may be CSV
    files in its folder (:mod:`core.time_block`)."""
    import sys

    if str(path) == "-":
        return loads_scenario(sys.stdin.read())
    p = Path(path)
    if p.is_dir():
        from core.scenario_csv import read_scenario_dir     # it builds on this module

        return read_scenario_dir(p)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise ScenarioError("", f"cannot read {p}: {exc.strerror}") from None
    data = decode_scenario_text(text, "yaml" if p.suffix.lower() in (".yaml", ".yml") else "json")
    return parse_scenario(data, base_dir=p.parent)   # time series may be CSV files beside it


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


