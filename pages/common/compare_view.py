"""The headline deltas of two scenarios (:func:`core.compare.headline_deltas`) in the app's units
and formats, for the Compare page and the Presentation (one number reads the same in both)."""
from __future__ import annotations

import pandas as pd

from pages.common.theme import fmt_mw, fmt_pct, fmt_pp, fmt_signed, fmt_t, fmt_usd

FORMATS = {"usd": fmt_usd, "t": fmt_t, "share": fmt_pct, "mw": fmt_mw}
"""How a value of each unit of :data:`core.compare.HEADLINE_ROWS` is written."""
CHANGE_FORMATS = {"usd": fmt_usd, "t": fmt_t, "share": fmt_pp, "mw": fmt_mw}
"""How a change B − A of each unit is written (with its sign, :func:`change_text`)."""
DELTA_HEADER = ("Quantity", "A", "B", "B − A", "B against A")


def unit_words(unit: str, period: str) -> str:
    """The unit of a headline row in words: "$ per year", "tCO2 per year", "% of demand", "MW"."""
    return {"usd": f"$ {period}", "t": f"tCO2 {period}", "share": "% of demand", "mw": "MW"}[unit]


def change_text(row) -> str:
    """B − A of a :func:`core.compare.headline_deltas` row with its sign ("—" when the same)."""
    return "—" if row.direction == "same" else fmt_signed(CHANGE_FORMATS[row.unit], row.change)


def delta_rows(deltas: pd.DataFrame, period: str) -> list[tuple[str, str, str, str, str]]:
    """Each row of ``deltas`` as text, in the columns of :data:`DELTA_HEADER`."""
    return [(f"{r.label} ({unit_words(r.unit, period)})", FORMATS[r.unit](r.a), FORMATS[r.unit](r.b), change_text(r),
             "the same" if r.direction == "same" else r.direction) for r in deltas.itertuples()]
