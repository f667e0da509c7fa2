"""Every default constant of the product, in one place, and the filters every KPI accepts.

The analytics take these as arguments and fall back to the defaults below; the sidebar's
settings change the bucket edges, the DSO period, the provision rates, the VAT rate and the
net margin. The analytics modules keep a few definitions of their own figures beside their
formulas (behaviour windows, invoice-size bands, risk bands, cohort days, the revenue window
of concentration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

#: Overdue bucket edges in days past due (inclusive upper bounds): 1-30, 31-60, 61-90, 91-120, >120.
BUCKET_EDGES: tuple[int, ...] = (30, 60, 90, 120)
#: DSO period P in days.
PERIOD_DAYS = 90
#: Countback DSO: windows examined before the result is flagged as capped.
COUNTBACK_MAX_WINDOWS = 36
#: CEI window in months.
CEI_MONTHS = 3
#: Concentration: n of the top-n share.
TOP_N = 10
#: Age after which an unpaid invoice is treated as doubtful (age-based proxy), days past due.
DOUBTFUL_AFTER_DAYS = 180
#: Provision matrix (simulation): rate per bucket label, applied to open amounts excl. tax.
PROVISION_RATES: dict[str, Decimal] = {
    "not_due": Decimal("0"),
    "1-30": Decimal("0.01"),
    "31-60": Decimal("0.05"),
    "61-90": Decimal("0.10"),
    "91-120": Decimal("0.25"),
    ">120": Decimal("0.50"),
    "doubtful": Decimal("1"),
}
#: VAT rate used to derive excluding-tax amounts when the ledger has none.
VAT_RATE = Decimal("0.20")
#: Net margin rate for the "extra sales needed to make up a loss" calculator.
NET_MARGIN_RATE = Decimal("0.05")
#: History: number of month ends shown.
HISTORY_MONTHS = 24
#: French law: statutory recovery indemnity per late invoice (D441-5), EUR.
RECOVERY_INDEMNITY_EUR = Decimal("40")
#: French law: points added to the ECB main refinancing rate for late-payment penalties.
PENALTY_MARGIN_POINTS = Decimal("10")
#: Cash forecast horizon in weeks.
FORECAST_WEEKS = 13

#: Credit risk score: weight (maximum points) of each component; they sum to 100.
RISK_WEIGHTS: dict[str, float] = {
    "overdue_share": 30.0,
    "oldest_dpd": 20.0,
    "trend": 10.0,
    "utilisation": 15.0,
    "disputes": 10.0,
    "book_share": 5.0,
    "collective_procedure": 10.0,
}
#: Credit risk score: value at which each component gives its full weight (fraction = value /
#: level, capped at 1).
RISK_SATURATION: dict[str, float] = {
    "overdue_share": 1.0,
    "oldest_dpd": 180.0,
    "trend": 30.0,
    "utilisation": 1.5,
    "disputes": 1.0,
    "book_share": 0.10,
    "collective_procedure": 1.0,
}
#: Worklist: days past due from which each dunning stage is reached.
DUNNING_STAGES: dict[str, int] = {"reminder": 1, "call": 15, "formal_notice": 30, "litigation": 60}
#: Worklist: invoices due within this many days get a pre-reminder.
PRE_REMINDER_DAYS = 7
#: Worklist: days past due worth one extra time the amount in the priority.
PRIORITY_DAYS_SCALE = 30
#: Credit: a customer without an insured limit whose balance exceeds this amount is listed as
#: an uninsured exposure (in the currency of the balance).
UNINSURED_EXPOSURE_THRESHOLD = Decimal("10000")


def bucket_labels(edges: tuple[int, ...] = BUCKET_EDGES) -> list[str]:
    """Labels of the aging buckets in order, ``not_due`` first: not_due, 1-30, ..., >120."""
    edges = tuple(sorted(set(int(e) for e in edges)))
    if not edges or edges[0] < 1:
        raise ValueError("bucket edges must be positive whole numbers of days")
    labels = ["not_due"]
    low = 1
    for e in edges:
        labels.append(f"{low}-{e}")
        low = e + 1
    labels.append(f">{edges[-1]}")
    return labels


@dataclass(frozen=True)
class Filters:
    """Filters accepted by every KPI function; an empty tuple means "all"."""

    segment: tuple[str, ...] = ()
    entity: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    customer_id: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not any((self.segment, self.entity, self.country, self.customer_id, self.currency))


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Settings:
    """User-configurable settings (the UI's settings panel edits one of these)."""

    bucket_edges: tuple[int, ...] = BUCKET_EDGES
    period_days: int = PERIOD_DAYS
    cei_months: int = CEI_MONTHS
    top_n: int = TOP_N
    doubtful_after_days: int = DOUBTFUL_AFTER_DAYS
    provision_rates: dict[str, Decimal] = field(default_factory=lambda: dict(PROVISION_RATES))
    vat_rate: Decimal = VAT_RATE
    net_margin_rate: Decimal = NET_MARGIN_RATE
