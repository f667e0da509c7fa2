"""Tests of analytics.mapping: source headers -> canonical table and columns."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.mapping import (
    ColumnMatch,
    Mapping,
    currency_in_header,
    guess_table,
    load,
    normalise_header,
    propose,
    save,
    signature,
)
from analytics.schema import TABLES

SAMPLE_HEADERS = {
    "invoices": "N° facture;Code client;Raison sociale;Date facture;Date d'échéance;Montant TTC;"
    "Montant HT;Devise;Litige;Douteux;Date de classement douteux;Société;Pays;Commercial",
    "payments": "N° règlement;Date de règlement;Code client;N° facture;Montant;Devise",
    "customers": "Code client;Raison sociale;Typologie;Limite de crédit;Limite assurée;Pays;"
    "Professionnel;Procédure collective;Taux de pénalité",
    "write_offs": "N° facture;Date de passage en perte;Montant TTC;Montant HT",
}

SAMPLE_EXPECTED = {
    "invoices": {
        "invoice_id": "N° facture",
        "customer_id": "Code client",
        "customer_name": "Raison sociale",
        "invoice_date": "Date facture",
        "due_date": "Date d'échéance",
        "amount": "Montant TTC",
        "amount_excl_tax": "Montant HT",
        "currency": "Devise",
        "disputed": "Litige",
        "doubtful": "Douteux",
        "doubtful_date": "Date de classement douteux",
        "entity": "Société",
        "country": "Pays",
        "sales_rep": "Commercial",
    },
    "payments": {
        "payment_id": "N° règlement",
        "payment_date": "Date de règlement",
        "customer_id": "Code client",
        "invoice_id": "N° facture",
        "amount": "Montant",
        "currency": "Devise",
    },
    "customers": {
        "customer_id": "Code client",
        "customer_name": "Raison sociale",
        "segment": "Typologie",
        "credit_limit": "Limite de crédit",
        "insured_limit": "Limite assurée",
        "country": "Pays",
        "is_business": "Professionnel",
        "collective_procedure": "Procédure collective",
        "penalty_rate": "Taux de pénalité",
    },
    "write_offs": {
        "invoice_id": "N° facture",
        "write_off_date": "Date de passage en perte",
        "amount": "Montant TTC",
        "amount_excl_tax": "Montant HT",
    },
}

# Export style -> (headers separated by ";", expected table, expected {column: header}).
# Headers absent from the expected mapping must stay unmapped.
EXPORT_STYLES = {
    "sap_fbl5n": (
        "Account;Document Number;Reference;Document Date;Posting Date;Net due date;"
        "Amount in local currency;Local Currency;Clearing date;Clearing Document;"
        "Arrears after net due date",
        "invoices",
        {
            "customer_id": "Account",
            "invoice_id": "Document Number",
            "invoice_date": "Document Date",
            "due_date": "Net due date",
            "amount": "Amount in local currency",
            "currency": "Local Currency",
            "settled_date": "Clearing date",
        },
    ),
    "sap_fbl5n_document_currency": (
        "Customer;Document Number;Document Date;Net due date;Amount in doc. curr.;"
        "Document currency;Arrears after net due date",
        "invoices",
        {
            "customer_id": "Customer",
            "invoice_id": "Document Number",
            "invoice_date": "Document Date",
            "due_date": "Net due date",
            "amount": "Amount in doc. curr.",
            "currency": "Document currency",
        },
    ),
    "sage": (
        "N° pièce;Date pièce;N° compte tiers;Intitulé;Date d'échéance;Montant TTC;Montant HT;Solde",
        "invoices",
        {
            "invoice_id": "N° pièce",
            "invoice_date": "Date pièce",
            "customer_id": "N° compte tiers",
            "customer_name": "Intitulé",
            "due_date": "Date d'échéance",
            "amount": "Montant TTC",
            "amount_excl_tax": "Montant HT",
        },
    ),
    "sage_invoice_number_and_customer_code": (
        "N° facture;N° pièce;Code client;Intitulé;Date pièce;Date d'échéance;Montant TTC",
        "invoices",
        {
            "invoice_id": "N° facture",
            "customer_id": "Code client",
            "customer_name": "Intitulé",
            "invoice_date": "Date pièce",
            "due_date": "Date d'échéance",
            "amount": "Montant TTC",
        },
    ),
    "cegid": (
        "N° pièce;Tiers;Libellé;Date comptable;Echéance;Montant",
        "invoices",
        {
            "invoice_id": "N° pièce",
            "customer_id": "Tiers",
            "customer_name": "Libellé",
            "invoice_date": "Date comptable",
            "due_date": "Echéance",
            "amount": "Montant",
        },
    ),
    "odoo": (
        "Number;Partner;Invoice/Bill Date;Due Date;Untaxed Amount;Total;Amount Due;"
        "Payment State;Currency",
        "invoices",
        {
            "invoice_id": "Number",
            "customer_id": "Partner",
            "invoice_date": "Invoice/Bill Date",
            "due_date": "Due Date",
            "amount_excl_tax": "Untaxed Amount",
            "amount": "Total",
            "currency": "Currency",
        },
    ),
    "quickbooks": (
        "Date;Num;Customer;Due Date;Amount;Open Balance",
        "invoices",
        {
            "invoice_date": "Date",
            "invoice_id": "Num",
            "customer_id": "Customer",
            "due_date": "Due Date",
            "amount": "Amount",
        },
    ),
    "xero": (
        "Contact;Invoice Number;Invoice Date;Due Date;Total;Paid;Currency",
        "invoices",
        {
            "customer_id": "Contact",
            "invoice_id": "Invoice Number",
            "invoice_date": "Invoice Date",
            "due_date": "Due Date",
            "amount": "Total",
            "currency": "Currency",
        },
    ),
    "generic_english": (
        "Invoice ID;Customer ID;Customer Name;Invoice Date;Due Date;Amount;Currency;"
        "Settled date;Disputed;Doubtful;Segment;Entity;Country;Sales rep",
        "invoices",
        {
            "invoice_id": "Invoice ID",
            "customer_id": "Customer ID",
            "customer_name": "Customer Name",
            "invoice_date": "Invoice Date",
            "due_date": "Due Date",
            "amount": "Amount",
            "currency": "Currency",
            "settled_date": "Settled date",
            "disputed": "Disputed",
            "doubtful": "Doubtful",
            "segment": "Segment",
            "entity": "Entity",
            "country": "Country",
            "sales_rep": "Sales rep",
        },
    ),
    "generic_english_with_customer_and_paid_date": (
        "Invoice No;Customer ID;Customer;Invoice date;Due date;Amount;Paid date",
        "invoices",
        {
            "invoice_id": "Invoice No",
            "customer_id": "Customer ID",
            "customer_name": "Customer",
            "invoice_date": "Invoice date",
            "due_date": "Due date",
            "amount": "Amount",
            "settled_date": "Paid date",
        },
    ),
    "generic_french": (
        "N° facture;Client;Date facture;Date d'échéance;Montant TTC;Date de paiement;Devise",
        "invoices",
        {
            "invoice_id": "N° facture",
            "customer_id": "Client",
            "invoice_date": "Date facture",
            "due_date": "Date d'échéance",
            "amount": "Montant TTC",
            "settled_date": "Date de paiement",
            "currency": "Devise",
        },
    ),
    "payments_english": (
        "Payment ID;Payment date;Customer ID;Invoice No;Amount;Currency",
        "payments",
        {
            "payment_id": "Payment ID",
            "payment_date": "Payment date",
            "customer_id": "Customer ID",
            "invoice_id": "Invoice No",
            "amount": "Amount",
            "currency": "Currency",
        },
    ),
    "payments_french_customer_only": (
        "Date de paiement;Code client;Montant",
        "payments",
        {"payment_date": "Date de paiement", "customer_id": "Code client", "amount": "Montant"},
    ),
    "customers_english": (
        "Customer ID;Customer Name;Segment;Credit limit;Insured limit;Country;B2B;"
        "Collective procedure;Penalty rate",
        "customers",
        {
            "customer_id": "Customer ID",
            "customer_name": "Customer Name",
            "segment": "Segment",
            "credit_limit": "Credit limit",
            "insured_limit": "Insured limit",
            "country": "Country",
            "is_business": "B2B",
            "collective_procedure": "Collective procedure",
            "penalty_rate": "Penalty rate",
        },
    ),
    "customers_french_credit_insurance": (
        "Code client;Raison sociale;Encours autorisé;Garantie assureur",
        "customers",
        {
            "customer_id": "Code client",
            "customer_name": "Raison sociale",
            "credit_limit": "Encours autorisé",
            "insured_limit": "Garantie assureur",
        },
    ),
    "write_offs_english": (
        "Invoice No;Write-off date;Amount;Amount excl. tax",
        "write_offs",
        {
            "invoice_id": "Invoice No",
            "write_off_date": "Write-off date",
            "amount": "Amount",
            "amount_excl_tax": "Amount excl. tax",
        },
    ),
}


def _mapped(m: Mapping) -> dict[str, str]:
    return {c: x.source_header for c, x in m.matches.items()}


# --- normalise_header ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Date d'échéance", "date d echeance"),
        ("N° facture", "no facture"),
        ("Nº pièce", "no piece"),
        ("No. client", "no client"),
        ("Invoice #", "invoice no"),
        ("N°Facture", "no facture"),
        ("  MONTANT_TTC  ", "montant ttc"),
        ("Amount in doc. curr.", "amount in doc curr"),
        ("Invoice/Bill Date", "invoice bill date"),
        ("InvoiceDate", "invoice date"),
        ("Société", "societe"),
        ("", ""),
        ("___", ""),
    ],
)
def test_a_header_normalises_to_plain_lowercase_words(raw: str, expected: str) -> None:
    assert normalise_header(raw) == expected


# --- the four sample header sets --------------------------------------------------------------


@pytest.mark.parametrize("table", list(SAMPLE_HEADERS))
def test_the_sample_ledger_headers_map_exactly_with_full_confidence(table: str) -> None:
    headers = SAMPLE_HEADERS[table].split(";")
    m = propose(headers)
    assert m.table == table
    assert _mapped(m) == SAMPLE_EXPECTED[table]
    assert all(x.confidence == 1.0 and x.method == "synonym" for x in m.matches.values())
    assert m.unmapped == []
    assert m.missing_required() == []
    assert m.problems() == []


@pytest.mark.parametrize("table", list(SAMPLE_HEADERS))
def test_the_sample_ledger_tables_are_told_apart_with_a_clear_margin(table: str) -> None:
    """confidence = best * (0.5 + (best - second) / best): 0.9 or more means the best table
    fits well and leads the runner-up by at least 40 % of its own score."""
    guessed, confidence = guess_table(SAMPLE_HEADERS[table].split(";"))
    assert guessed == table
    assert confidence >= 0.9


# --- ERP export styles ------------------------------------------------------------------------


@pytest.mark.parametrize("style", list(EXPORT_STYLES))
def test_each_usual_export_style_maps_as_expected(style: str) -> None:
    text, table, expected = EXPORT_STYLES[style]
    headers = text.split(";")
    m = propose(headers)
    assert m.table == table
    assert _mapped(m) == expected
    assert m.unmapped == [h for h in headers if h not in expected.values()]
    assert m.missing_required() == []


@pytest.mark.parametrize("style", list(EXPORT_STYLES))
def test_each_usual_export_style_is_guessed_with_a_margin(style: str) -> None:
    text, table, _ = EXPORT_STYLES[style]
    guessed, confidence = guess_table(text.split(";"))
    assert (guessed, confidence >= 0.75) == (table, True)


def test_a_guessed_table_is_used_when_none_is_given_and_a_given_table_is_trusted() -> None:
    headers = SAMPLE_HEADERS["payments"].split(";")
    assert propose(headers).table_confidence == guess_table(headers)[1]
    forced = propose(headers, "invoices")
    assert (forced.table, forced.table_confidence) == ("invoices", 1.0)


def test_an_unknown_table_name_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown table"):
        propose(["Montant"], "ledger")


def test_headers_with_nothing_recognisable_guess_invoices_with_zero_confidence() -> None:
    assert guess_table([]) == ("invoices", 0.0)
    assert guess_table(["", "Zorglub", "Blip"]) == ("invoices", 0.0)


# --- context ----------------------------------------------------------------------------------


def test_date_de_reglement_is_the_settlement_date_in_an_invoices_file() -> None:
    headers = ["N° facture", "Code client", "Date facture", "Montant TTC", "Date de règlement"]
    m = propose(headers)
    assert m.table == "invoices"
    assert m.matches["settled_date"].source_header == "Date de règlement"


def test_date_de_reglement_is_the_payment_date_in_a_payments_file() -> None:
    m = propose(["Date de règlement", "N° facture", "Montant"])
    assert m.table == "payments"
    assert m.matches["payment_date"].source_header == "Date de règlement"


def test_the_same_header_follows_the_table_it_is_mapped_onto() -> None:
    headers = ["N° facture", "Date de règlement", "Montant"]
    assert propose(headers, "invoices").matches["settled_date"].source_index == 1
    assert propose(headers, "payments").matches["payment_date"].source_index == 1


def test_montant_alone_is_the_amount() -> None:
    for table in ("invoices", "payments", "write_offs"):
        assert propose(["Montant"], table).matches["amount"].confidence == 1.0


def test_with_ht_and_ttc_the_amount_is_ttc_and_ht_is_the_amount_excluding_tax() -> None:
    m = propose(["Montant HT", "N° facture", "Montant TTC"], "invoices")
    assert m.matches["amount"].source_header == "Montant TTC"
    assert m.matches["amount_excl_tax"].source_header == "Montant HT"


def test_an_amount_excluding_tax_alone_is_not_taken_as_the_amount() -> None:
    m = propose(["N° facture", "Code client", "Date facture", "Montant HT"], "invoices")
    assert "amount" not in m.matches
    assert m.missing_required() == ["amount"]
    assert m.problems()[0] == (
        "no column for the amount (expected e.g. 'Montant TTC', 'Amount'); "
        "'Montant HT' holds amounts excluding tax, the amount includes tax"
    )


def test_a_debit_credit_pair_is_reported_and_never_mapped_to_the_amount() -> None:
    headers = ["N° pièce", "Tiers", "Libellé", "Date comptable", "Echéance", "Débit", "Crédit"]
    m = propose(headers)
    assert m.table == "invoices"
    assert "amount" not in m.matches
    assert {"Débit", "Crédit"} <= set(m.unmapped)
    assert m.missing_required() == ["amount"]
    assert m.problems()[0].startswith("amount is split into Débit and Crédit columns: ")


def test_a_lone_debit_column_is_the_amount_of_an_invoices_file_with_low_confidence() -> None:
    m = propose(["N° facture", "Code client", "Date facture", "Débit"], "invoices")
    assert (m.matches["amount"].source_header, m.matches["amount"].confidence) == ("Débit", 0.6)


@pytest.mark.parametrize("balance", ["Solde", "Open Balance", "Amount Due"])
def test_an_open_balance_alone_becomes_the_amount_with_low_confidence_and_a_warning(
    balance: str,
) -> None:
    m = propose(["N° facture", "Code client", "Date pièce", "Date d'échéance", balance])
    assert m.table == "invoices"
    assert m.matches["amount"].source_header == balance
    assert m.matches["amount"].confidence < 0.7
    assert m.missing_required() == []
    [problem] = m.problems()
    assert problem.startswith(f"'{balance}' is an open balance, not the invoice amount")
    assert "DSO" in problem


def test_an_open_balance_is_left_unmapped_when_a_gross_amount_exists() -> None:
    m = propose(["N° facture", "Code client", "Date pièce", "Date d'échéance", "Solde", "Total"])
    assert m.matches["amount"].source_header == "Total"
    assert "Solde" in m.unmapped
    assert m.problems() == []


def test_each_column_gets_the_best_header_and_the_runner_up_stays_unmapped() -> None:
    m = propose(["Reference", "Document Number", "Posting Date", "Document Date"], "invoices")
    assert m.matches["invoice_id"].source_header == "Document Number"
    assert m.matches["invoice_date"].source_header == "Document Date"
    assert m.unmapped == ["Reference", "Posting Date"]


def test_a_duplicated_header_feeds_one_column_once() -> None:
    m = propose(["Montant", "Montant", "Date"], "payments")
    assert m.matches["amount"].source_index == 0
    assert m.unmapped == ["Montant"]


# --- fuzzy matching ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Date échéance nette", "due_date"),
        ("Custmer", "customer_id"),
        ("Date réglement client", "settled_date"),
        ("Montantttc", "amount"),
    ],
)
def test_a_header_close_to_a_synonym_is_matched_with_lower_confidence(
    header: str, column: str
) -> None:
    match = propose([header], "invoices").matches[column]
    assert match.method == "fuzzy"
    assert 0.5 < match.confidence < 1.0


def test_abbreviations_and_units_still_match_as_synonyms() -> None:
    m = propose(["Invoice Nbr", "Cust. ID", "Montant (EUR)"], "invoices")
    assert _mapped(m) == {
        "invoice_id": "Invoice Nbr",
        "customer_id": "Cust. ID",
        "amount": "Montant (EUR)",
    }
    assert m.matches["amount"].confidence == 0.95


@pytest.mark.parametrize("header", ["Zorglub", "Date de création", "Arrears after net due date"])
def test_a_header_far_from_every_synonym_stays_unmapped(header: str) -> None:
    assert propose([header], "invoices").matches == {}


# --- problems ---------------------------------------------------------------------------------


def test_a_missing_required_column_yields_a_sentence_naming_it() -> None:
    m = propose(["N° facture", "Code client", "Date facture", "Date d'échéance"], "invoices")
    assert m.missing_required() == ["amount"]
    assert m.problems() == ["no column for the amount (expected e.g. 'Montant TTC', 'Amount')"]


def test_a_payments_file_needs_an_invoice_or_a_customer_reference() -> None:
    m = propose(["Date de règlement", "Montant"], "payments")
    assert m.missing_required() == ["invoice_id", "customer_id"]
    assert m.problems() == [
        "no column for the invoice number or the customer account "
        "(expected e.g. 'N° facture', 'Invoice No' or 'Code client', 'Customer ID')"
    ]


def test_a_missing_due_date_is_announced_but_not_required() -> None:
    m = propose(["N° facture", "Code client", "Date facture", "Montant TTC"], "invoices")
    assert m.missing_required() == []
    assert m.problems() == [
        "no column for the due date (expected e.g. 'Date d'échéance', 'Due Date'): "
        "due dates will be taken as invoice date + 30 days"
    ]


# --- overrides --------------------------------------------------------------------------------


def test_an_override_sets_the_users_header_with_full_confidence() -> None:
    m = propose(["Référence", "Date", "Montant"], "invoices")
    changed = m.with_override("customer_id", "Référence")
    assert changed.matches["customer_id"] == ColumnMatch("customer_id", 0, "Référence", 1.0, "user")
    assert "invoice_id" not in changed.matches
    assert "invoice_id" in m.matches
    assert changed.unmapped == []


def test_an_override_replaces_the_previous_header_of_the_column() -> None:
    m = propose(["Document Date", "Posting Date", "Montant"], "invoices")
    changed = m.with_override("invoice_date", "Posting Date")
    assert changed.matches["invoice_date"].source_index == 1
    assert changed.unmapped == ["Document Date"]


def test_an_override_to_none_unmaps_the_column() -> None:
    m = propose(SAMPLE_HEADERS["invoices"].split(";")).with_override("sales_rep", None)
    assert "sales_rep" not in m.matches
    assert m.unmapped == ["Commercial"]


def test_an_override_of_the_amount_clears_the_debit_credit_problem() -> None:
    m = propose(["N° facture", "Code client", "Date facture", "Débit", "Crédit"], "invoices")
    assert m.with_override("amount", "Débit").missing_required() == []
    assert not any("split" in p for p in m.with_override("amount", "Débit").problems())


def test_an_override_picks_the_unused_copy_of_a_duplicated_header() -> None:
    m = propose(["Montant", "Montant", "Date"], "payments")
    changed = m.with_override("payment_id", "Montant")
    assert changed.matches["payment_id"].source_index == 1
    assert changed.matches["amount"].source_index == 0


def test_an_override_works_on_a_mapping_built_by_hand_without_its_header_list() -> None:
    m = Mapping(
        "payments",
        {"amount": ColumnMatch("amount", 1, "Montant", 0.9, "fuzzy")},
        ["Date", "Devise"],
        0.8,
    )
    changed = m.with_override("payment_date", "Date")
    assert changed.headers == ["Date", "Montant", "Devise"]
    assert changed.matches["payment_date"].source_index == 0
    assert changed.unmapped == ["Devise"]


def test_an_override_with_an_unknown_column_or_header_is_refused() -> None:
    m = propose(["Montant"], "payments")
    with pytest.raises(ValueError, match="no column"):
        m.with_override("due_date", "Montant")
    with pytest.raises(ValueError, match="no header"):
        m.with_override("amount", "Total")


# --- json -------------------------------------------------------------------------------------


def test_a_mapping_survives_a_json_round_trip() -> None:
    m = propose(EXPORT_STYLES["sage"][0].split(";")).with_override("customer_name", None)
    back = Mapping.from_json(m.to_json())
    assert back == m
    assert json.loads(m.to_json())["table"] == "invoices"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        '{"table": "ledger", "headers": [], "matches": {}, "table_confidence": 1}',
        '{"table": "payments", "headers": ["Montant"], "table_confidence": 1,'
        ' "matches": {"amount": {"source_index": 3, "source_header": "Montant",'
        ' "confidence": 1, "method": "user"}}}',
    ],
)
def test_text_that_is_not_a_mapping_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Mapping.from_json(text)


# --- signature, save and load -----------------------------------------------------------------


def test_the_signature_depends_on_normalised_headers_and_their_order() -> None:
    assert signature(["N° facture", "Montant"]) == signature(["n° FACTURE", "montant"])
    assert signature(["N° facture", "Montant"]) != signature(["Montant", "N° facture"])
    assert signature(["a b"]) != signature(["a", "b"])
    assert len(signature([])) == 64


def test_a_saved_mapping_is_reused_for_the_same_headers(tmp_path) -> None:
    path = str(tmp_path / "workspace.duckdb")
    headers = ["Référence", "Client", "Date", "Montant", "Commentaire"]
    chosen = propose(headers, "invoices").with_override("sales_rep", "Commentaire")
    with duckdb.connect(path) as con:
        save(con, headers, chosen, saved_at=datetime(2026, 1, 5, 9, 30))
    with duckdb.connect(path) as con:
        loaded = load(con, headers)
        saved_at = con.execute("SELECT saved_at FROM saved_mappings").fetchone()[0]
    assert loaded is not None
    assert loaded.table == "invoices"
    assert _mapped(loaded) == _mapped(chosen)
    assert {x.method for x in loaded.matches.values()} == {"saved"}
    assert saved_at == datetime(2026, 1, 5, 9, 30)


def test_a_saved_mapping_is_not_reused_for_reordered_or_different_headers(tmp_path) -> None:
    headers = ["N° facture", "Date de règlement", "Montant"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        save(con, headers, propose(headers, "payments"))
        assert load(con, list(reversed(headers))) is None
        assert load(con, headers + ["Devise"]) is None
        assert load(con, headers).table == "payments"


def test_a_saved_mapping_uses_the_spelling_of_the_new_upload(tmp_path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        save(con, ["N° facture", "Montant"], propose(["N° facture", "Montant"], "write_offs"))
        loaded = load(con, ["n° FACTURE", "MONTANT"])
    assert loaded is not None
    assert loaded.matches["amount"].source_header == "MONTANT"


def test_saving_again_replaces_the_earlier_mapping(tmp_path) -> None:
    headers = ["Référence", "Montant", "Date"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        save(con, headers, propose(headers, "invoices"))
        save(con, headers, propose(headers, "payments"))
        count = con.execute("SELECT count(*) FROM saved_mappings").fetchone()[0]
        loaded = load(con, headers)
    assert count == 1
    assert loaded is not None and loaded.table == "payments"


def test_nothing_is_loaded_from_a_workspace_without_saved_mappings(tmp_path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert load(con, ["Montant"]) is None
        tables = con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0]
    assert tables == 0


def test_a_mapping_that_does_not_fit_the_headers_cannot_be_saved(tmp_path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con, pytest.raises(ValueError):
        save(con, ["Devise", "Montant"], propose(["Montant", "Devise"], "payments"))


# --- properties -------------------------------------------------------------------------------

_KNOWN = sorted({h for text in SAMPLE_HEADERS.values() for h in text.split(";")})
_KNOWN += sorted({h for text, _, _ in EXPORT_STYLES.values() for h in text.split(";")})
_HEADER = st.one_of(
    st.text(max_size=30),
    st.sampled_from(_KNOWN),
    st.sampled_from(["", " ", "N°", "#", "_", "Débit", "Crédit", "Solde"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers=st.lists(_HEADER, max_size=300), table=st.sampled_from([None, *TABLES]))
def test_propose_never_raises_and_never_maps_one_header_twice(
    headers: list[str], table: str | None
) -> None:
    m = propose(headers, table)
    indices = [x.source_index for x in m.matches.values()]
    assert len(indices) == len(set(indices))
    assert all(headers[x.source_index] == x.source_header for x in m.matches.values())
    assert all(c == x.column and c in TABLES[m.table].names for c, x in m.matches.items())
    assert all(0 < x.confidence <= 1 for x in m.matches.values())
    assert len(m.matches) + len(m.unmapped) == len(headers)
    assert 0 <= m.table_confidence <= 1
    assert isinstance(m.problems(), list)
    assert Mapping.from_json(m.to_json()) == m


def test_three_hundred_headers_mixing_known_and_junk_map_each_header_at_most_once() -> None:
    headers = [_KNOWN[i % len(_KNOWN)] if i % 3 else f"Colonne {i}" for i in range(300)]
    m = propose(headers)
    indices = [x.source_index for x in m.matches.values()]
    assert len(indices) == len(set(indices))
    assert len(m.matches) + len(m.unmapped) == 300
    assert m.table == "invoices"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Betrag CHF", "CHF"),
        ("Montant (€)", "EUR"),
        ("Amount USD", "USD"),
        ("Solde £", "GBP"),
        ("Montant EUR", "EUR"),
        ("Montant TTC", None),
        ("Amount in local currency", None),
        ("Amount ($)", None),  # several currencies write $
        ("Montant EUR / CHF", None),  # two: none is the unit
    ],
)
def test_the_currency_a_header_names_as_its_unit(header, code):
    assert currency_in_header(header) == code
