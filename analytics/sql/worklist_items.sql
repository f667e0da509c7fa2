-- Collection worklist at $as_of: open invoices overdue or due within $pre_days days, with the
-- dunning stage reached. Placeholder open_items = analytics.asof.open_items_sql(settle=False).
-- Stage thresholds (days past due) are bound: $reminder, $call, $formal_notice, $litigation.
WITH
oi AS (
    {open_items}
)
SELECT invoice_id, customer_id, customer_name, segment, currency, invoice_date, due_date,
       amount, open_amount, dpd, disputed, doubtful, collective_procedure,
       CASE WHEN dpd >= $litigation THEN 'litigation'
            WHEN dpd >= $formal_notice THEN 'formal_notice'
            WHEN dpd >= $call THEN 'call'
            WHEN dpd >= $reminder THEN 'reminder'
            ELSE 'pre_reminder' END AS stage
FROM oi
WHERE kind = 'invoice' AND open_amount > 0 AND dpd >= -$pre_days
ORDER BY currency, customer_id, due_date, invoice_id
