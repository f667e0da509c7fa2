"""The page-facing facade of the credit-management pages: customers, customer drill-down,
collections, cash forecast and history.

One function per page section; each calls the KPI modules (credit, risk, worklist, forecast,
history, behaviour, legal_fr, aging, asof) and returns plain frames and dicts; no formula of
those modules is re-implemented here. Functions that read the ledger take
``(con, as_of, *, dataset_id, filters, settings, ...)`` so that the UI can cache them on exactly
those arguments. Money stays ``Decimal``, days and ratios ``float``, undefined figures None.
The module also holds the labels of these pages (French / English), the worklist exports
(CSV, Excel) and the pure Plotly figure builders of these pages.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import xlsxwriter

from analytics import (
    aging,
    asof,
    behaviour,
    charts,
    credit,
    forecast,
    history,
    i18n,
    itemcache,
    legal_fr,
    risk,
    schema,
    worklist,
)
from analytics.config import (
    NO_FILTERS,
    UNINSURED_EXPOSURE_THRESHOLD,
    Filters,
    Settings,
    bucket_labels,
)
from analytics.dso import last_month_end, months_before
from analytics.safety import neutralise

ZERO = Decimal("0.00")
#: Currency of a payment without one (as the open items read invoices and payments).
DEFAULT_CURRENCY = "EUR"
DEFAULT_SETTINGS = Settings()

#: Risk bands by score (points, 0-100): low below the first bound, high from the second.
RISK_BANDS: tuple[float, float] = (30.0, 60.0)
RISK_BAND_NAMES = ("low", "medium", "high")
#: A customer "worsens" when its recent days late exceed the prior ones by at least this.
WORSENING_MIN_DAYS = 5.0
#: Cohort view: days after the invoice date at which the unpaid share is measured.
COHORT_DAYS: tuple[int, ...] = (30, 60, 90)

#: Labels of the credit-management pages: key -> (French, English).
TEXTS: dict[str, tuple[str, str]] = {
    "nav_customers": ("Clients", "Customers"),
    "nav_collections": ("Recouvrement", "Collections"),
    "nav_forecast": ("Prévision d'encaissements", "Cash forecast"),
    "nav_history": ("Historique", "History"),
    "customers_title": ("Clients", "Customers"),
    "customers_search": ("Rechercher (code ou nom)", "Search (code or name)"),
    "customers_segment": ("Typologie", "Segment"),
    "customers_band": ("Niveau de risque", "Risk band"),
    "customers_breach_only": ("Dépassements de limite seulement", "Limit breaches only"),
    "customers_select_hint": (
        "Sélectionnez une ligne pour ouvrir la fiche du client.",
        "Select a row to open the customer's page.",
    ),
    "customers_count": ("{n} clients", "{n} customers"),
    "band_low": ("Faible", "Low"),
    "band_medium": ("Moyen", "Medium"),
    "band_high": ("Élevé", "High"),
    "col_segment": ("Typologie", "Segment"),
    "col_balance": ("Encours", "Balance"),
    "col_oldest_dpd": ("Retard le plus ancien (j)", "Oldest days past due"),
    "col_days_late": ("Retard moyen pondéré (j)", "Weighted days late"),
    "col_risk_score": ("Score de risque", "Risk score"),
    "col_risk_band": ("Risque", "Risk"),
    "col_utilisation": ("Utilisation de la limite", "Limit utilisation"),
    "col_breach": ("Dépassement", "Breach"),
    "col_credit_limit": ("Limite de crédit", "Credit limit"),
    "col_insured_limit": ("Limite assurée", "Insured limit"),
    "col_stage": ("Étape", "Stage"),
    "col_penalty": ("Pénalités", "Penalties"),
    "col_indemnity_eur": ("Indemnité (EUR)", "Indemnity (EUR)"),
    "col_priority": ("Priorité", "Priority"),
    "col_status": ("Statut", "Status"),
    "col_settle_date": ("Date de solde", "Settled on"),
    "col_payment_date": ("Date de paiement", "Payment date"),
    "col_payment_id": ("N° règlement", "Payment"),
    "col_days_to_pay": ("Délai de paiement (j)", "Days to pay"),
    "col_days_late_one": ("Jours de retard", "Days late"),
    "col_terms_days": ("Délai accordé (j)", "Terms (days)"),
    "col_days_beyond": ("Jours au-delà du maximum", "Days beyond the maximum"),
    "col_amount_over_limit": ("Dépassement", "Over the limit"),
    "col_uninsured": ("Non assuré", "Uninsured"),
    "col_trend": ("Tendance (j)", "Trend (days)"),
    "col_recent": ("Retard récent (j)", "Recent days late"),
    "col_prior": ("Retard antérieur (j)", "Prior days late"),
    "col_expected_date": ("Encaissement attendu", "Expected on"),
    "col_lag_days": ("Décalage (j)", "Lag (days)"),
    "col_week": ("Semaine", "Week"),
    "col_start": ("Du", "From"),
    "col_end": ("Au", "To"),
    "col_forecast": ("Prévu", "Forecast"),
    "col_actual": ("Encaissé", "Actual"),
    "col_month": ("Mois de facturation", "Billing month"),
    "col_billed": ("Facturé", "Billed"),
    "col_invoices": ("Factures", "Invoices"),
    "col_unpaid_after": ("Impayé après {days} j", "Unpaid after {days} d"),
    "col_component": ("Composante", "Component"),
    "col_value": ("Valeur", "Value"),
    "col_weight": ("Poids", "Weight"),
    "col_points": ("Points", "Points"),
    "status_open": ("Ouverte", "Open"),
    "status_paid": ("Soldée", "Paid"),
    "status_credit_note": ("Avoir", "Credit note"),
    "status_unapplied": ("Règlement non affecté", "Unapplied cash"),
    "stage_pre_reminder": ("Pré-relance", "Pre-reminder"),
    "stage_reminder": ("Relance", "Reminder"),
    "stage_call": ("Appel", "Call"),
    "stage_formal_notice": ("Mise en demeure", "Formal notice"),
    "stage_litigation": ("Contentieux", "Litigation"),
    "risk_overdue_share": ("Part échue", "Overdue share"),
    "risk_oldest_dpd": ("Retard le plus ancien", "Oldest days past due"),
    "risk_trend": ("Tendance des retards", "Trend of delays"),
    "risk_utilisation": ("Utilisation de la limite", "Limit utilisation"),
    "risk_disputes": ("Part en litige", "Disputed share"),
    "risk_book_share": ("Poids dans l'encours", "Share of the book"),
    "risk_collective_procedure": ("Procédure collective", "Collective procedure"),
    "customer_balance": ("Encours", "Balance"),
    "customer_overdue": ("Échu", "Overdue"),
    "customer_limit": ("Limite de crédit", "Credit limit"),
    "customer_insured": ("Limite assurée", "Insured limit"),
    "customer_risk": ("Score de risque", "Risk score"),
    "customer_gauge": ("Utilisation de la limite", "Limit utilisation"),
    "customer_no_limit": ("Pas de limite de crédit connue.", "No known credit limit."),
    "customer_risk_title": ("Score de risque expliqué", "Risk score explained"),
    "customer_aging_title": ("Balance âgée du client", "The customer's aged balance"),
    "customer_invoices_title": ("Factures", "Invoices"),
    "customer_status_filter": ("Statut", "Status"),
    "customer_export": ("Exporter les factures (CSV)", "Export the invoices (CSV)"),
    "customer_days_late_title": ("Historique des retards", "Days-late history"),
    "customer_by_size_title": (
        "Retard typique selon le montant de la facture (TTC)",
        "Typical delay by invoice size (incl. tax)",
    ),
    "col_size": ("Montant de la facture", "Invoice amount"),
    "col_avg_days_late": ("Retard moyen", "Mean days late"),
    "col_median_days_late": ("Retard médian", "Median days late"),
    "col_on_time_rate": ("Payées à l'échéance", "Paid on time"),
    "customer_days_late_dist": ("Répartition des retards", "Distribution of delays"),
    "customer_payments_title": ("Paiements reçus", "Payments received"),
    "customer_disputed_items": ("Litiges ouverts (nombre)", "Open disputes (count)"),
    "customer_disputed_amount": ("Montant en litige", "Amount in dispute"),
    "customer_doubtful": ("Statut douteux", "Doubtful status"),
    "doubtful_none": ("Aucun", "None"),
    "doubtful_age_based": ("Par l'ancienneté", "By age"),
    "doubtful_flagged": ("Créance douteuse", "Flagged doubtful"),
    "doubtful_collective_procedure": ("Procédure collective", "Collective procedure"),
    "penalties_rate_missing": (
        "Le taux BCE manque pour une partie des retards : les pénalités concernées ne sont pas "
        "calculées (n.d.). Complétez la table des taux dans la page Données.",
        "The ECB rate is missing for part of the delays: those penalties are not computed "
        "(n/a). Complete the rate table on the Data page.",
    ),
    "customer_disputes_title": ("Litiges ouverts", "Open disputes"),
    "customer_legal_title": (
        "Pénalités et indemnités exigibles",
        "Penalties and indemnities claimable",
    ),
    "customer_penalties": ("Pénalités de retard", "Late-payment penalties"),
    "customer_indemnities": ("Indemnités forfaitaires", "Recovery indemnities"),
    "customer_terms_title": ("Dépassements du délai légal", "Breaches of the legal terms"),
    "customer_back": ("Retour au recouvrement", "Back to collections"),
    "customer_pick_label": ("Ouvrir un client", "Open a customer"),
    "collections_title": ("Recouvrement", "Collections"),
    "collections_caption": (
        "Liste de travail au {date}, classée par priorité.",
        "Worklist as of {date}, ranked by priority.",
    ),
    "collections_items": ("Pièces à relancer", "Items to chase"),
    "collections_amount": ("Montant à relancer", "Amount to chase"),
    "collections_penalties": ("Pénalités exigibles", "Penalties claimable"),
    "collections_disputed": ("En litige (à part)", "Disputed (apart)"),
    "collections_stage": ("Étapes", "Stages"),
    "collections_worklist": ("Liste de travail", "Worklist"),
    "collections_disputed_title": ("Pièces en litige", "Disputed items"),
    "collections_breaches": ("Dépassements de limite", "Limit breaches"),
    "collections_uninsured": ("Encours non assuré", "Uninsured exposure"),
    "collections_uninsured_above": (
        "Clients sans assurance au-delà de {amount}",
        "Customers without insurance above {amount}",
    ),
    "collections_worsening": ("Clients dont les retards s'aggravent", "Customers paying later"),
    "collections_export_csv": ("Exporter la liste (CSV)", "Export the worklist (CSV)"),
    "collections_export_xlsx": ("Exporter la liste (Excel)", "Export the worklist (Excel)"),
    "collections_open": ("Ouvrir la fiche", "Open the page"),
    "collections_top_links": ("Fiches des premiers clients", "Pages of the first customers"),
    "forecast_title": ("Prévision d'encaissements", "Cash forecast"),
    "forecast_caption": (
        "13 semaines à partir du {date} ; échéance + retard médian du client.",
        "13 weeks from {date}; due date + the customer's median delay.",
    ),
    "forecast_total": ("Encaissements attendus (13 semaines)", "Expected cash-in (13 weeks)"),
    "forecast_later": ("Au-delà", "Later"),
    "forecast_disputed": ("En litige (hors prévision)", "Disputed (not forecast)"),
    "forecast_wape": ("Erreur de la méthode (WAPE)", "Method error (WAPE)"),
    "forecast_bias": ("Biais", "Bias"),
    "forecast_backtest_title": (
        "Contrôle a posteriori : prévision faite le {date} contre encaissements réels",
        "Back-test: forecast made on {date} against the cash received",
    ),
    "forecast_by_customer": ("Par client", "By customer"),
    "forecast_week_chart": ("Encaissements attendus par semaine", "Expected cash-in per week"),
    "history_title": ("Historique", "History"),
    "history_kpis": ("Indicateurs en fin de mois", "Month-end indicators"),
    "history_pick": ("Indicateurs", "Indicators"),
    "history_roll_title": ("Matrice de roulement", "Roll-rate matrix"),
    "history_roll_month": ("Période", "Period"),
    "history_roll_pooled": ("24 mois cumulés", "24 months pooled"),
    "history_cohort_title": (
        "Cohortes de facturation : part encore impayée",
        "Billing cohorts: share still unpaid",
    ),
    "history_cohort_help": (
        "Part du montant facturé dans le mois non soldée {days} jours après la date de facture ; "
        "vide tant que la cohorte n'a pas atteint cet âge.",
        "Share of the amount billed in the month not fully paid {days} days after the invoice "
        "date; empty until the cohort has reached that age.",
    ),
    "kpi_ar": ("Encours", "Outstanding"),
    "kpi_overdue": ("Échu", "Overdue"),
    "kpi_overdue_share": ("Part échue", "Overdue share"),
    "kpi_dso_period": ("DSO période", "Period DSO"),
    "kpi_dso_countback": ("DSO par épuisement", "Countback DSO"),
    "kpi_bpdso": ("Meilleur DSO possible", "Best possible DSO"),
    "kpi_add": ("Retard moyen (ADD)", "Average days delinquent"),
    "kpi_cei": ("CEI mensuel", "Monthly CEI"),
    "kpi_not_due": ("Non échu", "Not due"),
    "on_time_bin": ("À l'heure", "On time"),
}


def t(key: str, lang: str = i18n.DEFAULT_LANG, **values: object) -> str:
    """The label ``key`` of these pages (or of :mod:`analytics.i18n`) in ``lang``."""
    if key in TEXTS:
        fr, en = TEXTS[key]
        text = en if lang == "en" else fr
        return text.format(**values) if values else text
    return i18n.t(key, lang, **values)


def _one_customer(filters: Filters, customer_id: str) -> Filters:
    return replace(filters, customer_id=(str(customer_id),))


def _none(value: Any) -> Any:
    if value is None:
        return None
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def _objects(values: list[Any], index: pd.Index) -> pd.Series:
    """A Series of Python values that keeps None as None (no NaN, no float casting)."""
    return pd.Series([_none(v) for v in values], index=index, dtype=object)


def risk_band(score: float | None) -> str | None:
    """``low`` below ``RISK_BANDS[0]`` points, ``high`` from ``RISK_BANDS[1]``, else ``medium``."""
    if score is None or pd.isna(score):
        return None
    if score < RISK_BANDS[0]:
        return "low"
    return "medium" if score < RISK_BANDS[1] else "high"


# -- risk ------------------------------------------------------------------------------------
def risk_table(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """``risk.risk_scores`` over the filtered book (book shares need the whole book)."""
    return risk.risk_scores(con, as_of, dataset_id=dataset_id, filters=filters)


def risk_explanation(scores: pd.DataFrame, customer_id: str) -> pd.DataFrame | None:
    """One customer's score component by component (``risk.explain``); None when unscored.

    With several currencies, the row of the largest score is explained.
    """
    rows = scores[scores["customer_id"] == str(customer_id)] if len(scores) else scores
    if rows.empty:
        return None
    currency = rows.iloc[0]["currency"]
    return risk.explain(scores, str(customer_id), currency)


# -- customers -------------------------------------------------------------------------------
CUSTOMER_COLUMNS = [
    "customer_id",
    "customer_name",
    "segment",
    "currency",
    "balance",
    "overdue",
    "oldest_dpd",
    "days_late",
    "risk_score",
    "risk_band",
    "credit_limit",
    "utilisation",
    "breach",
]


def customers_table(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Every customer with an open item at D, one row per customer and currency.

    Columns (:data:`CUSTOMER_COLUMNS`): ``balance``, ``overdue``, ``credit_limit``,
    ``utilisation``, ``breach`` from ``credit.credit_by_customer``; ``oldest_dpd`` (max days
    past due of the open invoices, 0 when none is overdue) and ``risk_score`` from
    ``risk.risk_scores``; ``days_late`` is the customer's amount-weighted days late over the
    invoices settled in ``(D-365, D]`` (``behaviour.customer_behaviour``, None without
    history); ``risk_band`` from :func:`risk_band`. Sorted by balance, largest first.
    """
    limits = credit.credit_by_customer(con, as_of, dataset_id=dataset_id, filters=filters)
    if limits.empty:
        return pd.DataFrame(columns=CUSTOMER_COLUMNS)
    habits = behaviour.customer_behaviour(con, as_of, dataset_id=dataset_id, filters=filters)
    scores = risk.risk_scores(
        con, as_of, dataset_id=dataset_id, filters=filters, habits=habits, limits=limits
    )
    late = dict(zip(habits["customer_id"], habits["weighted_days_late"], strict=True))
    keyed = {
        (c, k): (s, d)
        for c, k, s, d in zip(
            scores["customer_id"],
            scores["currency"],
            scores["score"],
            scores["oldest_dpd_value"],
            strict=True,
        )
    }
    out = limits[
        [
            "customer_id",
            "customer_name",
            "segment",
            "currency",
            "balance",
            "overdue",
            "credit_limit",
            "utilisation",
            "breach",
        ]
    ].copy()
    found = [keyed.get((c, k)) for c, k in zip(out["customer_id"], out["currency"], strict=True)]
    out["risk_score"] = [None if f is None else float(f[0]) for f in found]
    out["oldest_dpd"] = [None if f is None or f[1] is None else int(f[1]) for f in found]
    out["days_late"] = [
        None if _none(late.get(c)) is None else float(late[c]) for c in out["customer_id"]
    ]
    out["risk_band"] = [risk_band(s) for s in out["risk_score"]]
    out["utilisation"] = _objects(
        [None if _none(u) is None else float(u) for u in out["utilisation"]], out.index
    )
    out["breach"] = _objects(
        [None if _none(b) is None else bool(b) for b in out["breach"]], out.index
    )
    for col in ("risk_score", "oldest_dpd", "days_late"):
        out[col] = _objects(list(out[col]), out.index)
    out = out.sort_values(["balance", "customer_id"], ascending=[False, True], kind="stable")
    return out[CUSTOMER_COLUMNS].reset_index(drop=True)


def filter_customers(
    frame: pd.DataFrame,
    *,
    search: str = "",
    segments: Sequence[str] = (),
    bands: Sequence[str] = (),
    breach_only: bool = False,
) -> pd.DataFrame:
    """Rows of :func:`customers_table` matching a search text (code or name, case-insensitive),
    segments (typology), risk bands and, when ``breach_only``, limit breaches."""
    keep = pd.Series(True, index=frame.index)
    needle = search.strip().lower()
    if needle:
        names = frame["customer_name"].fillna("").astype(str).str.lower()
        codes = frame["customer_id"].astype(str).str.lower()
        keep &= codes.str.contains(needle, regex=False) | names.str.contains(needle, regex=False)
    if segments:
        keep &= frame["segment"].isin(list(segments))
    if bands:
        keep &= frame["risk_band"].isin(list(bands))
    if breach_only:
        keep &= frame["breach"].eq(True)
    return frame[keep]


# -- customer drill-down ---------------------------------------------------------------------
def customer_header(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> dict[str, Any] | None:
    """The header of a customer's page: its row of ``credit.credit_by_customer`` at D.

    Keys: customer_id, customer_name, segment, currency, balance, overdue, credit_limit,
    insured_limit, utilisation (float), breach, headroom, uninsured_exposure. None when the
    customer has no open item at D (after the filters). Several currencies: the largest
    balance.
    """
    one = _one_customer(filters, customer_id)
    frame = credit.credit_by_customer(con, as_of, dataset_id=dataset_id, filters=one)
    if frame.empty:
        return None
    frame = frame.sort_values("balance", ascending=False, kind="stable")
    row = {k: _none(v) for k, v in frame.iloc[0].to_dict().items()}
    if row.get("utilisation") is not None:
        row["utilisation"] = float(row["utilisation"])
    return row


def customer_name(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> str | None:
    """The customer's name from the customers table, else from its invoices; None if unknown."""
    cust, inv = schema.CUSTOMERS.name, schema.INVOICES.name
    sql = (
        "SELECT MAX(customer_name) FROM ("
        "SELECT customer_name FROM " + cust + " WHERE dataset_id = $dataset_id "
        "AND customer_id = $customer_id UNION ALL "
        "SELECT customer_name FROM " + inv + " WHERE dataset_id = $dataset_id "
        "AND customer_id = $customer_id) AS x"
    )
    row = con.execute(sql, {"dataset_id": int(dataset_id), "customer_id": str(customer_id)})
    found = row.fetchone()
    return None if found is None else found[0]


def customer_aging(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> pd.DataFrame:
    """The customer's aged balance at D (``aging.aging``, one row per currency), with
    ``overdue = total - not_due``."""
    frame = aging.aging(
        con,
        as_of,
        dataset_id=dataset_id,
        filters=_one_customer(filters, customer_id),
        edges=tuple(settings.bucket_edges),
    )
    frame["overdue"] = [t - n for t, n in zip(frame["total"], frame["not_due"], strict=True)]
    return frame


CUSTOMER_INVOICE_COLUMNS = [
    "invoice_id",
    "invoice_date",
    "due_date",
    "amount",
    "open_amount",
    "dpd",
    "settle_date",
    "status",
    "currency",
    "disputed",
    "doubtful",
]


def customer_invoices(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> pd.DataFrame:
    """Every item of the customer dated on or before D, open and paid (``asof.open_items``).

    ``status``: ``open`` (invoice with a non-zero open amount), ``paid`` (open amount 0),
    ``credit_note``, ``unapplied`` (cash not allocated to an invoice). ``dpd`` is None for
    settled items. Newest invoice first.
    """
    one = _one_customer(filters, customer_id)
    frame = asof.open_items(con, as_of, dataset_id=dataset_id, filters=one)
    if frame.empty:
        return pd.DataFrame(columns=CUSTOMER_INVOICE_COLUMNS)
    status = []
    for kind, open_amount in zip(frame["kind"], frame["open_amount"], strict=True):
        if kind == "invoice":
            status.append("open" if open_amount != ZERO else "paid")
        else:
            status.append(kind)
    frame["status"] = status
    frame["dpd"] = _objects(
        [
            None if s != "open" or _none(d) is None else int(d)
            for s, d in zip(frame["status"], frame["dpd"], strict=True)
        ],
        frame.index,
    )
    frame = frame.sort_values(
        ["invoice_date", "invoice_id"], ascending=[False, False], kind="stable"
    )
    return frame[CUSTOMER_INVOICE_COLUMNS].reset_index(drop=True)


def customer_days_late(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> dict[str, Any]:
    """The customer's payment behaviour over the invoices settled in ``(D-365, D]``.

    Returns ``{settled, distribution, summary, by_size, status}``:
    ``behaviour.settled_invoices`` (one point per settled invoice: settle_date, days_late),
    ``behaviour.days_late_distribution`` with the aging edges, the customer's row of
    ``behaviour.customer_behaviour`` (None without history), ``behaviour.delay_by_size``
    (typical delay by invoice size) and ``status``, the customer's row of
    ``behaviour.disputes_and_doubtful`` at D with the settings' doubtful age (open disputes
    count and amount, doubtful status; None without an open invoice; several currencies: the
    largest open amount).
    """
    one = _one_customer(filters, customer_id)
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": one}
    habits = behaviour.customer_behaviour(con, as_of, **kw)
    summary = None
    if not habits.empty:
        summary = {k: _none(v) for k, v in habits.iloc[0].to_dict().items()}
    found = behaviour.disputes_and_doubtful(
        con, as_of, doubtful_after_days=settings.doubtful_after_days, **kw
    )
    status = None
    if not found.empty:
        found = found.sort_values("open_amount", ascending=False, kind="stable")
        status = {k: _none(v) for k, v in found.iloc[0].to_dict().items()}
    return {
        "settled": behaviour.settled_invoices(con, as_of, **kw),
        "distribution": behaviour.days_late_distribution(
            con, as_of, edges=tuple(settings.bucket_edges), **kw
        ),
        "summary": summary,
        "by_size": behaviour.delay_by_size(con, as_of, customer_id=customer_id, **kw),
        "status": status,
    }


PAYMENT_COLUMNS = ["payment_date", "payment_id", "invoice_id", "amount", "currency"]


def customer_payments(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> pd.DataFrame:
    """Payments received from the customer on or before D, newest first.

    A payment is the customer's when it names the customer or names one of its invoices.
    Columns: :data:`PAYMENT_COLUMNS` (``currency`` EUR when missing, as in the open items).
    """
    pay, inv = schema.PAYMENTS.name, schema.INVOICES.name
    sql = (
        "SELECT p.payment_date, p.payment_id, p.invoice_id, p.amount, "
        "COALESCE(p.currency, $default_currency) AS currency FROM " + pay + " AS p "
        "WHERE p.dataset_id = $dataset_id AND p.payment_date <= $as_of AND ("
        "p.customer_id = $customer_id OR p.invoice_id IN (SELECT i.invoice_id FROM "
        + inv
        + " AS i WHERE i.dataset_id = $dataset_id AND i.customer_id = $customer_id)) "
        "ORDER BY p.payment_date DESC, p.payment_id DESC"
    )
    binds = {
        "dataset_id": int(dataset_id),
        "as_of": as_of,
        "customer_id": str(customer_id),
        "default_currency": DEFAULT_CURRENCY,
    }
    return asof.query_frame(con, sql, binds)


def customer_legal(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> dict[str, Any]:
    """Late-payment penalties, recovery indemnities and terms breaches of one customer.

    Returns ``{late, totals, terms, rates_missing}``: ``legal_fr.late_invoices`` (one row per
    late invoice with its penalty and indemnity), the customer's row of
    ``legal_fr.penalties_by_customer`` (None when nothing is late), ``legal_fr.terms_breaches``
    and ``rates_missing``, true when a penalty is None because the ECB rate table does not
    cover part of a delay (the page shows a warning; no rate is guessed).
    """
    one = _one_customer(filters, customer_id)
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": one}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", legal_fr.MissingRateWarning)
        totals = legal_fr.penalties_by_customer(con, as_of, **kw)
        late = legal_fr.late_invoices(con, as_of, **kw)
    return {
        "late": late,
        "totals": None if totals.empty else {k: _none(v) for k, v in totals.iloc[0].items()},
        "terms": legal_fr.terms_breaches(con, as_of, **kw),
        "rates_missing": _any_missing(late["penalty"]) if len(late) else False,
    }


def _any_missing(values: Any) -> bool:
    return any(_none(v) is None for v in values)


def customer_disputes(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    customer_id: str,
) -> pd.DataFrame:
    """The customer's disputed items with a non-zero open amount at D."""
    frame = customer_invoices(
        con,
        as_of,
        dataset_id=dataset_id,
        filters=filters,
        settings=settings,
        customer_id=customer_id,
    )
    if frame.empty:
        return frame
    keep = frame["disputed"].eq(True) & frame["open_amount"].ne(ZERO)
    return frame[keep].reset_index(drop=True)


# -- collections -----------------------------------------------------------------------------
def collections_view(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """Everything the collections page shows.

    Returns ``{items, disputed, totals, stages, breaches, uninsured, uninsured_above,
    threshold, worsening, rates_missing}``: the ranked worklist and the disputed items of
    ``worklist.worklist``; ``totals`` per currency of the worklist (``items``, ``amount`` =
    sum of open amounts, ``penalties`` = sum of penalties, None when one is None,
    ``indemnities_eur``, ``disputed_amount``); ``stages`` (count and open amount per stage and
    currency); ``credit.limit_breaches``; ``credit.uninsured_exposure`` (per currency);
    ``credit.uninsured_above`` at ``config.UNINSURED_EXPOSURE_THRESHOLD``; and the customers
    whose recent days late exceed the prior ones by at least :data:`WORSENING_MIN_DAYS`
    (``behaviour.customer_behaviour`` trend), largest trend first. ``rates_missing`` is true
    when a penalty of the worklist or of the disputed items is None because the ECB rate table
    does not cover part of a delay (the page shows a warning; no rate is guessed).
    """
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": filters}
    # Computed once here and shared (the risk scores read both).
    limits = credit.credit_by_customer(con, as_of, **kw)
    habits = behaviour.customer_behaviour(con, as_of, **kw)
    scores = risk.risk_scores(con, as_of, habits=habits, limits=limits, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", legal_fr.MissingRateWarning)
        work = worklist.worklist(con, as_of, scores=scores, **kw)
    items, disputed = work.items, work.disputed
    totals: dict[str, dict[str, Any]] = {}
    for currency in sorted(set(items["currency"]) | set(disputed["currency"])):
        mine = items[items["currency"] == currency]
        theirs = disputed[disputed["currency"] == currency]
        penalties = list(mine["penalty"])
        totals[currency] = {
            "items": len(mine),
            "amount": sum(mine["open_amount"], ZERO),
            "penalties": None if any(_none(p) is None for p in penalties) else sum(penalties, ZERO),
            "indemnities_eur": sum(mine["indemnity_eur"], ZERO),
            "disputed_items": len(theirs),
            "disputed_amount": sum(theirs["open_amount"], ZERO),
        }
    stage_rows = []
    for (currency, stage), part in items.groupby(["currency", "stage"], sort=False):
        stage_rows.append(
            {
                "currency": currency,
                "stage": stage,
                "items": len(part),
                "amount": sum(part["open_amount"], ZERO),
            }
        )
    order = {s: i for i, s in enumerate(worklist.STAGE_ORDER)}
    stages = pd.DataFrame(stage_rows, columns=["currency", "stage", "items", "amount"])
    if not stages.empty:
        stages = stages.sort_values(
            ["currency", "stage"], key=lambda s: s.map(order) if s.name == "stage" else s
        ).reset_index(drop=True)
    # A list of booleans: an empty object Series would select columns, not rows (a ledger
    # without a settled invoice has no behaviour row).
    worsening = habits.loc[
        [_none(v) is not None and float(v) >= WORSENING_MIN_DAYS for v in habits["trend"]]
    ]
    worsening = worsening.sort_values(
        ["trend", "customer_id"], ascending=[False, True], kind="stable"
    )
    return {
        "items": items,
        "disputed": disputed,
        "totals": totals,
        "stages": stages,
        "breaches": credit.limit_breaches(con, as_of, by_customer=limits, **kw),
        "uninsured": credit.uninsured_exposure(con, as_of, by_customer=limits, **kw),
        "uninsured_above": credit.uninsured_above(con, as_of, by_customer=limits, **kw),
        "threshold": UNINSURED_EXPOSURE_THRESHOLD,
        "worsening": worsening[
            [
                "customer_id",
                "customer_name",
                "days_late_recent",
                "days_late_prior",
                "trend",
                "invoices",
            ]
        ].reset_index(drop=True),
        "rates_missing": _any_missing(items["penalty"]) or _any_missing(disputed["penalty"]),
    }


#: Columns of the worklist export (a dunning run), in order, with their kind.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "int"),
    ("stage", "text"),
    ("customer_id", "text"),
    ("customer_name", "text"),
    ("invoice_id", "text"),
    ("invoice_date", "date"),
    ("due_date", "date"),
    ("dpd", "int"),
    ("amount", "money"),
    ("open_amount", "money"),
    ("currency", "text"),
    ("penalty", "money"),
    ("indemnity_eur", "money"),
    ("risk_score", "number"),
    ("priority", "number"),
)


def _header(name: str, lang: str) -> str:
    key = f"col_{name}"
    return t(key, lang) if key in TEXTS or key in i18n.TEXTS else name


def worklist_csv(items: pd.DataFrame, lang: str) -> bytes:
    """The worklist as CSV (UTF-8 with BOM) for a dunning run.

    French: ``;`` separator and decimal comma; English: ``,`` and decimal point. Dates ISO
    (``yyyy-mm-dd``), money with two decimals, stages as labels; text cells that a spreadsheet
    would read as a formula are neutralised.
    """
    sep, mark = (";", ",") if lang == "fr" else (",", ".")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow([_header(name, lang) for name, _ in EXPORT_COLUMNS])
    for record in items.to_dict("records"):
        row = []
        for name, kind in EXPORT_COLUMNS:
            value = _none(record.get(name))
            if value is None:
                row.append("")
            elif kind == "money":
                row.append(f"{Decimal(value):.2f}".replace(".", mark))
            elif kind == "number":
                row.append(f"{float(value):.2f}".replace(".", mark))
            elif kind == "int":
                row.append(str(int(value)))
            elif kind == "date":
                row.append(value.isoformat())
            elif name == "stage":
                row.append(t(f"stage_{value}", lang))
            else:
                row.append(str(neutralise(str(value))))
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def frame_csv(frame: pd.DataFrame, lang: str) -> bytes:
    """Any table of these pages as CSV (UTF-8 with BOM), same conventions as
    :func:`worklist_csv`: ``;`` and decimal comma in French, ISO dates, formula-like text
    neutralised, None as an empty cell."""
    sep, mark = (";", ",") if lang == "fr" else (",", ".")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow([neutralise(_header(str(c), lang)) for c in frame.columns])
    for record in frame.itertuples(index=False, name=None):
        row = []
        for value in record:
            value = _none(value)
            if value is None:
                row.append("")
            elif isinstance(value, bool):
                row.append(str(value).lower())
            elif isinstance(value, Decimal | float):
                row.append(str(value).replace(".", mark))
            elif isinstance(value, date):
                row.append(value.isoformat())
            else:
                row.append(str(neutralise(str(value))))
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def worklist_xlsx(items: pd.DataFrame, lang: str, as_of: date) -> bytes:
    """The worklist as an Excel workbook: real numbers and dates with formats, a frozen header,
    an autofilter, a totals row (SUM formulas) under the open amount and the penalties, text
    neutralised (``= + - @``)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    fmt = {
        "header": book.add_format({"bold": True, "bg_color": "#1f4e79", "font_color": "#ffffff"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "number": book.add_format({"num_format": "0.00"}),
        "int": book.add_format({"num_format": "0"}),
        "date": book.add_format({"num_format": "dd/mm/yyyy" if lang == "fr" else "dd mmm yyyy"}),
        "total": book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"}),
        "title": book.add_format({"bold": True, "font_size": 14}),
    }
    sheet = book.add_worksheet(t("collections_worklist", lang)[:31])
    title = f"{t('collections_worklist', lang)} — {i18n.fmt_date(as_of, lang)}"
    sheet.write_string(0, 0, title, fmt["title"])
    top = 2
    for j, (name, kind) in enumerate(EXPORT_COLUMNS):
        sheet.write_string(top, j, _header(name, lang), fmt["header"])
        sheet.set_column(j, j, 24 if kind == "text" else 14)
    sheet.freeze_panes(top + 1, 0)
    records = items.to_dict("records")
    for i, record in enumerate(records):
        r = top + 1 + i
        for j, (name, kind) in enumerate(EXPORT_COLUMNS):
            value = _none(record.get(name))
            if value is None:
                sheet.write_blank(r, j, None)
            elif kind in ("money", "number"):
                sheet.write_number(r, j, float(value), fmt[kind])
            elif kind == "int":
                sheet.write_number(r, j, int(value), fmt["int"])
            elif kind == "date":
                sheet.write_datetime(
                    r, j, datetime.combine(value, datetime.min.time()), fmt["date"]
                )
            elif name == "stage":
                sheet.write_string(r, j, t(f"stage_{value}", lang))
            else:
                sheet.write_string(r, j, str(neutralise(str(value))))
    if records:
        last = top + len(records)
        sheet.autofilter(top, 0, last, len(EXPORT_COLUMNS) - 1)
        sheet.write_string(last + 1, 0, t("col_total", lang), fmt["total"])
        names = [name for name, _ in EXPORT_COLUMNS]
        for name in ("open_amount", "penalty", "indemnity_eur"):
            j = names.index(name)
            col = xlsxwriter.utility.xl_col_to_name(j)
            total = sum((Decimal(v) for v in items[name] if _none(v) is not None), ZERO)
            sheet.write_formula(
                last + 1, j, f"=SUM({col}{top + 2}:{col}{last + 1})", fmt["total"], float(total)
            )
    book.close()
    return buffer.getvalue()


# -- cash forecast ---------------------------------------------------------------------------
def forecast_view(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """The 13-week cash-in forecast, the disputed items apart, and the method's back-test.

    Returns ``{weeks, disputed, totals, backtest}``: ``forecast.weekly_forecast`` (every week
    and "later"), ``forecast.disputed_items``, per currency ``totals`` (``forecast`` = sum of
    weeks 1-13, ``later``, ``disputed``; Decimal) and ``forecast.backtest``.
    """
    kw: dict[str, Any] = {"dataset_id": dataset_id, "filters": filters}
    weeks = forecast.weekly_forecast(con, as_of, **kw)
    disputed = forecast.disputed_items(con, as_of, **kw)
    totals: dict[str, dict[str, Decimal]] = {}
    currencies = sorted(set(weeks["currency"]) | set(disputed.get("currency", [])))
    for currency in currencies:
        mine = weeks[weeks["currency"] == currency]
        in_weeks = mine[mine["week"].notna()]
        later = mine[mine["week"].isna()]
        theirs = disputed[disputed["currency"] == currency] if len(disputed) else disputed
        totals[currency] = {
            "forecast": sum(in_weeks["amount"], ZERO),
            "later": sum(later["amount"], ZERO),
            "disputed": sum(theirs["open_amount"], ZERO) if len(theirs) else ZERO,
        }
    return {
        "weeks": weeks,
        "disputed": disputed,
        "totals": totals,
        "backtest": forecast.backtest(con, as_of, **kw),
    }


def forecast_by_customer(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Expected cash-in per customer and week (``forecast.weekly_forecast(by_customer=True)``),
    wide: customer_id, customer_name, currency, W01..W13, later, total (Decimal); largest
    13-week total first."""
    long = forecast.weekly_forecast(
        con, as_of, dataset_id=dataset_id, filters=filters, by_customer=True
    )
    if long.empty:
        return pd.DataFrame(columns=["customer_id", "customer_name", "currency", "total"])
    labels = list(dict.fromkeys(long["label"]))
    long = long.assign(customer_name=long["customer_name"].fillna(""))
    keys = ["customer_id", "customer_name", "currency"]
    wide = long.set_index([*keys, "label"])["amount"].unstack("label")
    wide = wide.reindex(columns=labels).reset_index()
    wide.columns.name = None
    for label in labels:
        wide[label] = [ZERO if _none(v) is None else v for v in wide[label]]
    weeks = [label for label in labels if label != forecast.LATER]
    wide["total"] = [sum(row, ZERO) for row in wide[weeks].itertuples(index=False, name=None)]
    wide = wide.sort_values(["total", "customer_id"], ascending=[False, True], kind="stable")
    return wide.reset_index(drop=True)


# -- history ---------------------------------------------------------------------------------
HISTORY_KPIS = (
    "ar",
    "not_due",
    "overdue",
    "overdue_share",
    "dso_period",
    "dso_countback",
    "bpdso",
    "add",
    "cei",
)


def history_view(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """Month-end series of every KPI (``history.history``, 24 month ends) and the roll rates
    between consecutive month ends (``history.roll_rates``, long table)."""
    kw: dict[str, Any] = {
        "dataset_id": dataset_id,
        "filters": filters,
        "edges": tuple(settings.bucket_edges),
    }
    return {
        "history": history.history(con, as_of, period_days=settings.period_days, **kw),
        "roll": history.roll_rates(con, as_of, **kw),
    }


def roll_matrix(
    roll: pd.DataFrame, labels: Sequence[str], month_end: date | None = None
) -> pd.DataFrame:
    """A roll-rate matrix from the long table of ``history.roll_rates``, one currency.

    ``month_end`` None pools every month: ``share(b -> x) = sum_M amount(M, b -> x) /
    sum_M from_amount(M, b)`` (None when the pooled from_amount is not positive); else the
    shares of that month end. Columns: from_bucket, from_amount, paid, written_off, each bucket
    label (the shape of ``views.roll_rate_matrix``).
    """
    targets = ["paid", "written_off", *labels]
    columns = ["from_bucket", "from_amount", *targets]
    if roll.empty:
        return pd.DataFrame(columns=columns)
    currencies = sorted(set(roll["currency"]))
    if len(currencies) > 1:
        raise asof.MixedCurrencyError(currencies)
    part = roll if month_end is None else roll[roll["month_end"] == month_end]
    # One sum per (from bucket, target) and one base per from bucket (its from_amount counted
    # once per month end), grouped over the long table (about a thousand rows per currency), no mask per cell.
    starts = part.drop_duplicates(["from_bucket", "month_end"])
    bases = {b: sum(g, ZERO) for b, g in starts.groupby("from_bucket", sort=False)["from_amount"]}
    moved = {
        key: sum(g, ZERO) for key, g in part.groupby(["from_bucket", "to"], sort=False)["amount"]
    }
    rows = []
    for bucket in labels:
        if bucket not in bases:
            continue
        base = bases[bucket]
        row: dict[str, Any] = {"from_bucket": bucket, "from_amount": base}
        for target in targets:
            amount = moved.get((bucket, target), ZERO)
            row[target] = float(amount / base) if base > 0 else None
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def cohorts(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dataset_id: int,
    filters: Filters = NO_FILTERS,
    settings: Settings = DEFAULT_SETTINGS,
    days: Sequence[int] = COHORT_DAYS,
) -> pd.DataFrame:
    """Billing cohorts: for each month of the 24 month ends of ``history.month_ends``, the
    share of the amount invoiced that month not fully paid ``k`` days after the invoice date.

    Population: invoices (positive amount) dated in the month. Not fully paid at
    ``invoice_date + k``: no settle date at D (``asof.open_items``), a settle date after
    ``invoice_date + k``, or a write-off (a written-off invoice was never paid in full).
    ``unpaid_k = sum(amount of those) / sum(amount)`` (float, amount-weighted); None while the
    cohort is not ``k`` days old at D (``month end + k > D``) or has no invoice.
    Columns: month (first day), currency, invoices, billed (Decimal), unpaid_<k> per k.
    Reference: kpi-spec section 9 (views over time).
    """
    ends = history.month_ends(as_of)
    start = months_before(ends[0], 1)
    stop = last_month_end(as_of)
    measures = []
    binds: dict[str, Any] = {}
    for i, k in enumerate(days):
        binds[f"k{i}"] = int(k)
        measures.append(
            "CAST(COALESCE(SUM(amount) FILTER (WHERE settle_date IS NULL OR written_off > 0 "
            f"OR settle_date > invoice_date + CAST($k{i} AS INTEGER)), 0) AS DECIMAL(18,2)) "
            f"AS u{i}"
        )
    sql = (
        "SELECT EXTRACT(YEAR FROM invoice_date) AS y, EXTRACT(MONTH FROM invoice_date) AS m, "
        "currency, COUNT(*) AS n, CAST(SUM(amount) AS DECIMAL(18,2)) AS billed, "
        + ", ".join(measures)
        + " FROM ("
        + itemcache.items_sql(con, dataset_id, as_of)
        + ") AS oi WHERE kind = $kind AND amount > 0 AND invoice_date > $start "
        "AND invoice_date <= $stop GROUP BY y, m, currency ORDER BY y, m, currency"
    )
    p = {
        **asof.params(dataset_id, as_of, filters),
        **binds,
        "start": start,
        "stop": stop,
        "kind": "invoice",
    }
    rows = con.execute(sql, p).fetchall()
    out = []
    for y, m, currency, n, billed, *unpaid in rows:
        month = date(int(y), int(m), 1)
        end = last_month_end(date(int(y), int(m), 28) + timedelta(days=4))
        rec: dict[str, Any] = {
            "month": month,
            "currency": currency,
            "invoices": int(n),
            "billed": billed,
        }
        for k, value in zip(days, unpaid, strict=True):
            mature = end + timedelta(days=int(k)) <= as_of
            rec[f"unpaid_{k}"] = float(value / billed) if mature and billed > 0 else None
        out.append(rec)
    columns = ["month", "currency", "invoices", "billed", *(f"unpaid_{k}" for k in days)]
    return pd.DataFrame(out, columns=columns, dtype=object)


# -- figures ---------------------------------------------------------------------------------
def _num(value: Any) -> float | None:
    value = _none(value)
    return None if value is None else float(value)


def _layout(fig: go.Figure, lang: str, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(
        title=title,
        separators=", " if lang == "fr" else ".,",
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        **extra,
    )
    return fig


def limit_gauge(utilisation: float | None, lang: str) -> go.Figure:
    """A gauge of the limit utilisation in percent (0 to max(150, value)); red beyond 100 %."""
    value = 0.0 if utilisation is None else utilisation * 100
    top = max(150.0, value)
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=value,
            number={"suffix": " %" if lang == "fr" else "%", "valueformat": ".1f"},
            gauge={
                "axis": {"range": [0, top]},
                "bar": {"color": "#1f4e79"},
                "steps": [
                    {"range": [0, 80], "color": "#e8f5e9"},
                    {"range": [80, 100], "color": "#fff3e0"},
                    {"range": [100, top], "color": "#ffebee"},
                ],
                "threshold": {"line": {"color": "#e53935", "width": 3}, "value": 100},
            },
        )
    )
    return _layout(fig, lang, t("customer_gauge", lang), height=240)


def risk_components(explained: pd.DataFrame, lang: str) -> go.Figure:
    """Horizontal bars of the points of each risk component against its weight."""
    names = [t(f"risk_{c}", lang) for c in explained["component"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=[float(w) for w in explained["weight"]],
            name=t("col_weight", lang),
            orientation="h",
            marker_color="#e0e0e0",
        )
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=[float(p) for p in explained["points"]],
            name=t("col_points", lang),
            orientation="h",
            marker_color="#c55a11",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, lang, t("customer_risk_title", lang), barmode="overlay", height=320)


def days_late_scatter(settled: pd.DataFrame, lang: str) -> go.Figure:
    """Days late of each settled invoice against its settlement date."""
    fig = go.Figure(
        go.Scatter(
            x=list(settled.get("settle_date", [])),
            y=[_num(v) for v in settled.get("days_late", [])],
            text=list(settled.get("invoice_id", [])),
            mode="markers",
            marker={"color": "#1f4e79"},
            hovertemplate="%{text}<br>%{x}: %{y}<extra></extra>",
        )
    )
    unit = "jours de retard" if lang == "fr" else "days late"
    return _layout(fig, lang, t("customer_days_late_title", lang), yaxis_title=unit)


def days_late_bars(distribution: pd.DataFrame, lang: str) -> go.Figure:
    """Invoices per days-late bin (``behaviour.days_late_distribution``)."""
    labels = [
        t("on_time_bin", lang) if b == "on_time" else i18n.bucket_label(b, lang)
        for b in distribution["bin"]
    ]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=[int(n) for n in distribution["invoices"]],
            marker_color=charts.bucket_colours(list(distribution["bin"])),
        )
    )
    return _layout(fig, lang, t("customer_days_late_dist", lang), showlegend=False)


def forecast_bars(
    weeks: pd.DataFrame, disputed: Decimal | None, lang: str, currency: str | None
) -> go.Figure:
    """Bars of the expected cash-in per week and "later"; the disputed amount as its own bar."""
    labels = [
        t("forecast_later", lang) if label == forecast.LATER else label for label in weeks["label"]
    ]
    values = [_num(v) for v in weeks["amount"]]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=values,
            name=t("forecast_week_chart", lang),
            marker_color=["#1f4e79"] * (len(labels) - 1) + ["#5b9bd5"],
            text=[i18n.fmt_money(v, lang, currency, digits=0) for v in weeks["amount"]],
            textposition="none",
            hovertemplate="%{x}<br>%{text}<extra></extra>",
        )
    )
    if disputed is not None:
        fig.add_trace(
            go.Bar(
                x=[t("forecast_disputed", lang)],
                y=[float(disputed)],
                name=t("forecast_disputed", lang),
                marker_color="#e53935",
                text=[i18n.fmt_money(disputed, lang, currency, digits=0)],
                textposition="none",
                hovertemplate="%{x}<br>%{text}<extra></extra>",
            )
        )
    return _layout(fig, lang, t("forecast_week_chart", lang))


def backtest_chart(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Forecast against actual cash per week of the back-test window."""
    fig = go.Figure()
    x = [f"W{int(k):02d}" for k in frame["week"]]
    for key, colour in (("forecast", "#5b9bd5"), ("actual", "#2e7d32")):
        fig.add_trace(
            go.Bar(
                x=x,
                y=[_num(v) for v in frame[key]],
                name=t(f"col_{key}", lang),
                marker_color=colour,
            )
        )
    return _layout(fig, lang, "", barmode="group")


def history_lines(frame: pd.DataFrame, keys: Sequence[str], lang: str) -> go.Figure:
    """One line per chosen KPI of ``history.history`` over the month ends."""
    fig = go.Figure()
    for key in keys:
        fig.add_trace(
            go.Scatter(
                x=list(frame["month_end"]),
                y=[_num(v) for v in frame[key]],
                name=t(f"kpi_{key}", lang),
                mode="lines+markers",
            )
        )
    fig.update_xaxes(tickformat="%m/%Y" if lang == "fr" else "%b %Y")
    return _layout(fig, lang, t("history_kpis", lang))


def roll_heatmap(matrix: pd.DataFrame, labels: Sequence[str], lang: str) -> go.Figure:
    """The roll-rate heat map (``charts.roll_rates``) titled for the history page."""
    fig = charts.roll_rates(matrix, labels, lang)
    fig.update_layout(title=t("history_roll_title", lang))
    return fig


def cohort_heatmap(frame: pd.DataFrame, lang: str, days: Sequence[int] = COHORT_DAYS) -> go.Figure:
    """Heat map of the unpaid share of each billing month after each number of days."""
    y = [
        i18n.fmt_date(m, lang)[3:] if lang == "fr" else m.strftime("%b %Y") for m in frame["month"]
    ]
    x = [t("col_unpaid_after", lang, days=k) for k in days]
    z = [[_num(v) for v in frame[f"unpaid_{k}"]] for k in days]
    z = [list(row) for row in zip(*z, strict=True)] if len(frame) else []
    text = [[i18n.fmt_percent(v, lang) if v is not None else "" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="Reds",
            zmin=0,
            zmax=1,
            showscale=False,
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, lang, t("history_cohort_title", lang), height=max(300, 22 * len(y) + 80))


def bucket_names(settings: Settings) -> list[str]:
    """The aging bucket labels of ``settings`` (``config.bucket_labels``)."""
    return bucket_labels(tuple(settings.bucket_edges))
