-- One row per open item with its expected date and week; appended to forecast_items.sql.
SELECT * FROM placed ORDER BY expected_date, customer_id, invoice_id
