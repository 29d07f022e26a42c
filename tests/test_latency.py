"""Round-trip times (MODEL.md "Round-trip time"): haversine, the distance model, measured values."""
import math

import numpy as np
from numpy.testing import assert_allclose

from core.inputs import model_inputs
from core.latency import distance_matrix_km, haversine_km, rtt_from_distance_ms, rtt_matrix_ms
from core.scenario import parse_scenario

# 1000 km along the equator is 1000/6371 rad of longitude.
LON_1000_KM = math.degrees(1000.0 / 6371.0)  # 8.99321... degrees


def test_haversine_rosetta_code_reference():
    # Rosetta Code "Haversine formula": Nashville BNA (36.12, -86.67) to LAX (33.94, -118.40)
    # is 2887.2599506071106 km on a sphere of radius 6372.8 km; the distance scales with the
    # radius, so on MODEL.md's 6371.0 km sphere it is 2887.2599506071106 * 6371.0 / 6372.8.
    expected = 2887.2599506071106 * 6371.0 / 6372.8
    assert_allclose(haversine_km(36.12, -86.67, 33.94, -118.40), expected, rtol=1e-9)


def test_haversine_published_city_pair_within_half_percent():
    # LAX (33.9425, -118.408) to JFK (40.6398, -73.7789): 2475 mi = 3983 km (Great Circle
    # Mapper, on the WGS-84 ellipsoid); a sphere is within ±0.5 %.
    assert_allclose(haversine_km(33.9425, -118.408, 40.6398, -73.7789), 3983.0, rtol=5e-3)


def test_haversine_quarter_meridian_and_antipode():
    # pole to equator: a quarter of the circumference, π/2 · 6371 = 10007.543... km
    assert_allclose(haversine_km(90.0, 0.0, 0.0, 0.0), math.pi / 2 * 6371.0, rtol=1e-12)
    # antipodes: half the circumference, π · 6371 (the clip keeps arcsin defined)
    assert_allclose(haversine_km(0.0, 0.0, 0.0, 180.0), math.pi * 6371.0, rtol=1e-12)
    # symmetric and zero on the diagonal
    d = distance_matrix_km([10.0, -20.0, 45.0], [0.0, 30.0, -100.0])
    assert_allclose(d, d.T, rtol=0, atol=1e-9)
    assert_allclose(np.diag(d), 0.0, atol=0)


def test_rtt_model_defaults_by_hand():
    # 5 + 2·1000·1.5/200 = 5 + 15 = 20 ms; 0 km → 5 ms; 2000 km → 5 + 30 = 35 ms
    assert_allclose(rtt_from_distance_ms([0.0, 1000.0, 2000.0]), [5.0, 20.0, 35.0], rtol=1e-12)


def test_rtt_from_scenario_defaults_and_custom_latency_model(tiny_scenario):
    nodes = [{"id": "a", "lat": 0.0, "lon": 0.0}, {"id": "b", "lat": 0.0, "lon": LON_1000_KM}]
    inp = model_inputs(parse_scenario(tiny_scenario(nodes=nodes, rtt_ms={},
                                                    demand=[{"node": "a", "workload": "w", "mw": 1}])))
    # defaults: 5 + 2·1000·1.5/200 = 20 ms both ways, 0 on the diagonal
    assert_allclose(inp.distance_km, [[0, 1000.0], [1000.0, 0]], rtol=1e-9)
    assert_allclose(inp.rtt_ms, [[0, 20.0], [20.0, 0]], rtol=1e-9)
    assert not inp.rtt_measured.any()
    # latency_model fields: 2 + 2·1000·2/100 = 42 ms
    inp = model_inputs(parse_scenario(tiny_scenario(
        nodes=nodes, rtt_ms={}, demand=[{"node": "a", "workload": "w", "mw": 1}],
        latency_model={"fixed_ms": 2, "route_inflation": 2, "fiber_km_per_ms": 100})))
    assert_allclose(inp.rtt_ms, [[0, 42.0], [42.0, 0]], rtol=1e-9)


def _three_nodes(rtt_ms):
    ids = ["a", "b", "c"]
    lat = [0.0, 0.0, 0.0]
    lon = [0.0, LON_1000_KM, 2 * LON_1000_KM]  # a–b 1000 km (20 ms), a–c 2000 km (35 ms), b–c 20 ms
    return rtt_matrix_ms(ids, lat, lon, rtt_ms)


def test_measured_value_serves_the_reverse_direction():
    rtt, given = _three_nodes({"a": {"b": 7.0}})
    # rtt[a][b] given = 7 → rtt[b][a] = 7 too; the rest modelled (20 / 35 ms)
    expected = [[0, 7.0, 35.0], [7.0, 0, 20.0], [35.0, 20.0, 0]]
    assert_allclose(rtt, expected, rtol=1e-9)
    assert given.tolist() == [[False, True, False], [True, False, False], [False, False, False]]


def test_measured_value_each_direction_keeps_its_own():
    # both directions given: each keeps its own value (the reverse rule applies only where
    # a direction has none)
    rtt, given = _three_nodes({"a": {"b": 7.0}, "b": {"a": 9.0}, "c": {"a": 11.0}})
    expected = [[0, 7.0, 11.0], [9.0, 0, 20.0], [11.0, 20.0, 0]]
    assert_allclose(rtt, expected, rtol=1e-9)
    assert given.tolist() == [[False, True, True], [True, False, False], [True, False, False]]


def test_measured_value_in_scenario_reaches_model_inputs(tiny_scenario):
    # tiny scenario: rtt_ms = {"home": {"away": 20}}; the reverse takes 20 too
    inp = model_inputs(parse_scenario(tiny_scenario(rtt_ms={"away": {"home": 33.0}})))
    assert_allclose(inp.rtt_ms, [[0, 33.0], [33.0, 0]], rtol=0)
    inp = model_inputs(parse_scenario(tiny_scenario(rtt_ms={"home": {"away": 12.0}, "away": {"home": 33.0}})))
    assert_allclose(inp.rtt_ms, [[0, 12.0], [33.0, 0]], rtol=0)
