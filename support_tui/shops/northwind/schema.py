"""The demo shop's tables (customers, products, orders, charges, returns, refunds), versioned on SQLite and PostgreSQL.

``NORTHWIND_SCHEMA`` is Alembic component ``northwind`` (revisions in ``migrations/``, applied by
``apply_schema``); its baseline applies the release's migration list per dialect below. A change is
a new revision, never an edit of these lists.
"""

from pathlib import Path

from support_tui.core.shop.effects import effects_table
from support_tui.core.store.sql.migrations import Migration
from support_tui.core.store.sql.database import ShopSchema

# Dates are ISO-8601 TEXT: timestamps "YYYY-MM-DDTHH:MM:SS", calendar days "YYYY-MM-DD".
# Money is REAL in US dollars, always rounded to cents before it is written.
# IF NOT EXISTS: a data directory made before the shop had migrations already has these tables and
# is adopted as it is.
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

# The same tables in PostgreSQL: TEXT is COLLATE "C" (byte order, as SQLite sorts and compares),
# money DOUBLE PRECISION (a float, as SQLite's REAL gives back), ids made by identity columns.
POSTGRES_SCHEMA = """
CREATE TABLE store_meta (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);
CREATE TABLE customers (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C" NOT NULL,
    phone TEXT COLLATE "C",
    tier TEXT COLLATE "C" NOT NULL CHECK (tier IN ('standard', 'plus', 'premium', 'vip')),
    lifetime_value DOUBLE PRECISION NOT NULL DEFAULT 0,
    preferences TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE addresses (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    label TEXT COLLATE "C" NOT NULL DEFAULT 'home',
    street TEXT COLLATE "C" NOT NULL,
    city TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C",
    postal_code TEXT COLLATE "C" NOT NULL,
    country TEXT COLLATE "C" NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX addresses_customer ON addresses(customer_id);
CREATE TABLE payment_methods (
    id TEXT COLLATE "C" PRIMARY KEY,
    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    brand TEXT COLLATE "C" NOT NULL,
    last4 TEXT COLLATE "C" NOT NULL,
    expiry TEXT COLLATE "C" NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payment_methods_customer ON payment_methods(customer_id);
CREATE TABLE products (
    id TEXT COLLATE "C" PRIMARY KEY,
    sku TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT COLLATE "C" NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    price DOUBLE PRECISION NOT NULL,
    stock INTEGER NOT NULL DEFAULT 0,
    specs TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    compatibility TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    warranty_months INTEGER NOT NULL DEFAULT 12,
    description TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE TABLE product_variants (
    sku TEXT COLLATE "C" PRIMARY KEY,
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products(id),
    colour TEXT COLLATE "C",
    size TEXT COLLATE "C",
    stock INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX product_variants_product ON product_variants(product_id);
CREATE TABLE orders (
    id TEXT COLLATE "C" PRIMARY KEY,
    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
    placed_at TEXT COLLATE "C" NOT NULL,
    shipped_at TEXT COLLATE "C",
    delivered_at TEXT COLLATE "C",
    cancelled_at TEXT COLLATE "C",
    subtotal DOUBLE PRECISION NOT NULL,
    shipping_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
    tax DOUBLE PRECISION NOT NULL DEFAULT 0,
    total DOUBLE PRECISION NOT NULL,
    payment_method_id TEXT COLLATE "C",
    shipping_address TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    carrier TEXT COLLATE "C",
    tracking_number TEXT COLLATE "C",
    estimated_delivery TEXT COLLATE "C"
);
CREATE INDEX orders_customer ON orders(customer_id, placed_at);
CREATE TABLE order_items (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_id TEXT COLLATE "C" NOT NULL REFERENCES orders(id),
    product_id TEXT COLLATE "C" NOT NULL REFERENCES products(id),
    sku TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 1,
    price DOUBLE PRECISION NOT NULL
);
CREATE INDEX order_items_order ON order_items(order_id);
CREATE TABLE tracking_events (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_id TEXT COLLATE "C" NOT NULL REFERENCES orders(id),
    at TEXT COLLATE "C" NOT NULL,
    location TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL
);
CREATE INDEX tracking_events_order ON tracking_events(order_id, at);
CREATE TABLE charges (
    id TEXT COLLATE "C" PRIMARY KEY,
    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    order_id TEXT COLLATE "C" REFERENCES orders(id),
    amount DOUBLE PRECISION NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    descriptor TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX charges_customer ON charges(customer_id, created_at);
CREATE INDEX charges_order ON charges(order_id);
CREATE TABLE returns (
    rma_id TEXT COLLATE "C" PRIMARY KEY,
    order_id TEXT COLLATE "C" NOT NULL REFERENCES orders(id),
    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    items TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    reason TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('refund', 'exchange')),
    exchange_sku TEXT COLLATE "C",
    amount DOUBLE PRECISION NOT NULL DEFAULT 0,
    status TEXT COLLATE "C" NOT NULL,
    label_url TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX returns_order ON returns(order_id);
CREATE TABLE refunds (
    id TEXT COLLATE "C" PRIMARY KEY,
    order_id TEXT COLLATE "C" NOT NULL REFERENCES orders(id),
    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customers(id),
    amount DOUBLE PRECISION NOT NULL,
    reason TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    rma_id TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX refunds_order ON refunds(order_id);
"""


def statements(script: str) -> tuple[str, ...]:
    """A script's statements, one by one (none of them holds a semicolon of its own)."""
    return tuple(part.strip() for part in script.split(";") if part.strip())


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


EFFECTS = "shop_effects"
"""Each consequential call's idempotency key, stored with its effect in the same transaction (``core.shop.effects``)."""

_EFFECTS_STEP = "exactly-once effects: each consequential call's key and result"

NORTHWIND_SCHEMA = ShopSchema(
    component="northwind",
    sqlite=(Migration(1, "the demo shop's tables", statements(SCHEMA)),
            Migration(2, _EFFECTS_STEP, effects_table(EFFECTS))),
    postgresql=(Migration(1, "the demo shop's tables", statements(POSTGRES_SCHEMA)),
                Migration(2, _EFFECTS_STEP, effects_table(EFFECTS, 'TEXT COLLATE "C"'))),
    tables=(*reversed(COMMERCE_TABLES), EFFECTS),
    versions=Path(__file__).parent / "migrations",
)
"""The demo shop's schema on both dialects."""
