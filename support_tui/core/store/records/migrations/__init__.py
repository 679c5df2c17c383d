"""The support records' Alembic revisions (component ``support``)."""
