"""The support schema as the release before Alembic made it, per dialect: what the baseline revision applies."""
