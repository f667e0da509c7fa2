-- Provision matrix bases at $as_of (kpi-spec section 6), per currency and row: the items of
-- provision_base.sql (placeholder provision_base; its parameters) added up.
SELECT currency, bucket, CAST(SUM(base) AS DECIMAL(18,2)) AS base, COUNT(*) AS items
FROM ({provision_base}) AS p
GROUP BY currency, bucket
ORDER BY currency, bucket
