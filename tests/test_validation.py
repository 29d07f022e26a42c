"""Scenario validation (docs/model.md, "Scenario file"): every rule gives a one-line ScenarioError that
starts with the field path, with the id of the node, workload or demand entry it is in; its
``field`` is the pure path; defaults are filled in; demand entries add up."""
import json

import pytest
import yaml
from numpy.testing import assert_allclose

from core.inputs import model_inputs
from core.scenario import ScenarioError, loads_scenario, parse_scenario, update_scenario, with_budgets_ms


def base() -> dict:
    """A valid scenario with every section present: 2 nodes, 2 workloads, rtt_ms on both levels."""
    node = {"lat": 10.0, "lon": 20.0, "price_usd_per_mwh": 80.0, "carbon_avg_g_per_kwh": 300.0,
            "carbon_marginal_g_per_kwh": 500.0, "pue": 1.2, "capacity_mw": 50.0}
    return {
        "schema_version": 1, "name": "v", "period_hours": 24,
        "nodes": [{"id": "a", **node, "residency_zone": "EU"}, {"id": "b", **node}],
        "workloads": [{"id": "chat", "latency_budget_ms": 50, "state_pinned_share": 0.2,
                       "gb_per_mwh": 40, "migration_overhead": 0.03, "residency_bound": True},
                      {"id": "batch", "latency_budget_ms": 200}],
        "demand": [{"node": "a", "workload": "chat", "mw": 5}, {"node": "b", "workload": "batch", "mw": 3}],
        "rtt_ms": {"a": {"b": 30}},
        "latency_model": {"fixed_ms": 5, "route_inflation": 1.5, "fiber_km_per_ms": 200},
        "frictions": {"egress": True, "migration": True, "state_locality": True, "legal": True, "capacity": True},
        "prices": {"egress_usd_per_gb": 0.02, "migration_usd_per_mwh": 0, "unserved_usd_per_mwh": 10000},
        "objective": {"carbon_signal": "marginal", "carbon_price_usd_per_t": 0},
        "regional_ms": 30,
    }


def _set(path, value):
    """A mutation that sets ``path`` (a tuple of keys/indices) in the scenario dict."""
    def mutate(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


def _drop(path):
    def mutate(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return mutate


NAN, INF = float("nan"), float("inf")

# (case id, mutation, field path (ScenarioError.field), the path as the message shows it: with the
# id of the node or workload, or the node/workload of the demand entry, written out by hand)
BAD = [
    # unknown fields, at every level
    ("unknown top level", _set(("colour",), "red"), "colour", "colour"),
    ("unknown in node", _set(("nodes", 1, "elevation"), 3), "nodes[1].elevation", "b (nodes[1]).elevation"),
    ("unknown in workload", _set(("workloads", 1, "priority"), 1), "workloads[1].priority",
     "batch (workloads[1]).priority"),
    ("unknown in demand", _set(("demand", 0, "hour"), 1), "demand[0].hour", "demand[0] (a/chat).hour"),
    ("unknown in frictions", _set(("frictions", "weather"), True), "frictions.weather", "frictions.weather"),
    ("unknown in prices", _set(("prices", "tax"), 1), "prices.tax", "prices.tax"),
    ("unknown in objective", _set(("objective", "water_price"), 1), "objective.water_price", "objective.water_price"),
    ("unknown in latency_model", _set(("latency_model", "jitter_ms"), 1), "latency_model.jitter_ms",
     "latency_model.jitter_ms"),
    # duplicate and unknown ids
    ("duplicate node id", _set(("nodes", 1, "id"), "a"), "nodes[1].id", "a (nodes[1]).id"),
    ("duplicate workload id", _set(("workloads", 1, "id"), "chat"), "workloads[1].id", "chat (workloads[1]).id"),
    ("dot in node id", _set(("nodes", 1, "id"), "b.c"), "nodes[1].id", "b.c (nodes[1]).id"),
    ("dot in workload id", _set(("workloads", 0, "id"), "chat.v2"), "workloads[0].id",
     "chat.v2 (workloads[0]).id"),
    ("dot alone as node id", _set(("nodes", 0, "id"), "."), "nodes[0].id", ". (nodes[0]).id"),
    ("unknown node in demand", _set(("demand", 1, "node"), "zz"), "demand[1].node", "demand[1] (zz/batch).node"),
    ("unknown workload in demand", _set(("demand", 1, "workload"), "zz"), "demand[1].workload",
     "demand[1] (b/zz).workload"),
    ("unknown node in rtt_ms (outer)", _set(("rtt_ms", "zz"), {"a": 3}), "rtt_ms.zz", "rtt_ms.zz"),
    ("unknown node in rtt_ms (inner)", _set(("rtt_ms", "a", "zz"), 3), "rtt_ms.a.zz", "rtt_ms.a.zz"),
    ("rtt_ms to itself", _set(("rtt_ms", "a", "a"), 3), "rtt_ms.a.a", "rtt_ms.a.a"),
    # negative numbers
    ("negative rtt", _set(("rtt_ms", "a", "b"), -1), "rtt_ms.a.b", "rtt_ms.a.b"),
    ("negative price", _set(("nodes", 1, "price_usd_per_mwh"), -1), "nodes[1].price_usd_per_mwh",
     "b (nodes[1]).price_usd_per_mwh"),
    ("negative carbon avg", _set(("nodes", 0, "carbon_avg_g_per_kwh"), -1), "nodes[0].carbon_avg_g_per_kwh",
     "a (nodes[0]).carbon_avg_g_per_kwh"),
    ("negative carbon marginal", _set(("nodes", 0, "carbon_marginal_g_per_kwh"), -0.5),
     "nodes[0].carbon_marginal_g_per_kwh", "a (nodes[0]).carbon_marginal_g_per_kwh"),
    ("negative capacity", _set(("nodes", 1, "capacity_mw"), -10), "nodes[1].capacity_mw", "b (nodes[1]).capacity_mw"),
    ("negative demand", _set(("demand", 1, "mw"), -3), "demand[1].mw", "demand[1] (b/batch).mw"),
    ("negative budget", _set(("workloads", 0, "latency_budget_ms"), -1), "workloads[0].latency_budget_ms",
     "chat (workloads[0]).latency_budget_ms"),
    ("negative gb", _set(("workloads", 0, "gb_per_mwh"), -1), "workloads[0].gb_per_mwh",
     "chat (workloads[0]).gb_per_mwh"),
    ("negative overhead", _set(("workloads", 0, "migration_overhead"), -0.1), "workloads[0].migration_overhead",
     "chat (workloads[0]).migration_overhead"),
    ("negative egress", _set(("prices", "egress_usd_per_gb"), -0.01), "prices.egress_usd_per_gb",
     "prices.egress_usd_per_gb"),
    ("negative migration fee", _set(("prices", "migration_usd_per_mwh"), -1), "prices.migration_usd_per_mwh",
     "prices.migration_usd_per_mwh"),
    ("negative unserved", _set(("prices", "unserved_usd_per_mwh"), -1), "prices.unserved_usd_per_mwh",
     "prices.unserved_usd_per_mwh"),
    ("negative carbon price", _set(("objective", "carbon_price_usd_per_t"), -5), "objective.carbon_price_usd_per_t",
     "objective.carbon_price_usd_per_t"),
    ("negative period", _set(("period_hours",), -1), "period_hours", "period_hours"),
    ("zero period", _set(("period_hours",), 0), "period_hours", "period_hours"),
    ("negative regional_ms", _set(("regional_ms",), -1), "regional_ms", "regional_ms"),
    ("negative fixed_ms", _set(("latency_model", "fixed_ms"), -1), "latency_model.fixed_ms",
     "latency_model.fixed_ms"),
    ("zero fiber speed", _set(("latency_model", "fiber_km_per_ms"), 0), "latency_model.fiber_km_per_ms",
     "latency_model.fiber_km_per_ms"),
    # non-finite numbers (json.dumps writes the literals NaN / Infinity / -Infinity)
    ("NaN pue", _set(("nodes", 1, "pue"), NAN), "nodes[1].pue", "b (nodes[1]).pue"),
    ("NaN price", _set(("nodes", 0, "price_usd_per_mwh"), NAN), "nodes[0].price_usd_per_mwh",
     "a (nodes[0]).price_usd_per_mwh"),
    ("Infinity capacity", _set(("nodes", 1, "capacity_mw"), INF), "nodes[1].capacity_mw", "b (nodes[1]).capacity_mw"),
    ("Infinity demand", _set(("demand", 0, "mw"), INF), "demand[0].mw", "demand[0] (a/chat).mw"),
    ("Infinity budget", _set(("workloads", 1, "latency_budget_ms"), INF), "workloads[1].latency_budget_ms",
     "batch (workloads[1]).latency_budget_ms"),
    ("-Infinity egress", _set(("prices", "egress_usd_per_gb"), -INF), "prices.egress_usd_per_gb",
     "prices.egress_usd_per_gb"),
    ("NaN rtt", _set(("rtt_ms", "a", "b"), NAN), "rtt_ms.a.b", "rtt_ms.a.b"),
    ("Infinity rtt", _set(("rtt_ms", "a", "b"), INF), "rtt_ms.a.b", "rtt_ms.a.b"),
    ("NaN lat", _set(("nodes", 0, "lat"), NAN), "nodes[0].lat", "a (nodes[0]).lat"),
    ("NaN period", _set(("period_hours",), NAN), "period_hours", "period_hours"),
    # ranges
    ("pue below 1", _set(("nodes", 1, "pue"), 0.99), "nodes[1].pue", "b (nodes[1]).pue"),
    ("lat above 90", _set(("nodes", 1, "lat"), 90.01), "nodes[1].lat", "b (nodes[1]).lat"),
    ("lat below -90", _set(("nodes", 0, "lat"), -90.5), "nodes[0].lat", "a (nodes[0]).lat"),
    ("lon above 180", _set(("nodes", 1, "lon"), 180.01), "nodes[1].lon", "b (nodes[1]).lon"),
    ("lon below -180", _set(("nodes", 0, "lon"), -181), "nodes[0].lon", "a (nodes[0]).lon"),
    ("share above 1", _set(("workloads", 0, "state_pinned_share"), 1.01), "workloads[0].state_pinned_share",
     "chat (workloads[0]).state_pinned_share"),
    ("share below 0", _set(("workloads", 1, "state_pinned_share"), -0.01), "workloads[1].state_pinned_share",
     "batch (workloads[1]).state_pinned_share"),
    # wrong types
    ("string for a number", _set(("nodes", 0, "price_usd_per_mwh"), "80"), "nodes[0].price_usd_per_mwh",
     "a (nodes[0]).price_usd_per_mwh"),
    ("boolean for a number", _set(("nodes", 1, "capacity_mw"), True), "nodes[1].capacity_mw",
     "b (nodes[1]).capacity_mw"),
    ("boolean for demand", _set(("demand", 0, "mw"), False), "demand[0].mw", "demand[0] (a/chat).mw"),
    ("string for rtt", _set(("rtt_ms", "a", "b"), "30"), "rtt_ms.a.b", "rtt_ms.a.b"),
    ("number for boolean", _set(("workloads", 0, "residency_bound"), 1), "workloads[0].residency_bound",
     "chat (workloads[0]).residency_bound"),
    ("string for friction", _set(("frictions", "egress"), "yes"), "frictions.egress", "frictions.egress"),
    ("number for id", _set(("nodes", 1, "id"), 7), "nodes[1].id", "nodes[1].id"),
    ("number for zone", _set(("nodes", 0, "residency_zone"), 3), "nodes[0].residency_zone",
     "a (nodes[0]).residency_zone"),
    ("number for provider", _set(("nodes", 1, "provider"), 3), "nodes[1].provider", "b (nodes[1]).provider"),
    ("empty provider", _set(("nodes", 0, "provider"), ""), "nodes[0].provider", "a (nodes[0]).provider"),
    ("string for provider lock", _set(("frictions", "provider_lock"), "on"), "frictions.provider_lock",
     "frictions.provider_lock"),
    ("number for provider lock", _set(("frictions", "provider_lock"), 1), "frictions.provider_lock",
     "frictions.provider_lock"),
    ("object for nodes", _set(("nodes",), {"a": 1}), "nodes", "nodes"),
    ("number for a demand item", _set(("demand", 1), 5), "demand[1]", "demand[1]"),
    ("number for rtt row", _set(("rtt_ms", "a"), 5), "rtt_ms.a", "rtt_ms.a"),
    ("bad carbon signal", _set(("objective", "carbon_signal"), "avg"), "objective.carbon_signal",
     "objective.carbon_signal"),
    # schema version
    ("schema_version 2", _set(("schema_version",), 2), "schema_version", "schema_version"),
    ("schema_version string", _set(("schema_version",), "1"), "schema_version", "schema_version"),
    # missing sections and fields
    ("missing nodes", _drop(("nodes",)), "nodes", "nodes"),
    ("missing workloads", _drop(("workloads",)), "workloads", "workloads"),
    ("missing demand", _drop(("demand",)), "demand", "demand"),
    ("empty nodes", _set(("nodes",), []), "nodes", "nodes"),
    ("empty workloads", _set(("workloads",), []), "workloads", "workloads"),
    ("missing pue", _drop(("nodes", 1, "pue")), "nodes[1].pue", "b (nodes[1]).pue"),
    ("missing budget", _drop(("workloads", 1, "latency_budget_ms")), "workloads[1].latency_budget_ms",
     "batch (workloads[1]).latency_budget_ms"),
    ("missing demand mw", _drop(("demand", 0, "mw")), "demand[0].mw", "demand[0] (a/chat).mw"),
]


def _error(text: str, fmt: str = "json") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, fmt)
    return info.value


@pytest.mark.parametrize("mutate,path,shown", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_invalid_field_names_the_field_in_one_line(mutate, path, shown):
    d = base()
    mutate(d)
    text = json.dumps(d)  # NaN / Infinity written as the JSON literals
    err = _error(text)
    msg = str(err)
    assert msg.startswith(shown + ":"), msg
    assert "\n" not in msg and "\r" not in msg
    assert err.field == path and err.where == shown
    # the same dict through parse_scenario gives the same error
    with pytest.raises(ScenarioError) as again:
        parse_scenario(json.loads(text))
    assert str(again.value) == msg


def test_nan_literal_in_text_is_rejected():
    text = json.dumps(base()).replace('"pue": 1.2, "capacity_mw": 50.0}]', '"pue": NaN, "capacity_mw": 50.0}]')
    assert "NaN" in text
    msg = str(_error(text))
    assert msg.startswith("b (nodes[1]).pue:") and "\n" not in msg


def test_base_is_valid_and_boundaries_are_accepted():
    sc = parse_scenario(base())
    assert sc.node_ids == ["a", "b"] and sc.workload_ids == ["chat", "batch"]
    d = base()
    d["nodes"][0].update(lat=90, lon=-180, pue=1, price_usd_per_mwh=0, capacity_mw=0)
    d["nodes"][1].update(lat=-90, lon=180)
    d["workloads"][0].update(state_pinned_share=1, latency_budget_ms=0)
    d["workloads"][1].update(state_pinned_share=0)
    d["rtt_ms"] = {"a": {"b": 0}}
    sc = parse_scenario(d)
    assert sc.nodes[0].lat == 90.0 and sc.nodes[1].lon == 180.0 and sc.nodes[0].pue == 1.0
    assert sc.workloads[0].state_pinned_share == 1.0


def test_defaults_are_filled_in():
    minimal = {
        "nodes": [{"id": "a", "lat": 0, "lon": 0, "price_usd_per_mwh": 1, "carbon_avg_g_per_kwh": 1,
                   "carbon_marginal_g_per_kwh": 1, "pue": 1.1, "capacity_mw": 1}],
        "workloads": [{"id": "w", "latency_budget_ms": 10}],
        "demand": [],
    }
    d = parse_scenario(minimal).to_dict()
    assert d["schema_version"] == 1
    assert d["period_hours"] == 8760
    assert d["rtt_ms"] == {}
    assert d["latency_model"] == {"fixed_ms": 5, "route_inflation": 1.5, "fiber_km_per_ms": 200}
    assert d["frictions"] == {"egress": True, "migration": True, "state_locality": True,
                              "legal": True, "capacity": True, "provider_lock": False}
    assert d["prices"] == {"egress_usd_per_gb": 0.02, "migration_usd_per_mwh": 0,
                           "unserved_usd_per_mwh": 10000}
    assert d["objective"] == {"carbon_signal": "marginal", "carbon_price_usd_per_t": 0}
    assert d["regional_ms"] == 30
    assert d["nodes"][0]["residency_zone"] is None
    assert d["nodes"][0]["provider"] is None
    w = d["workloads"][0]
    assert (w["state_pinned_share"], w["gb_per_mwh"], w["migration_overhead"], w["residency_bound"]) == (0, 0, 0, False)


def test_demand_entries_for_same_node_and_workload_add_up():
    d = base()
    d["demand"] += [{"node": "a", "workload": "chat", "mw": 2.5}, {"node": "a", "workload": "chat", "mw": 1.5},
                    {"node": "a", "workload": "batch", "mw": 4}]
    inp = model_inputs(parse_scenario(d))
    # a/chat: 5 + 2.5 + 1.5 = 9; a/batch: 4; b/chat: 0; b/batch: 3
    assert_allclose(inp.demand_mw, [[9.0, 4.0], [0.0, 3.0]], rtol=0, atol=1e-12)


def test_yaml_loads_to_the_same_scenario():
    d = base()
    a = loads_scenario(json.dumps(d))
    b = loads_scenario(yaml.safe_dump(d), "yaml")
    assert a.to_dict() == b.to_dict()
    # and YAML errors name the field too
    d["nodes"][1]["pue"] = 0.5
    msg = str(_error(yaml.safe_dump(d), "yaml"))
    assert msg.startswith("b (nodes[1]).pue:") and "\n" not in msg


@pytest.mark.parametrize("text", ["{not json", '{"nodes": [1, 2,]}', "", "[1, 2]", "42"])
def test_invalid_json_gives_one_line_error(text):
    msg = str(_error(text))
    assert msg and "\n" not in msg


def test_invalid_yaml_gives_one_line_error():
    msg = str(_error("nodes: [1, 2\nworkloads: {", "yaml"))
    assert msg and "\n" not in msg


def test_update_scenario_validates_and_names_the_field():
    sc = parse_scenario(base())
    with pytest.raises(ScenarioError) as info:
        update_scenario(sc, {"nodes.b.pue": 0.5})
    assert str(info.value).startswith("b (nodes[1]).pue:") and "\n" not in str(info.value)
    assert info.value.field == "nodes[1].pue"
    with pytest.raises(ScenarioError) as info:
        update_scenario(sc, {"workloads.chat.state_pinned_share": 2})
    assert str(info.value).startswith("chat (workloads[0]).state_pinned_share:")
    with pytest.raises(ScenarioError) as info:
        update_scenario(sc, {"prices.egress_usd_per_gb": float("nan")})
    assert str(info.value).startswith("prices.egress_usd_per_gb:")
    with pytest.raises(ScenarioError) as info:
        update_scenario(sc, {"nodes.zz.pue": 1.5})
    assert "zz" in str(info.value)
    # a valid change is applied, the original left unchanged
    sc2 = update_scenario(sc, {"nodes.b.pue": 1.5, "frictions.egress": False})
    assert sc2.nodes[1].pue == 1.5 and sc2.frictions.egress is False
    assert sc.nodes[1].pue == 1.2 and sc.frictions.egress is True


def test_ids_must_not_contain_a_dot():
    # a dotted edit path names items by id (nodes.<id>.<field>): "a.b" could not be told from a path
    d = base()
    d["nodes"][1]["id"] = "b.c"
    assert str(_error(json.dumps(d))) == "b.c (nodes[1]).id: must not contain '.'"
    d = base()
    d["workloads"][1]["id"] = "batch.1"
    assert str(_error(json.dumps(d))) == "batch.1 (workloads[1]).id: must not contain '.'"
    # other characters stay allowed in ids, and a dot is fine in names
    d = base()
    d["nodes"][1] |= {"id": "b_c-1 x", "name": "St. Louis"}
    d["demand"][1]["node"] = "b_c-1 x"
    d["rtt_ms"] = {"a": {"b_c-1 x": 30}}
    assert parse_scenario(d).nodes[1].id == "b_c-1 x"


def test_region_in_the_message_when_its_id_is_unusable_or_long():
    d = base()
    d["nodes"][1]["id"] = ""                          # an empty id: the message keeps the position only
    assert str(_error(json.dumps(d))).startswith("nodes[1].id:")
    d = base()
    d["nodes"][1]["id"] = "x\ny"                      # a line break in an id never splits the message
    d["nodes"][1]["pue"] = 0.5
    msg = str(_error(json.dumps(d)))
    assert msg.startswith('"x\\ny" (nodes[1]).pue:') and "\n" not in msg, msg
    d = base()
    d["nodes"][0]["id"] = "r" * 100                  # a long id is quoted and cut to 40 characters
    d["nodes"][0]["pue"] = 0.5
    msg = str(_error(json.dumps(d)))
    assert msg.startswith('"' + "r" * 36 + '... (nodes[0]).pue:'), msg


def test_with_budgets_ms_uniform_and_per_workload():
    sc = parse_scenario(base())
    assert [w.latency_budget_ms for w in with_budgets_ms(sc, 7).workloads] == [7.0, 7.0]
    assert [w.latency_budget_ms for w in with_budgets_ms(sc, {"batch": 3}).workloads] == [50.0, 3.0]
    with pytest.raises(ScenarioError):
        with_budgets_ms(sc, -1)


def test_providers_and_the_provider_lock_are_read():
    d = base()
    d["nodes"][0]["provider"] = "aws"
    d["frictions"]["provider_lock"] = True
    sc = parse_scenario(d)
    assert [n.provider for n in sc.nodes] == ["aws", None] and sc.frictions.provider_lock is True
    inp = model_inputs(sc)
    assert inp.provider == ("aws", None) and inp.friction("provider_lock") is True
    assert update_scenario(sc, {"nodes.b.provider": "gcp"}).nodes[1].provider == "gcp"
    assert str(_error(json.dumps({**d, "frictions": {**d["frictions"], "provider_lock": None}}))).startswith(
        "frictions.provider_lock: must be true or false")
