"""The store's backend: customers, products, orders, charges, returns, refunds; tools and policy."""
