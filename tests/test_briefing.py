"""core.briefing: the settings, the data basis and the two carbon signals carried by every result."""
import datetime as dt

import pandas as pd

from core.briefing import (carbon_signals_sentence, data_basis, data_basis_words, edit_lines,
                           region_provenance, settings_rows)
from core.scenario import default_scenario, parse_scenario, update_scenario


def test_settings_rows_name_every_non_default_setting(tiny_scenario):
    base = parse_scenario(tiny_scenario(name="tiny"))
    sc = update_scenario(base, {"objective.carbon_price_usd_per_t": 100.0, "objective.carbon_signal": "average",
                                "frictions.capacity": False, "prices.egress_usd_per_gb": 0.05,
                                "nodes.away.price_usd_per_mwh": 42.5})
    rows = dict(settings_rows(base, sc, 12.5, when=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)))
    assert rows["Scenario"] == "tiny"
    assert rows["Computed"] == "2026-12-01 09:30 UTC"
    assert rows["Carbon price"] == "$100/tCO2 on the average grid intensity"
    assert rows["Egress price"] == "$0.050/GB"
    assert "capacity limits off" in rows["Frictions"] and "egress fees on" in rows["Frictions"]
    assert rows["Relaxation Δ"] == "every budget + 12.5 ms"
    assert rows["Latency budgets"] == "w 50 ms (each + 12.5 ms)"
    edits = rows["Edits against the default"]
    assert edits.startswith("5: ")
    assert "away (away): price 50 → 42.5 $/MWh" in edits
    assert "capacity limits on → off" in edits


def test_no_edits_says_none(tiny_scenario):
    sc = parse_scenario(tiny_scenario())
    assert edit_lines(sc, sc) == []
    assert dict(settings_rows(sc, sc, 0.0))["Edits against the default"] == "none"


def test_data_basis_counts_flags_and_user_edits():
    default = default_scenario()
    prov = region_provenance()
    flags = prov.set_index("id")["price_flag"]
    edited = update_scenario(default, {f"nodes.{default.nodes[0].id}.price_usd_per_mwh": 1.0})
    basis = data_basis(edited, default, prov)
    price = basis[basis["field"] == "price"].set_index("flag")["count"]
    # independent count from the shipped table, with the first node moved to "user edit"
    expected = flags.drop(default.nodes[0].id).value_counts()
    assert price.get("user edit") == 1
    for flag, n in expected.items():
        assert price.get(flag) == n
    assert price.sum() == len(default.nodes)


def test_region_provenance_reads_once_and_returns_copies(tmp_path):
    prov = region_provenance()
    assert prov.columns[0] == "id" and "price_flag" in prov.columns and "price_source" in prov.columns
    assert not any(c in prov.columns for c in ("lat", "lon", "price_usd_per_mwh"))
    prov.loc[:, "price_flag"] = "changed by a caller"
    assert "changed by a caller" not in set(region_provenance()["price_flag"])
    assert list(region_provenance(tmp_path / "missing.csv").columns) == ["id"]


def test_data_basis_words_and_undocumented(tiny_scenario):
    sc = parse_scenario(tiny_scenario())
    basis = data_basis(sc, sc, pd.DataFrame({"id": ["home"], "price_flag": ["measured"]}))
    assert data_basis_words(basis, "price") == "prices: 1 measured, 1 without a documented source"
    assert data_basis_words(basis, "capacity") == "capacities: 2 without a documented source"


def test_carbon_signals_sentence_reconciles_opposite_signs():
    h = {"carbon_savings_avg_t": 265_000.0, "local_emissions_avg_t": 7_886_000.0,
         "carbon_savings_marginal_t": -51_400.0, "local_emissions_marginal_t": 15_264_000.0}
    text = carbon_signals_sentence(h)
    # 265,000 / 7,886,000 = 3.36 %; 51,400 / 15,264,000 = 0.337 %
    assert "average intensity, emissions fall by 265 thousand tonnes of CO2 (3.4%)" in text
    assert "marginal intensity, they rise by 51.4 thousand tonnes of CO2 (0.3%)" in text
    assert "differ because" in text and "assumption" in text


def test_carbon_signals_sentence_same_direction_needs_no_reconciling():
    h = {"carbon_savings_avg_t": 10.0, "local_emissions_avg_t": 100.0,
         "carbon_savings_marginal_t": 20.0, "local_emissions_marginal_t": 100.0}
    text = carbon_signals_sentence(h)
    assert "fall by 10.0 tonnes of CO2 (10%)" in text and "fall by 20.0 tonnes of CO2 (20%)" in text
    assert "differ because" not in text


def test_settings_rows_name_the_provider_lock_only_where_it_can_matter(tiny_scenario):
    """No provider and the lock off (the default): the five frictions, as before. A node with a
    provider, or the lock on: the lock is named too, on or off, last."""
    base = parse_scenario(tiny_scenario())
    five = "egress fees on, migration overhead on, state locality on, data residency on, capacity limits on"
    assert dict(settings_rows(base, base, 0.0))["Frictions"] == five
    with_provider = update_scenario(base, {"nodes.away.provider": "aws"})
    assert dict(settings_rows(base, with_provider, 0.0))["Frictions"] == five + ", provider lock off"
    locked = update_scenario(base, {"frictions.provider_lock": True})
    rows = dict(settings_rows(base, locked, 0.0))
    assert rows["Frictions"] == five + ", provider lock on"
    assert rows["Edits against the default"] == "1: provider lock off → on"
