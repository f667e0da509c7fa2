-- One row per customer and currency; appended to credit_customers.sql.
SELECT * FROM credit ORDER BY customer_id, currency
