-- The items behind one cell of the roll-rate matrix ($prev_date -> $cur_date), the same join
-- as roll_rates.sql: every item open (positive) at $prev_date in bucket $from_index, with the
-- part of it the cell counts. $target: 'paid' (payments allocated between the two dates),
-- 'written_off' (write-offs between them) or 'open' (still open at $cur_date in bucket
-- $to_index). Edges are bound as $edge_<i>. Items whose counted part is 0 are left out.
WITH oi AS (
{open_items}
),
b AS (
    SELECT *, {bucket} AS bucket
    FROM oi
    WHERE kind <> 'unapplied'
),
cell AS (
    SELECT {columns},
           CAST(CASE $target
                    WHEN 'paid' THEN c.paid - a.paid
                    WHEN 'written_off' THEN c.written_off - a.written_off
                    ELSE c.open_amount
                END AS DECIMAL(18,2)) AS cell_amount
    FROM b AS a
    JOIN b AS c
      ON c.as_of = CAST($cur_date AS DATE) AND c.invoice_id = a.invoice_id
     AND c.customer_id = a.customer_id
    WHERE a.as_of = CAST($prev_date AS DATE) AND a.open_amount > 0 AND a.bucket = $from_index
      AND ($target <> 'open' OR c.bucket = $to_index)
)
SELECT *
FROM cell
WHERE cell_amount <> 0
ORDER BY dpd DESC NULLS LAST, customer_id, invoice_id
