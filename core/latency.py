"""Round-trip time between nodes: great-circle distance and the fibre-route model.

The distance model of docs/model.md, ``rtt = fixed_ms + 2 · d · route_inflation / fiber_km_per_ms``,
was fitted to Microsoft's measured Azure inter-region medians (July 2025): 5 ms fixed,
route inflation 1.5 and 200 km/ms for light in fibre (2/3 c).
"""
from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0
FIXED_MS = 5.0
ROUTE_INFLATION = 1.5
FIBER_KM_PER_MS = 200.0


def haversine_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Great-circle distance [km] on a sphere of radius 6371.0 km; inputs in degrees, broadcast."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float))
                              for v in (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def rtt_from_distance_ms(distance_km, fixed_ms=FIXED_MS, route_inflation=ROUTE_INFLATION,
                         fiber_km_per_ms=FIBER_KM_PER_MS):
    """Modelled round-trip time [ms] over a fibre route of ``route_inflation`` × distance [km]."""
    return fixed_ms + 2.0 * np.asarray(distance_km, dtype=float) * route_inflation / fiber_km_per_ms


def distance_matrix_km(lat_deg, lon_deg):
    """Pairwise great-circle distances [km], an N×N array with a zero diagonal."""
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(d, 0.0)
    return d


def rtt_matrix_ms(ids, lat_deg, lon_deg, measured_ms=None, fixed_ms=FIXED_MS,
                  route_inflation=ROUTE_INFLATION, fiber_km_per_ms=FIBER_KM_PER_MS):
    """Round-trip times [ms] between every pair of nodes, and which of them were given.

    ``measured_ms[a][b]`` overrides the model for (a, b); where only ``[b][a]`` is given it
    serves both directions (docs/model.md). The diagonal is 0. Returns ``(rtt, given)``, two N×N
    arrays (float ms, bool).
    """
    index = {node_id: i for i, node_id in enumerate(ids)}
    rtt = rtt_from_distance_ms(distance_matrix_km(lat_deg, lon_deg), fixed_ms,
                               route_inflation, fiber_km_per_ms)
    given = np.zeros(rtt.shape, dtype=bool)
    forward = np.zeros(rtt.shape, dtype=bool)
    for a, row in (measured_ms or {}).items():
        for b, value in row.items():
            i, j = index[a], index[b]
            rtt[i, j] = value
            given[i, j] = forward[i, j] = True
    # the reverse direction takes the given value only where it has none of its own
    reverse_only = forward.T & ~forward
    rtt[reverse_only] = rtt.T[reverse_only]
    given |= reverse_only
    np.fill_diagonal(rtt, 0.0)
    np.fill_diagonal(given, False)
    return rtt, given
