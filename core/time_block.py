"""The optional ``time`` block of a scenario (docs/model.md, "Time-resolved mode"): its schema,
its cross-field rules, and the CSV files a scenario on disk may give its series in.

    "time": {"periods": 48, "weight_hours": 1, "block_periods": 24,
             "price_usd_per_mwh":         {"us-va": [48 numbers]}   or "prices.csv",
             "carbon_avg_g_per_kwh":      {"us-va": [48 numbers]}   or "carbon_avg.csv",
             "carbon_marginal_g_per_kwh": {},
             "demand_factor":             {"us-va": {"chat": [48 numbers]}} or "demand.csv"}

Rules (errors name the field, e.g. ``time.price_usd_per_mwh.us-va: expected 48 numbers, got 47``):
periods T is a whole number 1 … :data:`MAX_PERIODS`; weight_hours w > 0 is one number or a list of
T; block_periods B (default T) divides T and w is constant within each block; every series names
known nodes (demand_factor: known node, then known workload) and has exactly T finite numbers;
carbon intensities and demand factors are ≥ 0, prices may be negative; ``period_hours``, when
given, equals Σ w (within 1e-9 relative), otherwise it becomes Σ w.

A workload's ``deferrable_periods`` d ≥ 0 may be any whole number: work may wait until the end
of its block at the latest (the demand equality at the block's last period), so d ≥ B − 1 means
"anywhere in the block". Without a time block d has no effect.

CSV series files (only for a scenario read from disk, :func:`read_series_files`): the field's
value is the file's name, relative to the scenario's folder (subfolders allowed; no ``..``, no
absolute path, the resolved file inside that folder, name ending in ``.csv``, at most
:data:`MAX_SERIES_FILE_BYTES`). Header row: one column per node id (``node/workload`` for
demand_factor), optionally preceded by a label column named one of :data:`LABEL_COLUMNS`
(e.g. a UTC timestamp), which is not read; then one row per period. Text never reads a file:
there every series is inline, and the text limit ``core.scenario.MAX_SCENARIO_BYTES`` bounds it.

This module imports :mod:`core.scenario` only inside functions (that module imports this one).
"""
from __future__ import annotations

import csv
import math
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, SkipValidation

MAX_PERIODS = 35_136
"""A leap year of quarter hours: the largest time block a scenario may hold."""
MAX_SERIES_FILE_BYTES = 64_000_000
NODE_SERIES = ("price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh")
SERIES = (*NODE_SERIES, "demand_factor")
LABEL_COLUMNS = ("t", "period", "utc", "time", "timestamp")

NonNegSeries = list[Annotated[float, Field(ge=0)]]


class TimeBlock(BaseModel):
    """The ``time`` block as validated by pydantic; :func:`check_time_block` adds the rules that
    need the periods or the scenario's ids. ``weight_hours`` is checked there (one number or a
    list: one clear message for either form)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    periods: int = Field(ge=1, le=MAX_PERIODS)
    weight_hours: SkipValidation[float | list[float]] = 1.0
    block_periods: int | None = Field(default=None, ge=1)
    price_usd_per_mwh: dict[str, list[float]] = Field(default_factory=dict)
    carbon_avg_g_per_kwh: dict[str, NonNegSeries] = Field(default_factory=dict)
    carbon_marginal_g_per_kwh: dict[str, NonNegSeries] = Field(default_factory=dict)
    demand_factor: dict[str, dict[str, NonNegSeries]] = Field(default_factory=dict)

    @property
    def block_length(self) -> int:
        """B: periods per block (``block_periods``, default T)."""
        return self.block_periods if self.block_periods is not None else self.periods

    def weights_hours(self) -> np.ndarray:
        """w[t] [h] as an array of T (after :func:`check_time_block`)."""
        w = self.weight_hours
        return np.full(self.periods, float(w)) if not isinstance(w, list) else np.asarray(w, dtype=float)


# ---------------------------------------------------------------------------------------------
# cross-field rules

def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _weights(tb: TimeBlock) -> float | list[float]:
    """``weight_hours`` checked and as floats."""
    from core.scenario import ScenarioError

    w, field = tb.weight_hours, "time.weight_hours"
    if _is_number(w):
        if not math.isfinite(w) or w <= 0:
            raise ScenarioError(field, f"must be a finite number > 0, got {w!r}")
        return float(w)
    if not isinstance(w, list):
        raise ScenarioError(field, f"must be a number or a list of {tb.periods} numbers")
    if len(w) != tb.periods:
        raise ScenarioError(field, f"expected {tb.periods} numbers, got {len(w)}")
    for i, v in enumerate(w):
        if not _is_number(v) or not math.isfinite(v) or v <= 0:
            raise ScenarioError(f"{field}[{i}]", f"must be a finite number > 0, got {v!r}")
    return [float(v) for v in w]


def check_time_block(sc):
    """The rules of the module docstring that pydantic cannot check; returns ``sc`` with
    ``weight_hours`` as floats and ``period_hours`` = Σ w (``sc`` is a
    :class:`core.scenario.Scenario` with a ``time`` block)."""
    from core.scenario import MAX_PERIOD_HOURS, ScenarioError

    tb: TimeBlock = sc.time
    T, B = tb.periods, tb.block_length
    if B > T or T % B:
        raise ScenarioError("time.block_periods", f"must divide periods ({T}), got {B}")
    weights = _weights(tb)
    w = np.full(T, weights) if isinstance(weights, float) else np.asarray(weights)
    by_block = w.reshape(T // B, B)
    uneven = np.flatnonzero((by_block != by_block[:, :1]).any(axis=1))
    if uneven.size:
        b = int(uneven[0])
        t = b * B + int(np.flatnonzero(by_block[b] != by_block[b, 0])[0])
        raise ScenarioError(f"time.weight_hours[{t}]", f"must equal the weight of its block's first "
                            f"period {b * B} ({by_block[b, 0]:g} h; blocks of {B} periods), got {w[t]:g}")
    total = float(w.sum())
    if total > MAX_PERIOD_HOURS:
        raise ScenarioError("time.weight_hours", f"the periods add up to {total:g} h; the limit is {MAX_PERIOD_HOURS:g}")
    nodes, workloads = set(sc.node_ids), set(sc.workload_ids)
    for name in NODE_SERIES:
        for node, values in getattr(tb, name).items():
            _check_series(f"time.{name}.{node}", node, nodes, "node", values, T)
    for node, by_workload in tb.demand_factor.items():
        if node not in nodes:
            raise ScenarioError(f"time.demand_factor.{node}", f"unknown node id {node!r}")
        for workload, values in by_workload.items():
            _check_series(f"time.demand_factor.{node}.{workload}", workload, workloads, "workload", values, T)
    if "period_hours" in sc.model_fields_set and not math.isclose(sc.period_hours, total, rel_tol=1e-9):
        raise ScenarioError("period_hours", f"must equal the time block's total weight_hours "
                            f"({total:g} h), got {sc.period_hours:g}")
    return sc.model_copy(update={"period_hours": total, "time": tb.model_copy(update={"weight_hours": weights})})


def _check_series(field: str, key: str, known: set[str], kind: str, values: list, periods: int) -> None:
    from core.scenario import ScenarioError

    if key not in known:
        raise ScenarioError(field, f"unknown {kind} id {key!r}")
    if len(values) != periods:
        raise ScenarioError(field, f"expected {periods} numbers, got {len(values)}")


# ---------------------------------------------------------------------------------------------
# CSV series files

def read_series_files(data: Any, base_dir: Path | None) -> Any:
    """``data`` (a decoded scenario) with every ``time`` series given as a file name replaced by
    the file's numbers, read from ``base_dir`` (the scenario file's folder). ``base_dir`` None
    (text from an upload or a link) reads nothing: a file name is then an error naming the field.
    ``data`` itself is not changed; it comes back as it is when no series names a file."""
    from core.scenario import ScenarioError

    tb = data.get("time") if isinstance(data, dict) else None
    if not isinstance(tb, dict) or not any(isinstance(tb.get(name), str) for name in SERIES):
        return data
    tb = dict(tb)
    for name in SERIES:
        value, field = tb.get(name), f"time.{name}"
        if not isinstance(value, str):
            continue
        if base_dir is None:
            raise ScenarioError(field, f"a series file ({value!r}) is read only from a scenario file on "
                                       "disk; in uploaded text or a link give the numbers inline")
        table = _read_csv(series_path(base_dir, value, field), value, field)
        if name == "demand_factor":
            nested: dict[str, dict[str, list[float]]] = {}
            for column, values in table.items():
                node, sep, workload = column.partition("/")
                if not sep or not node or not workload:
                    raise ScenarioError(field, f"{value}: column {column!r} must be named node/workload")
                nested.setdefault(node, {})[workload] = values
            tb[name] = nested
        else:
            tb[name] = table
    return {**data, "time": tb}


def series_path(base_dir: Path, name: str, field: str) -> Path:
    """The file ``name`` inside ``base_dir``; raises for ``..``, an absolute path, a name not
    ending in ``.csv``, or a path (symbolic links resolved) that leaves the folder."""
    from core.scenario import ScenarioError

    parts = PurePosixPath(name.replace("\\", "/")).parts
    if (not name or PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute()
            or PureWindowsPath(name).drive or ".." in parts):
        raise ScenarioError(field, f"a series file must be a relative path inside the scenario's folder, "
                                   f"without '..', got {name!r}")
    if not name.lower().endswith(".csv"):
        raise ScenarioError(field, f"a series file must be a .csv file, got {name!r}")
    folder = Path(base_dir).resolve()
    path = (folder / Path(*parts)).resolve()
    if not path.is_relative_to(folder):
        raise ScenarioError(field, f"the series file {name!r} lies outside the scenario's folder")
    return path


def _read_csv(path: Path, name: str, field: str) -> dict[str, list[float]]:
    """Columns of a series file as lists of floats (the label column left out)."""
    from core.scenario import ScenarioError

    try:
        size = path.stat().st_size
        if size > MAX_SERIES_FILE_BYTES:
            raise ScenarioError(field, f"{name} is {size:,} bytes; the limit is {MAX_SERIES_FILE_BYTES:,}")
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
            if not header:
                raise ScenarioError(field, f"{name} is empty; expected a header row of node ids")
            fh.seek(0)
            frame = pd.read_csv(fh, dtype=str, na_filter=False, skip_blank_lines=True, encoding_errors="strict")
    except OSError as exc:
        raise ScenarioError(field, f"cannot read {name}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise ScenarioError(field, f"{name} is not a readable CSV file: {str(exc).splitlines()[0]}") from None
    header = [h.strip() for h in header]
    if header and header[0] in LABEL_COLUMNS:
        header = header[1:]
        frame = frame.iloc[:, 1:]
    seen: set[str] = set()
    for column in header:
        if not column:
            raise ScenarioError(field, f"{name}: a column has no name")
        if column in seen:
            raise ScenarioError(field, f"{name}: column {column!r} is given twice")
        seen.add(column)
    out: dict[str, list[float]] = {}
    for column, (_, cells) in zip(header, frame.items()):
        values = pd.to_numeric(cells.str.strip(), errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            row = int(bad[0])
            raise ScenarioError(f"{field}.{column}", f"{name} row {row + 2}: expected a finite number, "
                                                     f"got {cells.iloc[row]!r}")
        out[column] = values.tolist()
    return out
