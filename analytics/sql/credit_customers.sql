-- Credit limits and insurance per customer and currency at $as_of (kpi-spec section 7).
-- Placeholder open_items = analytics.asof.open_items_sql(settle=False). Limits (customers table)
-- are read in the currency of the customer's balance; a customer with balances in several
-- currencies gets no utilisation (limit_applies false) rather than a mixed figure.
WITH
oi AS (
    {open_items}
),
cust AS (
    SELECT customer_id, customer_name, segment, credit_limit, insured_limit
    FROM (
        SELECT customer_id, customer_name, segment, credit_limit, insured_limit,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY line_no) AS rn
        FROM customers
        WHERE dataset_id = $dataset_id
    ) AS c
    WHERE rn = 1
),
bal AS (
    SELECT customer_id, currency,
           MAX(customer_name) AS customer_name,
           MAX(segment) AS item_segment,
           CAST(SUM(open_amount) AS DECIMAL(18,2)) AS balance,
           CAST(COALESCE(SUM(open_amount) FILTER (WHERE dpd > 0), 0) AS DECIMAL(18,2))
               AS overdue
    FROM oi
    GROUP BY customer_id, currency
),
per_customer AS (
    SELECT b.customer_id, COALESCE(c.customer_name, b.customer_name) AS customer_name,
           COALESCE(c.segment, b.item_segment) AS segment, b.currency, b.balance, b.overdue,
           c.credit_limit, c.insured_limit,
           COUNT(*) OVER (PARTITION BY b.customer_id) = 1 AS limit_applies
    FROM bal AS b
    LEFT JOIN cust AS c ON c.customer_id = b.customer_id
),
credit AS (
    SELECT customer_id, customer_name, segment, currency, balance, overdue,
           credit_limit, insured_limit, limit_applies,
           CASE WHEN limit_applies AND credit_limit > 0
                THEN CAST(balance AS DOUBLE) / CAST(credit_limit AS DOUBLE) END AS utilisation,
           CASE WHEN limit_applies AND credit_limit IS NOT NULL
                THEN CAST(credit_limit - balance AS DECIMAL(18,2)) END AS headroom,
           CASE WHEN limit_applies AND credit_limit IS NOT NULL
                THEN balance > credit_limit END AS breach,
           CASE WHEN limit_applies
                THEN CAST(GREATEST(balance - COALESCE(insured_limit, 0), 0) AS DECIMAL(18,2))
           END AS uninsured_exposure,
           (insured_limit IS NULL) AS no_insured_limit
    FROM per_customer
)
