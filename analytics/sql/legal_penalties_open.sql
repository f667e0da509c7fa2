-- One row per late invoice still open at $as_of; appended to legal_late.sql.
SELECT * EXCLUDE (entity, country)
FROM late_items
WHERE status = 'open'
ORDER BY customer_id, due_date, invoice_id
