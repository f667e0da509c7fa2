-- Concentration figures per currency; appended to concentration_ranked.sql.
-- Shares s_c = balance / total. Gini by the trapezoid rule on the ascending Lorenz curve
-- (X_k = k / n, Y_k = cum_asc_k / total): G = 1 - sum (X_k - X_(k-1)) (Y_k + Y_(k-1))
-- = 1 - (2 sum cum_asc_k - total) / (n total).
SELECT currency,
       COUNT(*) AS customers,
       SUM(balance) AS total,
       CAST(SUM(balance) FILTER (WHERE rank_desc <= $top_n) AS DOUBLE)
           / CAST(SUM(balance) AS DOUBLE) AS top_n_share,
       CAST(SUM(CAST(balance AS DECIMAL(38,2)) * CAST(balance AS DECIMAL(38,2))) AS DOUBLE)
           / (CAST(SUM(balance) AS DOUBLE) * CAST(SUM(balance) AS DOUBLE)) AS sum_sq_shares,
       1 - CAST(2 * SUM(cum_asc) - SUM(balance) AS DOUBLE)
           / (COUNT(*) * CAST(SUM(balance) AS DOUBLE)) AS gini,
       MIN(rank_desc) FILTER (WHERE 5 * cum_desc >= 4 * total) AS customers_for_80pct
FROM ranked
GROUP BY currency
ORDER BY currency
