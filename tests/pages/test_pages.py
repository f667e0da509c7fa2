"""Every page on the sample with AppTest: no exception, the figures are the analytics'
figures, the as-of date, the filters and the language change them."""

from __future__ import annotations

import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import aging, i18n, views
from analytics.config import Filters, Settings
from analytics.store import Workspace
from bench.pages import app_pages
from pages.common import SAMPLE_NAME
from tests.pages.conftest import ROOT, STYLES, run_app

D = date(2026, 10, 31)
EUR = Filters(currency=("EUR",))
CUSTOMER = "C00561"


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def view(path: Path, name: str, as_of: date = D, filters: Filters = EUR, **kwargs: Any) -> Any:
    """``views.<name>`` computed directly on the workspace file, outside the app."""
    with Workspace(path) as ws:
        return getattr(views, name)(ws.cursor(), as_of, dataset_id=1, filters=filters, **kwargs)


def tiles(path: Path, as_of: date = D, filters: Filters = EUR) -> dict[str, dict]:
    return {t["key"]: t for t in view(path, "overview_tiles", as_of, filters)["tiles"]}


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table shown whose columns include ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a column {column!r}")


def no_exception(at: AppTest) -> None:
    """Neither an exception nor the page-error sentence of the shell."""
    assert not at.exception, [e.message for e in at.exception]
    sentences = [i18n.t("page_error", lang, error="")[:25] for lang in i18n.LANGS]
    failed = [e.value for e in at.error for s in sentences if s in e.value]
    assert not failed, failed


def euros(value: Decimal | None, lang: str = "fr") -> str:
    return i18n.fmt_money(value, lang, "EUR", digits=0)


# -- shell and overview ----------------------------------------------------------------------
def test_the_overview_opens_on_the_last_month_end_with_the_analytics_figures(app, shared_file):
    assert app.date_input(key="as_of").value == D
    shown = metrics(app)
    expected = tiles(shared_file)
    with Workspace(shared_file) as ws:
        outstanding = aging.ar(ws.cursor(), D, dataset_id=1, filters=EUR)
    assert shown["Encours"] == euros(outstanding) == euros(expected["outstanding"]["value"])
    assert shown["Part échue"] == i18n.fmt_percent(expected["overdue_share"]["value"], "fr")
    assert shown["DSO (période)"] == i18n.fmt_days(expected["dso"]["value"], "fr")
    assert shown["Meilleur DSO possible"] == i18n.fmt_days(expected["bpdso"]["value"], "fr")
    assert shown["Retard moyen (ADD)"] == i18n.fmt_days(expected["add"]["value"], "fr")
    assert shown["Efficacité de recouvrement (CEI)"] == i18n.fmt_percent_value(
        expected["cei"]["value"], "fr"
    )
    assert shown["Pertes / CA 12 mois"] == i18n.fmt_percent(
        expected["write_off_ratio"]["value"], "fr", 2
    )
    assert shown["Part des 10 premiers clients"] == i18n.fmt_percent(
        expected["top_share"]["value"], "fr"
    )


def test_the_overview_tiles_show_the_month_over_month_change(app, shared_file):
    delta = next(m for m in app.metric if m.label == "Encours").proto.delta
    change = tiles(shared_file)["outstanding"]["delta"]
    assert delta == i18n.fmt_signed(euros(change), change)


def test_the_french_overview_uses_french_number_formats(app):
    outstanding = metrics(app)["Encours"]
    assert outstanding.endswith("\u00a0€")
    assert "\u202f" in outstanding
    assert "," in metrics(app)["DSO (période)"]


def test_the_as_of_date_changes_the_overview(app, shared_file):
    before = metrics(app)["Encours"]
    app.date_input(key="as_of").set_value(date(2026, 6, 30)).run()
    no_exception(app)
    after = metrics(app)["Encours"]
    assert after != before
    expected = tiles(shared_file, as_of=date(2026, 6, 30))["outstanding"]["value"]
    assert after == euros(expected)
    assert "30/06/2026" in app.caption[0].value


def test_switching_to_english_changes_the_labels_and_the_number_formats(app, shared_file):
    app.selectbox(key="lang").set_value("en").run()
    no_exception(app)
    english = metrics(app)
    expected = tiles(shared_file)
    assert english["Outstanding"] == euros(expected["outstanding"]["value"], "en")
    assert english["Outstanding"].startswith("€") and "," in english["Outstanding"]
    assert english["DSO (period)"] == i18n.fmt_days(expected["dso"]["value"], "en")
    assert english["DSO (period)"].endswith("d") and "." in english["DSO (period)"]
    assert app.title[0].value == "Overview"
    assert "31 Oct 2026" in app.caption[0].value


def test_the_ten_customers_with_the_most_overdue_link_to_their_drill_down(app, shared_file):
    top = view(shared_file, "top_overdue_customers", n=10)
    links = [p for p in app.page_link if p.proto.query_string.startswith("customer=")]
    assert [p.proto.query_string for p in links] == [f"customer={c}" for c in top["customer_id"]]
    assert all(p.proto.page == "customer" for p in links)


def test_the_cash_released_follows_the_target_dso_typed(app, shared_file):
    app.number_input(key="cash_target").set_value(60.0).run()
    no_exception(app)
    released = view(shared_file, "cash_released_to_target", target_dso=60.0)["cash"]
    assert released is not None and released > 0
    shown = metrics(app)["Trésorerie libérée par une baisse du DSO"]
    assert shown == i18n.fmt_money(released, "fr", "EUR")


def test_the_overview_offers_the_monthly_report_as_excel_and_html(app):
    keys = {b.proto.id for b in app.get("download_button")}
    assert len(keys) == 2
    assert {b.label for b in app.get("download_button")} == {
        i18n.t("report_xlsx", "fr"),
        i18n.t("report_html", "fr"),
    }


def test_invalid_bucket_edges_are_reported_and_the_defaults_kept(app):
    app.text_input(key="s_edges").set_value("30, abc").run()
    no_exception(app)
    assert any(i18n.t("settings_edges_invalid", "fr") in e.value for e in app.error)


def test_a_failing_page_shows_a_sentence_and_no_traceback(app):
    app.session_state["provision_rates"] = {">120": "not a rate"}
    app.run()
    assert not app.exception
    assert any("n'a pas pu être affichée" in e.value for e in app.error)


# -- aged balance ----------------------------------------------------------------------------
def test_the_aged_balance_totals_row_reconciles_with_the_outstanding(app, shared_file):
    app.switch_page("pages/aged_balance.py").run()
    no_exception(app)
    table = frame_with(app, "Code client")
    last = table.iloc[-1]
    assert last.iloc[0] == "Total"
    with Workspace(shared_file) as ws:
        outstanding = aging.ar(ws.cursor(), D, dataset_id=1, filters=EUR)
    rows = view(shared_file, "aged_balance")
    assert last.iloc[-1] == i18n.fmt_money(outstanding, "fr", "EUR")
    assert sum(rows["total"], Decimal("0")) == outstanding
    assert len(table) == len(rows) + 1
    assert list(table.iloc[:-1, 0]) == list(rows["customer_id"])


def test_searching_the_aged_balance_narrows_it_to_the_customer(app):
    app.switch_page("pages/aged_balance.py").run()
    app.text_input(key="aged_search").set_value(CUSTOMER).run()
    no_exception(app)
    table = frame_with(app, "Code client")
    assert list(table.iloc[:, 0]) == [CUSTOMER, "Total"]


def test_a_segment_filter_changes_the_aged_balance(app, shared_file):
    app.switch_page("pages/aged_balance.py").run()
    before = frame_with(app, "Code client")
    app.multiselect(key="f_segment").set_value(["PME"]).run()
    no_exception(app)
    after = frame_with(app, "Code client")
    pme = Filters(segment=("PME",), currency=("EUR",))
    totals = view(shared_file, "aged_totals", filters=pme)
    assert after.iloc[-1, -1] == i18n.fmt_money(totals["total"], "fr", "EUR")
    assert after.iloc[-1, -1] != before.iloc[-1, -1]
    assert len(after) == len(view(shared_file, "aged_balance", filters=pme)) + 1


def test_sorting_the_aged_balance_by_code_orders_the_rows(app):
    app.switch_page("pages/aged_balance.py").run()
    app.selectbox(key="aged_sort").set_value("customer_id").run()
    app.toggle(key="aged_desc").set_value(False).run()
    no_exception(app)
    codes = list(frame_with(app, "Code client").iloc[:-1, 0])
    assert codes == sorted(codes)


def test_picking_a_customer_in_the_aged_balance_lists_its_invoices(app, shared_file):
    app.switch_page("pages/aged_balance.py").run()
    app.selectbox(key="aged_customer").set_value(CUSTOMER).run()
    no_exception(app)
    invoices = frame_with(app, "N° facture")
    expected = view(shared_file, "open_invoices", customer_id=CUSTOMER)
    assert len(invoices) == len(expected) > 0
    assert set(invoices["Code client"]) == {CUSTOMER}


def test_the_aged_balance_offers_its_excel_export(app):
    app.switch_page("pages/aged_balance.py").run()
    no_exception(app)
    assert [b.label for b in app.get("download_button")] == [i18n.t("aged_export", "fr")]


def test_other_bucket_edges_change_the_aged_balance_columns(app):
    app.switch_page("pages/aged_balance.py").run()
    app.text_input(key="s_edges").set_value("15, 45, 90").run()
    no_exception(app)
    columns = list(frame_with(app, "Code client").columns)
    assert i18n.bucket_label("16-45", "fr") in columns
    assert i18n.bucket_label("31-60", "fr") not in columns
    assert Settings().bucket_edges != (15, 45, 90)


# -- concentration, losses -------------------------------------------------------------------
def test_the_concentration_page_shows_the_analytics_figures_on_each_basis(app, shared_file):
    app.switch_page("pages/concentration.py").run()
    no_exception(app)
    summary = view(shared_file, "concentration_view")["summary"]
    shown = metrics(app)
    assert shown["Indice HHI"] == i18n.fmt_number(summary["hhi"], "fr", 0)
    assert shown["Gini"] == i18n.fmt_number(summary["gini"], "fr", 3)
    app.radio(key="conc_basis").set_value("revenue").run()
    no_exception(app)
    revenue = view(shared_file, "concentration_view", basis="revenue")["summary"]
    assert metrics(app)["Indice HHI"] == i18n.fmt_number(revenue["hhi"], "fr", 0)
    assert revenue["hhi"] != summary["hhi"]


def test_the_losses_page_labels_its_ratios_with_the_analytics_figures(app, shared_file):
    app.switch_page("pages/losses.py").run()
    no_exception(app)
    shown = metrics(app)
    losses = view(shared_file, "losses_view")
    assert shown["Taux de perte 12 mois"] == i18n.fmt_percent(losses["write_off"]["ratio"], "fr", 2)
    assert shown["Entrées en douteux 12 mois / CA"] == i18n.fmt_percent(
        losses["inflow"]["ratio"], "fr", 2
    )
    assert shown["Provision simulée"] == i18n.fmt_money(losses["provision"]["total"], "fr", "EUR")


def test_the_provision_follows_the_rates_typed(app):
    app.switch_page("pages/losses.py").run()
    before = metrics(app)["Provision simulée"]
    app.session_state["provision_rates"] = {">120": Decimal("1")}
    app.run()
    no_exception(app)
    assert metrics(app)["Provision simulée"] != before


def test_the_cost_of_an_unpaid_amount_uses_the_margin(app):
    app.switch_page("pages/losses.py").run()
    app.number_input(key="loss_amount").set_value(5000.0).run()
    no_exception(app)
    needed = views.extra_sales(Decimal("5000"), Settings())
    assert needed is not None
    message = " ".join(s.value for s in app.success)
    assert i18n.fmt_money(needed, "fr", "EUR") in message


# -- customer drill-down, data ---------------------------------------------------------------
def test_the_customer_page_opens_from_the_query_parameter(app):
    app.query_params["customer"] = CUSTOMER
    app.switch_page("pages/customer.py").run()
    no_exception(app)
    texts = [e.value for e in [*app.title, *app.header, *app.subheader]]
    assert any(CUSTOMER in text for text in texts)


def test_the_data_page_lists_the_datasets_and_the_quality_checks(app):
    app.switch_page("pages/data.py").run()
    no_exception(app)
    datasets = frame_with(app, "N°")
    assert list(datasets["N°"]) == [1]
    assert len(frame_with(app, "Contrôle")) > 0


def test_the_data_page_makes_one_upload_folder_per_session_not_one_per_rerun(
    app, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    app.switch_page("pages/data.py").run()
    app.run()
    app.run()
    no_exception(app)
    uploads = [p for p in tmp_path.iterdir() if p.name.startswith("encours-")]
    assert (
        len([p for p in uploads if not p.name.startswith(("encours-cache-", "encours-load-"))]) <= 1
    )


def test_deleting_the_only_dataset_leads_to_the_guiding_empty_state(small_app, small_file):
    small_app.switch_page("pages/data.py").run()
    assert small_app.button(key="delete_button").disabled  # until the deletion is confirmed
    small_app.checkbox(key="delete_confirm_1").check().run()
    small_app.button(key="delete_button").click().run()
    no_exception(small_app)
    assert any(i18n.t("empty_load_sample", "fr") in b.label for b in small_app.button)
    with Workspace(small_file) as ws:
        assert ws.datasets() == []


def test_a_file_uploaded_on_the_data_page_becomes_a_dataset(small_app, small_file):
    small_app.switch_page("pages/data.py").run()
    source = STYLES / "odoo_en.csv"
    small_app.file_uploader[0].set_value((source.name, source.read_bytes(), "text/csv")).run()
    no_exception(small_app)
    assert any(i18n.t("data_mapping", "fr") in s.value for s in small_app.subheader)
    small_app.button(key="data_load").click().run()
    no_exception(small_app)
    with Workspace(small_file) as ws:
        ids = [d.dataset_id for d in ws.datasets()]
    assert ids == [1, 2]
    assert list(frame_with(small_app, "N°")["N°"]) == [1, 2]
    assert small_app.selectbox(key="dataset_id").value == 2
    # the rejected rows, the checks and the deletion are those of the dataset just loaded
    assert small_app.selectbox(key="data_dataset").value == 2
    assert small_app.checkbox(key="delete_confirm_2").label.startswith(
        "Je confirme la suppression du jeu n° 2 · odoo_en.csv"
    )


def test_after_a_load_the_data_page_shows_that_datasets_rejected_rows(small_app, small_file):
    """The first dataset has no rejected row; ragged_rows.csv has 3. After it is loaded, the
    page shows its 3 rows, not the 0 of the dataset shown before."""
    small_app.switch_page("pages/data.py").run()
    assert small_app.selectbox(key="data_dataset").value == 1
    bad = ROOT / "tests" / "data" / "malformed" / "ragged_rows.csv"
    small_app.file_uploader[0].set_value((bad.name, bad.read_bytes(), "text/csv")).run()
    small_app.button(key="data_load").click().run()
    no_exception(small_app)
    assert small_app.selectbox(key="data_dataset").value == 2
    rejects = frame_with(small_app, i18n.t("data_reason", "fr"))
    assert len(rejects) == 3 and set(rejects[i18n.t("data_file", "fr")]) == {"ragged_rows.csv"}


def _upload_folder(app: AppTest) -> tuple[list[Path], list[Path]]:
    """The files and the folders in the session's upload folder."""
    items = list(Path(app.session_state["_upload_dir"]).rglob("*"))
    return sorted(p for p in items if p.is_file()), sorted(p for p in items if p.is_dir())


@pytest.mark.parametrize("page", app_pages())
def test_every_page_draws_on_an_uploaded_ledger_of_invoices_only(small_app, page):
    """Ten invoices, no payment, no customer file: nothing settled, no behaviour row. The
    collections page failed there (KeyError 'trend')."""
    small_app.switch_page(page).run()
    no_exception(small_app)


def test_an_uploaded_files_copy_is_removed_once_its_rows_are_loaded(small_app, small_file):
    small_app.switch_page("pages/data.py").run()
    source = STYLES / "odoo_en.csv"
    small_app.file_uploader[0].set_value((source.name, source.read_bytes(), "text/csv")).run()
    (copy,), _ = _upload_folder(small_app)
    assert copy.name == source.name and copy.read_bytes() == source.read_bytes()
    small_app.button(key="data_load").click().run()
    no_exception(small_app)
    with Workspace(small_file) as ws:
        assert len(ws.datasets()) == 2
    assert _upload_folder(small_app) == ([], [])


def test_two_uploads_of_one_name_are_two_files_removed_when_taken_out_of_the_uploader(small_app):
    """Two exports both named factures.csv (from two folders) are kept apart; taking them out
    of the uploader removes both copies."""
    small_app.switch_page("pages/data.py").run()
    first, second = (STYLES / "odoo_en.csv").read_bytes(), (STYLES / "bom_utf8.csv").read_bytes()
    both = [("factures.csv", first, "text/csv"), ("factures.csv", second, "text/csv")]
    small_app.file_uploader[0].set_value(both).run()
    no_exception(small_app)
    files, _ = _upload_folder(small_app)
    assert sorted(p.read_bytes() for p in files) == sorted([first, second])
    small_app.file_uploader[0].set_value(None).run()
    no_exception(small_app)
    assert _upload_folder(small_app) == ([], [])


def test_an_upload_that_cannot_be_read_leaves_its_message_and_no_copy(small_app):
    small_app.switch_page("pages/data.py").run()
    bad = ROOT / "tests" / "data" / "malformed" / "nul_bytes.csv"
    small_app.file_uploader[0].set_value((bad.name, bad.read_bytes(), "text/csv")).run()
    no_exception(small_app)
    assert any("nul_bytes.csv: binary content" in e.value for e in small_app.error)
    assert _upload_folder(small_app) == ([], [])


def test_an_empty_workspace_gets_the_sample_on_first_start(tmp_path, monkeypatch):
    path = tmp_path / "new.duckdb"
    monkeypatch.setenv("ENCOURS_WORKSPACE", str(path))
    at = run_app()
    assert at.date_input(key="as_of").value == D
    assert "Encours" in metrics(at)
    with Workspace(path) as ws:
        assert [d.name for d in ws.datasets()] == [SAMPLE_NAME]


@pytest.mark.parametrize("page", ["aged_balance", "concentration", "losses", "data"])
def test_every_page_switches_to_english(app, page):
    app.selectbox(key="lang").set_value("en").run()
    app.switch_page(f"pages/{page}.py").run()
    no_exception(app)
    title = {
        "aged_balance": "aged_title",
        "concentration": "conc_title",
        "losses": "losses_title",
        "data": "data_title",
    }[page]
    assert app.title[0].value == i18n.t(title, "en")


def test_the_overview_report_downloads_hold_the_overview_figures(app, shared_file):
    from analytics.report import cfo_report_html, cfo_report_xlsx
    from pages import common

    with Workspace(shared_file) as ws:
        dataset = ws.dataset(1)
    context = common.Context(str(shared_file), dataset, D, EUR, Settings(), "fr")
    data = common.call_for(context, "cfo_report")
    outstanding = data["tiles"]["tiles"][0]["value"]
    assert metrics(app)["Encours"] == euros(outstanding)
    assert cfo_report_xlsx(data, "fr")[:2] == b"PK"
    assert i18n.fmt_money(outstanding, "fr", "EUR") in cfo_report_html(data, "fr")


def test_the_data_page_shows_which_ecb_rate_table_is_in_force_and_resets_it(small_app, tmp_path):
    """A table saved by the user is announced on the data page; the reset button removes it."""
    import pandas as pd

    from analytics import legal_fr

    bundled = legal_fr.load_ecb_rates(legal_fr.ECB_RATES_PATH)
    extra = pd.DataFrame(
        [{"effective_date": "2026-09-10", "rate_percent": "1.90", "source": "ECB decision"}]
    )
    saved = legal_fr.save_ecb_rates(pd.concat([bundled, extra], ignore_index=True))
    small_app.switch_page("pages/data.py").run()
    no_exception(small_app)
    assert any(i18n.t("data_ecb_edited", "fr") in i.value for i in small_app.info)
    small_app.button(key="ecb_reset").click().run()
    no_exception(small_app)
    assert not saved.exists()
    assert not any(i18n.t("data_ecb_edited", "fr") in i.value for i in small_app.info)
