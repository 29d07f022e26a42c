"""Sentences from :mod:`core.narrative` on a page: escaped so that "$" is not read as LaTeX
and names from an uploaded scenario are not read as HTML or Markdown."""
from __future__ import annotations

import html

import streamlit as st

from pages.common.theme import CAPTION_COLOUR

_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~$"})


def escape(text: str) -> str:
    """``text`` with Markdown's special characters (and "$", which starts LaTeX) escaped."""
    return str(text).translate(_MARKDOWN)


def sentence(text: str, *, big: bool = False, muted: bool = False) -> None:
    """Write one or two plain sentences; ``big`` for the presentation view, ``muted`` in the
    caption colour (≥ 4.5:1 on both backgrounds)."""
    if not big and not muted:
        st.markdown(escape(text))
        return
    style = "font-size:1.35rem;line-height:1.45;margin:0 0 0.6rem 0;" if big else ""
    style += f"color:{CAPTION_COLOUR};" if muted else ""
    safe = html.escape(str(text)).replace("$", "&#36;")
    st.markdown(f"<p style='{style}'>{safe}</p>", unsafe_allow_html=True)


SOURCE = ("Computed by the placement model from the scenario's data (sources on the Data page); "
          "definitions on the Model reference page.")
"""Where a page's numbers come from, in words for analysts (no module or file names)."""
