"""Open amounts as of D (kpi-spec section 1): the shared contract of analytics.asof."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import asof, schema
from analytics.config import NO_FILTERS, Filters
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)


def items(con, as_of=D, filters=NO_FILTERS):
    """Open items keyed by invoice id (unapplied rows keyed by ('unapplied', customer))."""
    frame = asof.open_items(con, as_of, dataset_id=1, filters=filters)
    out = {}
    for row in frame.to_dict("records"):
        key = row["invoice_id"] if row["kind"] != "unapplied" else ("unapplied", row["customer_id"])
        out[key] = row
    return out


def open_of(con, as_of=D, filters=NO_FILTERS):
    sql = asof.compose("open_items_list", open_items=asof.open_items_sql())
    rows = con.execute(sql, asof.params(1, as_of, filters)).fetchall()
    names = [c[0] for c in con.description]
    result = {}
    for row in rows:
        rec = dict(zip(names, row, strict=True))
        key = rec["invoice_id"] or ("unapplied", rec["customer_id"])
        result[key] = rec["open_amount"]
    return result


def test_params_hold_exactly_the_contract_keys():
    p = asof.params(1, D, Filters(segment=("SME",)))
    assert set(p) == {
        "dataset_id",
        "as_of",
        "f_segment",
        "f_entity",
        "f_country",
        "f_customer",
        "f_currency",
    }
    assert p["f_segment"] == ["SME"] and p["f_currency"] == []


def test_the_sql_works_as_the_body_of_a_cte(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb", invoices=[inv("A", "C1", date(2024, 1, 1), "10")])
    sql = asof.compose("open_items_list", open_items=asof.open_items_sql())
    assert "WITH oi AS (" in sql
    row = con.execute(sql, asof.params(1, D)).fetchone()
    assert row is not None


def test_an_empty_ledger_has_no_open_items(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb")
    assert open_of(con) == {}


def test_one_unpaid_invoice_is_open_for_its_whole_amount_with_days_past_due(tmp_path):
    """Invoice 120.50 due 2024-06-10; at 2024-06-30: open 120.50, dpd = 20."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 5, 11), "120.50", date(2024, 6, 10))],
    )
    row = items(con)["A"]
    assert open_of(con) == {"A": Decimal("120.50")}
    assert row["dpd"] == 20 and row["kind"] == "invoice"
    assert row["currency"] == "EUR" and row["is_business"] and not row["collective_procedure"]


def test_open_amount_is_decimal_with_two_places(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb", invoices=[inv("A", "C1", date(2024, 5, 1), "0.10")])
    con2 = make_ledger(tmp_path / "w.duckdb", payments=[pay(date(2024, 5, 2), "0.07", "A")])
    value = open_of(con2)["A"]
    assert isinstance(value, Decimal) and value == Decimal("0.03")
    assert con is not None


def test_partial_payments_reduce_the_open_amount(tmp_path):
    """100.00 - 30.00 - 20.25 = 49.75 open; settle_date stays NULL."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 5, 1), "100.00", date(2024, 5, 31))],
        payments=[pay(date(2024, 5, 10), "30.00", "A"), pay(date(2024, 6, 1), "20.25", "A")],
    )
    row = items(con)["A"]
    assert row["paid"] == Decimal("50.25") and row["open_amount"] == Decimal("49.75")
    assert row["settle_date"] is None


def test_payments_dated_after_d_are_ignored(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 5, 1), "100")],
        payments=[pay(date(2024, 7, 1), "100", "A")],
    )
    assert open_of(con) == {"A": Decimal("100.00")}
    assert open_of(con, date(2024, 7, 1)) == {"A": Decimal("0.00")}


def test_invoices_dated_after_d_are_ignored(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", D, "10"), inv("B", "C1", D + timedelta(days=1), "20")],
    )
    assert open_of(con) == {"A": Decimal("10.00")}


def test_write_offs_dated_on_or_before_d_reduce_the_open_amount(tmp_path):
    """100 - paid 40 - written off 60 (2024-06-30) = 0; the 5.00 write-off of July is ignored."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 1, 1), "100"), inv("B", "C1", date(2024, 1, 1), "5")],
        payments=[pay(date(2024, 2, 1), "40", "A")],
        write_offs=[
            {"invoice_id": "A", "write_off_date": D, "amount": "60"},
            {"invoice_id": "B", "write_off_date": date(2024, 7, 1), "amount": "5"},
        ],
    )
    rows = items(con)
    assert rows["A"]["written_off"] == Decimal("60.00") and rows["A"]["open_amount"] == 0
    assert rows["A"]["settle_date"] == D
    assert rows["B"]["open_amount"] == Decimal("5.00")


def test_settled_date_pays_the_invoice_when_the_ledger_has_no_payments(tmp_path):
    """No payment rows: A settled 2024-06-15 is paid at D; B settled 2024-07-05 is still open."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 1), "100", settled_date=date(2024, 6, 15)),
            inv("B", "C1", date(2024, 5, 1), "70", settled_date=date(2024, 7, 5)),
        ],
    )
    rows = items(con)
    assert rows["A"]["open_amount"] == 0 and rows["A"]["settle_date"] == date(2024, 6, 15)
    assert rows["B"]["open_amount"] == Decimal("70.00")


def test_a_settled_invoice_partly_written_off_is_not_counted_twice(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 5, 1), "100", settled_date=date(2024, 6, 15))],
        write_offs=[{"invoice_id": "A", "write_off_date": date(2024, 6, 1), "amount": "30"}],
    )
    row = items(con)["A"]
    assert (row["paid"], row["written_off"], row["open_amount"]) == (70, 30, 0)


def test_settled_date_is_not_used_when_the_ledger_has_payments(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 1), "100", settled_date=date(2024, 6, 15)),
            inv("B", "C1", date(2024, 5, 1), "70"),
        ],
        payments=[pay(date(2024, 6, 1), "70", "B")],
    )
    assert open_of(con) == {"A": Decimal("100.00"), "B": Decimal("0.00")}


def test_a_missing_due_date_is_the_invoice_date_plus_the_statutory_terms(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb", invoices=[inv("A", "C1", date(2024, 5, 1), "10")])
    row = items(con)["A"]
    assert row["due_date"] == date(2024, 5, 1) + timedelta(days=schema.DEFAULT_TERMS_DAYS)
    assert row["due_date_imputed"]


def test_an_invoice_due_today_has_zero_days_past_due(tmp_path):
    con = make_ledger(tmp_path / "w.duckdb", invoices=[inv("A", "C1", date(2024, 6, 1), "10", D)])
    assert items(con)["A"]["dpd"] == 0


def test_customer_level_payments_go_to_the_oldest_due_date_first(tmp_path):
    """A (invoiced 05-01, due 06-30, 100), B (invoiced 05-10, due 05-20, 80), C (due 06-10, 50).

    Customer pays 150 without naming an invoice: B (oldest due) gets 80, C gets 50, A gets the
    remaining 20 -> open A 80, B 0, C 0. B is covered on 06-05 (cumulative 100 >= 80), C on
    06-20 (cumulative 150 >= 130).
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 1), "100", date(2024, 6, 30)),
            inv("B", "C1", date(2024, 5, 10), "80", date(2024, 5, 20)),
            inv("C", "C1", date(2024, 5, 11), "50", date(2024, 6, 10)),
        ],
        payments=[
            pay(date(2024, 6, 5), "100", customer_id="C1"),
            pay(date(2024, 6, 20), "50", customer_id="C1"),
        ],
    )
    rows = items(con)
    assert {k: r["open_amount"] for k, r in rows.items()} == {"A": 80, "B": 0, "C": 0}
    assert rows["B"]["settle_date"] == date(2024, 6, 5)
    assert rows["C"]["settle_date"] == date(2024, 6, 20)


def test_customer_level_payments_apply_after_the_invoice_level_ones(tmp_path):
    """A 100 (due first) already paid 70 by name; customer cash 50 -> A gets 30, B 20 (80 open)."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 1), "100", date(2024, 5, 31)),
            inv("B", "C1", date(2024, 5, 2), "100", date(2024, 6, 1)),
        ],
        payments=[pay(date(2024, 6, 1), "70", "A"), pay(date(2024, 6, 3), "50", customer_id="C1")],
    )
    rows = items(con)
    assert (rows["A"]["open_amount"], rows["B"]["open_amount"]) == (0, 80)
    assert rows["A"]["settle_date"] == date(2024, 6, 3)


def test_credit_notes_receive_no_customer_level_cash(tmp_path):
    """Invoice 100 and credit note -30; customer pays 70 -> invoice 30 open, note -30, AR 0."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("CN", "C1", date(2024, 4, 1), "-30", date(2024, 4, 1)),
            inv("A", "C1", date(2024, 5, 1), "100", date(2024, 5, 31)),
        ],
        payments=[pay(date(2024, 6, 1), "70", customer_id="C1")],
    )
    opens = open_of(con)
    assert opens == {"A": Decimal("30.00"), "CN": Decimal("-30.00")}
    assert items(con)["CN"]["kind"] == "credit_note"


def test_customer_level_overpayment_is_unapplied_cash_that_reduces_the_balance(tmp_path):
    """Invoices 40 + 60; the customer pays 130 -> both settled, 30 unapplied (open -30)."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 5, 1), "40"), inv("B", "C1", date(2024, 5, 2), "60")],
        payments=[pay(date(2024, 6, 1), "130", customer_id="C1")],
        customers=[{"customer_id": "C1", "segment": "SME", "customer_name": "Dupont"}],
    )
    rows = items(con)
    unapplied = rows[("unapplied", "C1")]
    assert unapplied["open_amount"] == Decimal("-30.00") and unapplied["kind"] == "unapplied"
    assert unapplied["segment"] == "SME" and unapplied["customer_name"] == "Dupont"
    assert sum(r["open_amount"] for r in rows.values()) == Decimal("-30.00")


def test_customer_level_cash_is_allocated_within_its_currency(tmp_path):
    """USD cash 50 settles the USD invoice only; the EUR invoice stays open."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("E", "C1", date(2024, 5, 1), "50", date(2024, 5, 2), currency="EUR"),
            inv("U", "C1", date(2024, 5, 1), "50", date(2024, 5, 3), currency="USD"),
        ],
        payments=[pay(date(2024, 6, 1), "50", customer_id="C1", currency="USD")],
    )
    assert open_of(con) == {"E": Decimal("50.00"), "U": Decimal("0.00")}


def test_a_filter_never_changes_an_invoice_open_amount(tmp_path):
    """Customer cash 100 goes to A (segment X, due first) even when filtering on segment Y."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 1), "100", date(2024, 5, 10), segment="X"),
            inv("B", "C1", date(2024, 5, 1), "100", date(2024, 5, 20)),
        ],
        customers=[{"customer_id": "C1", "segment": "Y"}],
        payments=[pay(date(2024, 6, 1), "100", customer_id="C1")],
    )
    assert open_of(con, filters=Filters(segment=("Y",))) == {"B": Decimal("100.00")}
    assert open_of(con, filters=Filters(segment=("X",))) == {"A": Decimal("0.00")}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(customer_id=("C2",)), {"B"}),
        (Filters(country=("FR",)), {"A"}),
        (Filters(entity=("E1",)), {"B"}),
        (Filters(currency=("USD",)), {"B"}),
        (Filters(currency=("EUR",)), {"A"}),
        (Filters(segment=("SME", "Large")), {"A", "B"}),
    ],
)
def test_filters_select_items_by_their_own_or_their_customer_attributes(
    tmp_path, filters, expected
):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 1), "10"),
            inv("B", "C2", date(2024, 5, 1), "20", entity="E1", currency="USD", country="US"),
        ],
        customers=[
            {"customer_id": "C1", "segment": "SME", "country": "FR"},
            {"customer_id": "C2", "segment": "Large", "country": "FR"},
        ],
    )
    assert set(open_of(con, filters=filters)) == expected


def test_rows_of_other_datasets_are_ignored(tmp_path):
    path = tmp_path / "w.duckdb"
    make_ledger(path, invoices=[inv("A", "C1", date(2024, 5, 1), "10")]).close()
    con = make_ledger(
        path,
        invoices=[inv("Z", "C9", date(2024, 5, 1), "99")],
        payments=[pay(date(2024, 5, 2), "10", "A")],
        dataset_id=2,
    )
    assert open_of(con) == {"A": Decimal("10.00")}


def test_the_history_sql_gives_each_date_its_own_open_amounts(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A", "C1", date(2024, 1, 15), "100")],
        payments=[pay(date(2024, 2, 10), "40", "A"), pay(date(2024, 3, 10), "60", "A")],
    )
    sql = asof.compose("open_items_list", open_items=asof.open_items_history_sql())
    dates = [date(2023, 12, 31), date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    rows = con.execute(sql, asof.history_params(1, dates)).fetchall()
    names = [c[0] for c in con.description]
    got = sorted((r[names.index("as_of")], r[names.index("open_amount")]) for r in rows)
    assert got == [(dates[1], 100), (dates[2], 60), (dates[3], 0)]


def test_multi_currency_totals_raise_a_clear_error():
    with pytest.raises(asof.MixedCurrencyError, match="EUR, USD"):
        asof.single_currency_total([("EUR", Decimal(1)), ("USD", Decimal(2))])
    assert asof.single_currency_total([]) == Decimal("0.00")


# --- differential test against a naive pure-Python reference --------------------------------

DAY0 = date(2024, 1, 1)


def naive_open(invoices, payments, write_offs, as_of):
    """Straightforward reading of kpi-spec section 1 (FIFO by due date per customer)."""
    opens = {}
    for i in invoices:
        if i["invoice_date"] > as_of:
            continue
        paid = sum(
            (
                Decimal(p["amount"])
                for p in payments
                if p["invoice_id"] == i["invoice_id"] and p["payment_date"] <= as_of
            ),
            Decimal(0),
        )
        wo = sum(
            (
                Decimal(w["amount"])
                for w in write_offs
                if w["invoice_id"] == i["invoice_id"] and w["write_off_date"] <= as_of
            ),
            Decimal(0),
        )
        opens[i["invoice_id"]] = Decimal(i["amount"]) - paid - wo
    unapplied = {}
    for customer in sorted({i["customer_id"] for i in invoices} | {"C1", "C2"}):
        cash = sum(
            (
                Decimal(p["amount"])
                for p in payments
                if p["invoice_id"] is None
                and p["customer_id"] == customer
                and p["payment_date"] <= as_of
            ),
            Decimal(0),
        )
        if not cash:
            continue
        mine = sorted(
            (i for i in invoices if i["customer_id"] == customer and i["invoice_date"] <= as_of),
            key=lambda i: (i["due_date"], i["invoice_date"], i["invoice_id"]),
        )
        for i in mine:
            take = min(max(opens[i["invoice_id"]], Decimal(0)), cash)
            opens[i["invoice_id"]] -= take
            cash -= take
        if cash:
            unapplied[("unapplied", customer)] = -cash
    return {**opens, **unapplied}


invoice_rows = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2"]),
        st.integers(0, 60),
        st.integers(0, 60),
        st.integers(-50_00, 500_00),
    ),
    min_size=0,
    max_size=6,
)
payment_rows = st.lists(
    st.tuples(
        st.integers(-1, 5),
        st.sampled_from(["C1", "C2"]),
        st.integers(0, 90),
        st.integers(1, 300_00),
    ),
    max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoice_rows, payment_rows, st.integers(0, 100))
def test_open_amounts_match_a_naive_reference(tmp_path_factory, invs, pays, as_of_day):
    invoices = [
        inv(f"I{n}", c, DAY0 + timedelta(days=d), Decimal(a) / 100, DAY0 + timedelta(days=d + t))
        for n, (c, d, t, a) in enumerate(invs)
    ]
    payments = []
    for target, customer, d, a in pays:
        if target >= 0 and target < len(invoices):
            payments.append(pay(DAY0 + timedelta(days=d), Decimal(a) / 100, f"I{target}"))
        else:
            payments.append(pay(DAY0 + timedelta(days=d), Decimal(a) / 100, None, customer))
    write_offs = [
        {
            "invoice_id": i["invoice_id"],
            "write_off_date": i["invoice_date"] + timedelta(days=40),
            "amount": Decimal("1.00"),
        }
        for i in invoices[:1]
    ]
    path = tmp_path_factory.mktemp("diff") / f"{uuid.uuid4().hex}.duckdb"
    con = make_ledger(path, invoices=invoices, payments=payments, write_offs=write_offs)
    as_of = DAY0 + timedelta(days=as_of_day)
    expected = naive_open(invoices, payments, write_offs, as_of)
    assert open_of(con, as_of) == {k: v for k, v in expected.items()}
    con.close()


def test_the_naive_reference_itself_allocates_oldest_due_first():
    invoices = [
        inv("A", "C1", DAY0, "10", DAY0 + timedelta(days=9)),
        inv("B", "C1", DAY0, "10", DAY0 + timedelta(days=1)),
    ]
    payments = [pay(DAY0, "15", None, "C1")]
    got = naive_open(invoices, payments, [], DAY0)
    assert got == {"A": Decimal(5), "B": Decimal(0)}
    assert list(itertools.islice(got, 1)) == ["A"]


# --------------------------------------------------------------------------------------------
# query_frame: through Arrow, the same frame as one Python tuple per row


def _row_by_row(con, sql: str, params: list | None = None):
    cur = con.execute(sql, params or [])
    return pd.DataFrame.from_records(cur.fetchall(), columns=[d[0] for d in cur.description])


def _same_frame(a, b) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.dtypes.to_dict() == b.dtypes.to_dict()
    for name in a.columns:
        assert [repr(v) for v in a[name]] == [repr(v) for v in b[name]], name


_FRAME_CASES = {
    "whole numbers": "SELECT * FROM (VALUES (1), (2)) t(x)",
    "whole numbers and a NULL": "SELECT * FROM (VALUES (1), (NULL)) t(x)",
    "NULL whole numbers": "SELECT CAST(NULL AS INTEGER) AS x FROM range(2)",
    "a huge sum": "SELECT sum(x) AS x FROM (VALUES (1), (2)) t(x)",
    "amounts and a NULL": "SELECT * FROM (VALUES (CAST(1.5 AS DECIMAL(18,2))), (NULL)) t(x)",
    "NULL amounts": "SELECT CAST(NULL AS DECIMAL(18,2)) AS x FROM range(2)",
    "dates and a NULL": "SELECT * FROM (VALUES (DATE '2026-01-01'), (NULL)) t(x)",
    "texts and a NULL": "SELECT * FROM (VALUES ('a'), (NULL)) t(x)",
    "NULL texts": "SELECT CAST(NULL AS VARCHAR) AS x FROM range(2)",
    "flags and a NULL": "SELECT * FROM (VALUES (TRUE), (NULL)) t(x)",
    "floats": "SELECT * FROM (VALUES (CAST(1.5 AS FLOAT)), (NULL)) t(x)",
    "untyped NULLs": "SELECT NULL AS x FROM range(2)",
    "no rows": "SELECT 1 AS x, 'a' AS y WHERE FALSE",
    "lists": "SELECT [1, 2] AS x",
    "timestamps": "SELECT TIMESTAMP '2026-01-01 10:00:00' AS x",
    "a date far away": "SELECT DATE '9999-12-31' AS x",
}


@pytest.mark.parametrize("sql", _FRAME_CASES.values(), ids=list(_FRAME_CASES))
def test_query_frame_gives_the_frame_of_python_rows(sql: str) -> None:
    con = duckdb.connect()
    _same_frame(asof.query_frame(con, sql), _row_by_row(con, sql))
    con.close()


_COLUMN_TYPES = {
    "INTEGER": st.integers(-(2**31), 2**31 - 1),
    "BIGINT": st.integers(-(2**63), 2**63 - 1),
    "DECIMAL(18,2)": st.decimals(-(10**15), 10**15, places=2, allow_nan=False),
    "DATE": st.dates(),
    "VARCHAR": st.text(max_size=5),
    "BOOLEAN": st.booleans(),
    "DOUBLE": st.floats(allow_nan=False),
}


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    types=st.lists(st.sampled_from(sorted(_COLUMN_TYPES)), min_size=1, max_size=4),
    rows=st.integers(0, 6),
)
def test_query_frame_agrees_with_python_rows_on_any_values(data, types, rows) -> None:
    """Columns of every common type, each value possibly NULL, any number of rows."""
    con = duckdb.connect()
    columns = [f"CAST(NULL AS {t}) AS x{i}" for i, t in enumerate(types)]
    con.execute("CREATE TABLE t AS SELECT " + ", ".join(columns) + " WHERE FALSE")
    for _ in range(rows):
        values = [data.draw(st.one_of(st.none(), _COLUMN_TYPES[t])) for t in types]
        con.execute("INSERT INTO t VALUES (" + ", ".join("?" * len(values)) + ")", values)
    sql = "SELECT * FROM t"
    _same_frame(asof.query_frame(con, sql), _row_by_row(con, sql))
    con.close()


def test_query_frame_binds_named_and_positional_parameters() -> None:
    con = duckdb.connect()
    named = "SELECT CAST($a AS DECIMAL(18,2)) AS amount, CAST($d AS DATE) AS due"
    got = asof.query_frame(con, named, {"a": "12.30", "d": "2026-01-31"})
    assert got.to_dict("records") == [{"amount": Decimal("12.30"), "due": date(2026, 1, 31)}]
    got = asof.query_frame(con, "SELECT ? + 1 AS n", [41])
    assert got["n"].tolist() == [42]
    con.close()
