"""Tests of the bundled sample ledger and of the scaled benchmark ledgers (analytics.sample)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics import sample
from analytics.sample import (
    FR_HEADERS,
    SAMPLE_DIR,
    SAMPLE_END,
    SHOWCASE_NAME,
    Ledger,
    generate_sample,
    write_bench_ledger,
    write_sample,
)
from analytics.schema import TABLES

FILES = ("invoices", "payments", "customers", "write_offs")
FR_AMOUNT = re.compile(r"^-?\d{1,3}(\u00a0\d{3})*,\d{2}$")
FR_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return generate_sample()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def db(ledger: Ledger, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The generated tables in a DuckDB file, plus `open_items`: one row per document at the
    end date with paid (cash naming or settling it), written-off and open amounts."""
    con = duckdb.connect(str(tmp_path_factory.mktemp("db") / "sample.duckdb"))
    for name, table in ledger.tables().items():
        con.register("src", table)
        create = "CREATE TABLE " + TABLES[name].name + " AS SELECT * FROM src"
        con.execute(create)
        con.unregister("src")
    con.execute(
        """
        CREATE TABLE open_items AS
        WITH p AS (
            SELECT _settles AS invoice_id, SUM(amount) AS paid, COUNT(*) AS n_payments,
                   MAX(payment_date) AS last_payment, BOOL_OR(_overpayment) AS overpaid
            FROM payments GROUP BY 1),
        w AS (SELECT invoice_id, SUM(amount) AS written_off FROM write_offs GROUP BY 1)
        SELECT i.*, COALESCE(p.paid, 0) AS paid, COALESCE(w.written_off, 0) AS written_off,
               i.amount - COALESCE(p.paid, 0) - COALESCE(w.written_off, 0) AS open,
               COALESCE(p.n_payments, 0) AS n_payments, p.last_payment,
               COALESCE(p.overpaid, FALSE) AS overpaid
        FROM invoices i LEFT JOIN p USING (invoice_id) LEFT JOIN w USING (invoice_id)
        """
    )
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    return con.execute(sql, params or []).fetchone()


def read_fr(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def fr_cents(values: pd.Series) -> np.ndarray:
    """French amount text -> whole cents, through Decimal (exact)."""
    text = values.str.replace("\u00a0", "", regex=False).str.replace(",", ".", regex=False)
    return np.array([int(Decimal(v) * 100) for v in text], dtype=np.int64)


# --------------------------------------------------------------------------- the committed files


def test_the_committed_sample_is_exactly_what_the_generator_writes(written: dict[str, Path]):
    for name in FILES:
        committed = SAMPLE_DIR / f"{name}.csv"
        assert committed.read_bytes() == written[name].read_bytes(), name


def test_running_the_command_twice_gives_byte_identical_files(
    written: dict[str, Path], tmp_path: Path
):
    assert sample.main([str(tmp_path)]) == 0
    for name in FILES:
        assert (tmp_path / f"{name}.csv").read_bytes() == written[name].read_bytes()


def test_a_command_that_cannot_write_says_why_and_leaves_no_partial_file(tmp_path: Path, capsys):
    """payments.csv is a folder in the target: nothing is written, not even invoices.csv."""
    (tmp_path / "payments.csv").mkdir()
    with pytest.raises(SystemExit) as stopped:
        sample.main([str(tmp_path)])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        f"python -m analytics.sample: cannot write {tmp_path}: a folder has its name "
        "(payments.csv)\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["payments.csv"]
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SystemExit):
        sample.main([str(tmp_path / "afile" / "sub")])
    assert capsys.readouterr().err.endswith("a file is in the way\n")


@pytest.mark.parametrize("n", ["0", "-5", "99", "many"])
def test_a_bench_ledger_of_fewer_than_100_rows_is_refused(tmp_path: Path, capsys, n: str):
    with pytest.raises(SystemExit):
        sample.main([str(tmp_path), "--bench", n])
    assert (
        f"argument --bench: '{n}' is not a whole number of at least 100" in capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == []


def test_the_sample_files_weigh_less_than_10_mb_together(written: dict[str, Path]):
    assert sum(p.stat().st_size for p in written.values()) < 10 * 1024 * 1024


def test_each_file_starts_with_a_bom_and_the_exact_french_headers(written: dict[str, Path]):
    expected = {
        "invoices": "N° facture;Code client;Raison sociale;Date facture;Date d'échéance;"
        "Montant TTC;Montant HT;Devise;Litige;Douteux;Date de classement douteux;Société;Pays;"
        "Commercial",
        "payments": "N° règlement;Date de règlement;Code client;N° facture;Montant;Devise",
        "customers": "Code client;Raison sociale;Typologie;Limite de crédit;Limite assurée;Pays;"
        "Professionnel;Procédure collective;Taux de pénalité",
        "write_offs": "N° facture;Date de passage en perte;Montant TTC;Montant HT",
    }
    for name, header in expected.items():
        raw = written[name].read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        assert raw[3:].decode("utf-8").split("\n", 1)[0] == header


def test_every_field_follows_the_french_excel_conventions(written: dict[str, Path]):
    inv = read_fr(written["invoices"])
    for col in ("Montant TTC", "Montant HT"):
        assert inv[col].str.match(FR_AMOUNT).all(), col
    assert inv["Date facture"].str.match(FR_DATE).all()
    due = inv["Date d'échéance"]
    assert due[due != ""].str.match(FR_DATE).all()
    assert set(inv["Litige"]) == {"Oui", "Non"} and set(inv["Douteux"]) == {"Oui", "Non"}
    assert inv["Montant TTC"].str.contains("\u00a0").any()
    assert inv["N° facture"].str.match(r"^FA20\d{2}-\d{6}$").all()
    assert inv["N° facture"].is_unique
    cus = read_fr(written["customers"])
    assert cus["Code client"].str.match(r"^C\d{5}$").all() and cus["Code client"].is_unique
    assert "C00001" in set(cus["Code client"])
    rates = cus["Taux de pénalité"]
    assert rates[rates != ""].str.match(r"^\d{1,2},\d{2}$").all()
    assert "12,00" in set(rates)
    pay = read_fr(written["payments"])
    assert pay["Montant"].str.match(FR_AMOUNT).all()
    assert pay["Date de règlement"].str.match(FR_DATE).all()
    assert pay["N° règlement"].is_unique


def test_the_french_files_read_back_to_the_generated_amounts(
    ledger: Ledger, written: dict[str, Path]
):
    inv = read_fr(written["invoices"])
    cents = ledger.invoices["amount"].to_pandas().map(lambda d: int(d * 100)).to_numpy(np.int64)
    assert np.array_equal(fr_cents(inv["Montant TTC"]), cents)
    first = inv.iloc[0]
    gen = ledger.invoices.slice(0, 1).to_pylist()[0]
    assert first["N° facture"] == gen["invoice_id"]
    assert first["Date facture"] == gen["invoice_date"].strftime("%d/%m/%Y")


def test_names_keep_accents_apostrophes_and_ampersands(written: dict[str, Path]):
    names = set(read_fr(written["customers"])["Raison sociale"])
    assert SHOWCASE_NAME in names
    assert any("'" in n for n in names) and any("&" in n for n in names)
    assert any(re.search("[éèêàçôîÉ]", n) for n in names)


# --------------------------------------------------------------------------- sizes and dates


def test_the_sample_has_about_600_customers_and_40000_invoices(ledger: Ledger):
    assert 550 <= ledger.customers.num_rows <= 650
    assert 38_000 <= ledger.invoices.num_rows <= 42_000
    assert 0.8 * ledger.invoices.num_rows <= ledger.payments.num_rows <= 1.1 * 40_000


def test_invoices_span_three_years_and_nothing_is_dated_after_the_end_date(db):
    first, last = one(db, "SELECT MIN(invoice_date), MAX(invoice_date) FROM invoices")
    assert first == date(2023, 11, 1) and last <= SAMPLE_END
    assert last >= date(2026, 10, 25)
    for sql in (
        "SELECT MAX(payment_date) FROM payments",
        "SELECT MAX(write_off_date) FROM write_offs",
        "SELECT MAX(doubtful_date) FROM invoices",
    ):
        assert one(db, sql)[0] <= SAMPLE_END


def test_no_payment_precedes_the_invoice_it_settles(db):
    sql = """SELECT COUNT(*) FROM payments p JOIN invoices i ON i.invoice_id = p._settles
             WHERE p.payment_date < i.invoice_date"""
    assert one(db, sql)[0] == 0


def test_every_settled_reference_and_customer_exists(db):
    sql = """SELECT COUNT(*) FROM payments p LEFT JOIN invoices i ON i.invoice_id = p._settles
             WHERE i.invoice_id IS NULL OR i.customer_id <> p.customer_id"""
    assert one(db, sql)[0] == 0
    sql = """SELECT COUNT(*) FROM invoices i LEFT JOIN customers c USING (customer_id)
             WHERE c.customer_id IS NULL"""
    assert one(db, sql)[0] == 0


# --------------------------------------------------------------------------- money consistency


def test_all_amounts_are_exact_cents_of_the_money_type(ledger: Ledger):
    for name, table in ledger.tables().items():
        for col in ("amount", "amount_excl_tax", "credit_limit", "insured_limit"):
            if col in table.column_names:
                assert table.schema.field(col).type == pa.decimal128(18, 2), (name, col)


def test_payments_and_write_offs_never_exceed_an_invoice_except_marked_overpayments(db):
    over = one(db, "SELECT COUNT(*) FROM open_items WHERE open < 0 AND amount > 0")[0]
    marked = one(db, "SELECT COUNT(*) FROM open_items WHERE open < 0 AND overpaid")[0]
    assert over == marked == 2
    worst = one(db, "SELECT MIN(open) FROM open_items WHERE overpaid")[0]
    assert Decimal("-20") <= worst < 0
    assert one(db, "SELECT COUNT(*) FROM payments WHERE _overpayment AND invoice_id IS NULL")[0]
    assert one(db, "SELECT COUNT(*) FROM open_items WHERE amount < 0 AND paid <> 0")[0] == 0
    assert one(db, "SELECT MIN(amount) FROM payments")[0] > 0


def test_amounts_excluding_tax_are_ttc_over_1_2_for_most_and_other_rates_for_a_few(db):
    """HT is TTC / (1 + rate) to the cent: |HT x (1 + rate) - TTC| <= 0.005 x (1 + rate), written
    in exact decimals, e.g. |12 HT - 10 TTC| <= 0.06 for 20 %."""
    sql = """SELECT AVG(CASE WHEN ABS(12 * amount_excl_tax - 10 * amount) <= 0.06
                             THEN 1 ELSE 0 END),
                    COUNT(*) FILTER (WHERE amount_excl_tax = amount),
                    COUNT(*) FILTER (WHERE ABS(11 * amount_excl_tax - 10 * amount) <= 0.055),
                    COUNT(*) FILTER (WHERE ABS(amount_excl_tax) > ABS(amount))
             FROM invoices"""
    share_20, zero_rate, ten_rate, larger = one(db, sql)
    assert 0.75 <= share_20 < 0.95
    assert zero_rate > 0 and ten_rate > 0 and larger == 0


def test_write_offs_excluding_tax_follow_the_invoice_vat_rate(db):
    sql = """SELECT COUNT(*) FROM write_offs w JOIN invoices i USING (invoice_id)
             WHERE w.amount_excl_tax > w.amount OR w.amount <= 0
                OR (ABS(12 * i.amount_excl_tax - 10 * i.amount) <= 0.06
                    AND ABS(12 * w.amount_excl_tax - 10 * w.amount) > 0.06)"""
    assert one(db, sql)[0] == 0


# --------------------------------------------------------------------------- features present


def test_about_3_percent_of_documents_are_negative_credit_notes(db):
    share = one(db, "SELECT AVG(CASE WHEN amount < 0 THEN 1 ELSE 0 END) FROM invoices")[0]
    assert 0.02 <= share <= 0.04


def test_some_invoices_are_paid_in_two_or_three_instalments(db):
    counts = dict(db.execute("SELECT n_payments, COUNT(*) FROM open_items GROUP BY 1").fetchall())
    assert counts.get(2, 0) > 200 and counts.get(3, 0) > 50
    assert max(counts) <= 3


def test_about_3_percent_of_payments_name_only_the_customer(db):
    share, with_customer = one(
        db,
        """SELECT AVG(CASE WHEN invoice_id IS NULL THEN 1 ELSE 0 END),
                  BOOL_AND(customer_id IS NOT NULL) FROM payments""",
    )
    assert 0.02 <= share <= 0.04 and with_customer


def test_about_2_percent_of_invoices_are_disputed_and_most_are_still_open(db):
    share, open_share = one(
        db,
        """SELECT AVG(CASE WHEN disputed THEN 1 ELSE 0 END),
                  AVG(CASE WHEN open > 0 THEN 1 ELSE 0 END) FILTER (WHERE disputed)
           FROM open_items""",
    )
    assert 0.015 <= share <= 0.025 and open_share > 0.5


def test_about_8_customers_have_doubtful_invoices_with_a_classification_date(db):
    n_customers, without_date, too_early = one(
        db,
        """SELECT COUNT(DISTINCT customer_id), COUNT(*) FILTER (WHERE doubtful_date IS NULL),
                  COUNT(*) FILTER (WHERE doubtful_date < invoice_date)
           FROM invoices WHERE doubtful""",
    )
    assert 6 <= n_customers <= 10 and without_date == 0 and too_early == 0
    assert (
        one(db, "SELECT COUNT(*) FROM invoices WHERE NOT doubtful AND doubtful_date IS NOT NULL")[0]
        == 0
    )


def test_collective_procedures_have_partial_write_offs_dated_after_classification(db):
    n_coll = one(db, "SELECT COUNT(*) FROM customers WHERE collective_procedure")[0]
    assert 3 <= n_coll <= 5
    rows = db.execute(
        """SELECT c.collective_procedure, i.doubtful, w.write_off_date >= i.doubtful_date,
                  COUNT(*)
           FROM write_offs w JOIN invoices i USING (invoice_id) JOIN customers c USING (customer_id)
           GROUP BY ALL"""
    ).fetchall()
    assert [r[:3] for r in rows] == [(True, True, True)] and rows[0][3] >= 10
    not_written = one(
        db,
        """SELECT COUNT(*) FROM open_items i JOIN customers c USING (customer_id)
           WHERE c.collective_procedure AND i.doubtful AND i.written_off = 0""",
    )[0]
    partly = one(db, "SELECT COUNT(*) FROM open_items WHERE written_off > 0 AND open > 0")[0]
    assert not_written > 0 and partly > 0


def test_between_5_and_10_percent_of_credit_limits_are_exceeded_at_the_end_date(db):
    exceeded, with_limit, over_insured, insured, business = one(
        db,
        """WITH bal AS (SELECT customer_id, SUM(open) AS balance FROM open_items GROUP BY 1)
           SELECT COUNT(*) FILTER (WHERE balance > credit_limit), COUNT(credit_limit),
                  COUNT(*) FILTER (WHERE balance > insured_limit), COUNT(insured_limit),
                  COUNT(*) FILTER (WHERE is_business)
           FROM customers LEFT JOIN bal USING (customer_id)""",
    )
    assert 0.05 <= exceeded / with_limit <= 0.10
    assert with_limit >= 0.75 * business
    assert 0.4 <= insured / with_limit <= 0.7 and over_insured > 0


def test_individuals_are_not_businesses_and_have_no_credit_limit(db):
    rows = db.execute(
        """SELECT segment, BOOL_AND(is_business), COUNT(credit_limit) FROM customers
           GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    assert {r[0] for r in rows} == set(sample.SEGMENTS)
    for segment, business, limits in rows:
        assert business == (segment != "Particulier")
        if segment == "Particulier":
            assert limits == 0


def test_about_2_percent_of_invoices_are_in_usd_or_gbp_in_the_second_entity(db):
    share, entities = one(
        db,
        """SELECT AVG(CASE WHEN currency <> 'EUR' THEN 1 ELSE 0 END),
                  LIST(DISTINCT entity) FILTER (WHERE currency <> 'EUR') FROM invoices""",
    )
    assert 0.015 <= share <= 0.03 and entities == ["Encours Services SARL"]
    currencies = {r[0] for r in db.execute("SELECT DISTINCT currency FROM invoices").fetchall()}
    assert currencies == {"EUR", "USD", "GBP"}
    assert (
        one(
            db,
            """SELECT COUNT(*) FROM payments p JOIN invoices i ON i.invoice_id = p._settles
           WHERE p.currency <> i.currency""",
        )[0]
        == 0
    )


def test_both_entities_and_the_five_countries_appear(db):
    entities = {r[0] for r in db.execute("SELECT DISTINCT entity FROM invoices").fetchall()}
    assert entities == set(sample.ENTITIES)
    fr_share = one(db, "SELECT AVG(CASE WHEN country = 'FR' THEN 1 ELSE 0 END) FROM customers")[0]
    countries = {r[0] for r in db.execute("SELECT DISTINCT country FROM customers").fetchall()}
    assert countries == set(sample.COUNTRIES) and fr_share > 0.8


def test_terms_are_30_net_45_end_of_month_60_net_and_90_for_a_few_customers(db):
    rows = dict(
        db.execute(
            """SELECT CASE WHEN due_date - invoice_date IN (30, 60, 90)
                           THEN CAST(due_date - invoice_date AS VARCHAR)
                           WHEN due_date = LAST_DAY(invoice_date + 45) THEN '45eom'
                           ELSE 'other' END AS terms, COUNT(DISTINCT customer_id)
               FROM invoices WHERE amount > 0 AND due_date IS NOT NULL GROUP BY 1"""
        ).fetchall()
    )
    assert rows.get("other", 0) == 0
    assert rows["30"] > 100 and rows["60"] > 30 and rows["45eom"] > 30
    assert 3 <= rows["90"] <= 10


def test_about_1_percent_of_invoices_have_no_due_date(db):
    share = one(db, "SELECT AVG(CASE WHEN due_date IS NULL THEN 1 ELSE 0 END) FROM invoices")[0]
    assert 0.005 <= share <= 0.015


def test_payment_habits_follow_the_typology(db):
    """Mean days late (last payment - due date) of fully paid positive invoices."""
    late = dict(
        db.execute(
            """SELECT c.segment, AVG(last_payment - due_date) FROM open_items i
               JOIN customers c USING (customer_id)
               WHERE i.amount > 0 AND i.open = 0 AND i.paid > 0 AND due_date IS NOT NULL
               GROUP BY 1"""
        ).fetchall()
    )
    assert 10 <= late["Grand compte"] <= 22
    assert 5 <= late["PME"] <= 17
    assert 30 <= late["Secteur public"] <= 48
    assert -5 <= late["Particulier"] <= 3
    assert late["TPE"] > late["PME"]


def test_about_10_customers_pay_markedly_later_in_the_last_6_months(db):
    """Customers with at least 8 settled invoices in each period whose mean delay grew by
    more than 30 days between payments before and after 2026-05-01."""
    n = one(
        db,
        """WITH x AS (SELECT customer_id, last_payment - due_date AS late,
                             last_payment >= DATE '2026-05-01' AS recent
                      FROM open_items WHERE amount > 0 AND open = 0 AND paid > 0
                        AND due_date IS NOT NULL),
           g AS (SELECT customer_id,
                        AVG(late) FILTER (WHERE recent) - AVG(late) FILTER (WHERE NOT recent)
                            AS rise,
                        COUNT(*) FILTER (WHERE recent) AS n_recent,
                        COUNT(*) FILTER (WHERE NOT recent) AS n_before
                 FROM x GROUP BY 1)
           SELECT COUNT(*) FROM g WHERE rise > 30 AND n_recent >= 8 AND n_before >= 8""",
    )[0]
    assert 5 <= n <= 15


def test_recent_invoices_are_still_open_and_a_tail_of_old_ones_too(db):
    recent_open, old_open = one(
        db,
        """SELECT AVG(CASE WHEN open > 0 THEN 1 ELSE 0 END)
                      FILTER (WHERE invoice_date > DATE '2026-10-01'),
                  COUNT(*) FILTER (WHERE open > 0 AND NOT doubtful AND NOT disputed
                                   AND paid = 0 AND invoice_date < DATE '2025-10-31')
           FROM open_items WHERE amount > 0""",
    )
    assert recent_open > 0.9 and old_open > 50


# --------------------------------------------------------------------------- helpers


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_french_amount_text_reads_back_to_the_same_cents(cents: int):
    text = sample._fr_number(np.array([cents], dtype=np.int64))[0].as_py()
    assert FR_AMOUNT.match(text)
    assert fr_cents(pd.Series([text]))[0] == cents


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from([0, 55, 100, 200]))
def test_amount_excluding_tax_is_the_half_up_rounding_of_ttc_over_one_plus_vat(
    cents: int, permille: int
):
    got = sample._excl_tax(np.array([cents]), np.array([permille]))[0]
    exact = (Decimal(cents) / (1 + Decimal(permille) / 1000)).quantize(Decimal(1), "ROUND_HALF_UP")
    assert got == int(exact)


def test_due_dates_follow_each_term_on_hand_computed_cases():
    """Invoice 2026-01-20: 30 net -> 02-19; 45 days end of month: 01-20 + 45 = 03-06, end of
    March -> 03-31; 60 net -> 03-21; 90 net -> 04-20. Invoice 2024-01-15, 45 eom: +45 =
    02-29 (leap year) -> 02-29."""
    d = np.array(
        [sample._epoch_days(date(2026, 1, 20))] * 4 + [sample._epoch_days(date(2024, 1, 15))]
    )
    terms = np.array([sample.T30, sample.T45EOM, sample.T60, sample.T90, sample.T45EOM])
    got = sample._due_dates(d, terms).astype("datetime64[D]").astype(str).tolist()
    assert got == ["2026-02-19", "2026-03-31", "2026-03-21", "2026-04-20", "2024-02-29"]


def test_weekend_dates_move_back_to_friday_or_on_to_monday():
    """2026-10-31 is a Saturday: back to Friday 10-30, on to Monday 11-02."""
    sat = np.array([sample._epoch_days(date(2026, 10, 31))])
    assert sample._back_to_friday(sat)[0] == sample._epoch_days(date(2026, 10, 30))
    assert sample._on_to_monday(sat)[0] == sample._epoch_days(date(2026, 11, 2))


# --------------------------------------------------------------------------- scaled ledgers


@pytest.fixture(scope="module")
def bench_csv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_bench_ledger(tmp_path_factory.mktemp("csv"), 5_000, fmt="csv")


@pytest.fixture(scope="module")
def bench_parquet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_bench_ledger(tmp_path_factory.mktemp("pq"), 5_000, fmt="parquet")


def test_a_scaled_csv_ledger_has_canonical_headers_and_the_requested_row_count(
    bench_csv: dict[str, Path],
):
    assert set(bench_csv) == set(FILES)
    for name, path in bench_csv.items():
        header = path.read_text(encoding="utf-8").split("\n", 1)[0]
        cols = [c.strip('"') for c in header.split(",")]
        assert cols == list(FR_HEADERS[name]), name
        assert set(cols) <= set(TABLES[name].names)
    frame = pd.read_csv(bench_csv["invoices"], dtype=str)
    assert len(frame) == 5_000
    assert frame["invoice_date"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    assert frame["amount"].str.match(r"^-?\d+\.\d{2}$").all()
    customers = pd.read_csv(bench_csv["customers"], dtype=str)
    assert 70 <= len(customers) <= 100
    assert 4_000 <= len(pd.read_csv(bench_csv["payments"], dtype=str)) <= 5_500


def test_a_scaled_parquet_ledger_has_typed_columns(bench_parquet: dict[str, Path]):
    inv = pq.read_schema(bench_parquet["invoices"])
    assert inv.field("amount").type == pa.decimal128(18, 2)
    assert inv.field("invoice_date").type == pa.date32()
    assert inv.field("disputed").type == pa.bool_()
    assert pq.read_metadata(bench_parquet["invoices"]).num_rows == 5_000
    cus = pq.read_schema(bench_parquet["customers"])
    assert cus.field("penalty_rate").type == pa.decimal128(9, 4)


def test_csv_and_parquet_hold_the_same_ledger_when_loaded_in_duckdb(
    bench_csv: dict[str, Path], bench_parquet: dict[str, Path], tmp_path: Path
):
    con = duckdb.connect(str(tmp_path / "bench.duckdb"))
    sql = "SELECT COUNT(*), SUM(CAST(amount AS DECIMAL(18,2))) FROM read_csv($p, all_varchar=true)"
    from_csv = con.execute(sql, {"p": str(bench_csv["payments"])}).fetchone()
    sql = "SELECT COUNT(*), SUM(amount) FROM read_parquet($p)"
    from_parquet = con.execute(sql, {"p": str(bench_parquet["payments"])}).fetchone()
    assert from_csv == from_parquet and from_csv[0] > 0


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(
    bench_csv: dict[str, Path], bench_parquet: dict[str, Path], tmp_path: Path
):
    again = write_bench_ledger(tmp_path / "csv", 5_000, fmt="csv")
    again_pq = write_bench_ledger(tmp_path / "pq", 5_000, fmt="parquet")
    other = write_bench_ledger(tmp_path / "other", 5_000, seed=8, fmt="csv")
    for name in FILES:
        assert again[name].read_bytes() == bench_csv[name].read_bytes()
        assert again_pq[name].read_bytes() == bench_parquet[name].read_bytes()
    assert other["invoices"].read_bytes() != bench_csv["invoices"].read_bytes()


def test_a_ledger_written_in_several_blocks_keeps_ids_unique_and_references_valid(
    tmp_path: Path,
):
    paths = write_bench_ledger(tmp_path, 5_000, fmt="parquet", block_invoices=2_000)
    con = duckdb.connect(str(tmp_path / "blocks.duckdb"))
    params = {k: str(v) for k, v in paths.items()}
    n, distinct = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT invoice_id) FROM read_parquet($invoices)",
        {"invoices": params["invoices"]},
    ).fetchone()
    assert n == distinct == 5_000
    n, distinct = con.execute(
        "SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM read_parquet($customers)",
        {"customers": params["customers"]},
    ).fetchone()
    assert n == distinct
    dangling = con.execute(
        """SELECT COUNT(*) FROM read_parquet($payments) p
           LEFT JOIN read_parquet($invoices) i USING (invoice_id)
           WHERE p.invoice_id IS NOT NULL AND i.invoice_id IS NULL""",
        {"payments": params["payments"], "invoices": params["invoices"]},
    ).fetchone()[0]
    assert dangling == 0


def test_a_bench_ledger_rejects_an_unknown_format(tmp_path: Path):
    with pytest.raises(ValueError, match="fmt"):
        write_bench_ledger(tmp_path, 5_000, fmt="xlsx")  # type: ignore[arg-type]
