-- Credit figures per segment and currency; appended to credit_customers.sql.
-- utilisation = balance of the customers with a limit / sum of their limits.
SELECT segment, currency,
       COUNT(*) AS customers,
       CAST(SUM(balance) AS DECIMAL(18,2)) AS balance,
       COUNT(*) FILTER (WHERE credit_limit IS NOT NULL AND limit_applies) AS with_limit,
       CAST(SUM(credit_limit) FILTER (WHERE limit_applies) AS DECIMAL(18,2)) AS credit_limit,
       CAST(SUM(balance) FILTER (WHERE credit_limit IS NOT NULL AND limit_applies)
            AS DOUBLE)
           / NULLIF(CAST(SUM(credit_limit) FILTER (WHERE limit_applies) AS DOUBLE), 0)
           AS utilisation,
       COUNT(*) FILTER (WHERE breach) AS breaches,
       CAST(COALESCE(SUM(balance - credit_limit) FILTER (WHERE breach), 0) AS DECIMAL(18,2))
           AS amount_over_limit,
       CAST(COALESCE(SUM(uninsured_exposure), 0) AS DECIMAL(18,2)) AS uninsured_exposure
FROM credit
GROUP BY segment, currency
ORDER BY segment NULLS LAST, currency
