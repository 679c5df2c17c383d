"""Baseline: the support schema as the release before Alembic left it (its version 6), made or completed in place.

A fresh database gets the release's six steps; one that release (or an older one) made gets the steps
its ``schema_version`` does not list yet, so its rows stay where they are.
"""

from alembic import op

revision = "support_0006"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from support_tui.core.store.sql.migrate import apply_legacy

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from support_tui.core.store.records.release_schema.postgresql import MIGRATIONS
    else:
        from support_tui.core.store.records.release_schema.sqlite import MIGRATIONS
    apply_legacy(bind, "support", MIGRATIONS)


def downgrade() -> None:
    raise NotImplementedError("the baseline is where the support schema's history starts")
