"""A scenario as a folder of CSV files (what a spreadsheet edits), read and written.

A folder holds five files; their columns are the scenario's field names (docs/model.md), which
carry the units (``price_usd_per_mwh``: $/MWh), and the Data page's tables use the same names:

- ``regions.csv``: one row per node: id, name, country, lat, lon (°), residency_zone, provider,
  price_usd_per_mwh, carbon_avg_g_per_kwh, carbon_marginal_g_per_kwh (gCO₂/kWh), pue,
  capacity_mw.
- ``workloads.csv``: one row per workload class: id, name, latency_budget_ms,
  state_pinned_share (0..1), gb_per_mwh, migration_overhead, residency_bound (true/false).
- ``demand.csv``: node, workload, mw (rows for the same node and workload add up).
- ``rtt.csv`` (optional: without it every round trip comes from the distance model): the given
  round trips, one row per region pair: a, b, rtt_ab_ms (a → b), rtt_ba_ms (b → a); an empty
  cell is a direction not given (docs/model.md: then the other direction, else the distance
  model), and a row gives at least one.
- ``settings.json`` (optional: without it every setting has its docs/model.md default): the
  rest of the scenario as a JSON object in the scenario-file format: schema_version, name,
  description, period_hours, latency_model, frictions, prices, objective, regional_ms.

The header row must name the columns that have no default: in regions.csv id, lat, lon,
price_usd_per_mwh, both carbon intensities, pue and capacity_mw; in workloads.csv id and
latency_budget_ms; all three of demand.csv; a, b and rtt_ab_ms of rtt.csv. Columns may come in any
order; one left out, like an empty cell, takes the field's default (an empty residency_zone or
provider is null); an empty cell of a column without a default is an error.
Cells are UTF-8 text (a byte-order mark and Windows line endings are fine), separated by commas;
numbers use a decimal point; booleans are true/false (also yes/no, 1/0, any case). Blank rows are
skipped. Uploads may also come as one zip of the files (:func:`collect_files`).

Everything is validated by :func:`core.scenario.parse_scenario` (one set of rules), and its errors
are told in the files' terms, rows numbered as a spreadsheet shows them (the header is row 1, a
blank row counts): ``regions.csv row 7, pue: must be ≥ 1.0, got 0.9``; ``settings.json,
frictions.egress: must be true or false, got "yes"``. :func:`scenario_files` writes the same
files, so that reading them gives the scenario back (an empty ``rtt_ms`` entry of a node, which
means nothing, is not written), and reading what it wrote then writes the same bytes.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from core.scenario import MAX_SCENARIO_BYTES, Scenario, ScenarioError, parse_scenario

REGIONS, WORKLOADS, DEMAND, RTT, SETTINGS = "regions.csv", "workloads.csv", "demand.csv", "rtt.csv", "settings.json"
FILES = (REGIONS, WORKLOADS, DEMAND, RTT, SETTINGS)
REQUIRED_FILES = (REGIONS, WORKLOADS, DEMAND)
TABLE_KEYS = {"nodes": REGIONS, "workloads": WORKLOADS, "demand": DEMAND, "rtt_ms": RTT}
"""The scenario's tables and the file each lives in (the rest is in settings.json)."""


class Column(NamedTuple):
    name: str
    kind: str        # "id", "text", "text_or_null", "number", "bool"
    required: bool   # must be in the header
    unit: str
    meaning: str


COLUMNS: dict[str, tuple[Column, ...]] = {
    REGIONS: (
        Column("id", "id", True, "", "the region's identifier (no '.')"),
        Column("name", "text", False, "", "display name"),
        Column("country", "text", False, "", "ISO country code"),
        Column("lat", "number", True, "°", "latitude, -90..90"),
        Column("lon", "number", True, "°", "longitude, -180..180"),
        Column("residency_zone", "text_or_null", False, "", "data-residency zone (EU, IN, …); empty: none"),
        Column("provider", "text_or_null", False, "", "cloud provider (aws, azure, gcp, …); empty: none"),
        Column("price_usd_per_mwh", "number", True, "$/MWh", "electricity price of facility energy"),
        Column("carbon_avg_g_per_kwh", "number", True, "gCO₂/kWh", "average grid carbon intensity"),
        Column("carbon_marginal_g_per_kwh", "number", True, "gCO₂/kWh", "marginal grid carbon intensity"),
        Column("pue", "number", True, "", "facility energy ÷ IT energy, ≥ 1"),
        Column("capacity_mw", "number", True, "MW", "IT power available to this workload mix"),
    ),
    WORKLOADS: (
        Column("id", "id", True, "", "the class's identifier (no '.')"),
        Column("name", "text", False, "", "display name"),
        Column("latency_budget_ms", "number", True, "ms", "extra round trip allowed away from home"),
        Column("state_pinned_share", "number", False, "", "share of demand that must run at home, 0..1"),
        Column("gb_per_mwh", "number", False, "GB/MWh", "data moved per MWh of IT energy run away"),
        Column("migration_overhead", "number", False, "", "extra IT energy fraction of relocated work"),
        Column("residency_bound", "bool", False, "", "subject to the home zone's data residency (true/false)"),
    ),
    DEMAND: (
        Column("node", "id", True, "", "service node (a region id)"),
        Column("workload", "id", True, "", "workload class id"),
        Column("mw", "number", True, "MW", "average IT power"),
    ),
    RTT: (
        Column("a", "id", True, "", "a region id"),
        Column("b", "id", True, "", "another region id"),
        Column("rtt_ab_ms", "number", True, "ms", "round trip a → b; empty: not given"),
        Column("rtt_ba_ms", "number", False, "ms", "round trip b → a; empty: not given"),
    ),
}
NODE_COLUMNS = tuple(c.name for c in COLUMNS[REGIONS])
WORKLOAD_COLUMNS = tuple(c.name for c in COLUMNS[WORKLOADS])
DEMAND_COLUMNS = tuple(c.name for c in COLUMNS[DEMAND])
RTT_COLUMNS = tuple(c.name for c in COLUMNS[RTT])
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0")


def columns_table() -> pd.DataFrame:
    """Tidy (file, column, unit, required, meaning) of every CSV column."""
    return pd.DataFrame([{"file": f, "column": c.name, "unit": c.unit, "required": c.required, "meaning": c.meaning}
                         for f, cols in COLUMNS.items() for c in cols])


def _error(where: str, message: str, field: str | None = None) -> ScenarioError:
    return ScenarioError(field or where, message, where)


def _at(file: str, row: int | None = None, column: str | None = None) -> str:
    """``regions.csv row 7, pue``; the row or the column left out when not known."""
    return file + (f" row {row}" if row is not None else "") + (f", {column}" if column else "")


# ---------------------------------------------------------------------------------------------
# reading

def _text(file: str, data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_SCENARIO_BYTES:
        raise _error(file, f"the file is {len(data):,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _error(file, "not UTF-8 text (save it as “CSV UTF-8”)") from None


def _records(file: str, data: bytes | str) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row, {column: cell}) of each non-blank row below the header; the header
    checked against :data:`COLUMNS` (required, unknown and repeated columns)."""
    text = _text(file, data)
    columns = COLUMNS[file]
    known = [c.name for c in columns]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise _error(f"{file} line {reader.line_num}", f"not valid CSV ({exc})") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise _error(file, f"the file is empty; it needs a header row: {', '.join(known)}")
    header = [h.strip() for h in rows[0]]
    if len(header) == 1 and ";" in header[0]:
        raise _error(_at(file, 1), "columns must be separated by commas, not semicolons")
    for i, name in enumerate(header):
        if not name:
            raise _error(_at(file, 1), f"column {i + 1} has no name")
        if name not in known:
            raise _error(_at(file, 1, name), f"unknown column; the columns are {', '.join(known)}")
        if name in header[:i]:
            raise _error(_at(file, 1, name), "column given twice")
    for c in columns:
        if c.required and c.name not in header:
            raise _error(_at(file, None, c.name), "missing column (it must be in the header row)")
    out = []
    for n, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise _error(_at(file, n), f"{len(cells)} cells, but the header has {len(header)} columns")
        out.append((n, dict(zip(header, cells))))
    return out


def _value(file: str, row: int, column: Column, cell: str) -> Any:
    """The scenario value of one cell; ``...`` for an empty cell that takes the default."""
    text = cell.strip()
    if column.kind == "text_or_null":          # zones and providers compare as given: no stray spaces
        return text if text else None
    if column.kind == "id":
        return text if text else ...
    if column.kind == "text":
        return cell if text else ...
    if not text:
        return ...
    if column.kind == "bool":
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise _error(_at(file, row, column.name), f"must be true or false, got {text[:40]!r}")
    try:
        return float(text)
    except ValueError:
        raise _error(_at(file, row, column.name), f"must be a number, got {text[:40]!r}") from None


def _items(file: str, data: bytes | str) -> tuple[list[dict], list[int]]:
    """The rows of ``file`` as scenario items (empty cells left out) and their row numbers."""
    columns = {c.name: c for c in COLUMNS[file]}
    items, rows = [], []
    for n, cells in _records(file, data):
        item = {}
        for name, cell in cells.items():
            value = _value(file, n, columns[name], cell)
            if value is not ...:
                item[name] = value
        items.append(item)
        rows.append(n)
    return items, rows


class _RttOrigin(NamedTuple):
    row: int
    value_column: str
    from_column: str
    to_column: str


def _rtt(data: bytes | str) -> tuple[dict[str, dict[str, float]], dict[tuple[str, str], _RttOrigin]]:
    """``rtt_ms`` from rtt.csv, and the row and columns each direction came from."""
    table: dict[str, dict[str, float]] = {}
    origin: dict[tuple[str, str], _RttOrigin] = {}
    items, rows = _items(RTT, data)
    for item, n in zip(items, rows):
        for col in ("a", "b"):
            if col not in item:
                raise _error(_at(RTT, n, col), "is required")
        if "rtt_ab_ms" not in item and "rtt_ba_ms" not in item:
            raise _error(_at(RTT, n, "rtt_ab_ms"), "give rtt_ab_ms or rtt_ba_ms (or both)")
        for col, s, r, fc, tc in (("rtt_ab_ms", item["a"], item["b"], "a", "b"),
                                  ("rtt_ba_ms", item["b"], item["a"], "b", "a")):
            if col not in item:
                continue
            if (s, r) in origin:
                raise _error(_at(RTT, n, col), f"the round trip {s} → {r} is already given in row {origin[s, r].row}")
            table.setdefault(s, {})[r] = item[col]
            origin[s, r] = _RttOrigin(n, col, fc, tc)
    return table, origin


def _decode_settings(data: bytes | str) -> dict:
    """settings.json as a dict: a JSON object with no key given twice and no table in it."""
    repeated: list[tuple[dict, str]] = []

    def hook(pairs):
        out: dict = {}
        for key, value in pairs:
            if key in out and not any(d is out for d, _ in repeated):
                repeated.append((out, key))
            out[key] = value
        return out
    try:
        settings = json.loads(_text(SETTINGS, data), object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise _error(SETTINGS, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise _error(SETTINGS, "nested too deeply") from None
    if not isinstance(settings, dict):
        raise _error(SETTINGS, f"must be a JSON object, got {type(settings).__name__}")
    for marked, key in repeated:
        parent = next((k for k, v in settings.items() if v is marked), None)
        path = key if marked is settings else f"{parent}.{key}" if parent else key
        raise _error(_at(SETTINGS, None, path), "key given twice")
    for key, file in TABLE_KEYS.items():
        if key in settings:
            raise _error(_at(SETTINGS, None, key), f"belongs in {file}, not in settings.json")
    return settings


class _Origins(NamedTuple):
    rows: dict[str, list[int]]          # "nodes", "workloads", "demand" -> row of each item
    rtt: dict[tuple[str, str], _RttOrigin]


def _where(err: ScenarioError, origins: _Origins) -> str:
    """The file, row and column of a :func:`parse_scenario` error's field (``nodes[3].pue``)."""
    field = err.field
    for key in ("nodes", "workloads", "demand"):
        file = TABLE_KEYS[key]
        if field == key:
            return file
        if field.startswith(key + "["):
            index, _, rest = field[len(key) + 1:].partition("]")
            if index.isdigit() and int(index) < len(origins.rows[key]):
                return _at(file, origins.rows[key][int(index)], rest.lstrip(".") or None)
            return file
    if field == "rtt_ms" or field.startswith("rtt_ms."):
        for (s, r), o in origins.rtt.items():
            if field == f"rtt_ms.{s}":
                return _at(RTT, o.row, o.from_column)
            if field == f"rtt_ms.{s}.{r}":
                column = (o.to_column if err.message.startswith("unknown node") else
                          "b" if "to itself" in err.message else o.value_column)
                return _at(RTT, o.row, column)
        return RTT
    return _at(SETTINGS, None, field or None)


def _message(err: ScenarioError, origins: _Origins, data: dict) -> str:
    """The message in the files' terms (rows, not items; the row of the first of two ids)."""
    if err.message.startswith("must have at least"):
        return "needs at least one row below the header"
    if err.message.startswith("duplicate id"):
        key = err.field.split("[", 1)[0]
        rows, items = origins.rows.get(key, []), data.get(key, [])
        index = int(err.field[len(key) + 1:].split("]", 1)[0])
        first = next(i for i, item in enumerate(items) if item.get("id") == items[index].get("id"))
        return f"{err.message}, also in row {rows[first]}"
    return err.message


def scenario_from_files(files: Mapping[str, bytes | str]) -> Scenario:
    """The validated scenario of the files (name → content) described in the module docstring;
    other names are ignored. Raises :class:`ScenarioError` naming the file, row and column."""
    for name in REQUIRED_FILES:
        if name not in files:
            raise _error(name, f"missing file; a scenario needs {', '.join(REQUIRED_FILES)} "
                               f"(and optionally {RTT}, {SETTINGS})")
    data: dict[str, Any] = _decode_settings(files[SETTINGS]) if SETTINGS in files else {}
    nodes, node_rows = _items(REGIONS, files[REGIONS])
    workloads, workload_rows = _items(WORKLOADS, files[WORKLOADS])
    demand, demand_rows = _items(DEMAND, files[DEMAND])
    rtt, rtt_origin = _rtt(files[RTT]) if RTT in files else ({}, {})
    data.update(nodes=nodes, workloads=workloads, demand=demand, rtt_ms=rtt)
    origins = _Origins({"nodes": node_rows, "workloads": workload_rows, "demand": demand_rows}, rtt_origin)
    try:
        return parse_scenario(data)
    except ScenarioError as err:
        raise _error(_where(err, origins), _message(err, origins, data), err.field) from None


def read_scenario_dir(path: str | Path) -> Scenario:
    """The scenario of the CSV folder ``path`` (files other than :data:`FILES` are ignored)."""
    folder = Path(path)
    files: dict[str, bytes] = {}
    for name in FILES:
        p = folder / name
        if not p.is_file():
            continue
        try:
            if p.stat().st_size > MAX_SCENARIO_BYTES:
                raise _error(name, f"the file is {p.stat().st_size:,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
            files[name] = p.read_bytes()
        except OSError as exc:
            raise _error(name, f"cannot read {p}: {exc.strerror}") from None
    return scenario_from_files(files)


# ---------------------------------------------------------------------------------------------
# uploads: loose files and zip archives

def _zip_members(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """(file name, content) of the archive's files, folders dropped; macOS and hidden files skipped."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        out = []
        for info in archive.infolist():
            base = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
            if info.is_dir() or info.filename.startswith("__MACOSX/") or not base or base.startswith("."):
                continue
            if info.file_size > MAX_SCENARIO_BYTES:
                raise _error(base, f"the file is {info.file_size:,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
            with archive.open(info) as member:
                out.append((base, member.read(MAX_SCENARIO_BYTES + 1)))
        return out
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise _error(name, f"not a readable zip archive ({exc})") from None


def collect_files(uploads: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """The scenario files (name → content) among uploaded files, a ``.zip`` opened; a name that
    is none of :data:`FILES` (case ignored) or a file given twice is an error."""
    files: dict[str, bytes] = {}
    for name, data in uploads:
        members = _zip_members(name, data) if name.lower().endswith(".zip") else [(name, data)]
        for member, content in members:
            known = next((f for f in FILES if f == member.lower()), None)
            if known is None:
                raise _error(member, f"unknown file; the files are {', '.join(FILES)}")
            if known in files:
                raise _error(known, "given twice")
            files[known] = content
    return files


# ---------------------------------------------------------------------------------------------
# writing

def _cell(value: Any) -> str:
    """A value as a cell: shortest exact number (integers without ".0"), true/false, "" for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _csv_text(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def _rtt_rows(sc: Scenario) -> list[tuple]:
    """One row per region pair with a given round trip, a the earlier region, in region order."""
    order = {n: i for i, n in enumerate(sc.node_ids)}
    pairs = {tuple(sorted((s, r), key=order.__getitem__)) for s, row in sc.rtt_ms.items() for r in row}
    return [(a, b, sc.rtt_ms.get(a, {}).get(b), sc.rtt_ms.get(b, {}).get(a))
            for a, b in sorted(pairs, key=lambda p: (order[p[0]], order[p[1]]))]


def scenario_files(sc: Scenario) -> dict[str, str]:
    """The five files of ``sc`` (name → text), every column and setting written out."""
    data = sc.to_dict()
    settings = {k: v for k, v in data.items() if k not in TABLE_KEYS}
    return {
        REGIONS: _csv_text(NODE_COLUMNS, ([n[c] for c in NODE_COLUMNS] for n in data["nodes"])),
        WORKLOADS: _csv_text(WORKLOAD_COLUMNS, ([w[c] for c in WORKLOAD_COLUMNS] for w in data["workloads"])),
        DEMAND: _csv_text(DEMAND_COLUMNS, ([d[c] for c in DEMAND_COLUMNS] for d in data["demand"])),
        RTT: _csv_text(RTT_COLUMNS, _rtt_rows(sc)),
        SETTINGS: json.dumps(settings, indent=2, ensure_ascii=False) + "\n",
    }


def write_scenario_dir(sc: Scenario, path: str | Path) -> None:
    """Write :func:`scenario_files` into the folder ``path`` (created if missing)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in scenario_files(sc).items():
        (folder / name).write_text(text, encoding="utf-8", newline="")


def scenario_zip(sc: Scenario, folder: str) -> bytes:
    """:func:`scenario_files` in one zip archive, inside the folder ``folder`` (unzipped, it is a
    folder ``python -m core solve`` reads); the same scenario gives the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in scenario_files(sc).items():
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buf.getvalue()
