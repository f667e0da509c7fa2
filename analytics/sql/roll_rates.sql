-- Roll rates between consecutive month ends ($prev_dates[i] -> $cur_dates[i]).
-- For each item open (positive) at the earlier month end: where its amount is at the later one
-- (paid, written off, or still open in bucket t<i>). Edges are bound as $edge_<i>.
WITH oi AS (
{open_items}
),
b AS MATERIALIZED (
    -- pair: the i of the pair ($prev_dates[i] -> $cur_dates[i]) an item starts (prev_i) or
    -- ends (cur_i) at, so that one equi-join on (i, invoice, customer) pairs the two dates.
    SELECT as_of, invoice_id, customer_id, currency, open_amount, paid, written_off,
           {bucket} AS bucket,
           list_position(CAST($prev_dates AS DATE[]), as_of) AS prev_i,
           list_position(CAST($cur_dates AS DATE[]), as_of) AS cur_i
    FROM (SELECT *, dpd AS age FROM oi) AS x
    WHERE kind <> 'unapplied'
)
SELECT c.as_of AS month_end, a.currency, a.bucket AS from_bucket,
       CAST(SUM(a.open_amount) AS DECIMAL(18,2)) AS from_amount,
       CAST(SUM(c.paid - a.paid) AS DECIMAL(18,2)) AS paid,
       CAST(SUM(c.written_off - a.written_off) AS DECIMAL(18,2)) AS written_off,
       {to_columns}
FROM b AS a
JOIN b AS c
  ON c.cur_i = a.prev_i AND c.invoice_id = a.invoice_id AND c.customer_id = a.customer_id
WHERE a.open_amount > 0
GROUP BY c.as_of, a.currency, a.bucket
ORDER BY c.as_of, a.currency, a.bucket
