"""The SQL layer the support records, the queue and the shops' tables all go through.

- ``database``: the ``ShopDatabase`` Protocol (``?`` placeholders, typed transactions); ``sqlite`` (one aiosqlite
  connection, WAL) and ``postgres`` (an asyncpg pool) implement it.
- ``migrate``: Alembic migrations per component, serialised on the database (advisory lock / BEGIN IMMEDIATE);
  ``engines``: the SQLAlchemy engines Alembic runs on; ``migrations``: the shape of the release's migration
  lists; ``shop_schema``: a shop's tables brought to their newest revision.
- ``server_clock``: the database's own clock in SQL; ``faults``: which failures mean the database is unreachable.
"""
