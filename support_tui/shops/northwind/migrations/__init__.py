"""The demo shop's Alembic revisions (component ``northwind``)."""
