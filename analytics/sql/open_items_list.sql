-- Open items at $as_of, every column, in a stable order (drill-down).
WITH oi AS (
{open_items}
)
SELECT *
FROM oi
ORDER BY customer_id, invoice_id NULLS LAST, kind
