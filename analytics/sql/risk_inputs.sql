-- Inputs of the customer risk score at $as_of, per customer and currency.
-- Placeholder open_items = analytics.asof.open_items_sql(settle=False).
WITH
oi AS (
    {open_items}
),
per_customer AS (
    SELECT customer_id, currency,
           MAX(customer_name) AS customer_name,
           CAST(SUM(open_amount) AS DECIMAL(18,2)) AS balance,
           CAST(COALESCE(SUM(open_amount) FILTER (WHERE dpd > 0), 0) AS DECIMAL(18,2))
               AS overdue,
           COALESCE(MAX(dpd) FILTER (WHERE open_amount > 0 AND kind = 'invoice'), 0)
               AS oldest_dpd,
           CAST(COALESCE(SUM(open_amount) FILTER (WHERE disputed AND open_amount > 0), 0)
                AS DECIMAL(18,2)) AS disputed,
           BOOL_OR(collective_procedure) AS collective_procedure
    FROM oi
    GROUP BY customer_id, currency
    HAVING bool_or(open_amount <> 0)
)
SELECT p.*,
       CAST(p.balance AS DOUBLE)
           / NULLIF(CAST(SUM(GREATEST(p.balance, 0)) OVER (PARTITION BY p.currency) AS DOUBLE), 0)
           AS book_share
FROM per_customer AS p
ORDER BY p.customer_id, p.currency
