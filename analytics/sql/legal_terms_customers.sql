-- Terms breaches per customer and currency; appended to legal_terms.sql.
SELECT customer_id, MAX(customer_name) AS customer_name, currency,
       COUNT(*) AS breaches,
       CAST(SUM(amount) AS DECIMAL(18,2)) AS amount,
       CAST(SUM(open_amount) AS DECIMAL(18,2)) AS open_amount,
       MAX(terms_days) AS max_terms_days
FROM breaches
GROUP BY customer_id, currency
ORDER BY customer_id, currency
