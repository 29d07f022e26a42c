"""The session contract: one scenario per browser session, one compiled model, cached results,
and the shareable link.

A session starts on the shipped ``default`` scenario (or the one its link names) and may pick
another shipped scenario (:mod:`core.catalogue`, the sidebar's picker): the picked scenario as
shipped is the reference of the link and of what counts as an edit. A server started with
``ELF_SCENARIO=path`` puts that file in the place of ``default`` (what a session starts on, what a
link without a ``scenario`` key opens); the other shipped scenarios stay on offer.

Every page reads the state through these functions and never keeps its own copy:

    init_session()                    # top of app.py, every run
    sc  = current_scenario()          # the scenario with the user's edits (validated)
    inp = current_inputs()            # its model inputs with every budget raised by relax_ms()
    h   = headline()                  # cached results, keyed on (scenario JSON, relax)
    prev = previous_result()          # the setting before the last change, for "Δ vs previous"
    apply_changes({"prices.egress_usd_per_gb": 0.05})   # an edit (update_scenario paths)
    pin_current(); a = pinned()       # the Compare page's scenario A (pinned_headline() etc.)

Results are cached once for every session of the server (:data:`results`), keyed on a
digest of the canonical scenario JSON (:func:`scenario_key`) and the relaxation. The compiled
:class:`~core.analysis.Analysis` (mutable: a solve writes its CVXPY parameters) is not kept per
session: a cached function that has to solve checks one out of the server's bounded
:data:`MODELS` pool (:mod:`core.pool`), keyed by the scenario's structure (node and workload
ids), and returns it when done; a cache hit touches no model at all.

Widgets that show the scenario use keys from :func:`widget_key`: :func:`set_scenario` bumps a
revision so that, after an upload, a reset or a table edit, every such widget starts again from
the scenario's values.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import streamlit as st

from core import catalogue
from core.analysis import Analysis, relaxed_inputs
from core.binding import LATENCY_STEP_MS, binding_frictions, full_regions, latency_value
from core.briefing import data_basis, region_provenance
from core.frontier import breakpoints_ms
from core.frontier_view import EXACT_AT_ONCE_MAX_BREAKPOINTS, coarse_budgets_ms, coarse_first
from core.inputs import ModelInputs
from core.metrics import break_even
from core.model import SolveError
from core.pool import DEFAULT_CAPACITY, ModelPool
from core.scenario import Scenario, ScenarioError, load_scenario, update_scenario, with_budgets_ms
from core.distributed import ENV_SCHEDULER, dask_client
from core.sweep import IN_PROCESS, LOCAL_CLUSTER_MIN_DRAWS, SweepResult, sweep_iter
from core.share import (CompareLinkError, LinkError, ShareState, apply_state, decode_state, encode_state,
                        scenario_changes)
from core.solution import Solution
from core import time_hour, time_view
from core import time_metrics
from core.time_inputs import TimeInputs, time_inputs
from pages.common import datafiles, worldmap
from pages.common.datafiles import world_outline

# url path of each page (st.Page url_path, equal to the file stem: see app.py)
PAGES = ("explorer", "time", "frontier", "robustness", "layers", "break_even", "frictions", "compare", "data", "physical",
         "presentation", "model")
DEFAULT_PAGE = "explorer"
SCENARIO_ENV = "ELF_SCENARIO"   # optional server-side file in the place of the shipped default
CACHE_ENTRIES = 32
MODEL_POOL_ENV = "ELF_MODEL_POOL"   # how many compiled models the server keeps (default 4)

_INIT, _DEFAULT, _BASE, _SC, _RELAX = "elf_init", "elf_default", "elf_base", "elf_scenario", "elf_relax"
_CATALOGUE, _PICK, _SERVER_FILE = "elf_catalogue", "elf_pick", "elf_server_file"
_PAGE, _LINK_PAGE, _REV = "elf_page", "elf_link_page", "elf_rev"
_MESSAGES, _NOTE, _LINK, _INPUTS, _JSON = "elf_messages", "elf_link_note", "elf_link", "elf_inputs", "elf_json"
_LAST, _PREV, _INPUTS_KEY = "elf_last_result", "elf_previous_result", "elf_inputs_key"
_DEFAULT_JSON = "elf_default_json"
_PIN, _PIN_MEMO = "elf_pinned", "elf_pinned_memo"
_SWEEP = "elf_sweep"
_HOUR = "elf_hour"


results = st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
"""The cache of every result: one copy per server, shared by all sessions and handed out as is
(``st.cache_data`` would unpickle a private copy on every call, losing the results' cached
properties). Results are never modified in place: pages derive new frames from them."""


def page_key(url_path: str) -> str:
    """The link's name of a page: its url path, which is also its file's stem (see app.py)."""
    return (url_path or DEFAULT_PAGE).strip("/") or DEFAULT_PAGE


def _linked_scenario(cat: dict[str, catalogue.Entry], scenario_id: str) -> Scenario:
    """The shipped scenario a link names; an unknown id or an unreadable file is a LinkError."""
    try:
        return load_shipped(cat, scenario_id)
    except ScenarioError as exc:
        if exc.field == "scenario":
            raise LinkError(f"the link's {exc}") from None
        raise LinkError(f"the scenario it names could not be read ({exc})") from None


# --- session --------------------------------------------------------------------------------

@st.cache_resource(max_entries=2, show_spinner=False)
def _shipped(server_file: str) -> dict[str, catalogue.Entry]:
    """The catalogue, read once per server: the shipped files do not change under a running
    server (the reason it watches no files, .streamlit/config.toml)."""
    return catalogue.shipped(default_path=Path(server_file) if server_file else None)


@st.cache_resource(max_entries=CACHE_ENTRIES, show_spinner=False)
def _loaded(path: str, mtime_ns: int, size: int) -> Scenario:
    return load_scenario(path)


def load_shipped(cat: dict[str, catalogue.Entry], scenario_id: str) -> Scenario:
    """:func:`core.catalogue.load`, read and validated once per server and file version (keyed
    on the file's path, modification time and size): a session start costs no parsing."""
    entry = cat.get(scenario_id) if isinstance(scenario_id, str) else None
    try:
        stat = entry.path.stat() if entry is not None else None
    except OSError:
        stat = None
    if stat is None:
        return catalogue.load(cat, scenario_id)      # raises the catalogue's own error
    return _loaded(str(entry.path), stat.st_mtime_ns, stat.st_size)


def init_session() -> None:
    """Set up the session on its first run: the default scenario, or the shipped scenario the link
    names, with the link's state applied.

    The link (``?s=``, :mod:`core.share`) is decoded and validated; a link that cannot be used
    (an unknown scenario id included) leaves the defaults and queues a warning (shown once by
    :func:`show_messages`). A link never names a file, only a catalogue id.
    """
    ss = st.session_state
    if ss.get(_INIT):
        return
    server_file = os.environ.get(SCENARIO_ENV)
    cat = _shipped(server_file or "")
    default = load_shipped(cat, catalogue.DEFAULT_ID)   # a broken default raises ScenarioError: app.py shows it
    sc, relax, page, messages, pick, reference = default, 0.0, None, [], catalogue.DEFAULT_ID, default
    pin, hour, text = None, None, st.query_params.get("s")
    if text:
        try:
            try:
                link = decode_state(text)
            except CompareLinkError as exc:       # scenario B is good: open it without A
                link = exc.kept
                messages.append(("warning", f"This link's comparison could not be used: {exc}. "
                                            "Showing its scenario without the pinned scenario A."))
            if link.scenario != catalogue.DEFAULT_ID:
                reference = _linked_scenario(cat, link.scenario)
            pick = link.scenario
            sc = apply_state(reference, link)
            relax = link.relax_ms
            hour = link.hour
            if link.page is not None and link.page not in PAGES:
                raise LinkError(f"the link names no known page ({link.page[:40]!r})")
            page = link.page
            if link.compare is not None:
                try:
                    pin = _linked_pin(cat, default, link.compare)
                except LinkError as exc:
                    messages.append(("warning", f"This link's pinned scenario A could not be used: {exc}. "
                                                "Showing its scenario without A."))
        except LinkError as exc:
            sc, relax, page, pick, reference, pin, hour = default, 0.0, None, catalogue.DEFAULT_ID, default, None, None
            messages.append(("warning", f"This link could not be used: {exc}. "
                                        "Showing the default scenario instead."))
    ss[_CATALOGUE], ss[_SERVER_FILE] = cat, bool(server_file)
    ss[_PICK] = pick
    ss[_DEFAULT] = reference
    ss[_BASE] = reference
    ss[_SC] = sc
    ss[_RELAX] = float(relax)
    ss[_PAGE] = page or DEFAULT_PAGE
    ss[_LINK_PAGE] = page
    ss[_REV] = 0
    ss[_MESSAGES] = messages
    ss[_NOTE] = None
    ss[_PIN] = pin
    ss[_HOUR] = hour
    ss[_INIT] = True


def _linked_pin(cat: dict[str, catalogue.Entry], default: Scenario, link: ShareState) -> "Pinned":
    """The pinned scenario A of a link (its ``compare`` part), validated again; a LinkError says why not."""
    reference = default if link.scenario == catalogue.DEFAULT_ID else _linked_scenario(cat, link.scenario)
    return Pinned(link.scenario, reference, apply_state(reference, link), link.relax_ms, link.changes)


def _leave_pages_directory_mode() -> None:
    """Rerun through app.py when Streamlit ran a page file directly.

    Streamlit's old multipage mode ("v1") is on for a process while a ``pages/`` folder sits next
    to the entry script and ``st.navigation`` has not yet run in it: then a deep link such as
    ``/frontier`` executes ``pages/frontier.py`` alone, without app.py's session set-up, sidebar
    and router (and AppTest resets the mode before every run). A page that reaches this module in
    that mode switches it off and reruns, so app.py runs and routes to the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def _ss():
    _leave_pages_directory_mode()
    if not st.session_state.get(_INIT):
        init_session()
    return st.session_state


def scenario_catalogue() -> dict[str, catalogue.Entry]:
    """The scenarios on offer (:func:`core.catalogue.shipped`), by id."""
    return _ss()[_CATALOGUE]


def scenario_label(scenario_id: str) -> str:
    """A catalogue scenario in words: its name, "(this server's file)" when ``ELF_SCENARIO`` put it there."""
    name = scenario_catalogue()[scenario_id].name
    server_file = scenario_id == catalogue.DEFAULT_ID and _ss()[_SERVER_FILE]
    return f"{name} (this server's file)" if server_file else name


def scenario_id() -> str:
    """The catalogue id of the picked scenario (``"default"`` until another is picked)."""
    return _ss()[_PICK]


def default_scenario() -> Scenario:
    """The picked scenario as shipped (the reference of every link and of what counts as an edit):
    the shipped default until another is picked."""
    return _ss()[_DEFAULT]


def base_scenario() -> Scenario:
    """The scenario edits start from: the picked one as shipped, or the last uploaded scenario."""
    return _ss()[_BASE]


def current_scenario() -> Scenario:
    """The scenario with the user's edits; always valid."""
    return _ss()[_SC]


def scenario_key() -> str:
    """A digest of the canonical JSON of :func:`current_scenario` (computed once per scenario):
    the cache key of every result of the current scenario."""
    ss, sc = _ss(), current_scenario()
    memo = ss.get(_JSON)
    if memo is None or memo[0] is not sc:
        memo = (sc, scenario_digest(sc))
        ss[_JSON] = memo
    return memo[1]


TIME_DIGESTS_KEPT = 4        # a year of hourly series held as Python floats is tens of MB
_TIME_DIGESTS: dict[int, tuple[Any, str]] = {}
"""id(time block) → (the block, its digest): a block's digest is computed once per server while
the block is held (edits that leave the time block alone keep the same object, :func:`apply_changes`)."""


def _time_block_digest(tb) -> str:
    """A digest of a time block's values (its series as float64 bytes: about 0.1 s for a year of
    hourly series, against about 1 s for the block's JSON)."""
    held = _TIME_DIGESTS.get(id(tb))
    if held is not None and held[0] is tb:
        return held[1]
    digest = hashlib.blake2b(digest_size=16)

    def add(label: str, values) -> None:
        digest.update(label.encode() + b"\0")
        digest.update(values.encode() if isinstance(values, str) else np.asarray(values, dtype=float).tobytes())

    digest.update(repr((tb.periods, tb.block_periods)).encode())
    add("weight_hours", tb.weight_hours)
    for name in ("price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh"):
        for node, values in sorted(getattr(tb, name).items()):
            add(f"{name}/{node}", values)
    for node, by_workload in sorted(tb.demand_factor.items()):
        for workload, values in sorted(by_workload.items()):
            add(f"demand_factor/{node}/{workload}", values)
    while len(_TIME_DIGESTS) >= TIME_DIGESTS_KEPT:
        _TIME_DIGESTS.pop(next(iter(_TIME_DIGESTS)))
    _TIME_DIGESTS[id(tb)] = (tb, digest.hexdigest())
    return _TIME_DIGESTS[id(tb)][1]


def scenario_digest(sc: Scenario) -> str:
    """A digest of the canonical JSON of ``sc``; with a time block, of the JSON without it and of
    :func:`_time_block_digest` (a year of hourly series is 10 MB of JSON)."""
    if sc.time is None:
        return hashlib.blake2b(sc.to_json().encode(), digest_size=16).hexdigest()
    rest = sc.model_copy(update={"time": None}).to_json()
    return hashlib.blake2b(f"time {_time_block_digest(sc.time)} {rest}".encode(), digest_size=16).hexdigest()


def set_scenario(sc: Scenario) -> None:
    """Make ``sc`` the current scenario and reset the scenario widgets to its values."""
    if not isinstance(sc, Scenario):
        raise TypeError("set_scenario needs a validated core.scenario.Scenario")
    ss = _ss()
    ss[_SC] = sc
    reset_widgets()


def set_base_scenario(sc: Scenario) -> None:
    """An uploaded scenario: it becomes the base and the current scenario (relaxation kept)."""
    _ss()[_BASE] = sc
    set_scenario(sc)


def pick_scenario(new_id: str) -> None:
    """Switch to the shipped scenario ``new_id``: it becomes the reference, the base and the current
    scenario; edits and an upload are discarded, the relaxation is kept, the widgets start again,
    and :func:`previous_result` starts afresh. Raises ScenarioError (field ``scenario`` for an
    unknown id) and then changes nothing."""
    ss = _ss()
    sc = load_shipped(ss[_CATALOGUE], new_id)
    ss[_PICK], ss[_DEFAULT] = new_id, sc
    for key in (_LAST, _PREV):          # "Δ vs previous" never compares two scenarios
        ss.pop(key, None)
    set_base_scenario(sc)


def apply_changes(changes: dict[str, Any], *, reset: bool = False) -> bool:
    """Apply dotted-path edits (:func:`core.scenario.update_scenario`) to the current scenario.

    Returns True when the edit was valid. An invalid edit keeps the last valid scenario, queues
    an error that names the field, and resets the widgets to the scenario's values.
    ``reset=True`` resets the widgets after a valid edit too (for table editors).
    """
    ss = _ss()
    try:
        new = _updated(current_scenario(), changes)
    except ScenarioError as exc:
        add_message("error", f"That edit was not applied: {exc}. The last valid scenario is kept.")
        reset_widgets()
        return False
    ss[_SC] = new
    if reset:
        reset_widgets()
    return True


def _keeps_time_block(path: str) -> bool:
    """Whether an edit at ``path`` leaves the time block valid as it is: not the block itself,
    nor ``period_hours``, nor a whole node or workload list, nor an id."""
    parts = path.split(".")
    return parts[0] not in ("time", "period_hours") and not (parts[0] in ("nodes", "workloads") and len(parts) < 3) \
        and parts[-1] != "id"


def _updated(sc: Scenario, changes: dict[str, Any]) -> Scenario:
    """:func:`core.scenario.update_scenario`; for edits that leave a time block alone, applied to
    the scenario without it (copying and validating a year of hourly series again takes about
    0.5 s) and the same block put back."""
    if sc.time is None or not all(_keeps_time_block(p) for p in changes):
        return update_scenario(sc, changes)
    return update_scenario(sc.model_copy(update={"time": None}), changes).model_copy(update={"time": sc.time})


def reset(to_default: bool = True) -> None:
    """Back to the picked scenario as shipped (or, with ``to_default=False``, to the base scenario)
    and no relaxation."""
    ss = _ss()
    if to_default:
        ss[_BASE] = ss[_DEFAULT]
    ss[_RELAX] = 0.0
    set_scenario(ss[_BASE])


def relax_ms() -> float:
    """The "relax every budget by Δ" setting [ms]."""
    return float(_ss()[_RELAX])


def set_relax_ms(value: float) -> None:
    _ss()[_RELAX] = max(0.0, float(value))


@results
def _inputs(sc_key: str, relax: float, _sc: Scenario) -> ModelInputs:
    return relaxed_inputs(_sc, relax)


def current_inputs() -> ModelInputs:
    """Model inputs of the current scenario with every budget raised by :func:`relax_ms` (one
    copy per server for every session on the same setting)."""
    ss = _ss()
    key = (scenario_key(), relax_ms())
    memo = ss.get(_INPUTS)
    if memo is None or memo[0] != key:
        memo = (key, _inputs(*key, current_scenario()))
        ss[_INPUTS] = memo
    return memo[1]


def _pool_size() -> int:
    try:
        return max(1, int(os.environ.get(MODEL_POOL_ENV, DEFAULT_CAPACITY)))
    except ValueError:
        return DEFAULT_CAPACITY


MODELS = ModelPool(Analysis, _pool_size())
"""The server's compiled models, shared by all sessions (see the module docstring)."""


def structure(sc: Scenario) -> tuple:
    """What a compiled model depends on: the node and workload ids, in order."""
    return tuple(sc.node_ids), tuple(sc.workload_ids)


@contextmanager
def model(sc: Scenario) -> Iterator[Analysis]:
    """A compiled model of ``sc``'s structure from :data:`MODELS`, for one computation."""
    with MODELS.checkout(structure(sc), sc) as an:
        yield an


class PooledAnalysis:
    """What the cached functions get as their ``_an`` argument: the compiled model of ``sc``'s
    structure, checked out of :data:`MODELS` for the duration of each call (never held by a
    session between reruns)."""

    def __init__(self, sc: Scenario):
        self.sc, self.key = sc, structure(sc)

    def fits(self, sc: Scenario) -> bool:
        return structure(sc) == self.key

    @contextmanager
    def checkout(self) -> Iterator[Analysis]:
        with MODELS.checkout(self.key, self.sc) as an:
            yield an

    def _call(self, method: str, *args, **kwargs):
        with self.checkout() as an:
            return getattr(an, method)(*args, **kwargs)

    def solve(self, inp: ModelInputs) -> Solution:
        return self._call("solve", inp)

    def local(self, inp: ModelInputs) -> Solution:
        return self._call("local", inp)

    def headline(self, inp: ModelInputs, sol: Solution | None = None, local: Solution | None = None) -> dict:
        return self._call("headline", inp, sol, local)

    def frontier(self, inp: ModelInputs, budgets_ms=None, workload: str | None = None, progress=None) -> pd.DataFrame:
        return self._call("frontier", inp, budgets_ms, workload, progress=progress)

    def waterfall(self, inp: ModelInputs, frictions=None) -> pd.DataFrame:
        return self._call("waterfall", inp, frictions)

    def layers(self, inp: ModelInputs, sol: Solution | None = None) -> pd.DataFrame:
        return self._call("layers", inp, sol)


def analysis() -> PooledAnalysis:
    """The current scenario's model, as the cached functions take it (:class:`PooledAnalysis`)."""
    return PooledAnalysis(current_scenario())


def model_is_ready() -> bool:
    """Whether the server holds a compiled model of the current scenario's structure (False on a
    fresh server, after a switch of scenario or an upload with other regions: then
    :func:`prepare` builds one)."""
    return structure(current_scenario()) in MODELS.idle_keys()


def prepare() -> None:
    """Build the model and solve the headline now (call it inside a progress indicator); a solve
    that fails is left to the page, which shows its error."""
    try:
        headline()
    except SolveError:
        pass


# --- widgets and messages ---------------------------------------------------------------------

def widget_key(name: str) -> str:
    """A key for a widget that shows a scenario value; changes when :func:`set_scenario` runs."""
    return f"elf{_ss()[_REV]}_{name}"


def reset_widgets() -> None:
    """Start every :func:`widget_key` widget again from the scenario's values."""
    ss = _ss()
    old = f"elf{ss[_REV]}_"
    for k in [k for k in ss if isinstance(k, str) and k.startswith(old)]:
        del ss[k]
    ss[_REV] += 1


def add_message(kind: str, text: str) -> None:
    """Queue a message ("warning", "error", "info" or "success") for :func:`show_messages`."""
    _ss()[_MESSAGES].append((kind, text))


def show_messages() -> None:
    """Show the queued messages once, at the top of the page, and clear them."""
    ss = _ss()
    for kind, text in ss[_MESSAGES]:
        {"warning": st.warning, "error": st.error, "success": st.success}.get(kind, st.info)(text)
    ss[_MESSAGES] = []


# --- results (cached; keyed on the scenario JSON and the relaxation) ---------------------------

@results
def _solution(sc_key: str, relax: float, _an: Analysis, _inp: ModelInputs) -> Solution:
    return _an.solve(_inp)


@results
def _local(inputs_key: str, _an: Analysis, _inp: ModelInputs) -> Solution:
    return _an.local(_inp)   # every budget 0 ms: the same for any budgets (inputs_key leaves them out)


@results
def _headline(sc_key: str, relax: float, _an: Analysis, _inp: ModelInputs) -> dict:
    return _an.headline(_inp, _solution(sc_key, relax, _an, _inp), _local(inputs_key(), _an, _inp))


@results
def _frontier(sc_key: str, relax: float, workload, budgets, _an: Analysis, _inp: ModelInputs,
              _progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    df = _an.frontier(_inp, None if budgets is None else list(budgets), workload, progress=_progress)
    if budgets is None:
        _EXACT_READY[_ready_key(sc_key, relax, workload)] = None
        while len(_EXACT_READY) > 4 * CACHE_ENTRIES:
            _EXACT_READY.pop(next(iter(_EXACT_READY)))
    return df


_EXACT_READY: dict[tuple, None] = {}
"""The :func:`_ready_key` of the exact frontiers computed in this process, oldest first: what
:func:`exact_frontier_ready` reads (a Streamlit cache cannot be asked without computing)."""


def _ready_key(sc_key: str, relax: float, workload: str | None) -> tuple:
    return sc_key, relax, workload


def _without_budgets_key(inp: ModelInputs) -> str:
    """A digest of ``inp`` except its budgets: the breakpoints do not depend on them, so a budget
    slider's move finds them in the cache."""
    digest = hashlib.blake2b(digest_size=16)
    for f in fields(inp):
        if f.name != "budget_ms":
            value = getattr(inp, f.name)
            digest.update(f.name.encode())
            digest.update(value.tobytes() if hasattr(value, "tobytes") else repr(value).encode())
    return digest.hexdigest()


@results
def _breakpoints(inputs_key: str, workload, legal: bool, _inp: ModelInputs) -> tuple[int, float]:
    points = breakpoints_ms(_inp if legal else _inp.with_frictions(legal=False), workload)
    return len(points), float(points.max()) if len(points) else 0.0


def inputs_key() -> str:
    """:func:`_without_budgets_key` of :func:`current_inputs`, computed once per inputs."""
    ss, inp = _ss(), current_inputs()
    memo = ss.get(_INPUTS_KEY)
    if memo is None or memo[0] is not inp:
        memo = (inp, _without_budgets_key(inp))
        ss[_INPUTS_KEY] = memo
    return memo[1]


def _breakpoint_summary(workload: str | None, legal: bool = True) -> tuple[int, float]:
    """(number of breakpoints, the last [ms]) of the current inputs (``legal=False``: residency ignored)."""
    key = inputs_key()
    return memo(f"breakpoints_{workload}_{legal}", (key,),
                lambda: _breakpoints(key, workload, legal, current_inputs()))


@results
def _waterfall(sc_key: str, relax: float, _an: Analysis, _inp: ModelInputs) -> pd.DataFrame:
    return _an.waterfall(_inp)


@results
def _layers(sc_key: str, relax: float, _an: Analysis, _inp: ModelInputs) -> pd.DataFrame:
    return _an.layers(_inp, _solution(sc_key, relax, _an, _inp))


@results
def _break_even(sc_key: str, relax: float, workload: str, _inp: ModelInputs) -> pd.DataFrame:
    return break_even(_inp, workload)


def _args():
    return scenario_key(), relax_ms(), analysis(), current_inputs()


def solution() -> Solution:
    """The optimal placement of the current scenario (raises core.model.SolveError)."""
    return _solution(*_args())


def headline() -> dict:
    """:meth:`core.analysis.Analysis.headline` of the current scenario (units in the key names).
    Also remembers it as this session's latest result (see :func:`previous_result`)."""
    h = _headline(*_args())
    _remember(h)
    return h


def _remember(h: dict) -> None:
    ss = _ss()
    key = (scenario_key(), relax_ms())
    last = ss.get(_LAST)
    if last is not None and last[0] == key:
        return
    if last is not None:
        ss[_PREV] = last
    ss[_LAST] = (key, current_scenario(), relax_ms(), h)


def previous_result() -> tuple[Scenario, float, dict] | None:
    """The setting shown before the current one in this session: its scenario, relaxation [ms]
    and headline (:func:`headline`'s dict); None until a change has been made."""
    headline()
    prev = _ss().get(_PREV)
    return None if prev is None else (prev[1], prev[2], prev[3])


@results
def _binding_frictions(sc_key: str, relax: float, _an: Analysis, _inp: ModelInputs, _base: Solution) -> pd.DataFrame:
    with _an.checkout() as an:
        return binding_frictions(an.sweeper, _inp, _base)


@results
def _latency_value(sc_key: str, relax: float, step_ms: float, _an: Analysis, _inp: ModelInputs,
                   _base: Solution) -> pd.DataFrame:
    with _an.checkout() as an:
        return latency_value(an.sweeper, _inp, step_ms, _base)


@results
def _data_basis(sc_key: str, default_key: str, sources_path: str, _sc: Scenario, _default: Scenario,
                _sources: pd.DataFrame) -> pd.DataFrame:
    return data_basis(_sc, _default, _sources)


@results
def _full_regions(sc_key: str, relax: float, _sol: Solution) -> pd.DataFrame:
    return full_regions(_sol)


def full_regions_df() -> pd.DataFrame:
    """Regions at capacity with their capacity shadow prices (:func:`core.binding.full_regions`)."""
    return _full_regions(scenario_key(), relax_ms(), solution())


def binding_frictions_df() -> pd.DataFrame:
    """Each friction that is on, switched off alone (:func:`core.binding.binding_frictions`)."""
    return _binding_frictions(*_args(), solution())


def latency_value_df(step_ms: float = LATENCY_STEP_MS) -> pd.DataFrame:
    """What ``step_ms`` more on each class's budget is worth (:func:`core.binding.latency_value`)."""
    key, relax, an, inp = _args()
    return _latency_value(key, relax, float(step_ms), an, inp, solution())


@dataclass(frozen=True)
class SerializedDeck:
    """A map as ``st.pydeck_chart`` takes it, its JSON written once: the cache keeps this string,
    not the Deck (whose JSON, with the world outline, costs about 0.1 s to write at 200 regions)."""

    json_text: str
    _tooltip: dict | None = None      # read by st.pydeck_chart, as on a pydeck.Deck
    layers: tuple = ()                # nothing left to prepare (st.pydeck_chart's pandas 3 workaround)
    mapbox_key: None = None

    def to_json(self) -> str:
        return self.json_text


@dataclass(frozen=True)
class MapView:
    """Everything the Explorer draws of its map for one result: the decks, one
    (:class:`SerializedDeck`, height px) per map width, their plain-language description, the
    legend (HTML) and the sentence on what the map leaves out ("" when nothing)."""

    decks: list
    description: str
    legend_html: str
    hidden_note: str


@results
def _maps(sc_key: str, relax: float, colour_by: str, shown: tuple, widths_px: tuple, _sc: Scenario,
          _sol: Solution) -> MapView:
    decks, text = worldmap.map_decks(_sc, _sol, world_outline(), colour_by, widths_px, workloads=list(shown))
    return MapView([(SerializedDeck(deck.to_json(), deck._tooltip if isinstance(deck._tooltip, dict) else None), height)
                    for deck, height in decks], text,
                   worldmap.legend_html(_sc, _sol, colour_by, full_regions(_sol)),
                   worldmap.hidden_corridors_note(_sc, _sol, list(shown)))


def maps(colour_by: str, shown: Iterable[str], widths_px: Iterable[float]) -> MapView:
    """The Explorer's world maps for the current result (:class:`MapView`), built once per result
    and choice of colouring and classes, for every session (tab switches and other reruns reuse
    them)."""
    return _maps(scenario_key(), relax_ms(), colour_by, tuple(shown), tuple(float(w) for w in widths_px),
                 current_scenario(), solution())


def sources_table() -> pd.DataFrame:
    """The picked scenario's regions with the source and flag of each value
    (:func:`core.briefing.region_provenance` of its table in ``data/``; only ids when it has none)."""
    path = scenario_catalogue()[scenario_id()].sources
    return region_provenance(path) if path is not None else pd.DataFrame(columns=["id"])


def rtt_sources_table() -> pd.DataFrame:
    """The picked scenario's given round trips with the source of each (a, b, source)."""
    path = scenario_catalogue()[scenario_id()].rtt_sources
    return datafiles.rtt_provenance(path.name) if path is not None else pd.DataFrame(columns=["a", "b", "source"])


def data_basis_df() -> pd.DataFrame:
    """How the current scenario's node values are known (:func:`core.briefing.data_basis`, against
    the picked scenario and its table of sources)."""
    ss, default = _ss(), default_scenario()
    memo = ss.get(_DEFAULT_JSON)
    if memo is None or memo[0] is not default:      # its digest once per picked scenario, not per rerun
        memo = (default, scenario_digest(default))
        ss[_DEFAULT_JSON] = memo
    path = str(scenario_catalogue()[scenario_id()].sources)
    return _data_basis(scenario_key(), memo[1], path, current_scenario(), default, sources_table())


def frontier_df(workload: str | None = None, budgets: Iterable[float] | None = None,
                progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """The frontier (:func:`core.frontier.frontier`): uniform (``workload=None``) or one class;
    exact breakpoints when ``budgets`` is None, else at those budgets [ms]. ``progress`` (from
    :func:`progress_bar`) is called with the share done while it is computed (not on a cache hit)."""
    _, _, an, inp = _args()
    key, relax = _frontier_key(workload)
    b = None if budgets is None else tuple(float(x) for x in budgets)
    return _frontier(key, relax, workload, b, an, inp, progress)


def _frontier_key(workload: str | None) -> tuple[str, float]:
    """The cache key of a frontier: a uniform one sets every budget itself, so it depends on
    neither the budgets nor the relaxation (a budget slider's move finds it in the cache)."""
    if workload is None:
        return "inputs " + inputs_key(), 0.0
    return scenario_key(), relax_ms()


def breakpoint_count(workload: str | None = None) -> int:
    """How many breakpoints the exact frontier has (0 included): :func:`core.frontier.breakpoints_ms`."""
    return _breakpoint_summary(workload)[0]


def exact_frontier_ready(workload: str | None = None) -> bool:
    """Whether this process has computed the exact frontier of the current setting (then
    :func:`frontier_df` returns it from the cache, unless it was evicted)."""
    return _ready_key(*_frontier_key(workload), workload) in _EXACT_READY


def draws_coarse_first(workload: str | None = None) -> bool:
    """The pages' rule: a frontier not yet computed with more than
    :data:`~core.frontier_view.EXACT_AT_ONCE_MAX_BREAKPOINTS` breakpoints is drawn at
    :func:`~core.frontier_view.coarse_budgets_ms` first (:func:`quick_frontier_df`)."""
    return not exact_frontier_ready(workload) and coarse_first(breakpoint_count(workload),
                                                               EXACT_AT_ONCE_MAX_BREAKPOINTS)


def quick_frontier_df(workload: str | None = None) -> pd.DataFrame:
    """The frontier at :func:`~core.frontier_view.coarse_budgets_ms` budgets (each point exact),
    spanning the exact frontier's range: what a large scenario draws while the exact one is computed."""
    last_ms = _breakpoint_summary(workload)[1]
    return frontier_df(workload, budgets=coarse_budgets_ms(last_ms))


@contextmanager
def progress_bar(text: str) -> Iterator[Callable[[float], None]]:
    """An ``st.progress`` bar for a computation, removed when it ends; yields the callback that
    moves it (share done, 0..1). The callback may run inside a cached function: its updates are
    kept out of the cache's element replay (they belong to this run only)."""
    from streamlit.runtime.caching.cached_message_replay import in_cached_function

    slot = st.empty()
    bar = slot.progress(0.0, text=text)

    def update(share: float) -> None:
        token = in_cached_function.set(False)
        try:
            bar.progress(min(1.0, max(0.0, float(share))), text=f"{text} ({100 * share:.0f}%)")
        finally:
            in_cached_function.reset(token)

    try:
        yield update
    finally:
        slot.empty()


@contextmanager
def computing(text: str) -> Iterator[None]:
    """An ``st.status`` box ("running") over a computation without a share to report, removed when
    it ends (a cache hit shows it for no perceptible time)."""
    slot = st.empty()
    try:
        with slot.status(text, state="running", expanded=False):
            yield
    finally:
        slot.empty()


def exact_frontier_df(workload: str | None = None,
                      text: str = "Solving the exact frontier at every breakpoint") -> pd.DataFrame:
    """The exact frontier, with a progress bar while it is computed (none on a cache hit)."""
    with progress_bar(text) as update:
        return frontier_df(workload, progress=update)


def finish_exact_frontier(workload: str | None = None) -> None:
    """After a page drew :func:`quick_frontier_df`: compute the exact frontier under a progress
    bar and run the page again, which then draws the exact one from the cache."""
    exact_frontier_df(workload, "The exact frontier at every breakpoint is being computed")
    st.rerun()


def waterfall_df() -> pd.DataFrame:
    """The friction waterfall (:func:`core.metrics.friction_waterfall`)."""
    return _waterfall(*_args())


def layers_df() -> pd.DataFrame:
    """Served MW per workload and execution layer (:func:`core.metrics.execution_layers`)."""
    return _layers(*_args())


def break_even_df(workload: str) -> pd.DataFrame:
    """Relocation break-even of every pair for one class (:func:`core.metrics.break_even`)."""
    return _break_even(scenario_key(), relax_ms(), workload, current_inputs())


# --- uncertainty sweeps (the Robustness page) --------------------------------------------------

def sweep_scenario() -> Scenario:
    """The scenario a sweep of the current setting draws from: the current scenario with every
    class's budget raised by :func:`relax_ms` (what :func:`current_inputs` solves), so a sweep's
    undrawn point is the Explorer's result. An ``uncertainty`` entry on a budget draws the
    budget itself, relaxation included only through its range."""
    sc, relax = current_scenario(), relax_ms()
    if not relax:
        return sc
    return memo("sweep_scenario", (sc, relax),
                lambda: with_budgets_ms(sc, {w.id: w.latency_budget_ms + relax for w in sc.workloads}))


def _close_client(held) -> None:
    held[0].__exit__(None, None, None)


@st.cache_resource(max_entries=1, show_spinner=False, validate=lambda held: held[1].status == "running",
                   on_release=_close_client)
def _dask_client(address: str):
    """(context, client) of :func:`core.distributed.dask_client`, one per server process and
    address (a LocalCluster sized to the machine when ``address`` is empty), kept open."""
    context = dask_client(address or None)
    return context, context.__enter__()


def sweep_client(draws: int):
    """The server's Dask client for a sweep of ``draws`` (the scheduler of
    :data:`core.distributed.ENV_SCHEDULER` when set, else a LocalCluster from
    :data:`core.sweep.LOCAL_CLUSTER_MIN_DRAWS` draws on), or None: this process."""
    address = os.environ.get(ENV_SCHEDULER, "").strip()
    if not address and draws < LOCAL_CLUSTER_MIN_DRAWS:
        return None
    return _dask_client(address)[1]


class SweepStopped(Exception):
    """A sweep that stopped before its last draw (its ``cancelled()`` turned True): not cached."""

    def __init__(self, result: SweepResult):
        super().__init__(f"stopped after {result.n_draws} of {result.n_requested} draws")
        self.result = result


def _outside_cache(fn, *args):
    """``fn(*args)`` with its Streamlit elements kept out of the cache's element replay."""
    from streamlit.runtime.caching.cached_message_replay import in_cached_function

    token = in_cached_function.set(False)
    try:
        return fn(*args)
    finally:
        in_cached_function.reset(token)


@results
def _sweep(sc_key: str, relax: float, draws: int, seed: int, budgets: tuple | None, _sc: Scenario, _client,
           _on_batch, _progress, _cancelled) -> SweepResult:
    last = None
    progress = None if _progress is None else (lambda share: _outside_cache(_progress, share))
    cancelled = None if _cancelled is None else (lambda: _outside_cache(_cancelled))
    for last in sweep_iter(_sc, draws, seed, client=_client, scheduler=None if _client is not None else IN_PROCESS,
                           progress=progress, cancelled=cancelled, frontier_budgets_ms=budgets):
        if _on_batch is not None:
            _outside_cache(_on_batch, last)
    if not last.complete:
        raise SweepStopped(last)
    return last


@dataclass
class SweepRecord:
    """This session's latest sweep: the setting it swept (scenario key, relaxation), the request
    (draws, seed, frontier budgets) and the draws done so far (updated after every batch, so a
    run that a click interrupted, which stops a running script, keeps what it had done)."""

    setting: tuple
    request: tuple
    result: SweepResult | None


def sweep_result(draws: int, seed: int, frontier_budgets_ms=None, *, progress: Callable[[float], None] | None = None,
                 on_batch: Callable[[SweepResult], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> SweepResult:
    """The uncertainty sweep (:func:`core.sweep.sweep_iter`) of :func:`sweep_scenario`: ``draws``
    draws with ``seed``, each draw's frontier at ``frontier_budgets_ms`` [ms] when given; in this
    process below :data:`core.sweep.LOCAL_CLUSTER_MIN_DRAWS` draws, else on :func:`sweep_client`.
    A complete sweep is cached for every session (keyed on the setting, draws, seed and budgets);
    one stopped by ``cancelled()`` is not, and is returned as it stands. ``progress(share)`` and
    ``on_batch(partial result)`` are called as batches finish, ``cancelled()`` between batches
    (in process) or every 0.2 s (Dask): a callback that draws an element lets a click stop the
    run there (Streamlit stops a running script at its next element); none on a cache hit. The result
    becomes this session's :func:`session_sweep`. Raises ScenarioError (a time block, no
    uncertain inputs) and core.distributed.SchedulerUnreachable."""
    budgets = None if frontier_budgets_ms is None else tuple(float(b) for b in frontier_budgets_ms)
    ss, setting = _ss(), (scenario_key(), relax_ms())
    record = SweepRecord(setting, (int(draws), int(seed), budgets), None)
    ss[_SWEEP] = record

    def keep(partial: SweepResult) -> None:
        record.result = partial
        if on_batch is not None:
            on_batch(partial)

    try:
        record.result = _sweep(*setting, int(draws), int(seed), budgets, sweep_scenario(), sweep_client(int(draws)),
                               keep, progress, cancelled)
    except SweepStopped as stop:
        record.result = stop.result
    return record.result


def session_sweep() -> SweepRecord | None:
    """This session's latest sweep if it swept the current setting (None otherwise); its result
    is incomplete when it was cancelled or interrupted, None when that happened before the first
    batch finished."""
    record = _ss().get(_SWEEP)
    return record if record is not None and record.setting == (scenario_key(), relax_ms()) else None


# --- the pinned scenario A (the Compare page) ---------------------------------------------------

@dataclass(frozen=True)
class Pinned:
    """The Compare page's scenario A: the catalogue id it starts from, that scenario as shipped
    (the reference of its ``changes``, dotted paths as in a link), the scenario itself and its
    relaxation [ms]."""

    scenario_id: str
    reference: Scenario
    scenario: Scenario
    relax_ms: float
    changes: dict


def pinned() -> Pinned | None:
    """The pinned scenario A, None when nothing is pinned."""
    return _ss().get(_PIN)


def pin_current() -> None:
    """Pin the current scenario and relaxation as A (the current one stays, as B)."""
    ss = _ss()
    ss[_PIN] = Pinned(ss[_PICK], ss[_DEFAULT], current_scenario(), relax_ms(),
                      scenario_changes(ss[_DEFAULT], current_scenario()))


def unpin() -> None:
    _ss()[_PIN] = None


def swap_pinned() -> None:
    """A becomes the current scenario (with its picked scenario and relaxation) and the current
    one is pinned as A; the widgets start again and "Δ vs previous" starts afresh."""
    ss, a = _ss(), pinned()
    if a is None:
        return
    pin_current()
    ss[_PICK], ss[_DEFAULT], ss[_BASE], ss[_RELAX] = a.scenario_id, a.reference, a.reference, a.relax_ms
    for key in (_LAST, _PREV):
        ss.pop(key, None)
    set_scenario(a.scenario)


def _pinned_memo() -> tuple[Pinned, str, ModelInputs, str]:
    """(A, the digest of its canonical JSON as :func:`scenario_key` writes it, its relaxed inputs,
    their budget-free key), computed once per pin."""
    ss, a = _ss(), pinned()
    if a is None:
        raise LookupError("no scenario is pinned as A")
    memo = ss.get(_PIN_MEMO)
    if memo is None or memo[0] is not a:
        inp = relaxed_inputs(a.scenario, a.relax_ms)
        memo = (a, scenario_digest(a.scenario), inp,
                _without_budgets_key(inp))
        ss[_PIN_MEMO] = memo
    return memo


def _pinned_args():
    a, key, inp, _ = _pinned_memo()
    return key, a.relax_ms, PooledAnalysis(a.scenario), inp


@results
def _headline_of(sc_key: str, relax: float, local_key: str, _an: Analysis, _inp: ModelInputs) -> dict:
    return _an.headline(_inp, _solution(sc_key, relax, _an, _inp), _local(local_key, _an, _inp))


def pinned_key() -> str:
    """The cache key of A's results (as :func:`scenario_key` is of the current scenario's)."""
    return _pinned_memo()[1]


def pinned_inputs() -> ModelInputs:
    """A's model inputs with every budget raised by its relaxation."""
    return _pinned_memo()[2]


def pinned_solution() -> Solution:
    """A's optimal placement (cached like :func:`solution`)."""
    return _solution(*_pinned_args())


def pinned_headline() -> dict:
    """:meth:`core.analysis.Analysis.headline` of A (cached like :func:`headline`)."""
    key, relax, an, inp = _pinned_args()
    return _headline_of(key, relax, _pinned_memo()[3], an, inp)


def pinned_waterfall_df() -> pd.DataFrame:
    """A's friction waterfall (as :func:`waterfall_df`)."""
    return _waterfall(*_pinned_args())


def pinned_breakpoint_count() -> int:
    """How many breakpoints A's exact uniform frontier has (as :func:`breakpoint_count`)."""
    _, _, inp, key = _pinned_memo()
    return _breakpoints(key, None, True, inp)[0]


def pinned_frontier_coarse() -> bool:
    """Whether A's uniform frontier is drawn at :func:`~core.frontier_view.coarse_budgets_ms`
    budgets: the rule of :func:`draws_coarse_first`, for good (A's exact frontier of more
    breakpoints is drawn only when this process computed it, e.g. while A was the current one)."""
    key = _pinned_memo()[3]
    ready = _ready_key("inputs " + key, 0.0, None) in _EXACT_READY
    return not ready and coarse_first(pinned_breakpoint_count(), EXACT_AT_ONCE_MAX_BREAKPOINTS)


def pinned_frontier_df(progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """A's uniform frontier: exact, or at coarse budgets when :func:`pinned_frontier_coarse`."""
    _, _, inp, key = _pinned_memo()
    budgets = tuple(float(b) for b in coarse_budgets_ms(_breakpoints(key, None, True, inp)[1])) \
        if pinned_frontier_coarse() else None
    return _frontier("inputs " + key, 0.0, None, budgets, PooledAnalysis(_pinned_memo()[0].scenario), inp,
                     progress)


# --- the link ----------------------------------------------------------------------------------

def pending_link_page() -> str | None:
    """The url path of the page a just-opened link asked for (once), else None."""
    ss = _ss()
    page, ss[_LINK_PAGE] = ss.get(_LINK_PAGE), None
    return page or None


def _same(a: Any, b: Any) -> bool:
    return a is b or (isinstance(a, (str, int, float, type(None))) and type(a) is type(b) and a == b)


def memo(name: str, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept in the session while ``key`` stays the same (objects compared by
    identity, plain values by equality): work that follows from the session's state alone (the
    link's changes, the edits since the previous setting) is done once per change, not per rerun."""
    ss, slot = _ss(), f"elf_memo_{name}"
    held = ss.get(slot)
    if held is None or len(held[0]) != len(key) or not all(map(_same, held[0], key)):
        held = (key, compute())
        ss[slot] = held
    return held[1]


def link_state(page: str | None = None, with_pinned: bool = True) -> str:
    """The ``?s=`` value of the current state, with the pinned scenario A unless ``with_pinned``
    is False (raises :class:`core.share.LinkError` when too big)."""
    ss, sc = _ss(), current_scenario()
    changes = memo("link_changes", (ss[_DEFAULT], sc), lambda: scenario_changes(ss[_DEFAULT], sc))
    a = pinned() if with_pinned else None
    compare = None if a is None else ShareState(scenario=a.scenario_id, changes=a.changes, relax_ms=a.relax_ms)
    hour = ss.get(_HOUR) if sc.time is not None else None
    return encode_state(ShareState(scenario=ss[_PICK], changes=changes, relax_ms=relax_ms(),
                                   page=page_key(page or ss[_PAGE]), compare=compare, hour=hour))


def sync_link(page: str) -> None:
    """Write the state into the address bar (``st.query_params["s"]``) for ``page`` (url path).

    When the state is too big for a link, the URL is left without it and :func:`link_note`
    says why.
    """
    ss = _ss()
    ss[_PAGE] = page_key(page)
    note = None
    try:
        text = link_state(page)
    except LinkError as exc:
        text = None
        if pinned() is not None:              # B alone may still fit
            try:
                text = link_state(page, with_pinned=False)
                note = f"The link leaves out the pinned scenario A: with it, it would be too big ({exc})."
            except LinkError:
                pass
        if text is None:
            ss[_NOTE] = (f"This state is too big for a link ({exc}). Download the scenario on the "
                         "Data page and share the file instead.")
            ss[_LINK] = None
            if "s" in st.query_params:
                del st.query_params["s"]
            return
    ss[_NOTE] = note
    ss[_LINK] = text
    if st.query_params.get("s") != text:
        st.query_params["s"] = text


def link_note() -> str | None:
    """Why the address bar holds no state (None when it does)."""
    return _ss().get(_NOTE)


def link_url() -> str | None:
    """The full shareable URL of the current page and state (None when no link is possible)."""
    text = _ss().get(_LINK)
    if not text:
        return None
    base = st.context.url or ""
    if base.count("/") == 2:                     # "http://host:port" → "http://host:port/"
        base += "/"
    return f"{base}?s={text}"


# --- slider ranges -------------------------------------------------------------------------------

BUDGET_STEPS_MS = (0, 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 125, 150, 175, 200, 250, 300,
                   400, 500, 750, 1000, 1500, 2000, 5000, 10000)


def max_useful_budget_ms() -> float:
    """The largest budget [ms] that can still change a placement: the largest rtt of an arc that
    could carry demand with residency ignored (:func:`core.frontier.breakpoints_ms`)."""
    return _breakpoint_summary(None, legal=False)[1]


def budget_options_ms(current: float) -> list[float]:
    """Choices for a budget slider: log-like steps up to the first step beyond the largest
    useful budget, and the current value [ms]."""
    top = max_useful_budget_ms()
    steps = [float(s) for s in BUDGET_STEPS_MS if s <= top]
    beyond = [float(s) for s in BUDGET_STEPS_MS if s > top]
    if beyond:
        steps.append(beyond[0])
    return sorted(set(steps) | {float(current)})


# --- time mode (the Time page, the Explorer's hour) ----------------------------------------------

DEFAULT_HOUR = 12
"""The Explorer's hour of day (UTC) until one is picked or a link gives one."""
_TIME_READY: dict[tuple, None] = {}
"""Keys of the time results computed in this process (what :func:`time_result_ready` reads)."""


def hour_of_day() -> int:
    """The Explorer's hour of the average day, UTC (0…23): the link's, else :data:`DEFAULT_HOUR`."""
    hour = _ss().get(_HOUR)
    return DEFAULT_HOUR if hour is None else int(hour)


def set_hour_of_day(hour: int) -> None:
    """Pick the Explorer's hour (0…23, UTC); it goes into the link of a scenario with a time block."""
    _ss()[_HOUR] = int(hour) % 24


@results
def _time_inputs(sc_key: str, relax: float, _sc: Scenario, _inp: ModelInputs) -> TimeInputs:
    return time_inputs(_sc).with_base(_inp)


def current_time_inputs() -> TimeInputs:
    """:class:`core.time_inputs.TimeInputs` of the current scenario over :func:`current_inputs`
    (relaxed budgets); raises ScenarioError (field ``time``) without a time block."""
    sc = current_scenario()
    if sc.time is None:
        raise ScenarioError("time", "this scenario has no time block")
    return _time_inputs(scenario_key(), relax_ms(), sc, current_inputs())


@st.cache_resource(show_spinner=False)
def _case_engines() -> dict:
    """The server's warm block LPs of the typical days, one store per case
    (:func:`core.time_view.case_engines`): a slider move re-solves each typical day from its own
    last basis."""
    return time_view.case_engines()


@results
def _time_result(sc_key: str, relax: float, mode: str, k: int, _ti: TimeInputs,
                 _progress: Callable[[float], None] | None = None) -> time_view.TimeResult:
    out = time_view.time_result(_ti, mode, k, _progress, engines=_case_engines() if mode == "typical" else None)
    _TIME_READY[(sc_key, relax, mode, k)] = None
    while len(_TIME_READY) > 4 * CACHE_ENTRIES:
        _TIME_READY.pop(next(iter(_TIME_READY)))
    return out


def time_result_ready(mode: str, k: int = time_view.TYPICAL_DAYS) -> bool:
    """Whether this process has computed :func:`time_result` of the current setting."""
    return (scenario_key(), relax_ms(), mode, int(k)) in _TIME_READY


def time_result(mode: str, k: int = time_view.TYPICAL_DAYS,
                progress: Callable[[float], None] | None = None) -> time_view.TimeResult:
    """The four cases of the time mode solved (:func:`core.time_view.time_result`): ``mode``
    "typical" (``k`` typical days) or "year" (every period); cached for every session."""
    return _time_result(scenario_key(), relax_ms(), mode, int(k), current_time_inputs(), progress)


@results
def _hour_solution(sc_key: str, relax: float, hour: int, _res: time_view.TimeResult) -> Solution:
    return time_hour.hour_solution(_res.run.solutions["both"], _res.calendar, hour)


def hour_solution(hour: int) -> Solution:
    """The hourly model's placement at UTC hour ``hour``, the mean over the year's days
    (:func:`core.time_hour.hour_solution`) of :func:`time_result` on typical days (relaxed budgets)."""
    return _hour_solution(scenario_key(), relax_ms(), int(hour), time_result("typical"))


def hour_maps(hour: int, colour_by: str, shown: Iterable[str], widths_px: Iterable[float]) -> MapView:
    """:func:`maps` of :func:`hour_solution` (the Explorer's map over a day)."""
    return _maps(f"{scenario_key()} typical days, hour {int(hour)}", relax_ms(), colour_by, tuple(shown),
                 tuple(float(w) for w in widths_px), current_scenario(), hour_solution(hour))


@results
def _time_frontier(sc_key: str, k: int, _ti: TimeInputs, _progress=None) -> pd.DataFrame:
    out = time_view.time_frontier(_ti, progress=_progress)
    _TIME_READY[(sc_key, "frontier", k)] = None
    return out


def time_frontier_ready(k: int = time_view.TYPICAL_DAYS) -> bool:
    """Whether this process has computed :func:`time_frontier_df` of the current scenario."""
    return (scenario_key(), "frontier", int(k)) in _TIME_READY


def time_frontier_df(k: int = time_view.TYPICAL_DAYS, progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """:func:`core.time_view.time_frontier` on the typical days of :func:`time_result` (uniform
    budgets set every budget: the relaxation does not enter); cached for every session."""
    return _time_frontier(scenario_key(), int(k), time_result("typical", k).run.inputs, progress)


# --- time mode on the Frontier, Execution layers and Frictions pages ------------------------------

@results
def _time_layers(sc_key: str, relax: float, k: int, _res: time_view.TimeResult) -> pd.DataFrame:
    return time_metrics.time_execution_layers(_res.run.solutions["both"])


def time_layers_df(k: int = time_view.TYPICAL_DAYS) -> pd.DataFrame:
    """Served MW per class and layer in the hourly model's "both" solution on ``k`` typical days
    (:func:`core.time_metrics.time_execution_layers` of :func:`time_result`); cached for every session."""
    return _time_layers(scenario_key(), relax_ms(), int(k), time_result("typical", k))


@results
def _time_waterfall(sc_key: str, relax: float, k: int, _ti: TimeInputs, _progress=None) -> pd.DataFrame:
    out = time_metrics.time_friction_waterfall(_ti, progress=_progress)
    _TIME_READY[(sc_key, relax, "waterfall", k)] = None
    while len(_TIME_READY) > 4 * CACHE_ENTRIES:
        _TIME_READY.pop(next(iter(_TIME_READY)))
    return out


def time_waterfall_ready(k: int = time_view.TYPICAL_DAYS) -> bool:
    """Whether this process has computed :func:`time_waterfall_df` of the current setting."""
    return (scenario_key(), relax_ms(), "waterfall", int(k)) in _TIME_READY


def time_waterfall_df(k: int = time_view.TYPICAL_DAYS, progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """:func:`core.time_metrics.time_friction_waterfall` on the typical days of :func:`time_result`
    (the sidebar's frictions and relaxed budgets); cached for every session."""
    return _time_waterfall(scenario_key(), relax_ms(), int(k), time_result("typical", k).run.inputs, progress)
