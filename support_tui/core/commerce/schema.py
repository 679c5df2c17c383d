"""SQLite schema of the store backend (customers, products, orders, charges, returns, refunds)."""

SCHEMA = """
"""
