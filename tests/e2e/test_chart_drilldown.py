"""Every chart drills down, in a real headless Chromium: a click on a bar or a point of each
chart that takes a selection (overview DSO trend, month-end aged balance and DSO bridge, aged
balance by bucket and roll-rate matrix, Pareto and Lorenz curves of the concentration page,
provision bars of the losses page), and on a row of the two tables that take one (customers,
collections worklist), shows the invoices or the customer behind it.

Each test clicks the drawn SVG element (or the row marker of the grid) at its centre, as a
user does, then checks that the drill-down names the selected item and that its figures are
the analytics' figures for that selection, computed here on a copy of the same sample. One
server and one browser context serve the module; every test opens its page in a new tab (a
new Streamlit session). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
import pytest
from playwright.sync_api import expect

from analytics import credit_views, history, i18n, views
from analytics.config import Filters, Settings, bucket_labels
from analytics.store import Workspace
from pages import formatting
from tests.e2e.support import TIMEOUT_MS, copy_workspace, no_error, shot

pytestmark = pytest.mark.e2e

LANG = "fr"
#: Rows of a drill-down table compared cell by cell (the grid draws the first rows).
ROWS_CHECKED = 5
#: Columns of ``views.INVOICE_COLUMNS`` in a drill-down table.
INVOICE_ID_COL = views.INVOICE_COLUMNS.index("invoice_id")
OPEN_AMOUNT_COL = views.INVOICE_COLUMNS.index("open_amount")


@dataclass(frozen=True)
class Book:
    """The analytics on a copy of the sample the server shows, with the app's defaults: the
    newest dataset, its default as-of date, its first currency, the default settings."""

    con: duckdb.DuckDBPyConnection
    dataset_id: int
    as_of: date
    filters: Filters
    settings: Settings
    currency: str

    @property
    def labels(self) -> list[str]:
        return bucket_labels(tuple(self.settings.bucket_edges))

    def view(self, name: str, *, at: date | None = None, facade: Any = views, **kw: Any) -> Any:
        fn = getattr(facade, name)
        return fn(
            self.con,
            at or self.as_of,
            dataset_id=self.dataset_id,
            filters=self.filters,
            settings=self.settings,
            **kw,
        )

    def money(self, values: Any) -> list[str]:
        return formatting.format_values(values, "money", LANG, self.currency)


@pytest.fixture(scope="module")
def book(sample_file, tmp_path_factory) -> Iterator[Book]:
    path = copy_workspace(sample_file, tmp_path_factory.mktemp("drill_book"))
    with Workspace(path) as ws:
        con = ws.cursor()
        dataset_id = ws.datasets()[-1].dataset_id
        as_of = views.default_as_of(con, dataset_id)
        assert as_of is not None
        currency = views.filter_options(con, dataset_id)["currency"][0]
        yield Book(con, dataset_id, as_of, Filters(currency=(currency,)), Settings(), currency)
        con.close()


@pytest.fixture(scope="module")
def browsing(browser):
    """One browser context for the module: its tabs share the cached scripts of the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    yield context
    context.close()


@pytest.fixture
def tab(browsing):
    pg = browsing.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    pg.close()


def drawn(tab, last: str) -> None:
    """Wait until the page has drawn down to the text ``last``, without an error."""
    tab.get_by_text(last, exact=True).first.wait_for()
    no_error(tab)


def steady_box(target) -> dict[str, float]:
    """The bounding box of ``target`` once it holds still for a moment (a chart is laid out
    again when it takes the width of its column)."""
    target.scroll_into_view_if_needed()
    box, deadline = None, time.monotonic() + TIMEOUT_MS / 1000
    while True:
        again = target.bounding_box()
        if again is not None and again == box:
            return box
        assert time.monotonic() < deadline, "the element never held still"
        box = again
        time.sleep(0.3)


def click_centre(tab, target) -> None:
    """A mouse click at the centre of ``target`` (a drawn bar or marker)."""
    box = steady_box(target)
    assert box["width"] > 1 and box["height"] > 1, box
    tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def chart(tab, key: str):
    """The Plotly chart of widget key ``key``, once drawn."""
    found = tab.locator(f".st-key-{key} .js-plotly-plot")
    found.locator(".trace").first.wait_for()
    return found


def bar(tab, key: str, trace: int, index: int):
    return chart(tab, key).locator(".trace.bars").nth(trace).locator(".point path").nth(index)


def marker(tab, key: str, trace: int, index: int):
    return chart(tab, key).locator(".trace.scatter").nth(trace).locator(".points path").nth(index)


def drill_caption(tab, parts: list[str]):
    """Wait for the drill-down caption ``part — part — ...``, the only one; the grid under it."""
    caption = tab.get_by_text(" — ".join(parts), exact=True)
    caption.wait_for()
    assert caption.count() == 1
    assert tab.get_by_role("heading", name=i18n.t("drill_title", LANG)).count() == 1
    return following_grid(caption)


def following_grid(anchor):
    """The first data grid after ``anchor`` in the page."""
    return anchor.locator('xpath=following::*[@data-testid="stDataFrame"][1]')


def cell(grid, column: int, row: int):
    """A cell of ``grid`` in its accessible table (a grid that takes a row selection has its
    row marker in column 0)."""
    return grid.locator(f'[data-testid="glide-cell-{column}-{row}"]')


def expect_column(grid, column: int, texts: list[str]) -> None:
    """The first rows of ``column`` of ``grid`` read ``texts`` (waiting for the grid to show
    its new rows after a rerun)."""
    for row, text in enumerate(texts):
        expect(cell(grid, column, row)).to_have_text(text, timeout=TIMEOUT_MS)


def expect_invoice_rows(tab, grid, frame: pd.DataFrame, book: Book) -> None:
    """The first rows of a drill-down table are the first rows of ``frame``."""
    head = frame.head(ROWS_CHECKED)
    expect_column(grid, INVOICE_ID_COL, [str(v) for v in head["invoice_id"]])
    expect_column(grid, OPEN_AMOUNT_COL, book.money(head["open_amount"]))
    no_error(tab)


def total(frame: pd.DataFrame) -> Decimal:
    return sum(frame["open_amount"], Decimal("0.00"))


def test_the_overview_charts_drill_down_to_the_invoices_of_the_point_clicked_last(
    server, tab, book
):
    """A bar of the month-end aged balance gives the invoices of its bucket at its month end;
    a point of the DSO trend clicked next (while the bar stays selected) gives every invoice
    open at its month end. Each drill-down adds up to the figure drawn."""
    tab.goto(server)
    hist = book.view("dso_history")
    drawn(tab, i18n.t("report_title", LANG))

    bucket, month = book.labels[2], len(hist) - 3
    at = hist["month_end"].iloc[month]
    click_centre(tab, bar(tab, "aging_history", book.labels.index(bucket), month))
    frame = book.view("open_invoices", at=at, bucket=bucket)
    grid = drill_caption(
        tab, [i18n.bucket_label(bucket, LANG), i18n.fmt_date(at, LANG), str(len(frame))]
    )
    assert total(frame) == hist[bucket].iloc[month]
    expect_invoice_rows(tab, grid, frame, book)
    shot(tab, "chart_drill_overview_aging")

    month = len(hist) - 6
    at = hist["month_end"].iloc[month]
    click_centre(tab, marker(tab, "dso_trend", 0, month))
    frame = book.view("open_invoices", at=at)
    grid = drill_caption(tab, [i18n.fmt_date(at, LANG), str(len(frame))])
    assert tab.get_by_text(i18n.bucket_label(bucket, LANG) + " — ").count() == 0
    assert total(frame) == hist["ar"].iloc[month]
    expect_invoice_rows(tab, grid, frame, book)
    shot(tab, "chart_drill_overview_dso")


def test_a_bar_of_the_aged_balance_shows_the_invoices_of_its_bucket(server, tab, book):
    """The oldest bucket (its label starts with '>', shown as text, not as a quotation)."""
    tab.goto(f"{server}/aged_balance")
    totals = book.view("aged_totals")
    drawn(tab, i18n.t("roll_title", LANG))
    bucket = book.labels[-1]
    click_centre(tab, bar(tab, "aged_buckets", 0, len(book.labels) - 1))
    frame = book.view("open_invoices", bucket=bucket)
    grid = drill_caption(
        tab, [i18n.bucket_label(bucket, LANG), i18n.fmt_date(book.as_of, LANG), str(len(frame))]
    )
    assert total(frame) == totals[bucket]
    expect_invoice_rows(tab, grid, frame, book)
    shot(tab, "chart_drill_aged_balance")


def assert_customer_drill(tab, book: Book, row: pd.Series) -> None:
    """The drill-down names the customer of ``row`` (a Pareto row), lists its open invoices,
    which add up to its outstanding, and links to its page."""
    customer = str(row["customer_id"])
    frame = book.view("open_invoices", customer_id=customer)
    label = i18n.customer_label(row["customer_name"], customer)
    grid = drill_caption(tab, [label, i18n.fmt_date(book.as_of, LANG), str(len(frame))])
    assert total(frame) == row["balance"]
    expect_invoice_rows(tab, grid, frame, book)
    link = tab.locator(f'a[href*="customer?customer={customer}"]')
    assert link.get_by_text(i18n.t("open_customer_page", LANG)).count() == 1


def test_a_bar_or_a_point_of_the_pareto_chart_shows_that_customers_invoices(server, tab, book):
    """The fourth bar, then the sixth point of the cumulative-share line: each time the
    customer of that rank on the outstanding basis."""
    tab.goto(f"{server}/concentration")
    pareto = book.view("concentration_view")["pareto"]
    drawn(tab, i18n.t("conc_top_share", LANG, n=book.settings.top_n))
    click_centre(tab, bar(tab, "pareto", 0, 3))
    assert_customer_drill(tab, book, pareto.iloc[3])
    click_centre(tab, marker(tab, "pareto", 0, 5))
    assert_customer_drill(tab, book, pareto.iloc[5])
    shot(tab, "chart_drill_pareto")


def select_row(tab, grid, row: int) -> None:
    """Click the row marker (left of the first column) of data row ``row`` of ``grid``."""
    box = steady_box(grid.locator("canvas").first)
    header = row_height = 35
    tab.mouse.click(box["x"] + 15, box["y"] + header + row_height * row + row_height / 2)


def customer_links(tab, label: str):
    """The page links whose text is ``label``."""
    return tab.locator('[data-testid="stPageLink"] a').filter(
        has=tab.get_by_text(label, exact=True)
    )


def expect_row_links_to_customer(tab, grid, row: int, customer: str, label: str) -> None:
    """Selecting ``row`` of ``grid`` adds one link ``label`` to the customer's page (other
    links to the same customer may be on the page already)."""
    links = customer_links(tab, label)
    before = links.count()
    select_row(tab, grid, row)
    expect(links).to_have_count(before + 1, timeout=TIMEOUT_MS)
    no_error(tab)
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    assert all(f"customer={customer}" in href for href in hrefs), hrefs


def test_a_row_of_the_customers_table_links_to_that_customers_drill_down(server, tab, book):
    """The third row in the page's default order (balance, largest first)."""
    tab.goto(f"{server}/customers")
    frame = book.view("customers_table", facade=credit_views)
    shown = frame.sort_values(
        ["balance", "customer_id"], ascending=[False, True], kind="stable", na_position="last"
    )
    drawn(tab, credit_views.t("customers_select_hint", LANG))
    grid = tab.locator('[data-testid="stDataFrame"]').first
    row = 2
    picked = shown.iloc[row]
    customer = str(picked["customer_id"])
    expect(cell(grid, 1, row)).to_have_text(customer)
    expect(cell(grid, 4, row)).to_have_text(book.money([picked["balance"]])[0])
    label = i18n.customer_label(picked["customer_name"], customer)
    expect_row_links_to_customer(tab, grid, row, customer, label)
    shot(tab, "chart_drill_customers")


def test_a_row_of_the_collections_worklist_links_to_its_customer(server, tab, book):
    """The third item of the worklist (every stage shown, the page's default)."""
    tab.goto(f"{server}/collections")
    items = book.view("collections_view", facade=credit_views)["items"]
    drawn(tab, credit_views.t("collections_worsening", LANG))
    heading = tab.get_by_role("heading", name=credit_views.t("collections_worklist", LANG))
    grid = following_grid(heading)
    row = 2
    picked = items.iloc[row]
    customer = str(picked["customer_id"])
    expect(cell(grid, 3, row)).to_have_text(customer)
    expect(cell(grid, 5, row)).to_have_text(str(picked["invoice_id"]))
    expect(cell(grid, 8, row)).to_have_text(book.money([picked["open_amount"]])[0])
    label = i18n.customer_label(picked["customer_name"], customer)
    expect_row_links_to_customer(tab, grid, row, customer, label)
    shot(tab, "chart_drill_collections")


def test_the_bars_of_the_dso_bridge_show_the_overdue_then_the_not_due_invoices(server, tab, book):
    """The ADD bar gives every overdue open item at D, which add up to the overview's overdue
    (AR - not due); the best-possible-DSO bar clicked next gives the not-due items."""
    tab.goto(server)
    now = book.view("overview_tiles")["current"]
    drawn(tab, i18n.t("report_title", LANG))
    date_text = i18n.fmt_date(book.as_of, LANG)

    click_centre(tab, bar(tab, "dso_bridge", 0, 1))
    frame = book.view("open_invoices", bucket=views.OVERDUE)
    grid = drill_caption(tab, [i18n.t("col_overdue", LANG), date_text, str(len(frame))])
    assert total(frame) == now["overdue"]
    expect_invoice_rows(tab, grid, frame, book)
    shot(tab, "chart_drill_dso_bridge_add")

    click_centre(tab, bar(tab, "dso_bridge", 0, 0))
    frame = book.view("open_invoices", bucket="not_due")
    grid = drill_caption(tab, [i18n.bucket_label("not_due", LANG), date_text, str(len(frame))])
    assert total(frame) == now["not_due"]
    expect_invoice_rows(tab, grid, frame, book)


def test_a_point_of_the_lorenz_curve_clicked_after_a_pareto_bar_shows_its_customer(
    server, tab, book
):
    """A Pareto bar (the second largest customer), then the point of the Lorenz curve of the
    third largest (the n - 2nd smallest): the later click wins."""
    tab.goto(f"{server}/concentration")
    pareto = book.view("concentration_view")["pareto"]
    drawn(tab, i18n.t("conc_top_share", LANG, n=book.settings.top_n))
    click_centre(tab, bar(tab, "pareto", 0, 1))
    assert_customer_drill(tab, book, pareto.iloc[1])
    n = len(pareto)
    click_centre(tab, marker(tab, "lorenz", 1, n - 2))
    assert_customer_drill(tab, book, pareto.iloc[2])
    shot(tab, "chart_drill_lorenz")


def test_a_bar_of_the_provision_chart_shows_the_invoices_of_its_row(server, tab, book):
    """The row with the largest provision: its items' bases excluding tax add up to the row's
    base, and the row's rate on that base gives the bar."""
    tab.goto(f"{server}/losses")
    rows = book.view("losses_view")["provision"]["rows"]
    drawn(tab, i18n.t("losses_cost_title", LANG))
    index = max(range(len(rows)), key=lambda i: rows[i]["provision"])
    row = rows[index]
    click_centre(tab, bar(tab, "provision_chart", 0, index))
    frame = book.view("provision_invoices", row=row["bucket"])
    grid = drill_caption(
        tab,
        [
            i18n.bucket_label(row["bucket"], LANG),
            i18n.fmt_date(book.as_of, LANG),
            str(len(frame)),
        ],
    )
    base = sum(frame["base"], Decimal("0.00"))
    assert base == row["base"]
    assert (base * row["rate"]).quantize(Decimal("0.01")) == row["provision"]
    expect_invoice_rows(tab, grid, frame, book)
    expect_column(grid, OPEN_AMOUNT_COL + 1, book.money(frame["base"].head(ROWS_CHECKED)))
    shot(tab, "chart_drill_provision")


def test_a_cell_of_the_roll_rate_matrix_shows_the_invoices_that_made_that_move(server, tab, book):
    """The cell 1-30 -> paid: the items in 1-30 at the previous month end, with what was paid
    on each during the month, which add up to the cell's amount in the roll rates."""
    tab.goto(f"{server}/aged_balance")
    matrix = book.view("roll_rate_matrix")
    drawn(tab, i18n.t("roll_title", LANG))
    from_bucket, to = book.labels[1], "paid"
    targets = ["paid", "written_off", *book.labels]
    row = list(matrix["from_bucket"]).index(from_bucket)
    click_centre(tab, marker(tab, "roll_rates", 0, row * len(targets) + targets.index(to)))
    frame = book.view("roll_rate_invoices", from_bucket=from_bucket, to=to)
    previous, month_end = views.roll_rate_month(book.as_of)
    grid = drill_caption(
        tab,
        [
            f"{i18n.bucket_label(from_bucket, LANG)} → {i18n.t('roll_paid', LANG)}",
            f"{i18n.fmt_date(previous, LANG)} → {i18n.fmt_date(month_end, LANG)}",
            str(len(frame)),
        ],
    )
    long = history.roll_rates(
        book.con,
        book.as_of,
        dataset_id=book.dataset_id,
        filters=book.filters,
        months=1,
        edges=tuple(book.settings.bucket_edges),
    )
    cell = long[(long["from_bucket"] == from_bucket) & (long["to"] == to)]
    assert len(cell) == 1 and len(frame) > 0
    assert sum(frame["cell_amount"], Decimal("0.00")) == cell["amount"].iloc[0]
    expect_invoice_rows(tab, grid, frame, book)
    expect_column(grid, OPEN_AMOUNT_COL + 1, book.money(frame["cell_amount"].head(ROWS_CHECKED)))
    shot(tab, "chart_drill_roll_rates")
