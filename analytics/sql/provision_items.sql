-- The open items of one row of the provision simulation at $as_of, each with its base
-- excluding tax, classified and rounded exactly as in losses_provision.sql.
-- Parameters: those of analytics.asof.params(), the bucket edges of bucket_index, $vat_num
-- and $vat_den (BIGINT), $row (INTEGER: a bucket index, or -1 for the flagged doubtful items).
WITH
oi AS (
    {open_items}
),
items AS (
    SELECT {columns},
           CASE
               WHEN (doubtful AND (doubtful_date IS NULL OR doubtful_date <= $as_of))
                    OR collective_procedure THEN -1
               ELSE {bucket_index}
           END AS bucket,
           CAST(open_amount * 100 AS HUGEINT)
               * CASE WHEN amount_excl_tax IS NOT NULL AND amount <> 0
                      THEN CAST(amount_excl_tax * 100 AS HUGEINT)
                      ELSE CAST($vat_num AS HUGEINT) END AS num,
           CASE WHEN amount_excl_tax IS NOT NULL AND amount <> 0
                THEN CAST(amount * 100 AS HUGEINT)
                ELSE CAST($vat_den AS HUGEINT) END AS den
    FROM oi
    WHERE open_amount <> 0
)
SELECT {columns},
       CAST(CAST(SIGN(num) * SIGN(den) * ((2 * ABS(num) + ABS(den)) // (2 * ABS(den)))
                 AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2)) AS base
FROM items
WHERE bucket = $row
ORDER BY dpd DESC NULLS LAST, customer_id, invoice_id
