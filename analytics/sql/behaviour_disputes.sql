-- Disputes and doubtful status per customer and currency at $as_of (payment profile).
-- Placeholder open_items = analytics.asof.open_items_sql(settle=False).
-- Parameters: those of analytics.asof.params() plus $after_days (INTEGER).
-- Items: invoices with a positive open amount at D. Flagged doubtful as in losses_doubtful.sql:
-- the invoice is flagged doubtful (no date, or a date on or before D) or its customer is in a
-- collective procedure; age-based: not flagged and dpd > $after_days.
WITH
oi AS (
    {open_items}
),
classified AS (
    SELECT customer_id, customer_name, currency, open_amount, dpd, disputed,
           collective_procedure,
           ((doubtful AND (doubtful_date IS NULL OR doubtful_date <= $as_of))
            OR collective_procedure) AS flagged
    FROM oi
    WHERE kind = 'invoice' AND open_amount > 0
),
per_customer AS (
    SELECT customer_id, MAX(customer_name) AS customer_name, currency,
           COUNT(*) AS open_items,
           CAST(SUM(open_amount) AS DECIMAL(18,2)) AS open_amount,
           COUNT(*) FILTER (WHERE disputed) AS disputed_items,
           CAST(COALESCE(SUM(open_amount) FILTER (WHERE disputed), 0) AS DECIMAL(18,2))
               AS disputed_amount,
           COUNT(*) FILTER (WHERE flagged) AS doubtful_items,
           CAST(COALESCE(SUM(open_amount) FILTER (WHERE flagged), 0) AS DECIMAL(18,2))
               AS doubtful_flagged,
           CAST(COALESCE(SUM(open_amount) FILTER (WHERE NOT flagged AND dpd > $after_days), 0)
                AS DECIMAL(18,2)) AS doubtful_age_based,
           BOOL_OR(collective_procedure) AS collective_procedure
    FROM classified
    GROUP BY customer_id, currency
)
SELECT *,
       CASE WHEN collective_procedure THEN 'collective_procedure'
            WHEN doubtful_flagged > 0 THEN 'flagged'
            WHEN doubtful_age_based > 0 THEN 'age_based'
            ELSE 'none' END AS doubtful_status
FROM per_customer
ORDER BY customer_id, currency
