-- The overview's ingredients at $as_of (analytics/kpis.py): every additive sum behind an
-- overview figure, per customer, segment, entity, country and currency, so that the figure of
-- any filter on those columns is a sum of rows. Unfiltered; built once per date and settings.
-- Sources, each placeholder the SQL of its own figure over the open items, each added up per
-- customer first (so that only a few rows per customer are merged):
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
    SELECT customer_id, MAX(customer_name) AS customer_name, segment, entity, country, currency,
           SUM(open_amount) AS total,
           COUNT(*) FILTER (WHERE open_amount <> 0) AS n,
           COUNT(*) FILTER (WHERE kind <> 'unapplied') AS docs,
           {item_columns},
           SUM(open_amount) FILTER (
               WHERE (doubtful AND (doubtful_date IS NULL OR doubtful_date <= $as_of))
                     OR collective_procedure) AS d_flagged,
           SUM(open_amount) FILTER (
               WHERE NOT ((doubtful AND (doubtful_date IS NULL OR doubtful_date <= $as_of))
                          OR collective_procedure)
                     AND dpd > $after_days) AS d_age
    FROM ({open_items}) AS oi
    GROUP BY customer_id, segment, entity, country, currency
    UNION ALL BY NAME
    SELECT customer_id, MAX(customer_name) AS customer_name, segment, entity, country, currency,
           COUNT(*) AS b_n, SUM(amount) AS b_amount, SUM(amount * days_to_pay) AS b_to_pay,
           SUM(amount * days_late) AS b_weighted_late, SUM(days_late) AS b_late,
           SUM(on_time) AS b_on_time
    FROM ({settled}) AS s
    GROUP BY customer_id, segment, entity, country, currency
    UNION ALL BY NAME
    SELECT customer_id, segment, entity, country, currency,
           COUNT(*) AS wo_rows,
           COUNT(*) FILTER (WHERE amount_excl_tax IS NULL) AS wo_nulls,
           SUM(amount) FILTER (WHERE is_write_off = 1) AS wo_incl,
           SUM(amount_excl_tax) FILTER (WHERE is_write_off = 1) AS wo_excl,
           SUM(amount) FILTER (WHERE is_write_off = 0) AS wo_sales_incl,
           SUM(amount_excl_tax) FILTER (WHERE is_write_off = 0) AS wo_sales_excl
    FROM ({write_off_rows}) AS w
    GROUP BY customer_id, segment, entity, country, currency
    UNION ALL BY NAME
    SELECT customer_id, MAX(customer_name) AS customer_name, segment, entity, country, currency,
           COUNT(*) AS terms_breaches
    FROM ({terms_breaches}) AS t
    GROUP BY customer_id, segment, entity, country, currency
    UNION ALL BY NAME
    SELECT customer_id, MAX(customer_name) AS customer_name, segment, entity, country, currency,
           {provision_columns}
    FROM ({provision_base}) AS p
    GROUP BY customer_id, segment, entity, country, currency
)
SELECT CAST($dataset_id AS INTEGER) AS dataset_id, CAST($as_of AS DATE) AS as_of,
       customer_id, MAX(customer_name) AS customer_name, segment, entity, country, currency,
       {sums}
FROM contrib
GROUP BY customer_id, segment, entity, country, currency
