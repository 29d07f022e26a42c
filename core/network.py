"""A min-cost-flow fast path for the single-period placement LP of docs/model.md.

The LP is a transportation problem with capacities, so OR-Tools' ``SimpleMinCostFlow`` (a
cost-scaling push-relabel network solver) solves it directly. The CVXPY model
(:class:`core.model.PlacementModel`) stays the model of record; this module is a second,
explicitly chosen solver for the same optimum (:func:`solve_network`, or ``--engine network``;
``auto`` never picks it).

Network (only arcs that the mask allows and that carry demand, D[s,k] > 0, are built):

* a *free* supply node per (s, k) with ``(1 − σ[k])·D[s,k]`` (all of D when the state-locality
  friction is off), with an arc to every compute node r the mask allows;
* with state locality on, a *pinned* supply node per (s, k) with ``σ[k]·D[s,k]`` and arcs only to
  its home r = s (when allowed) — so ``x[s,s,k] + u[s,k] ≥ σ[k]·D[s,k]`` holds;
* an arc from every supply node straight to the sink: unserved demand, cost V;
* an arc from each compute node r to the sink with capacity cap[r] (the total demand when the
  capacity friction is off); the sink takes the total demand.

Arc (s, ·, k) → r costs ``unit_objective_usd_per_mwh[s, r, k]``, so the flow's cost is the LP's
objective per hour. Fewer arcs: the relocated unit cost depends on (r, k) only, so free supply
nodes of one class that may run at the same set of compute nodes share a *hub* (members → hub →
each r of the set, plus each member's own home arc): at wide budgets 160 000 arcs become 4 000 on
the 200-node benchmark case (``hubs=False`` builds direct arcs only).

Exactness. OR-Tools works in int64: flows are counted in units of ``D_total / 2**FLOW_BITS`` MW
and costs in units of ``max cost / 2**COST_BITS`` $/MWh (max cost: V or the dearest arc). Their
product stays below 2**62, so no sum of flow × cost overflows, and costs stay far below OR-Tools'
own limit (int64 / (2·(nodes + 1))). Supplies and costs are rounded to the nearest unit,
capacities down (a placement never exceeds cap[r]). The optimum moves by at most V per MW of
changed demand, pinned share or capacity (unserve it, or stop unserving it), and cost rounding
moves it by at most D_total × one cost unit, so the objective of the returned placement is
within :func:`objective_error_bound_usd` of the LP's optimum:
``H·(D_total·max cost/2**COST_BITS + V·(2·N·K + N)·D_total/2**FLOW_BITS)`` — 1.7e-6 of the
objective on the default scenario, 5.5e-6 on the 200-node benchmark case, where the observed
gap to HiGHS is 4e-10 and 5e-10. Demand balance holds to one flow unit per (s, k) (≈ 3e-11 of
the total demand).

Duals. ``SimpleMinCostFlow`` does not return node potentials, so the demand and capacity duals of
a network :class:`~core.solution.Solution` are NaN arrays; shadow prices come from the CVXPY model
of record.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from core.inputs import ModelInputs, feasibility_mask, unit_objective_usd_per_mwh
from core.solution import Solution

FLOW_BITS = 35
COST_BITS = 27
SOLVER_NAME = "ortools-mcf"


class NetworkSolveError(RuntimeError):
    """OR-Tools did not report an optimum (it should not happen: the unserved arcs make every
    instance feasible); the message names OR-Tools' status."""


@dataclass(frozen=True)
class _Scaling:
    flow_per_mw: float        # flow units per MW
    cost_per_usd: float       # cost units per $/MWh


@dataclass
class _Network:
    """The arcs of one network, as parallel int arrays, and how their flows map back to x and u."""

    tails: np.ndarray
    heads: np.ndarray
    capacities: np.ndarray
    costs: np.ndarray
    supplies: np.ndarray           # per network node
    x_arcs: np.ndarray             # arcs straight from a supply node to a compute node ...
    x_index: np.ndarray            # ... and their flat [s, r, k] index
    u_arcs: np.ndarray             # unserved arcs ...
    u_index: np.ndarray            # ... and their flat [s, k] index
    hub_in_arcs: np.ndarray        # (s, k) → hub arcs, grouped by hub ...
    hub_in_sk: np.ndarray          # ... and their (s, k) as s·K + k
    hub_out_arcs: np.ndarray       # hub → r arcs, grouped by hub in the same order ...
    hub_out_r: np.ndarray          # ... and their r
    scale: _Scaling


def _scaling(inp: ModelInputs, unit: np.ndarray, arcs: np.ndarray) -> _Scaling:
    total = float(inp.demand_mw.sum())
    max_cost = max(float(inp.unserved_usd_per_mwh), float(unit[arcs].max()) if arcs.any() else 0.0, 1e-12)
    return _Scaling(flow_per_mw=2.0 ** FLOW_BITS / total, cost_per_usd=2.0 ** COST_BITS / max_cost)


def relocated_unit_usd_per_mwh(unit: np.ndarray) -> np.ndarray | None:
    """[r, k] the unit objective of relocated work when it does not depend on s (docs/model.md's
    formulas: ``PUE[r]·(1+ω[k])·(p[r] + τ·c[r]/1000) + g[k]·e + φ``), else None."""
    n = unit.shape[0]
    if n < 2:
        return None
    off = ~np.eye(n, dtype=bool)
    rel = unit[(np.arange(n) + 1) % n, np.arange(n), :]          # s = r + 1 ≠ r
    return rel if bool((unit[off] == np.broadcast_to(rel[None], unit.shape)[off]).all()) else None


def _hub_groups(arcs_free: np.ndarray, free: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(k, members s, allowed r) for every set of ≥ 2 supply nodes (s, k) of one class whose mask
    rows are equal, where routing through one hub node needs fewer arcs than direct arcs."""
    groups = []
    if arcs_free.sum() < 3 * np.count_nonzero(free):  # fewer than 3 arcs a node: no hub can pay
        return groups
    for k in range(free.shape[1]):
        members = np.flatnonzero(free[:, k] > 0)
        if members.size < 2:
            continue
        rows = np.ascontiguousarray(np.packbits(arcs_free[members, :, k], axis=1))
        keys = rows.view(np.dtype((np.void, rows.shape[1]))).ravel()  # one byte string per row
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        for g in np.flatnonzero(counts >= 2):
            group = members[inverse == g]
            allowed = np.flatnonzero(arcs_free[group[0], :, k])
            c, a = group.size, allowed.size
            if 2 * c + a < c * a:  # in-arcs, home arcs and out-arcs against direct arcs
                groups.append((k, group, allowed))
    return groups


def _build(inp: ModelInputs, allowed: np.ndarray, unit: np.ndarray, rel: np.ndarray | None) -> _Network:
    """The network of ``inp`` with placement arcs where ``allowed`` [s, r, k] (and D > 0).

    ``rel``: :func:`relocated_unit_usd_per_mwh` of ``unit``, or None for direct arcs only. With
    it, supply nodes of one class with the same allowed compute nodes share a hub: (s, k) → hub at no cost, hub → r at
    the relocated cost, plus each member's own home arc. Any split of a hub's flow among its
    members is feasible (they all reach every r of the hub) and costs no more (routed back to its
    own home, a member pays the home cost ≤ the relocated one), so the optimum is the LP's.
    """
    n, k = inp.n_nodes, inp.n_workloads
    demand = inp.demand_mw
    arcs = allowed & (demand > 0)[:, None, :]
    sc = _scaling(inp, unit, arcs)
    d_units = np.rint(demand * sc.flow_per_mw).astype(np.int64)               # [s, k]
    share = inp.pinned_share if inp.friction("state_locality") else np.zeros(k)
    pinned = np.minimum(np.rint(demand * share[None, :] * sc.flow_per_mw).astype(np.int64), d_units)
    free = d_units - pinned
    # network nodes: free (s,k) = s·K+k, pinned (s,k) = NK + s·K+k, compute r = 2NK + r, sink, hubs
    nk = n * k
    compute0, sink = 2 * nk, 2 * nk + n
    arcs_free = arcs & (free > 0)[:, None, :]
    groups = _hub_groups(arcs_free, free) if rel is not None else []
    supplies = np.zeros(sink + 1 + len(groups), dtype=np.int64)
    supplies[:nk] = free.ravel()
    supplies[nk:2 * nk] = pinned.ravel()
    supplies[sink] = -int(d_units.sum())

    # direct placement arcs from the free nodes; hub members keep only their home arc
    direct = arcs_free.copy()
    in_s, in_k, in_hub, out_r, out_k, out_hub = [], [], [], [], [], []
    for h, (kk, group, allowed_r) in enumerate(groups):
        home_ok = direct[group, group, kk]
        direct[group, :, kk] = False
        direct[group, group, kk] = home_ok
        in_s.append(group), in_k.append(np.full(group.size, kk)), in_hub.append(np.full(group.size, h))
        out_r.append(allowed_r), out_k.append(np.full(allowed_r.size, kk)), out_hub.append(np.full(allowed_r.size, h))
    s, r, w = np.nonzero(direct)
    tails, heads, caps = [s * k + w], [compute0 + r], [free[s, w]]
    x_index = [np.ravel_multi_index((s, r, w), (n, n, k))]
    # placement arcs from the pinned nodes: home only
    sp, wp = np.nonzero((pinned > 0) & np.einsum("ssk->sk", arcs))
    tails.append(nk + sp * k + wp), heads.append(compute0 + sp), caps.append(pinned[sp, wp])
    x_index.append(np.ravel_multi_index((sp, sp, wp), (n, n, k)))
    x_index = np.concatenate(x_index)
    costs = [np.rint(unit.ravel()[x_index] * sc.cost_per_usd).astype(np.int64)]
    n_arcs = x_index.size
    x_arcs = np.arange(n_arcs)
    # unserved arcs: every supply node with a positive supply
    u_nodes = np.flatnonzero(supplies[:2 * nk] > 0)
    tails.append(u_nodes), heads.append(np.full(u_nodes.size, sink)), caps.append(supplies[u_nodes])
    costs.append(np.full(u_nodes.size, np.rint(inp.unserved_usd_per_mwh * sc.cost_per_usd), dtype=np.int64))
    u_arcs = np.arange(n_arcs, n_arcs + u_nodes.size)
    n_arcs += u_nodes.size
    # compute nodes to the sink
    total_units = int(d_units.sum())
    if inp.friction("capacity"):
        cap_units = np.minimum(np.floor(inp.capacity_mw * sc.flow_per_mw), total_units).astype(np.int64)
    else:
        cap_units = np.full(n, total_units, dtype=np.int64)
    r_nodes = np.flatnonzero(cap_units > 0)
    tails.append(compute0 + r_nodes), heads.append(np.full(r_nodes.size, sink)), caps.append(cap_units[r_nodes])
    costs.append(np.zeros(r_nodes.size, dtype=np.int64))
    n_arcs += r_nodes.size
    # hubs: members → hub (free, their supply), hub → r (relocated cost, the hub's supply)
    cat = (lambda parts: np.concatenate(parts).astype(np.int64)) if groups else (lambda parts: np.zeros(0, np.int64))
    in_s, in_k, in_hub, out_r, out_k, out_hub = map(cat, (in_s, in_k, in_hub, out_r, out_k, out_hub))
    hub_node = sink + 1 + np.arange(len(groups))
    hub_supply = np.bincount(in_hub, weights=free[in_s, in_k], minlength=len(groups)).astype(np.int64)
    tails.append(in_s * k + in_k), heads.append(hub_node[in_hub]), caps.append(free[in_s, in_k])
    costs.append(np.zeros(in_s.size, dtype=np.int64))
    hub_in_arcs = np.arange(n_arcs, n_arcs + in_s.size)
    n_arcs += in_s.size
    tails.append(hub_node[out_hub]), heads.append(compute0 + out_r), caps.append(hub_supply[out_hub])
    costs.append(np.rint(rel[out_r, out_k] * sc.cost_per_usd).astype(np.int64) if groups else np.zeros(0, np.int64))
    hub_out_arcs = np.arange(n_arcs, n_arcs + out_r.size)
    return _Network(
        tails=np.concatenate(tails).astype(np.int32), heads=np.concatenate(heads).astype(np.int32),
        capacities=np.concatenate(caps).astype(np.int64), costs=np.concatenate(costs),
        supplies=supplies, x_arcs=x_arcs.astype(np.int32), x_index=x_index,
        u_arcs=u_arcs.astype(np.int32), u_index=u_nodes % nk,
        hub_in_arcs=hub_in_arcs.astype(np.int32), hub_in_sk=in_s * k + in_k,
        hub_out_arcs=hub_out_arcs.astype(np.int32), hub_out_r=out_r, scale=sc)


def _split_hubs(net: _Network, in_flow: np.ndarray, out_flow: np.ndarray, n: int, k: int) -> np.ndarray:
    """Flat [s, r, k] flow of the hubs: each hub's inflow split over its outflow in order (the
    north-west corner rule, all hubs at once: in both lists the hubs come in the same order and
    each hub's inflow equals its outflow, so the running sums meet at every hub's end)."""
    a, b = np.cumsum(in_flow), np.cumsum(out_flow)
    ends = np.union1d(a, b)
    ends = ends[ends > 0]
    amount = np.diff(ends, prepend=0)
    sk = net.hub_in_sk[np.searchsorted(a, ends)]
    r = net.hub_out_r[np.searchsorted(b, ends)]
    return np.bincount((sk // k * n + r) * k + sk % k, weights=amount, minlength=n * n * k)


def _solve(inp: ModelInputs, net: _Network) -> Solution:
    mcf = SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, net.costs)
    mcf.set_nodes_supplies(np.arange(net.supplies.size, dtype=np.int32), net.supplies)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise NetworkSolveError(f"OR-Tools min-cost flow ended with status {status.name}")
    n, k = inp.n_nodes, inp.n_workloads
    flows = np.asarray(mcf.flows(np.arange(mcf.num_arcs(), dtype=np.int32)), dtype=np.int64)
    x = np.bincount(net.x_index, weights=flows[net.x_arcs], minlength=n * n * k)
    if net.hub_in_arcs.size:
        x += _split_hubs(net, flows[net.hub_in_arcs], flows[net.hub_out_arcs], n, k)
    u = np.bincount(net.u_index, weights=flows[net.u_arcs], minlength=n * k)
    per_mw = net.scale.flow_per_mw
    nan_d, nan_c = np.full((n, k), np.nan), np.full(n, np.nan)
    return Solution(inp, (x / per_mw).reshape(n, n, k), (u / per_mw).reshape(n, k), nan_d, nan_c,
                    "optimal", SOLVER_NAME)


def solve_network(inp: ModelInputs, hubs: bool = True, allowed: np.ndarray | None = None) -> Solution:
    """Solve the single-period LP of ``inp`` as a min-cost flow (OR-Tools); duals are NaN.

    The placement is optimal for the LP within :func:`objective_error_bound_usd` (module doc).
    ``hubs=False`` builds one arc per allowed (s, r, k) instead of sharing hubs (see :func:`_build`).
    ``allowed``: ``inp``'s feasibility mask [s, r, k] when the caller has it (a sweep).
    """
    if inp.demand_mw.sum() <= 0:
        n, k = inp.n_nodes, inp.n_workloads
        return Solution(inp, np.zeros((n, n, k)), np.zeros((n, k)), np.full((n, k), np.nan),
                        np.full(n, np.nan), "optimal", SOLVER_NAME)
    unit = unit_objective_usd_per_mwh(inp)
    rel = relocated_unit_usd_per_mwh(unit) if hubs else None
    return _solve(inp, _build(inp, feasibility_mask(inp) if allowed is None else allowed, unit, rel))


def objective_error_bound_usd(inp: ModelInputs) -> float:
    """A bound [$ over the period] on |objective of :func:`solve_network` − LP optimum|.

    Cost rounding moves each unit cost by ≤ half a cost unit, on ≤ D_total MW (twice: the
    returned flow and the true optimum); rounding supplies (≤ one unit per (s, k): total and
    pinned part) and capacities (≤ one unit per node) moves the optimum by ≤ V per flow unit:
    more demand, a larger pinned part or less capacity can always be left unserved at V, and
    their opposites only relax the LP (every unit cost is ≥ 0).
    """
    total = float(inp.demand_mw.sum())
    if total <= 0:
        return 0.0
    unit = unit_objective_usd_per_mwh(inp)
    arcs = feasibility_mask(inp) & (inp.demand_mw > 0)[:, None, :]
    sc = _scaling(inp, unit, arcs)
    n, k = inp.n_nodes, inp.n_workloads
    cost_term = total / sc.cost_per_usd                       # 2 × ½ unit × D_total
    flow_term = inp.unserved_usd_per_mwh * (2 * n * k + n) / sc.flow_per_mw
    return inp.period_hours * (cost_term + flow_term)
