"""The one Streamlit internal the app relies on, checked so that an upgrade fails here, by name.

``pages.common.state._leave_pages_directory_mode`` reads and clears
``streamlit.runtime.pages_manager.PagesManager.uses_pages_directory``: while a ``pages/`` folder
sits beside app.py, a fresh server process starts in Streamlit's old multipage mode, so a deep
link such as ``/frontier`` opened first runs ``pages/frontier.py`` alone. The app clears the flag
and reruns, so app.py (session set-up, sidebar, router) runs the page. Every fresh process meets
this (each worker of ``make serve``, each restart). Checked here against a real fresh server: the
flag exists, the first run of a deep link starts in that mode and reruns (status 2), and the run
after it is app.py's navigation, with the link's page and the app's sidebar.

When this fails after a Streamlit upgrade, read the message: either the attribute moved (update
state.py) or the old mode no longer starts (drop the workaround and this test). Renaming the
``pages/`` folder (e.g. ``app_pages/``) is the public way out of that mode altogether.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import streamlit_server

ROOT = Path(__file__).resolve().parents[1]
APP_PAGES = next(ast.literal_eval(node.value) for node in ast.parse((ROOT / "app.py").read_text(encoding="utf-8")).body
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "PAGES")
"""app.py's (file, title, icon) of every page, read from its source (importing it would run it)."""
INTERNAL = "streamlit.runtime.pages_manager.PagesManager.uses_pages_directory"
RELIED_ON_BY = "pages/common/state.py (_leave_pages_directory_mode)"
FINISHED, FINISHED_FOR_RERUN = 0, 2                     # ForwardMsg.script_finished statuses
SIDEBAR = 1                                             # the root container of delta_path[0]


def test_the_internal_exists():
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError as exc:
        pytest.fail(f"Streamlit internal moved: {INTERNAL} (relied on by {RELIED_ON_BY}): {exc}")
    assert "uses_pages_directory" in vars(PagesManager), (
        f"Streamlit internal gone: {INTERNAL} (relied on by {RELIED_ON_BY})")


def test_a_fresh_process_sets_it_from_the_pages_folder():
    """In a new interpreter the flag is unset until the first session's PagesManager, which sets it
    because ``pages/`` sits beside app.py."""
    code = ("from streamlit.runtime.pages_manager import PagesManager as P\n"
            "before = P.uses_pages_directory\n"
            f"P({str(ROOT / 'app.py')!r})\n"
            "print(before, P.uses_pages_directory)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["None", "True"], (
        f"{INTERNAL} no longer behaves as {RELIED_ON_BY} expects (unset, then True with a pages/ folder): "
        f"got {out.stdout.strip()!r}")


def test_a_deep_link_on_a_fresh_server_runs_through_app_py(tmp_path):
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    with streamlit_server(tmp_path / "server.log") as (base, _, _):
        with connect(base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                     origin=base, max_size=2**26, open_timeout=60, proxy=None) as ws:
            bm = BackMsg()
            bm.rerun_script.page_name = "frontier"        # the first request of this process
            ws.send(bm.SerializeToString())
            statuses, navigation, elements = [], None, []
            while not statuses or statuses[-1] != FINISHED:
                fm = ForwardMsg.FromString(ws.recv(timeout=120))
                kind = fm.WhichOneof("type")
                if kind == "script_finished":
                    statuses.append(fm.script_finished)
                elif kind == "navigation":
                    navigation, elements = fm.navigation, []    # a new run's navigation
                elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    elements.append((list(fm.metadata.delta_path)[:1], fm.delta.new_element))
                assert len(statuses) < 5, f"no finished run: {statuses}"
    assert statuses == [FINISHED_FOR_RERUN, FINISHED], (
        f"a deep link on a fresh server no longer starts in the pages-directory mode and reruns "
        f"(run statuses {statuses}): {INTERNAL}, relied on by {RELIED_ON_BY}, may have changed; "
        f"if the mode is gone, remove the workaround and this test")
    titles = [p.page_name for p in navigation.app_pages if not p.is_hidden]
    assert titles == [title for _, title, _ in APP_PAGES], (
        f"the run after the rerun is not app.py's navigation (pages {titles}): {INTERNAL} no longer "
        f"switches the mode off for {RELIED_ON_BY}")
    current = [p.page_name for p in navigation.app_pages if p.page_script_hash == navigation.page_script_hash]
    assert current == ["Frontier"]
    assert not [e for _, e in elements if e.WhichOneof("type") == "exception"]
    sidebar_sliders = [e for root, e in elements if root == [SIDEBAR] and e.WhichOneof("type") == "slider"]
    assert sidebar_sliders, "no slider in the sidebar: app.py's sidebar did not run"


def test_the_cached_replay_flag_the_progress_bar_sets_exists():
    """pages/common/state.py's progress_bar clears Streamlit's ``in_cached_function`` context
    variable around each update, so that a bar moved from inside a cached frontier is not
    replayed from the cache on later runs. If this internal moves, that function must change."""
    import contextvars

    from streamlit.runtime.caching import cached_message_replay

    flag = getattr(cached_message_replay, "in_cached_function", None)
    assert isinstance(flag, contextvars.ContextVar), (
        "streamlit.runtime.caching.cached_message_replay.in_cached_function is gone or changed: "
        "update pages/common/state.py progress_bar")
