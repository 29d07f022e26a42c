"""Helpers of the AppTest tests (streamlit.testing.v1): the app's entry point, a scenario served
through ``ELF_SCENARIO``, opening the app (from a ``?s=`` link, on a page), Streamlit's navigation
mode kept as a served app keeps it, the files download buttons hand over, and the page's text."""
from __future__ import annotations

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@contextmanager
def cleared_caches() -> Iterator[None]:
    """Streamlit's caches (``st.cache_data``, and ``st.cache_resource``: the results and the
    compiled models) cleared on entry and on exit, so no page's cached values leak between tests."""
    _clear()
    try:
        yield
    finally:
        _clear()


def _clear() -> None:
    from pages.common import state
    st.cache_data.clear()
    st.cache_resource.clear()
    state.MODELS.clear()
    state._EXACT_READY.clear()
    state._TIME_READY.clear()


@contextmanager
def served_scenario(tmp_path: Path, monkeypatch, scenario: dict, name: str) -> Iterator[Path]:
    """``scenario`` written to ``tmp_path / name`` and served through ``ELF_SCENARIO``, with the
    caches cleared before and after; yields the file's path. Use it in a fixture or a test:
    ``with served_scenario(tmp_path, monkeypatch, SMALL, "small.json"): ...``."""
    path = tmp_path / name
    path.write_text(json.dumps(scenario))
    monkeypatch.setenv("ELF_SCENARIO", str(path))
    with cleared_caches():
        yield path


@contextmanager
def served_default(monkeypatch) -> Iterator[None]:
    """The default scenario served (``ELF_SCENARIO`` unset), with the caches cleared before and after."""
    monkeypatch.delenv("ELF_SCENARIO", raising=False)
    with cleared_caches():
        yield


class _NavigationPages(PagesManager):
    """AppTest resets Streamlit's "pages/ folder" mode before every run, so every rerun would
    execute the page file alone (see pages.common.state._leave_pages_directory_mode). A served
    app leaves that mode for good on its first st.navigation; this makes AppTest do the same."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


def keep_navigation_mode(monkeypatch) -> None:
    """Make every AppTest of the test leave the "pages/ folder" mode for good, as a served app does."""
    monkeypatch.setattr(app_test_module, "PagesManager", _NavigationPages)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def open_app(*, link: str | None = None, page: str | None = None, timeout: float = 120) -> AppTest:
    """The app run from app.py (``timeout`` s per run), opened from ``link`` (a ``?s=`` value) if
    given, then switched to ``pages/{page}.py`` if given; no exception on the way."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if link is not None:
        at.query_params["s"] = link
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    no_exception(at)
    return at


def capture_downloads(monkeypatch, suffix: str = "") -> dict[str, bytes]:
    """Every file a download button hands to the browser whose name ends with ``suffix``, by file
    name; the dict fills as the app runs."""
    saved: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if filename and filename.endswith(suffix):
            saved[filename] = path_or_data if isinstance(path_or_data, bytes) else str(path_or_data).encode()
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return saved


def by_key(elements, suffix: str):
    """The widget whose key ends with ``suffix`` (scenario widgets carry a revision prefix)."""
    found = [e for e in elements if e.key and e.key.endswith(suffix)]
    assert len(found) == 1, [e.key for e in elements]
    return found[0]


def page_text(at: AppTest) -> str:
    """The page's markdown and the chart descriptions (visually hidden html), unescaped."""
    return "\n".join([m.value for m in at.markdown] + [html.unescape(h.proto.body) for h in at.get("html")])
