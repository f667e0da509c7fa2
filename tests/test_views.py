"""The page-facing facade (analytics/views.py) on small hand-computed books."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import aging, dso, kpis, views
from analytics.asof import MixedCurrencyError
from analytics.config import PROVISION_RATES, Filters, Settings, bucket_labels
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)
LABELS = bucket_labels()


@pytest.fixture
def book(tmp_path):
    """Four invoices and one payment; D = 2024-06-30, P = 90 days.

    A  C1 Alpha  dated 05-31  1000  due 06-30  dpd 0   -> not due 1000
    B  C1 Alpha  dated 04-30   600  due 05-30  dpd 31  -> 31-60, paid 100 on 06-10 -> 500
    C  C2 Beta   dated 03-31   400  due 04-30  dpd 61  -> 61-90 400
    E  C3 <b>    dated 06-15   300  due 07-15  dpd -15 -> not due 300
    AR = 1000 + 500 + 400 + 300 = 2200; not due 1300; overdue 900.
    Sales (04-01, 06-30] = 1000 + 600 + 300 = 1900.
    DSO = 2200 / 1900 x 90 = 104.2105; BPDSO = 1300 / 1900 x 90 = 61.5789; ADD = 42.6316.
    At 05-31 (one month before): A 1000 not due, B 600 dpd 1, C 400 dpd 31, E not dated yet:
    AR 2000, overdue 1000; sales (03-02, 05-31] = 400 + 600 + 1000 = 2000, DSO = 90.
    """
    return make_ledger(
        tmp_path / "views.duckdb",
        invoices=[
            inv("A", "C1", date(2024, 5, 31), "1000", D, customer_name="Alpha", segment="SME"),
            inv("B", "C1", date(2024, 4, 30), "600", date(2024, 5, 30), customer_name="Alpha"),
            inv("C", "C2", date(2024, 3, 31), "400", date(2024, 4, 30), customer_name="Beta"),
            inv("E", "C3", date(2024, 6, 15), "300", date(2024, 7, 15), customer_name="<b>G</b>"),
        ],
        payments=[pay(date(2024, 6, 10), "100", "B")],
        customers=[{"customer_id": "C2", "segment": "Public", "country": "FR"}],
    )


def test_the_aged_balance_per_customer_matches_the_hand_computation(book):
    frame = views.aged_balance(book, D, dataset_id=1)
    assert list(frame["customer_id"]) == ["C1", "C2", "C3"]
    c1 = frame.iloc[0]
    assert c1["not_due"] == Decimal("1000.00")
    assert c1["31-60"] == Decimal("500.00")
    assert c1["total"] == Decimal("1500.00")
    assert c1["overdue"] == Decimal("500.00")
    assert frame.iloc[1]["61-90"] == Decimal("400.00")
    assert frame.iloc[2]["customer_name"] == "<b>G</b>"


def test_the_rows_of_the_aged_balance_add_up_to_the_totals_row(book):
    frame = views.aged_balance(book, D, dataset_id=1)
    totals = views.aged_totals(book, D, dataset_id=1)
    for label in [*LABELS, "total"]:
        assert sum(frame[label], Decimal(0)) == totals[label]
    assert totals["total"] == Decimal("2200.00")
    assert totals["overdue"] == Decimal("900.00")


def test_the_aged_totals_of_an_empty_book_are_zero_not_missing(tmp_path):
    con = make_ledger(tmp_path / "empty.duckdb")
    totals = views.aged_totals(con, D, dataset_id=1, filters=Filters(currency=("EUR",)))
    assert totals["total"] == Decimal("0.00")
    assert totals["currency"] == "EUR"
    assert views.aged_balance(con, D, dataset_id=1).empty


def test_the_customers_with_the_most_overdue_come_first_with_their_share(book):
    """Overdue: C1 500, C2 400, C3 0 (left out); book overdue 900: shares 5/9 and 4/9."""
    top = views.top_overdue_customers(book, D, 10, dataset_id=1)
    assert list(top["customer_id"]) == ["C1", "C2"]
    assert top.iloc[0]["overdue_share"] == pytest.approx(5 / 9)
    assert top.iloc[1]["overdue_share"] == pytest.approx(4 / 9)


def test_the_invoices_behind_a_bucket_are_the_open_items_of_that_bucket(book):
    frame = views.open_invoices(book, D, dataset_id=1, bucket="31-60")
    assert list(frame["invoice_id"]) == ["B"]
    assert frame.iloc[0]["open_amount"] == Decimal("500.00")
    assert frame.iloc[0]["dpd"] == 31


def test_the_invoices_of_a_customer_are_its_open_items_oldest_first(book):
    frame = views.open_invoices(book, D, dataset_id=1, customer_id="C1")
    assert list(frame["invoice_id"]) == ["B", "A"]
    assert list(frame.columns) == views.INVOICE_COLUMNS


def test_an_unknown_bucket_is_refused(book):
    with pytest.raises(ValueError, match="unknown bucket"):
        views.open_invoices(book, D, dataset_id=1, bucket="1-45")


def test_the_overview_tiles_give_the_values_and_the_change_over_one_month(book):
    """Outstanding 2200 vs 2000 (+200); overdue share 900/2200 vs 1000/2000;
    DSO 104.21 vs 90 (+14.21); BPDSO 61.58; ADD 42.63."""
    out = views.overview_tiles(book, D, dataset_id=1)
    tiles = {t["key"]: t for t in out["tiles"]}
    assert out["previous_date"] == date(2024, 5, 31)
    assert [t["key"] for t in out["tiles"]] == [k for k, _ in views.TILES]
    assert tiles["outstanding"]["value"] == Decimal("2200.00")
    assert tiles["outstanding"]["previous"] == Decimal("2000.00")
    assert tiles["outstanding"]["delta"] == Decimal("200.00")
    assert tiles["overdue_share"]["value"] == pytest.approx(900 / 2200)
    assert tiles["overdue_share"]["delta"] == pytest.approx(900 / 2200 - 0.5)
    assert tiles["dso"]["value"] == pytest.approx(2200 / 1900 * 90)
    assert tiles["dso"]["previous"] == pytest.approx(90.0)
    assert tiles["bpdso"]["value"] == pytest.approx(1300 / 1900 * 90)
    assert tiles["add"]["value"] == pytest.approx(900 / 1900 * 90)


def test_the_overview_tiles_agree_with_the_kpi_functions(book):
    out = views.overview_tiles(book, D, dataset_id=1)
    tiles = {t["key"]: t["value"] for t in out["tiles"]}
    assert tiles["dso"] == pytest.approx(dso.dso_period(book, D, dataset_id=1))
    assert tiles["bpdso"] == pytest.approx(dso.bpdso(book, D, dataset_id=1))
    assert tiles["add"] == pytest.approx(dso.add(book, D, dataset_id=1))
    assert tiles["cei"] == pytest.approx(dso.cei(book, D, dataset_id=1))
    assert tiles["overdue_share"] == pytest.approx(aging.overdue_share(book, D, dataset_id=1))
    previous = {t["key"]: t["previous"] for t in out["tiles"]}
    before = out["previous_date"]
    assert previous["cei"] == pytest.approx(dso.cei(book, before, dataset_id=1))
    assert previous["overdue_share"] == pytest.approx(
        aging.overdue_share(book, before, dataset_id=1)
    )


def test_the_overview_without_the_legal_block_gives_the_same_other_figures(book):
    full = kpis.overview(book, D, dataset_id=1)
    core = kpis.overview(book, D, dataset_id=1, legal=False)
    assert core["legal"] is None and full["legal"] is not None
    assert full["legal"]["late_invoices"] > 0
    assert {k: v for k, v in full.items() if k != "legal"} == {
        k: v for k, v in core.items() if k != "legal"
    }


def test_a_change_is_undefined_when_the_previous_month_is_undefined(book):
    """At 2024-04-30 the month before (03-31) has sales only from C: DSO defined; at
    2024-03-31 the month before has no sales at all: DSO None there, so its change is None."""
    out = views.overview_tiles(book, date(2024, 3, 31), dataset_id=1)
    tiles = {t["key"]: t for t in out["tiles"]}
    assert tiles["dso"]["previous"] is None
    assert tiles["dso"]["delta"] is None
    assert tiles["dso"]["value"] == pytest.approx(400 / 400 * 90)


def test_the_cash_released_by_a_target_dso_is_the_days_saved_times_daily_sales(book):
    """(104.2105 - 60) x 1900 / 90 = 2200 - 60 x 1900 / 90 = 933.33."""
    out = views.cash_released_to_target(book, D, 60, dataset_id=1)
    assert out["cash"] == Decimal("933.33")
    assert out["reduction"] == pytest.approx(2200 / 1900 * 90 - 60)


def test_no_cash_is_released_by_a_target_above_the_current_dso(book):
    out = views.cash_released_to_target(book, D, 120, dataset_id=1)
    assert out["cash"] is None


def test_the_average_balance_dso_of_the_history_matches_the_kpi_function(book):
    """At 06-30: AR at 04-01 = 400 (C); ((400 + 2200) / 2) / 1900 x 90 = 61.5789."""
    frame = views.dso_history(book, D, dataset_id=1)
    last = frame[frame["month_end"] == D].iloc[0]
    assert last["dso_average"] == pytest.approx(1300 / 1900 * 90)
    assert last["dso_average"] == pytest.approx(dso.dso_average(book, D, dataset_id=1))
    assert len(frame) == 24


def test_the_roll_rate_matrix_follows_each_bucket_over_the_last_month(book):
    """At 05-31: not due A 1000 -> still not due; 1-30 B 600 -> 100 paid, 500 in 31-60;
    31-60 C 400 -> 61-90."""
    matrix = views.roll_rate_matrix(book, D, dataset_id=1).set_index("from_bucket")
    assert matrix.loc["not_due", "not_due"] == pytest.approx(1.0)
    assert matrix.loc["1-30", "paid"] == pytest.approx(100 / 600)
    assert matrix.loc["1-30", "31-60"] == pytest.approx(500 / 600)
    assert matrix.loc["31-60", "61-90"] == pytest.approx(1.0)


def test_the_default_as_of_date_is_the_last_month_end_of_the_data(book):
    """The data ends on 2024-06-15 (invoice E): the last complete month ends 2024-05-31."""
    assert views.data_end(book, 1) == date(2024, 6, 15)
    assert views.default_as_of(book, 1) == date(2024, 5, 31)


def test_a_dataset_ending_on_a_month_end_defaults_to_that_day(tmp_path):
    con = make_ledger(tmp_path / "m.duckdb", invoices=[inv("X", "C", date(2024, 2, 29), "10")])
    assert views.default_as_of(con, 1) == date(2024, 2, 29)


def test_a_dataset_within_one_month_defaults_to_its_last_date_not_an_empty_book(tmp_path):
    """Invoices of 5 and 12 January 2026: the month end before (31/12/2025) precedes every
    invoice, so the default is the last date of the data, 12/01/2026."""
    con = make_ledger(
        tmp_path / "j.duckdb",
        invoices=[
            inv("J1", "C", date(2026, 1, 5), "100"),
            inv("J2", "C", date(2026, 1, 12), "200"),
        ],
    )
    assert views.default_as_of(con, 1) == date(2026, 1, 12)


def test_an_empty_dataset_has_no_default_as_of_date(tmp_path):
    con = make_ledger(tmp_path / "e.duckdb")
    assert views.default_as_of(con, 1) is None


def test_the_filter_options_list_the_values_of_invoices_and_customers(tmp_path):
    con = make_ledger(
        tmp_path / "f.duckdb",
        invoices=[
            inv("1", "C1", D, "10", segment="SME", entity="SAS"),
            inv("2", "C2", D, "10", currency="USD"),
            inv("3", "C2", D, "10", currency="USD"),
            inv("4", "C2", D, "10"),
        ],
        customers=[{"customer_id": "C2", "segment": "Public", "country": "BE"}],
    )
    options = views.filter_options(con, 1)
    assert options["segment"] == ["Public", "SME"]
    assert options["entity"] == ["SAS"]
    assert options["country"] == ["BE"]
    assert options["currency"] == ["EUR", "USD"]


def test_the_book_totals_refuse_to_add_several_currencies(tmp_path):
    con = make_ledger(
        tmp_path / "c.duckdb",
        invoices=[inv("1", "C1", D, "10"), inv("2", "C2", D, "10", currency="USD")],
    )
    with pytest.raises(MixedCurrencyError):
        views.aged_totals(con, D, dataset_id=1)
    one = views.aged_totals(con, D, dataset_id=1, filters=Filters(currency=("USD",)))
    assert one["total"] == Decimal("10.00")


def test_the_concentration_view_gives_the_summary_and_both_curves(book):
    out = views.concentration_view(book, D, dataset_id=1)
    assert out["summary"]["customers"] == 3
    assert list(out["pareto"]["customer_id"]) == ["C1", "C2", "C3"]
    assert out["lorenz"].iloc[-1]["y"] == pytest.approx(1.0)


def test_the_provision_follows_the_rates_of_the_settings(book):
    """Bases excl. tax at 20 % VAT: 31-60 500 / 1.2 = 416.67, 61-90 400 / 1.2 = 333.33.
    Default rates 5 % and 10 %: 20.83 + 33.33 = 54.16; at 100 % on 61-90: 20.83 + 333.33."""
    base = views.losses_view(book, D, dataset_id=1)["provision"]
    assert base["total"] == Decimal("54.16")
    rates = {**PROVISION_RATES, "61-90": Decimal("1")}
    edited = views.losses_view(book, D, dataset_id=1, settings=Settings(provision_rates=rates))
    assert edited["provision"]["total"] == Decimal("354.16")


def test_the_extra_sales_needed_use_the_margin_of_the_settings():
    assert views.extra_sales(Decimal("1000")) == Decimal("20000.00")
    assert views.extra_sales(Decimal("1000"), Settings(net_margin_rate=Decimal("0"))) is None


def test_settings_survive_a_round_trip_through_json():
    s = Settings(bucket_edges=(15, 45), period_days=60, vat_rate=Decimal("0.055"))
    assert views.settings_from_json(views.settings_to_json(s)) == s


def test_bucket_edges_typed_by_the_user_are_parsed_and_sorted():
    assert views.parse_edges("60, 30 ;90") == (30, 60, 90)
    with pytest.raises(ValueError):
        views.parse_edges("30, soixante")
    with pytest.raises(ValueError):
        views.parse_edges("0, 30")


def test_new_buckets_take_the_default_rate_of_the_bucket_holding_their_first_day():
    """1-15 and 16-30 fall in 1-30 (1 %); 31-45 and 46-90 start in 31-60 (5 %); 91-180 in
    91-120 (25 %); >180 starts after 120 (50 %)."""
    rates = views.provision_rates_for((15, 30, 45, 90, 180))
    assert rates["1-15"] == rates["16-30"] == Decimal("0.01")
    assert rates["31-45"] == rates["46-90"] == Decimal("0.05")
    assert rates["91-180"] == Decimal("0.25")
    assert rates[">180"] == Decimal("0.50")
    assert rates["doubtful"] == Decimal("1")


def test_a_rate_the_user_set_is_kept_when_the_buckets_change():
    rates = views.provision_rates_for((30, 60), {"1-30": Decimal("0.02")})
    assert rates["1-30"] == Decimal("0.02")
    assert rates[">60"] == Decimal("0.10")


def test_the_quality_summary_counts_each_check_with_example_lines():
    flags = pd.DataFrame(
        {
            "source_file": ["f.csv"] * 4,
            "table_name": ["invoices"] * 4,
            "line_no": [9, 3, 5, None],
            "flag": ["missing due date"] * 3 + ["note"],
            "detail": ["a", "b", "c", "encoding"],
        }
    )
    out = views.quality_summary(flags)
    assert list(out["flag"]) == ["missing due date", "note"]
    assert out.iloc[0]["count"] == 3
    assert out.iloc[0]["lines"] == "3, 5, 9"


amounts = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=200),
        st.decimals(min_value=-500, max_value=5000, places=2, allow_nan=False),
        st.sampled_from(["C1", "C2", "C3"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=amounts)
def test_the_customer_rows_always_add_up_to_the_book_totals(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("prop") / "p.duckdb"
    invoices = [
        inv(
            f"I{i}",
            cust,
            date(2024, 1, 1),
            str(amount),
            D - pd.Timedelta(days=age).to_pytimedelta(),
        )
        for i, (age, amount, cust) in enumerate(rows)
    ]
    con = make_ledger(path, invoices=invoices)
    frame = views.aged_balance(con, D, dataset_id=1)
    totals = views.aged_totals(con, D, dataset_id=1)
    for label in [*LABELS, "total"]:
        assert sum(frame[label], Decimal(0)) == totals[label]
    con.close()


def test_the_invoices_behind_the_overdue_are_every_overdue_open_item(book):
    """Overdue at D: C 400 (dpd 61) and B 500 (dpd 31), oldest first; 400 + 500 = 900 =
    AR 2200 - not due 1300. The not-due items are A 1000 and E 300."""
    frame = views.open_invoices(book, D, dataset_id=1, bucket=views.OVERDUE)
    assert list(frame["invoice_id"]) == ["C", "B"]
    assert sum(frame["open_amount"], Decimal(0)) == Decimal("900.00")
    not_due = views.open_invoices(book, D, dataset_id=1, bucket="not_due")
    assert sorted(not_due["invoice_id"]) == ["A", "E"]
    assert sum(not_due["open_amount"], Decimal(0)) == Decimal("1300.00")


@pytest.mark.parametrize(
    ("from_bucket", "to", "invoices", "amounts"),
    [
        ("1-30", "paid", ["B"], ["100.00"]),
        ("1-30", "31-60", ["B"], ["500.00"]),
        ("31-60", "61-90", ["C"], ["400.00"]),
        ("not_due", "not_due", ["A"], ["1000.00"]),
        ("not_due", "paid", [], []),
    ],
)
def test_the_invoices_behind_a_roll_rate_cell_are_those_that_made_that_move(
    book, from_bucket, to, invoices, amounts
):
    """At 05-31: A 1000 not due, B 600 in 1-30 (dpd 1), C 400 in 31-60 (dpd 31); E is dated
    06-15, after 05-31, so it is in no cell. At 06-30: B paid 100 on 06-10 and 500 left in
    31-60, C 400 in 61-90, A 1000 still not due (dpd 0)."""
    frame = views.roll_rate_invoices(book, D, dataset_id=1, from_bucket=from_bucket, to=to)
    assert list(frame["invoice_id"]) == invoices
    assert [str(v) for v in frame["cell_amount"]] == amounts
    assert list(frame.columns) == [*views.INVOICE_COLUMNS, "cell_amount"]


def test_the_invoices_of_a_roll_rate_cell_add_up_to_the_cell_with_write_offs(tmp_path):
    """F: 800 dated 03-01, due 03-31: at 05-31 dpd 61, in 61-90, open 800. Paid 200 on 06-05,
    written off 300 on 06-20: at 06-30 open 300, dpd 91, in 91-120. Row 61-90 of the matrix:
    paid 200 + written off 300 + 91-120 300 = 800 = from_amount. The 1-30 row: G 100 dated
    04-25, due 05-25, dpd 6, settled by a customer-level payment of 100 on 06-12: paid 100."""
    con = make_ledger(
        tmp_path / "roll.duckdb",
        invoices=[
            inv("F", "C4", date(2024, 3, 1), "800", date(2024, 3, 31)),
            inv("G", "C5", date(2024, 4, 25), "100", date(2024, 5, 25)),
        ],
        payments=[
            pay(date(2024, 6, 5), "200", "F"),
            pay(date(2024, 6, 12), "100", customer_id="C5"),
        ],
        write_offs=[{"invoice_id": "F", "write_off_date": date(2024, 6, 20), "amount": "300"}],
    )
    expected = {
        ("61-90", "paid"): "200.00",
        ("61-90", "written_off"): "300.00",
        ("61-90", "91-120"): "300.00",
        ("1-30", "paid"): "100.00",
    }
    from analytics import history

    long = history.roll_rates(con, D, dataset_id=1, months=1)
    for (from_bucket, to), amount in expected.items():
        frame = views.roll_rate_invoices(con, D, dataset_id=1, from_bucket=from_bucket, to=to)
        assert sum(frame["cell_amount"], Decimal(0)) == Decimal(amount)
    for row in long.itertuples():
        frame = views.roll_rate_invoices(
            con, D, dataset_id=1, from_bucket=row.from_bucket, to=row.to
        )
        assert sum(frame["cell_amount"], Decimal("0.00")) == row.amount, (row.from_bucket, row.to)
    assert views.roll_rate_month(D) == (date(2024, 5, 31), D)


def test_an_unknown_roll_rate_cell_is_refused(book):
    with pytest.raises(ValueError, match="unknown destination"):
        views.roll_rate_invoices(book, D, dataset_id=1, from_bucket="1-30", to="lost")
    with pytest.raises(ValueError, match="unknown bucket"):
        views.roll_rate_invoices(book, D, dataset_id=1, from_bucket="paid", to="1-30")


@pytest.fixture
def provision_book(tmp_path):
    """D = 2024-06-30, VAT 20 %; bases excl. tax per item, rounded half away from zero:

    G  C5  1200 (excl. tax 1000) due 02-29, flagged doubtful, dpd 122 -> doubtful  1000.00
    L  C7   300 due 07-01, customer in a collective procedure    -> doubtful 300/1.2 = 250.00
    H  C5   600 due 06-30, dpd 0                                 -> not_due  600/1.2 = 500.00
    J  C6    50 due 06-14, dpd 16                                -> 1-30   50/1.2 =  41.67
    I  C6   100.01 due 05-30, dpd 31                             -> 31-60 100.01/1.2 = 83.34
    K  C5   240 due 04-30, dpd 61                                -> 61-90  240/1.2 = 200.00
    M  C6   500 due 01-31, paid in full on 03-01 (open 0)        -> listed nowhere
    """
    return make_ledger(
        tmp_path / "provision.duckdb",
        invoices=[
            inv(
                "G",
                "C5",
                date(2024, 1, 31),
                "1200",
                date(2024, 2, 29),
                doubtful=True,
                amount_excl_tax="1000",
            ),
            inv("L", "C7", date(2024, 6, 1), "300", date(2024, 7, 1)),
            inv("H", "C5", date(2024, 5, 31), "600", D),
            inv("J", "C6", date(2024, 5, 15), "50", date(2024, 6, 14)),
            inv("I", "C6", date(2024, 4, 30), "100.01", date(2024, 5, 30)),
            inv("K", "C5", date(2024, 3, 31), "240", date(2024, 4, 30)),
            inv("M", "C6", date(2024, 1, 1), "500", date(2024, 1, 31)),
        ],
        payments=[pay(date(2024, 3, 1), "500", "M")],
        customers=[{"customer_id": "C7", "collective_procedure": True}],
    )


@pytest.mark.parametrize(
    ("row", "invoices", "bases"),
    [
        ("doubtful", ["G", "L"], ["1000.00", "250.00"]),
        ("not_due", ["H"], ["500.00"]),
        ("1-30", ["J"], ["41.67"]),
        ("31-60", ["I"], ["83.34"]),
        ("61-90", ["K"], ["200.00"]),
        (">120", [], []),
    ],
)
def test_the_invoices_behind_a_provision_row_carry_their_base_excluding_tax(
    provision_book, row, invoices, bases
):
    """G is more than 120 days past due but flagged: it is in the doubtful row only."""
    frame = views.provision_invoices(provision_book, D, dataset_id=1, row=row)
    assert list(frame["invoice_id"]) == invoices
    assert [str(v) for v in frame["base"]] == bases
    assert list(frame.columns) == [*views.INVOICE_COLUMNS, "base"]


def test_the_invoices_of_each_provision_row_add_up_to_its_base_and_provision(provision_book):
    """Bases: doubtful 1250.00 -> provision 1250.00 at 100 %; 31-60 83.34 x 5 % = 4.17."""
    view = views.losses_view(provision_book, D, dataset_id=1)
    rows = {r["bucket"]: r for r in view["provision"]["rows"]}
    assert rows["doubtful"]["base"] == Decimal("1250.00")
    assert rows["31-60"]["provision"] == Decimal("4.17")
    for label, r in rows.items():
        frame = views.provision_invoices(provision_book, D, dataset_id=1, row=label)
        base = sum(frame["base"], Decimal("0.00"))
        assert base == r["base"], label
        assert (base * r["rate"]).quantize(Decimal("0.01")) == r["provision"], label
    flagged = views.provision_invoices(provision_book, D, dataset_id=1, row="doubtful")
    assert sum(flagged["open_amount"], Decimal(0)) == view["doubtful"]["flagged"]


def test_an_unknown_provision_row_is_refused(provision_book):
    with pytest.raises(ValueError, match="unknown row"):
        views.provision_invoices(provision_book, D, dataset_id=1, row="overdue")


def _ar_through_open_items(con, dates, filters=None):
    """The AR at each date as the sum of the open items (the path other filters take)."""
    from analytics import asof

    sql = (
        "SELECT as_of, currency, CAST(COALESCE(SUM(open_amount), 0) AS DECIMAL(18,2)) FROM ("
        + asof.open_items_history_sql()
        + ") AS oi GROUP BY as_of, currency"
    )
    rows = con.execute(sql, asof.history_params(1, dates, filters or Filters())).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def test_ar_at_many_dates_read_from_the_ledger_matches_the_hand_computation(tmp_path):
    """Customer A (EUR): A1 1,000.00 dated 04-01, paid 300.00 on it 05-10, 50.00 written off
    06-15; credit note A2 -100.00 dated 04-02; 2,000.00 of customer-level cash 06-01; a payment
    of 999.00 naming an unknown invoice; A3 500.00 dated 07-01 with 200.00 paid on it 06-20
    (it counts from 07-01, with its invoice). Customer B: B1 400.00 USD dated 06-01.
    04-01: 1,000.00.  05-31: 1,000 - 100 - 300 = 600.00.
    06-30: 600 - 50 - 2,000 = -1,450.00; USD 400.00.
    07-31: -1,450 + 500 - 200 = -1,150.00; USD 400.00."""
    con = make_ledger(
        tmp_path / "ar_dates.duckdb",
        [
            inv("A1", "A", date(2024, 4, 1), "1000.00", date(2024, 5, 1)),
            inv("A2", "A", date(2024, 4, 2), "-100.00", date(2024, 4, 2)),
            inv("A3", "A", date(2024, 7, 1), "500.00", date(2024, 8, 1)),
            inv("B1", "B", date(2024, 6, 1), "400.00", date(2024, 7, 1), currency="USD"),
        ],
        [
            pay(date(2024, 5, 10), "300.00", invoice_id="A1"),
            pay(date(2024, 6, 1), "2000.00", customer_id="A"),
            pay(date(2024, 6, 2), "999.00", invoice_id="ZZ"),
            pay(date(2024, 6, 20), "200.00", invoice_id="A3"),
        ],
        write_offs=[{"invoice_id": "A1", "write_off_date": date(2024, 6, 15), "amount": "50.00"}],
    )
    dates = [date(2024, 4, 1), date(2024, 5, 31), date(2024, 6, 30), date(2024, 7, 31)]
    got = views.ar_at_dates(con, dates, dataset_id=1)
    eur = [got.get((d, "EUR")) for d in dates]
    assert eur == [Decimal(x) for x in ("1000.00", "600.00", "-1450.00", "-1150.00")]
    assert got.get((date(2024, 5, 31), "USD"), Decimal(0)) == 0
    assert got[(date(2024, 6, 30), "USD")] == got[(date(2024, 7, 31), "USD")] == Decimal("400")
    want = _ar_through_open_items(con, dates)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    only_b = views.ar_at_dates(con, dates, dataset_id=1, filters=Filters(customer_id=("B",)))
    assert {k: v for k, v in only_b.items() if v} == {
        (date(2024, 6, 30), "USD"): Decimal("400.00"),
        (date(2024, 7, 31), "USD"): Decimal("400.00"),
    }


def test_ar_at_many_dates_without_payments_reads_settlement_dates(tmp_path):
    """No payment in the dataset: an invoice settled at D is open for 0.
    X 1,000.00 dated 01-10 settled 03-15, 100.00 written off 02-01; Y 500.00 dated 02-01
    settled 01-20 (before its date); Z 300.00 dated 03-01 unsettled, 50.00 written off 02-15
    (it counts from 03-01).
    01-31: X 1,000.00.  02-29: X 1,000 - 100 = 900; Y 0 -> 900.00.
    03-31: X 0; Y 0; Z 300 - 50 = 250.00."""
    con = make_ledger(
        tmp_path / "ar_settled.duckdb",
        [
            inv(
                "X",
                "A",
                date(2024, 1, 10),
                "1000.00",
                date(2024, 2, 10),
                settled_date=date(2024, 3, 15),
            ),
            inv(
                "Y",
                "A",
                date(2024, 2, 1),
                "500.00",
                date(2024, 3, 1),
                settled_date=date(2024, 1, 20),
            ),
            inv("Z", "A", date(2024, 3, 1), "300.00", date(2024, 4, 1)),
        ],  # fmt: skip
        write_offs=[
            {"invoice_id": "X", "write_off_date": date(2024, 2, 1), "amount": "100.00"},
            {"invoice_id": "Z", "write_off_date": date(2024, 2, 15), "amount": "50.00"},
        ],
    )
    dates = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    got = views.ar_at_dates(con, dates, dataset_id=1)
    assert [got[(d, "EUR")] for d in dates] == [
        Decimal("1000.00"),
        Decimal("900.00"),
        Decimal("250.00"),
    ]
    assert got == _ar_through_open_items(con, dates)
