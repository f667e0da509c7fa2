-- Sales (invoice amounts incl. tax, credit notes net) per window (w_start, w_end], per currency.
-- Parameters: $dataset_id, $w_key INTEGER[], $w_start DATE[], $w_end DATE[] (same length),
-- $w_first = min(w_start), $w_last = max(w_end),
-- and the filter lists of analytics/asof.py (segment and country: the invoice's, else the
-- customer's).
WITH
windows AS (
    SELECT unnest(CAST($w_key AS INTEGER[])) AS w_key,
           unnest(CAST($w_start AS DATE[])) AS w_start,
           unnest(CAST($w_end AS DATE[])) AS w_end
),
cust AS (
    SELECT customer_id, segment, country
    FROM (
        SELECT customer_id, segment, country,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY line_no) AS rn
        FROM customers
        WHERE dataset_id = $dataset_id
    ) AS c
    WHERE rn = 1
),
inv AS (
    SELECT i.invoice_date, i.amount, COALESCE(i.currency, 'EUR') AS currency
    FROM invoices AS i
    LEFT JOIN cust AS c ON c.customer_id = i.customer_id
    WHERE i.dataset_id = $dataset_id
      AND i.invoice_date > $w_first
      AND i.invoice_date <= $w_last
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), i.customer_id))
      AND (len(CAST($f_segment AS VARCHAR[])) = 0
           OR list_contains(CAST($f_segment AS VARCHAR[]), COALESCE(i.segment, c.segment)))
      AND (len(CAST($f_entity AS VARCHAR[])) = 0
           OR list_contains(CAST($f_entity AS VARCHAR[]), i.entity))
      AND (len(CAST($f_country AS VARCHAR[])) = 0
           OR list_contains(CAST($f_country AS VARCHAR[]), COALESCE(i.country, c.country)))
      AND (len(CAST($f_currency AS VARCHAR[])) = 0
           OR list_contains(CAST($f_currency AS VARCHAR[]), COALESCE(i.currency, 'EUR')))
),
daily AS (
    -- One row per day and currency, so that the windows join a few thousand rows.
    SELECT invoice_date, currency, SUM(amount) AS amount
    FROM inv
    GROUP BY invoice_date, currency
)
SELECT w.w_key, n.currency, CAST(SUM(n.amount) AS DECIMAL(18,2)) AS sales
FROM windows AS w
JOIN daily AS n ON n.invoice_date > w.w_start AND n.invoice_date <= w.w_end
GROUP BY w.w_key, n.currency
ORDER BY w.w_key, n.currency
