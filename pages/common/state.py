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

Results are cached with ``st.cache_data`` keyed on the canonical scenario JSON and the
relaxation; the compiled :class:`~core.analysis.Analysis` (mutable: its CVXPY parameters change)
lives in ``st.session_state``, one per session, and is passed to the cached functions as an
underscore argument (not hashed). It is rebuilt only when the node or workload ids change.

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
from core.scenario import Scenario, ScenarioError, update_scenario
from core.share import LinkError, ShareState, apply_state, decode_state, encode_state, scenario_changes
from core.solution import Solution
from pages.common import datafiles, worldmap
from pages.common.datafiles import world_geojson

# url path of each page (st.Page url_path, equal to the file stem: see app.py)
PAGES = ("explorer", "frontier", "layers", "break_even", "frictions", "data", "physical", "presentation", "model")
DEFAULT_PAGE = "explorer"
SCENARIO_ENV = "ELF_SCENARIO"   # optional server-side file in the place of the shipped default
CACHE_ENTRIES = 32

_INIT, _DEFAULT, _BASE, _SC, _RELAX = "elf_init", "elf_default", "elf_base", "elf_scenario", "elf_relax"
_CATALOGUE, _PICK, _SERVER_FILE = "elf_catalogue", "elf_pick", "elf_server_file"
_PAGE, _LINK_PAGE, _REV, _AN = "elf_page", "elf_link_page", "elf_rev", "elf_analysis"
_MESSAGES, _NOTE, _LINK, _INPUTS, _JSON = "elf_messages", "elf_link_note", "elf_link", "elf_inputs", "elf_json"
_LAST, _PREV, _INPUTS_KEY = "elf_last_result", "elf_previous_result", "elf_inputs_key"
_DEFAULT_JSON = "elf_default_json"


def page_key(url_path: str) -> str:
    """The link's name of a page: its url path, which is also its file's stem (see app.py)."""
    return (url_path or DEFAULT_PAGE).strip("/") or DEFAULT_PAGE


def _linked_scenario(cat: dict[str, catalogue.Entry], scenario_id: str) -> Scenario:
    """The shipped scenario a link names; an unknown id or an unreadable file is a LinkError."""
    try:
        return catalogue.load(cat, scenario_id)
    except ScenarioError as exc:
        if exc.field == "scenario":
            raise LinkError(f"the link's {exc}") from None
        raise LinkError(f"the scenario it names could not be read ({exc})") from None


# --- session --------------------------------------------------------------------------------

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
    cat = catalogue.shipped(default_path=Path(server_file) if server_file else None)
    default = catalogue.load(cat, catalogue.DEFAULT_ID)   # a broken default raises ScenarioError: app.py shows it
    sc, relax, page, messages, pick, reference = default, 0.0, None, [], catalogue.DEFAULT_ID, default
    text = st.query_params.get("s")
    if text:
        try:
            link = decode_state(text)
            if link.scenario != catalogue.DEFAULT_ID:
                reference = _linked_scenario(cat, link.scenario)
            pick = link.scenario
            sc = apply_state(reference, link)
            relax = link.relax_ms
            if link.page is not None and link.page not in PAGES:
                raise LinkError(f"the link names no known page ({link.page[:40]!r})")
            page = link.page
        except LinkError as exc:
            sc, relax, page, pick, reference = default, 0.0, None, catalogue.DEFAULT_ID, default
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
    ss[_INIT] = True


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
    """The scenarios on offer (:func:`core.catalogue.shipped`), by id, read once per session."""
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


def scenario_json() -> str:
    """Canonical JSON of :func:`current_scenario` (the cache key), computed once per scenario."""
    ss, sc = _ss(), current_scenario()
    memo = ss.get(_JSON)
    if memo is None or memo[0] is not sc:
        memo = (sc, sc.to_json())
        ss[_JSON] = memo
    return memo[1]


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
    sc = catalogue.load(ss[_CATALOGUE], new_id)
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
        new = update_scenario(current_scenario(), changes)
    except ScenarioError as exc:
        add_message("error", f"That edit was not applied: {exc}. The last valid scenario is kept.")
        reset_widgets()
        return False
    ss[_SC] = new
    if reset:
        reset_widgets()
    return True


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


def current_inputs() -> ModelInputs:
    """Model inputs of the current scenario with every budget raised by :func:`relax_ms`."""
    ss = _ss()
    key = (scenario_json(), relax_ms())
    memo = ss.get(_INPUTS)
    if memo is None or memo[0] != key:
        memo = (key, relaxed_inputs(current_scenario(), relax_ms()))
        ss[_INPUTS] = memo
    return memo[1]


def analysis() -> Analysis:
    """This session's compiled model (rebuilt only when node or workload ids change)."""
    ss, sc = _ss(), current_scenario()
    an = ss.get(_AN)
    if an is None or not an.fits(sc):
        an = Analysis(sc)
        ss[_AN] = an
    return an


def model_is_ready() -> bool:
    """Whether the compiled model fits the current scenario (False after a switch of scenario or an
    upload with other regions: then :func:`prepare` builds it)."""
    an = _ss().get(_AN)
    return an is not None and an.fits(current_scenario())


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

@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _solution(sc_json: str, relax: float, _an: Analysis, _inp: ModelInputs) -> Solution:
    return _an.solve(_inp)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _local(inputs_key: str, _an: Analysis, _inp: ModelInputs) -> Solution:
    return _an.local(_inp)   # every budget 0 ms: the same for any budgets (inputs_key leaves them out)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _headline(sc_json: str, relax: float, _an: Analysis, _inp: ModelInputs) -> dict:
    return _an.headline(_inp, _solution(sc_json, relax, _an, _inp), _local(inputs_key(), _an, _inp))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _frontier(sc_json: str, relax: float, workload, budgets, _an: Analysis, _inp: ModelInputs,
              _progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    df = _an.frontier(_inp, None if budgets is None else list(budgets), workload, progress=_progress)
    if budgets is None:
        _EXACT_READY[_ready_key(sc_json, relax, workload)] = None
        while len(_EXACT_READY) > 4 * CACHE_ENTRIES:
            _EXACT_READY.pop(next(iter(_EXACT_READY)))
    return df


_EXACT_READY: dict[tuple, None] = {}
"""The :func:`_ready_key` of the exact frontiers computed in this process, oldest first: what
:func:`exact_frontier_ready` reads (``st.cache_data`` cannot be asked without computing)."""


def _ready_key(sc_json: str, relax: float, workload: str | None) -> tuple:
    return hashlib.blake2b(sc_json.encode(), digest_size=16).hexdigest(), relax, workload


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


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
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
    return _breakpoints(inputs_key(), workload, legal, current_inputs())


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _waterfall(sc_json: str, relax: float, _an: Analysis, _inp: ModelInputs) -> pd.DataFrame:
    return _an.waterfall(_inp)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _layers(sc_json: str, relax: float, _an: Analysis, _inp: ModelInputs) -> pd.DataFrame:
    return _an.layers(_inp, _solution(sc_json, relax, _an, _inp))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _break_even(sc_json: str, relax: float, workload: str, _inp: ModelInputs) -> pd.DataFrame:
    return break_even(_inp, workload)


def _args():
    return scenario_json(), relax_ms(), analysis(), current_inputs()


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
    key = (scenario_json(), relax_ms())
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


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _binding_frictions(sc_json: str, relax: float, _an: Analysis, _inp: ModelInputs, _base: Solution) -> pd.DataFrame:
    return binding_frictions(_an.sweeper, _inp, _base)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _latency_value(sc_json: str, relax: float, step_ms: float, _an: Analysis, _inp: ModelInputs,
                   _base: Solution) -> pd.DataFrame:
    return latency_value(_an.sweeper, _inp, step_ms, _base)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _data_basis(sc_json: str, default_json: str, sources_path: str, _sc: Scenario, _default: Scenario,
                _sources: pd.DataFrame) -> pd.DataFrame:
    return data_basis(_sc, _default, _sources)


def full_regions_df() -> pd.DataFrame:
    """Regions at capacity with their capacity shadow prices (:func:`core.binding.full_regions`)."""
    return full_regions(solution())


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


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _maps(sc_json: str, relax: float, colour_by: str, shown: tuple, widths_px: tuple, _sc: Scenario,
          _sol: Solution) -> tuple[list, str]:
    decks, text = worldmap.map_decks(_sc, _sol, world_geojson(), colour_by, widths_px, workloads=list(shown))
    return [(SerializedDeck(deck.to_json(), deck._tooltip if isinstance(deck._tooltip, dict) else None), height)
            for deck, height in decks], text


def maps(colour_by: str, shown: Iterable[str], widths_px: Iterable[float]) -> tuple[list, str]:
    """The Explorer's world maps, one (:class:`SerializedDeck`, height px) per map width [px], and
    their plain-language description; built once per result and choice of colouring and classes
    (tab switches and other reruns reuse them)."""
    return _maps(scenario_json(), relax_ms(), colour_by, tuple(shown), tuple(float(w) for w in widths_px),
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
    if memo is None or memo[0] is not default:      # its JSON once per picked scenario, not per rerun
        memo = (default, default.to_json())
        ss[_DEFAULT_JSON] = memo
    path = str(scenario_catalogue()[scenario_id()].sources)
    return _data_basis(scenario_json(), memo[1], path, current_scenario(), default, sources_table())


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
    return scenario_json(), relax_ms()


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
    return _break_even(scenario_json(), relax_ms(), workload, current_inputs())


# --- the link ----------------------------------------------------------------------------------

def pending_link_page() -> str | None:
    """The url path of the page a just-opened link asked for (once), else None."""
    ss = _ss()
    page, ss[_LINK_PAGE] = ss.get(_LINK_PAGE), None
    return page or None


def link_state(page: str | None = None) -> str:
    """The ``?s=`` value of the current state (raises :class:`core.share.LinkError` when too big)."""
    ss = _ss()
    changes = scenario_changes(ss[_DEFAULT], current_scenario())
    return encode_state(ShareState(scenario=ss[_PICK], changes=changes, relax_ms=relax_ms(),
                                   page=page_key(page or ss[_PAGE])))


def sync_link(page: str) -> None:
    """Write the state into the address bar (``st.query_params["s"]``) for ``page`` (url path).

    When the state is too big for a link, the URL is left without it and :func:`link_note`
    says why.
    """
    ss = _ss()
    ss[_PAGE] = page_key(page)
    try:
        text = link_state(page)
    except LinkError as exc:
        ss[_NOTE] = (f"This state is too big for a link ({exc}). Download the scenario on the "
                     "Data page and share the file instead.")
        ss[_LINK] = None
        if "s" in st.query_params:
            del st.query_params["s"]
        return
    ss[_NOTE] = None
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
