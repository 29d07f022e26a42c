"""Issue 8 §1: sessions share the server's compiled models and results; a session keeps no model.

Two AppTest sessions of the same scenario stand for two viewers of one server process."""
from __future__ import annotations

import pytest

from app_support import by_key, keep_navigation_mode, no_exception, open_app, served_default
from core.analysis import Analysis
from pages.common import state


@pytest.fixture(autouse=True)
def _navigation_mode(monkeypatch):
    keep_navigation_mode(monkeypatch)


def _values(at):
    return [at.session_state[k] for k in at.session_state]


def test_two_sessions_share_one_compiled_model_and_the_cached_results(monkeypatch):
    with served_default(monkeypatch):
        before = state.MODELS.builds          # a counter over the process's life; the pool itself is empty now
        first = open_app()
        builds = state.MODELS.builds
        assert builds - before >= 1 and len(state.MODELS) == builds - before
        second = open_app()
        no_exception(second)
        # the second viewer's run was served from the shared caches: no model compiled, none checked out
        assert state.MODELS.builds == builds
        assert [m.value for m in first.metric] == [m.value for m in second.metric]
        for at in (first, second):
            values = _values(at)
            assert any(isinstance(v, state.Scenario) for v in values)     # the session's own state is there…
            assert not any(isinstance(v, (Analysis, state.PooledAnalysis)) for v in values)   # …but no model


def test_a_change_in_one_session_solves_on_a_pooled_model_and_leaves_the_other_as_it_was(monkeypatch):
    with served_default(monkeypatch):
        first, second = open_app(), open_app()
        before = [m.value for m in second.metric]
        toggle = by_key(first.toggle, "friction_egress")
        toggle.set_value(not toggle.value)
        first.run()
        no_exception(first)
        assert [m.value for m in first.metric] != before        # a new result for the first viewer…
        second.run()
        assert [m.value for m in second.metric] == before       # …and the second one's unchanged
        assert len(state.MODELS) == 1                           # one structure: one model, reused
