-- Roll rates between consecutive month ends ($prev_dates[i] -> $cur_dates[i]).
-- For each item open (positive) at the earlier month end: where its amount is at the later one
-- (paid, written off, or still open in bucket t<i>). Edges are bound as $edge_<i>.
WITH oi AS (
{open_items}
),
b AS (
    SELECT as_of, invoice_id, customer_id, currency, open_amount, paid, written_off,
           {bucket} AS bucket
    FROM (SELECT *, dpd AS age FROM oi) AS x
    WHERE kind <> 'unapplied'
),
pairs AS (
    SELECT unnest(CAST($prev_dates AS DATE[])) AS prev_date,
           unnest(CAST($cur_dates AS DATE[])) AS cur_date
)
SELECT p.cur_date AS month_end, a.currency, a.bucket AS from_bucket,
       CAST(SUM(a.open_amount) AS DECIMAL(18,2)) AS from_amount,
       CAST(SUM(c.paid - a.paid) AS DECIMAL(18,2)) AS paid,
       CAST(SUM(c.written_off - a.written_off) AS DECIMAL(18,2)) AS written_off,
       {to_columns}
FROM pairs AS p
JOIN b AS a ON a.as_of = p.prev_date AND a.open_amount > 0
JOIN b AS c
  ON c.as_of = p.cur_date AND c.invoice_id = a.invoice_id AND c.customer_id = a.customer_id
GROUP BY p.cur_date, a.currency, a.bucket
ORDER BY p.cur_date, a.currency, a.bucket
