"""invoice numbers, backfilled

Revision ID: 2b3c4d5e6f02
Revises: 2b3c4d5e6f01
Create Date: 2025-03-04 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "2b3c4d5e6f02"
down_revision = "2b3c4d5e6f01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=20)))
        batch_op.create_index(batch_op.f("ix_invoices_number"), ["number"], unique=True)
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE invoices SET number = 'INV-' || id WHERE number IS NULL"))


def downgrade():
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_number"))
        batch_op.drop_column("number")
