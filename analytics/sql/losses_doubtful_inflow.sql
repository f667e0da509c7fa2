-- Receivables that became doubtful in ($window_start, $as_of] (kpi-spec section 6), per
-- currency, against the sales of the same window (including tax, like the open amounts).
-- Parameters: those of analytics.asof.params() plus $window_start (DATE, exclusive),
-- $window_days (INTEGER, as_of - window_start) and $after_days (INTEGER).
-- Event date: doubtful_date for an invoice flagged with a date on or before D; for an item
-- not flagged at D, the day its dpd first exceeded $after_days (due_date + after_days + 1),
-- i.e. in the window when after_days < dpd <= after_days + window_days. Flagged items with no
-- date (or only through a collective procedure) have no event date and are not counted.
-- Amount: the open amount at D plus the item's write-offs dated from the event date to D.
WITH
oi AS (
    {open_items}
),
ev AS (
    SELECT invoice_id, currency, open_amount, due_date, doubtful_date,
           CASE
               WHEN doubtful AND doubtful_date IS NOT NULL AND doubtful_date <= $as_of
                   THEN 'flagged'
               WHEN NOT collective_procedure AND NOT (doubtful AND doubtful_date IS NULL)
                   THEN 'age_based'
           END AS path
    FROM oi
    WHERE kind <> 'unapplied'
),
ev_in AS (
    SELECT invoice_id, currency, open_amount, due_date, doubtful_date, path
    FROM ev
    WHERE (path = 'flagged' AND doubtful_date > $window_start)
       OR (path = 'age_based'
           AND date_diff('day', due_date, $as_of) > $after_days
           AND date_diff('day', due_date, $as_of) <= $after_days + $window_days)
),
later_wo AS (
    SELECT e.invoice_id, SUM(w.amount) AS written_off_after
    FROM ev_in AS e
    JOIN write_offs AS w ON w.invoice_id = e.invoice_id
    WHERE w.dataset_id = $dataset_id
      AND w.write_off_date <= $as_of
      AND ((e.path = 'flagged' AND w.write_off_date >= e.doubtful_date)
           OR (e.path = 'age_based'
               AND date_diff('day', e.due_date, w.write_off_date) > $after_days))
    GROUP BY e.invoice_id
),
parts AS (
    SELECT e.currency,
           CASE WHEN e.path = 'flagged'
                THEN e.open_amount + COALESCE(l.written_off_after, 0) ELSE 0 END AS flagged_in,
           CASE WHEN e.path = 'age_based'
                THEN e.open_amount + COALESCE(l.written_off_after, 0) ELSE 0 END AS age_in,
           0 AS sales
    FROM ev_in AS e
    LEFT JOIN later_wo AS l ON l.invoice_id = e.invoice_id
    UNION ALL
    SELECT currency, 0 AS flagged_in, 0 AS age_in, amount AS sales
    FROM oi
    WHERE kind <> 'unapplied' AND invoice_date > $window_start
),
totals AS (
    SELECT currency,
           CAST(SUM(flagged_in) AS DECIMAL(18,2)) AS flagged_inflow,
           CAST(SUM(age_in) AS DECIMAL(18,2)) AS age_based_inflow,
           CAST(SUM(flagged_in + age_in) AS DECIMAL(18,2)) AS inflow,
           CAST(SUM(sales) AS DECIMAL(18,2)) AS sales
    FROM parts
    GROUP BY currency
)
SELECT currency, flagged_inflow, age_based_inflow, inflow, sales,
       CASE WHEN sales > 0 THEN CAST(inflow AS DOUBLE) / CAST(sales AS DOUBLE) END AS ratio
FROM totals
ORDER BY currency
