-- Book-level payment behaviour; appended to behaviour_settled.sql.
SELECT COUNT(*) AS invoices,
       CAST(COALESCE(SUM(amount), 0) AS DECIMAL(18,2)) AS amount,
       CAST(SUM(amount * days_to_pay) AS DOUBLE) / NULLIF(CAST(SUM(amount) AS DOUBLE), 0)
           AS avg_days_to_pay,
       CAST(SUM(amount * days_late) AS DOUBLE) / NULLIF(CAST(SUM(amount) AS DOUBLE), 0)
           AS weighted_days_late,
       CAST(SUM(days_late) AS DOUBLE) / NULLIF(COUNT(*), 0) AS avg_days_late,
       CAST(SUM(on_time) AS DOUBLE) / NULLIF(COUNT(*), 0) AS on_time_rate
FROM settled
