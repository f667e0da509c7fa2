-- One row per late invoice; appended to legal_late.sql.
SELECT * EXCLUDE (entity, country)
FROM late_items
ORDER BY customer_id, due_date, invoice_id
