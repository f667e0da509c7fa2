-- Doubtful receivables at $as_of (kpi-spec section 6), per currency.
-- Parameters: those of analytics.asof.params() plus $after_days (INTEGER).
-- Flagged: the invoice is flagged doubtful (with no date, or a date on or before D) or its
-- customer is in a collective procedure. Age-based: not flagged and dpd > $after_days.
WITH
oi AS (
    {open_items}
),
classified AS (
    SELECT currency, open_amount, dpd,
           ((doubtful AND (doubtful_date IS NULL OR doubtful_date <= $as_of))
            OR collective_procedure) AS flagged
    FROM oi
),
totals AS (
    SELECT currency,
           CAST(COALESCE(SUM(open_amount) FILTER (WHERE flagged), 0) AS DECIMAL(18,2))
               AS flagged,
           CAST(COALESCE(SUM(open_amount) FILTER (
               WHERE NOT flagged AND dpd > $after_days), 0) AS DECIMAL(18,2)) AS age_based,
           CAST(COALESCE(SUM(open_amount), 0) AS DECIMAL(18,2)) AS ar
    FROM classified
    GROUP BY currency
)
SELECT currency, flagged, age_based, CAST(flagged + age_based AS DECIMAL(18,2)) AS total, ar,
       CASE WHEN ar > 0 THEN CAST(flagged + age_based AS DOUBLE) / CAST(ar AS DOUBLE) END
           AS doubtful_share
FROM totals
ORDER BY currency
