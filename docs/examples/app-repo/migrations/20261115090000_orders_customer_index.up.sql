-- deploy-actions:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx ON orders (customer);
