-- What-if: the $top_n customers with the largest overdue amount at $as_of (analytics.whatif).
-- Placeholder open_items = analytics.asof.open_items_sql(settle=False). Ties by customer id.
WITH
oi AS (
    {open_items}
),
per_customer AS (
    SELECT customer_id, currency,
           CAST(SUM(open_amount) FILTER (WHERE dpd > 0) AS DECIMAL(18,2)) AS overdue
    FROM oi
    GROUP BY customer_id, currency
)
SELECT customer_id, currency, overdue
FROM per_customer
WHERE overdue > 0
ORDER BY overdue DESC, customer_id
LIMIT $top_n
