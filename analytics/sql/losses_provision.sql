-- Provision matrix bases at $as_of (kpi-spec section 6), per currency and bucket.
-- Parameters: those of analytics.asof.params(), the bucket edges of bucket_index (see
-- analytics.aging.bucket_index_sql), $vat_num and $vat_den (BIGINT: 1 / (1 + vat_rate) as a
-- fraction of integers).
-- Bucket -1 holds the flagged doubtful items (flagged doubtful on or before D, or customer
-- in a collective procedure); the others follow dpd (unapplied cash counts as not due).
-- Items settled at D (open amount 0) are neither counted nor provisioned.
-- Open amount excluding tax, per item, in whole cents rounded half away from zero, exact on
-- integers: open * amount_excl_tax / amount when both exist (amount <> 0), else
-- open * vat_num / vat_den.
WITH
oi AS (
    {open_items}
),
items AS (
    SELECT currency,
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
),
near AS (
    -- near: |num| / |den| rounded in floating point; rounded corrects it by one where the
    -- exact integer bounds (2c - 1) |den| <= 2 |num| < (2c + 1) |den| say so.
    SELECT currency, bucket, ABS(num) AS a, ABS(den) AS b, SIGN(num) * SIGN(den) AS s,
           CAST(round(CAST(ABS(num) AS DOUBLE) / CAST(ABS(den) AS DOUBLE)) AS HUGEINT) AS c
    FROM items
),
rounded AS (
    SELECT currency, bucket,
           s * (c + CASE WHEN 2 * a >= (2 * c + 1) * b THEN 1
                         WHEN 2 * a < (2 * c - 1) * b THEN -1
                         ELSE 0 END) AS base_cents
    FROM near
)
SELECT currency, bucket,
       CAST(CAST(SUM(base_cents) AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2))
            AS DECIMAL(18,2)) AS base,
       COUNT(*) AS items
FROM rounded
GROUP BY currency, bucket
ORDER BY currency, bucket
