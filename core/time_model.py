"""The LP of one block of periods (docs/model.md, "Time-resolved mode"), in two engines.

Over the periods t of a block, with S[s,k,t] = Σ_r x[s,r,k,t]:

1. demand, per (s, k) and t, sums over the block's periods τ from its first to t:
   ``Σ_{τ≤t} (S+u) ≤ Σ_{τ≤t} D``, ``Σ_{τ≤t} (S+u) ≥ Σ_{τ≤t−d[k]} D``, equality at the block's end;
2. state locality ``x[s,s,k,t] + u[s,k,t] ≥ σ[k]·(S[s,k,t] + u[s,k,t])``;
3. capacity ``Σ_{s,k} x[s,r,k,t] ≤ cap[r]``; the mask of the single period;
4. ``min Σ_t w[t]·(Σ x·(F/x·(p[r,t] + τ·c[r,t]/1000) + [r≠s]·(g·e + φ)) + V·Σ u)``.

* :class:`CvxpyBlockModel`: the model of record, literally these equations over dense x[t, s·r·k]
  (cumulative sums with ``cp.cumsum``), compiled once per (N, K, periods) and re-solved (DPP);
  for small cases.
* :class:`HighsBlockLP`: the fast engine. It builds the block's LP once as a sparse matrix for
  HiGHS, with columns only for the arcs the mask allows with D > 0 (:class:`ArcTable`), of
  which a relocated arc becomes a column only once it prices in (column generation, exact as in
  :mod:`core.highs_lp`); for each block it changes only costs and bounds and re-solves from the
  last basis. Demand is written
  with a backlog q[s,k,t] ≥ 0 (MWh·h⁻¹ of work that arrived and has not yet run) for the classes
  that defer: ``S[t] + u[t] + q[t] − q[t−1] = D[t]``, ``q[t] ≤ Σ_{t−d<τ≤t} D[τ]``, q = 0 at
  the block's end, which is constraint 1 with Σ_{τ≤t}(S+u) = Σ_{τ≤t} D − q[t]; classes that
  do not defer have ``S + u = D`` and the single period's pinned row ``x_home + u ≥ σ·D``.
  Without deferral it is a one-period LP solved period after period.

Both return the placement on the arcs of :class:`ArcTable` (``x [periods, arcs]``) and the
unserved ``u [periods, s, k]``, from which :func:`block_result` recomputes every total.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, replace

import cvxpy as cp
import highspy
import numpy as np
import scipy.sparse as sp

from core.arcs import relocated_mask
from core.inputs import ModelInputs, facility_factor, feasibility_mask, transfer_usd_per_mwh
from core.model import SOLVERS, SolveError, quiet_stdout
from core.terms import capacity_incidence, demand_incidence, home_arcs
from core.time_inputs import TimeInputs


@dataclass(frozen=True)
class ArcTable:
    """The arcs that may carry work in some period: home (s, s, k) with cap[s] > 0, and the
    relocated arcs of the mask (:func:`core.arcs.relocated_mask`), all with D[s,k] > 0; the mask
    does not depend on t. Parallel arrays over the arcs, flat index (s·N + r)·K + k."""

    flat: np.ndarray
    s: np.ndarray
    r: np.ndarray
    k: np.ndarray
    home: np.ndarray                  # bool: r = s
    facility_factor: np.ndarray       # PUE[r]·(1 + ω[k]·[r≠s]) facility MWh per IT MWh
    transfer_usd_per_mwh: np.ndarray  # [r≠s]·(g[k]·e + φ)
    n_workloads: int

    @property
    def sk(self) -> np.ndarray:
        """s·K + k: the arc's (s, k)."""
        return self.s * self.n_workloads + self.k

    def __len__(self) -> int:
        return int(self.flat.size)


def arc_table(base: ModelInputs, every_arc: bool = False, any_budget: bool = False) -> ArcTable:
    """:class:`ArcTable` of the single-period inputs ``base`` (``every_arc``: all N·N·K arcs,
    for the dense model of record; ``any_budget``: the relocated arcs the mask allows at any
    latency budget, so that one LP serves every budget, :class:`HighsBlockLP`)."""
    n, k = base.n_nodes, base.n_workloads
    if every_arc:
        flat = np.arange(n * n * k)
    else:
        allowed = relocated_mask(base, np.full(k, np.inf) if any_budget else None)
        allowed[np.arange(n), np.arange(n), :] = (base.capacity_mw > 0)[:, None] & (base.demand_mw > 0)
        flat = np.flatnonzero(allowed)
    return arcs_at(base, flat)


def arcs_at(base: ModelInputs, flat: np.ndarray) -> ArcTable:
    """:class:`ArcTable` of the arcs ``flat`` ((s·N + r)·K + k) with the factors and transfer
    costs of ``base``."""
    n, k = base.n_nodes, base.n_workloads
    s, rest = np.divmod(flat, n * k)
    r, w = np.divmod(rest, k)
    is_home = s == r
    transfer = np.where(is_home, 0.0, transfer_usd_per_mwh(base)[w])
    return ArcTable(flat, s, r, w, is_home, facility_factor(base).ravel()[flat], transfer, k)


def unit_cost_usd_per_mwh(ti: TimeInputs, arcs: ArcTable, periods: range) -> np.ndarray:
    """[t, arc] cost per MWh of IT energy in each period: ``F/x·p[r,t] + [r≠s]·(g·e + φ)``."""
    p = ti.price_usd_per_mwh[:, periods.start:periods.stop][arcs.r].T
    return arcs.facility_factor[None, :] * p + arcs.transfer_usd_per_mwh[None, :]


def unit_emissions_t_per_mwh(arcs: ArcTable, carbon_g_per_kwh: np.ndarray, periods: range) -> np.ndarray:
    """[t, arc] tCO2 per MWh of IT energy: ``F/x·c[r,t]/1000``."""
    return arcs.facility_factor[None, :] * carbon_g_per_kwh[:, periods.start:periods.stop][arcs.r].T / 1000.0


def unit_objective_usd_per_mwh(ti: TimeInputs, arcs: ArcTable, periods: range) -> np.ndarray:
    """[t, arc] cost plus τ × emissions on the objective's signal, per MWh of IT energy."""
    return (unit_cost_usd_per_mwh(ti, arcs, periods)
            + ti.base.carbon_price_usd_per_t * unit_emissions_t_per_mwh(arcs, ti.carbon_g_per_kwh, periods))


# ---------------------------------------------------------------------------------------------
# results

@dataclass(frozen=True, eq=False)
class BlockResult:
    """The solved periods ``start … start+len−1`` (one block, or several periods that do not
    couple), summed to what the totals and tables of the whole horizon need.

    Per period [t]: cost [$], emissions [tCO2] on both signals, unserved, relocated and demand
    [MW], load per compute node [t, r] (MW). Per arc of ``arc_flat``: IT energy [MWh], cost [$]
    and emissions [tCO2] summed over the periods; unserved energy [s, k] [MWh]. The placement
    ``x_mw`` [t, arc] and unserved ``u_mw`` [t, s, k] [MW] only when asked for (small cases)."""

    start: int
    solver: str
    objective_usd: float
    cost_usd: np.ndarray
    emissions_avg_t: np.ndarray
    emissions_marginal_t: np.ndarray
    unserved_mw: np.ndarray
    relocated_mw: np.ndarray
    demand_mw: np.ndarray
    load_mw: np.ndarray
    arc_flat: np.ndarray
    arc_energy_mwh: np.ndarray
    arc_cost_usd: np.ndarray
    arc_emissions_avg_t: np.ndarray
    arc_emissions_marginal_t: np.ndarray
    unserved_mwh: np.ndarray
    x_mw: np.ndarray | None = None
    u_mw: np.ndarray | None = None

    @property
    def n_periods(self) -> int:
        return int(self.cost_usd.size)

    def compact(self) -> "BlockResult":
        """The same result over only the arcs that carry work in some period: the per-arc arrays
        and ``x_mw`` shrink to those columns, every total is unchanged."""
        used = self.arc_energy_mwh > 0
        if self.x_mw is not None:
            used |= (self.x_mw > 0).any(axis=0)
        return replace(self, arc_flat=self.arc_flat[used], arc_energy_mwh=self.arc_energy_mwh[used],
                       arc_cost_usd=self.arc_cost_usd[used], arc_emissions_avg_t=self.arc_emissions_avg_t[used],
                       arc_emissions_marginal_t=self.arc_emissions_marginal_t[used],
                       x_mw=None if self.x_mw is None else self.x_mw[:, used])


def block_result(ti: TimeInputs, arcs: ArcTable, periods: range, x_mw: np.ndarray, u_mw: np.ndarray,
                 solver: str, keep_x: bool = False) -> BlockResult:
    """Every total of ``periods`` recomputed from the placement ``x_mw`` [t, arc] and the unserved
    ``u_mw`` [t, s, k] (negative round-off clipped to 0)."""
    x = np.clip(x_mw, 0.0, None)
    u = np.clip(u_mw, 0.0, None)
    w = ti.weight_hours[periods.start:periods.stop]
    cost = unit_cost_usd_per_mwh(ti, arcs, periods)
    e_avg = unit_emissions_t_per_mwh(arcs, ti.carbon_avg_g_per_kwh, periods)
    e_marg = unit_emissions_t_per_mwh(arcs, ti.carbon_marginal_g_per_kwh, periods)
    energy = x * w[:, None]                       # [t, arc] MWh
    cost_t, avg_t, marg_t = (energy * cost).sum(axis=1), (energy * e_avg).sum(axis=1), (energy * e_marg).sum(axis=1)
    unserved_t = u.sum(axis=(1, 2))
    signal = avg_t if ti.base.carbon_signal == "average" else marg_t
    objective = float(cost_t.sum() + ti.base.carbon_price_usd_per_t * signal.sum()
                      + ti.base.unserved_usd_per_mwh * (w * unserved_t).sum())
    load = np.zeros((len(periods), ti.base.n_nodes))
    np.add.at(load.T, arcs.r, x.T)
    return BlockResult(
        start=periods.start, solver=solver, objective_usd=objective,
        cost_usd=cost_t, emissions_avg_t=avg_t, emissions_marginal_t=marg_t, unserved_mw=unserved_t,
        relocated_mw=x[:, ~arcs.home].sum(axis=1),
        demand_mw=ti.demand_mw[:, :, periods.start:periods.stop].sum(axis=(0, 1)), load_mw=load,
        arc_flat=arcs.flat, arc_energy_mwh=energy.sum(axis=0), arc_cost_usd=(energy * cost).sum(axis=0),
        arc_emissions_avg_t=(energy * e_avg).sum(axis=0), arc_emissions_marginal_t=(energy * e_marg).sum(axis=0),
        unserved_mwh=(u * w[:, None, None]).sum(axis=0), x_mw=x if keep_x else None, u_mw=u if keep_x else None)


def _window_mw(demand_mw: np.ndarray, deferrable: np.ndarray) -> np.ndarray:
    """[t, sk] ``Σ_{t−d<τ≤t} D[τ]`` within the block (demand [t, sk], d [sk] ≥ 0): the most work
    that may still wait after period t; 0 at the block's last period."""
    cum = np.vstack([np.zeros((1, demand_mw.shape[1])), np.cumsum(demand_mw, axis=0)])
    t = np.arange(demand_mw.shape[0])[:, None]
    low = np.maximum(t + 1 - deferrable[None, :], 0)
    window = cum[t + 1, np.arange(demand_mw.shape[1])[None, :]] - np.take_along_axis(cum, low, axis=0)
    window[-1] = 0.0
    return np.clip(window, 0.0, None)


# ---------------------------------------------------------------------------------------------
# the model of record

class CvxpyBlockModel:
    """docs/model.md's block LP (section 12, `time`) in CVXPY over dense x[t, s·N·K + r·K + k] and u[t, s·K + k]; compiled
    once for (N, K, periods), then every block only sets parameter values."""

    def __init__(self, n_nodes: int, n_workloads: int, periods: int):
        n, k, P = n_nodes, n_workloads, periods
        self.shape = (n, k, P)
        nnk, nk = n * n * k, n * k
        self.x = cp.Variable((P, nnk), nonneg=True, name="x_mw")
        self.u = cp.Variable((P, nk), nonneg=True, name="unserved_mw")
        self.unit = cp.Parameter((P, nnk), name="unit_objective_usd")        # w·unit objective
        self.unserved = cp.Parameter((P, nk), nonneg=True, name="unserved_usd")
        self.upper = cp.Parameter((P, nnk), nonneg=True, name="arc_upper_mw")
        self.cum_high = cp.Parameter((P, nk), nonneg=True, name="arrived_mwh")  # Σ_{τ≤t} D
        self.cum_low = cp.Parameter((P, nk), nonneg=True, name="due_mwh")       # Σ_{τ≤t−d} D
        self.sigma = cp.Parameter((P, nk), nonneg=True, name="pinned_share")
        self.cap = cp.Parameter((P, n), nonneg=True, name="capacity_mw")
        served = self.x @ demand_incidence(n, k).T + self.u                      # S + u [t, sk]
        home = sp.csr_matrix((np.ones(nk), (home_arcs(n, k), np.arange(nk))), shape=(nnk, nk))
        done = cp.cumsum(served, axis=0)
        constraints = [done <= self.cum_high, done >= self.cum_low, done[P - 1] == self.cum_high[P - 1],
                       self.x <= self.upper,
                       self.x @ home + self.u >= cp.multiply(self.sigma, served),
                       self.x @ capacity_incidence(n, k).T <= self.cap]
        objective = cp.sum(cp.multiply(self.unit, self.x)) + cp.sum(cp.multiply(self.unserved, self.u))
        self.problem = cp.Problem(cp.Minimize(objective), constraints)
        assert self.problem.is_dcp(dpp=True)

    def solve(self, ti: TimeInputs, periods: range) -> tuple[np.ndarray, np.ndarray, str]:
        """x [t, N·N·K] and u [t, N, K] of the block ``periods``; raises :class:`SolveError`."""
        base = ti.base
        n, k, P = self.shape
        if (base.n_nodes, base.n_workloads, len(periods)) != self.shape:
            raise ValueError("these inputs do not have this model's shape")
        sl = slice(periods.start, periods.stop)
        w = ti.weight_hours[sl]
        every = arc_table(base, every_arc=True)
        demand = ti.demand_mw[:, :, sl].reshape(n * k, P).T                        # [t, sk]
        cum = np.cumsum(demand, axis=0)
        d = np.tile(ti.deferrable_periods, n)
        due = np.zeros_like(cum)
        for j in range(P):
            src = j - d
            due[j] = np.where(src >= 0, cum[np.clip(src, 0, None), np.arange(n * k)], 0.0)
        mask = feasibility_mask(base).ravel()                                       # the single period's
        self.unit.value = w[:, None] * unit_objective_usd_per_mwh(ti, every, periods)
        self.unserved.value = np.repeat(w[:, None] * base.unserved_usd_per_mwh, n * k, axis=1)
        self.upper.value = np.tile(mask * np.repeat(cum[-1].reshape(n, 1, k), n, axis=1).ravel(), (P, 1))
        self.cum_high.value, self.cum_low.value = cum, due
        pinned = base.pinned_share * base.friction("state_locality")
        self.sigma.value = np.tile(pinned, (P, n))
        cap = base.capacity_mw if base.friction("capacity") else np.full(n, cum[-1].sum() + 1.0)  # unreachable
        self.cap.value = np.tile(cap, (P, 1))
        errors = []
        for solver in SOLVERS:
            try:
                with quiet_stdout():
                    self.problem.solve(solver=solver, verbose=False)
            except (cp.error.SolverError, ValueError, ArithmeticError) as exc:
                errors.append(f"{solver}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                continue
            if self.problem.status == cp.OPTIMAL:
                return np.asarray(self.x.value), np.asarray(self.u.value).reshape(P, n, k), solver
            errors.append(f"{solver}: {self.problem.status}")
        raise SolveError("the time-resolved LP was not solved (" + "; ".join(errors) + ")")


# ---------------------------------------------------------------------------------------------
# the fast engine

def block_structure(ti: TimeInputs, periods: int) -> bytes:
    """A digest of what fixes the rows and columns of :class:`HighsBlockLP` for ``periods``
    periods of ``ti``: the nodes and classes, which (s, k) have demand, the deferral of those
    that defer, the pinned shares with state locality on, the capacities with the capacity
    friction on, and the arcs the mask allows at any budget. Inputs of equal structure may share
    one LP (budgets, prices, carbon, PUE, transfer costs and demand levels are set per solve)."""
    base = ti.base
    n, k = base.n_nodes, base.n_workloads
    has_demand = base.demand_mw.ravel() > 0
    deferral = np.tile(ti.deferrable_periods, n) * has_demand * (periods > 1)
    pinned = np.tile(base.pinned_share, n) * has_demand * base.friction("state_locality")
    capacity = base.capacity_mw * base.friction("capacity")
    digest = hashlib.blake2b(digest_size=16)
    for part in (np.array([n, k, periods]), has_demand, deferral, pinned, capacity,
                 arc_table(base, any_budget=True).flat):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update(repr((base.node_ids, base.workload_ids)).encode())
    return digest.digest()


class HighsBlockLP:
    """The LP of ``periods`` consecutive periods (a block, or 1 when periods do not couple) in
    one warm ``highspy.Highs``, by column generation (as :mod:`core.highs_lp`).

    Fixed columns per period: the home arcs, u per (s, k) with demand, the backlog q per
    deferring (s, k), and the arrivals D per (s, k) as columns fixed by their bounds (so that a
    new block changes only column costs and bounds). Rows per period: demand per (s, k), capacity per compute node (friction
    on), pinned per (s, k) with σ > 0 (friction on). A relocated arc (s, r, k) of period t is a
    column only once it has priced in: its reduced cost ``c − y_demand − y_capacity −
    coef·y_pinned`` against the row duals of an optimum is below −tol; at the end no arc prices
    in, so the duals are feasible for the full LP and the optimum is its optimum. The columns
    stay for the next :meth:`solve` (the next block has the same arcs, other costs); those
    nonbasic at zero are dropped when they outnumber the rows. A solve of the same numbers as the
    last one (costs, demand, mask) returns the last optimum without running HiGHS.

    One LP serves every latency budget, carbon price, transfer cost, PUE and demand of its
    :func:`block_structure`: its arcs are those the mask allows at any budget
    (``arc_table(any_budget=True)``), and each :meth:`solve` prices in only the arcs that the
    inputs' own mask allows (a generated arc the mask no longer allows gets the upper bound 0).
    :meth:`copy` gives a second LP that starts from this one's basis."""

    MAX_ENTER_PER_ROW = 2
    """At most this many arcs enter per (period, s, k) and round: those of most negative reduced cost."""
    PURGE_ABOVE_ROWS = 3.0
    """Generated columns nonbasic at zero are dropped after a solve when they outnumber the rows
    this many times (each simplex iteration prices every column)."""

    def __init__(self, ti: TimeInputs, periods: int):
        base = ti.base
        n, k = base.n_nodes, base.n_workloads
        self.periods, self.arcs = int(periods), arc_table(base, any_budget=True)
        self.structure = block_structure(ti, self.periods)
        arcs = self.arcs
        self.sk = np.flatnonzero(base.demand_mw.ravel() > 0)              # (s, k) with demand
        row_of_sk = np.full(n * k, -1)
        row_of_sk[self.sk] = np.arange(self.sk.size)
        d = np.tile(ti.deferrable_periods, n)[self.sk]
        defers = (d > 0) & (self.periods > 1)
        self.q_sk = np.flatnonzero(defers)                                 # rows (of self.sk) with a backlog
        self.q_d = d[self.q_sk]
        sigma = np.tile(base.pinned_share, n)[self.sk] * base.friction("state_locality")
        self.pin = np.flatnonzero(sigma > 0)                               # rows (of self.sk) with a pinned row
        self.pin_sigma = sigma[self.pin]
        self.pin_defers = defers[self.pin]
        cap_nodes = np.unique(arcs.r) if base.friction("capacity") else np.zeros(0, dtype=np.int64)
        nS, nQ, nR, nP = self.sk.size, self.q_sk.size, cap_nodes.size, self.pin.size
        self.n_rows_period = nr = nS + nR + nP
        self.n_rows = nr * self.periods
        # the rows of each arc in one period: demand, capacity (or −1), pinned (or −1) and its coefficient
        self.arc_row = row_of_sk[arcs.sk]
        cap_row = np.full(n, -1)
        cap_row[cap_nodes] = nS + np.arange(nR)
        self.arc_cap_row = cap_row[arcs.r]
        pin_row = np.full(nS, -1)
        pin_row[self.pin] = nS + nR + np.arange(nP)
        sig_of_row, def_of_row = np.zeros(nS), np.zeros(nS, dtype=bool)
        sig_of_row[self.pin], def_of_row[self.pin] = self.pin_sigma, self.pin_defers
        # deferring rows: (1−σ)(x_home + u) − σ·Σ_reloc x ≥ 0; the others: x_home + u ≥ σ·D
        sig, dfr = sig_of_row[self.arc_row], def_of_row[self.arc_row]
        self.arc_pin_coef = np.where(arcs.home, np.where(dfr, 1.0 - sig, 1.0), np.where(dfr, -sig, 0.0))
        self.arc_pin_row = np.where((pin_row[self.arc_row] >= 0) & (self.arc_pin_coef != 0), pin_row[self.arc_row], -1)
        self.home = np.flatnonzero(arcs.home)
        self.reloc = np.flatnonzero(~arcs.home)
        nH = self.home.size
        self.n_fixed_period = nf = nH + 2 * nS + nQ
        # fixed columns of one period: home arcs | u | q | the arrivals a = D, fixed by their bounds,
        # so that every row bound is constant: demand S + u + q − q⁻ − a = 0, pinned x_home + u − σ·a ≥ 0
        rows, cols, vals = ([a] for a in self._arc_entries(self.home))
        rows.append(np.arange(nS)); cols.append(nH + np.arange(nS)); vals.append(np.ones(nS))
        u_pin = self.pin
        rows.append(pin_row[u_pin]); cols.append(nH + u_pin); vals.append(np.where(self.pin_defers, 1.0 - self.pin_sigma, 1.0))
        rows.append(self.q_sk); cols.append(nH + nS + np.arange(nQ)); vals.append(np.ones(nQ))
        arrival = nH + nS + nQ + np.arange(nS)
        rows.append(np.arange(nS)); cols.append(arrival); vals.append(-np.ones(nS))
        fixed_pin = self.pin[~self.pin_defers]
        rows.append(pin_row[fixed_pin]); cols.append(arrival[fixed_pin]); vals.append(-self.pin_sigma[~self.pin_defers])
        r1, c1, v1 = (np.concatenate(a) for a in (rows, cols, vals))
        R = [r1 + j * nr for j in range(self.periods)]
        C = [c1 + j * nf for j in range(self.periods)]
        V = [v1] * self.periods
        for j in range(1, self.periods):             # − q[t−1] in the demand row of t
            R.append(j * nr + self.q_sk); C.append((j - 1) * nf + nH + nS + np.arange(nQ)); V.append(-np.ones(nQ))
        n_fixed = nf * self.periods
        V, R, C = np.concatenate(V), np.concatenate(R), np.concatenate(C)
        nonzero = V != 0.0          # σ = 1 on a deferring class: u leaves its pinned row
        matrix = sp.csc_matrix((V[nonzero], (R[nonzero], C[nonzero])), shape=(self.n_rows, n_fixed))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_fixed, self.n_rows
        lp.col_cost_ = np.zeros(n_fixed)
        lp.col_lower_, lp.col_upper_ = np.zeros(n_fixed), np.full(n_fixed, np.inf)
        cap = np.tile(base.capacity_mw[cap_nodes], (self.periods, 1))
        lp.row_lower_ = np.hstack([np.zeros((self.periods, nS)), np.full(cap.shape, -np.inf),
                                   np.zeros((self.periods, nP))]).ravel()
        lp.row_upper_ = np.hstack([np.zeros((self.periods, nS)), cap, np.full((self.periods, nP), np.inf)]).ravel()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        self.highs = self._new_highs()
        self.highs.passModel(lp)
        self.n_fixed = n_fixed
        self._fixed_cols = np.arange(n_fixed, dtype=np.int32)
        first = np.arange(self.periods)[:, None] * nf
        self._q_cols = (first + nH + nS + np.arange(nQ)[None, :]).ravel().astype(np.int32)
        self._arrival_cols = (first + nH + nS + nQ + np.arange(nS)[None, :]).ravel().astype(np.int32)
        # generated columns: period j and index into self.reloc, and each (j, reloc) slot's column or −1
        self._gen_j = np.zeros(0, dtype=np.int64)
        self._gen_a = np.zeros(0, dtype=np.int64)
        self._col_of = np.full((self.periods, self.reloc.size), -1, dtype=np.int64)
        self.solves = 0
        self.pricing_rounds = 0
        self._last: tuple[bytes, tuple | None] = (b"", None)   # digest of the last LP's numbers, its (x, u)

    @staticmethod
    def _new_highs() -> highspy.Highs:
        with quiet_stdout():
            highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("presolve", "off")       # warm restarts from a basis skip it anyway
        highs.setOptionValue("parallel", "off")
        # primal simplex: new columns keep the basis primal feasible; on the hourly default it took
        # 0.6 s CPU per 24-period block with deferral against 0.8 s for the dual
        highs.setOptionValue("simplex_strategy", 4)
        return highs

    def copy(self) -> "HighsBlockLP":
        """A second LP of the same structure holding this one's columns and starting from its
        basis (its own HiGHS instance; the read-only structure arrays are shared)."""
        twin = copy.copy(self)
        twin.highs = self._new_highs()
        twin.highs.passModel(self.highs.getLp())
        twin.highs.setBasis(self.highs.getBasis())
        twin._gen_j, twin._gen_a, twin._col_of = self._gen_j.copy(), self._gen_a.copy(), self._col_of.copy()
        twin.solves = twin.pricing_rounds = 0
        twin._last = (b"", None)
        return twin

    def arcs_of(self, ti: TimeInputs) -> ArcTable:
        """This LP's arcs with the factors and transfer costs of ``ti``'s single-period inputs."""
        return arcs_at(ti.base, self.arcs.flat)

    @property
    def n_cols(self) -> int:
        """Columns in the HiGHS LP now: the fixed ones and the relocated arcs generated so far."""
        return self.n_fixed + int(self._gen_j.size)

    def _arc_entries(self, arc_index: np.ndarray, period: np.ndarray | None = None):
        """(row, column, value) of the arcs ``arc_index`` (into :class:`ArcTable`) as columns
        0, 1, …, in the periods ``period`` [per arc] (period 0 when None)."""
        m = arc_index.size
        col = np.arange(m)
        shift = np.zeros(m, dtype=np.int64) if period is None else period * self.n_rows_period
        cap, pin = self.arc_cap_row[arc_index], self.arc_pin_row[arc_index]
        on_cap, on_pin = cap >= 0, pin >= 0
        rows = np.concatenate([self.arc_row[arc_index] + shift, (cap + shift)[on_cap], (pin + shift)[on_pin]])
        cols = np.concatenate([col, col[on_cap], col[on_pin]])
        vals = np.concatenate([np.ones(m), np.ones(int(on_cap.sum())), self.arc_pin_coef[arc_index][on_pin]])
        return rows, cols, vals

    def _add_columns(self, j: np.ndarray, a: np.ndarray, cost: np.ndarray) -> None:
        """Relocated arcs ``self.reloc[a]`` of periods ``j`` as new columns of cost ``cost``."""
        rows, cols, vals = self._arc_entries(self.reloc[a], j)
        order = np.lexsort((rows, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
        starts = np.searchsorted(cols, np.arange(a.size)).astype(np.int32)
        self.highs.addCols(a.size, cost, np.zeros(a.size), np.full(a.size, np.inf), rows.size, starts,
                           rows.astype(np.int32), vals)
        self._col_of[j, a] = self.n_cols + np.arange(a.size)
        self._gen_j = np.concatenate([self._gen_j, j])
        self._gen_a = np.concatenate([self._gen_a, a])

    def _purge(self, solution) -> None:
        """Delete the generated columns that are nonbasic at zero (the basis stays valid)."""
        status = np.asarray([int(s) for s in self.highs.getBasis().col_status[self.n_fixed:]])
        values = np.asarray(solution.col_value[self.n_fixed:])
        drop = (status != int(highspy.HighsBasisStatus.kBasic)) & (values <= 0.0)
        if not drop.any():
            return
        gone = np.flatnonzero(drop)
        self.highs.deleteCols(gone.size, (self.n_fixed + gone).astype(np.int32))
        self._col_of[self._gen_j[drop], self._gen_a[drop]] = -1
        keep = ~drop
        self._gen_j, self._gen_a = self._gen_j[keep], self._gen_a[keep]
        self._col_of[self._gen_j, self._gen_a] = self.n_fixed + np.arange(self._gen_j.size)

    def _run(self, periods: range):
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(f"HiGHS: {self.highs.modelStatusToString(status)} "
                             f"(periods {periods.start}…{periods.stop - 1})")
        return self.highs.getSolution()

    def solve(self, ti: TimeInputs, periods: range) -> tuple[np.ndarray, np.ndarray]:
        """x [t, arc] and u [t, N, K] of ``periods`` (as many as this LP has); raises
        :class:`SolveError` unless HiGHS reports an optimum."""
        if len(periods) != self.periods:
            raise ValueError(f"this LP has {self.periods} periods, got {len(periods)}")
        if block_structure(ti, self.periods) != self.structure:
            raise ValueError("these inputs do not have this LP's structure (block_structure)")
        base = ti.base
        n, k, P = base.n_nodes, base.n_workloads, self.periods
        sl = slice(periods.start, periods.stop)
        w = ti.weight_hours[sl]
        nH, nS, nQ = self.home.size, self.sk.size, self.q_sk.size
        if not nS:                                                        # no demand: nothing to solve
            return np.zeros((P, len(self.arcs))), np.zeros((P, n, k))
        demand = ti.demand_mw.reshape(n * k, -1)[self.sk, sl].T           # [t, row]
        unit = w[:, None] * unit_objective_usd_per_mwh(ti, self.arcs_of(ti), periods)   # [t, arc] $/MW
        allowed = relocated_mask(base).ravel()[self.arcs.flat[self.reloc]]   # the budgets' mask
        numbers = hashlib.blake2b(digest_size=16)
        for part in (unit, demand, allowed, w * base.unserved_usd_per_mwh):
            numbers.update(np.ascontiguousarray(part).tobytes())
        if numbers.digest() == self._last[0]:          # the same LP as last time: the same optimum
            return self._last[1][0].copy(), self._last[1][1].copy()
        fixed = np.zeros((P, self.n_fixed_period))
        fixed[:, :nH] = unit[:, self.home]
        fixed[:, nH:nH + nS] = w[:, None] * base.unserved_usd_per_mwh
        self.highs.changeColsCost(self.n_fixed, self._fixed_cols, fixed.ravel())
        reloc_cost = unit[:, self.reloc]
        if self._gen_j.size:
            generated = np.arange(self.n_fixed, self.n_cols, dtype=np.int32)
            self.highs.changeColsCost(self._gen_j.size, generated, reloc_cost[self._gen_j, self._gen_a])
            self.highs.changeColsBounds(self._gen_j.size, generated, np.zeros(self._gen_j.size),
                                        np.where(allowed[self._gen_a], np.inf, 0.0))
        self.highs.changeColsBounds(self._arrival_cols.size, self._arrival_cols, demand.ravel(), demand.ravel())
        if nQ:
            window = _window_mw(demand[:, self.q_sk], self.q_d)
            self.highs.changeColsBounds(self._q_cols.size, self._q_cols, np.zeros(self._q_cols.size), window.ravel())
        tol = 1e-7 * max(1.0, float(np.abs(unit).max(initial=0.0)), float(w.max()) * base.unserved_usd_per_mwh)
        rows = self.arc_row[self.reloc]
        cap = self.arc_cap_row[self.reloc]
        pin, coef = self.arc_pin_row[self.reloc], self.arc_pin_coef[self.reloc]
        nr = self.n_rows_period
        while True:
            solution = self._run(periods)
            y = np.append(np.asarray(solution.row_dual).reshape(P, nr), np.zeros((P, 1)), axis=1)   # column −1: no row
            reduced = reloc_cost - y[:, rows] - y[:, cap] - coef[None, :] * y[:, pin]
            reduced[self._col_of >= 0] = 0.0
            reduced[:, ~allowed] = 0.0
            j, a = np.nonzero(reduced < -tol)
            self.pricing_rounds += 1
            if not j.size:
                break
            group = j * nS + rows[a]
            order = np.lexsort((reduced[j, a], group))
            j, a, group = j[order], a[order], group[order]
            first = np.searchsorted(group, group, side="left")
            pick = (np.arange(group.size) - first) < self.MAX_ENTER_PER_ROW
            self._add_columns(j[pick], a[pick], reloc_cost[j[pick], a[pick]])
        self.solves += 1
        col = np.asarray(solution.col_value)
        x = np.zeros((P, len(self.arcs)))
        x[:, self.home] = col[:self.n_fixed].reshape(P, self.n_fixed_period)[:, :nH]
        x[self._gen_j, self.reloc[self._gen_a]] = col[self.n_fixed:]
        u = np.zeros((P, n * k))
        u[:, self.sk] = col[:self.n_fixed].reshape(P, self.n_fixed_period)[:, nH:nH + nS]
        if self._gen_j.size > self.PURGE_ABOVE_ROWS * self.n_rows:
            self._purge(solution)
        self._last = (numbers.digest(), (x, u.reshape(P, n, k)))
        return x.copy(), u.reshape(P, n, k).copy()
