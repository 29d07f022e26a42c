"""The solver engines of the placement LP, behind one interface, and the rule that picks one.

Every engine has ``solve(inp, arcs=None) -> Solution`` (:class:`~core.solution.Solution`) for
inputs of one structure (node and workload ids); ``arcs`` (:class:`core.arcs.Arcs`) optionally
lists the relocated arcs ``inp`` admits, as a sweep knows them, so that an engine need not build
the N×N×K mask again:

* ``cvxpy``: :class:`core.model.PlacementModel`, the compiled CVXPY model of record;
* ``highs``: :class:`core.highs_lp.HighsLP`, the same LP in one warm-started HiGHS instance, by
  column generation (only the arcs that price in become columns);
* ``network``: :class:`NetworkEngine`, OR-Tools min-cost flow (:mod:`core.network`); it models
  every side constraint of the LP (state locality through pinned supply nodes, capacity through
  compute-to-sink arcs), but its objective is rounded by integer scaling (a proven bound of
  about 1e-6 relative, :func:`core.network.objective_error_bound_usd`) and it has no duals.

``auto`` resolves through :func:`choose_engine`.
"""
from __future__ import annotations

import numpy as np

from core.inputs import ModelInputs
from core.solution import Solution

ENGINES = ("cvxpy", "highs", "network")
CHOICES = ("auto", *ENGINES)
TASKS = ("solve", "sweep")

# Above this many arcs (N²·K) a single solve goes to warm HiGHS: compiling the CVXPY model grows
# faster than the solve itself (measured with bench.scenarios.generated_scenario, see docs/model.md
# section 13), and HiGHS reaches the same optimum (tests/test_engines.py).
CVXPY_MAX_ARCS = 20_000


def n_arcs(inp: ModelInputs) -> int:
    """N²·K: the placement variables x[s, r, k] of the LP."""
    return inp.n_nodes * inp.n_nodes * inp.n_workloads


def choose_engine(inp: ModelInputs, task: str) -> str:
    """The engine ``auto`` stands for: ``task`` is "solve" (one solve) or "sweep" (many re-solves
    of one structure: a frontier, a friction waterfall).

    * solve: "cvxpy" (the model of record) when N²·K ≤ :data:`CVXPY_MAX_ARCS`, else "highs";
    * sweep: "highs" (the warm-started LP: exact, with duals, so the exact frontier prices out
      budgets without solving).

    ``auto`` never picks "network": it does model state locality and capacity, but its objective
    is exact only to a rounding bound (about 1e-6 relative) and it gives no duals (no shadow
    prices, no pricing-out); ask for it with ``--engine network``.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if task == "sweep":
        return "highs"
    return "cvxpy" if n_arcs(inp) <= CVXPY_MAX_ARCS else "highs"


def resolve(engine: str, inp: ModelInputs, task: str) -> str:
    """``engine`` itself, or :func:`choose_engine`'s pick for "auto"."""
    if engine not in CHOICES:
        raise ValueError(f"engine must be one of {CHOICES}, got {engine!r}")
    return choose_engine(inp, task) if engine == "auto" else engine


class NetworkEngine:
    """:func:`core.network.solve_network` with the engines' ``solve(inp)`` contract (NaN duals)."""

    def __init__(self, node_ids: tuple[str, ...], workload_ids: tuple[str, ...]):
        self.node_ids, self.workload_ids = tuple(node_ids), tuple(workload_ids)
        self.solves = 0

    def fits(self, inp: ModelInputs) -> bool:
        return inp.node_ids == self.node_ids and inp.workload_ids == self.workload_ids

    def solve(self, inp: ModelInputs, arcs=None) -> Solution:
        from core.network import solve_network

        if not self.fits(inp):
            raise ValueError("these inputs have other nodes or workloads than this engine")
        self.solves += 1
        return solve_network(inp, allowed=None if arcs is None else _allowed(inp, arcs))


def _allowed(inp: ModelInputs, arcs) -> np.ndarray:
    """[s, r, k] the mask of ``arcs`` plus every home arc with capacity."""
    n, k = inp.n_nodes, inp.n_workloads
    allowed = np.zeros(n * n * k, dtype=bool)
    allowed[arcs.flat] = True
    allowed = allowed.reshape(n, n, k)
    allowed[np.arange(n), np.arange(n), :] = (inp.capacity_mw > 0)[:, None]
    return allowed


def make_engine(name: str, node_ids, workload_ids):
    """An object with ``solve(inp) -> Solution`` for the engine ``name`` (not "auto")."""
    if name == "cvxpy":
        from core.model import PlacementModel

        return PlacementModel(tuple(node_ids), tuple(workload_ids))
    if name == "highs":
        from core.highs_lp import HighsLP

        return HighsLP(tuple(node_ids), tuple(workload_ids))
    if name == "network":
        return NetworkEngine(node_ids, workload_ids)
    raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")


def solve_with(name: str, inp: ModelInputs) -> Solution:
    """Build engine ``name`` (or "auto" for a single solve) for ``inp`` and solve once."""
    name = resolve(name, inp, "solve")
    return make_engine(name, inp.node_ids, inp.workload_ids).solve(inp)
