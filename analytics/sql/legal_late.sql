-- French late-payment law (kpi-spec section 8): late invoices and the open amount they carried
-- each day of their delay, crossed with half-year rate periods.
-- Placeholders in braces: open_items = analytics.asof.open_items_sql() (called with the customer
-- filter only, so that the allocation is the ledger's); the other filters are applied here.
-- Parameters: those of analytics.asof.params(), plus $g_segment, $g_entity, $g_country,
-- $g_currency (VARCHAR[], empty = all), $h_start, $h_end (DATE[]: half-year periods covering
-- every delay), $h_rate (VARCHAR[]: ECB rate in force on the first day of each period, NULL when
-- the rate table does not cover it), $margin (points added to the ECB rate).
WITH
oi AS (
    {open_items}
),
has_pay AS (
    SELECT COUNT(*) > 0 AS has_payments
    FROM (SELECT 1 AS one FROM payments WHERE dataset_id = $dataset_id LIMIT 1) AS p
),
cust_rate AS (
    SELECT customer_id, penalty_rate
    FROM (
        SELECT customer_id, penalty_rate,
               ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY line_no) AS rn
        FROM customers
        WHERE dataset_id = $dataset_id
    ) AS c
    WHERE rn = 1
),
periods AS (
    SELECT unnest(CAST($h_start AS DATE[])) AS h_start,
           unnest(CAST($h_end AS DATE[])) AS h_end,
           unnest(CAST($h_rate AS DECIMAL(9,4)[])) AS ecb_rate
),
late AS (
    SELECT o.invoice_id, o.customer_id, o.customer_name, o.currency, o.invoice_date,
           o.due_date, o.amount, o.open_amount, o.settle_date, o.disputed, o.segment,
           o.entity, o.country, o.is_business, o.collective_procedure,
           COALESCE(o.settle_date, $as_of) AS end_date,
           CASE WHEN o.settle_date IS NULL THEN 'open' ELSE 'paid_late' END AS status,
           (o.is_business AND NOT o.collective_procedure) AS eligible,
           CAST(r.penalty_rate AS DECIMAL(9,4)) AS contractual_rate
    FROM oi AS o
    LEFT JOIN cust_rate AS r ON r.customer_id = o.customer_id
    WHERE o.kind = 'invoice'
      AND o.amount > 0
      AND o.due_date < $as_of
      AND (o.settle_date IS NULL OR o.settle_date > o.due_date)
      AND (len(CAST($g_segment AS VARCHAR[])) = 0
           OR list_contains(CAST($g_segment AS VARCHAR[]), o.segment))
      AND (len(CAST($g_entity AS VARCHAR[])) = 0
           OR list_contains(CAST($g_entity AS VARCHAR[]), o.entity))
      AND (len(CAST($g_country AS VARCHAR[])) = 0
           OR list_contains(CAST($g_country AS VARCHAR[]), o.country))
      AND (len(CAST($g_currency AS VARCHAR[])) = 0
           OR list_contains(CAST($g_currency AS VARCHAR[]), o.currency))
),
own_ev AS (
    SELECT p.invoice_id, p.payment_date AS event_date, p.amount AS reduction
    FROM payments AS p
    WHERE p.dataset_id = $dataset_id AND p.invoice_id IS NOT NULL AND p.payment_date <= $as_of
    UNION ALL
    SELECT w.invoice_id, w.write_off_date AS event_date, w.amount AS reduction
    FROM write_offs AS w
    WHERE w.dataset_id = $dataset_id AND w.write_off_date <= $as_of
),
own_total AS (
    SELECT invoice_id, SUM(reduction) AS own
    FROM own_ev
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
    SELECT customer_id, currency, payment_date,
           cum_after - amount AS cum_before, cum_after
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
fifo_ev AS (
    SELECT f.invoice_id,
           GREATEST(s.payment_date, f.invoice_date) AS event_date,
           LEAST(s.cum_after, f.start_level + f.alloc)
               - GREATEST(s.cum_before, f.start_level) AS reduction
    FROM fifo_alloc AS f
    JOIN cash_steps AS s
      ON s.customer_id = f.customer_id AND s.currency = f.currency
     AND s.cum_after > f.start_level AND s.cum_before < f.start_level + f.alloc
),
settled_ev AS (
    SELECT o.invoice_id, o.settle_date AS event_date, o.paid AS reduction
    FROM oi AS o
    CROSS JOIN has_pay AS h
    WHERE NOT h.has_payments AND o.kind = 'invoice' AND o.settle_date IS NOT NULL
),
ev AS (
    -- Reductions dated before the end of the delay (later ones change no day of it).
    SELECT e.invoice_id, e.event_date, SUM(e.reduction) AS reduction
    FROM (
        SELECT invoice_id, event_date, reduction FROM own_ev
        UNION ALL
        SELECT invoice_id, event_date, reduction FROM fifo_ev
        UNION ALL
        SELECT invoice_id, event_date, reduction FROM settled_ev
    ) AS e
    JOIN late AS l ON l.invoice_id = e.invoice_id
    WHERE e.event_date < l.end_date
    GROUP BY e.invoice_id, e.event_date
),
reduced AS (
    SELECT DISTINCT invoice_id FROM ev
),
points AS (
    -- Invoices reduced during their delay: the open amount changes at each reduction.
    SELECT invoice_id, event_date AS point, reduction FROM ev
    UNION ALL
    SELECT l.invoice_id, l.end_date AS point, CAST(0 AS DECIMAL(18,2)) AS reduction
    FROM late AS l
    SEMI JOIN reduced AS r ON r.invoice_id = l.invoice_id
),
segments AS (
    SELECT p.invoice_id,
           GREATEST(
               CAST(COALESCE(p.prev_point, l.due_date) + INTERVAL '1' DAY AS DATE),
               CAST(l.due_date + INTERVAL '1' DAY AS DATE)) AS seg_start,
           LEAST(p.point, l.end_date) AS seg_end,
           GREATEST(l.amount - p.reduced_before, 0) AS base
    FROM (
        SELECT invoice_id, point,
               LAG(point) OVER (PARTITION BY invoice_id ORDER BY point, reduction) AS prev_point,
               COALESCE(SUM(reduction) OVER (
                   PARTITION BY invoice_id ORDER BY point, reduction
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS reduced_before
        FROM points
    ) AS p
    JOIN late AS l ON l.invoice_id = p.invoice_id
),
pieces AS (
    SELECT s.invoice_id, s.base,
           date_diff('day', GREATEST(s.seg_start, h.h_start), LEAST(s.seg_end, h.h_end)) + 1
               AS days,
           COALESCE(l.contractual_rate, h.ecb_rate + CAST($margin AS DECIMAL(9,4))) AS rate
    FROM segments AS s
    JOIN late AS l ON l.invoice_id = s.invoice_id
    JOIN periods AS h ON h.h_start <= s.seg_end AND h.h_end >= s.seg_start
    WHERE s.seg_end >= s.seg_start AND s.base > 0
    UNION ALL
    -- Invoices not reduced during their delay: the whole amount is open every day of it.
    SELECT l.invoice_id, l.amount AS base,
           date_diff('day', GREATEST(CAST(l.due_date + INTERVAL '1' DAY AS DATE), h.h_start),
                     LEAST(l.end_date, h.h_end)) + 1 AS days,
           COALESCE(l.contractual_rate, h.ecb_rate + CAST($margin AS DECIMAL(9,4))) AS rate
    FROM late AS l
    ANTI JOIN reduced AS r ON r.invoice_id = l.invoice_id
    JOIN periods AS h
      ON h.h_start <= l.end_date AND h.h_end >= CAST(l.due_date + INTERVAL '1' DAY AS DATE)
    WHERE l.end_date > l.due_date
),
penalty_num AS (
    -- near_cents: num / 365 rounded in floating point; the penalty corrects it by one cent
    -- where the exact decimal bounds 365 x cents -/+ 182.5 say so (round half up, exact).
    SELECT invoice_id, num, missing_pieces, min_rate, max_rate,
           CAST(round(CAST(num AS DOUBLE) / 365) AS BIGINT) AS near_cents
    FROM (
        SELECT invoice_id,
               SUM(CAST(base * days * rate AS DECIMAL(38,6))) AS num,
               COUNT(*) FILTER (WHERE rate IS NULL) AS missing_pieces,
               MIN(rate) AS min_rate,
               MAX(rate) AS max_rate
        FROM pieces
        GROUP BY invoice_id
    ) AS g
),
late_items AS (
    SELECT l.invoice_id, l.customer_id, l.customer_name, l.currency, l.segment,
           l.invoice_date, l.due_date, l.settle_date, l.end_date, l.status, l.amount,
           l.open_amount, l.disputed, l.is_business, l.collective_procedure, l.eligible,
           date_diff('day', l.due_date, l.end_date) AS days_late,
           CASE WHEN l.contractual_rate IS NOT NULL THEN 'contractual' ELSE 'ecb' END
               AS rate_basis,
           n.min_rate, n.max_rate,
           CASE
               WHEN NOT l.eligible THEN CAST(0 AS DECIMAL(18,2))
               WHEN COALESCE(n.missing_pieces, 0) > 0 THEN CAST(NULL AS DECIMAL(18,2))
               WHEN n.num IS NULL THEN CAST(0 AS DECIMAL(18,2))
               ELSE CAST(CAST(n.near_cents + CASE
                                     WHEN n.num - n.near_cents * 365 >= 182.5 THEN 1
                                     WHEN n.num - n.near_cents * 365 < -182.5 THEN -1
                                     ELSE 0 END
                              AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2))
           END AS penalty,
           CASE WHEN l.eligible THEN CAST($indemnity AS DECIMAL(18,2))
                ELSE CAST(0 AS DECIMAL(18,2)) END AS indemnity_eur,
           (l.eligible AND COALESCE(n.missing_pieces, 0) > 0) AS rate_missing,
           l.entity, l.country
    FROM late AS l
    LEFT JOIN penalty_num AS n ON n.invoice_id = l.invoice_id
)
