"""tau-bench retail's Alembic revisions (component ``taubench-retail``)."""
