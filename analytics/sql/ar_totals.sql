-- AR and not-due amount per currency at $as_of.
WITH oi AS (
{open_items}
)
SELECT currency,
       CAST(COALESCE(SUM(open_amount), 0) AS DECIMAL(18,2)) AS ar,
       CAST(COALESCE(SUM(open_amount) FILTER (WHERE dpd IS NULL OR dpd <= 0), 0)
            AS DECIMAL(18,2)) AS not_due
FROM oi
GROUP BY currency
ORDER BY currency
