"""Seeded generator of the bundled sample ledger and of the scaled benchmark ledgers.

One generator core (:func:`_generate_block`) draws a realistic French B2B receivables ledger
for a block of customers with vectorised numpy: customers by typology, invoices and credit
notes, payments (single, by instalments, on account), disputes, doubtful invoices, collective
procedures with write-offs, credit and insured limits. It returns canonical pyarrow tables
(column names from :mod:`analytics.schema`).

Two writers share that core:

- :func:`write_sample` writes the bundled sample (``data/sample``) as a French Excel-style CSV
  export: UTF-8 with BOM, ``;`` separator, decimal comma, no-break space as thousands
  separator, dates ``dd/mm/yyyy``, booleans ``Oui``/``Non``, French headers.
- :func:`write_bench_ledger` writes a ledger of any size block by block, as a plain machine
  CSV (``,``, ISO dates, decimal point, canonical headers) or as typed Parquet.

Everything is seeded and ends on a fixed date (:data:`SAMPLE_END`), never today: the same
arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analytics.schema import TABLES

#: Last day of the sample ledger: no invoice, payment or write-off is dated after it.
SAMPLE_END = date(2026, 10, 31)
#: First day of the sample ledger (three years of invoices up to SAMPLE_END).
SAMPLE_START = date(2023, 11, 1)
SAMPLE_SEED = 20261031
SAMPLE_CUSTOMERS = 600
SAMPLE_INVOICES = 40_000
#: Where the bundled sample lives, relative to the repository.
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
#: Invoices per block when writing a scaled ledger (bounds the memory used).
BENCH_BLOCK_INVOICES = 500_000
#: Invoices per customer in a scaled ledger.
BENCH_INVOICES_PER_CUSTOMER = 60

ENTITIES = ("Encours Industrie SAS", "Encours Services SARL")
SEGMENTS = ("Grand compte", "PME", "TPE", "Secteur public", "Particulier")
GC, PME, TPE, PUBLIC, PARTICULIER = range(5)
COUNTRIES = ("FR", "BE", "DE", "ES", "CH")

_SEG_P = np.array([0.06, 0.34, 0.30, 0.08, 0.22])
#: Relative invoicing volume of a customer of each typology.
_SEG_VOLUME = np.array([6.0, 1.5, 0.7, 2.0, 0.35])
#: Median invoice amount incl. tax in cents, per typology.
_SEG_MEDIAN = np.array([900_000, 250_000, 80_000, 350_000, 25_000])
#: Customer mean delay after the due date in days: uniform between low and high, per typology.
_SEG_DELAY_LOW = np.array([8.0, 5.0, -2.0, 30.0, -3.0])
_SEG_DELAY_HIGH = np.array([17.0, 15.0, 30.0, 45.0, 1.0])
_SEG_DELAY_SD = np.array([6.0, 7.0, 25.0, 12.0, 3.0])
#: Probability that an old invoice is never paid, per typology.
_SEG_UNPAID = np.array([0.003, 0.008, 0.02, 0.003, 0.012])
#: Payment terms codes and their probabilities per typology.
TERMS = ("30 jours net", "45 jours fin de mois", "60 jours net", "90 jours net")
T30, T45EOM, T60, T90 = range(4)
_SEG_TERMS_P = np.array(
    [
        [0.15, 0.40, 0.45, 0.0],
        [0.45, 0.35, 0.20, 0.0],
        [0.80, 0.15, 0.05, 0.0],
        [0.90, 0.0, 0.10, 0.0],
        [1.0, 0.0, 0.0, 0.0],
    ]
)

_ACTIVITIES = np.array(
    [
        "Transports",
        "Boulangerie",
        "Menuiserie",
        "Garage",
        "Imprimerie",
        "Laboratoires",
        "Atelier",
        "Bureau d'études",
        "Cabinet",
        "Entreprise",
        "Maison",
        "Établissements",
        "Société",
        "Distribution",
        "Froid",
        "Électricité",
        "Plomberie",
        "Chaudronnerie",
        "Mécanique",
        "Bâtiment",
        "Agencement",
        "Emballages",
        "Logistique",
        "Négoce",
    ]
)
_SURNAMES = np.array(
    [
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Simon",
        "Laurent",
        "Lefèvre",
        "Michel",
        "Garcia",
        "David",
        "Bertrand",
        "Roux",
        "Vincent",
        "Fournier",
        "Morel",
        "Girard",
        "André",
        "Mercier",
        "Dupont",
        "Lambert",
        "Bonnet",
        "François",
        "Legrand",
        "Garnier",
        "Faure",
        "Rousseau",
        "Blanc",
        "Guérin",
        "Muller",
        "Henry",
        "Roussel",
        "Perrin",
        "Morin",
        "Mathieu",
        "Clément",
        "Gauthier",
        "Dumont",
        "Fontaine",
        "Chevalier",
        "Robin",
        "Aubé",
        "Bécu",
        "Noël",
        "Lemaître",
    ]
)
_FIRST_NAMES = np.array(
    [
        "Jean",
        "Marie",
        "Pierre",
        "Nathalie",
        "Michel",
        "Isabelle",
        "Philippe",
        "Sylvie",
        "Alain",
        "Catherine",
        "François",
        "Hélène",
        "Jérôme",
        "Céline",
        "Stéphane",
        "Valérie",
        "Éric",
        "Sophie",
        "Gaëlle",
        "Loïc",
    ]
)
_CITIES = np.array(
    [
        "Lyon",
        "Nantes",
        "Rennes",
        "Dijon",
        "Besançon",
        "Orléans",
        "Tours",
        "Angers",
        "Le Mans",
        "Brest",
        "Saint-Étienne",
        "Grenoble",
        "Amiens",
        "Limoges",
        "Poitiers",
        "Nîmes",
        "Pau",
        "Metz",
        "Nancy",
        "Reims",
        "Caen",
        "Rouen",
        "Lille",
        "Annecy",
        "Chambéry",
        "Valence",
        "Avignon",
        "Béziers",
        "Perpignan",
        "Évreux",
    ]
)
_PUBLIC_BODIES = np.array(
    [
        "Mairie de",
        "Communauté de communes de",
        "Centre hospitalier de",
        "Syndicat des eaux de",
        "Office public de l'habitat de",
        "Lycée professionnel de",
    ]
)
_LARGE_PATTERNS = np.array(["Groupe", "Industries", "International", "Holding"])
#: Legal forms per country (FR, BE, DE, ES, CH).
_FORMS = (
    np.array(["SAS", "SARL", "SA", "EURL", "& Fils", "Frères", "SNC", "& Cie"]),
    np.array(["SRL", "SA", "SPRL"]),
    np.array(["GmbH", "AG", "KG"]),
    np.array(["SL", "SA"]),
    np.array(["SA", "Sàrl", "AG"]),
)
_SALES_REPS = np.array(
    [
        "Camille Laurent",
        "Julien Marchand",
        "Sophie Giraud",
        "Thomas Lemoine",
        "Claire Aubert",
        "Nicolas Perrot",
        "Émilie Caron",
        "Antoine Rey",
        "Léa Barbier",
        "Hugo Collet",
    ]
)
#: The named customer every block zero carries (accent, apostrophe, ampersand).
SHOWCASE_NAME = "L'Atelier d'Étienne & Fils"

#: Headers of the French sample export, mapped from canonical column names.
FR_HEADERS: dict[str, dict[str, str]] = {
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

MONEY_TYPE = pa.decimal128(18, 2)
RATE_TYPE = pa.decimal128(9, 4)
NBSP = "\u00a0"


@dataclass(frozen=True)
class Ledger:
    """The four canonical tables of a generated ledger.

    Columns carry canonical names (:mod:`analytics.schema`). ``payments`` also carries two
    generator-only columns that the writers drop: ``_settles`` (the invoice the cash settles,
    also for payments on account that name no invoice) and ``_overpayment`` (a deliberate
    small overpayment on account).
    """

    invoices: pa.Table
    payments: pa.Table
    customers: pa.Table
    write_offs: pa.Table

    def tables(self) -> dict[str, pa.Table]:
        return {
            "invoices": self.invoices,
            "payments": self.payments,
            "customers": self.customers,
            "write_offs": self.write_offs,
        }


@dataclass(frozen=True)
class _Block:
    n_customers: int
    n_invoices: int
    start: int
    end: int
    customer_offset: int
    id_width: int
    doc_width: int
    showcase: bool


# --------------------------------------------------------------------------- numpy helpers


def _epoch_days(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def _weekday(days: np.ndarray) -> np.ndarray:
    """Day of week of epoch days, Monday = 0 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def _back_to_friday(days: np.ndarray) -> np.ndarray:
    dow = _weekday(days)
    return days - np.where(dow == 5, 1, np.where(dow == 6, 2, 0))


def _on_to_monday(days: np.ndarray) -> np.ndarray:
    dow = _weekday(days)
    return days + np.where(dow == 5, 2, np.where(dow == 6, 1, 0))


def _end_of_month(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    return (months + 1).astype("datetime64[D]").astype(np.int64) - 1


def _due_dates(inv_days: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """Due date per terms code: 30 net, 45 days end of month, 60 net, 90 net."""
    eom45 = _end_of_month(inv_days + 45)
    return np.select(
        [terms == T30, terms == T45EOM, terms == T60],
        [inv_days + 30, eom45, inv_days + 60],
        inv_days + 90,
    )


def _excl_tax(cents: np.ndarray, vat_permille: np.ndarray) -> np.ndarray:
    """cents / (1 + vat) rounded half away from zero, in whole cents."""
    d = 1000 + vat_permille
    mag = (np.abs(cents) * 2000 + d) // (2 * d)
    return np.sign(cents) * mag


def _pick(rng: np.random.Generator, words: np.ndarray, n: int) -> np.ndarray:
    return words[rng.integers(0, len(words), n)]


def _join(*parts: np.ndarray | str) -> np.ndarray:
    out = parts[0]
    for p in parts[1:]:
        out = np.strings.add(out, p)
    return out


# --------------------------------------------------------------------------- generator core


def _customer_names(rng: np.random.Generator, seg: np.ndarray, country: np.ndarray) -> np.ndarray:
    n = len(seg)
    surname = _pick(rng, _SURNAMES, n)
    form_idx = rng.integers(0, 64, n)
    forms = np.empty(n, dtype=object)
    for k, fl in enumerate(_FORMS):
        sel = country == k
        forms[sel] = fl[form_idx[sel] % len(fl)]
    forms = forms.astype(str)
    business = _join(_pick(rng, _ACTIVITIES, n), " ", surname, " ", forms)
    large = _join(surname, " ", _pick(rng, _LARGE_PATTERNS, n), " ", forms)
    public = _join(_pick(rng, _PUBLIC_BODIES, n), " ", _pick(rng, _CITIES, n))
    civil = np.where(rng.random(n) < 0.5, "M.", "Mme")
    person = _join(civil, " ", _pick(rng, _FIRST_NAMES, n), " ", surname)
    names = np.select(
        [seg == GC, seg == PUBLIC, seg == PARTICULIER], [large, public, person], business
    )
    return names.astype(object)


def _generate_block(rng: np.random.Generator, b: _Block) -> dict[str, dict[str, np.ndarray]]:
    """Draw one block of customers and their documents; dates are epoch days, money cents."""
    nc, start, end = b.n_customers, b.start, b.end
    span = end - start

    # Customers -----------------------------------------------------------------------------
    seg = rng.choice(len(SEGMENTS), nc, p=_SEG_P)
    country = rng.choice(len(COUNTRIES), nc, p=[0.86, 0.05, 0.04, 0.03, 0.02])
    country[seg == PARTICULIER] = 0
    country[seg == PUBLIC] = 0
    business = seg != PARTICULIER
    entity = (rng.random(nc) < np.where(np.isin(seg, (GC, PME)), 0.3, 0.5)).astype(np.int64)
    terms = (rng.random(nc)[:, None] > np.cumsum(_SEG_TERMS_P[seg], axis=1)).sum(axis=1)
    terms = np.minimum(terms, T60)
    scale = rng.lognormal(0.0, 0.5, nc)
    volume = _SEG_VOLUME[seg] * rng.lognormal(0.0, 0.7, nc)
    delay_mean = rng.uniform(_SEG_DELAY_LOW[seg], _SEG_DELAY_HIGH[seg])
    delay_sd = _SEG_DELAY_SD[seg]
    rep = rng.integers(0, len(_SALES_REPS), nc)

    first = np.full(nc, start, dtype=np.int64)
    late_start = rng.random(nc) < 0.25
    first[late_start] += (rng.random(late_start.sum()) * 0.8 * span).astype(np.int64)
    last = np.full(nc, end, dtype=np.int64)
    churn = rng.random(nc) < 0.12
    last[churn] -= (rng.random(churn.sum()) * 0.7 * (end - first[churn])).astype(np.int64)
    last = np.maximum(last, np.minimum(first + 90, end))

    # Special customers: chosen among steady business customers of good volume.
    order = rng.permutation(nc)
    steady = business & (first == start) & (last == end) & (seg != PUBLIC)
    candidates = order[steady[order] & (volume[order] >= np.median(volume))]
    n_worse = max(1, round(nc / 60))
    n_doubt = max(1, round(nc * 8 / 600))
    n_coll = max(1, round(nc * 4 / 600))
    n_ninety = max(1, round(nc / 100))
    worsening_idx = candidates[:n_worse]
    doubtful_idx = candidates[n_worse : n_worse + n_doubt]
    collective_idx = doubtful_idx[:n_coll]
    ninety_idx = candidates[n_worse + n_doubt : n_worse + n_doubt + n_ninety]
    worsening = np.zeros(nc, dtype=bool)
    worsening[worsening_idx] = True
    doubtful_c = np.zeros(nc, dtype=bool)
    doubtful_c[doubtful_idx] = True
    collective = np.zeros(nc, dtype=bool)
    collective[collective_idx] = True
    terms[ninety_idx] = T90
    volume[worsening | doubtful_c] *= 2.0

    default_day = np.full(nc, end + 1, dtype=np.int64)
    default_day[doubtful_idx] = end - rng.integers(60, 500, len(doubtful_idx))
    default_day[collective_idx] = end - rng.integers(240, 720, len(collective_idx))
    last[doubtful_c] = np.minimum(
        end, default_day[doubtful_c] + rng.integers(0, 31, len(doubtful_idx))
    )

    show = -1
    pool = order[business[order] & ~doubtful_c[order] & ~worsening[order]]
    if b.showcase and len(pool):
        show = int(pool[0])
        seg[show], country[show] = PME, 0

    names = _customer_names(rng, seg, country)
    if show >= 0:
        names[show] = SHOWCASE_NAME

    # Invoices per customer (credit notes come on top of these base invoices).
    n_cn = round(b.n_invoices * 0.03)
    n_base = b.n_invoices - n_cn
    weight = volume * (last - first + 1) / span
    counts = rng.multinomial(n_base, weight / weight.sum())

    # Foreign-currency customers in the second entity, about 2 % of the invoices.
    currency = np.zeros(nc, dtype=np.int64)
    eligible = order[business[order] & ~doubtful_c[order] & ~worsening[order] & (counts[order] > 0)]
    eligible = eligible[eligible != show]
    cum = np.cumsum(counts[eligible])
    n_foreign = int(np.searchsorted(cum, 0.02 * n_base)) + 1
    foreign_idx = eligible[:n_foreign]
    currency[foreign_idx] = 1 + np.arange(len(foreign_idx)) % 2
    entity[foreign_idx] = 1
    country[foreign_idx] = np.where(currency[foreign_idx] == 1, 4, 2)

    # Base invoices --------------------------------------------------------------------------
    cust = np.repeat(np.arange(nc), counts)
    u = rng.random(n_base)
    g = 0.25
    t = (-1.0 + np.sqrt(1.0 + g * (2.0 + g) * u)) / g
    inv_day = first[cust] + np.floor(t * (last[cust] - first[cust] + 1)).astype(np.int64)
    inv_day = np.maximum(_back_to_friday(np.minimum(inv_day, end)), first[cust])
    amount = np.round(
        _SEG_MEDIAN[seg[cust]] * scale[cust] * rng.lognormal(0.0, 0.9, n_base)
    ).astype(np.int64)
    amount = np.maximum(amount, 1_000)
    vat = np.select(
        [country[cust] != 0, rng.random(n_base) < 0.06, rng.random(n_base) < 0.04],
        [0, 100, 55],
        200,
    )
    due = _due_dates(inv_day, terms[cust])

    # Credit notes, each correcting an earlier invoice of the same customer ---------------------
    can_correct = np.flatnonzero(~doubtful_c[cust] & (inv_day <= end - 3))
    orig = np.sort(rng.choice(can_correct, n_cn, replace=False))
    cn_day = np.minimum(inv_day[orig] + rng.integers(2, 31, n_cn), end)
    cn_day = np.maximum(_back_to_friday(cn_day), inv_day[orig])
    full = rng.random(n_cn) < 0.3
    frac = np.where(full, 1.0, rng.uniform(0.05, 0.5, n_cn))
    cn_amount = -np.maximum(np.floor(amount[orig] * frac).astype(np.int64), 1)
    deduction = np.zeros(n_base, dtype=np.int64)
    np.add.at(deduction, orig, -cn_amount)

    # Payments of base invoices ------------------------------------------------------------------
    c = cust
    delay = rng.normal(delay_mean[c], delay_sd[c])
    tail = rng.random(n_base) < np.where(seg[c] == TPE, 0.15, 0.04)
    delay = delay + tail * rng.exponential(45.0, n_base)
    on_time = (seg[c] == PARTICULIER) & (rng.random(n_base) < 0.85)
    delay = np.where(on_time, -rng.integers(0, 6, n_base), delay)
    worse = worsening[c] & (due >= end - 210)
    delay = delay + worse * rng.uniform(35.0, 80.0, n_base)
    disputed = np.zeros(n_base, dtype=bool)
    w = np.exp(3.0 * ((inv_day - start) / span - 1.0))
    w[doubtful_c[c]] = 0.0
    n_disp = round(0.02 * b.n_invoices)
    disputed[rng.choice(n_base, n_disp, replace=False, p=w / w.sum())] = True
    dispute_open = disputed & (rng.random(n_base) < np.where(inv_day > end - 365, 0.9, 0.3))
    delay = delay + (disputed & ~dispute_open) * rng.uniform(30.0, 120.0, n_base)
    pay_day = _on_to_monday(np.maximum(due + np.round(delay).astype(np.int64), inv_day))

    target = amount - np.minimum(deduction, amount)
    never = (inv_day <= end - 200) & (rng.random(n_base) < _SEG_UNPAID[seg[c]])
    doubtful_inv = doubtful_c[c] & (inv_day >= default_day[c] - 120)
    paid = (target > 0) & ~never & ~dispute_open & ~doubtful_inv

    inst = paid & (target >= 20_000) & (rng.random(n_base) < 0.05)
    k3 = inst & (rng.random(n_base) < 0.4)
    a1 = np.where(inst, np.floor(target * rng.uniform(0.3, 0.6, n_base)), target).astype(np.int64)
    a2 = np.where(k3, np.floor(target * rng.uniform(0.15, 0.3, n_base)), target - a1)
    a2 = np.where(inst, a2, 0).astype(np.int64)
    a3 = np.where(k3, target - a1 - a2, 0)
    d2 = pay_day + rng.integers(20, 46, n_base)
    d3 = d2 + rng.integers(20, 46, n_base)

    partial_doubt = doubtful_inv & (rng.random(n_base) < 0.25)
    pd_amount = np.floor(amount * rng.uniform(0.2, 0.5, n_base)).astype(np.int64)
    pd_day = _on_to_monday(inv_day + rng.integers(10, 31, n_base))

    idx = np.arange(n_base)
    p_inv = np.concatenate([idx[paid], idx[inst], idx[k3], idx[partial_doubt]])
    p_day = np.concatenate([pay_day[paid], d2[inst], d3[k3], pd_day[partial_doubt]])
    p_amt = np.concatenate([a1[paid], a2[inst], a3[k3], pd_amount[partial_doubt]])
    keep = (p_day <= end) & (p_amt > 0)
    p_inv, p_day, p_amt = p_inv[keep], p_day[keep], p_amt[keep]
    p_single = np.isin(p_inv, idx[paid & ~inst])
    n_pay = len(p_inv)

    on_account = np.zeros(n_pay, dtype=bool)
    singles = np.flatnonzero(p_single)
    n_oa = min(round(0.03 * n_pay), len(singles))
    oa_rows = np.sort(rng.choice(singles, n_oa, replace=False))
    on_account[oa_rows] = True
    overpay = np.zeros(n_pay, dtype=bool)
    n_over = min(max(1, round(b.n_invoices / 20_000)), n_oa)
    over_rows = oa_rows[:n_over]
    overpay[over_rows] = True
    p_amt[over_rows] += rng.integers(100, 2_000, n_over)

    # Doubtful flags and write-offs ---------------------------------------------------------------
    dbt_day = np.minimum(np.maximum(default_day[c] + rng.integers(5, 46, n_base), inv_day), end)
    paid_cents = np.bincount(p_inv[~on_account], weights=p_amt[~on_account], minlength=n_base)
    paid_cents = np.round(paid_cents).astype(np.int64)
    wo_cand = doubtful_inv & collective[c] & (default_day[c] <= end - 120)
    wo_sel = wo_cand & (rng.random(n_base) < 0.6)
    wo_open = amount - paid_cents
    wo_full = rng.random(n_base) < 0.7
    wo_amt = np.where(wo_full, wo_open, np.floor(wo_open * rng.uniform(0.3, 0.9, n_base))).astype(
        np.int64
    )
    wo_day = np.minimum(default_day[c] + rng.integers(90, 541, n_base), end)
    wo_day = np.maximum(_back_to_friday(wo_day), dbt_day)
    wo_sel &= wo_amt > 0
    wo_idx = np.flatnonzero(wo_sel)

    # Assemble invoices (base + credit notes), sorted by date -------------------------------
    all_cust = np.concatenate([cust, cust[orig]])
    all_day = np.concatenate([inv_day, cn_day])
    all_amt = np.concatenate([amount, cn_amount])
    all_vat = np.concatenate([vat, vat[orig]])
    all_due = np.concatenate([due, due[orig]])
    all_disp = np.concatenate([disputed, np.zeros(n_cn, dtype=bool)])
    all_dbt = np.concatenate([doubtful_inv, np.zeros(n_cn, dtype=bool)])
    all_dbt_day = np.where(all_dbt, np.concatenate([dbt_day, cn_day]), -1)
    n_all = n_base + n_cn
    missing_due = rng.random(n_all) < 0.01
    all_due = np.where(missing_due, -1, all_due)
    order_inv = np.lexsort((np.arange(n_all), all_day))
    rank = np.empty(n_all, dtype=np.int64)
    rank[order_inv] = np.arange(n_all)

    invoices = {
        "customer": all_cust[order_inv],
        "invoice_date": all_day[order_inv],
        "due_date": all_due[order_inv],
        "amount": all_amt[order_inv],
        "amount_excl_tax": _excl_tax(all_amt, all_vat)[order_inv],
        "disputed": all_disp[order_inv],
        "doubtful": all_dbt[order_inv],
        "doubtful_date": all_dbt_day[order_inv],
    }
    p_order = np.lexsort((rank[p_inv], p_day))
    payments = {
        "invoice": rank[p_inv][p_order],
        "payment_date": p_day[p_order],
        "amount": p_amt[p_order],
        "on_account": on_account[p_order],
        "overpayment": overpay[p_order],
    }
    w_order = np.lexsort((rank[wo_idx], wo_day[wo_idx]))
    wo_rows = wo_idx[w_order]
    write_offs = {
        "invoice": rank[wo_rows],
        "write_off_date": wo_day[wo_rows],
        "amount": wo_amt[wo_rows],
        "amount_excl_tax": _excl_tax(wo_amt[wo_rows], vat[wo_rows]),
    }

    # Credit and insured limits from the balance at the end date ---------------------------------
    pay_cust = all_cust[p_inv[p_order]]
    balance = (
        np.bincount(all_cust, weights=all_amt, minlength=nc)
        - np.bincount(pay_cust, weights=payments["amount"], minlength=nc)
        - np.bincount(cust[wo_rows], weights=write_offs["amount"], minlength=nc)
    )
    balance = np.round(balance).astype(np.int64)
    months = np.maximum((last - first + 1) / 30.4, 1.0)
    monthly = np.bincount(cust, weights=amount, minlength=nc) / months
    has_limit = business & (rng.random(nc) < 0.85)
    exceed = np.zeros(nc, dtype=bool)
    can_exceed = np.flatnonzero(has_limit & (balance > 10_000))
    n_exceed = min(len(can_exceed), round(0.075 * has_limit.sum()))
    exceed[rng.choice(can_exceed, n_exceed, replace=False)] = True
    generous = np.maximum(balance * rng.uniform(1.3, 3.0, nc), monthly * rng.uniform(1.5, 3.0, nc))
    limit = np.where(
        exceed,
        np.floor(balance * rng.uniform(0.6, 0.95, nc) / 10_000) * 10_000,
        np.ceil(np.maximum(generous, 100_000) / 100_000) * 100_000,
    ).astype(np.int64)
    limit = np.where(has_limit, limit, -1)
    insured_frac = rng.choice(np.array([0.5, 0.7, 0.8, 1.0]), nc)
    has_insured = has_limit & (rng.random(nc) < 0.55)
    insured = np.where(has_insured, np.floor(limit * insured_frac / 50_000) * 50_000, -1)
    insured = insured.astype(np.int64)
    penalty = np.where(
        business & (rng.random(nc) < 0.03),
        rng.choice(np.array([1_000, 1_050, 1_200, 1_500]), nc),
        -1,
    )

    customers = {
        "segment": seg,
        "country": country,
        "entity": entity,
        "currency": currency,
        "rep": rep,
        "names": names,
        "business": business,
        "collective": collective,
        "credit_limit": limit,
        "insured_limit": insured,
        "penalty_rate": penalty,
    }
    return {
        "customers": customers,
        "invoices": invoices,
        "payments": payments,
        "write_offs": write_offs,
    }


# --------------------------------------------------------------------------- arrow assembly


def _money(cents: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Exact DECIMAL(18,2) array from whole cents (no binary float on the way)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.column_stack([cents, np.where(cents < 0, -1, 0)]).astype(np.int64).ravel()
    arr = pa.Array.from_buffers(MONEY_TYPE, len(cents), [None, pa.py_buffer(words)])
    if missing is not None and missing.any():
        arr = pc.if_else(pa.array(missing), pa.nulls(len(cents), MONEY_TYPE), arr)
    return arr


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    mask = None if missing is None or not missing.any() else missing
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=mask)


def _codes(prefix: str | pa.Array, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _yearly_numbers(days: np.ndarray, counters: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Year and per-year sequence number of date-sorted documents, continuing ``counters``."""
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    seq = np.empty(len(days), dtype=np.int64)
    for year in np.unique(years):
        sel = np.flatnonzero(years == year)
        base = counters.get(int(year), 0)
        seq[sel] = base + 1 + np.arange(len(sel))
        counters[int(year)] = base + len(sel)
    return years, seq


def _year_prefix(letters: str, years: np.ndarray) -> pa.Array:
    ys = pc.cast(pa.array(years, pa.int64()), pa.string())
    return pc.binary_join_element_wise(letters, ys, "-", "")


def _to_arrow(
    raw: dict[str, dict[str, np.ndarray]],
    b: _Block,
    inv_counters: dict[int, int],
    pay_counters: dict[int, int],
) -> Ledger:
    cu, iv, py, wo = raw["customers"], raw["invoices"], raw["payments"], raw["write_offs"]
    nc = b.n_customers
    cust_ids = _codes("C", b.customer_offset + 1 + np.arange(nc), b.id_width)
    names = pa.array(cu["names"], pa.string())
    currencies = pa.array(np.array(["EUR", "USD", "GBP"])[cu["currency"]])
    countries = pa.array(np.array(COUNTRIES)[cu["country"]])
    entities = pa.array(np.array(ENTITIES)[cu["entity"]])
    reps = pa.array(_SALES_REPS[cu["rep"]])

    penalty = cu["penalty_rate"]
    pen_words = np.column_stack([penalty * 100, np.zeros(nc, dtype=np.int64)]).ravel()
    pen = pa.Array.from_buffers(RATE_TYPE, nc, [None, pa.py_buffer(pen_words.astype(np.int64))])
    pen = pc.if_else(pa.array(penalty < 0), pa.nulls(nc, RATE_TYPE), pen)
    customers = pa.table(
        {
            "customer_id": cust_ids,
            "customer_name": names,
            "segment": pa.array(np.array(SEGMENTS)[cu["segment"]]),
            "credit_limit": _money(cu["credit_limit"], cu["credit_limit"] < 0),
            "insured_limit": _money(cu["insured_limit"], cu["insured_limit"] < 0),
            "country": countries,
            "is_business": pa.array(cu["business"]),
            "collective_procedure": pa.array(cu["collective"]),
            "penalty_rate": pen,
        }
    )

    c = pa.array(iv["customer"])
    years, seq = _yearly_numbers(iv["invoice_date"], inv_counters)
    invoice_ids = _codes(_year_prefix("FA", years), seq, b.doc_width)
    invoices = pa.table(
        {
            "invoice_id": invoice_ids,
            "customer_id": cust_ids.take(c),
            "customer_name": names.take(c),
            "invoice_date": _dates(iv["invoice_date"]),
            "due_date": _dates(iv["due_date"], iv["due_date"] < 0),
            "amount": _money(iv["amount"]),
            "amount_excl_tax": _money(iv["amount_excl_tax"]),
            "currency": currencies.take(c),
            "disputed": pa.array(iv["disputed"]),
            "doubtful": pa.array(iv["doubtful"]),
            "doubtful_date": _dates(iv["doubtful_date"], iv["doubtful_date"] < 0),
            "entity": entities.take(c),
            "country": countries.take(c),
            "sales_rep": reps.take(c),
        }
    )

    pi = pa.array(py["invoice"])
    settles = invoice_ids.take(pi)
    pyears, pseq = _yearly_numbers(py["payment_date"], pay_counters)
    pay_cust = pa.array(iv["customer"][py["invoice"]])
    payments = pa.table(
        {
            "payment_id": _codes(_year_prefix("RG", pyears), pseq, b.doc_width),
            "payment_date": _dates(py["payment_date"]),
            "customer_id": cust_ids.take(pay_cust),
            "invoice_id": pc.if_else(
                pa.array(py["on_account"]), pa.nulls(len(pi), pa.string()), settles
            ),
            "amount": _money(py["amount"]),
            "currency": currencies.take(pay_cust),
            "_settles": settles,
            "_overpayment": pa.array(py["overpayment"]),
        }
    )
    write_offs = pa.table(
        {
            "invoice_id": invoice_ids.take(pa.array(wo["invoice"])),
            "write_off_date": _dates(wo["write_off_date"]),
            "amount": _money(wo["amount"]),
            "amount_excl_tax": _money(wo["amount_excl_tax"]),
        }
    )
    return Ledger(invoices, payments, customers, write_offs)


def _canonical(table: pa.Table, name: str) -> pa.Table:
    """The table restricted to schema columns, in the order of the French export."""
    cols = list(FR_HEADERS[name])
    unknown = set(cols) - set(TABLES[name].names)
    if unknown:
        raise ValueError(f"{name}: not canonical columns: {sorted(unknown)}")
    return table.select(cols)


# --------------------------------------------------------------------------- public API


def generate_ledger(
    n_invoices: int = SAMPLE_INVOICES,
    *,
    n_customers: int | None = None,
    seed: int = SAMPLE_SEED,
    start: date = SAMPLE_START,
    end: date = SAMPLE_END,
) -> Ledger:
    """Generate one ledger block in memory (the sample, or a small ledger for tests).

    ``n_customers`` defaults to ``n_invoices / 60``. The defaults give the bundled sample:
    600 customers, 40,000 documents from 2023-11-01 to 2026-10-31.
    """
    if n_customers is None:
        n_customers = max(1, round(n_invoices / BENCH_INVOICES_PER_CUSTOMER))
    block = _Block(
        n_customers=n_customers,
        n_invoices=n_invoices,
        start=_epoch_days(start),
        end=_epoch_days(end),
        customer_offset=0,
        id_width=max(5, len(str(n_customers))),
        doc_width=max(6, len(str(2 * n_invoices))),
        showcase=True,
    )
    rng = np.random.default_rng(seed)
    return _to_arrow(_generate_block(rng, block), block, {}, {})


def generate_sample(seed: int = SAMPLE_SEED) -> Ledger:
    """The bundled sample ledger: 600 customers, 40,000 documents up to 2026-10-31."""
    return generate_ledger(SAMPLE_INVOICES, n_customers=SAMPLE_CUSTOMERS, seed=seed)


def _fr_number(cents: np.ndarray) -> pa.Array:
    """French rendering of whole cents: "-12 345,60" with a no-break space between groups."""
    mag = np.abs(cents)
    units = pc.cast(pa.array(mag // 100), pa.string())
    grouped = pc.replace_substring_regex(pc.utf8_reverse(units), r"(\d{3})", "\\1" + NBSP)
    grouped = pc.utf8_reverse(pc.utf8_rtrim(grouped, characters=NBSP))
    frac = pc.utf8_lpad(pc.cast(pa.array(mag % 100), pa.string()), 2, "0")
    sign = pa.array(np.where(cents < 0, "-", ""))
    return pc.binary_join_element_wise(sign, grouped, ",", frac, "")


def _fr_column(col: pa.ChunkedArray) -> pa.Array:
    """French text of a column: money "12 345,60", dates dd/mm/yyyy, Oui/Non, empty = null."""
    col = col.combine_chunks()
    t = col.type
    if pa.types.is_decimal(t):
        words = np.frombuffer(col.buffers()[1], dtype=np.int64)
        unscaled = words[2 * col.offset : 2 * (col.offset + len(col)) : 2]
        out = _fr_number(unscaled // 10 ** (t.scale - 2))
    elif pa.types.is_date(t):
        out = pc.strftime(col, format="%d/%m/%Y")
    elif pa.types.is_boolean(t):
        out = pc.if_else(col, "Oui", "Non")
    else:
        return pc.fill_null(col, "")
    return pc.if_else(pc.is_valid(col), out, "")


def _write_fr_csv(table: pa.Table, name: str, path: Path) -> None:
    headers = FR_HEADERS[name]
    cols = {headers[c]: _fr_column(table[c]) for c in headers}
    out = pa.table(cols)
    opts = pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none")
    with open(path, "wb") as fh:
        fh.write(("\ufeff" + ";".join(cols) + "\n").encode())
        pacsv.write_csv(out, fh, opts)


def write_sample(directory: Path | str = SAMPLE_DIR, seed: int = SAMPLE_SEED) -> dict[str, Path]:
    """Write the bundled sample as a French Excel-style CSV export; returns table -> path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ledger = generate_sample(seed)
    paths: dict[str, Path] = {}
    for name, table in ledger.tables().items():
        path = directory / f"{name}.csv"
        _write_fr_csv(table, name, path)
        paths[name] = path
    return paths


def _block_sizes(n: int, block: int) -> list[int]:
    n_blocks = max(1, -(-n // block))
    size, extra = divmod(n, n_blocks)
    return [size + (1 if i < extra else 0) for i in range(n_blocks)]


def write_bench_ledger(
    directory: Path | str,
    n_invoices: int,
    *,
    seed: int = 7,
    fmt: Literal["csv", "parquet"] = "csv",
    block_invoices: int = BENCH_BLOCK_INVOICES,
) -> dict[str, Path]:
    """Write a scaled ledger of ``n_invoices`` documents (about n/60 customers, n payments).

    Blocks of at most ``block_invoices`` documents are drawn with independent seeds
    spawned from ``seed`` and appended to one file per table, so memory stays bounded. CSV is
    plain: ``,`` separator, ISO dates, decimal point, canonical headers; Parquet is typed
    (DECIMAL(18,2) money, DATE dates, BOOLEAN flags). Returns table name -> path.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if n_invoices < 100 or block_invoices < 100:
        raise ValueError("n_invoices and block_invoices must be at least 100")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sizes = _block_sizes(n_invoices, block_invoices)
    cust_sizes = [max(1, round(s / BENCH_INVOICES_PER_CUSTOMER)) for s in sizes]
    id_width = max(5, len(str(sum(cust_sizes))))
    doc_width = max(6, len(str(2 * n_invoices)))
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    inv_counters: dict[int, int] = {}
    pay_counters: dict[int, int] = {}
    paths = {name: directory / f"{name}.{fmt}" for name in FR_HEADERS}
    writers: dict[str, pacsv.CSVWriter | pq.ParquetWriter] = {}
    offset = 0
    try:
        for size, nc, ss in zip(sizes, cust_sizes, seeds, strict=True):
            block = _Block(
                n_customers=nc,
                n_invoices=size,
                start=_epoch_days(SAMPLE_START),
                end=_epoch_days(SAMPLE_END),
                customer_offset=offset,
                id_width=id_width,
                doc_width=doc_width,
                showcase=offset == 0,
            )
            offset += nc
            raw = _generate_block(np.random.default_rng(ss), block)
            ledger = _to_arrow(raw, block, inv_counters, pay_counters)
            for name, table in ledger.tables().items():
                table = _canonical(table, name)
                if name not in writers:
                    if fmt == "csv":
                        writers[name] = pacsv.CSVWriter(paths[name], table.schema)
                    else:
                        writers[name] = pq.ParquetWriter(paths[name], table.schema)
                writers[name].write_table(table)
    finally:
        for w in writers.values():
            w.close()
    return paths


def _at_least_100(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 100")
    return value


def main(argv: list[str] | None = None) -> int:
    """Write the files into a private folder inside the target, then move them into place: a
    failure while writing leaves no partial file, and says which folder and why, in one
    line."""
    parser = argparse.ArgumentParser(
        prog="python -m analytics.sample",
        description="Write the bundled sample ledger, or a scaled benchmark ledger.",
    )
    parser.add_argument("directory", nargs="?", default=str(SAMPLE_DIR))
    parser.add_argument(
        "--bench", type=_at_least_100, metavar="N", help="write a scaled ledger of N rows"
    )
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    target = Path(args.directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".sample-", dir=target) as tmp:
            if args.bench is not None:
                seed = 7 if args.seed is None else args.seed
                written = write_bench_ledger(tmp, args.bench, seed=seed, fmt=args.format)
            else:
                written = write_sample(tmp, SAMPLE_SEED if args.seed is None else args.seed)
            for path in written.values():
                if (target / path.name).is_dir():
                    raise IsADirectoryError(errno.EISDIR, "a folder has its name", path.name)
            paths = {}
            for name, path in written.items():
                paths[name] = target / path.name
                os.replace(path, paths[name])
    except OSError as exc:
        parser.exit(2, f"{parser.prog}: cannot write {target}: {_why(exc)}\n")
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def _why(exc: OSError) -> str:
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "a file is in the way"
    if exc.filename and exc.strerror:
        return f"{exc.strerror} ({Path(str(exc.filename)).name})"
    return exc.strerror or str(exc)


if __name__ == "__main__":
    sys.exit(main())
