-- Open amount of every invoice and credit note at one or more as-of dates (kpi-spec section 1).
-- Placeholders in braces are fixed SQL fragments chosen by analytics/asof.py, never values.
-- Parameters: $dataset_id, the as-of date ($as_of) or dates ($as_of_dates), $f_customer,
-- $f_segment, $f_entity, $f_country, $f_currency (VARCHAR[], empty list = all).
WITH
asof_dates AS (
    {dates}
),
has_pay AS (
    SELECT COUNT(*) > 0 AS has_payments
    FROM (SELECT 1 AS one FROM payments WHERE dataset_id = $dataset_id LIMIT 1) AS p
),
cust AS (
    SELECT customer_id, customer_name, segment, country, is_business, collective_procedure
    FROM (
        SELECT customer_id, customer_name, segment, country, is_business, collective_procedure,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY line_no) AS rn
        FROM customers
        WHERE dataset_id = $dataset_id
    ) AS c
    WHERE rn = 1
),
inv_all AS (
    SELECT i.invoice_id, i.customer_id,
           COALESCE(i.customer_name, c.customer_name) AS customer_name,
           i.invoice_date,
           COALESCE(i.due_date, CAST(i.invoice_date + INTERVAL '30' DAY AS DATE)) AS due_date,
           (i.due_date IS NULL OR COALESCE(i.due_date_imputed, FALSE)) AS due_date_imputed,
           i.amount, i.amount_excl_tax, i.settled_date,
           COALESCE(i.currency, 'EUR') AS currency,
           COALESCE(i.disputed, FALSE) AS disputed,
           COALESCE(i.doubtful, FALSE) AS doubtful,
           i.doubtful_date,
           COALESCE(i.segment, c.segment) AS segment,
           i.entity,
           COALESCE(i.country, c.country) AS country,
           COALESCE(c.is_business, TRUE) AS is_business,
           COALESCE(c.collective_procedure, FALSE) AS collective_procedure
    FROM invoices AS i
    LEFT JOIN cust AS c ON c.customer_id = i.customer_id
    WHERE i.dataset_id = $dataset_id
      AND i.invoice_date <= {last_as_of}
      AND (len(CAST($f_customer AS VARCHAR[])) = 0
           OR list_contains(CAST($f_customer AS VARCHAR[]), i.customer_id))
),
pay AS (
    SELECT invoice_id, customer_id, payment_date, amount, COALESCE(currency, 'EUR') AS currency
    FROM payments
    WHERE dataset_id = $dataset_id
      AND payment_date <= {last_as_of}
),
own_ev AS (
    SELECT invoice_id, payment_date AS event_date, amount AS paid,
           CAST(0 AS DECIMAL(18,2)) AS written_off
    FROM pay
    WHERE invoice_id IS NOT NULL
    UNION ALL
    SELECT invoice_id, write_off_date AS event_date, CAST(0 AS DECIMAL(18,2)) AS paid,
           amount AS written_off
    FROM write_offs
    WHERE dataset_id = $dataset_id
      AND write_off_date <= {last_as_of}
),
{closed_ctes}inv AS (
    {inv_rows}
),
own AS (
    {own_rows}
),
cash AS (
    {cash_rows}
),
base AS (
    SELECT n.*,
           COALESCE(o.paid, 0) AS own_paid,
           COALESCE(o.written_off, 0) AS wo,
           o.last_event,
           COALESCE(o.n_events, 0) AS n_events
    FROM inv AS n
    LEFT JOIN own AS o ON o.as_of = n.as_of AND o.invoice_id = n.invoice_id
),
fifo_in AS (
    SELECT b.as_of, b.invoice_id, b.customer_id, b.currency, c.cash,
           b.amount - b.own_paid - b.wo AS pos_open,
           COALESCE(SUM(b.amount - b.own_paid - b.wo)
               OVER (PARTITION BY b.as_of, b.customer_id, b.currency
                     ORDER BY b.due_date, b.invoice_date, b.invoice_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum_before
    FROM base AS b
    JOIN cash AS c
      ON c.as_of = b.as_of AND c.customer_id = b.customer_id AND c.currency = b.currency
    WHERE b.amount - b.own_paid - b.wo > 0
),
fifo AS (
    SELECT as_of, invoice_id, customer_id, currency, pos_open, cum_before,
           GREATEST(LEAST(pos_open, cash - cum_before), 0) AS alloc
    FROM fifo_in
),
unapplied AS (
    SELECT c.as_of, c.customer_id, c.currency, c.last_payment,
           c.cash - COALESCE(SUM(f.alloc), 0) AS unapplied_cash
    FROM cash AS c
    LEFT JOIN fifo AS f
      ON f.as_of = c.as_of AND f.customer_id = c.customer_id AND f.currency = c.currency
    GROUP BY c.as_of, c.customer_id, c.currency, c.last_payment, c.cash
    HAVING c.cash - COALESCE(SUM(f.alloc), 0) <> 0
){settle_ctes},
items AS (
    SELECT b.as_of, b.invoice_id, b.customer_id, b.customer_name, b.invoice_date, b.due_date,
           b.due_date_imputed, b.amount, b.amount_excl_tax,
           CAST(CASE
                    WHEN NOT h.has_payments AND b.settled_date <= b.as_of THEN b.amount - b.wo
                    ELSE b.own_paid + COALESCE(f.alloc, 0)
                END AS DECIMAL(18,2)) AS paid,
           CAST(b.wo AS DECIMAL(18,2)) AS written_off,
           {settle_expr} AS settle_candidate,
           b.currency, b.disputed, b.doubtful, b.doubtful_date, b.segment, b.entity, b.country,
           b.is_business, b.collective_procedure,
           CASE WHEN b.amount < 0 THEN 'credit_note' ELSE 'invoice' END AS kind
    FROM base AS b
    CROSS JOIN has_pay AS h
    LEFT JOIN fifo AS f ON f.as_of = b.as_of AND f.invoice_id = b.invoice_id{settle_joins}
    UNION ALL
    SELECT u.as_of, CAST(NULL AS VARCHAR) AS invoice_id, u.customer_id, c.customer_name,
           u.last_payment AS invoice_date, CAST(NULL AS DATE) AS due_date,
           FALSE AS due_date_imputed, CAST(0 AS DECIMAL(18,2)) AS amount,
           CAST(NULL AS DECIMAL(18,2)) AS amount_excl_tax,
           CAST(u.unapplied_cash AS DECIMAL(18,2)) AS paid,
           CAST(0 AS DECIMAL(18,2)) AS written_off,
           CAST(NULL AS DATE) AS settle_candidate,
           u.currency, FALSE AS disputed, FALSE AS doubtful, CAST(NULL AS DATE) AS doubtful_date,
           c.segment, CAST(NULL AS VARCHAR) AS entity, c.country,
           COALESCE(c.is_business, TRUE) AS is_business,
           COALESCE(c.collective_procedure, FALSE) AS collective_procedure,
           'unapplied' AS kind
    FROM unapplied AS u
    LEFT JOIN cust AS c ON c.customer_id = u.customer_id
)
SELECT invoice_id, customer_id, customer_name, invoice_date, due_date, due_date_imputed,
       amount, amount_excl_tax, paid, written_off,
       CAST(amount - paid - written_off AS DECIMAL(18,2)) AS open_amount,
       CASE
           WHEN kind = 'unapplied' THEN CAST(NULL AS DATE)
           WHEN (amount >= 0 AND amount - paid - written_off <= 0)
             OR (amount < 0 AND amount - paid - written_off >= 0)
           THEN settle_candidate
       END AS settle_date,
       date_diff('day', due_date, as_of) AS dpd,
       currency, disputed, doubtful, doubtful_date, segment, entity, country,
       is_business, collective_procedure, kind, as_of
FROM items
WHERE (len(CAST($f_segment AS VARCHAR[])) = 0
       OR list_contains(CAST($f_segment AS VARCHAR[]), segment))
  AND (len(CAST($f_entity AS VARCHAR[])) = 0
       OR list_contains(CAST($f_entity AS VARCHAR[]), entity))
  AND (len(CAST($f_country AS VARCHAR[])) = 0
       OR list_contains(CAST($f_country AS VARCHAR[]), country))
  AND (len(CAST($f_currency AS VARCHAR[])) = 0
       OR list_contains(CAST($f_currency AS VARCHAR[]), currency))
