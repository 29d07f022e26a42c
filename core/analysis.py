"""Everything the dashboard and the ``metrics`` command show for one scenario, from one model.

:class:`Analysis` holds, by default (``auto``), the compiled :class:`~core.model.PlacementModel`
of a scenario structure (the model of record: single solves, the explorer's numbers; above
``core.engines.CVXPY_MAX_ARCS`` arcs the warm HiGHS engine, which reaches the same optimum) and a
warm :class:`~core.highs_lp.HighsLP` of the same LP for sweeps (frontier, waterfall); other
engines of :mod:`core.engines` can be chosen for either. Every call re-solves with new parameter values.
It is mutable, so keep one per user session, never shared.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.engines import make_engine, resolve
from core.frontier import frontier
from core.inputs import ModelInputs, model_inputs
from core.metrics import (SESSION_WATERFALL_ORDER, execution_layers, friction_waterfall, local_inputs,
                          relocatable_demand_share, savings)
from core.scenario import Scenario
from core.solution import Solution


def relaxed_inputs(sc: Scenario, relax_ms: float = 0.0) -> ModelInputs:
    """The scenario's inputs with every class's budget raised by ``relax_ms`` [ms]."""
    inp = model_inputs(sc)
    return replace(inp, budget_ms=inp.budget_ms + float(relax_ms)) if relax_ms else inp


class Analysis:
    """One compiled model, re-solved for any scenario of the same structure."""

    def __init__(self, sc: Scenario, sweep_engine: str = "auto", solve_engine: str = "auto"):
        """``solve_engine`` for single solves (solution, local baseline) and ``sweep_engine`` for
        sweeps (frontier, waterfall): "cvxpy" (the model of record), "highs" (warm HiGHS by column
        generation), "network" (OR-Tools min-cost flow; no duals) or "auto"
        (:func:`core.engines.choose_engine`: the model of record for single solves up to
        ``CVXPY_MAX_ARCS`` arcs, HiGHS above and for sweeps)."""
        self.node_ids, self.workload_ids = tuple(sc.node_ids), tuple(sc.workload_ids)
        if "auto" in (solve_engine, sweep_engine):
            inp = model_inputs(sc)
            solve_engine, sweep_engine = resolve(solve_engine, inp, "solve"), resolve(sweep_engine, inp, "sweep")
        self.solve_engine, self.sweep_engine = solve_engine, sweep_engine
        self.model = make_engine(solve_engine, self.node_ids, self.workload_ids)
        self.sweeper = (self.model if sweep_engine == solve_engine
                        else make_engine(sweep_engine, self.node_ids, self.workload_ids))

    def fits(self, sc: Scenario) -> bool:
        return tuple(sc.node_ids) == self.node_ids and tuple(sc.workload_ids) == self.workload_ids

    def solve(self, inp: ModelInputs) -> Solution:
        return self.model.solve(inp)

    def local(self, inp: ModelInputs) -> Solution:
        """The local baseline (every budget 0 ms)."""
        return self.model.solve(local_inputs(inp))

    def headline(self, inp: ModelInputs, sol: Solution | None = None,
                 local: Solution | None = None) -> dict[str, float]:
        """The explorer's headline numbers, with the local baseline's for deltas; pass ``sol`` and
        ``local`` when they are already solved for ``inp``."""
        sol = self.solve(inp) if sol is None else sol
        local = self.local(inp) if local is None else local
        return {**sol.summary(), **savings(sol, local),
                "local_cost_usd": local.cost_usd, "local_emissions_t": local.emissions_t,
                "local_emissions_avg_t": local.emissions_avg_t,
                "local_emissions_marginal_t": local.emissions_marginal_t,
                "local_unserved_mw": local.unserved_mw,
                "rid": relocatable_demand_share(inp)}

    def frontier(self, inp: ModelInputs, budgets_ms=None, workload: str | None = None,
                 progress=None) -> pd.DataFrame:
        """:func:`core.frontier.frontier` on the sweep engine (``progress``: its callback)."""
        return frontier(self.sweeper, inp, budgets_ms, workload, progress=progress)

    def waterfall(self, inp: ModelInputs, frictions=None) -> pd.DataFrame:
        """The friction waterfall (:func:`core.metrics.friction_waterfall`) of the frictions
        switched on in ``inp``, in docs/model.md's order (the provider lock, when on, last), so that
        its last row is ``inp``'s savings; ``frictions`` lists other steps (``WATERFALL_ORDER`` for
        docs/model.md's full order)."""
        if frictions is None:
            frictions = [f for f in SESSION_WATERFALL_ORDER if inp.friction(f)]
        return friction_waterfall(self.sweeper, inp, frictions)

    def layers(self, inp: ModelInputs, sol: Solution | None = None) -> pd.DataFrame:
        return execution_layers(self.solve(inp) if sol is None else sol)
