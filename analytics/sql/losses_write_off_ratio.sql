-- Write-off ratio over ($window_start, $as_of] (kpi-spec section 6), per currency.
-- Parameters: those of analytics.asof.params() plus $window_start (DATE, exclusive).
-- Write-offs count when their invoice is an open item at D that passes the filters.
-- Basis: excluding tax when every write-off and every invoice of the window has an
-- amount_excl_tax, else including tax on both sides.
WITH
oi AS (
    {open_items}
),
wo AS (
    SELECT oi.currency, w.amount, w.amount_excl_tax, 1 AS is_write_off
    FROM write_offs AS w
    JOIN oi ON oi.invoice_id = w.invoice_id
    WHERE w.dataset_id = $dataset_id
      AND w.write_off_date > $window_start
      AND w.write_off_date <= $as_of
),
sold AS (
    SELECT currency, amount, amount_excl_tax, 0 AS is_write_off
    FROM oi
    WHERE kind <> 'unapplied' AND invoice_date > $window_start
),
both_sides AS (
    SELECT currency, amount, amount_excl_tax, is_write_off FROM wo
    UNION ALL
    SELECT currency, amount, amount_excl_tax, is_write_off FROM sold
),
totals AS (
    SELECT currency,
           COUNT(*) FILTER (WHERE amount_excl_tax IS NULL) = 0 AS excl_tax,
           COALESCE(SUM(amount) FILTER (WHERE is_write_off = 1), 0) AS wo_incl,
           COALESCE(SUM(amount_excl_tax) FILTER (WHERE is_write_off = 1), 0) AS wo_excl,
           COALESCE(SUM(amount) FILTER (WHERE is_write_off = 0), 0) AS sales_incl,
           COALESCE(SUM(amount_excl_tax) FILTER (WHERE is_write_off = 0), 0) AS sales_excl
    FROM both_sides
    GROUP BY currency
),
chosen AS (
    SELECT currency,
           CASE WHEN excl_tax THEN 'excl_tax' ELSE 'incl_tax' END AS basis,
           CAST(CASE WHEN excl_tax THEN wo_excl ELSE wo_incl END AS DECIMAL(18,2)) AS write_offs,
           CAST(CASE WHEN excl_tax THEN sales_excl ELSE sales_incl END AS DECIMAL(18,2)) AS sales
    FROM totals
)
SELECT currency, basis, write_offs, sales,
       CASE WHEN sales > 0 THEN CAST(write_offs AS DOUBLE) / CAST(sales AS DOUBLE) END AS ratio
FROM chosen
ORDER BY currency
