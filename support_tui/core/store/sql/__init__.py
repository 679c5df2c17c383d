"""The SQL layer: SQLAlchemy async engines on aiosqlite and asyncpg, and Alembic migrations per component."""
