-- Weekly totals (week NULL = later) per currency and key; appended to forecast_items.sql.
-- The placeholders are empty or customer columns chosen by analytics/forecast.py.
SELECT {select_keys}currency, week,
       CAST(SUM(open_amount) AS DECIMAL(18,2)) AS amount, COUNT(*) AS items
FROM placed
WHERE NOT disputed
GROUP BY {group_keys}currency, week
ORDER BY {group_keys}currency, week NULLS LAST
