"""A key given twice in one object is an error that names the object and the key (docs/model.md:
duplicates are errors), in JSON and in YAML, at every nesting level, through every reader:
``loads_scenario``, ``load_scenario`` (a file, or standard input for the CLI). Never "the last
value wins"."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.scenario import ScenarioError, load_scenario, loads_scenario, parse_scenario

REPO = Path(__file__).resolve().parent.parent


class Pairs(list):
    """An object written as its (key, value) pairs, so that a key can appear twice."""


def base() -> Pairs:
    """A valid scenario: nodes a, b; workloads chat, batch; demand a/chat, b/batch; rtt a→b."""
    def node(i: str, zone=None) -> Pairs:
        return Pairs([("id", i), ("lat", 10.0), ("lon", 20.0), ("residency_zone", zone),
                      ("price_usd_per_mwh", 80.0), ("carbon_avg_g_per_kwh", 300.0),
                      ("carbon_marginal_g_per_kwh", 500.0), ("pue", 1.2), ("capacity_mw", 50.0)])
    return Pairs([
        ("schema_version", 1), ("name", "dup"), ("period_hours", 24),
        ("nodes", [node("a", "EU"), node("b")]),
        ("workloads", [Pairs([("id", "chat"), ("latency_budget_ms", 50), ("residency_bound", True)]),
                       Pairs([("id", "batch"), ("latency_budget_ms", 200)])]),
        ("demand", [Pairs([("node", "a"), ("workload", "chat"), ("mw", 5)]),
                    Pairs([("node", "b"), ("workload", "batch"), ("mw", 3)])]),
        ("rtt_ms", Pairs([("a", Pairs([("b", 30)]))])),
        ("frictions", Pairs([("egress", True), ("capacity", True)])),
        ("latency_model", Pairs([("fixed_ms", 5)])),
    ])


def to_plain(obj):
    """The object as Python dicts and lists (the last value of a repeated key kept)."""
    if isinstance(obj, Pairs):
        return {k: to_plain(v) for k, v in obj}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    return obj


def to_json(obj) -> str:
    if isinstance(obj, Pairs):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v)}" for k, v in obj) + "}"
    if isinstance(obj, list):
        return "[" + ", ".join(to_json(v) for v in obj) + "]"
    return json.dumps(obj)


def to_yaml(obj, indent: int = 0) -> str:
    """Block-style YAML (scalars written as JSON scalars, which YAML reads the same)."""
    pad = " " * indent
    if isinstance(obj, Pairs):
        lines = []
        for k, v in obj:
            if isinstance(v, list) and v:
                lines.append(f"{pad}{k}:\n{to_yaml(v, indent + 2)}")
            else:
                lines.append(f"{pad}{k}: {to_json(v)}")
        return "\n".join(lines)
    return "\n".join(f"{pad}-\n{to_yaml(v, indent + 2)}" if isinstance(v, list) and v else f"{pad}- {to_json(v)}"
                     for v in obj)


def at(obj, *path):
    """The object at ``path`` (keys of Pairs, indices of lists)."""
    for part in path:
        obj = dict(obj)[part] if isinstance(obj, Pairs) else obj[part]
    return obj


# (case, where the repeated key goes, key, second value, field, the message's start, written by hand)
CASES = [
    ("top-level block", (), "demand", [], "", "duplicate top-level key 'demand'"),
    ("top-level scalar", (), "period_hours", 48, "", "duplicate top-level key 'period_hours'"),
    ("nested block", ("frictions",), "egress", False, "frictions", "frictions: duplicate key 'egress'"),
    ("latency model", ("latency_model",), "fixed_ms", 9, "latency_model", "latency_model: duplicate key 'fixed_ms'"),
    ("node field", ("nodes", 1), "pue", 1.5, "nodes[1]", "b (nodes[1]): duplicate key 'pue'"),
    ("node id", ("nodes", 1), "id", "b", "nodes[1]", "b (nodes[1]): duplicate key 'id'"),
    ("workload field", ("workloads", 0), "latency_budget_ms", 60, "workloads[0]",
     "chat (workloads[0]): duplicate key 'latency_budget_ms'"),
    ("demand entry", ("demand", 1), "mw", 4, "demand[1]", "demand[1] (b/batch): duplicate key 'mw'"),
    ("rtt row", ("rtt_ms",), "a", Pairs([("b", 31)]), "rtt_ms", "rtt_ms: duplicate key 'a'"),
    ("rtt value", ("rtt_ms", "a"), "b", 99, "rtt_ms.a", "rtt_ms.a: duplicate key 'b'"),
]


def with_duplicate(where, key, value) -> Pairs:
    d = base()
    at(d, *where).append((key, value))
    return d


def test_the_base_and_its_last_value_versions_are_valid():
    # without the check, each case would load silently (the last value winning): the error below
    # is the only thing that stops it
    assert parse_scenario(to_plain(base())).node_ids == ["a", "b"]
    for _, where, key, value, _, _ in CASES:
        parse_scenario(to_plain(with_duplicate(where, key, value)))


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("where,key,value,field,start", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_repeated_key_is_refused_with_its_object_and_key(fmt, where, key, value, field, start):
    d = with_duplicate(where, key, value)
    text = to_json(d) if fmt == "json" else to_yaml(d)
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, fmt)
    msg = str(info.value)
    assert msg == start, msg
    assert info.value.field == field
    assert "\n" not in msg


def test_the_same_value_twice_is_refused_too():
    d = with_duplicate(("nodes", 1), "pue", 1.2)          # equal to the first value
    with pytest.raises(ScenarioError, match=r"^b \(nodes\[1\]\): duplicate key 'pue'$"):
        loads_scenario(to_json(d))


def test_the_first_repeated_key_in_the_file_is_named():
    d = base()
    at(d, "nodes", 0).append(("pue", 1.3))
    at(d, "rtt_ms", "a").append(("b", 40))
    with pytest.raises(ScenarioError, match=r"^a \(nodes\[0\]\): duplicate key 'pue'$"):
        loads_scenario(to_json(d))
    with pytest.raises(ScenarioError, match=r"^a \(nodes\[0\]\): duplicate key 'pue'$"):
        loads_scenario(to_yaml(d), "yaml")


def test_the_same_key_in_different_objects_is_fine():
    # every node has "pue", both workloads "id": keys repeat across objects, never within one
    sc = loads_scenario(to_yaml(base()), "yaml")
    assert [n.pue for n in sc.nodes] == [1.2, 1.2]
    assert loads_scenario(to_json(base())).to_dict() == sc.to_dict()


def test_yaml_merge_keys_still_override():
    # YAML's merge key is no repetition: the merged route_inflation 2.0 is kept, the explicit
    # fixed_ms 5 overrides the merged 7
    text = to_yaml(base()).replace("latency_model:\n  fixed_ms: 5",
                                   "latency_model:\n  <<: {fixed_ms: 7, route_inflation: 2.0}\n  fixed_ms: 5")
    assert "<<" in text
    sc = loads_scenario(text, "yaml")
    assert (sc.latency_model.fixed_ms, sc.latency_model.route_inflation) == (5.0, 2.0)


def test_yaml_aliases_that_expand_beyond_the_limit_are_refused():
    # nine levels of ten aliases each: 10^9 strings from a text of under 500 bytes
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    text = "\n".join(lines) + "\nnodes: *a8\n"
    assert len(text) < 500
    with pytest.raises(ScenarioError, match="aliases"):
        loads_scenario(text, "yaml")


def test_a_yaml_value_that_contains_itself_is_refused():
    with pytest.raises(ScenarioError, match="contains it"):
        loads_scenario("nodes: &n [*n]\n", "yaml")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_load_scenario_refuses_a_file_with_a_repeated_key(tmp_path, suffix):
    d = with_duplicate(("rtt_ms", "a"), "b", 99)
    path = tmp_path / f"dup{suffix}"
    path.write_text(to_json(d) if suffix == ".json" else to_yaml(d), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"^rtt_ms\.a: duplicate key 'b'$"):
        load_scenario(path)


def test_the_cli_refuses_a_repeated_key_on_standard_input():
    text = to_json(with_duplicate(("rtt_ms", "a"), "b", 99))
    res = subprocess.run([sys.executable, "-m", "core", "solve", "-"], cwd=REPO, input=text,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip() == "error: rtt_ms.a: duplicate key 'b'", res.stderr
