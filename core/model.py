"""The placement model of docs/model.md, compiled once per scenario structure and re-solved.

    model = PlacementModel.for_scenario(scenario)   # builds the CVXPY problem (DPP) once
    sol = model.solve(model_inputs(scenario))        # sets parameter values, solves
    sol = model.solve(inputs_with_new_budgets)       # no rebuild

HiGHS solves the LP; Clarabel is the fallback. Solver output never reaches stdout.
"""
from __future__ import annotations

import contextlib
import os
import sys

import cvxpy as cp
import numpy as np

from core.inputs import ModelInputs, model_inputs
from core.scenario import Scenario
from core.solution import Solution
from core.terms import (ArcMask, Capacity, CarbonPrice, DemandBalance, EnergyCost, StateLocality,
                        TransferCost, UnservedPenalty, Variables)

SOLVERS = ("HIGHS", "CLARABEL")


class SolveError(RuntimeError):
    """The solver failed; the message says what to try."""


@contextlib.contextmanager
def quiet_stdout():
    """Keep solver banners (written by C code to fd 1) off stdout, where the CLI prints JSON."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


class PlacementModel:
    """min C + τ·E + H·V·Σu over the arcs, as the sum of its terms (see :mod:`core.terms`)."""

    def __init__(self, node_ids: tuple[str, ...], workload_ids: tuple[str, ...]):
        self.node_ids, self.workload_ids = tuple(node_ids), tuple(workload_ids)
        n, k = len(node_ids), len(workload_ids)
        self.vars = Variables(n, k, cp.Variable(n * n * k, nonneg=True, name="x_mw"),
                              cp.Variable(n * k, nonneg=True, name="unserved_mw"))
        self.energy, self.carbon, self.transfer = EnergyCost(), CarbonPrice(), TransferCost()
        self.unserved = UnservedPenalty()
        self.demand, self.mask = DemandBalance(), ArcMask()
        self.pinned, self.capacity = StateLocality(), Capacity()
        self.terms = (self.energy, self.carbon, self.transfer, self.unserved,
                      self.demand, self.mask, self.pinned, self.capacity)
        for term in self.terms:
            term.build(self.vars)
        objective = self.energy.expr + self.carbon.expr + self.transfer.expr + self.unserved.expr
        constraints = [c for t in (self.demand, self.mask, self.pinned, self.capacity) for c in t.constraints]
        self.problem = cp.Problem(cp.Minimize(objective), constraints)
        assert self.problem.is_dcp(dpp=True)
        self.solves = 0

    @classmethod
    def for_scenario(cls, sc: Scenario) -> "PlacementModel":
        return cls(tuple(sc.node_ids), tuple(sc.workload_ids))

    def fits(self, inp: ModelInputs) -> bool:
        """True when ``inp`` has this model's structure (same node and workload ids, in order)."""
        return inp.node_ids == self.node_ids and inp.workload_ids == self.workload_ids

    def solve(self, inp: ModelInputs | Scenario, arcs=None) -> Solution:
        """Set every parameter from ``inp`` and solve; raises :class:`SolveError` on failure.

        ``arcs`` (the admitted relocated arcs a sweep passes every engine, :mod:`core.arcs`) is not
        needed: the compiled model takes its mask from ``inp`` itself."""
        if isinstance(inp, Scenario):
            inp = model_inputs(inp)
        if not self.fits(inp):
            raise ValueError("these inputs have other nodes or workloads than the compiled model")
        for term in self.terms:
            term.update(inp)
        status, solver = self._solve_with_fallback()
        self.solves += 1
        n, k = inp.n_nodes, inp.n_workloads
        x = np.clip(np.asarray(self.vars.x.value), 0.0, None).reshape(n, n, k)
        u = np.clip(np.asarray(self.vars.u.value), 0.0, None).reshape(n, k)
        # CVXPY's equality dual enters the Lagrangian with a + sign: y = −dual is the marginal
        # cost [$/MWh] of one more MW·h of demand at (s, k); capacity duals are ≥ 0 [$/MWh].
        demand_dual = -np.asarray(self.demand.constraint.dual_value, dtype=float).reshape(n, k)
        capacity_dual = np.asarray(self.capacity.constraint.dual_value, dtype=float)
        if not inp.friction("capacity"):
            capacity_dual = np.zeros(n)
        return Solution(inp, x, u, demand_dual, capacity_dual, status, solver)

    def _solve_with_fallback(self) -> tuple[str, str]:
        errors = []
        for solver in SOLVERS:
            try:
                # warm_start=False: CVXPY's HiGHS warm start hands over the last primal-dual point
                # (not a basis) and slows re-solves: default scenario 24 -> 18 ms, its exact
                # frontier 5.8 -> 2.9 s; 200 nodes after a budget change 170-275 s -> 0.7-1.6 s.
                with quiet_stdout():
                    self.problem.solve(solver=solver, verbose=False, warm_start=False)
            except (cp.error.SolverError, ValueError, ArithmeticError) as exc:
                errors.append(f"{solver}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
                continue
            if self.problem.status == cp.OPTIMAL:
                return self.problem.status, solver
            errors.append(f"{solver}: {self.problem.status}")
        raise SolveError("the LP was not solved (" + "; ".join(errors) + "); "
                         "check for extreme numbers in prices or capacities")


def solve_scenario(sc: Scenario) -> Solution:
    """Compile and solve once: for a single answer (the CLI's ``solve``)."""
    return PlacementModel.for_scenario(sc).solve(model_inputs(sc))
