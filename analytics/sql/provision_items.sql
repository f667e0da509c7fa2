-- The open items of one row of the provision simulation at $as_of with their base excluding
-- tax: the items of provision_base.sql (placeholder provision_base; its parameters) in row
-- $row (INTEGER: a bucket index, or -1 for the flagged doubtful items).
SELECT {columns}, base
FROM ({provision_base}) AS p
WHERE bucket = $row
ORDER BY dpd DESC NULLS LAST, customer_id, invoice_id
