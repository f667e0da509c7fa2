-- The late invoices (CTE late_items of legal_late.sql) counted and added up per customer,
-- segment, entity, country and currency: the rows behind the book-level legal figures.
SELECT customer_id, segment, entity, country, currency,
       COUNT(*) AS late_invoices,
       COUNT(*) FILTER (WHERE eligible) AS eligible_invoices,
       COUNT(*) FILTER (WHERE rate_missing) AS rate_missing,
       SUM(penalty) AS penalty,
       SUM(indemnity_eur) AS indemnity_eur
FROM late_items
GROUP BY customer_id, segment, entity, country, currency
