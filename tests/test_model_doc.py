"""docs/model.md, the model reference, kept in step with the code: every scenario field (with its
default), every command and option, every key of the commands' JSON, the worked example's
numbers, the README's link, no pointer to a file the repository does not ship, Markdown that
st.markdown renders as written, and the Model reference page."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from streamlit.testing.v1 import AppTest

from core import cli
from core.scenario import (Demand, Frictions, LatencyModel, Node, Objective, Prices, Scenario,
                           ScenarioError, Workload, default_scenario, loads_scenario,
                           parse_scenario, update_scenario)

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "model.md"
TEXT = DOC.read_text(encoding="utf-8")
# the doc's fenced blocks removed, then its code spans: what is left is read as Markdown prose
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
SPAN = re.compile(r"`([^`\n]+)`")
PROSE = SPAN.sub("", FENCED.sub("", TEXT))
SPANS = set(SPAN.findall(FENCED.sub("", TEXT)))

# the worked example of section 11, as a scenario file
EXAMPLE = {
    "schema_version": 1, "name": "worked example", "period_hours": 10,
    "nodes": [
        {"id": "home", "lat": 0, "lon": 0, "price_usd_per_mwh": 100, "carbon_avg_g_per_kwh": 300,
         "carbon_marginal_g_per_kwh": 600, "pue": 1.0, "capacity_mw": 1000},
        {"id": "away", "lat": 0, "lon": 1, "price_usd_per_mwh": 50, "carbon_avg_g_per_kwh": 200,
         "carbon_marginal_g_per_kwh": 300, "pue": 1.0, "capacity_mw": 1000}],
    "workloads": [{"id": "w", "latency_budget_ms": 50, "gb_per_mwh": 40}],
    "demand": [{"node": "home", "workload": "w", "mw": 10}],
    "rtt_ms": {"home": {"away": 20}},
}


def named(word: str) -> bool:
    """``word`` is named in a code span of the doc, alone or as a part of a dotted path."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
    return any(pattern.search(span) for span in SPANS)


def run_cli(capsys, *args: str) -> dict:
    assert cli.main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def example_file(tmp_path) -> str:
    path = tmp_path / "example.json"
    path.write_text(json.dumps(EXAMPLE))
    return str(path)


def keys_of_rows(rows: list[dict]) -> set[str]:
    return {key for row in rows for key in row}


# --- scenario fields -------------------------------------------------------------------------

BLOCKS = {"latency_model": LatencyModel, "frictions": Frictions, "prices": Prices, "objective": Objective}


def field_table(heading: str) -> dict[str, list[str]]:
    """Rows of the table under ``### heading``: first cell's code span -> the other cells."""
    section = TEXT.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 3:
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def documented_default(value) -> str | None:
    """How the doc's tables write a scalar default; None for a block or a list."""
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return None


def expected_rows():
    """(table heading, row name, pydantic field) for every field of every scenario model."""
    models = [("Top level", Scenario, ""), ("`nodes[]`", Node, ""), ("`workloads[]`", Workload, ""),
              ("`demand[]`", Demand, "")]
    models += [("`latency_model`, `frictions`, `prices`, `objective`", m, f"{b}.") for b, m in BLOCKS.items()]
    for heading, model, prefix in models:
        for name, info in model.model_fields.items():
            yield heading, prefix + name, info


@pytest.mark.parametrize("model", [Scenario, Node, Workload, Demand, Frictions, Prices, Objective, LatencyModel],
                         ids=lambda m: m.__name__)
def test_every_scenario_field_is_named(model: type[BaseModel]):
    missing = [f for f in model.model_fields if not named(f)]
    assert not missing, f"docs/model.md does not name {model.__name__} fields {missing}"


def test_every_field_has_a_table_row_with_its_default():
    wrong = []
    for heading, row, info in expected_rows():
        table = field_table(heading)
        if row not in table:
            wrong.append(f"{heading}: no row for {row}")
            continue
        default = info.default if info.default_factory is None else info.default_factory()
        want = documented_default(default)
        got = table[row][1].replace(",", "")
        if want is not None and got != want:
            wrong.append(f"{row}: default {got!r} in the doc, {want!r} in core/scenario.py")
    assert not wrong, "; ".join(wrong)


def test_scenario_example_in_the_doc_is_valid():
    block = re.search(r"^## 12\. Scenario file.*?^```json\n(.*?)^```", TEXT, re.M | re.S).group(1)
    data = json.loads(block)
    # the doc says its rtt_ms row names de-fra, which the file would also need as a node
    data["nodes"].append({**data["nodes"][0], "id": "de-fra"})
    sc = parse_scenario(data)
    assert sc.workloads[0].state_pinned_share == 0.2 and sc.prices.unserved_usd_per_mwh == 10000


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as err:
        loads_scenario(text)
    return str(err.value)


def test_the_error_examples_are_the_real_messages():
    sc = default_scenario()
    with pytest.raises(ScenarioError) as err:
        update_scenario(sc, {f"nodes.{sc.nodes[3].id}.pue": 0.9})
    pue = str(err.value)
    example = json.dumps(EXAMPLE)
    messages = [
        pue,
        error_of(json.dumps({**EXAMPLE, "demand": [{"node": "xx", "workload": "w", "mw": 1}]})),
        error_of(example.replace('"away": 20', '"away": 20, "away": 99')),
        error_of('{"name": "a", "name": "b", ' + example[1:]),
        error_of(json.dumps({**EXAMPLE, "time": {}})),
    ]
    for message in messages:
        assert f"`{message}`" in TEXT, message
    assert f"`error: {pue}`" in (ROOT / "README.md").read_text(encoding="utf-8")


# --- command line ----------------------------------------------------------------------------

def subcommands() -> dict:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices


def test_every_cli_subcommand_and_option_is_named():
    for name, parser in subcommands().items():
        assert f"python -m core {name}" in TEXT
        assert f"### `{name}`" in TEXT, f"no section for the {name} command"
        for action in parser._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in TEXT, f"{name} {flag} is not in docs/model.md"
            for choice in action.choices or ():
                assert named(choice), f"{name} {action.option_strings}: choice {choice!r} is not named"


def test_every_key_of_solve_output_is_named(capsys, example_file):
    out = run_cli(capsys, "solve", "--detail", example_file)
    keys = set(out) | keys_of_rows(out["placement"]) | keys_of_rows(out["load"]) | keys_of_rows(out["demand"])
    missing = sorted(k for k in keys if not named(k))
    assert not missing, f"solve keys not in docs/model.md: {missing}"


def test_every_key_of_frontier_and_metrics_output_is_named(capsys, example_file):
    frontier = run_cli(capsys, "frontier", example_file)
    metrics = run_cli(capsys, "metrics", example_file)
    keys = set(frontier) | keys_of_rows(frontier["points"]) | set(metrics)
    for block in ("savings",):
        keys |= set(metrics[block])
    for block in ("execution_layers", "friction_waterfall"):
        keys |= keys_of_rows(metrics[block])
    keys |= keys_of_rows(metrics["shadow_prices"]["capacity"]) | keys_of_rows(metrics["shadow_prices"]["demand"])
    keys |= keys_of_rows(metrics["break_even"]["w"]) | keys_of_rows(metrics["digital_vs_physical"]["corridors"])
    missing = sorted(k for k in keys if not named(k))
    assert not missing, f"frontier/metrics keys not in docs/model.md: {missing}"


def test_worked_example_numbers(capsys, example_file):
    # By hand: relocating costs 50 + 40·0.02 = 50.8 $/MWh < 100 at home and 20 ms ≤ 50 ms, so all
    # 10 MW move: C = 10 h·10 MW·50.8 = 5080 $; local 10·10·100 = 10000 $; savings 4920 $.
    # Marginal: 100 MWh·0.3 = 30 t (home 60 t); average 100·0.2 = 20 t (home 30 t).
    # Break-even egress (100 − 50)/40 = 1.25 $/GB; ERoL at 20 ms 4920/20 = 246 $/ms, 2.46 per MWh;
    # CRoL 30/20 = 1.5 t/ms. Demand dual: 50.8 $/MWh·10 h = 508 $/MW.
    solve = run_cli(capsys, "solve", "--detail", example_file)
    assert solve["cost_usd"] == pytest.approx(5080.0)
    assert (solve["emissions_marginal_t"], solve["emissions_avg_t"]) == (pytest.approx(30.0), pytest.approx(20.0))
    assert solve["demand"][0]["marginal_cost_usd_per_mw"] == pytest.approx(508.0)
    points = run_cli(capsys, "frontier", example_file)["points"]
    assert [p["budget_ms"] for p in points] == [0.0, 20.0]
    assert points[1]["savings_usd"] == pytest.approx(4920.0)
    assert points[1]["erol_marginal_usd_per_ms"] == pytest.approx(246.0)
    assert points[1]["erol_avg_usd_per_ms"] == pytest.approx(246.0)
    assert points[1]["erol_avg_usd_per_ms_per_mwh"] == pytest.approx(2.46)
    assert points[1]["crol_avg_t_per_ms"] == pytest.approx(1.5)
    assert points[1]["carbon_savings_avg_t"] == pytest.approx(10.0)
    metrics = run_cli(capsys, "metrics", example_file)
    pair = next(r for r in metrics["break_even"]["w"] if r["service"] == "home")
    assert pair["break_even_egress_usd_per_gb"] == pytest.approx(1.25)
    steps = {r["step"]: r["change_usd"] for r in metrics["friction_waterfall"]}
    assert metrics["friction_waterfall"][0]["savings_usd"] == pytest.approx(5000.0)
    assert steps["egress"] == pytest.approx(-80.0)
    assert metrics["rid"] == 1.0 and metrics["realized_relocation"] == pytest.approx(1.0)
    # the Shadow prices bullet: one more MW of demand at home runs away at 50.8 $/MWh for 10 h
    assert metrics["shadow_prices"]["demand"][0]["marginal_cost_usd_per_mw"] == pytest.approx(508.0)
    example = TEXT.split("## 11. A worked example", 1)[1].split("\n## ", 1)[0]
    for number in ("50.8", "5,080", "10,000", "4,920", "1.25", "246", "2.46", "1.5", "5,000", "80", "508"):
        assert number in example


def test_metrics_waterfall_follows_the_full_order(capsys, tmp_path):
    """The doc: `metrics` switches all five frictions on in turn, whatever the file says."""
    path = tmp_path / "off.json"
    path.write_text(json.dumps({**EXAMPLE, "frictions": {"egress": False, "capacity": False}}))
    steps = [r["step"] for r in run_cli(capsys, "metrics", str(path))["friction_waterfall"]]
    assert steps[1:] == ["egress", "migration", "state_locality", "legal", "capacity"]


# --- links and pointers ----------------------------------------------------------------------

def test_readme_links_the_model_reference():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/model.md)" in readme
    head = readme.split("\n## ", 1)[0]
    assert "Model reference" in head and head.index("make run") < head.index("Model reference")


def shipped_text_files():
    yield ROOT / "README.md"
    yield ROOT / "app.py"
    for folder in ("core", "pages"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_nothing_points_to_a_model_file_the_repository_does_not_ship():
    stale = []
    for path in shipped_text_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "MODEL.md" in line or "shared folder" in line:
                stale.append(f"{path.relative_to(ROOT)}:{n}")
    assert not stale, "points to MODEL.md or the shared folder (use docs/model.md): " + ", ".join(stale)


def test_the_app_names_the_model_reference_page_by_its_title():
    """A "model reference" in the app is the page of that title, spelled as the sidebar shows it."""
    wrong = []
    for path in sorted((ROOT / "pages").rglob("*.py")) + sorted((ROOT / "core").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for hit in re.finditer(r"model reference", line, re.I):
                if hit.group(0) != "Model reference":
                    wrong.append(f"{path.relative_to(ROOT)}:{n}")
    assert not wrong, "write 'Model reference' (the page's title): " + ", ".join(wrong)


def test_the_model_reference_page_is_registered():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert re.search(r'\("pages/model\.py", "Model reference", ":material/[a-z_]+:"\)', app)
    from pages.common import state

    assert "model" in state.PAGES


# --- Markdown that renders as written ------------------------------------------------------

def test_doc_prose_is_plain_markdown_for_github_and_streamlit():
    # st.markdown reads "$…$" as LaTeX and "~…~" as strikethrough; ":name:" is an emoji code.
    assert not re.search(r"(?<!\\)\$", PROSE), "escape $ outside code spans as \\$"
    assert "~" not in PROSE
    assert not re.search(r":[a-z_/]+:", PROSE)
    assert not re.search(r"<[a-zA-Z/][^>]*>", PROSE), "no HTML: st.markdown does not render it"
    assert "|" not in "".join(SPANS), "a | in a code span breaks a table row"


# --- the page ------------------------------------------------------------------------------

def test_model_page_renders_the_doc():
    at = AppTest.from_file(str(ROOT / "pages" / "model.py"), default_timeout=30).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown] == [TEXT.strip()]


def test_model_page_without_the_doc_says_so(tmp_path):
    (tmp_path / "pages").mkdir()
    shutil.copy(ROOT / "pages" / "model.py", tmp_path / "pages" / "model.py")
    at = AppTest.from_file(str(tmp_path / "pages" / "model.py"), default_timeout=30).run()
    assert not at.exception
    assert len(at.error) == 1 and "docs/model.md" in at.error[0].value
    assert not at.markdown


def test_doc_cites_the_paper_and_says_what_the_project_adds():
    flat = " ".join(TEXT.split())
    assert ('"AI Inference as Relocatable Electricity Demand: A Latency-Constrained Energy-Geography '
            'Framework" (arXiv 2604.27855, 2026') in flat
    assert "## 1. The paper, and what the project adds" in TEXT
