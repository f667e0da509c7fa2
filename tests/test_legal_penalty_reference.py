"""Late-payment penalties against a day-by-day reference on random ledgers.

The SQL engine computes each penalty from the segments between reductions, crossed with the
ECB half-years (and a direct path for invoices not reduced during their delay). The reference
below walks every day of every delay: the amount still open that day (the invoice amount less
the payments and write-offs on it dated before that day) times the rate of the day's
half-year (ECB rate in force on 1 January / 1 July + 10 points) / 365, summed and rounded half
up to the cent. Ledgers mix late, on-time, partial, early, over- and never-paid invoices.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import legal_fr
from tests.ledger_factory import inv, make_ledger, pay

AS_OF = date(2025, 3, 31)
FIRST = date(2023, 5, 1)
RATES = legal_fr.load_ecb_rates()


def day_rate(day: date) -> Fraction:
    start = date(day.year, 1 if day.month <= 6 else 7, 1)
    ecb = legal_fr.rate_in_force(RATES, start)
    assert ecb is not None
    return Fraction(ecb + Decimal(10))


def reference_penalty(amount: Decimal, due: date, events: list[tuple[date, Decimal]]) -> tuple:
    """(end of the delay, penalty) of one invoice, or None when it was not late at AS_OF."""
    reduced = Decimal(0)
    end = None
    for when, value in sorted(events):
        if when > AS_OF:
            break
        reduced += value
        if reduced >= amount:
            end = when
            break
    if due >= AS_OF or (end is not None and end <= due):
        return None
    last = end or AS_OF
    total = Fraction(0)
    day = due + timedelta(days=1)
    while day <= last:
        open_amount = amount - sum((v for w, v in events if w < day), Decimal(0))
        if open_amount > 0:
            total += Fraction(open_amount) * day_rate(day) / 100 / 365
        day += timedelta(days=1)
    cents = (Decimal(total.numerator) / Decimal(total.denominator) * 100).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return last, cents / 100


days = st.integers(min_value=0, max_value=650)
money = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
invoice = st.tuples(
    days,
    st.integers(min_value=0, max_value=120),
    money,
    st.lists(st.tuples(days, st.integers(min_value=1, max_value=120)), max_size=3),
    st.booleans(),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(invoice, min_size=1, max_size=5))
def test_every_penalty_equals_the_day_by_day_reference(tmp_path, specs):
    """Payments are shares (in percent of the amount) so that partial, exact and over-payment
    all occur; a write-off, when drawn, takes what the payments left two weeks after due."""
    invoices, payments, write_offs, expected = [], [], [], {}
    for k, (issued, terms, amount, shares, written_off) in enumerate(specs):
        iid = f"F{k}"
        invoice_date = FIRST + timedelta(days=issued)
        due = invoice_date + timedelta(days=terms)
        invoices.append(inv(iid, "C1", invoice_date, amount, due))
        events = []
        for offset, percent in shares:
            value = (amount * percent / 100).quantize(Decimal("0.01"))
            when = invoice_date + timedelta(days=offset)
            if value > 0:
                payments.append(pay(when, value, invoice_id=iid, customer_id="C1"))
                events.append((when, value))
        if written_off:
            when = due + timedelta(days=14)
            rest = amount - sum((v for w, v in events if w <= when), Decimal(0))
            if rest > 0:
                write_offs.append({"invoice_id": iid, "write_off_date": when, "amount": rest})
                events.append((when, rest))
        if invoice_date <= AS_OF:
            result = reference_penalty(amount, due, events)
            if result is not None:
                expected[iid] = result
    con = make_ledger(
        tmp_path / f"{uuid.uuid4().hex}.duckdb",
        invoices,
        payments,
        [{"customer_id": "C1", "is_business": True}],
        write_offs,
    )
    frame = legal_fr.late_invoices(con, AS_OF, dataset_id=1)
    got = {
        r["invoice_id"]: (r["end_date"], Decimal(r["penalty"])) for r in frame.to_dict("records")
    }
    con.close()
    assert got == expected


def test_a_penalty_too_large_for_floating_point_is_still_rounded_half_up_exactly(tmp_path):
    """Contractual rate 18.6014 %, 9,912,599,030,307.75 open for 11 days:
    num = 9,912,599,030,307.75 x 11 x 18.6014 = 2,028,270,415,626,032.389350;
    num / 365 = 5,556,905,248,290.499697... cents, so the penalty is 55,569,052,482.90
    (a double quotient rounds to ...291 cents: the exact correction must remove that cent)."""
    con = make_ledger(
        tmp_path / "big.duckdb",
        [inv("F1", "C1", date(2025, 1, 1), "9912599030307.75", date(2025, 3, 20))],
        customers=[{"customer_id": "C1", "is_business": True, "penalty_rate": Decimal("18.6014")}],
    )
    frame = legal_fr.late_invoices(con, AS_OF, dataset_id=1)
    assert frame["penalty"].tolist() == [Decimal("55569052482.90")]
