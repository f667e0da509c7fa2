"""Losses, doubtful receivables and provisions (kpi-spec section 6) on real DuckDB files."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import asof, losses
from analytics.asof import MixedCurrencyError
from analytics.config import Filters
from tests.ledger_factory import inv, make_ledger, pay

D = date(2024, 6, 30)
START = D - timedelta(days=365)  # 2023-07-01, excluded from the window
FUTURE = date(2024, 9, 30)


def wo(invoice_id, day, amount, excl=None):
    return {
        "invoice_id": invoice_id,
        "write_off_date": day,
        "amount": amount,
        "amount_excl_tax": excl,
    }


# ------------------------------------------------------------------ write-off ratio


def test_the_write_off_ratio_uses_amounts_incl_tax_when_one_side_lacks_them(tmp_path):
    """Sales in (D-365, D]: 1,000.00 + 500.00 - 100.00 (credit note) = 1,400.00; the invoice
    dated D-365 is outside. Write-offs in the window: 70.00 (the 30.00 dated D-365 and the
    999.00 dated after D are outside). Ratio 70 / 1,400 = 0.05, incl. tax because an invoice
    has no amount excluding tax."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("OLD", "A", START, "400.00", START, amount_excl_tax="333.33"),
            inv("I1", "A", date(2023, 9, 1), "1000.00", amount_excl_tax="833.33"),
            inv("I2", "B", date(2024, 2, 1), "500.00"),
            inv("CN", "B", date(2024, 3, 1), "-100.00", amount_excl_tax="-83.33"),
        ],
        write_offs=[
            wo("OLD", START, "30.00", "25.00"),
            wo("I1", date(2024, 5, 1), "70.00", "58.33"),
            wo("I1", D + timedelta(days=1), "999.00", "832.50"),
        ],
    )
    result = losses.write_off_ratio_12m(con, D, dataset_id=1)
    assert result["basis"] == "incl_tax"
    assert (result["write_offs"], result["sales"]) == (Decimal("70.00"), Decimal("1400.00"))
    assert result["ratio"] == pytest.approx(0.05)
    assert "incl. tax" in result["label"]


def test_the_write_off_ratio_uses_amounts_excl_tax_on_both_sides_when_all_exist(tmp_path):
    """Sales excl. tax 1,000.00 + 500.00 = 1,500.00; write-off excl. tax 100.00 (120.00 incl.
    tax): 100 / 1,500 = 0.0667 (not 120 / 1,800)."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("I1", "A", date(2023, 9, 1), "1200.00", amount_excl_tax="1000.00"),
            inv("I2", "B", date(2024, 2, 1), "600.00", amount_excl_tax="500.00"),
        ],
        write_offs=[wo("I1", date(2024, 5, 1), "120.00", "100.00")],
    )
    result = losses.write_off_ratio_12m(con, D, dataset_id=1)
    assert result["basis"] == "excl_tax"
    assert result["ratio"] == pytest.approx(100 / 1500)


def test_a_write_off_without_an_amount_excl_tax_switches_both_sides_to_incl_tax(tmp_path):
    """Write-off 120.00 with no excl. tax amount: 120 / (1,200 + 600) = 0.0667 incl. tax."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("I1", "A", date(2023, 9, 1), "1200.00", amount_excl_tax="1000.00"),
            inv("I2", "B", date(2024, 2, 1), "600.00", amount_excl_tax="500.00"),
        ],
        write_offs=[wo("I1", date(2024, 5, 1), "120.00")],
    )
    result = losses.write_off_ratio_12m(con, D, dataset_id=1)
    assert result["basis"] == "incl_tax"
    assert result["ratio"] == pytest.approx(120 / 1800)


def test_the_write_off_ratio_is_none_without_sales(tmp_path):
    """Only a write-off of an invoice dated before the window: sales 0 -> None, not 0."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("I1", "A", date(2022, 1, 1), "100.00")],
        write_offs=[wo("I1", date(2024, 1, 1), "100.00")],
    )
    result = losses.write_off_ratio_12m(con, D, dataset_id=1)
    assert result["ratio"] is None
    assert result["write_offs"] == Decimal("100.00")


def test_an_empty_book_has_no_write_off_ratio(tmp_path):
    result = losses.write_off_ratio_12m(make_ledger(tmp_path / "w.duckdb"), D, dataset_id=1)
    assert (result["ratio"], result["basis"], result["sales"]) == (None, None, Decimal("0.00"))


def test_write_offs_follow_the_filters_of_their_invoice(tmp_path):
    """Segment S1 only: sales 1,000.00, write-off 50.00 -> 0.05 (B's 500.00 written off is out)."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("I1", "A", date(2024, 1, 1), "1000.00", segment="S1"),
            inv("I2", "B", date(2024, 1, 1), "1000.00", segment="S2"),
        ],
        write_offs=[wo("I1", date(2024, 5, 1), "50.00"), wo("I2", date(2024, 5, 1), "500.00")],
    )
    result = losses.write_off_ratio_12m(con, D, dataset_id=1, filters=Filters(segment=("S1",)))
    assert result["ratio"] == pytest.approx(0.05)


# ------------------------------------------------------------------ doubtful receivables


@pytest.fixture
def doubtful_book(tmp_path):
    """Open items at D (2024-06-30), doubtful after 180 days past due:

    F1 400.00, flagged doubtful on 2024-05-01, 100.00 paid: 300.00 flagged.
    P1 200.00, customer P in a collective procedure, not overdue: 200.00 flagged.
    O1 150.00 due 2023-12-31: dpd 182 > 180 -> 150.00 age-based.
    O2 70.00 due 2024-01-02: dpd 180, not > 180 -> not doubtful.
    L1 90.00 due 2023-11-01 (dpd 242) flagged doubtful on 2024-07-15, after D: age-based.
    N1 500.00 not due.
    AR = 300 + 200 + 150 + 70 + 90 + 500 = 1,310.00.
    flagged 500.00; age-based 150 + 90 = 240.00; total 740.00; share 740 / 1,310 = 0.5649.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv(
                "F1",
                "F",
                date(2023, 12, 1),
                "400.00",
                date(2023, 12, 31),
                doubtful=True,
                doubtful_date=date(2024, 5, 1),
            ),
            inv("P1", "P", date(2024, 6, 1), "200.00", FUTURE),
            inv("O1", "O", date(2023, 12, 1), "150.00", date(2023, 12, 31)),
            inv("O2", "O", date(2023, 12, 3), "70.00", date(2024, 1, 2)),
            inv(
                "L1",
                "L",
                date(2023, 10, 1),
                "90.00",
                date(2023, 11, 1),
                doubtful=True,
                doubtful_date=date(2024, 7, 15),
            ),
            inv("N1", "N", date(2024, 6, 1), "500.00", FUTURE),
        ],
        payments=[pay(date(2024, 2, 1), "100.00", "F1")],
        customers=[{"customer_id": "P", "collective_procedure": True}],
    )


def test_flagged_and_age_based_doubtful_receivables_are_reported_apart(doubtful_book):
    result = losses.doubtful_receivables(doubtful_book, D, dataset_id=1)
    assert result["flagged"] == Decimal("500.00")
    assert result["age_based"] == Decimal("240.00")
    assert result["total"] == Decimal("740.00")
    assert result["ar"] == Decimal("1310.00")
    assert result["doubtful_share"] == pytest.approx(740 / 1310)


def test_the_doubtful_share_function_gives_the_same_share(doubtful_book):
    share = losses.doubtful_share(doubtful_book, D, dataset_id=1)
    assert share == pytest.approx(740 / 1310)


def test_the_age_threshold_is_configurable(doubtful_book):
    """Threshold 179: O2 (dpd 180) becomes age-based too: 240 + 70 = 310.00."""
    result = losses.doubtful_receivables(doubtful_book, D, dataset_id=1, doubtful_after_days=179)
    assert result["age_based"] == Decimal("310.00")


def test_an_empty_book_has_no_doubtful_share(tmp_path):
    result = losses.doubtful_receivables(make_ledger(tmp_path / "w.duckdb"), D, dataset_id=1)
    assert (result["total"], result["doubtful_share"]) == (Decimal("0.00"), None)


def test_the_doubtful_inflow_counts_what_became_doubtful_in_the_window(tmp_path):
    """Window (2023-07-01, 2024-06-30], threshold 180 days past due.

    F1 1,000.00 flagged 2024-03-01; 300.00 written off 2024-04-01 (after the flag), 700.00
       open: flagged inflow 1,000.00.
    F2 200.00 flagged 2023-05-01, before the window: not counted.
    A1 400.00 due 2023-09-30: dpd 274, crossed 180 on 2024-03-29 (in the window): age-based
       inflow 400.00.
    A2 50.00 due 2022-12-31: dpd 547, crossed 180 on 2023-06-30 (before the window): out.
    Sales of the window: F1 1,000 + A1 400 = 1,400.00 (F2 and A2 are older).
    Ratio (1,000 + 400) / 1,400 = 1.0.
    """
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv(
                "F1",
                "F",
                date(2023, 8, 1),
                "1000.00",
                date(2023, 8, 31),
                doubtful=True,
                doubtful_date=date(2024, 3, 1),
            ),
            inv(
                "F2",
                "F",
                date(2023, 1, 1),
                "200.00",
                date(2023, 1, 31),
                doubtful=True,
                doubtful_date=date(2023, 5, 1),
            ),
            inv("A1", "A", date(2023, 8, 31), "400.00", date(2023, 9, 30)),
            inv("A2", "A", date(2022, 12, 1), "50.00", date(2022, 12, 31)),
        ],
        write_offs=[wo("F1", date(2024, 4, 1), "300.00")],
    )
    result = losses.doubtful_inflow_ratio_12m(con, D, dataset_id=1)
    assert result["flagged_inflow"] == Decimal("1000.00")
    assert result["age_based_inflow"] == Decimal("400.00")
    assert result["sales"] == Decimal("1400.00")
    assert result["ratio"] == pytest.approx(1.0)
    assert "doubtful" in result["label"]


def test_cash_collected_before_the_threshold_is_not_doubtful_inflow(tmp_path):
    """A1 400.00 due 2023-09-30, 100.00 paid 2023-10-15: 300.00 open crosses the threshold.
    Sales 400.00 -> ratio 0.75."""
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[inv("A1", "A", date(2023, 8, 31), "400.00", date(2023, 9, 30))],
        payments=[pay(date(2023, 10, 15), "100.00", "A1")],
    )
    result = losses.doubtful_inflow_ratio_12m(con, D, dataset_id=1)
    assert result["age_based_inflow"] == Decimal("300.00")
    assert result["ratio"] == pytest.approx(0.75)


def test_the_doubtful_inflow_ratio_is_none_without_sales(tmp_path):
    result = losses.doubtful_inflow_ratio_12m(make_ledger(tmp_path / "w.duckdb"), D, dataset_id=1)
    assert (result["ratio"], result["inflow"]) == (None, Decimal("0.00"))


# ------------------------------------------------------------------ provision matrix


def _rows(result):
    return {r["bucket"]: r for r in result["rows"]}


@pytest.fixture
def provision_book(tmp_path):
    """Open items at D with the default rates (not due 0 %, 1-30 1 %, ..., >120 50 %,
    doubtful 100 %) and VAT 20 %:

    N1 600.00 incl. tax, 500.00 excl. tax, not due: base 600 x 500 / 600 = 500.00.
    N2 -60.00 credit note, no excl. tax, not due: -60 / 1.2 = -50.00.
    B1 100.00 due 06-15 (dpd 15), 50.00 paid, excl. tax 83.33: 50 x 83.33 / 100 = 41.665
       -> 41.67 (half away from zero) in 1-30; provision 1 % = 0.4167 -> 0.42.
    O1 240.00 dpd 201, no excl. tax: 200.00 in >120; provision 50 % = 100.00.
    F1 120.00 flagged doubtful, no excl. tax: 100.00 in doubtful; provision 100.00.
    Total provision 0 + 0.42 + 100.00 + 100.00 = 200.42; bases 450 + 41.67 + 200 + 100.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("N1", "N", date(2024, 6, 1), "600.00", FUTURE, amount_excl_tax="500.00"),
            inv("N2", "N", date(2024, 6, 2), "-60.00", FUTURE),
            inv("B1", "B", date(2024, 5, 16), "100.00", date(2024, 6, 15), amount_excl_tax="83.33"),
            inv("O1", "O", date(2023, 11, 12), "240.00", date(2023, 12, 12)),
            inv("F1", "F", date(2024, 6, 1), "120.00", FUTURE, doubtful=True),
        ],
        payments=[pay(date(2024, 6, 20), "50.00", "B1")],
    )


def test_the_provision_matrix_applies_each_rate_to_the_open_amount_excl_tax(provision_book):
    result = losses.provision_matrix(provision_book, D, dataset_id=1)
    rows = _rows(result)
    assert list(rows) == ["not_due", "1-30", "31-60", "61-90", "91-120", ">120", "doubtful"]
    assert rows["not_due"]["base"] == Decimal("450.00")
    assert rows["1-30"]["base"] == Decimal("41.67")
    assert rows["1-30"]["provision"] == Decimal("0.42")
    assert (rows[">120"]["base"], rows[">120"]["provision"]) == (
        Decimal("200.00"),
        Decimal("100.00"),
    )
    assert (rows["doubtful"]["base"], rows["doubtful"]["provision"]) == (
        Decimal("100.00"),
        Decimal("100.00"),
    )
    assert rows["31-60"]["base"] == Decimal("0.00") and rows["31-60"]["items"] == 0
    assert result["total"] == Decimal("200.42")
    assert result["base"] == Decimal("791.67")


def test_the_provision_total_function_gives_the_matrix_total(provision_book):
    assert losses.provision_total(provision_book, D, dataset_id=1) == Decimal("200.42")


def test_custom_rates_and_vat_rate_are_used(provision_book):
    """VAT 10 %: O1 240 / 1.1 = 218.18; >120 at 20 %: 43.636 -> 43.64."""
    rates = dict(losses.PROVISION_RATES, **{">120": Decimal("0.20")})
    result = losses.provision_matrix(
        provision_book, D, dataset_id=1, rates=rates, vat_rate=Decimal("0.10")
    )
    row = _rows(result)[">120"]
    assert (row["base"], row["provision"]) == (Decimal("218.18"), Decimal("43.64"))


def test_a_missing_rate_is_refused(provision_book):
    rates = {k: v for k, v in losses.PROVISION_RATES.items() if k != "doubtful"}
    with pytest.raises(ValueError, match="doubtful"):
        losses.provision_matrix(provision_book, D, dataset_id=1, rates=rates)


def test_an_empty_book_provisions_nothing(tmp_path):
    result = losses.provision_matrix(make_ledger(tmp_path / "w.duckdb"), D, dataset_id=1)
    assert result["total"] == Decimal("0.00")
    assert all(r["base"] == Decimal("0.00") for r in result["rows"])


def test_several_currencies_are_never_mixed(tmp_path):
    con = make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 6, 1), "100.00", FUTURE, currency="EUR"),
            inv("B1", "B", date(2024, 6, 1), "100.00", FUTURE, currency="USD"),
        ],
    )
    for f in (
        losses.provision_matrix,
        losses.doubtful_receivables,
        losses.write_off_ratio_12m,
        losses.doubtful_inflow_ratio_12m,
    ):
        with pytest.raises(MixedCurrencyError):
            f(con, D, dataset_id=1)


# ------------------------------------------------------------------ extra sales needed


def test_a_loss_of_1000_at_5_percent_margin_needs_20000_of_sales():
    assert losses.extra_sales_needed(Decimal("1000"), Decimal("0.05")) == Decimal("20000.00")


@pytest.mark.parametrize("margin", [Decimal("0"), Decimal("-0.02")])
def test_extra_sales_needed_is_none_without_a_positive_margin(margin):
    assert losses.extra_sales_needed(Decimal("1000"), margin) is None


# ------------------------------------------------------------------ properties

items = st.lists(
    st.tuples(
        st.integers(min_value=-2_000, max_value=200_000),  # amount in cents
        st.integers(min_value=-30, max_value=400),  # days past due at D
        st.booleans(),  # flagged doubtful
        st.booleans(),  # has an amount excl. tax
        st.integers(min_value=0, max_value=100),  # percent written off in the window
    ),
    min_size=1,
    max_size=10,
)


def _build(folder: Path, rows, scale: int = 1, reverse: bool = False):
    invoices, write_offs = [], []
    for k, (cents, dpd, flagged, has_excl, pct) in enumerate(rows):
        due = D - timedelta(days=dpd)
        amount = Decimal(cents * scale) / 100
        excl = (amount / Decimal("1.2")).quantize(Decimal("0.01")) if has_excl else None
        invoices.append(
            inv(f"I{k}", f"C{k % 3}", due - timedelta(days=30), amount, due, doubtful=flagged)
        )
        invoices[-1]["amount_excl_tax"] = excl
        if cents > 0 and pct:
            w = Decimal((cents * pct // 100) * scale) / 100  # scale the rounded base
            write_offs.append(wo(f"I{k}", D - timedelta(days=10), w))
    if reverse:
        invoices.reverse()
        write_offs.reverse()
    path = folder / f"{uuid.uuid4().hex}.duckdb"
    return make_ledger(path, invoices=invoices, write_offs=write_offs)


_SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(rows=items, k=st.integers(min_value=2, max_value=100))
def test_scaling_every_amount_leaves_the_ratios_unchanged(tmp_path, rows, k):
    base, scaled = _build(tmp_path, rows), _build(tmp_path, rows, scale=k)
    for f, key in (
        (losses.doubtful_receivables, "doubtful_share"),
        (losses.write_off_ratio_12m, "ratio"),
        (losses.doubtful_inflow_ratio_12m, "ratio"),
    ):
        a, b = f(base, D, dataset_id=1)[key], f(scaled, D, dataset_id=1)[key]
        assert (a is None) == (b is None)
        if a is not None:
            assert b == pytest.approx(a, rel=1e-9)


@_SETTINGS
@given(rows=items)
def test_the_order_of_the_rows_does_not_matter(tmp_path, rows):
    a, b = _build(tmp_path, rows), _build(tmp_path, rows, reverse=True)
    for f in (
        losses.doubtful_receivables,
        losses.write_off_ratio_12m,
        losses.doubtful_inflow_ratio_12m,
        losses.provision_matrix,
    ):
        assert f(a, D, dataset_id=1) == f(b, D, dataset_id=1)


@_SETTINGS
@given(rows=items)
def test_flagged_plus_age_based_never_exceeds_ar_and_bases_add_up(tmp_path, rows):
    con = _build(tmp_path, rows)
    doubtful = losses.doubtful_receivables(con, D, dataset_id=1)
    assert doubtful["total"] == doubtful["flagged"] + doubtful["age_based"]
    matrix = losses.provision_matrix(con, D, dataset_id=1)
    assert matrix["total"] == sum(r["provision"] for r in matrix["rows"])
    # every document still open at D (and only those) is counted once
    still_open = asof.open_items(con, D, dataset_id=1)
    assert sum(r["items"] for r in matrix["rows"]) == int((still_open["open_amount"] != 0).sum())
    # every item's base is open / 1.2 (exactly or pro rata of an amount excl. tax rounded to
    # the cent) rounded to the cent: within one cent per item of AR / 1.2
    assert abs(matrix["base"] - doubtful["ar"] / Decimal("1.2")) <= Decimal("0.01") * len(rows)
