"""Shareable links: the explorer's whole state in one validated, versioned URL parameter.

State = the shipped scenario it starts from (an id of :mod:`core.catalogue`; absent means
``default``, so links made before there was a choice keep working), the changes against it
(dotted paths of :func:`core.scenario.update_scenario`), the "relax every budget by Δ" setting and
the page; optionally a pinned scenario A for the Compare page (``compare``: its own
scenario id, changes and relaxation, validated like the rest; a link without it is as before).
Encoding: compact JSON → zlib → base64url, prefixed with the version (``1.``). Decoding trusts
nothing: size limits before and after decompression, known keys only, the scenario validated
again; any fault raises :class:`LinkError` with a short reason, and the caller falls back (a fault
in the pinned scenario A alone raises :class:`CompareLinkError`, which carries the state without A).
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

from core.catalogue import DEFAULT_ID
from core.scenario import Scenario, ScenarioError, update_scenario

VERSION = 1
MAX_LINK_CHARS = 8000         # the encoded parameter
MAX_JSON_BYTES = 64_000       # after decompression
MAX_RELAX_MS = 100_000.0
MAX_ID_CHARS = 64
STATE_KEYS = {"scenario", "changes", "relax_ms", "page", "compare", "hour"}
HOURS_PER_DAY = 24
COMPARE_KEYS = {"scenario", "changes", "relax_ms"}   # the pinned scenario A: no page, no nested A


class LinkError(ValueError):
    """A link that cannot be used; the message says why in a few words."""


class CompareLinkError(LinkError):
    """A link whose state is usable but whose pinned scenario A is not: ``kept`` is the state
    without A, which the caller may open (with the message)."""

    def __init__(self, message: str, kept: "ShareState"):
        super().__init__(message)
        self.kept = kept


@dataclass(frozen=True)
class ShareState:
    """``scenario``: the catalogue id the ``changes`` apply to; ``compare``: the Compare page's
    pinned scenario A (a ShareState of its own scenario id, changes and relaxation; no page);
    ``hour``: the Explorer's hour of day (0…23, UTC) on a scenario with a time block, or None."""
    scenario: str = DEFAULT_ID
    changes: dict[str, Any] = field(default_factory=dict)
    relax_ms: float = 0.0
    page: str | None = None
    compare: "ShareState | None" = None
    hour: int | None = None


# --- scenario differences --------------------------------------------------------------

def _by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for item in items}


def scenario_changes(base: Scenario, sc: Scenario) -> dict[str, Any]:
    """Dotted-path changes that turn ``base`` into ``sc`` (see :func:`update_scenario`).

    Field edits of existing nodes and workloads are per field; a changed node or workload set,
    demand list or rtt table is replaced whole. Applying them to ``base`` gives back ``sc``.
    """
    a, b = base.to_dict(), sc.to_dict()
    changes: dict[str, Any] = {}
    for key in b:
        if a.get(key) == b[key]:
            continue
        if key in ("nodes", "workloads"):
            ia, ib = _by_id(a[key]), _by_id(b[key])
            if list(ia) != list(ib):
                changes[key] = b[key]
                continue
            for item_id, item in ib.items():
                for f, v in item.items():
                    if ia[item_id].get(f) != v:
                        changes[f"{key}.{item_id}.{f}"] = v
        elif isinstance(b[key], dict) and key != "rtt_ms":
            for f, v in b[key].items():
                if a[key].get(f) != v:
                    changes[f"{key}.{f}"] = v
        else:
            changes[key] = b[key]
    for key in a.keys() - b.keys():       # an optional block (uncertainty) taken away
        changes[key] = None
    # whole replacements first, so that field edits apply to the replaced lists
    return dict(sorted(changes.items(), key=lambda kv: "." in kv[0]))


# --- encoding ----------------------------------------------------------------------------

def encode_state(state: ShareState) -> str:
    """The URL parameter for ``state``; raises :class:`LinkError` if it is too long to share."""
    payload = _payload(state)
    if state.page:
        payload["page"] = state.page
    if state.hour is not None:
        payload["hour"] = state.hour
    if state.compare is not None:
        if state.compare.page is not None or state.compare.compare is not None:
            raise LinkError("the pinned scenario A of a link has no page and no comparison of its own")
        payload["compare"] = _payload(state.compare)
    try:
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:            # NaN, inf or a value JSON cannot hold
        raise LinkError(f"the state holds a value a link cannot carry ({exc})") from None
    text = f"{VERSION}." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    if len(text) > MAX_LINK_CHARS:
        raise LinkError(f"the scenario's edits take {len(text):,} characters; a link holds {MAX_LINK_CHARS:,}")
    return text


def _payload(state: ShareState) -> dict:
    """The JSON object of a state's scenario: its changes, relaxation and (unless default) its id."""
    payload = {"changes": state.changes, "relax_ms": state.relax_ms}
    if state.scenario != DEFAULT_ID:        # a default link stays as it always was
        payload["scenario"] = state.scenario
    return payload


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """``json.loads`` hook: a key given twice is an error, as in a scenario file (docs/model.md)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise LinkError(f"the link's state repeats the key {key[:40]!r}")
        out[key] = value
    return out


def decode_state(text: str) -> ShareState:
    """Parse a URL parameter back into a :class:`ShareState` (not yet applied to a scenario)."""
    if not isinstance(text, str) or not text:
        raise LinkError("the link's state is empty")
    if len(text) > MAX_LINK_CHARS:
        raise LinkError("the link's state is too long")
    version, _, body = text.partition(".")
    if version != str(VERSION):
        raise LinkError(f"unknown link version {version[:10]!r}")
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON_BYTES + 1)
        if len(raw) > MAX_JSON_BYTES or inflater.unconsumed_tail:
            raise LinkError("the link's state is too large")
        payload = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except LinkError:
        raise
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError, RecursionError):
        raise LinkError("the link's state is not readable") from None
    if not isinstance(payload, dict):
        raise LinkError("the link's state is not an object")
    if set(payload) - STATE_KEYS:
        raise LinkError("the link's state has unknown keys")
    state = _scenario_state(payload, "the link's")
    page = payload.get("page")
    if page is not None and (not isinstance(page, str) or not page.isidentifier() or len(page) > 40):
        raise LinkError("the link names no known page")
    hour = payload.get("hour")
    if hour is not None and (isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour < HOURS_PER_DAY):
        raise LinkError(f"the link's hour is not a whole hour from 0 to {HOURS_PER_DAY - 1}")
    state = ShareState(state.scenario, state.changes, state.relax_ms, page, hour=hour)
    if "compare" not in payload:
        return state
    try:
        compare = payload["compare"]
        if not isinstance(compare, dict):
            raise LinkError("it is not an object")
        if set(compare) - COMPARE_KEYS:
            raise LinkError("it has unknown keys")
        pinned = _scenario_state(compare, "its")
    except LinkError as exc:
        raise CompareLinkError(f"its pinned scenario A is not usable ({exc})", kept=state) from None
    return ShareState(state.scenario, state.changes, state.relax_ms, page, compare=pinned, hour=hour)


def _scenario_state(payload: dict, whose: str) -> ShareState:
    """The scenario id, changes and relaxation [ms] of a decoded object, checked (``whose`` starts
    the error messages: "the link's")."""
    scenario = payload.get("scenario", DEFAULT_ID)
    changes = payload.get("changes", {})
    relax = payload.get("relax_ms", 0.0)
    if not _is_id(scenario):
        raise LinkError(f"{whose} scenario is not a scenario id")
    if not isinstance(changes, dict) or not all(isinstance(k, str) for k in changes):
        raise LinkError(f"{whose} changes are not a list of settings")
    if isinstance(relax, bool) or not isinstance(relax, (int, float)) or not math.isfinite(relax) \
            or not 0 <= relax <= MAX_RELAX_MS:
        raise LinkError(f"{whose} budget relaxation is out of range")
    return ShareState(scenario=scenario, changes=changes, relax_ms=float(relax))


def _is_id(value: Any) -> bool:
    """A file stem a link may name: 1 to :data:`MAX_ID_CHARS` letters, digits, ``_`` or ``-``."""
    return (isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS
            and all(c.isascii() and (c.isalnum() or c in "_-") for c in value))


def apply_state(base: Scenario, state: ShareState) -> Scenario:
    """``base`` with the link's changes, validated; raises :class:`LinkError` naming the field."""
    try:
        return update_scenario(base, state.changes)
    except ScenarioError as exc:
        raise LinkError(f"the link's scenario is not valid: {exc}") from None
