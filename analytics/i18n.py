"""Labels in French and English, and number / date formatting per language (babel).

French: ``1 234,56 €`` (narrow no-break space as thousands separator, no-break space before
the currency sign) and dates ``dd/mm/yyyy``. English: ``€1,234.56`` and ``31 Oct 2026``.
Undefined values (None) are shown as ``n.d.`` in French and ``n/a`` in English, never 0.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, format_decimal

LANGS: tuple[str, ...] = ("fr", "en")
DEFAULT_LANG = "fr"
LOCALES: dict[str, str] = {"fr": "fr_FR", "en": "en_GB"}
DATE_PATTERNS: dict[str, str] = {"fr": "dd/MM/yyyy", "en": "d MMM yyyy"}

#: Every label of the user interface: key -> (French, English).
TEXTS: dict[str, tuple[str, str]] = {
    # shell and navigation
    "app_title": ("Encours — poste clients", "Encours — receivables"),
    "nav_overview": ("Vue d'ensemble", "Overview"),
    "nav_receivables": ("Créances", "Receivables"),
    "nav_aged_balance": ("Balance âgée", "Aged balance"),
    "nav_concentration": ("Concentration", "Concentration"),
    "nav_losses": ("Pertes et provisions", "Losses and provisions"),
    "nav_credit": ("Gestion du crédit", "Credit management"),
    "nav_credit_soon": ("Pages à venir", "Pages to come"),
    "nav_data": ("Données", "Data"),
    "nav_customer": ("Client", "Customer"),
    "nav_customers": ("Clients", "Customers"),
    "nav_collections": ("Recouvrement", "Collections"),
    "nav_forecast": ("Prévision d'encaissements", "Cash forecast"),
    "nav_history": ("Historique", "History"),
    "page_error": (
        "Cette page n'a pas pu être affichée ({error}). Vérifiez les données et les réglages "
        "de la barre latérale, puis réessayez.",
        "This page could not be shown ({error}). Check the data and the sidebar settings, "
        "then try again.",
    ),
    "sidebar_dataset": ("Jeu de données", "Dataset"),
    "sidebar_as_of": ("Date d'arrêté", "As-of date"),
    "sidebar_as_of_help": (
        "Par défaut : la dernière fin de mois des données.",
        "Default: the last month end of the data.",
    ),
    "sidebar_filters": ("Filtres", "Filters"),
    "sidebar_segment": ("Typologie", "Segment"),
    "sidebar_entity": ("Société", "Entity"),
    "sidebar_country": ("Pays", "Country"),
    "sidebar_currency": ("Devise", "Currency"),
    "sidebar_language": ("Langue", "Language"),
    "sidebar_settings": ("Paramètres", "Settings"),
    "settings_edges": (
        "Tranches d'âge (jours, séparées par des virgules)",
        "Aging buckets (days, comma-separated)",
    ),
    "settings_edges_invalid": (
        "Tranches invalides : des nombres entiers positifs, par exemple 30, 60, 90, 120.",
        "Invalid buckets: positive whole numbers, for example 30, 60, 90, 120.",
    ),
    "settings_period": ("Période du DSO (jours)", "DSO period (days)"),
    "settings_vat": ("Taux de TVA (%)", "VAT rate (%)"),
    "settings_margin": ("Marge nette (%)", "Net margin (%)"),
    "settings_provision_hint": (
        "La matrice de provision se modifie sur la page Pertes et provisions.",
        "The provision matrix is edited on the Losses and provisions page.",
    ),
    "all": ("Tous", "All"),
    "na": ("n.d.", "n/a"),
    # empty states and errors
    "empty_title": ("Aucun jeu de données", "No dataset yet"),
    "empty_body": (
        "Chargez l'exemple fourni pour découvrir le tableau de bord, ou importez vos exports.",
        "Load the bundled sample to explore the dashboard, or upload your own exports.",
    ),
    "empty_load_sample": ("Charger l'exemple", "Load the sample"),
    "empty_go_upload": ("Importer mes fichiers", "Upload my files"),
    "sample_loading": ("Chargement de l'exemple…", "Loading the sample…"),
    "sample_loaded": ("Exemple chargé.", "Sample loaded."),
    "mixed_currency": (
        "Les montants sont en plusieurs devises : choisissez une devise dans la barre latérale.",
        "Amounts are in several currencies: choose one currency in the sidebar.",
    ),
    "no_rows": ("Aucune ligne pour cette sélection.", "No rows for this selection."),
    "workspace_error": (
        "L'espace de travail ne peut pas être ouvert",
        "The workspace cannot be opened",
    ),
    # overview
    "overview_title": ("Vue d'ensemble", "Overview"),
    "overview_caption": (
        "Chiffres au {date}, variation sur un mois (au {previous}).",
        "Figures as of {date}, change over one month (from {previous}).",
    ),
    "tile_outstanding": ("Encours", "Outstanding"),
    "tile_overdue_share": ("Part échue", "Overdue share"),
    "tile_dso": ("DSO (période)", "DSO (period)"),
    "tile_bpdso": ("Meilleur DSO possible", "Best possible DSO"),
    "tile_add": ("Retard moyen (ADD)", "Average days delinquent"),
    "tile_cei": ("Efficacité de recouvrement (CEI)", "Collection effectiveness (CEI)"),
    "tile_write_off_ratio": ("Pertes / CA 12 mois", "Write-offs / sales 12 months"),
    "tile_top_share": ("Part des 10 premiers clients", "Top-10 customers' share"),
    "dso_trend_title": ("DSO sur 24 mois, trois méthodes", "DSO over 24 months, three methods"),
    "dso_period": ("DSO période", "Period DSO"),
    "dso_average": ("DSO solde moyen", "Average-balance DSO"),
    "dso_countback": ("DSO par épuisement", "Countback DSO"),
    "aging_history_title": ("Balance âgée en fin de mois", "Aged balance at month ends"),
    "bridge_title": (
        "Pont du DSO : meilleur DSO possible + retard",
        "DSO bridge: best possible DSO + delinquency",
    ),
    "cash_title": ("Trésorerie libérée par une baisse du DSO", "Cash released by a lower DSO"),
    "cash_target": ("DSO cible (jours)", "Target DSO (days)"),
    "cash_result": (
        "Ramener le DSO de {dso} à {target} libère {cash}.",
        "Bringing DSO from {dso} down to {target} releases {cash}.",
    ),
    "cash_none": (
        "Le DSO est déjà au niveau de la cible ou n'est pas défini.",
        "DSO is already at the target or is not defined.",
    ),
    "top_overdue_title": (
        "Les 10 clients les plus en retard",
        "The ten customers with the most overdue",
    ),
    "drill_title": ("Factures concernées", "Invoices behind the figure"),
    "drill_pick_month": ("Fin de mois", "Month end"),
    "drill_pick_bucket": ("Tranche", "Bucket"),
    "drill_hint": (
        "Cliquez sur une barre ou un point pour afficher les factures concernées.",
        "Click a bar or a point to list the invoices behind it.",
    ),
    "report_title": ("Rapport mensuel", "Monthly report"),
    "report_xlsx": ("Rapport mensuel (Excel)", "Monthly report (Excel)"),
    "report_html": ("Rapport mensuel (HTML imprimable)", "Monthly report (printable HTML)"),
    # aged balance
    "aged_title": ("Balance âgée", "Aged balance"),
    "aged_search": ("Rechercher un client (code ou nom)", "Search a customer (code or name)"),
    "aged_totals": ("Total", "Total"),
    "aged_reconciles": (
        "Le total des lignes est égal à l'encours : {total}.",
        "The rows add up to the outstanding: {total}.",
    ),
    "aged_pick_customer": ("Voir les factures du client", "Show the customer's invoices"),
    "aged_export": ("Exporter en Excel", "Export to Excel"),
    "aged_by_bucket": ("Encours par tranche", "Outstanding by bucket"),
    "roll_title": ("Matrice de roulement (dernier mois)", "Roll-rate matrix (last month)"),
    "roll_from": ("Tranche en début de mois", "Bucket at the start of the month"),
    "roll_paid": ("Payé", "Paid"),
    "roll_written_off": ("Passé en perte", "Written off"),
    "open_customer_page": ("Ouvrir la fiche du client", "Open the customer page"),
    # columns
    "col_customer_id": ("Code client", "Customer code"),
    "col_customer_name": ("Client", "Customer"),
    "col_invoice_id": ("N° facture", "Invoice"),
    "col_invoice_date": ("Date facture", "Invoice date"),
    "col_due_date": ("Échéance", "Due date"),
    "col_amount": ("Montant", "Amount"),
    "col_open_amount": ("Reste dû", "Open amount"),
    "col_dpd": ("Jours de retard", "Days past due"),
    "col_total": ("Total", "Total"),
    "col_overdue": ("Échu", "Overdue"),
    "col_share": ("Part", "Share"),
    "col_cum_share": ("Part cumulée", "Cumulative share"),
    "col_rank": ("Rang", "Rank"),
    "col_currency": ("Devise", "Currency"),
    "col_disputed": ("Litige", "Disputed"),
    "col_doubtful": ("Douteux", "Doubtful"),
    "col_kind": ("Type", "Kind"),
    "col_bucket": ("Tranche", "Bucket"),
    "col_base": ("Base HT", "Base excl. tax"),
    "col_rate": ("Taux", "Rate"),
    "col_provision": ("Provision", "Provision"),
    "col_items": ("Pièces", "Items"),
    "col_month_end": ("Fin de mois", "Month end"),
    "col_count": ("Nombre", "Count"),
    "col_link": ("Fiche", "Page"),
    "not_due": ("Non échu", "Not due"),
    "bucket_days": ("{label} j", "{label} d"),
    "doubtful": ("Douteux", "Doubtful"),
    # concentration
    "conc_title": ("Concentration du risque client", "Customer concentration"),
    "conc_basis": ("Base", "Basis"),
    "basis_outstanding": ("Encours", "Outstanding"),
    "basis_overdue": ("Échu", "Overdue"),
    "basis_revenue": ("Chiffre d'affaires 12 mois", "Revenue, 12 months"),
    "conc_top_n": ("Nombre de clients du top", "Customers in the top"),
    "conc_customers": ("Clients", "Customers"),
    "conc_top_share": ("Part des {n} premiers", "Top-{n} share"),
    "conc_hhi": ("Indice HHI", "HHI"),
    "conc_effective": ("Nombre effectif de clients", "Effective number of customers"),
    "conc_gini": ("Gini", "Gini"),
    "conc_80": ("Clients pour 80 %", "Customers for 80 %"),
    "conc_pareto": ("Courbe de Pareto", "Pareto curve"),
    "conc_lorenz": ("Courbe de Lorenz", "Lorenz curve"),
    "conc_equality": ("Égalité parfaite", "Perfect equality"),
    "conc_thresholds": (
        "Repères indicatifs : HHI sous 1 500, portefeuille peu concentré ; de 1 500 à 2 500, "
        "modérément concentré ; au-delà de 2 500, très concentré (seuils des autorités de la "
        "concurrence, transposés au risque client). Le nombre effectif de clients (1 / somme "
        "des parts au carré) dit à combien de clients égaux le portefeuille équivaut. Un Gini "
        "proche de 1 signale que quelques clients portent l'essentiel du risque. Une part des "
        "10 premiers au-delà de 50 % appelle une surveillance rapprochée.",
        "Indicative thresholds: HHI under 1,500, unconcentrated; 1,500 to 2,500, moderately "
        "concentrated; above 2,500, highly concentrated (competition authorities' thresholds, "
        "applied to customer risk). The effective number of customers (1 / sum of squared "
        "shares) is how many equal customers the book is worth. A Gini close to 1 means a few "
        "customers carry most of the risk. A top-10 share above 50 % calls for close watch.",
    ),
    # losses
    "losses_title": (
        "Pertes, créances douteuses et provisions",
        "Losses, doubtful receivables and provisions",
    ),
    "losses_write_off": ("Taux de perte 12 mois", "Write-off ratio, 12 months"),
    "losses_write_off_help": (
        "Créances passées en perte sur 12 mois / chiffre d'affaires des mêmes 12 mois ({basis}).",
        "Write-offs of the last 12 months / sales of the same 12 months ({basis}).",
    ),
    "basis_excl_tax": ("HT", "excl. tax"),
    "basis_incl_tax": ("TTC", "incl. tax"),
    "losses_inflow": ("Entrées en douteux 12 mois / CA", "Became doubtful in 12 months / sales"),
    "losses_inflow_help": (
        "Montants devenus douteux sur 12 mois / chiffre d'affaires des mêmes 12 mois (TTC).",
        "Amounts that became doubtful in 12 months / sales of the same 12 months (incl. tax).",
    ),
    "losses_doubtful_flagged": ("Douteux signalés", "Flagged doubtful"),
    "losses_doubtful_age": ("Douteux par l'âge (> {days} j)", "Doubtful by age (> {days} d)"),
    "losses_doubtful_share": ("Part douteuse de l'encours", "Doubtful share of outstanding"),
    "losses_provision_title": (
        "Matrice de provision (simulation)",
        "Provision matrix (simulation)",
    ),
    "losses_provision_help": (
        "Simulation, pas une position fiscale : la déduction fiscale se fait créance par créance. "
        "Modifiez les taux (en %) ; la base est l'encours hors taxes.",
        "A simulation, not a tax position: tax deducts provisions debt by debt. Edit the rates "
        "(in %); the base is the open amount excluding tax.",
    ),
    "losses_provision_total": ("Provision simulée", "Simulated provision"),
    "losses_cost_title": ("Coût réel d'un impayé", "True cost of an unpaid amount"),
    "losses_cost_amount": ("Perte HT", "Loss excl. tax"),
    "losses_cost_result": (
        "Cette perte exige {sales} de ventes nouvelles à une marge nette de {margin}.",
        "This loss needs {sales} of new sales at a net margin of {margin}.",
    ),
    "losses_cost_none": (
        "Marge nulle : aucune vente ne compense la perte.",
        "Zero margin: no sales make up for the loss.",
    ),
    # data page
    "data_title": ("Données", "Data"),
    "data_ecb_title": (
        "Taux BCE (pénalités de retard)",
        "ECB rates (late-payment penalties)",
    ),
    "data_ecb_help": (
        "Taux de refinancement de la BCE par date d'effet, avec sa source. Le taux en vigueur "
        "au 1er janvier (1er juillet) s'applique au semestre, majoré de 10 points. Ajoutez une "
        "ligne pour toute nouvelle décision.",
        "ECB main refinancing rate by effective date, with its source. The rate in force on "
        "1 January (1 July) applies to the half-year, plus 10 points. Add a row for any new "
        "decision.",
    ),
    "data_ecb_save": ("Enregistrer les taux", "Save the rates"),
    "data_ecb_reset": ("Revenir à la table fournie", "Back to the bundled table"),
    "data_ecb_saved": (
        "Taux enregistrés : les pénalités sont recalculées avec cette table.",
        "Rates saved: penalties are computed with this table.",
    ),
    "data_ecb_invalid": ("Table refusée", "Table refused"),
    "data_ecb_edited": (
        "Table modifiée par l'utilisateur en vigueur.",
        "The user's edited table is in force.",
    ),
    "data_upload": (
        "Importer des fichiers (CSV, XLSX, Parquet)",
        "Upload files (CSV, XLSX, Parquet)",
    ),
    "data_name": ("Nom du jeu de données", "Dataset name"),
    "data_mapping": ("Correspondance des colonnes", "Column mapping"),
    "data_table": ("Table", "Table"),
    "data_confidence": ("Confiance", "Confidence"),
    "data_source_header": ("Colonne du fichier", "File column"),
    "data_canonical": ("Champ", "Field"),
    "data_method": ("Méthode", "Method"),
    "data_none": ("(aucune)", "(none)"),
    "data_problems": ("À vérifier", "To check"),
    "data_load": ("Charger", "Load"),
    "data_loading": ("Chargement de {file}…", "Loading {file}…"),
    "data_loaded": (
        "Jeu « {name} » chargé : {loaded} lignes chargées, {rejected} rejetées sur {read} lues.",
        "Dataset “{name}” loaded: {loaded} rows loaded, {rejected} rejected out of {read} read.",
    ),
    "data_already": (
        "Ces fichiers sont déjà chargés (jeu n° {id}).",
        "These files are already loaded (dataset {id}).",
    ),
    "data_error": ("Chargement impossible", "Cannot load"),
    "data_report": ("Rapport de validation", "Validation report"),
    "data_rows_read": ("Lues", "Read"),
    "data_rows_loaded": ("Chargées", "Loaded"),
    "data_rows_rejected": ("Rejetées", "Rejected"),
    "data_amount_read": ("Total lu", "Amount read"),
    "data_amount_loaded": ("Total chargé", "Amount loaded"),
    "data_file": ("Fichier", "File"),
    "data_notes": ("Remarques", "Notes"),
    "data_rejects": ("Lignes rejetées", "Rejected rows"),
    "data_rejects_download": (
        "Télécharger les lignes rejetées (CSV)",
        "Download the rejected rows (CSV)",
    ),
    "data_reason": ("Motif", "Reason"),
    "data_line": ("Ligne", "Line"),
    "data_raw": ("Contenu", "Content"),
    "data_quality": ("Contrôles de qualité", "Data-quality checks"),
    "data_flag": ("Contrôle", "Check"),
    "data_examples": ("Exemples (lignes)", "Examples (lines)"),
    "data_quality_ok": ("Aucune anomalie signalée.", "No issue flagged."),
    "data_datasets": ("Jeux de données", "Datasets"),
    "data_delete": ("Supprimer", "Delete"),
    "data_delete_confirm": (
        "Je confirme la suppression du jeu n° {id} · {name} (ses données ne pourront pas être "
        "récupérées)",
        "I confirm deleting dataset {id} · {name} (its data cannot be recovered)",
    ),
    "data_deleted": ("Jeu n° {id} supprimé.", "Dataset {id} deleted."),
    "data_loaded_at": ("Chargé le", "Loaded at"),
    "data_id": ("N°", "Id"),
    # customer page
    "customer_title": ("Client {id}", "Customer {id}"),
    "customer_missing": (
        "Choisissez un client depuis la balance âgée ou la vue d'ensemble.",
        "Pick a customer from the aged balance or the overview.",
    ),
    "customer_not_found": (
        "Aucun encours pour ce client à cette date.",
        "No balance for this customer at this date.",
    ),
    "customer_pick": ("Client", "Customer"),
    # exports
    "sheet_aged_customers": ("Balance par client", "By customer"),
    "sheet_aged_invoices": ("Factures ouvertes", "Open invoices"),
    "sheet_summary": ("Synthèse", "Summary"),
    "sheet_dso": ("DSO", "DSO"),
    "sheet_aging_history": ("Balance mensuelle", "Monthly aging"),
    "sheet_top_risks": ("Principaux risques", "Top risks"),
    "xlsx_as_of": ("Date d'arrêté", "As-of date"),
    "xlsx_indicator": ("Indicateur", "Indicator"),
    "xlsx_value": ("Valeur", "Value"),
    "xlsx_previous": ("Mois précédent", "Previous month"),
    "xlsx_delta": ("Variation", "Change"),
    "xlsx_filters": ("Filtres", "Filters"),
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The label ``key`` in ``lang`` with ``{placeholders}`` filled from ``values``."""
    fr, en = TEXTS[key]
    text = en if lang == "en" else fr
    return text.format(**values) if values else text


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES[DEFAULT_LANG])


def na(lang: str) -> str:
    return t("na", lang)


def fmt_money(
    value: Decimal | float | int | None, lang: str, currency: str | None = "EUR", digits: int = 2
) -> str:
    """Money with its currency: ``1 234,56 €`` (fr), ``€1,234.56`` (en); None gives n/a."""
    if value is None:
        return na(lang)
    fmt = None if digits == 2 else ("#,##0\u00a0¤" if lang == "fr" else "¤#,##0")
    if currency:
        return format_currency(
            Decimal(str(value)),
            currency,
            format=fmt,
            locale=_locale(lang),
            currency_digits=digits == 2,
        )
    return fmt_number(value, lang, digits)


def fmt_number(value: Decimal | float | int | None, lang: str, digits: int = 2) -> str:
    """A number with the language's separators and ``digits`` decimals; None gives n/a."""
    if value is None:
        return na(lang)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(Decimal(str(value)), format=pattern, locale=_locale(lang))


def fmt_percent(value: float | Decimal | None, lang: str, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.376`` gives ``37,6 %`` (fr), ``37.6%`` (en)."""
    if value is None:
        return na(lang)
    number = fmt_number(Decimal(str(value)) * 100, lang, digits)
    return f"{number}\u00a0%" if lang == "fr" else f"{number}%"


def fmt_percent_value(value: float | Decimal | None, lang: str, digits: int = 1) -> str:
    """A value already in percent (the CEI): ``55.93`` gives ``55,9 %`` (fr), ``55.9%`` (en)."""
    if value is None:
        return na(lang)
    number = fmt_number(value, lang, digits)
    return f"{number}\u00a0%" if lang == "fr" else f"{number}%"


def fmt_points(value: float | None, lang: str, digits: int = 1) -> str:
    """A change of a fraction in percentage points, signed: ``+1,2 pt``."""
    if value is None:
        return na(lang)
    number = fmt_number(abs(value) * 100, lang, digits)
    return f"{'+' if value >= 0 else '-'}{number}\u00a0pt"


def fmt_days(value: float | None, lang: str, digits: int = 1) -> str:
    """Days: ``42,3 j`` (fr), ``42.3 d`` (en)."""
    if value is None:
        return na(lang)
    unit = "j" if lang == "fr" else "d"
    return f"{fmt_number(value, lang, digits)}\u00a0{unit}"


def fmt_date(value: date | datetime | None, lang: str) -> str:
    """``31/10/2026`` (fr), ``31 Oct 2026`` (en); None gives n/a."""
    if value is None:
        return na(lang)
    if isinstance(value, datetime):
        value = value.date()
    return _babel_date(value, DATE_PATTERNS.get(lang, DATE_PATTERNS["fr"]), locale=_locale(lang))


def fmt_signed(text: str, value: float | Decimal | None) -> str:
    """``text`` with a leading + when ``value`` is positive (a change)."""
    if value is None or value <= 0:
        return text
    return "+" + text


def bucket_label(label: str, lang: str) -> str:
    """Display name of an aging bucket label of ``config.bucket_labels`` (``not_due``, ``1-30``)."""
    if label == "not_due":
        return t("not_due", lang)
    if label == "doubtful":
        return t("doubtful", lang)
    return t("bucket_days", lang, label=label)


def customer_label(name: object, customer_id: object, *, with_id: bool = True) -> str:
    """``Name (C00042)``; the code alone when the name is missing (None, NaN, blank)."""
    text = "" if name is None or name != name else str(name).strip()
    if not text:
        return str(customer_id)
    return f"{text} ({customer_id})" if with_id else text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def escape_markdown(text: object) -> str:
    """Text shown where Streamlit renders Markdown, with every Markdown character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
