"""tenants and audit tables, made in a loop

Revision ID: c1d2e3f4a5b6
Revises:
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "c1d2e3f4a5b6"
down_revision = None
branch_labels = None
depends_on = None

PREFIX = "app_"
COLUMNS = {"tenant": "name", "audit": "action"}


def upgrade():
    for table, column in COLUMNS.items():
        op.create_table(
            PREFIX + table,
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column(column, sa.String(50), nullable=False),
        )
        op.create_index(f"ix_{PREFIX}{table}_{column}", PREFIX + table, [column])


def downgrade():
    for table, column in [("audit", "action"), ("tenant", "name")]:
        op.drop_index("ix_%s%s_%s" % (PREFIX, table, column), table_name=PREFIX + table)
        op.drop_table(PREFIX + table)
