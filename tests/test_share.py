"""Shareable links (core/share.py): every hostile branch of the decoder is refused with a
:class:`LinkError` that says why, invalid edits name the field, and a round trip over random
edits of the default scenario gives back the same scenario; the picked scenario's id travels in
the link, a link without it means ``default``."""
from __future__ import annotations

import base64
import json
import zlib

import numpy as np
import pytest

from core.scenario import default_scenario, update_scenario
from core.share import (MAX_ID_CHARS, MAX_JSON_BYTES, MAX_LINK_CHARS, MAX_RELAX_MS, LinkError, ShareState,
                        apply_state, decode_state, encode_state, scenario_changes)


def pack(raw: bytes, version: str = "1") -> str:
    """A link parameter built by hand: ``version.`` + base64url(zlib(raw)), unpadded."""
    return f"{version}." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def pack_json(payload) -> str:
    return pack(json.dumps(payload).encode())


def refused(text, needle: str) -> None:
    with pytest.raises(LinkError) as err:
        decode_state(text)
    assert needle in str(err.value), str(err.value)


@pytest.fixture(scope="module")
def default():
    return default_scenario()


# --- the envelope: size, version, base64, zlib, UTF-8, JSON ------------------------------------

@pytest.mark.parametrize("text", ["", None, 5, b"1.abc"])
def test_empty_or_not_text_is_refused(text):
    refused(text, "empty")


def test_too_long_is_refused_before_decoding():
    refused("1." + "A" * MAX_LINK_CHARS, "too long")          # MAX_LINK_CHARS + 2 characters


@pytest.mark.parametrize("version", ["0", "2", "", "v1", "1x", "11"])
def test_unknown_version_is_refused(version):
    good = encode_state(ShareState(changes={"frictions.egress": False}))
    assert good.startswith("1.")
    refused(version + good[1:], "unknown link version")


def test_version_is_quoted_short():
    with pytest.raises(LinkError) as err:
        decode_state("x" * 500 + ".abc")
    assert len(str(err.value)) < 60                            # the version is cut to 10 characters


@pytest.mark.parametrize("body", ["a", "ab!", "A" * 4 * 5 + "B"])  # a lone character, bad padding
def test_not_base64_is_refused(body):
    refused("1." + body, "not readable")


def test_not_zlib_is_refused():
    refused("1." + base64.urlsafe_b64encode(b"plain text, not deflated").decode().rstrip("="), "not readable")


def test_truncated_zlib_is_refused():
    text = pack(json.dumps({"changes": {"name": "x" * 200}}).encode())
    refused(text[:len(text) // 2], "not readable")


@pytest.mark.parametrize("raw", [b"\xff\xfe\xfd", b'{"changes": {"name": "\xc3"}}'])
def test_invalid_utf8_is_refused(raw):
    refused(pack(raw), "not readable")


@pytest.mark.parametrize("raw", [b"", b"not json", b'{"changes": {}', b"{'changes': {}}", b"[" * 20_000])
def test_not_json_is_refused(raw):
    # the last one nests 20,000 lists deep: json raises RecursionError, also refused
    refused(pack(raw), "not readable")


def test_decompression_bomb_is_refused():
    # 1 MB of one byte deflates to about a kilobyte: a small link that inflates far past the limit
    raw = b'{"changes": {"name": "' + b"a" * 1_000_000 + b'"}}'
    text = pack(raw)
    assert len(text) < MAX_LINK_CHARS and len(raw) > 10 * MAX_JSON_BYTES
    refused(text, "too large")


def test_json_size_limit_is_exact():
    # a valid state of exactly MAX_JSON_BYTES bytes is accepted; one byte more is refused
    head, tail = b'{"changes": {"name": "', b'"}}'
    fill = MAX_JSON_BYTES - len(head) - len(tail)
    state = decode_state(pack(head + b"a" * fill + tail))
    assert state.changes == {"name": "a" * fill}
    refused(pack(head + b"a" * (fill + 1) + tail), "too large")


# --- the payload: an object of known keys --------------------------------------------------

@pytest.mark.parametrize("payload", [[1, 2], "changes", 3, None, True])
def test_payload_not_an_object_is_refused(payload):
    refused(pack_json(payload), "not an object")


@pytest.mark.parametrize("raw", [b'{"relax_ms": 1, "relax_ms": 2}',
                                 b'{"changes": {"prices.egress_usd_per_gb": 0.01, "prices.egress_usd_per_gb": 9}}'])
def test_repeated_keys_are_refused(raw):
    refused(pack(raw), "repeats the key")


@pytest.mark.parametrize("payload", [{"changes": {}, "evil": 1}, {"base": "default"}, {"relax": 5}])
def test_unknown_keys_are_refused(payload):
    refused(pack_json(payload), "unknown keys")


@pytest.mark.parametrize("changes", [[["name", "x"]], "name=x", 5, None, True])
def test_changes_not_a_dict_are_refused(changes):
    refused(pack_json({"changes": changes}), "changes are not")


def test_change_keys_not_strings_are_refused(monkeypatch):
    # JSON object keys are always strings, so a non-str key can only come from another decoder:
    # hand the check a decoded object with an integer key.
    real_loads = json.loads

    def loads_with_int_key(text, *args, **kwargs):
        out = real_loads(text, *args, **kwargs)
        return {"changes": {1: "a"}} if out == {"changes": {"name": "a"}} else out

    monkeypatch.setattr("core.share.json.loads", loads_with_int_key)
    refused(pack(b'{"changes": {"name": "a"}}'), "changes are not")


@pytest.mark.parametrize("relax", ["NaN", "Infinity", "-Infinity", "-1", "-0.001", "true", "false",
                                   '"5"', "[5]", "null", str(MAX_RELAX_MS + 1), "1e400"])
def test_bad_relaxation_is_refused(relax):
    # written as JSON text: json.loads accepts NaN and Infinity, which json.dumps would not write
    refused(pack(('{"changes": {}, "relax_ms": %s}' % relax).encode()), "relaxation is out of range")


@pytest.mark.parametrize("relax,expected", [(0, 0.0), (5, 5.0), (12.5, 12.5), (MAX_RELAX_MS, MAX_RELAX_MS)])
def test_good_relaxation_is_a_float(relax, expected):
    state = decode_state(pack_json({"changes": {}, "relax_ms": relax}))
    assert state.relax_ms == expected and isinstance(state.relax_ms, float)


@pytest.mark.parametrize("page", ["../etc/passwd", "data page", "1data", "", "data;drop", "a" * 41,
                                  5, 1.5, True, ["data"], {"p": "data"}])
def test_bad_page_is_refused(page):
    refused(pack_json({"changes": {}, "page": page}), "names no known page")


@pytest.mark.parametrize("page", ["data", "break_even", "a" * 40, None])
def test_good_page_is_kept(page):
    assert decode_state(pack_json({"changes": {}, "page": page})).page == page


def test_missing_keys_take_their_defaults():
    assert decode_state(pack_json({})) == ShareState()


# --- applying: invalid edits name the field ---------------------------------------------------

@pytest.mark.parametrize("changes,field", [
    ({"nodes.us-va.pue": 0.5}, "pue"),
    ({"nodes.us-va.capacity_mw": -1}, "capacity_mw"),
    ({"nodes.nowhere.pue": 1.2}, "nodes.nowhere"),
    ({"workloads.chat.state_pinned_share": 1.5}, "state_pinned_share"),
    ({"prices.egress_usd_per_gb": -0.01}, "prices.egress_usd_per_gb"),
    ({"frictions.egress": "yes"}, "frictions.egress"),
    ({"objective.carbon_signal": "mean"}, "objective.carbon_signal"),
    ({"no_such_field": 1}, "no_such_field"),
    ({"period_hours": 0}, "period_hours"),
])
def test_invalid_edit_raises_link_error_naming_the_field(default, changes, field):
    state = decode_state(encode_state(ShareState(changes=changes)))
    with pytest.raises(LinkError) as err:
        apply_state(default, state)
    assert field in str(err.value), str(err.value)


def test_invalid_node_edit_names_its_position(default):
    with pytest.raises(LinkError) as err:
        apply_state(default, ShareState(changes={"nodes.us-va.pue": 0.5}))
    assert "nodes[0]" in str(err.value) and "pue" in str(err.value)   # us-va is nodes[0]


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_non_finite_edit_from_a_hostile_link_is_refused(default, value):
    # json.loads reads NaN and Infinity: the decoder lets them through as changes, the scenario not
    state = decode_state(pack(('{"changes": {"prices.egress_usd_per_gb": %s}}' % value).encode()))
    with pytest.raises(LinkError) as err:
        apply_state(default, state)
    assert "prices.egress_usd_per_gb" in str(err.value)


# --- encoding ------------------------------------------------------------------------------

def test_encode_refuses_a_state_too_long_for_a_link():
    rng = np.random.default_rng(0)
    noise = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), size=20_000))  # incompressible
    with pytest.raises(LinkError) as err:
        encode_state(ShareState(changes={"name": noise}))
    assert f"{MAX_LINK_CHARS:,}" in str(err.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1, 2}])
def test_encode_refuses_values_json_cannot_carry(value):
    with pytest.raises(LinkError, match="cannot carry"):
        encode_state(ShareState(changes={"nodes.us-va.pue": value}))


def test_encode_omits_an_empty_page_and_decodes_to_the_same_state():
    state = ShareState(changes={"frictions.legal": False}, relax_ms=7.5, page=None)
    assert decode_state(encode_state(state)) == state
    assert json.loads(zlib.decompress(base64.urlsafe_b64decode(encode_state(state)[2:] + "=="))) \
        == {"changes": {"frictions.legal": False}, "relax_ms": 7.5}


# --- round trip over random edits -------------------------------------------------------------

NODE_FIELDS = {"price_usd_per_mwh": (5, 400), "carbon_avg_g_per_kwh": (0, 900),
               "carbon_marginal_g_per_kwh": (0, 1000), "pue": (1.0, 1.8), "capacity_mw": (0, 2000)}
WORKLOAD_FIELDS = {"latency_budget_ms": (0, 500), "state_pinned_share": (0, 1), "gb_per_mwh": (0, 500),
                   "migration_overhead": (0, 0.3)}
PRICE_FIELDS = {"egress_usd_per_gb": (0, 0.2), "migration_usd_per_mwh": (0, 20), "unserved_usd_per_mwh": (100, 20000)}
FRICTION_NAMES = ("egress", "migration", "state_locality", "legal", "capacity")
PAGE_NAMES = ("explorer", "frontier", "layers", "break_even", "frictions", "data", "physical", "presentation")


def random_edits(rng, sc) -> dict:
    """Random per-field edits (dotted paths of update_scenario) of nodes, workloads, prices,
    frictions and the objective; sometimes a whole replacement (demand, rtt table, name)."""
    edits: dict = {}
    for _ in range(int(rng.integers(1, 12))):
        kind = rng.choice(["node", "workload", "price", "friction", "objective"])
        if kind == "node":
            f = str(rng.choice(list(NODE_FIELDS)))
            edits[f"nodes.{rng.choice(sc.node_ids)}.{f}"] = float(rng.uniform(*NODE_FIELDS[f]))
        elif kind == "workload":
            f = str(rng.choice(list(WORKLOAD_FIELDS) + ["residency_bound"]))
            value = bool(rng.random() < 0.5) if f == "residency_bound" else float(rng.uniform(*WORKLOAD_FIELDS[f]))
            edits[f"workloads.{rng.choice(sc.workload_ids)}.{f}"] = value
        elif kind == "price":
            f = str(rng.choice(list(PRICE_FIELDS)))
            edits[f"prices.{f}"] = float(rng.uniform(*PRICE_FIELDS[f]))
        elif kind == "friction":
            edits[f"frictions.{rng.choice(FRICTION_NAMES)}"] = bool(rng.random() < 0.5)
        elif rng.random() < 0.5:
            edits["objective.carbon_signal"] = str(rng.choice(["average", "marginal"]))
        else:
            edits["objective.carbon_price_usd_per_t"] = float(rng.uniform(0, 300))
    if rng.random() < 0.3:
        demand = sc.to_dict()["demand"]
        demand[int(rng.integers(len(demand)))]["mw"] = float(rng.uniform(0, 100))
        edits["demand"] = demand
    if rng.random() < 0.3:
        a, b = rng.choice(sc.node_ids, size=2, replace=False)
        edits["rtt_ms"] = {**sc.to_dict()["rtt_ms"], str(a): {str(b): float(rng.uniform(1, 300))}}
    if rng.random() < 0.2:
        edits["name"] = f"edited {int(rng.integers(1000))} — ünïcode"
    return edits


@pytest.mark.parametrize("seed", range(12))
def test_round_trip_over_random_edits(default, seed):
    rng = np.random.default_rng(seed)
    edits = random_edits(rng, default)
    edited = update_scenario(default, edits)
    changes = scenario_changes(default, edited)
    # the changes are exactly the edits that changed something (per field; whole lists whole)
    before = default.to_dict()

    def old_value(path):
        parts, target = path.split("."), before
        for part in parts:
            target = next(x for x in target if x["id"] == part) if isinstance(target, list) else target[part]
        return target

    assert set(changes) == {p for p, v in edits.items() if old_value(p) != v}
    # applying the changes to the default gives back the edited scenario
    assert update_scenario(default, changes).to_json() == edited.to_json()
    state = ShareState(changes=changes, relax_ms=float(rng.choice([0.0, rng.uniform(0, 500)])),
                       page=str(rng.choice(PAGE_NAMES)) if rng.random() < 0.8 else None)
    text = encode_state(state)
    assert len(text) <= MAX_LINK_CHARS and text.startswith("1.")
    assert all(c.isalnum() or c in "-_." for c in text)              # URL-safe, no padding
    back = decode_state(text)
    assert back == state
    assert apply_state(default, back).to_json() == edited.to_json()


def test_round_trip_of_a_changed_node_set(default):
    # a node added: the node list is replaced whole, then applied it gives the same scenario
    d = default.to_dict()
    new = {**d["nodes"][0], "id": "zz-new", "name": "New region", "price_usd_per_mwh": 12.5}
    edited = update_scenario(default, {"nodes": d["nodes"] + [new],
                                       "demand": d["demand"] + [{"node": "zz-new", "workload": "chat", "mw": 3.0}]})
    changes = scenario_changes(default, edited)
    assert set(changes) == {"nodes", "demand"}
    state = ShareState(changes=changes, relax_ms=3.0, page="data")
    assert apply_state(default, decode_state(encode_state(state))).to_json() == edited.to_json()


def test_no_edits_give_no_changes(default):
    assert scenario_changes(default, default) == {}
    assert apply_state(default, decode_state(encode_state(ShareState()))).to_json() == default.to_json()


# --- the picked scenario ----------------------------------------------------------------------

def payload_of(text: str) -> dict:
    """The JSON object inside a link parameter, unpacked by hand."""
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(text[2:] + "=" * (-len(text[2:]) % 4))))


@pytest.mark.parametrize("scenario", ["world_cloud_regions", "default", "my-sites_2", "a" * MAX_ID_CHARS])
def test_round_trip_with_a_scenario_id(scenario):
    state = ShareState(scenario=scenario, changes={"frictions.provider_lock": False}, relax_ms=5.0, page="frictions")
    assert decode_state(encode_state(state)) == state


def test_a_link_without_a_scenario_means_default():
    # a link as written before there was a choice of scenario: no "scenario" key
    old = pack_json({"changes": {"frictions.egress": False}, "relax_ms": 5, "page": "data"})
    assert decode_state(old) == ShareState(scenario="default", changes={"frictions.egress": False},
                                           relax_ms=5.0, page="data")


def test_the_default_scenario_is_left_out_of_the_link():
    # a default link is the same text as before the key existed; another scenario is named
    assert "scenario" not in payload_of(encode_state(ShareState(changes={"frictions.legal": False})))
    assert payload_of(encode_state(ShareState(scenario="world_cloud_regions")))["scenario"] == "world_cloud_regions"


@pytest.mark.parametrize("scenario", ["", "../default", "scenarios/default", "default.json", "a b", "wörld",
                                      "a" * (MAX_ID_CHARS + 1), 5, None, True, ["default"], {"id": "default"}])
def test_bad_scenario_id_is_refused(scenario):
    refused(pack_json({"changes": {}, "scenario": scenario}), "scenario is not a scenario id")


def test_edits_apply_to_the_picked_scenario(default):
    # the same changes on another base give that base edited: apply_state uses the base it is given
    other = update_scenario(default, {"name": "another base", "prices.egress_usd_per_gb": 0.07})
    state = decode_state(encode_state(ShareState(scenario="other", changes={"frictions.egress": False})))
    sc = apply_state(other, state)
    assert sc.name == "another base" and sc.prices.egress_usd_per_gb == 0.07 and sc.frictions.egress is False
