-- Back-test: cash actually received, week by week from $start, on the items (invoices and
-- credit notes, not disputed) open at $start. Placeholder open_items =
-- analytics.asof.open_items_sql() at $as_of (the end of the back-test window).
-- Cash is dated as analytics.asof allocates it at $as_of: payments naming the invoice on their
-- date; customer-level payments spread oldest due date first over the cumulative cash levels
-- each invoice covers (as in legal_late.sql). Write-offs reduce the open amount, never the cash.
-- Parameters: those of analytics.asof.params() plus $start (DATE) and $weeks (INTEGER).
WITH
oi AS (
    {open_items}
),
has_pay AS (
    SELECT COUNT(*) > 0 AS has_payments
    FROM (SELECT 1 AS one FROM payments WHERE dataset_id = $dataset_id LIMIT 1) AS p
),
own_pay AS (
    SELECT p.invoice_id, p.payment_date AS event_date, p.amount
    FROM payments AS p
    WHERE p.dataset_id = $dataset_id AND p.invoice_id IS NOT NULL AND p.payment_date <= $as_of
),
own_wo AS (
    SELECT w.invoice_id, w.write_off_date AS event_date, w.amount
    FROM write_offs AS w
    WHERE w.dataset_id = $dataset_id AND w.write_off_date <= $as_of
),
own_total AS (
    SELECT invoice_id, SUM(amount) AS own
    FROM (SELECT invoice_id, amount FROM own_pay UNION ALL SELECT invoice_id, amount FROM own_wo)
        AS e
    GROUP BY invoice_id
),
fifo_alloc AS (
    SELECT o.invoice_id, o.customer_id, o.currency, o.invoice_date,
           o.paid + o.written_off - COALESCE(t.own, 0) AS alloc,
           COALESCE(SUM(o.paid + o.written_off - COALESCE(t.own, 0)) OVER (
               PARTITION BY o.customer_id, o.currency
               ORDER BY o.due_date, o.invoice_date, o.invoice_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS start_level
    FROM oi AS o
    CROSS JOIN has_pay AS h
    LEFT JOIN own_total AS t ON t.invoice_id = o.invoice_id
    WHERE h.has_payments AND o.kind = 'invoice' AND o.amount > 0
      AND o.paid + o.written_off - COALESCE(t.own, 0) > 0
),
cash_steps AS (
    SELECT customer_id, currency, payment_date, cum_after - amount AS cum_before, cum_after
    FROM (
        SELECT customer_id, COALESCE(currency, 'EUR') AS currency, payment_date, amount,
               SUM(amount) OVER (
                   PARTITION BY customer_id, COALESCE(currency, 'EUR')
                   ORDER BY payment_date
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_after
        FROM payments
        WHERE dataset_id = $dataset_id AND invoice_id IS NULL AND customer_id IS NOT NULL
          AND payment_date <= $as_of
    ) AS s
),
fifo_pay AS (
    SELECT f.invoice_id, GREATEST(s.payment_date, f.invoice_date) AS event_date,
           LEAST(s.cum_after, f.start_level + f.alloc)
               - GREATEST(s.cum_before, f.start_level) AS amount
    FROM fifo_alloc AS f
    JOIN cash_steps AS s
      ON s.customer_id = f.customer_id AND s.currency = f.currency
     AND s.cum_after > f.start_level AND s.cum_before < f.start_level + f.alloc
),
settled_pay AS (
    SELECT o.invoice_id, o.settle_date AS event_date, o.paid AS amount
    FROM oi AS o
    CROSS JOIN has_pay AS h
    WHERE NOT h.has_payments AND o.settle_date IS NOT NULL AND o.kind <> 'unapplied'
),
cash_ev AS (
    SELECT invoice_id, event_date, amount FROM own_pay
    UNION ALL
    SELECT invoice_id, event_date, amount FROM fifo_pay
    UNION ALL
    SELECT invoice_id, event_date, amount FROM settled_pay
),
all_ev AS (
    SELECT invoice_id, event_date, amount FROM cash_ev
    UNION ALL
    SELECT invoice_id, event_date, amount FROM own_wo
),
open_at_start AS (
    SELECT o.invoice_id, o.currency
    FROM oi AS o
    LEFT JOIN (
        SELECT invoice_id, SUM(amount) AS reduced
        FROM all_ev
        WHERE event_date <= $start
        GROUP BY invoice_id
    ) AS r ON r.invoice_id = o.invoice_id
    WHERE o.kind <> 'unapplied' AND NOT o.disputed AND o.invoice_date <= $start
      AND o.amount - COALESCE(r.reduced, 0) <> 0
)
SELECT b.currency,
       CAST((date_diff('day', $start, e.event_date) - 1) // 7 + 1 AS INTEGER) AS week,
       CAST(SUM(e.amount) AS DECIMAL(18,2)) AS actual
FROM cash_ev AS e
JOIN open_at_start AS b ON b.invoice_id = e.invoice_id
WHERE e.event_date > $start AND e.event_date <= $start + $weeks * 7
GROUP BY 1, 2
ORDER BY 1, 2
