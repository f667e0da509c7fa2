-- Every open item at $as_of with its provision row and its base excluding tax (kpi-spec
-- section 6): the oi columns, then bucket and base.
-- Parameters: those of analytics.asof.params(), the bucket edges of bucket_index (see
-- analytics.aging.bucket_index_sql), $vat_num and $vat_den (BIGINT: 1 / (1 + vat_rate) as a
-- fraction of integers).
-- Bucket -1 holds the flagged doubtful items (flagged doubtful on or before D, or customer
-- in a collective procedure); the others follow dpd (unapplied cash counts as not due).
-- Items settled at D (open amount 0) have no row.
-- Base: open amount excluding tax in whole cents rounded half away from zero, exact on
-- integers: open * amount_excl_tax / amount when both exist (amount <> 0), else
-- open * vat_num / vat_den.
WITH
oi AS (
    {open_items}
),
items AS (
    SELECT *,
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
    -- near_cents: |num| / |den| rounded in floating point; base corrects it by one where the
    -- exact integer bounds (2c - 1) |den| <= 2 |num| < (2c + 1) |den| say so.
    SELECT *,
           CAST(round(CAST(ABS(num) AS DOUBLE) / CAST(ABS(den) AS DOUBLE)) AS HUGEINT)
               AS near_cents
    FROM items
)
SELECT * EXCLUDE (num, den, near_cents),
       CAST(CAST(SIGN(num) * SIGN(den) * (near_cents
                 + CASE WHEN 2 * ABS(num) >= (2 * near_cents + 1) * ABS(den) THEN 1
                        WHEN 2 * ABS(num) < (2 * near_cents - 1) * ABS(den) THEN -1
                        ELSE 0 END) AS DECIMAL(18,0))
            * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2)) AS base
FROM near
