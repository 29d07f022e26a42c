"""The engine of the Energy–Latency Frontier Explorer (never imports streamlit)."""
import logging


def _not_glop_probe(record: logging.LogRecord) -> bool:
    """cvxpy probes every solver it knows at import and warns that its GLOP and PDLP interfaces
    do not know ortools 9.15 (pinned in pyproject.toml for its HiGHS); the project uses neither."""
    text = record.getMessage()
    return not ("importing solver" in text and "ortools" in text)


logging.getLogger("__cvxpy__").addFilter(_not_glop_probe)   # before any import of cvxpy
