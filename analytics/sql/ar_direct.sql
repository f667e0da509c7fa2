-- AR per currency at $as_of straight from the ledger (kpi-spec section 1), for filters on
-- customer and currency only. Every open item is an invoice less what was paid and written off
-- on it (its own payments and its FIFO share of customer-level cash), or a customer's unapplied
-- cash; the FIFO shares and the unapplied cash add up to the customer-level cash, so the sum of
-- the open items is: invoices dated <= D, less the payments and write-offs dated <= D naming
-- one of them, less the customer-level payments dated <= D. Without any payment in the
-- dataset, an invoice with settled_date <= D is open for 0.
-- Parameters: $dataset_id, $as_of, $f_customer, $f_currency (VARCHAR[], empty = all).
WITH
has_pay AS (
    SELECT COUNT(*) > 0 AS has_payments
    FROM (SELECT 1 AS one FROM payments WHERE dataset_id = $dataset_id LIMIT 1) AS p
),
inv AS (
    SELECT invoice_id, amount, settled_date, COALESCE(currency, 'EUR') AS currency
    FROM invoices
    WHERE dataset_id = $dataset_id
      AND invoice_date <= $as_of
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), customer_id))
      AND (len(CAST($f_currency AS VARCHAR[])) = 0
           OR list_contains(CAST($f_currency AS VARCHAR[]), COALESCE(currency, 'EUR')))
),
own AS (
    SELECT invoice_id, SUM(amount) AS reduction
    FROM (
        SELECT invoice_id, amount
        FROM payments
        WHERE dataset_id = $dataset_id AND invoice_id IS NOT NULL AND payment_date <= $as_of
        UNION ALL
        SELECT invoice_id, amount
        FROM write_offs
        WHERE dataset_id = $dataset_id AND write_off_date <= $as_of
    ) AS e
    GROUP BY invoice_id
),
invoice_open AS (
    SELECT i.currency,
           CASE WHEN NOT h.has_payments AND i.settled_date <= $as_of THEN CAST(0 AS DECIMAL(18,2))
                ELSE i.amount - COALESCE(o.reduction, 0) END AS open_amount
    FROM inv AS i
    CROSS JOIN has_pay AS h
    LEFT JOIN own AS o ON o.invoice_id = i.invoice_id
),
cash AS (
    -- One row per customer and currency, as the unapplied items are.
    SELECT COALESCE(currency, 'EUR') AS currency, -SUM(amount) AS open_amount
    FROM payments
    WHERE dataset_id = $dataset_id AND invoice_id IS NULL AND customer_id IS NOT NULL
      AND payment_date <= $as_of
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), customer_id))
      AND (len(CAST($f_currency AS VARCHAR[])) = 0
           OR list_contains(CAST($f_currency AS VARCHAR[]), COALESCE(currency, 'EUR')))
    GROUP BY customer_id, COALESCE(currency, 'EUR')
)
-- A currency is reported when it has an invoice, or cash that no invoice of it can absorb.
SELECT currency, CAST(SUM(open_amount) AS DECIMAL(18,2)) AS ar
FROM (
    SELECT currency, open_amount, TRUE AS item FROM invoice_open
    UNION ALL
    SELECT currency, open_amount, open_amount <> 0 AS item FROM cash
) AS t
GROUP BY currency
HAVING bool_or(item)
ORDER BY currency
