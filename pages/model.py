"""Model reference: the project's definitions (docs/model.md), rendered in the app."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

MODEL_DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"

try:
    text = MODEL_DOC.read_text(encoding="utf-8")
except OSError:
    st.error("The Model reference (docs/model.md) is missing from this installation.")
else:
    st.markdown(text)
