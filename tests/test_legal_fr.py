"""French payment law (kpi-spec section 8): analytics.legal_fr on real DuckDB files."""

from __future__ import annotations

import uuid
import warnings
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import legal_fr
from analytics.config import Filters
from tests.ledger_factory import inv, make_ledger, pay


def late(con, as_of, **kw):
    frame = legal_fr.late_invoices(con, as_of, dataset_id=1, **kw)
    return {r["invoice_id"]: r for r in frame.to_dict("records")}


def b2b(customer_id, **extra):
    return {"customer_id": customer_id, "is_business": True, **extra}


# -- the ECB rate table -------------------------------------------------------------------------


def test_the_bundled_rate_table_loads_with_a_source_on_every_row():
    rates = legal_fr.load_ecb_rates()
    assert rates["effective_date"].iloc[0] == date(1999, 1, 1)
    assert all(rates["source"].str.startswith("https://www.ecb.europa.eu/"))
    assert list(rates["effective_date"]) == sorted(rates["effective_date"])


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2014, 1, 1), "0.25"),
        (date(2023, 1, 1), "2.50"),
        (date(2023, 7, 1), "4.00"),
        (date(2024, 1, 1), "4.50"),
        (date(2024, 7, 1), "4.25"),
        (date(2025, 1, 1), "3.15"),
        (date(2025, 7, 1), "2.15"),
    ],
)
def test_the_rate_in_force_on_each_half_year_start_matches_the_published_french_rate(on, expected):
    """The rates the French ministry publishes for those half-years (taux BCE applicable)."""
    assert legal_fr.rate_in_force(legal_fr.load_ecb_rates(), on) == Decimal(expected)


def test_a_date_before_the_first_row_has_no_rate():
    assert legal_fr.rate_in_force(legal_fr.load_ecb_rates(), date(1998, 7, 1)) is None


def write_rates(tmp_path, lines):
    path = tmp_path / "rates.csv"
    path.write_text("effective_date,rate_percent,source\n" + "\n".join(lines) + "\n")
    return path


def test_a_rate_table_with_dates_out_of_order_is_refused(tmp_path):
    path = write_rates(tmp_path, ["2020-01-01,1.00,ecb", "2019-01-01,2.00,ecb"])
    with pytest.raises(ValueError, match="ascending"):
        legal_fr.load_ecb_rates(path)


def test_a_rate_table_row_without_a_source_is_refused(tmp_path):
    path = write_rates(tmp_path, ["2020-01-01,1.00,ecb", "2021-01-01,2.00,"])
    with pytest.raises(ValueError, match="source"):
        legal_fr.load_ecb_rates(path)


def test_a_rate_that_is_not_a_number_is_refused(tmp_path):
    path = write_rates(tmp_path, ["2020-01-01,one,ecb"])
    with pytest.raises(ValueError, match="not a number"):
        legal_fr.load_ecb_rates(path)


def test_a_rate_table_missing_a_column_is_refused(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("effective_date,rate_percent\n2020-01-01,1.00\n")
    with pytest.raises(ValueError, match="source"):
        legal_fr.load_ecb_rates(path)


# -- penalties, hand-computed -------------------------------------------------------------------


@pytest.fixture
def public_check(tmp_path):
    """10,000.00 due 2014-01-31, paid 2014-05-02: 91 days late, all in the first half of 2014.

    ECB rate in force on 2014-01-01: 0.25 %, plus 10 points = 10.25 %.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A1", "A", date(2014, 1, 1), "10000.00", date(2014, 1, 31))],
        payments=[pay(date(2014, 5, 2), "10000.00", "A1")],
        customers=[b2b("A")],
    )


def test_the_public_check_10000_at_10_25_percent_for_91_days(public_check):
    """10,000 x 10.25 / 100 x 91 / 365 = 93,275 / 365 = 255.5479... -> 255.55.

    kpi-spec section 8 states 255.48 for this check; that figure is an arithmetic slip
    (255.48 x 365 / 91 / 10,000 = 10.247 %, not 10.25 %). 255.55 is the exact result.
    """
    row = late(public_check, date(2014, 6, 30))["A1"]
    assert row["days_late"] == 91
    assert row["status"] == "paid_late"
    assert row["penalty"] == Decimal("255.55")
    assert row["indemnity_eur"] == Decimal("40.00")


def test_a_delay_across_30_june_is_split_between_the_two_half_year_rates(tmp_path):
    """1,000.00 due 2023-05-31, paid 2023-08-09.

    1-30 June: 30 days at 2.50 + 10 = 12.50 %; 1 July-9 August: 40 days at 4.00 + 10 = 14.00 %.
    1,000 x (30 x 12.50 + 40 x 14.00) / 36,500 = 1,000 x 935 / 36,500 = 25.616 -> 25.62.
    A single rate would give 1,000 x 70 x 12.50 / 36,500 = 23.97 or x 14.00 = 26.85.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("B1", "B", date(2023, 5, 1), "1000.00", date(2023, 5, 31))],
        payments=[pay(date(2023, 8, 9), "1000.00", "B1")],
        customers=[b2b("B")],
    )
    row = late(con, date(2023, 12, 31))["B1"]
    assert row["days_late"] == 70
    assert (row["min_rate"], row["max_rate"]) == (Decimal("12.5"), Decimal("14"))
    assert row["penalty"] == Decimal("25.62")


def test_a_partial_payment_reduces_the_base_from_the_day_after_it_is_received(tmp_path):
    """1,000.00 due 2024-01-31; 600.00 paid 2024-03-01, the last 400.00 on 2024-05-01.

    1 February-1 March (30 days, 2024 is a leap year) on 1,000; 2 March-1 May (61 days) on 400.
    Rate 2024 H1: 4.50 + 10 = 14.50 %.
    (1,000 x 30 + 400 x 61) x 14.50 / 36,500 = 54,400 x 14.5 / 36,500 = 21.611 -> 21.61.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("C1", "C", date(2024, 1, 1), "1000.00", date(2024, 1, 31))],
        payments=[
            pay(date(2024, 3, 1), "600.00", "C1"),
            pay(date(2024, 5, 1), "400.00", "C1"),
        ],
        customers=[b2b("C")],
    )
    assert late(con, date(2024, 6, 30))["C1"]["penalty"] == Decimal("21.61")


def test_customer_level_payments_are_spread_over_time_oldest_due_date_first(tmp_path):
    """Payments naming only customer C: 600.00 on 2024-03-01, 600.00 on 2024-05-01.

    C1 1,000.00 due 01-31 takes 600 on 03-01 and 400 on 05-01: 21.61 as in the partial case.
    C2 500.00 due 03-31 takes the remaining 200 on 05-01 and is still open (300.00) at 06-30:
    1 April-1 May (31 days) on 500, 2 May-30 June (60 days) on 300, at 14.50 %:
    (500 x 31 + 300 x 60) x 14.5 / 36,500 = 33,500 x 14.5 / 36,500 = 13.308 -> 13.31.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("C1", "C", date(2024, 1, 1), "1000.00", date(2024, 1, 31)),
            inv("C2", "C", date(2024, 2, 1), "500.00", date(2024, 3, 31)),
        ],
        payments=[
            pay(date(2024, 3, 1), "600.00", customer_id="C"),
            pay(date(2024, 5, 1), "600.00", customer_id="C"),
        ],
        customers=[b2b("C")],
    )
    rows = late(con, date(2024, 6, 30))
    assert rows["C1"]["penalty"] == Decimal("21.61")
    assert rows["C2"]["status"] == "open"
    assert rows["C2"]["open_amount"] == Decimal("300.00")
    assert rows["C2"]["penalty"] == Decimal("13.31")


def test_an_open_invoice_accrues_up_to_the_as_of_date(tmp_path):
    """2,000.00 due 2024-06-20, open at 2024-06-30: 10 days at 14.50 %.

    2,000 x 10 x 14.5 / 36,500 = 7.945 -> 7.95.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("D1", "D", date(2024, 5, 21), "2000.00", date(2024, 6, 20))],
        customers=[b2b("D")],
    )
    row = late(con, date(2024, 6, 30))["D1"]
    assert (row["days_late"], row["penalty"]) == (10, Decimal("7.95"))


def test_a_contractual_rate_overrides_the_ecb_rate(tmp_path):
    """Same invoice as the public check with a contractual rate of 12 % a year.

    10,000 x 12 x 91 / 36,500 = 10,920,000 / 36,500 = 299.178 -> 299.18.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A1", "A", date(2014, 1, 1), "10000.00", date(2014, 1, 31))],
        payments=[pay(date(2014, 5, 2), "10000.00", "A1")],
        customers=[b2b("A", penalty_rate=Decimal("12.00"))],
    )
    row = late(con, date(2014, 6, 30))["A1"]
    assert row["rate_basis"] == "contractual"
    assert row["penalty"] == Decimal("299.18")


def test_an_individual_owes_no_penalty_and_no_indemnity(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("P1", "P", date(2024, 1, 1), "500.00", date(2024, 1, 31))],
        customers=[{"customer_id": "P", "is_business": False}],
    )
    row = late(con, date(2024, 6, 30))["P1"]
    assert row["eligible"] is False
    assert (row["penalty"], row["indemnity_eur"]) == (Decimal("0.00"), Decimal("0.00"))
    summary = legal_fr.legal_summary(con, date(2024, 6, 30), dataset_id=1)
    assert summary["late_invoices"] == 1
    assert summary["indemnities"] == Decimal("0.00")


def test_a_customer_in_a_collective_procedure_owes_no_penalty(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("K1", "K", date(2024, 1, 1), "500.00", date(2024, 1, 31))],
        customers=[b2b("K", collective_procedure=True)],
    )
    row = late(con, date(2024, 6, 30))["K1"]
    assert row["eligible"] is False
    assert row["penalty"] == Decimal("0.00")
    assert legal_fr.late_payment_penalties(con, date(2024, 6, 30), dataset_id=1) == Decimal("0.00")


def test_a_half_year_the_rate_table_does_not_cover_gives_none_with_a_warning(public_check):
    rates = pd.DataFrame(
        {"effective_date": [date(2015, 1, 1)], "rate_percent": ["0.05"], "source": ["ecb"]}
    )
    with pytest.warns(legal_fr.MissingRateWarning):
        row = late(public_check, date(2014, 6, 30), rates=rates)["A1"]
    assert row["penalty"] is None
    with pytest.warns(legal_fr.MissingRateWarning):
        total = legal_fr.late_payment_penalties(
            public_check, date(2014, 6, 30), dataset_id=1, rates=rates
        )
    assert total is None


def test_an_edited_rate_table_is_used(public_check):
    """With a table saying 1.00 % from 2014: 10,000 x 11 x 91 / 36,500 = 274.247 -> 274.25."""
    rates = pd.DataFrame(
        {"effective_date": ["2014-01-01"], "rate_percent": ["1.00"], "source": ["edited"]}
    )
    assert late(public_check, date(2014, 6, 30), rates=rates)["A1"]["penalty"] == Decimal("274.25")


def test_an_invoice_paid_on_its_due_date_is_not_late(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("E1", "E", date(2024, 1, 1), "100.00", date(2024, 1, 31))],
        payments=[pay(date(2024, 1, 31), "100.00", "E1")],
    )
    assert late(con, date(2024, 6, 30)) == {}


def test_an_invoice_due_today_is_not_late(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("E1", "E", date(2024, 1, 1), "100.00", date(2024, 6, 30))],
    )
    assert late(con, date(2024, 6, 30)) == {}
    assert late(con, date(2024, 7, 1))["E1"]["days_late"] == 1


def test_credit_notes_are_never_late(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("N1", "N", date(2024, 1, 1), "-100.00", date(2024, 1, 31))],
    )
    assert late(con, date(2024, 6, 30)) == {}


def test_a_ledger_with_settlement_dates_only_uses_them(tmp_path):
    """No payments table: 1,000.00 due 2024-01-31 settled 2024-03-01, 30 days at 14.50 %.

    1,000 x 30 x 14.5 / 36,500 = 11.917 -> 11.92.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv(
                "S1",
                "S",
                date(2024, 1, 1),
                "1000.00",
                date(2024, 1, 31),
                settled_date=date(2024, 3, 1),
            ),
        ],
    )
    assert late(con, date(2024, 6, 30))["S1"]["penalty"] == Decimal("11.92")


def test_totals_per_customer_split_open_and_paid_late_invoices(tmp_path):
    """C1 paid late (21.61), C2 open (13.31): see the customer-level payments case."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("C1", "C", date(2024, 1, 1), "1000.00", date(2024, 1, 31)),
            inv("C2", "C", date(2024, 2, 1), "500.00", date(2024, 3, 31)),
        ],
        payments=[
            pay(date(2024, 3, 1), "600.00", customer_id="C"),
            pay(date(2024, 5, 1), "600.00", customer_id="C"),
        ],
    )
    row = legal_fr.penalties_by_customer(con, date(2024, 6, 30), dataset_id=1).iloc[0]
    assert (row["late_open"], row["late_paid"]) == (1, 1)
    assert row["penalties_open"] == Decimal("13.31")
    assert row["penalties_paid"] == Decimal("21.61")
    assert row["indemnities_open_eur"] == Decimal("40.00")
    assert row["indemnities_paid_eur"] == Decimal("40.00")


# -- terms --------------------------------------------------------------------------------------


@pytest.fixture
def terms_book(tmp_path):
    """Invoice dates and due dates around the two legal limits.

    T1 01-15 -> 04-15: 91 days; limits 03-15 (60 days) and 02-29 (end of month of 01-15 + 45
       = 02-29): breach.
    T2 01-15 -> 03-14: 59 days: within both.
    T3 01-20 -> 03-31: beyond 60 days (03-20) but not beyond 45 days end of month (01-20 + 45
       = 03-05, end of March 03-31): allowed.
    T4 01-20 -> 04-01: beyond both: breach.
    T5 01-15 -> 04-15 for an individual: the law on B2B terms does not apply.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("T1", "A", date(2024, 1, 15), "100.00", date(2024, 4, 15)),
            inv("T2", "A", date(2024, 1, 15), "200.00", date(2024, 3, 14)),
            inv("T3", "A", date(2024, 1, 20), "300.00", date(2024, 3, 31)),
            inv("T4", "A", date(2024, 1, 20), "400.00", date(2024, 4, 1)),
            inv("T5", "P", date(2024, 1, 15), "500.00", date(2024, 4, 15)),
        ],
        customers=[b2b("A"), {"customer_id": "P", "is_business": False}],
    )


def test_terms_breach_the_law_only_beyond_both_60_days_and_45_days_end_of_month(terms_book):
    frame = legal_fr.terms_breaches(terms_book, date(2024, 6, 30), dataset_id=1)
    assert list(frame["invoice_id"]) == ["T1", "T4"]
    t1 = frame.iloc[0]
    assert (t1["terms_days"], t1["limit_60_days"], t1["limit_45_eom"]) == (
        91,
        date(2024, 3, 15),
        date(2024, 2, 29),
    )
    assert t1["days_beyond"] == 31


def test_the_terms_breach_count_is_counted_in_the_database(terms_book):
    """T1 and T4 breach (see terms_book); on 2024-01-17 only T1 and T2 are dated, T1 breaches;
    a filter on customer P (an individual) leaves none."""
    d = date(2024, 6, 30)
    assert legal_fr.terms_breach_count(terms_book, d, dataset_id=1) == 2
    assert legal_fr.terms_breach_count(terms_book, date(2024, 1, 17), dataset_id=1) == 1
    only_p = Filters(customer_id=("P",))
    assert legal_fr.terms_breach_count(terms_book, d, dataset_id=1, filters=only_p) == 0


def test_terms_breaches_per_customer_give_the_amounts_at_stake(terms_book):
    row = legal_fr.terms_breaches_by_customer(terms_book, date(2024, 6, 30), dataset_id=1).iloc[0]
    assert (row["customer_id"], row["breaches"]) == ("A", 2)
    assert row["amount"] == Decimal("500.00")
    assert row["max_terms_days"] == 91


def test_legal_summary_counts_as_kpi_spec_section_10_defines(terms_book):
    """At 2024-06-30 every invoice is open and past due: 5 late invoices, 4 of them B2B
    (4 x 40 = 160.00 EUR), 2 terms breaches. Rate 2024 H1 14.50 %, days to 06-30:
    T1 100 x 76, T2 200 x 108, T3 300 x 91, T4 400 x 90 day-euros
    = 7,600 + 21,600 + 27,300 + 36,000 = 92,500 x 14.5 / 36,500:
    T1 3.02, T2 8.58, T3 10.85, T4 14.30 (rounded per invoice) = 36.75.
    """
    summary = legal_fr.legal_summary(terms_book, date(2024, 6, 30), dataset_id=1)
    assert summary == {
        "late_invoices": 5,
        "penalties": Decimal("36.75"),
        "indemnities": Decimal("160.00"),
        "terms_breaches": 2,
    }


def test_the_summary_of_an_empty_book_is_zero_and_defined(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    assert legal_fr.legal_summary(con, date(2024, 6, 30), dataset_id=1) == {
        "late_invoices": 0,
        "penalties": Decimal("0.00"),
        "indemnities": Decimal("0.00"),
        "terms_breaches": 0,
    }


def test_several_currencies_are_never_summed_together(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("U1", "A", date(2024, 1, 1), "100.00", date(2024, 1, 31), currency="USD"),
            inv("E1", "A", date(2024, 1, 1), "100.00", date(2024, 1, 31)),
        ],
    )
    from analytics.asof import MixedCurrencyError

    with pytest.raises(MixedCurrencyError):
        legal_fr.legal_summary(con, date(2024, 6, 30), dataset_id=1)
    eur = legal_fr.legal_summary(
        con, date(2024, 6, 30), dataset_id=1, filters=Filters(currency=("EUR",))
    )
    assert eur["late_invoices"] == 1


# -- properties ---------------------------------------------------------------------------------


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=st.integers(min_value=1, max_value=10_000_000),
    due=st.dates(min_value=date(2015, 1, 1), max_value=date(2024, 12, 31)),
    first=st.integers(min_value=1, max_value=400),
    extra=st.integers(min_value=0, max_value=400),
)
def test_penalties_never_shrink_when_the_payment_comes_later(tmp_path, amount, due, first, extra):
    money = Decimal(amount) / 100
    penalties = []
    for delay in (first, first + extra):
        con = make_ledger(
            tmp_path / f"{uuid.uuid4().hex}.duckdb",
            invoices=[inv("X", "A", due - timedelta(days=30), money, due)],
            payments=[pay(due + timedelta(days=delay), money, "X")],
        )
        penalties.append(late(con, due + timedelta(days=900))["X"]["penalty"])
        con.close()
    assert penalties[0] <= penalties[1]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=1_000_000),
            st.integers(min_value=0, max_value=90),
            st.integers(min_value=0, max_value=90),
            st.sampled_from(["A", "B"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_ledger_paid_on_time_owes_nothing(tmp_path, rows):
    """Every invoice paid on or before its due date (by invoice or on account): nothing late."""
    invoices, payments = [], []
    start = date(2024, 1, 1)
    for n, (cents, terms, early, customer, on_account) in enumerate(rows):
        issued = start + timedelta(days=n)
        due = issued + timedelta(days=terms)
        paid_on = max(issued, due - timedelta(days=early))
        money = Decimal(cents) / 100
        invoices.append(inv(f"I{n}", customer, issued, money, due))
        if on_account:
            payments.append(pay(paid_on, money, customer_id=customer))
        else:
            payments.append(pay(paid_on, money, f"I{n}"))
    con = make_ledger(tmp_path / f"{uuid.uuid4().hex}.duckdb", invoices=invoices, payments=payments)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = legal_fr.legal_summary(con, date(2024, 12, 31), dataset_id=1)
    con.close()
    assert summary["late_invoices"] == 0
    assert summary["penalties"] == Decimal("0.00")
    assert summary["indemnities"] == Decimal("0.00")


# -- golden figures on the bundled sample ------------------------------------------------------

SAMPLE_END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from pathlib import Path

    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace

    root = Path(__file__).resolve().parent.parent / "data" / "sample"
    ws = Workspace(tmp_path_factory.mktemp("sample") / "w.duckdb")
    report = load_files(ws, [InputFile(p) for p in sorted(root.glob("*.csv"))])
    yield ws.cursor(), report.dataset_id
    ws.close()


@pytest.mark.slow
def test_the_samples_legal_block_matches_the_committed_golden_figures(sample):
    """Golden figures, obtained by running legal_fr.legal_summary on data/sample at 2026-10-31
    (EUR) and legal_totals for every currency, once the unit cases above passed; they change
    only if the sample or the rules change."""
    con, dataset_id = sample
    eur = legal_fr.legal_summary(
        con, SAMPLE_END, dataset_id=dataset_id, filters=Filters(currency=("EUR",))
    )
    assert eur == {
        "late_invoices": 32200,
        "penalties": Decimal("2565598.96"),
        "indemnities": Decimal("1255440.00"),
        "terms_breaches": 744,
    }
    totals = legal_fr.legal_totals(con, SAMPLE_END, dataset_id=dataset_id)
    assert dict(zip(totals["currency"], totals["penalties"], strict=True)) == {
        "EUR": Decimal("2565598.96"),
        "GBP": Decimal("20312.38"),
        "USD": Decimal("22712.11"),
    }


@pytest.mark.slow
def test_one_sample_customers_penalties_check_by_hand(sample):
    """C00002 (Bâtiment Mathieu AG) has a contractual rate of 15 % a year.

    FA2023-001207: 1,319.84 due 2024-02-11, paid 2024-02-19 in one payment: 8 days,
    1,319.84 x 8 x 15 / 36,500 = 4.339 -> 4.34.
    FA2026-003220: 608.36 due 2026-05-22, unpaid at 2026-10-31: 162 days,
    608.36 x 162 x 15 / 36,500 = 40.502 -> 40.50.
    FA2026-007762: 1,933.36 due 2026-08-14, unpaid: 78 days, x 15 / 36,500 = 61.97.
    Customer totals (golden): 21 late invoices, 3 open (142.76) and 18 paid late (114.78).
    """
    con, dataset_id = sample
    only = Filters(customer_id=("C00002",))
    frame = legal_fr.late_invoices(con, SAMPLE_END, dataset_id=dataset_id, filters=only)
    rows = {r["invoice_id"]: r for r in frame.to_dict("records")}
    assert set(frame["rate_basis"]) == {"contractual"}
    assert rows["FA2023-001207"]["penalty"] == Decimal("4.34")
    assert rows["FA2026-003220"]["penalty"] == Decimal("40.50")
    assert rows["FA2026-007762"]["penalty"] == Decimal("61.97")
    paid = con.execute(
        "SELECT COUNT(*), SUM(amount), MAX(payment_date) FROM payments "
        "WHERE dataset_id = ? AND invoice_id = ?",
        [dataset_id, "FA2023-001207"],
    ).fetchone()
    assert paid == (1, Decimal("1319.84"), date(2024, 2, 19))
    customer = legal_fr.penalties_by_customer(
        con, SAMPLE_END, dataset_id=dataset_id, filters=only
    ).iloc[0]
    assert (customer["late_open"], customer["late_paid"]) == (3, 18)
    assert customer["penalties_open"] == Decimal("142.76")
    assert customer["penalties_paid"] == Decimal("114.78")


def test_filters_select_invoices_without_changing_how_cash_was_allocated(tmp_path):
    """Customer C pays 600.00 on account on 2024-03-01; C1 (entity E1, due 01-31) takes it
    all by FIFO even when only entity E2 is shown, so C2 (entity E2, 500.00 due 02-29) keeps
    its full base: 1 March-30 June = 122 days x 500 x 14.5 / 36,500 = 24.233 -> 24.23."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("C1", "C", date(2024, 1, 1), "1000.00", date(2024, 1, 31), entity="E1"),
            inv("C2", "C", date(2024, 1, 30), "500.00", date(2024, 2, 29), entity="E2"),
        ],
        payments=[pay(date(2024, 3, 1), "600.00", customer_id="C")],
    )
    rows = late(con, date(2024, 6, 30), filters=Filters(entity=("E2",)))
    assert list(rows) == ["C2"]
    assert rows["C2"]["penalty"] == Decimal("24.23")


def test_an_edited_rate_table_saved_by_the_user_is_the_one_in_force_until_reset(
    tmp_path, monkeypatch
):
    """The user's table (saved beside the workspace) replaces the bundled one; reset restores it."""
    user_file = tmp_path / "rates.csv"
    monkeypatch.setenv("ENCOURS_ECB_RATES", str(user_file))
    bundled = legal_fr.load_ecb_rates()
    edited = pd.concat(
        [
            bundled,
            pd.DataFrame(
                [
                    {
                        "effective_date": date(2026, 9, 10),
                        "rate_percent": "1.90",
                        "source": "ECB press release of 10 September 2026",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    assert legal_fr.save_ecb_rates(edited) == user_file
    assert legal_fr.active_rates_path() == user_file
    reloaded = legal_fr.load_ecb_rates()
    assert len(reloaded) == len(bundled) + 1
    assert legal_fr.rate_in_force(reloaded, date(2026, 12, 31)) == Decimal("1.90")
    legal_fr.reset_ecb_rates()
    assert legal_fr.active_rates_path() == legal_fr.ECB_RATES_PATH


def test_an_invalid_edited_rate_table_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    user_file = tmp_path / "rates.csv"
    monkeypatch.setenv("ENCOURS_ECB_RATES", str(user_file))
    bad = pd.DataFrame(
        [
            {"effective_date": "2026-01-01", "rate_percent": "2", "source": "x"},
            {"effective_date": "2025-01-01", "rate_percent": "3", "source": "y"},
        ]
    )
    with pytest.raises(ValueError, match="not strictly ascending"):
        legal_fr.save_ecb_rates(bad)
    assert not user_file.exists()


def test_a_customer_in_a_collective_procedure_owes_no_indemnity_either(tmp_path):
    """K (collective procedure) and A (B2B) each have one invoice overdue at 2024-06-30:
    both are late invoices (kpi-spec section 10), only A's is eligible: 1 x 40 = 40.00 EUR.
    A1 500.00 due 2024-05-31: 30 days at 4.50 + 10 = 14.50 %: 500 x 30 x 14.5 / 36,500
    = 5.958 -> 5.96; K1 owes 0.00."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("K1", "K", date(2024, 1, 1), "500.00", date(2024, 1, 31)),
            inv("A1", "A", date(2024, 5, 1), "500.00", date(2024, 5, 31)),
        ],
        customers=[b2b("K", collective_procedure=True), b2b("A")],
    )
    rows = late(con, date(2024, 6, 30))
    assert (rows["K1"]["indemnity_eur"], rows["K1"]["penalty"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert rows["A1"]["indemnity_eur"] == Decimal("40.00")
    assert legal_fr.legal_summary(con, date(2024, 6, 30), dataset_id=1) == {
        "late_invoices": 2,
        "penalties": Decimal("5.96"),
        "indemnities": Decimal("40.00"),
        "terms_breaches": 0,
    }
    assert legal_fr.recovery_indemnities(con, date(2024, 6, 30), dataset_id=1) == Decimal("40.00")


def test_terms_beyond_45_days_end_of_month_but_within_60_days_are_allowed(tmp_path):
    """Invoice 2024-01-15: 60-day limit 03-15, 45 days end of month 02-29 (01-15 + 45 = 02-29).
    Due 03-10 exceeds only the end-of-month limit, due 03-16 exceeds both: one breach."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("M1", "A", date(2024, 1, 15), "100.00", date(2024, 3, 10)),
            inv("M2", "A", date(2024, 1, 15), "100.00", date(2024, 3, 16)),
        ],
        customers=[b2b("A")],
    )
    frame = legal_fr.terms_breaches(con, date(2024, 6, 30), dataset_id=1)
    assert list(frame["invoice_id"]) == ["M2"]
    assert frame.iloc[0]["days_beyond"] == 1


def test_open_only_keeps_the_invoices_still_open_with_the_same_penalties(tmp_path):
    """A1 (due 2024-01-31) paid late on 2024-03-01 and A2 (due 2024-02-29) still open at
    2024-04-30: both are late; open_only keeps A2 alone, with the penalty of the full list."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 1, 1), "1000.00", date(2024, 1, 31)),
            inv("A2", "A", date(2024, 1, 30), "2000.00", date(2024, 2, 29)),
        ],
        payments=[pay(date(2024, 3, 1), "1000.00", "A1")],
        customers=[b2b("A")],
    )
    everything = late(con, date(2024, 4, 30))
    assert set(everything) == {"A1", "A2"}
    frame = legal_fr.late_invoices(con, date(2024, 4, 30), dataset_id=1, open_only=True)
    assert list(frame["invoice_id"]) == ["A2"]
    assert frame["penalty"].iloc[0] == everything["A2"]["penalty"] > 0


def test_a_rate_table_rewritten_in_place_is_read_again(tmp_path):
    """The table of a file is kept between calls, keyed by the file's modification time and
    size: a rewrite of the same path is seen at the next call, and the caller's copy can be
    changed without changing the next caller's."""
    path = tmp_path / "rates.csv"
    path.write_text("effective_date,rate_percent,source\n2024-01-01,4.50,ECB\n", encoding="utf-8")
    first = legal_fr.load_ecb_rates(path)
    assert first["rate_percent"].tolist() == [Decimal("4.50")]
    first.loc[0, "rate_percent"] = Decimal("9")
    assert legal_fr.load_ecb_rates(path)["rate_percent"].tolist() == [Decimal("4.50")]
    path.write_text(
        "effective_date,rate_percent,source\n2024-01-01,4.50,ECB\n2024-06-12,4.25,ECB\n",
        encoding="utf-8",
    )
    assert legal_fr.load_ecb_rates(path)["rate_percent"].tolist() == [
        Decimal("4.50"),
        Decimal("4.25"),
    ]
