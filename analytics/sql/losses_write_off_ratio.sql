-- Write-off ratio over ($window_start, $as_of] (kpi-spec section 6), per currency.
-- Parameters: those of analytics.asof.params() plus $window_start (DATE, exclusive).
-- Basis: excluding tax when every write-off and every invoice of the window has an
-- amount_excl_tax, else including tax on both sides.
WITH
both_sides AS (
{write_off_rows}
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
