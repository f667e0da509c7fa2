-- The rows of the write-off ratio over ($window_start, $as_of] (kpi-spec section 6): the
-- write-offs (is_write_off = 1) and the sales (is_write_off = 0) of the window, each with the
-- customer, segment, entity, country and currency of its open item.
-- Parameters: those of analytics.asof.params() plus $window_start (DATE, exclusive).
-- Write-offs count when their invoice is an open item at D that passes the filters.
WITH
oi AS (
    {open_items}
)
SELECT oi.customer_id, oi.segment, oi.entity, oi.country, oi.currency,
       w.amount, w.amount_excl_tax, 1 AS is_write_off
FROM write_offs AS w
JOIN oi ON oi.invoice_id = w.invoice_id
WHERE w.dataset_id = $dataset_id
  AND w.write_off_date > $window_start
  AND w.write_off_date <= $as_of
UNION ALL
SELECT customer_id, segment, entity, country, currency,
       amount, amount_excl_tax, 0 AS is_write_off
FROM oi
WHERE kind <> 'unapplied' AND invoice_date > $window_start
