-- One row per invoice whose terms breach the legal maximum; appended to legal_terms.sql.
SELECT * EXCLUDE (entity, country) FROM breaches ORDER BY customer_id, invoice_date, invoice_id
