-- What-if: every invoice of the DSO period moved to target terms (analytics.whatif).
-- Placeholders: open_items = analytics.asof.open_items_sql(settle=False); new_due = the SQL
-- expression of the target due date over invoice_date (chosen by analytics/whatif.py).
-- Parameters: those of analytics.asof.params() plus $period_start (DATE, D - P) and, for a
-- target in days net, $target_days (INTEGER).
WITH
oi AS (
    {open_items}
),
moved AS (
    SELECT currency, invoice_date, amount, open_amount, dpd,
           date_diff('day', due_date, {new_due}) AS delta
    FROM oi
    WHERE kind = 'invoice' AND amount > 0
)
SELECT currency,
       COUNT(*) FILTER (WHERE invoice_date > $period_start) AS invoices,
       CAST(COALESCE(SUM(amount) FILTER (WHERE invoice_date > $period_start), 0)
            AS DECIMAL(18,2)) AS sales,
       COALESCE(SUM(amount * delta) FILTER (WHERE invoice_date > $period_start), 0)
           AS weighted,
       COUNT(*) FILTER (WHERE open_amount > 0 AND delta < 0) AS open_affected,
       CAST(COALESCE(SUM(open_amount) FILTER (WHERE open_amount > 0 AND delta < 0), 0)
            AS DECIMAL(18,2)) AS open_amount_affected
FROM moved
GROUP BY currency
ORDER BY currency
