-- Cash-in forecast (kpi-spec section 9); appended to behaviour_settled.sql (CTEs oi, settled).
-- Expected date = due date + the customer's median days late over the invoices settled in
-- ($window_start, $as_of]; the segment's median when the customer has none; 0 when neither is
-- known; never before $as_of + 1 day (cash dated $as_of is already in the ledger).
-- Parameters: those of behaviour_settled.sql plus $weeks (number of weekly buckets).
, settled_seg AS (
    SELECT s.customer_id, o.segment, s.days_late
    FROM settled AS s
    JOIN oi AS o ON o.invoice_id = s.invoice_id
),
cust_lag AS (
    SELECT customer_id, CAST(quantile_cont(days_late, 0.5) AS DOUBLE) AS median_days_late
    FROM settled_seg
    GROUP BY customer_id
),
seg_lag AS (
    SELECT segment, CAST(quantile_cont(days_late, 0.5) AS DOUBLE) AS median_days_late
    FROM settled_seg
    WHERE segment IS NOT NULL
    GROUP BY segment
),
items AS (
    SELECT o.invoice_id, o.customer_id, o.customer_name, o.segment, o.currency, o.kind,
           o.invoice_date, o.due_date, o.open_amount, o.disputed, o.dpd,
           CASE WHEN c.median_days_late IS NOT NULL THEN 'customer'
                WHEN g.median_days_late IS NOT NULL THEN 'segment'
                ELSE 'none' END AS lag_basis,
           CAST(ROUND(COALESCE(c.median_days_late, g.median_days_late, 0)) AS INTEGER)
               AS lag_days
    FROM oi AS o
    LEFT JOIN cust_lag AS c ON c.customer_id = o.customer_id
    LEFT JOIN seg_lag AS g ON g.segment = o.segment
    WHERE o.kind <> 'unapplied' AND o.open_amount <> 0
),
forecast AS (
    SELECT *,
           GREATEST(CAST(due_date + lag_days * INTERVAL '1' DAY AS DATE),
                    CAST($as_of + INTERVAL '1' DAY AS DATE)) AS expected_date
    FROM items
),
placed AS (
    SELECT *,
           CASE WHEN disputed THEN NULL
                WHEN date_diff('day', $as_of, expected_date) <= 7 * $weeks
                THEN CAST((date_diff('day', $as_of, expected_date) - 1) // 7 + 1 AS INTEGER)
           END AS week
    FROM forecast
)
