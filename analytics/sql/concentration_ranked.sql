-- Concentration (kpi-spec section 5): customers with a positive balance, ranked.
-- Parameters: those of analytics.asof.params(), $basis ('outstanding', 'overdue' or
-- 'revenue') and $window_start (DATE, start of the revenue window, exclusive).
-- Balances are kept per (customer, currency); windows are partitioned by currency.
WITH
oi AS (
    {open_items}
),
bal AS (
    SELECT customer_id, MAX(customer_name) AS customer_name, currency,
           SUM(CASE
                   WHEN $basis = 'outstanding' THEN open_amount
                   WHEN $basis = 'overdue' AND dpd > 0 THEN open_amount
                   WHEN $basis = 'revenue' AND kind <> 'unapplied'
                        AND invoice_date > $window_start THEN amount
                   ELSE CAST(0 AS DECIMAL(18,2))
               END) AS balance
    FROM oi
    GROUP BY customer_id, currency
),
pos AS (
    SELECT customer_id, customer_name, currency, CAST(balance AS DECIMAL(18,2)) AS balance
    FROM bal
    WHERE balance > 0
),
desc_ranked AS (
    SELECT customer_id, customer_name, currency, balance,
           SUM(balance) OVER (PARTITION BY currency) AS total,
           COUNT(*) OVER (PARTITION BY currency) AS n,
           ROW_NUMBER() OVER (
               PARTITION BY currency ORDER BY balance DESC, customer_id) AS rank_desc,
           SUM(balance) OVER (
               PARTITION BY currency ORDER BY balance DESC, customer_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_desc
    FROM pos
),
ranked AS (
    -- The ascending order (balance, customer_id DESC) is the descending one reversed, so one
    -- sort gives both: rank_asc = n + 1 - rank_desc, and cum_asc, the balances at or after
    -- the row in the descending order, = total - cum_desc + balance.
    SELECT *,
           n + 1 - rank_desc AS rank_asc,
           total - cum_desc + balance AS cum_asc
    FROM desc_ranked
)
