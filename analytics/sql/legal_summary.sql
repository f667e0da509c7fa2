-- Book-level legal figures per currency; appended to legal_late.sql.
SELECT currency,
       COUNT(*) AS late_invoices,
       COUNT(*) FILTER (WHERE eligible) AS eligible_invoices,
       CASE WHEN COUNT(*) FILTER (WHERE rate_missing) > 0 THEN NULL
            ELSE CAST(COALESCE(SUM(penalty), 0) AS DECIMAL(18,2)) END AS penalties,
       CAST(COALESCE(SUM(indemnity_eur), 0) AS DECIMAL(18,2)) AS indemnities_eur
FROM late_items
GROUP BY currency
ORDER BY currency
