-- Payment behaviour (kpi-spec section 4): the invoices settled in ($window_start, $as_of].
-- The open_items placeholder (in braces) is replaced by analytics.asof.open_items_sql();
-- parameters are those of analytics.asof.params() plus $window_start (DATE, as_of - 365 days).
-- Population: positive invoices whose open amount reached 0 in the window and that carry no
-- write-off (a written-off invoice was not paid: it belongs to the losses, section 6).
WITH
oi AS (
    {open_items}
),
settled AS (
    SELECT customer_id, customer_name, invoice_id, invoice_date, due_date, settle_date,
           amount, currency, segment, entity, country,
           date_diff('day', invoice_date, settle_date) AS days_to_pay,
           GREATEST(date_diff('day', due_date, settle_date), 0) AS days_late,
           CASE WHEN settle_date <= due_date THEN 1 ELSE 0 END AS on_time
    FROM oi
    WHERE kind = 'invoice'
      AND amount > 0
      AND written_off = 0
      AND settle_date IS NOT NULL
      AND settle_date > $window_start
      AND settle_date <= $as_of
)
