-- The overview's ingredients at $as_of (analytics/kpis.py): every additive sum behind an
-- overview figure, per customer, segment, entity, country and currency, so that the figure of
-- any filter on those columns is a sum of rows. Unfiltered; built once per date and settings.
-- Sources, each placeholder the SQL of its own figure over the open items:
--   open_items      AR, the aging buckets (c<i>, item counts n<i>), documents, the sales of
--                   each window (s<k>) and the doubtful amounts;
--   settled         the settled invoices of the payment behaviour (b_*);
--   write_off_rows  the write-offs and sales of the write-off ratio (wo_*);
--   terms_breaches  the invoices whose terms breach the legal maximum (terms_breaches);
--   provision_base  the provision base excl. tax of every open item (p<i>, items pn<i>).
-- Parameters: those of analytics.asof.params() (no filters), the bucket edges, $after_days,
-- $window_start, $vat_num, $vat_den and the windows $w_start_<k>, $w_end_<k>.
WITH
contrib AS (
    SELECT customer_id, customer_name, segment, entity, country, currency,
           open_amount AS total,
           CASE WHEN open_amount <> 0 THEN 1 END AS n,
           CASE WHEN kind <> 'unapplied' THEN 1 END AS docs,
           {item_columns},
           CASE WHEN (doubtful AND (doubtful_date IS NULL OR doubtful_date <= $as_of))
                     OR collective_procedure THEN open_amount END AS d_flagged,
           CASE WHEN NOT ((doubtful AND (doubtful_date IS NULL OR doubtful_date <= $as_of))
                          OR collective_procedure)
                     AND dpd > $after_days THEN open_amount END AS d_age
    FROM ({open_items}) AS oi
    UNION ALL BY NAME
    SELECT customer_id, customer_name, segment, entity, country, currency,
           1 AS b_n, amount AS b_amount, amount * days_to_pay AS b_to_pay,
           amount * days_late AS b_weighted_late, days_late AS b_late, on_time AS b_on_time
    FROM ({settled}) AS s
    UNION ALL BY NAME
    SELECT customer_id, segment, entity, country, currency,
           1 AS wo_rows,
           CASE WHEN amount_excl_tax IS NULL THEN 1 END AS wo_nulls,
           CASE WHEN is_write_off = 1 THEN amount END AS wo_incl,
           CASE WHEN is_write_off = 1 THEN amount_excl_tax END AS wo_excl,
           CASE WHEN is_write_off = 0 THEN amount END AS wo_sales_incl,
           CASE WHEN is_write_off = 0 THEN amount_excl_tax END AS wo_sales_excl
    FROM ({write_off_rows}) AS w
    UNION ALL BY NAME
    SELECT customer_id, customer_name, segment, entity, country, currency,
           1 AS terms_breaches
    FROM ({terms_breaches}) AS t
    UNION ALL BY NAME
    SELECT customer_id, customer_name, segment, entity, country, currency,
           {provision_columns}
    FROM ({provision_base}) AS p
)
SELECT CAST($dataset_id AS INTEGER) AS dataset_id, CAST($as_of AS DATE) AS as_of,
       customer_id, MAX(customer_name) AS customer_name, segment, entity, country, currency,
       {sums}
FROM contrib
GROUP BY customer_id, segment, entity, country, currency
