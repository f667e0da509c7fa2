-- AR per date and currency straight from the ledger at every date of $dates: sql/ar_direct.sql
-- at many dates in one pass, for filters on customer and currency only. Each document adds or
-- removes an amount from the first date it counts at, and the AR at D is the sum of what
-- counts at D:
--   an invoice (or credit note) counts from its invoice date;
--   a payment or write-off naming an invoice counts from the later of its date and the
--   invoice's (one naming an unknown invoice never counts);
--   without any payment in the dataset, an invoice settled at D is open for 0: its amount
--   leaves from the later of its settlement and invoice dates, and its write-offs stop
--   counting from then;
--   customer-level cash counts from its payment date.
-- Parameters: $dataset_id, $dates (DATE[]), $f_customer, $f_currency (VARCHAR[], empty = all).
WITH
dates AS (
    SELECT DISTINCT unnest(CAST($dates AS DATE[])) AS as_of
),
bounds AS (
    SELECT max(as_of) AS last_as_of FROM dates
),
has_pay AS (
    SELECT COUNT(*) > 0 AS has_payments
    FROM (SELECT 1 AS one FROM payments WHERE dataset_id = $dataset_id LIMIT 1) AS p
),
inv AS (
    SELECT i.invoice_id, i.amount, i.invoice_date, i.settled_date,
           COALESCE(i.currency, 'EUR') AS currency
    FROM invoices AS i, bounds AS b
    WHERE i.dataset_id = $dataset_id
      AND i.invoice_date <= b.last_as_of
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), i.customer_id))
      AND (len(CAST($f_currency AS VARCHAR[])) = 0
           OR list_contains(CAST($f_currency AS VARCHAR[]), COALESCE(i.currency, 'EUR')))
),
reductions AS (
    SELECT r.invoice_id, r.reduction_date, r.amount
    FROM (
        SELECT invoice_id, payment_date AS reduction_date, amount
        FROM payments
        WHERE dataset_id = $dataset_id AND invoice_id IS NOT NULL
        UNION ALL
        SELECT invoice_id, write_off_date AS reduction_date, amount
        FROM write_offs
        WHERE dataset_id = $dataset_id
    ) AS r, bounds AS b
    WHERE r.reduction_date <= b.last_as_of
),
events AS (
    SELECT currency, invoice_date AS counts_from, amount
    FROM inv
    UNION ALL
    SELECT i.currency, greatest(r.reduction_date, i.invoice_date), -r.amount
    FROM reductions AS r
    JOIN inv AS i ON i.invoice_id = r.invoice_id
    UNION ALL
    SELECT i.currency, greatest(i.settled_date, i.invoice_date), -i.amount
    FROM inv AS i, has_pay AS h
    WHERE NOT h.has_payments AND i.settled_date IS NOT NULL
    UNION ALL
    SELECT i.currency, greatest(i.settled_date, i.invoice_date, r.reduction_date), r.amount
    FROM reductions AS r
    JOIN inv AS i ON i.invoice_id = r.invoice_id
    CROSS JOIN has_pay AS h
    WHERE NOT h.has_payments AND i.settled_date IS NOT NULL
    UNION ALL
    SELECT COALESCE(p.currency, 'EUR'), p.payment_date, -p.amount
    FROM payments AS p, bounds AS b
    WHERE p.dataset_id = $dataset_id AND p.invoice_id IS NULL AND p.customer_id IS NOT NULL
      AND p.payment_date <= b.last_as_of
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), p.customer_id))
      AND (len(CAST($f_currency AS VARCHAR[])) = 0
           OR list_contains(CAST($f_currency AS VARCHAR[]), COALESCE(p.currency, 'EUR')))
),
per_day AS (
    SELECT currency, counts_from, SUM(amount) AS amount
    FROM events
    GROUP BY currency, counts_from
)
SELECT d.as_of, p.currency, CAST(SUM(p.amount) AS DECIMAL(18,2)) AS ar
FROM dates AS d
JOIN per_day AS p ON p.counts_from <= d.as_of
GROUP BY d.as_of, p.currency
ORDER BY d.as_of, p.currency
