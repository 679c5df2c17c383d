"""SQLite schema of the store backend (customers, products, orders, charges, returns, refunds)."""

# Dates are ISO-8601 TEXT: timestamps "YYYY-MM-DDTHH:MM:SS", calendar days "YYYY-MM-DD".
# Money is REAL in US dollars, always rounded to cents before it is written.
SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    tier TEXT NOT NULL CHECK (tier IN ('standard', 'plus', 'premium', 'vip')),
    lifetime_value REAL NOT NULL DEFAULT 0,
    preferences TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    label TEXT NOT NULL DEFAULT 'home',
    street TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT,
    postal_code TEXT NOT NULL,
    country TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS addresses_customer ON addresses(customer_id);
CREATE TABLE IF NOT EXISTS payment_methods (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    expiry TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS payment_methods_customer ON payment_methods(customer_id);
CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price REAL NOT NULL,
    stock INTEGER NOT NULL DEFAULT 0,
    specs TEXT NOT NULL DEFAULT '{}',
    compatibility TEXT NOT NULL DEFAULT '[]',
    warranty_months INTEGER NOT NULL DEFAULT 12,
    description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS product_variants (
    sku TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    colour TEXT,
    size TEXT,
    stock INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS product_variants_product ON product_variants(product_id);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    placed_at TEXT NOT NULL,
    shipped_at TEXT,
    delivered_at TEXT,
    cancelled_at TEXT,
    subtotal REAL NOT NULL,
    shipping_cost REAL NOT NULL DEFAULT 0,
    tax REAL NOT NULL DEFAULT 0,
    total REAL NOT NULL,
    payment_method_id TEXT,
    shipping_address TEXT NOT NULL DEFAULT '{}',
    carrier TEXT,
    tracking_number TEXT,
    estimated_delivery TEXT
);
CREATE INDEX IF NOT EXISTS orders_customer ON orders(customer_id, placed_at);
CREATE TABLE IF NOT EXISTS order_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders(id),
    product_id TEXT NOT NULL REFERENCES products(id),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 1,
    price REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS order_items_order ON order_items(order_id);
CREATE TABLE IF NOT EXISTS tracking_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders(id),
    at TEXT NOT NULL,
    location TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tracking_events_order ON tracking_events(order_id, at);
CREATE TABLE IF NOT EXISTS charges (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    order_id TEXT REFERENCES orders(id),
    amount REAL NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    descriptor TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS charges_customer ON charges(customer_id, created_at);
CREATE INDEX IF NOT EXISTS charges_order ON charges(order_id);
CREATE TABLE IF NOT EXISTS returns (
    rma_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    items TEXT NOT NULL DEFAULT '[]',
    reason TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('refund', 'exchange')),
    exchange_sku TEXT,
    amount REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    label_url TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS returns_order ON returns(order_id);
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    amount REAL NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    rma_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_order ON refunds(order_id);
"""

COMMERCE_TABLES = (
    "refunds",
    "returns",
    "charges",
    "tracking_events",
    "order_items",
    "orders",
    "product_variants",
    "products",
    "payment_methods",
    "addresses",
    "customers",
    "store_meta",
)
"""Every store table, children before parents (the order a reset deletes in)."""
