-- One row per customer with its rank and cumulative shares; appended to
-- concentration_ranked.sql. Pareto: descending order; Lorenz: ascending order.
SELECT currency, customer_id, customer_name, balance, total, n, rank_desc, rank_asc,
       CAST(balance AS DOUBLE) / CAST(total AS DOUBLE) AS share,
       CAST(cum_desc AS DOUBLE) / CAST(total AS DOUBLE) AS cum_share_desc,
       CAST(rank_asc AS DOUBLE) / n AS lorenz_x,
       CAST(cum_asc AS DOUBLE) / CAST(total AS DOUBLE) AS lorenz_y
FROM ranked
ORDER BY currency, rank_desc
