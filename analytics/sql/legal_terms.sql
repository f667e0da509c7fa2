-- Payment terms beyond the legal maximum (Code de commerce L441-10): one row per invoice.
-- Placeholder open_items = analytics.asof.open_items_sql(settle=False).
-- A breach: due_date after invoice_date + 60 days AND after the last day of the month of
-- invoice_date + 45 days. B2B customers only; imputed due dates never breach (30 days).
WITH
oi AS (
    {open_items}
),
terms AS (
    SELECT invoice_id, customer_id, customer_name, currency, segment, entity, country,
           invoice_date, due_date,
           amount, open_amount, collective_procedure,
           date_diff('day', invoice_date, due_date) AS terms_days,
           CAST(invoice_date + INTERVAL '60' DAY AS DATE) AS limit_60_days,
           CAST(date_trunc('month', invoice_date + INTERVAL '45' DAY)
                + INTERVAL '1' MONTH - INTERVAL '1' DAY AS DATE) AS limit_45_eom
    FROM oi
    WHERE kind = 'invoice' AND amount > 0 AND is_business AND NOT due_date_imputed
),
breaches AS (
    SELECT *,
           date_diff('day', GREATEST(limit_60_days, limit_45_eom), due_date) AS days_beyond
    FROM terms
    WHERE due_date > limit_60_days AND due_date > limit_45_eom
)
