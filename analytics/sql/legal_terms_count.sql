-- The number of invoices whose terms breach the legal maximum; appended to legal_terms.sql.
SELECT count(*) AS breaches FROM breaches
