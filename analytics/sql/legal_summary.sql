-- Book-level legal figures per currency, from the late invoices added up per customer
-- (late_sums: the rows of legal_late_sums.sql that pass the filters).
SELECT currency,
       CAST(SUM(late_invoices) AS BIGINT) AS late_invoices,
       CAST(SUM(eligible_invoices) AS BIGINT) AS eligible_invoices,
       CASE WHEN SUM(rate_missing) > 0 THEN NULL
            ELSE CAST(COALESCE(SUM(penalty), 0) AS DECIMAL(18,2)) END AS penalties,
       CAST(COALESCE(SUM(indemnity_eur), 0) AS DECIMAL(18,2)) AS indemnities_eur
FROM late_sums
GROUP BY currency
ORDER BY currency
