-- Payment behaviour per customer; appended to behaviour_settled.sql.
-- $split is months_before(as_of, 3): "recent" is settled after it, "prior" on or before it.
, per_customer AS (
    SELECT customer_id,
           MAX(customer_name) AS customer_name,
           COUNT(*) AS invoices,
           SUM(amount) AS amount,
           CAST(SUM(amount * days_to_pay) AS DOUBLE) / NULLIF(CAST(SUM(amount) AS DOUBLE), 0)
               AS avg_days_to_pay,
           CAST(SUM(amount * days_late) AS DOUBLE) / NULLIF(CAST(SUM(amount) AS DOUBLE), 0)
               AS weighted_days_late,
           CAST(SUM(days_late) AS DOUBLE) / NULLIF(COUNT(*), 0) AS avg_days_late,
           CAST(SUM(on_time) AS DOUBLE) / NULLIF(COUNT(*), 0) AS on_time_rate,
           CAST(quantile_cont(days_late, 0.5) AS DOUBLE) AS median_days_late,
           CAST(quantile_cont(days_late, 0.9) AS DOUBLE) AS p90_days_late,
           CAST(SUM(days_late) FILTER (WHERE settle_date > $split) AS DOUBLE)
               / NULLIF(COUNT(*) FILTER (WHERE settle_date > $split), 0) AS days_late_recent,
           CAST(SUM(days_late) FILTER (WHERE settle_date <= $split) AS DOUBLE)
               / NULLIF(COUNT(*) FILTER (WHERE settle_date <= $split), 0) AS days_late_prior
    FROM settled
    GROUP BY customer_id
)
SELECT *, days_late_recent - days_late_prior AS trend
FROM per_customer
ORDER BY customer_id
