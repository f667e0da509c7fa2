-- Penalties and indemnities claimable per customer and currency; appended to legal_late.sql.
-- A total is NULL when one of its eligible invoices has no rate (the rate table does not cover it).
SELECT customer_id, MAX(customer_name) AS customer_name, currency,
       COUNT(*) AS late_invoices,
       COUNT(*) FILTER (WHERE status = 'open') AS late_open,
       COUNT(*) FILTER (WHERE status = 'paid_late') AS late_paid,
       CASE WHEN COUNT(*) FILTER (WHERE rate_missing AND status = 'open') > 0 THEN NULL
            ELSE CAST(COALESCE(SUM(penalty) FILTER (WHERE status = 'open'), 0) AS DECIMAL(18,2))
       END AS penalties_open,
       CASE WHEN COUNT(*) FILTER (WHERE rate_missing AND status = 'paid_late') > 0 THEN NULL
            ELSE CAST(COALESCE(SUM(penalty) FILTER (WHERE status = 'paid_late'), 0)
                      AS DECIMAL(18,2))
       END AS penalties_paid,
       CAST(COALESCE(SUM(indemnity_eur) FILTER (WHERE status = 'open'), 0) AS DECIMAL(18,2))
           AS indemnities_open_eur,
       CAST(COALESCE(SUM(indemnity_eur) FILTER (WHERE status = 'paid_late'), 0)
            AS DECIMAL(18,2)) AS indemnities_paid_eur
FROM late_items
GROUP BY customer_id, currency
ORDER BY customer_id, currency
