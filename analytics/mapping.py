"""Source headers -> canonical table and columns.

A finance user uploads whatever their ERP exports (SAP FBL5N, Sage, Cegid, Odoo, QuickBooks,
Xero, home-made spreadsheets, in French or English). This module decides which canonical table
of :mod:`analytics.schema` a file holds and which source header feeds each canonical column,
with a confidence between 0 and 1. The user can override any choice, and a confirmed mapping
is saved per header signature so that the next upload of the same export maps the same way.

Matching works on normalised headers (:func:`normalise_header`) reduced to a set of tokens:
stop words dropped unless last ("de", "of"...; "Montant dû" keeps its "du"), common
abbreviations expanded ("num" -> "no", "amt" -> "amount"), currency units dropped ("EUR"),
each dropped unit costing 5 % of the confidence. A header whose tokens equal a synonym's is
an exact match (confidence = the synonym's weight, 1.0 for unambiguous synonyms); otherwise a
fuzzy match compares token sets (tokens equal or with a difflib ratio >= 0.8) with the Dice
coefficient, and a single-word header is also compared as a whole with difflib; fuzzy
confidences are at most 0.85 and below 0.8 similarity the header stays unmapped.

Some headers are recognised but deliberately not mapped: open balances ("Solde", "Open
Balance", "Amount Due"), split debit/credit amounts ("Débit", "Crédit"), and columns with no
canonical counterpart ("Arrears after net due date", "Payment State"...). They take part in
guessing the table and in :meth:`Mapping.problems`, and they are never fuzzy-matched to
another column.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from analytics.schema import DEFAULT_TERMS_DAYS, EXPECTED, REQUIRED, TABLES, table_for

#: Table holding confirmed mappings (created by :func:`save` when missing).
SAVED_MAPPINGS = "saved_mappings"

#: Methods a :class:`ColumnMatch` can carry.
SAVED, SYNONYM, FUZZY, USER = "saved", "synonym", "fuzzy", "user"

#: Fuzzy matching: minimum similarity (0..1) for a fuzzy match, and the confidence of a perfect
#: fuzzy similarity (an exact synonym scores its weight, up to 1.0).
FUZZY_THRESHOLD = 0.8
FUZZY_CEILING = 0.85
#: Confidence given to a contextual fallback (open balance or lone debit/credit as the amount).
FALLBACK_CONFIDENCE = 0.6
#: Factor applied when a currency unit had to be dropped from the header ("Montant EUR").
UNIT_FACTOR = 0.95
#: Headers longer than this (normalised) are only matched exactly.
MAX_FUZZY_LENGTH = 80

# Pseudo-targets: recognised headers that are not mapped to a canonical column.
_OPEN_BALANCE, _DEBIT, _CREDIT, _IGNORE = "~open_balance", "~debit", "~credit", "~ignore"
_PSEUDO = (_OPEN_BALANCE, _DEBIT, _CREDIT, _IGNORE)
#: Weight of an ignored-but-known header in the table score (it says little about the table).
_IGNORE_COVERAGE = 0.5
#: Table score: penalty per header unknown to the table but a synonym (weight >= 0.9) of another.
_ALIEN_PENALTY = 0.5
_ALIEN_MIN_CONFIDENCE = 0.9

_STOPWORDS = frozenset(
    "a au aux and at d de des du en et for in l la le les of on par pour the un une".split()
)
_UNITS = frozenset("eur euro euros usd gbp chf".split())
_ALIASES = {
    "num": "no",
    "number": "no",
    "numero": "no",
    "nbr": "no",
    "nr": "no",
    "amt": "amount",
    "mnt": "montant",
    "mt": "montant",
    "mtt": "montant",
    "cust": "customer",
    "inv": "invoice",
    "fact": "facture",
    "ref": "reference",
    "dt": "date",
    "doc": "document",
    "curr": "currency",
    "cur": "currency",
    "ccy": "currency",
    "cli": "client",
    "ech": "echeance",
    "regl": "reglement",
}

Syn = str | tuple[str, float]

# --- synonyms shared by several tables (French first, English second: the first two are the
# examples quoted in problem sentences) ----------------------------------------------------------

_INVOICE_ID: tuple[Syn, ...] = (
    "N° facture",
    "Invoice No",
    "Invoice ID",
    "Numéro de facture",
    "Facture",
    "Invoice",
    "Document Number",
    "Document No",
    "Référence facture",
    "Invoice reference",
    "Rechnungsnummer",
    "Rechnungsnr",
    ("Belegnummer", 0.95),
    ("N° pièce", 0.95),
    ("Pièce", 0.9),
    ("Num", 0.95),
    ("No", 0.95),
    ("Référence", 0.8),
    ("Reference", 0.8),
)
_PAYMENT_INVOICE_ID: tuple[Syn, ...] = (
    "N° facture",
    "Invoice No",
    "Invoice ID",
    "Facture",
    "Invoice",
    "Référence facture",
    "Invoice reference",
    "Facture réglée",
    "Paid invoice",
    ("N° pièce", 0.7),
    ("Référence", 0.7),
    ("Reference", 0.7),
)
_CUSTOMER_ID: tuple[Syn, ...] = (
    "Code client",
    "Customer ID",
    "Customer code",
    "Customer No",
    "N° client",
    "ID client",
    "Client ID",
    "Compte client",
    "N° compte tiers",
    "Compte tiers",
    "Code tiers",
    "Account number",
    "Debtor",
    "Débiteur",
    "Sold-to party",
    ("Tiers", 0.95),
    ("Account", 0.95),
    ("Customer", 0.9),
    ("Client", 0.9),
    ("Partner", 0.9),
    ("Payer", 0.9),
    ("Payeur", 0.9),
    ("Compte", 0.8),
    "Kundennummer",
    ("Debitor", 0.9),
)
_CUSTOMER_NAME: tuple[Syn, ...] = (
    "Raison sociale",
    "Customer Name",
    "Nom client",
    "Nom du client",
    "Client name",
    "Intitulé client",
    "Intitulé du compte",
    "Account name",
    "Company name",
    "Contact name",
    "Partner name",
    "Name 1",
    ("Intitulé", 0.95),
    ("Nom", 0.9),
    ("Name", 0.9),
    ("Customer", 0.85),
    ("Client", 0.85),
    ("Partner", 0.8),
    ("Contact", 0.8),
    "Kunde",
    "Kundenname",
)
_CURRENCY: tuple[Syn, ...] = (
    "Devise",
    "Currency",
    "Local Currency",
    "Currency code",
    "Code devise",
    "Monnaie",
    ("Document currency", 0.95),
)
_SEGMENT: tuple[Syn, ...] = (
    "Segment",
    "Typologie",
    "Customer segment",
    "Segment client",
    "Catégorie client",
    "Customer category",
    "Type client",
    "Customer type",
    "Groupe client",
    "Customer group",
    ("Catégorie", 0.9),
    ("Category", 0.9),
)
_COUNTRY: tuple[Syn, ...] = ("Pays", "Country", "Code pays", "Country code", "Country/Region")
_AMOUNT_EXCL_TAX: tuple[Syn, ...] = (
    "Montant HT",
    "Amount excl. tax",
    "Untaxed Amount",
    "Total HT",
    "Hors taxe",
    "Amount excl. VAT",
    "Net amount",
    "Montant hors taxe",
    ("Subtotal", 0.9),
)

_SYNONYMS: dict[str, dict[str, tuple[Syn, ...]]] = {
    "invoices": {
        "invoice_id": _INVOICE_ID,
        "customer_id": _CUSTOMER_ID + (("Contact", 0.9),),
        "invoice_date": (
            "Date facture",
            "Invoice Date",
            "Date de la facture",
            "Invoice/Bill Date",
            "Document Date",
            "Date pièce",
            "Date document",
            "Date d'émission",
            "Issue date",
            "Billing date",
            "Bill date",
            "Rechnungsdatum",
            "Belegdatum",
            ("Date comptable", 0.9),
            ("Posting Date", 0.9),
            ("Date d'écriture", 0.9),
            ("Entry date", 0.9),
            ("Date", 0.8),
        ),
        "amount": (
            "Montant TTC",
            "Amount",
            "Montant",
            "Total",
            "Total TTC",
            "Montant facture",
            "Invoice amount",
            "Amount in local currency",
            "Total amount",
            "Gross amount",
            "Montant brut",
            "Amount incl. tax",
            "Amount incl. VAT",
            "Total incl. tax",
            "Total Signed",
            ("Amount in doc. curr.", 0.95),
            ("Montant TTC devise", 0.9),
            "Betrag",
            "Rechnungsbetrag",
            "Bruttobetrag",
        ),
        "due_date": (
            "Date d'échéance",
            "Due Date",
            "Échéance",
            "Net due date",
            "Payment due date",
            "Date limite de paiement",
            "Échéance nette",
            "Due on",
            "Fälligkeitsdatum",
            "Fällig am",
            "Nettofälligkeit",
        ),
        "customer_name": _CUSTOMER_NAME + (("Libellé", 0.6),),
        "settled_date": (
            "Date de règlement",
            "Settlement date",
            "Settled date",
            "Paid date",
            "Payment date",
            "Date de paiement",
            "Clearing date",
            "Date de lettrage",
            "Date de solde",
            "Fully paid date",
            ("Date d'encaissement", 0.9),
        ),
        "amount_excl_tax": _AMOUNT_EXCL_TAX,
        "currency": _CURRENCY,
        "disputed": (
            "Litige",
            "Disputed",
            "En litige",
            "Dispute",
            "In dispute",
            "Contesté",
            "Contestée",
            "Litigieux",
        ),
        "doubtful": ("Douteux", "Doubtful", "Créance douteuse", "Doubtful debt", "Douteuse"),
        "doubtful_date": (
            "Date de classement douteux",
            "Doubtful date",
            "Date douteux",
            "Date de passage en douteux",
            "Doubtful since",
            "Date classement douteux",
        ),
        "segment": _SEGMENT,
        "entity": (
            "Société",
            "Entity",
            "Company code",
            "Company",
            "Entité",
            "Code société",
            "Legal entity",
            ("Établissement", 0.8),
            ("Business unit", 0.8),
        ),
        "country": _COUNTRY,
        "sales_rep": (
            "Commercial",
            "Sales rep",
            "Salesperson",
            "Sales person",
            "Sales representative",
            "Vendeur",
            "Représentant",
            "Chargé d'affaires",
            "Account manager",
        ),
    },
    "payments": {
        "payment_date": (
            "Date de règlement",
            "Payment date",
            "Date de paiement",
            "Date d'encaissement",
            "Date encaissement",
            "Receipt date",
            "Paid date",
            ("Settlement date", 0.9),
            ("Date valeur", 0.8),
            ("Value date", 0.8),
            ("Date", 0.8),
            ("Posting Date", 0.7),
            ("Date comptable", 0.7),
        ),
        "amount": (
            "Montant",
            "Amount",
            "Montant réglé",
            "Montant payé",
            "Montant encaissé",
            "Amount paid",
            "Paid amount",
            "Payment amount",
            "Amount received",
            ("Montant TTC", 0.9),
            ("Total", 0.8),
            ("Paid", 0.7),
        ),
        "invoice_id": _PAYMENT_INVOICE_ID,
        "customer_id": _CUSTOMER_ID + (("Contact", 0.9),),
        "payment_id": (
            "N° règlement",
            "Payment ID",
            "Payment No",
            "N° paiement",
            "N° encaissement",
            "Référence règlement",
            "Payment reference",
            "Receipt No",
        ),
        "currency": _CURRENCY,
    },
    "customers": {
        "customer_id": _CUSTOMER_ID,
        "customer_name": _CUSTOMER_NAME + (("Libellé", 0.9),),
        "segment": _SEGMENT,
        "credit_limit": (
            "Limite de crédit",
            "Credit limit",
            "Encours autorisé",
            "Plafond de crédit",
            "Encours maximum",
            "Credit line",
            ("Plafond", 0.9),
        ),
        "insured_limit": (
            "Limite assurée",
            "Insured limit",
            "Garantie assureur",
            "Limite assureur",
            "Montant garanti",
            "Encours garanti",
            "Agrément assureur",
            "Credit insurance limit",
            ("Garantie", 0.8),
        ),
        "country": _COUNTRY,
        "is_business": (
            "Professionnel",
            "B2B",
            "Client professionnel",
            "Business customer",
            "Is business",
            ("Business", 0.8),
        ),
        "collective_procedure": (
            "Procédure collective",
            "Collective procedure",
            "En procédure collective",
            "Insolvency proceedings",
            ("Insolvency", 0.9),
        ),
        "penalty_rate": (
            "Taux de pénalité",
            "Penalty rate",
            "Taux de pénalités de retard",
            "Late payment rate",
            "Late interest rate",
            "Taux d'intérêt de retard",
        ),
    },
    "write_offs": {
        "invoice_id": _INVOICE_ID,
        "write_off_date": (
            "Date de passage en perte",
            "Write-off date",
            "Date de perte",
            "Written off date",
            "Date d'abandon",
            "Loss date",
            "Date perte",
            ("Date", 0.7),
        ),
        "amount": (
            "Montant TTC",
            "Amount",
            "Montant",
            "Montant perte",
            "Montant passé en perte",
            "Write-off amount",
            "Loss amount",
            "Amount written off",
        ),
        "amount_excl_tax": _AMOUNT_EXCL_TAX + ("Montant perte HT",),
    },
}

_DEBIT_SYNONYMS: tuple[Syn, ...] = ("Débit", "Montant débit", "Debit amount", "Mouvement débit")
_CREDIT_SYNONYMS: tuple[Syn, ...] = (
    "Crédit",
    "Montant crédit",
    "Credit amount",
    "Mouvement crédit",
)

_RECOGNISED: dict[str, dict[str, tuple[Syn, ...]]] = {
    "invoices": {
        _OPEN_BALANCE: (
            "Solde",
            "Open Balance",
            "Amount Due",
            "Solde dû",
            "Solde restant",
            "Solde restant dû",
            "Reste à payer",
            "Restant dû",
            "Montant restant",
            "Montant restant dû",
            "Montant dû",
            "Montant ouvert",
            "Balance",
            "Balance due",
            "Open amount",
            "Outstanding",
            "Outstanding amount",
            "Amount residual",
            "Residual",
            "Due",
            "Encours",
        ),
        _DEBIT: _DEBIT_SYNONYMS,
        _CREDIT: _CREDIT_SYNONYMS,
        _IGNORE: (
            "Arrears after net due date",
            "Arrears",
            "Days overdue",
            "Days past due",
            "Jours de retard",
            "Nombre de jours de retard",
            "Retard",
            "Clearing Document",
            "N° lettrage",
            "Lettrage",
            "Payment State",
            "Status",
            "Statut",
            "État",
            "Paid",
            "Amount paid",
            "Montant réglé",
            "Montant payé",
            "Document type",
            "Type de pièce",
            "Journal",
            "Code journal",
            "Text",
            "Texte",
            "Tax",
            "Tax amount",
            "TVA",
            "Montant TVA",
            "VAT",
            "Date de règlement prévue",
            "Expected payment date",
            "Date prévue",
            "Baseline date",
        ),
    },
    "payments": {
        _DEBIT: _DEBIT_SYNONYMS,
        _CREDIT: _CREDIT_SYNONYMS,
        _IGNORE: (
            "Mode de règlement",
            "Mode de paiement",
            "Moyen de paiement",
            "Payment method",
            "Banque",
            "Bank",
            "Bank account",
            "Journal",
            "Code journal",
            "Libellé",
            "Text",
            "Texte",
            "Memo",
            "Status",
            "Statut",
            "Lettrage",
        ),
    },
    "customers": {
        _IGNORE: (
            "Adresse",
            "Address",
            "Ville",
            "City",
            "Code postal",
            "Postal code",
            "SIREN",
            "SIRET",
            "N° TVA",
            "VAT number",
            "Téléphone",
            "Phone",
            "Email",
            "Délai de paiement",
            "Conditions de paiement",
            "Payment terms",
            "Notation",
            "Rating",
            "Score",
        ),
    },
    "write_offs": {
        _IGNORE: (
            "Motif",
            "Reason",
            "Commentaire",
            "Comment",
            "Code client",
            "Customer ID",
            "Raison sociale",
            "Customer name",
            "Client",
        ),
    },
}

#: Words used in problem sentences.
_LABELS = {
    "invoice_id": "invoice number",
    "customer_id": "customer account",
    "customer_name": "customer name",
    "invoice_date": "invoice date",
    "due_date": "due date",
    "amount": "amount",
    "amount_excl_tax": "amount excluding tax",
    "settled_date": "settlement date",
    "payment_date": "payment date",
    "payment_id": "payment reference",
    "write_off_date": "write-off date",
    "doubtful_date": "date classified doubtful",
    "credit_limit": "credit limit",
    "insured_limit": "insured limit",
    "is_business": "business-customer flag",
    "collective_procedure": "collective procedure flag",
    "penalty_rate": "penalty rate",
    "sales_rep": "sales representative",
}


#: The currency a unit in a header names ("Betrag CHF", "Montant (€)"); "$" names several.
_UNIT_CURRENCY = {"eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "gbp": "GBP"}
_UNIT_CURRENCY |= {"chf": "CHF", "€": "EUR", "£": "GBP"}


def currency_in_header(header: str) -> str | None:
    """The ISO code of the one currency a header names as its unit ("Betrag CHF" -> CHF,
    "Montant (€)" -> EUR); None when it names none, or several."""
    words = set(normalise_header(header).split()) | {c for c in str(header) if c in "€£"}
    found = {_UNIT_CURRENCY[w] for w in words if w in _UNIT_CURRENCY}
    return found.pop() if len(found) == 1 else None


def normalise_header(h: str) -> str:
    """Header text reduced for comparison.

    camelCase split, case-folded, accents stripped (é -> e), "N°", "Nº", "No." and "#" written
    "no", punctuation and underscores turned into single spaces, trimmed:
    ``"Date d'échéance" -> "date d echeance"``, ``"N° facture" -> "no facture"``.
    """
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(h))
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"(?<!\w)n\s*[°º]", " no ", text)
    text = text.replace("#", " no ")
    text = re.sub(r"[\W_]+", " ", text)
    return text.strip()


def _tokens(normalised: str) -> tuple[tuple[str, ...], bool]:
    """Sorted match tokens of a normalised header, and whether a currency unit was dropped."""
    words = [_ALIASES.get(w, w) for w in normalised.split()]
    words = [w for w in words[:-1] if w not in _STOPWORDS] + words[-1:]
    kept = [w for w in words if w not in _UNITS]
    if kept and len(kept) < len(words):
        return tuple(sorted(kept)), True
    return tuple(sorted(words)), False


def _entries(synonyms: Iterable[Syn]) -> list[tuple[str, float]]:
    return [(s, 1.0) if isinstance(s, str) else (s[0], float(s[1])) for s in synonyms]


@dataclass(frozen=True)
class _Index:
    """Synonyms of one table, ready for exact and fuzzy look-up."""

    exact: dict[tuple[str, ...], dict[str, float]]
    by_token: dict[str, list[tuple[frozenset[str], int, str, float]]]
    compact: dict[str, dict[str, float]]


def _build_index(table: str) -> _Index:
    exact: dict[tuple[str, ...], dict[str, float]] = {}
    targets = dict(_SYNONYMS[table])
    targets.update(_RECOGNISED.get(table, {}))
    for target, synonyms in targets.items():
        for text, weight in _entries(synonyms):
            toks, _ = _tokens(normalise_header(text))
            slot = exact.setdefault(toks, {})
            slot[target] = max(weight, slot.get(target, 0.0))
    by_token: dict[str, list[tuple[frozenset[str], int, str, float]]] = {}
    compact: dict[str, dict[str, float]] = {}
    for toks, slot in exact.items():
        for target, weight in slot.items():
            entry = (frozenset(toks), len(toks), target, weight)
            for tok in set(toks):
                by_token.setdefault(tok, []).append(entry)
            joined = compact.setdefault("".join(toks), {})
            joined[target] = max(weight, joined.get(target, 0.0))
    return _Index(exact, by_token, compact)


_INDEX: dict[str, _Index] = {name: _build_index(name) for name in TABLES}
_VOCABULARY: frozenset[str] = frozenset(t for ix in _INDEX.values() for t in ix.by_token)
_BY_LENGTH: dict[int, tuple[tuple[str, frozenset[str]], ...]] = {}
for _word in sorted(_VOCABULARY):
    _BY_LENGTH[len(_word)] = _BY_LENGTH.get(len(_word), ()) + ((_word, frozenset(_word)),)
_COMPACT_KEYS: dict[str, tuple[str, ...]] = {name: tuple(ix.compact) for name, ix in _INDEX.items()}


@lru_cache(maxsize=8192)
def _similar_tokens(token: str) -> frozenset[str]:
    """Vocabulary tokens equal or close (difflib ratio >= threshold) to ``token``.

    Only words of compatible length can reach the threshold (2 * min / (sum) >= threshold),
    so the others are never compared; nor are words lacking too many of the token's letters.
    """
    size = len(token)
    low = int(size * FUZZY_THRESHOLD / (2 - FUZZY_THRESHOLD))
    high = int(size * (2 - FUZZY_THRESHOLD) / FUZZY_THRESHOLD) + 1
    counts = Counter(token)
    letters = frozenset(counts)
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(token)
    close = set()
    for length in range(max(low, 1), high + 1):
        for word, word_letters in _BY_LENGTH.get(length, ()):
            shared = size - sum(counts[c] for c in letters - word_letters)
            if 2 * min(shared, length) < FUZZY_THRESHOLD * (size + length):
                continue
            matcher.set_seq1(word)
            if matcher.quick_ratio() >= FUZZY_THRESHOLD and matcher.ratio() >= FUZZY_THRESHOLD:
                close.add(word)
    return frozenset(close)


def _add(scores: dict[str, tuple[float, str]], target: str, conf: float, method: str) -> None:
    if conf > scores.get(target, (0.0, ""))[0]:
        scores[target] = (conf, method)


@lru_cache(maxsize=16384)
def _scores(table: str, normalised: str) -> tuple[tuple[str, float, str], ...]:
    """Every target (column or pseudo-target) a header may mean, best first, one per target."""
    if not normalised:
        return ()
    ix = _INDEX[table]
    toks, unit_dropped = _tokens(normalised)
    factor = UNIT_FACTOR if unit_dropped else 1.0
    scores: dict[str, tuple[float, str]] = {}
    for target, weight in ix.exact.get(toks, {}).items():
        _add(scores, target, weight * factor, SYNONYM)
    if len(normalised) <= MAX_FUZZY_LENGTH:
        header = frozenset(toks)
        near: set[str] = set()
        for tok in header:
            near |= _similar_tokens(tok)
        seen: set[tuple[frozenset[str], str]] = set()
        for tok in near:
            for syn, size, target, weight in ix.by_token.get(tok, ()):
                if (syn, target) in seen:
                    continue
                seen.add((syn, target))
                common = min(len(syn & near), len(header))
                dice = 2 * common / (len(header) + size)
                if dice >= FUZZY_THRESHOLD:
                    _add(scores, target, FUZZY_CEILING * dice * weight * factor, FUZZY)
        if len(toks) == 1 and len(toks[0]) >= 6 and toks[0] not in ix.by_token:
            for key in difflib.get_close_matches(
                toks[0], _COMPACT_KEYS[table], n=3, cutoff=FUZZY_THRESHOLD
            ):
                ratio = difflib.SequenceMatcher(None, toks[0], key).ratio()
                for target, weight in ix.compact[key].items():
                    _add(scores, target, FUZZY_CEILING * ratio * weight * factor, FUZZY)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])
    return tuple((target, round(conf, 3), method) for target, (conf, method) in ranked)


def _pseudo(table: str, normalised: str) -> str | None:
    """The pseudo-target a header is recognised as, if it beats every real column."""
    ranked = _scores(table, normalised)
    if ranked and ranked[0][0] in _PSEUDO:
        return ranked[0][0]
    return None


@dataclass(frozen=True)
class ColumnMatch:
    """One canonical column fed by one source header."""

    column: str
    source_index: int
    source_header: str
    confidence: float
    method: str


@dataclass
class Mapping:
    """Which source header feeds each canonical column of ``table``.

    ``headers`` keeps the file's header list in order, so that overrides can name a header
    by its text and ``unmapped`` can be recomputed.
    """

    table: str
    matches: dict[str, ColumnMatch]
    unmapped: list[str]
    table_confidence: float
    headers: list[str] = field(default_factory=list)

    def _all_headers(self) -> list[str]:
        if self.headers:
            return list(self.headers)
        size = len(self.matches) + len(self.unmapped)
        size = max([size] + [m.source_index + 1 for m in self.matches.values()])
        slots: list[str | None] = [None] * size
        for m in self.matches.values():
            slots[m.source_index] = m.source_header
        rest = iter(self.unmapped)
        return [s if s is not None else next(rest, "") for s in slots]

    def missing_required(self) -> list[str]:
        """Canonical columns that must be mapped and are not.

        Columns of level ``required`` in the schema, then every column of a ``one_of`` group
        none of whose columns is mapped (payments: invoice_id and customer_id).
        """
        spec = table_for(self.table)
        missing = [c for c in spec.required if c not in self.matches]
        for group in spec.one_of:
            if not any(c in self.matches for c in group):
                missing.extend(c for c in group if c not in missing)
        return missing

    def problems(self, skip: Iterable[str] = ()) -> list[str]:
        """Sentences a finance user can act on, most serious first (empty when all is well).

        ``skip`` names required columns the caller fills another way (not reported missing).
        """
        skip = frozenset(skip)
        spec = table_for(self.table)
        unmapped_kinds: dict[str, list[str]] = {}
        for h in self.unmapped:
            kind = _pseudo(self.table, normalise_header(h))
            if kind:
                unmapped_kinds.setdefault(kind, []).append(h)
        out: list[str] = []
        for col in spec.required:
            if col in self.matches or col in skip:
                continue
            debits, credits = unmapped_kinds.get(_DEBIT), unmapped_kinds.get(_CREDIT)
            if col == "amount" and debits and credits:
                out.append(
                    f"amount is split into {debits[0]} and {credits[0]} columns: one column "
                    "cannot hold both; export a single signed amount (debit minus credit) or "
                    "choose the amount column by hand"
                )
                continue
            sentence = (
                f"no column for the {_label(col)} (expected e.g. {_examples(self.table, col)})"
            )
            if col == "amount" and "amount_excl_tax" in self.matches:
                excl = self.matches["amount_excl_tax"].source_header
                sentence += f"; '{excl}' holds amounts excluding tax, the amount includes tax"
            out.append(sentence)
        for group in spec.one_of:
            if not any(c in self.matches for c in group):
                labels = " or the ".join(_label(c) for c in group)
                examples = " or ".join(_examples(self.table, c) for c in group)
                out.append(f"no column for the {labels} (expected e.g. {examples})")
        amount = self.matches.get("amount")
        if amount is not None and _pseudo(self.table, normalise_header(amount.source_header)) == (
            _OPEN_BALANCE
        ):
            out.append(
                f"'{amount.source_header}' is an open balance, not the invoice amount: a ledger "
                "of open balances only gives outstanding figures (aged balance, concentration), "
                "not DSO or payment behaviour; export the gross invoice amount if possible"
            )
        if self.table == "invoices" and "due_date" not in self.matches:
            out.append(
                f"no column for the due date (expected e.g. {_examples(self.table, 'due_date')}): "
                f"due dates will be taken as invoice date + {DEFAULT_TERMS_DAYS} days"
            )
        return out

    def with_override(self, column: str, source_header: str | None) -> Mapping:
        """A copy where the user chose ``source_header`` for ``column`` (None: no header).

        The chosen header leaves any other column it fed; the match gets method "user" and
        confidence 1. Raises ValueError for an unknown column or a header not in the file.
        """
        spec = table_for(self.table)
        if column not in spec.names:
            raise ValueError(f"{self.table} has no column {column!r}")
        headers = self._all_headers()
        matches = {c: m for c, m in self.matches.items() if c != column}
        if source_header is not None:
            positions = [i for i, h in enumerate(headers) if h == source_header]
            if not positions:
                raise ValueError(f"no header {source_header!r} in this file")
            used = {m.source_index for m in matches.values()}
            index = next((i for i in positions if i not in used), positions[0])
            matches = {c: m for c, m in matches.items() if m.source_index != index}
            matches[column] = ColumnMatch(column, index, headers[index], 1.0, USER)
        return _build(self.table, headers, matches, self.table_confidence)

    def to_json(self) -> str:
        """The mapping as JSON text (see :meth:`from_json`)."""
        payload = {
            "version": 1,
            "table": self.table,
            "table_confidence": self.table_confidence,
            "headers": self._all_headers(),
            "matches": {
                c: {
                    "source_index": m.source_index,
                    "source_header": m.source_header,
                    "confidence": m.confidence,
                    "method": m.method,
                }
                for c, m in self.matches.items()
            },
            "unmapped": list(self.unmapped),
        }
        return json.dumps(payload, ensure_ascii=False)

    @classmethod
    def from_json(cls, s: str) -> Mapping:
        """Inverse of :meth:`to_json`; raises ValueError on text that is not a mapping."""
        try:
            data = json.loads(s)
            table = table_for(str(data["table"])).name
            headers = [str(h) for h in data["headers"]]
            matches = {
                str(c): ColumnMatch(
                    str(c),
                    int(m["source_index"]),
                    str(m["source_header"]),
                    float(m["confidence"]),
                    str(m["method"]),
                )
                for c, m in data["matches"].items()
            }
            confidence = float(data["table_confidence"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a saved mapping: {exc}") from exc
        names = table_for(table).names
        for c, m in matches.items():
            if c not in names or not 0 <= m.source_index < len(headers):
                raise ValueError(f"not a saved mapping: bad match for {c!r}")
        return _build(table, headers, matches, confidence)


def _label(column: str) -> str:
    return _LABELS.get(column, column.replace("_", " "))


def _examples(table: str, column: str) -> str:
    texts = [text for text, _ in _entries(_SYNONYMS[table][column])[:2]]
    return ", ".join(f"'{t}'" for t in texts)


def _build(
    table: str, headers: Sequence[str], matches: dict[str, ColumnMatch], confidence: float
) -> Mapping:
    """A Mapping with matches in schema order and ``unmapped`` recomputed from ``headers``."""
    order = table_for(table).names
    ordered = {c: matches[c] for c in order if c in matches}
    used = {m.source_index for m in ordered.values()}
    unmapped = [h for i, h in enumerate(headers) if i not in used]
    return Mapping(table, ordered, unmapped, confidence, list(headers))


def _assign(table: str, keys: Sequence[str]) -> tuple[dict[str, tuple[int, float, str]], dict]:
    """Best header for each column, greedy by confidence, plus each header's pseudo-target.

    Returns ``{column: (index, confidence, method)}`` and ``{index: (pseudo, confidence)}``.
    """
    columns = table_for(table).names
    rank = {c: i for i, c in enumerate(columns)}
    pairs: list[tuple[float, int, int, str, str]] = []
    pseudo: dict[int, tuple[str, float]] = {}
    for i, key in enumerate(keys):
        ranked = _scores(table, key)
        floor = next((conf for target, conf, _ in ranked if target in _PSEUDO), 0.0)
        if ranked and ranked[0][0] in _PSEUDO:
            pseudo[i] = (ranked[0][0], ranked[0][1])
        for target, conf, method in ranked:
            if target in rank and conf > floor:
                pairs.append((-conf, i, rank[target], target, method))
    pairs.sort()
    chosen: dict[str, tuple[int, float, str]] = {}
    taken: set[int] = set()
    for neg, i, _, target, method in pairs:
        if target in chosen or i in taken:
            continue
        chosen[target] = (i, -neg, method)
        taken.add(i)
    if "amount" in rank and "amount" not in chosen:
        kinds = {kind: i for i, (kind, _) in sorted(pseudo.items(), reverse=True) if i not in taken}
        lone = {"invoices": _DEBIT, "payments": _CREDIT}.get(table)
        other = _CREDIT if lone == _DEBIT else _DEBIT
        if lone in kinds and other not in kinds:
            chosen["amount"] = (kinds[lone], FALLBACK_CONFIDENCE, SYNONYM)
        elif table == "invoices" and _OPEN_BALANCE in kinds and _DEBIT not in kinds:
            chosen["amount"] = (kinds[_OPEN_BALANCE], FALLBACK_CONFIDENCE, SYNONYM)
    return chosen, pseudo


def _table_score(table: str, keys: Sequence[str]) -> float:
    """How well headers fit a table: coverage of headers times share of key columns.

    coverage = (sum of match confidences + confidence of recognised-but-unmapped headers, the
    merely ignored ones at half weight, minus half a point per header only another table
    knows) / number of non-empty headers, within 0..1.
    key share = (mapped required and expected columns + satisfied one_of groups) / their count;
    a due date is the mark of an invoice ledger, hence expected columns count. A debit/credit
    pair is the mark of a customer account ledger, i.e. invoices: there it counts in the
    coverage and as half an amount, and nowhere else.
    """
    nonempty = sum(1 for k in keys if k)
    if not nonempty:
        return 0.0
    chosen, pseudo = _assign(table, keys)
    taken = {i for i, _, _ in chosen.values()}
    split_counts = table == "invoices"
    covered = sum(conf for _, conf, _ in chosen.values())
    free: set[str] = set()
    for i, (kind, conf) in pseudo.items():
        if i in taken or (kind in (_DEBIT, _CREDIT) and not split_counts):
            continue
        free.add(kind)
        covered += conf * (_IGNORE_COVERAGE if kind == _IGNORE else 1.0)
    covered -= _ALIEN_PENALTY * sum(1 for k in keys if _is_alien(table, k))
    spec = table_for(table)
    key_columns = [c.name for c in spec.columns if c.level in (REQUIRED, EXPECTED)]
    got = 0.0
    for col in key_columns:
        if col in chosen:
            got += 1.0
        elif col == "amount" and {_DEBIT, _CREDIT} <= free:
            got += 0.5
    got += sum(1.0 for group in spec.one_of if any(c in chosen for c in group))
    key_share = got / (len(key_columns) + len(spec.one_of))
    return min(1.0, max(0.0, covered) / nonempty) * key_share


@lru_cache(maxsize=16384)
def _is_alien(table: str, normalised: str) -> bool:
    """True for a header this table does not know but another table knows as a synonym.

    Such a header ("Echéance" in a payments file) is evidence against the table.
    """
    if not normalised or _scores(table, normalised):
        return False
    for other in TABLES:
        if other != table:
            for target, conf, method in _scores(other, normalised):
                if method == SYNONYM and conf >= _ALIEN_MIN_CONFIDENCE and target != _IGNORE:
                    return True
    return False


def _clean(headers: Sequence[Any]) -> list[str]:
    return ["" if h is None else str(h) for h in headers]


def _guess(keys: Sequence[str]) -> tuple[str, float]:
    scores = sorted(((_table_score(t, keys), t) for t in TABLES), key=lambda st: -st[0])
    (best, table), (second, _) = scores[0], scores[1]
    if best <= 0:
        return "invoices", 0.0
    return table, round(min(1.0, best * (0.5 + (best - second) / best)), 3)


def guess_table(headers: list[str]) -> tuple[str, float]:
    """The canonical table a header list most likely belongs to, and a confidence 0..1.

    Each table is scored by :func:`_table_score`; confidence = best * (0.5 + margin) with
    margin = (best - second) / best, capped at 1: a clear winner scores near its fit, a tie
    half of it. No recognisable header at all gives ("invoices", 0.0).
    """
    return _guess([normalise_header(h) for h in _clean(headers)])


def propose(headers: list[str], table: str | None = None) -> Mapping:
    """The automatic mapping of ``headers`` onto ``table`` (guessed when None).

    Each canonical column gets the header with the highest confidence, each header feeds at
    most one column. Without a gross amount, an invoices file uses an open balance ("Solde")
    or a lone "Débit" column as the amount with confidence 0.6 (see :meth:`Mapping.problems`);
    a Débit/Crédit pair is never mapped. A given table gets table_confidence 1.0.
    """
    clean = _clean(headers)
    keys = [normalise_header(h) for h in clean]
    if table is None:
        table, confidence = _guess(keys)
    else:
        table, confidence = table_for(table).name, 1.0
    chosen, _ = _assign(table, keys)
    matches = {
        col: ColumnMatch(col, i, clean[i], conf, method)
        for col, (i, conf, method) in chosen.items()
    }
    return _build(table, clean, matches, confidence)


def signature(headers: list[str]) -> str:
    """SHA-256 hex digest of the normalised header list, in order (the key of a saved mapping)."""
    text = json.dumps([normalise_header(h) for h in _clean(headers)], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_CREATE_SQL = (
    "CREATE TABLE IF NOT EXISTS saved_mappings ("
    "signature VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, "
    "mapping_json VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL)"
)
_UPSERT_SQL = (
    "INSERT INTO saved_mappings (signature, table_name, mapping_json, saved_at) "
    "VALUES ($signature, $table_name, $mapping_json, $saved_at) "
    "ON CONFLICT (signature) DO UPDATE SET table_name = excluded.table_name, "
    "mapping_json = excluded.mapping_json, saved_at = excluded.saved_at"
)
_EXISTS_SQL = "SELECT count(*) FROM information_schema.tables WHERE table_name = $table_name"
_LOAD_SQL = "SELECT mapping_json FROM saved_mappings WHERE signature = $signature"


def save(con: Any, headers: list[str], mapping: Mapping, saved_at: datetime | None = None) -> None:
    """Save ``mapping`` for this header signature (replacing an earlier one) in saved_mappings.

    ``saved_at`` is recorded as given (default: the current UTC time). Raises ValueError when
    the mapping does not fit ``headers``.
    """
    clean = _clean(headers)
    keys = [normalise_header(h) for h in clean]
    for m in mapping.matches.values():
        if not 0 <= m.source_index < len(clean) or keys[m.source_index] != normalise_header(
            m.source_header
        ):
            raise ValueError(f"the mapping of {m.column!r} does not fit these headers")
    stored = _build(mapping.table, clean, dict(mapping.matches), mapping.table_confidence)
    stamp = saved_at or datetime.now(UTC).replace(tzinfo=None)
    con.execute(_CREATE_SQL)
    params = {
        "signature": signature(clean),
        "table_name": mapping.table,
        "mapping_json": stored.to_json(),
        "saved_at": stamp,
    }
    con.execute(_UPSERT_SQL, params)


def load(con: Any, headers: list[str]) -> Mapping | None:
    """The saved mapping for exactly this header list (same normalised headers, same order).

    Matches come back with method "saved" and confidence 1 (the user confirmed them), source
    headers as spelled in ``headers``; None when nothing was saved for this signature.
    """
    if not con.execute(_EXISTS_SQL, {"table_name": SAVED_MAPPINGS}).fetchone()[0]:
        return None
    row = con.execute(_LOAD_SQL, {"signature": signature(headers)}).fetchone()
    if row is None:
        return None
    saved = Mapping.from_json(row[0])
    clean = _clean(headers)
    if len(saved.headers) != len(clean):
        return None
    matches = {
        c: ColumnMatch(c, m.source_index, clean[m.source_index], 1.0, SAVED)
        for c, m in saved.matches.items()
    }
    return _build(saved.table, clean, matches, 1.0)
