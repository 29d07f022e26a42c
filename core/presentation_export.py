"""The presentation view as ONE self-contained HTML file: big numbers, sentences and charts,
with plotly.js inlined once (no CDN, no external URL to load), readable offline at 1280×720.

Pure: takes figures, numbers and sentences already computed, returns an HTML string.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Sequence

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}


@dataclass(frozen=True)
class BigNumber:
    """One headline figure: a label with its unit, the formatted value, a short note."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Slide:
    """A chart with its heading and the plain sentence that says what it shows."""

    heading: str
    sentence: str
    figure: go.Figure | None = None


@dataclass(frozen=True)
class Presentation:
    title: str
    subtitle: str
    numbers: Sequence[BigNumber]
    sentences: Sequence[str]
    slides: Sequence[Slide]
    footnotes: Sequence[str] = field(default_factory=tuple)


_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:"Source Sans Pro","Helvetica Neue",Arial,sans-serif;color:#262730;background:#fff}
main{max-width:1240px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:40px;margin:0 0 6px;line-height:1.15}
.subtitle{font-size:20px;color:#555;margin:0 0 24px}
.numbers{display:flex;gap:18px;flex-wrap:wrap;margin:0 0 22px}
.number{flex:1 1 220px;border-left:6px solid #0072B2;background:#F5F8FB;padding:14px 18px}
.number .label{font-size:17px;color:#444}
.number .value{font-size:42px;font-weight:700;line-height:1.15;margin:4px 0}
.number .note{font-size:15px;color:#666}
.lead{font-size:22px;line-height:1.45;margin:0 0 10px}
section{margin:30px 0 0;page-break-inside:avoid}
h2{font-size:28px;margin:0 0 6px}
section p{font-size:20px;line-height:1.4;margin:0 0 8px}
footer{margin-top:32px;font-size:14px;color:#666;border-top:1px solid #ddd;padding-top:10px}
"""


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def figure_div(fig: go.Figure, div_id: str) -> str:
    """A figure as an HTML fragment that uses the page's single inlined plotly.js."""
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, include_mathjax=False,
                       config=PLOT_CONFIG, div_id=div_id, default_width="100%")


def presentation_html(p: Presentation) -> str:
    """The whole presentation as one HTML document (UTF-8 text), plotly.js inlined once."""
    numbers = "".join(
        f'<div class="number"><div class="label">{_esc(n.label)}</div><div class="value">{_esc(n.value)}</div>'
        f'<div class="note">{_esc(n.note)}</div></div>' for n in p.numbers)
    sentences = "".join(f'<p class="lead">{_esc(s)}</p>' for s in p.sentences)
    slides = []
    for i, s in enumerate(p.slides):
        chart = figure_div(s.figure, f"chart-{i}") if s.figure is not None else ""
        slides.append(f"<section><h2>{_esc(s.heading)}</h2><p>{_esc(s.sentence)}</p>{chart}</section>")
    foot = "".join(f"<div>{_esc(f)}</div>" for f in p.footnotes)
    plotly_js = get_plotlyjs().replace("</script", "<\\/script")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_esc(p.title)}</title><style>{_CSS}</style>"
        f"<script type=\"text/javascript\">{plotly_js}</script></head>"
        f"<body><main><h1>{_esc(p.title)}</h1><p class=\"subtitle\">{_esc(p.subtitle)}</p>"
        f"<div class=\"numbers\">{numbers}</div>{sentences}{''.join(slides)}"
        f"<footer>{foot}</footer></main></body></html>\n")


_EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def external_references(document: str) -> list[str]:
    """Tags of ``document`` that would load something from the network (should be none)."""
    return [m.group(0) for m in _EXTERNAL.finditer(document)]
