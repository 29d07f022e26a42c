"""Energy–Latency Frontier Explorer: the router and the shared sidebar.

Every page reads the session's scenario from :mod:`pages.common.state`, calls :mod:`core`, and
draws. Run with ``python app.py [streamlit options]`` (what ``make run`` does): it imports the
engine (cvxpy, scipy: about 1.5 s) once in the server process before the first visitor, then
serves this script as ``streamlit run app.py`` would, which works too.
"""
import sys
from pathlib import Path

import streamlit as st

if __name__ == "__main__" and not st.runtime.exists():
    import core.analysis  # noqa: F401  (warm import for the first session)
    from streamlit.web.cli import main

    sys.argv = ["streamlit", "run", __file__, *sys.argv[1:]]
    sys.exit(main())

ICON = Path(__file__).parent / "assets" / "icon.png"   # served by Streamlit: no icon CDN offline
st.set_page_config(page_title="Energy–Latency Frontier Explorer", page_icon=str(ICON), layout="wide")

from core.model import SolveError  # noqa: E402
from core.scenario import ScenarioError  # noqa: E402
from core.share import LinkError  # noqa: E402
from pages.common import sidebar, state, theme  # noqa: E402

# Each page's url path is its file's stem: while a ``pages/`` folder sits beside app.py, a fresh
# server maps a deep link such as /break_even to pages/break_even.py before st.navigation has
# run once (see pages.common.state._leave_pages_directory_mode), so the two must agree.
PAGES = [  # file, title, icon
    ("pages/explorer.py", "Explorer", ":material/public:"),
    ("pages/time.py", "Time", ":material/schedule:"),
    ("pages/frontier.py", "Frontier", ":material/show_chart:"),
    ("pages/robustness.py", "Robustness", ":material/ssid_chart:"),
    ("pages/layers.py", "Execution layers", ":material/stacked_bar_chart:"),
    ("pages/break_even.py", "Break-even", ":material/balance:"),
    ("pages/frictions.py", "Frictions", ":material/waterfall_chart:"),
    ("pages/compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/data.py", "Data", ":material/table:"),
    ("pages/physical.py", "Digital vs physical", ":material/cable:"),
    ("pages/presentation.py", "Presentation", ":material/slideshow:"),
    ("pages/model.py", "Model reference", ":material/menu_book:"),
]
assert tuple(Path(p[0]).stem for p in PAGES) == state.PAGES
# pages that solve the single-period model: on a time scenario they say so (pages/time.py has the hourly one)
ANNUAL_MODEL_PAGES = ("frontier", "layers", "break_even", "frictions", "compare", "physical", "presentation")

try:
    state.init_session()
except ScenarioError as exc:
    st.error(f"The default scenario could not be read: {exc}")
    st.stop()


def _page(path: str, title: str, icon: str) -> st.Page:
    stem = Path(path).stem
    if stem == state.DEFAULT_PAGE:  # served at the root; "home" only reserves a name
        return st.Page(path, title=title, icon=icon, url_path="home", default=True)
    return st.Page(path, title=title, icon=icon, url_path=stem)


pages = {Path(path).stem: _page(path, title, icon) for path, title, icon in PAGES}
# Streamlit routes only the root URL to the default page, so the Explorer is also a hidden page
# at /explorer: a typed deep link, or a link that names the page, lands there without
# "Page not found".
explorer_alias = st.Page(PAGES[0][0], title=PAGES[0][1], url_path=state.DEFAULT_PAGE, visibility="hidden")
pg = st.navigation([*pages.values(), explorer_alias], position="sidebar")
current = pg.url_path or state.DEFAULT_PAGE

target = state.pending_link_page()          # a link opened at the root that names another page
if target and target != current and current == state.DEFAULT_PAGE:
    st.switch_page(pages[target])

state.sync_link(current)
theme.inject_css()
theme.skip_to_controls()
sidebar.render()
state.show_messages()
if state.current_scenario().time is not None and current in ANNUAL_MODEL_PAGES:
    st.caption("This scenario has a time block: this page shows the annual-average model (one period at each "
               "region's annual values). The hourly model is on the Time page.")
try:
    pg.run()
except (ScenarioError, LinkError, SolveError) as exc:
    st.error(f"This page could not be computed: {exc}")
