"""The open-items cache gives the figures of the uncached queries, and stays bounded."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from analytics import aging, asof, credit, itemcache, kpis, legal_fr, worklist
from analytics.config import NO_FILTERS, Filters
from tests.ledger_factory import inv, make_ledger, pay
from tests.test_differential import OVERVIEW_SETTINGS

D = date(2024, 6, 30)


def small_ledger(tmp_path):
    """Two customers; B pays 150.00 without naming an invoice.

    A: A1 100.00 (2024-04-01, due 05-01) paid 40.00 on 06-10 -> open 60.00, 60 days past due.
    B: B1 100.00 (due 05-15) and B2 200.00 (due 06-15), cash 150.00 allocated oldest due first:
       B1 gets 100.00 (open 0), B2 gets 50.00 (open 150.00).
    AR = 60.00 + 0 + 150.00 = 210.00.
    """
    return make_ledger(
        tmp_path / "w.duckdb",
        invoices=[
            inv("A1", "A", date(2024, 4, 1), "100", date(2024, 5, 1), segment="SME"),
            inv("B1", "B", date(2024, 4, 15), "100", date(2024, 5, 15), segment="Large"),
            inv("B2", "B", date(2024, 5, 16), "200", date(2024, 6, 15), segment="Large"),
        ],
        payments=[
            pay(date(2024, 6, 10), "40", "A1"),
            pay(date(2024, 6, 20), "150", customer_id="B"),
        ],
    )


def open_by_invoice(con, filters=NO_FILTERS):
    frame = asof.open_items(con, D, dataset_id=1, filters=filters)
    return dict(zip(frame["invoice_id"], frame["open_amount"], strict=True))


def test_cached_open_items_equal_the_hand_computed_ones(tmp_path):
    con = small_ledger(tmp_path)
    want = {"A1": Decimal("60.00"), "B1": Decimal("0.00"), "B2": Decimal("150.00")}
    assert open_by_invoice(con) == want
    itemcache.enable(con)
    assert open_by_invoice(con) == want
    assert "encours_cache.oi_" in itemcache.items_sql(con, 1, D)
    total = aging.totals_by_currency(con, D, dataset_id=1)
    assert total["EUR"][0] == Decimal("210.00")


def test_filters_on_the_cache_give_the_uncached_figures(tmp_path):
    con = small_ledger(tmp_path)
    cases = [
        Filters(),
        Filters(customer_id=("B",)),
        Filters(segment=("SME",)),
        Filters(currency=("EUR",), segment=("Large",)),
        Filters(currency=("USD",)),
    ]
    plain = [open_by_invoice(con, f) for f in cases]
    itemcache.enable(con)
    assert [open_by_invoice(con, f) for f in cases] == plain
    assert plain[1] == {"B1": Decimal("0.00"), "B2": Decimal("150.00")}
    assert plain[4] == {}


def test_one_computation_serves_every_kpi_of_a_date(tmp_path):
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    kpis.overview(con, D, dataset_id=1, filters=Filters(currency=("EUR",)))
    worklist.worklist(con, D, dataset_id=1)
    credit.credit_by_customer(con, D, dataset_id=1)
    legal_fr.legal_summary(con, D, dataset_id=1)
    dates = {r[0] for r in con.execute("SELECT as_of FROM encours_cache.entries").fetchall()}
    # The overview also needs the balances 90 days and 3 months before D (DSO average, CEI).
    assert D in dates
    assert dates <= {D, date(2024, 4, 1), date(2024, 3, 31)}


def test_the_sample_overview_is_the_same_with_and_without_the_cache(tmp_path):
    """With the cache, the overview is computed from sums kept per customer, segment, entity,
    country and currency (kpis._grain); without it, each family's function runs on the
    ledger. Every filter and both settings give the same figures, and the same exception."""
    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace
    from tests.test_golden import SAMPLE

    ws = Workspace(tmp_path / "s.duckdb")
    report = load_files(ws, [InputFile(p) for p in sorted(SAMPLE.glob("*.csv"))])
    ds = report.dataset_id
    d = date(2026, 10, 31)
    rows = {"read": report.rows_read, "loaded": report.rows_loaded, "rejected": 0}
    con = ws.cursor()
    entity, country, customer, segment = con.execute(
        "SELECT entity, country, customer_id, (SELECT min(segment) FROM customers) "
        "FROM invoices ORDER BY invoice_id LIMIT 1"
    ).fetchall()[0]
    other = OVERVIEW_SETTINGS[1]  # every setting the cached sums depend on, changed
    cases = [
        (d, Filters(), None),  # EUR and USD: the figures refuse to add them
        (d, Filters(currency=("EUR",)), None),
        (d, Filters(currency=("USD",)), None),
        (d, Filters(currency=("EUR",), segment=(segment,)), None),
        (d, Filters(currency=("EUR",), entity=(entity,), country=(country,)), None),
        (d, Filters(customer_id=(customer,)), None),
        (d, Filters(currency=("JPY",)), None),  # none in the sample
        (d, Filters(currency=("EUR",)), other),
        (d, Filters(currency=("EUR",), segment=(segment,)), other),
        (date(2025, 2, 14), Filters(currency=("EUR",)), None),
        (date(2020, 1, 1), Filters(), None),  # before the first invoice
    ]

    def figures():
        out = []
        for day, f, s in cases:
            try:
                out.append(kpis.overview(con, day, dataset_id=ds, filters=f, settings=s))
            except asof.MixedCurrencyError as exc:
                out.append(("mixed", str(exc)))
        out.append(kpis.overview_json(con, ds, d, rows=rows))
        out.append(worklist.worklist(con, d, dataset_id=ds).items.head(50))
        return out

    itemcache.enable(con)
    cached = figures()
    built = con.execute(
        "SELECT count(*) FROM encours_cache.derived_tables WHERE key LIKE 'overview %'"
    ).fetchall()[0][0]
    assert built == 4  # one per date and settings asked for
    itemcache.disable(con)
    assert not itemcache.enabled(con)
    plain = figures()
    assert cached[0] == plain[0] and cached[0][0] == "mixed"
    assert cached[:-1] == plain[:-1]
    assert cached[-1].equals(plain[-1])
    assert plain[-3]["outstanding"] == Decimal("0.00")
    ws.close()


def test_the_least_recently_used_dates_are_dropped_beyond_the_limit(tmp_path, monkeypatch):
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    monkeypatch.setattr(itemcache, "MAX_ENTRIES", 2)
    monkeypatch.setattr(itemcache, "KEEP_SECONDS", 0.0)
    monkeypatch.setattr(itemcache, "TOUCH_SECONDS", 0.0)  # every use recorded
    days = [date(2024, 6, d) for d in (1, 2, 3)]
    itemcache.items_sql(con, 1, days[0])
    itemcache.items_sql(con, 1, days[1])
    itemcache.items_sql(con, 1, days[0])  # used again: now days[1] is the oldest
    itemcache.items_sql(con, 1, days[2])
    kept = {r[0] for r in con.execute("SELECT as_of FROM encours_cache.entries").fetchall()}
    assert kept == {days[0], days[2]}
    tables = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'encours_cache' "
        "AND table_name LIKE 'oi_%'"
    ).fetchall()[0][0]
    assert tables == 2


def test_a_use_is_recorded_at_most_once_per_touch_interval(tmp_path, monkeypatch):
    con = small_ledger(tmp_path)
    itemcache.enable(con)

    def used() -> int:
        return con.execute("SELECT used FROM encours_cache.entries").fetchall()[0][0]

    itemcache.items_sql(con, 1, D)
    first = used()
    itemcache.items_sql(con, 1, D)  # a moment later: not written again
    assert used() == first
    monkeypatch.setattr(itemcache, "TOUCH_SECONDS", 0.0)
    itemcache.items_sql(con, 1, D)
    assert used() == first + 1


def test_a_request_scope_finds_the_same_tables_and_totals_as_single_lookups(tmp_path):
    """Within ``scope()`` a pair's derived tables and totals are read once and remembered: the
    names and values are those of single lookups, what is built within the scope is found
    after it, and nothing is remembered from one scope to the next."""
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    calls = []

    def compute(value: str):
        def run() -> str:
            calls.append(value)
            return value

        return run

    def build(items: str) -> str:
        return f"SELECT * FROM ({items})"

    a = itemcache.derived(con, 1, D, "a", build, asof.params(1, D))
    assert itemcache.remembered(con, 1, D, "t", compute("1")) == "1"
    with itemcache.scope():
        assert itemcache.derived(con, 1, D, "a", build, asof.params(1, D)) == a
        b = itemcache.derived(con, 1, D, "b", build, asof.params(1, D))  # built here
        assert b not in (None, a)
        assert itemcache.derived(con, 1, D, "b", build, asof.params(1, D)) == b
        assert itemcache.remembered(con, 1, D, "t", compute("2")) == "1"
        assert itemcache.remembered(con, 1, D, "u", compute("3")) == "3"
        assert itemcache.remembered(con, 1, D, "u", compute("4")) == "3"
        with itemcache.scope():  # nested: the same memory
            assert itemcache.derived(con, 1, D, "b", build, asof.params(1, D)) == b
    assert calls == ["1", "3"]
    assert itemcache.derived(con, 1, D, "b", build, asof.params(1, D)) == b
    assert itemcache.remembered(con, 1, D, "u", compute("5")) == "3"
    itemcache.forget(con, 1)
    with itemcache.scope():  # forgotten since: computed and built again
        assert itemcache.remembered(con, 1, D, "u", compute("6")) == "6"
        again = itemcache.derived(con, 1, D, "b", build, asof.params(1, D))
        assert again is not None and con.execute(f"SELECT count(*) FROM {again}").fetchall()
    assert calls == ["1", "3", "6"]
    # A plain connection within a scope: no cache, computed each time.
    (tmp_path / "plain").mkdir()
    plain = small_ledger(tmp_path / "plain")
    with itemcache.scope():
        assert itemcache.derived(plain, 1, D, "a", build, {}) is None
        assert itemcache.remembered(plain, 1, D, "t", compute("7")) == "7"
        assert itemcache.remembered(plain, 1, D, "t", compute("8")) == "8"


def test_a_scope_forgets_what_it_read_when_a_pair_is_dropped(tmp_path):
    """Another session forgets the dataset in the middle of a request: the request's next
    lookup does not return the dropped table's name, and the pair stored again gets another
    entry number, so no earlier name can ever name its tables."""
    con = small_ledger(tmp_path)
    itemcache.enable(con)

    def build(items: str) -> str:
        return f"SELECT * FROM ({items})"

    with itemcache.scope():
        first = itemcache.derived(con, 1, D, "a", build, asof.params(1, D))
        itemcache.forget(con, 1)
        again = itemcache.derived(con, 1, D, "a", build, asof.params(1, D))
        assert again is not None and again != first
        items = itemcache.items_sql(con, 1, D)
        n_items = con.execute(f"SELECT count(*) FROM ({items})", asof.params(1, D)).fetchall()
        assert con.execute(f"SELECT count(*) FROM {again}").fetchall() == n_items == [(3,)]
    entries = [r[0] for r in con.execute("SELECT entry FROM encours_cache.entries").fetchall()]
    assert len(entries) == 1 and f"dv_{entries[0]}_" in again


def test_a_recently_used_date_is_never_dropped_under_a_reader(tmp_path, monkeypatch):
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    monkeypatch.setattr(itemcache, "MAX_ENTRIES", 1)
    first = itemcache.items_sql(con, 1, date(2024, 6, 1))
    itemcache.items_sql(con, 1, date(2024, 6, 2))
    # The first entry was used a moment ago: a query built on it still runs.
    con.execute(f"SELECT count(*) FROM ({first})", asof.params(1, date(2024, 6, 1))).fetchall()


def test_forgetting_a_dataset_drops_its_entries_only(tmp_path):
    con = small_ledger(tmp_path)
    make_ledger(
        tmp_path / "w.duckdb", invoices=[inv("Z", "C", date(2024, 1, 1), "5")], dataset_id=2
    ).close()
    itemcache.enable(con)
    itemcache.items_sql(con, 1, D)
    itemcache.items_sql(con, 2, D)
    itemcache.forget(con, 1)
    left = con.execute("SELECT dataset_id FROM encours_cache.entries").fetchall()
    assert left == [(2,)]


def test_sessions_computing_at_once_share_one_entry_and_agree(tmp_path):
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    results: list[Decimal] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            cur = con.cursor()
            results.append(aging.totals_by_currency(cur, D, dataset_id=1)["EUR"][0])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [Decimal("210.00")] * 5
    n = con.execute("SELECT count(*) FROM encours_cache.entries").fetchall()[0][0]
    assert n == 1


@pytest.mark.parametrize("settle", [True, False])
def test_without_the_cache_the_plain_query_is_used(tmp_path, settle):
    con = small_ledger(tmp_path)
    assert not itemcache.enabled(con)
    assert itemcache.items_sql(con, 1, D, settle=settle) == asof.open_items_sql(settle=settle)


def test_the_cache_is_a_temporary_file_unless_the_connection_is_sandboxed(tmp_path):
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    itemcache.enable(con)  # a second call keeps the first database
    sql = "SELECT path FROM duckdb_databases() WHERE database_name = 'encours_cache'"
    (path,) = con.execute(sql).fetchall()[0]
    assert path.endswith("cache.duckdb") and "encours-cache-" in path
    (tmp_path / "other").mkdir()
    sandboxed = small_ledger(tmp_path / "other")
    sandboxed.execute("SET enable_external_access = false")
    itemcache.enable(sandboxed)
    assert sandboxed.execute(sql).fetchall() == [(None,)]
    assert aging.totals_by_currency(sandboxed, D, dataset_id=1)["EUR"][0] == Decimal("210.00")


def test_a_workspace_caches_and_never_serves_a_deleted_dataset(tmp_path):
    """Dataset ids freed by a deletion are given again: the new dataset's figures, not the old.

    First load: invoice X1 100.00 -> AR 100.00. After deleting it, a second load gets the same
    id with invoice Y1 250.00 -> AR 250.00.
    """
    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace

    def ledger(name: str, amount: str) -> InputFile:
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "invoice_id;customer_id;invoice_date;due_date;amount\n"
            f"{name}1;C1;2024-05-01;2024-05-31;{amount}\n",
            encoding="utf-8",
        )
        return InputFile(path, table="invoices")

    with Workspace(tmp_path / "w.duckdb") as ws:
        cur = ws.cursor()
        assert itemcache.enabled(cur)
        first = load_files(ws, [ledger("X", "100,00")], bounded=False).dataset_id
        assert aging.totals_by_currency(cur, D, dataset_id=first)["EUR"][0] == Decimal("100.00")
        assert ws.delete_dataset(first)
        second = load_files(ws, [ledger("Y", "250,00")], bounded=False).dataset_id
        assert second == first
        assert aging.totals_by_currency(cur, D, dataset_id=second)["EUR"][0] == Decimal("250.00")


def test_closing_the_workspace_removes_the_cache_file(tmp_path):
    from analytics.store import Workspace

    ws = Workspace(tmp_path / "w.duckdb")
    sql = "SELECT path FROM duckdb_databases() WHERE database_name = 'encours_cache'"
    folder = Path(ws.cursor().execute(sql).fetchall()[0][0]).parent
    assert folder.is_dir()
    ws.close()
    assert not folder.exists()


def test_a_total_read_from_the_ledger_is_remembered_until_its_dataset_is_forgotten(tmp_path):
    """Invoice 1,000.00 on 2024-01-10: AR at 2024-03-31 is 1,000.00. A payment of 400.00 on
    2024-02-01 written behind the cache's back is not seen while the total is remembered
    (proof that it is); once the dataset is forgotten, AR is 1,000.00 - 400.00 = 600.00."""
    d = date(2024, 3, 31)
    con = make_ledger(
        tmp_path / "w.duckdb", [inv("F1", "C1", date(2024, 1, 10), "1000.00", date(2024, 2, 9))]
    )
    itemcache.enable(con)
    try:
        assert aging.ar_by_currency(con, d, dataset_id=1) == {"EUR": Decimal("1000.00")}
        con.execute(
            "INSERT INTO payments (dataset_id, payment_date, amount, invoice_id) "
            "VALUES (1, DATE '2024-02-01', 400.00, 'F1')"
        )
        assert aging.ar_by_currency(con, d, dataset_id=1) == {"EUR": Decimal("1000.00")}
        itemcache.forget(con, 1)
        assert aging.ar_by_currency(con, d, dataset_id=1) == {"EUR": Decimal("600.00")}
        only = Filters(customer_id=("C1",))
        assert aging.ar_by_currency(con, d, dataset_id=1, filters=only) == {
            "EUR": Decimal("600.00")
        }
    finally:
        itemcache.disable(con)
        con.close()


def test_late_payment_figures_from_the_cache_equal_the_uncached_ones(tmp_path):
    """The late invoices of the whole sample ledger are computed once per rate set and kept
    beside the open items; every filter read from them gives the uncached query's rows."""
    from analytics.pipeline import InputFile, load_files
    from analytics.store import Workspace
    from tests.test_golden import SAMPLE

    ws = Workspace(tmp_path / "s.duckdb")
    ds = load_files(ws, [InputFile(p) for p in sorted(SAMPLE.glob("*.csv"))]).dataset_id
    d = date(2026, 10, 31)
    con = ws.cursor()
    entity, country, customer, segment = con.execute(
        "SELECT entity, country, customer_id, (SELECT min(segment) FROM customers) "
        "FROM invoices ORDER BY invoice_id LIMIT 1"
    ).fetchall()[0]
    cases = [
        Filters(),
        Filters(currency=("EUR",)),
        Filters(segment=(segment,)),
        Filters(entity=(entity,), country=(country,)),
        Filters(customer_id=(customer,)),
        Filters(currency=("USD",)),
        Filters(currency=("JPY",)),  # none in the sample
    ]

    def figures():
        out = []
        for f in cases:
            kw = {"dataset_id": ds, "filters": f}
            out.append(
                (
                    legal_fr.legal_totals(con, d, **kw),
                    legal_fr.late_invoices(con, d, **kw),
                    legal_fr.late_invoices(con, d, open_only=True, **kw),
                    legal_fr.penalties_by_customer(con, d, **kw),
                    legal_fr.penalties_by_customer(con, d, margin=Decimal("3"), **kw),
                    legal_fr.terms_breach_count(con, d, **kw),
                )
            )
        return out

    plain = figures()
    itemcache.enable(con)
    cached = figures()
    for want, got in zip(plain, cached, strict=True):
        for a, b in zip(want[:5], got[:5], strict=True):
            assert list(b.columns) == list(a.columns)
            assert b.equals(a), (a.head(), b.head())
        assert got[5] == want[5]
    # Not vacuous: the whole ledger has late invoices, the customer filter fewer.
    assert 0 < len(plain[4][1]) < len(plain[0][1])
    assert not plain[5][0].empty and plain[6][0].empty
    # The late invoices of each rate set (the default margin and 3 points) and their sums per
    # customer for the book-level totals (asked with the default margin only), at D only.
    derived = con.execute("SELECT entry, key FROM encours_cache.derived_tables").fetchall()
    assert sorted(k.split()[0] for _, k in derived) == ["legal_late", "legal_late", "legal_sums"]
    assert len({e for e, _ in derived}) == 1
    itemcache.forget(con, ds)
    left = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'encours_cache' "
        "AND table_name LIKE 'dv_%'"
    ).fetchall()[0][0]
    assert left == 0
    assert con.execute("SELECT count(*) FROM encours_cache.derived_tables").fetchall()[0][0] == 0
    ws.close()


def test_a_derived_table_is_dropped_with_its_date(tmp_path, monkeypatch):
    """Small ledger: A1 (due 05-01) and B2 (due 06-15) still open at D, B1 (due 05-15) paid
    late by B's cash on 06-20; all three are late. The derived table of their penalties lives
    as long as the open items of its date."""
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    monkeypatch.setattr(itemcache, "MAX_ENTRIES", 1)
    monkeypatch.setattr(itemcache, "KEEP_SECONDS", 0.0)
    late = legal_fr.late_invoices(con, D, dataset_id=1)
    assert list(zip(late["invoice_id"], late["status"], strict=True)) == [
        ("A1", "open"),
        ("B1", "paid_late"),
        ("B2", "open"),
    ]
    assert con.execute("SELECT count(*) FROM encours_cache.derived_tables").fetchall()[0][0] == 1
    itemcache.items_sql(con, 1, date(2024, 6, 1))  # another date pushes D out
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'encours_cache' "
        "AND (table_name LIKE 'dv_%' OR table_name LIKE 'oi_%')"
    ).fetchall()
    assert len(tables) == 1 and tables[0][0].startswith("oi_")
    assert con.execute("SELECT count(*) FROM encours_cache.derived_tables").fetchall()[0][0] == 0
    # Asked again, D's late invoices are computed again, the same.
    assert legal_fr.late_invoices(con, D, dataset_id=1).equals(late)
    with pytest.raises(ValueError, match="not a derived table"):
        itemcache._derived_name("oi_1; DROP TABLE x")


def test_a_cache_enabled_without_derived_rows_answers_every_legal_figure_uncached(tmp_path):
    """``enable(derive=False)``, as the one-shot ``kpis`` command opens its workspace: the open
    items are cached, no late-invoice rows are written however often they are asked for, the
    figures are the same and forgetting the dataset still works."""
    con = small_ledger(tmp_path)
    plain = legal_fr.late_invoices(con, D, dataset_id=1)
    itemcache.enable(con, derive=False)
    for _ in range(3):
        assert legal_fr.late_invoices(con, D, dataset_id=1).equals(plain)
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'encours_cache'"
        ).fetchall()
    }
    assert "derived_tables" not in tables and not any(t.startswith("dv_") for t in tables)
    assert any(t.startswith("oi_") for t in tables)  # the open items are still cached
    # The late invoices went through a temporary table, dropped after each figure.
    assert legal_fr.legal_summary(con, D, dataset_id=1)["late_invoices"] == 3
    temporary = "SELECT count(*) FROM duckdb_tables() WHERE temporary"
    assert con.execute(temporary).fetchall()[0][0] == 0
    itemcache.forget(con, 1)
    assert con.execute("SELECT count(*) FROM encours_cache.entries").fetchall()[0][0] == 0


def test_a_workspace_opened_for_one_overview_keeps_no_derived_rows(tmp_path):
    from analytics.store import Workspace

    with Workspace(tmp_path / "w.duckdb", derive=False) as ws:
        cur = ws.cursor()
        assert itemcache.enabled(cur)
        key = "k"
        built = [
            itemcache.derived(cur, 1, D, key, lambda items: f"SELECT * FROM ({items})", {})
            for _ in range(2)
        ]
        assert built == [None, None]
    with Workspace(tmp_path / "w.duckdb") as ws:
        cur = ws.cursor()
        name = itemcache.derived(
            cur, 1, D, "k", lambda items: f"SELECT * FROM ({items})", asof.params(1, D)
        )
        assert name is not None and name.startswith("encours_cache.dv_")


def test_the_overview_sums_hold_one_row_per_customer_and_give_the_hand_computed_figures(
    tmp_path,
):
    """The small ledger of small_ledger at D = 2024-06-30, through the cached sums.

    Rows of the grain: A (SME) and B (Large), one currency.
    - A: A1 open 60.00, dpd = 06-30 - 05-01 = 60 -> bucket 31-60; 1 item, 1 document.
    - B: B1 open 0.00 (settled on 06-20; dpd = 06-30 - 05-15 = 46 -> bucket 31-60 with
      0.00, not counted as an item), B2 open 150.00, dpd = 06-30 - 06-15 = 15 -> bucket 1-30;
      1 item with a balance, 2 documents.
    AR = 60.00 + 150.00 = 210.00, all overdue. D - 90 = 2024-04-01, so the window (04-01, 06-30]
    leaves A1 out: sales = 100.00 + 200.00 = 300.00, dso_period = 210 / 300 x 90 = 63.0 days.
    Settled in (D-365, D]: B1 only, 100.00, paid 06-20 - 05-15 = 36 days late and
    06-20 - 04-15 = 66 days after its invoice date.
    """
    con = small_ledger(tmp_path)
    itemcache.enable(con)
    o = kpis.overview(con, D, dataset_id=1, filters=Filters(currency=("EUR",)))
    grain = kpis._grain(con, 1, D, kpis.Settings())
    assert grain is not None
    rows = con.execute(
        f"SELECT customer_id, segment, total, c0, c1, c2, n, docs FROM {grain} ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("A", "SME", Decimal("60.00"), None, None, Decimal("60.00"), 1, 1),
        ("B", "Large", Decimal("150.00"), None, Decimal("150.00"), Decimal("0.00"), 1, 2),
    ]
    assert o["outstanding"] == Decimal("210.00") and o["overdue"] == Decimal("210.00")
    assert [b["amount"] for b in o["aging"]][:3] == [
        Decimal("0.00"),
        Decimal("150.00"),
        Decimal("60.00"),
    ]
    assert (o["invoices"], o["customers_with_balance"]) == (3, 2)
    assert o["sales_period"] == Decimal("300.00")
    assert o["dso_period"] == pytest.approx(63.0)
    pay = o["payment"]
    assert (pay["invoices"], pay["amount"]) == (1, Decimal("100.00"))
    assert (pay["avg_days_to_pay"], pay["weighted_days_late"]) == (66.0, 36.0)
    assert pay["on_time_rate"] == 0.0
    # One customer filter reads B's row alone.
    b = kpis.overview(con, D, dataset_id=1, filters=Filters(customer_id=("B",)))
    assert (b["outstanding"], b["invoices"], b["customers_with_balance"]) == (
        Decimal("150.00"),
        2,
        1,
    )
