"""Baseline: the demo shop's tables as the release before Alembic left them (its version 2), made or completed in place."""

from alembic import op

revision = "northwind_0002"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from support_tui.core.store.sql.migrate import apply_legacy
    from support_tui.shops.northwind.schema import NORTHWIND_SCHEMA

    bind = op.get_bind()
    apply_legacy(bind, NORTHWIND_SCHEMA.component, NORTHWIND_SCHEMA.migrations(
        "postgresql" if bind.dialect.name == "postgresql" else "sqlite"))


def downgrade() -> None:
    raise NotImplementedError("the baseline is where the shop's schema history starts")
