-- Distribution of days late over the settled invoices; appended to behaviour_settled.sql.
-- The bin_case placeholder is analytics.aging.bucket_index_sql over days_late: 0 is on time.
SELECT {bin_case} AS bin, COUNT(*) AS invoices, SUM(amount) AS amount
FROM settled
GROUP BY 1
ORDER BY 1
