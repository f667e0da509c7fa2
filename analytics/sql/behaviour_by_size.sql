-- Typical delay by invoice size; appended to behaviour_settled.sql.
-- Size bands by amount (incl. tax) with inclusive upper bounds $edges (DECIMAL[] ascending);
-- band k (1-based) holds amounts in (edges[k-1], edges[k]], the last band everything above.
SELECT band,
       COUNT(*) AS invoices,
       CAST(SUM(amount) AS DECIMAL(18,2)) AS amount,
       CAST(SUM(days_late) AS DOUBLE) / COUNT(*) AS avg_days_late,
       quantile_cont(days_late, 0.5) AS median_days_late,
       CAST(SUM(on_time) AS DOUBLE) / COUNT(*) AS on_time_rate
FROM (
    SELECT s.*, 1 + (SELECT COUNT(*) FROM (SELECT unnest($edges) AS e) b WHERE b.e < s.amount)
           AS band
    FROM settled s
    WHERE $customer IS NULL OR s.customer_id = $customer
)
GROUP BY band
ORDER BY band
