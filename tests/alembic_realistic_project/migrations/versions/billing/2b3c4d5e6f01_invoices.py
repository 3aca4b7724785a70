"""invoices

Revision ID: 2b3c4d5e6f01
Revises:
Create Date: 2025-03-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "2b3c4d5e6f01"
down_revision = None
branch_labels = ("billing",)
depends_on = "1a2b3c4d5e01"

INVOICES = "invoices"
STATUSES = ("draft", "sent", "paid")


def upgrade():
    op.create_table(
        INVOICES,
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="invoice_status"), nullable=False),
        sa.Column("due", sa.Date()),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.CheckConstraint("amount_cents >= 0", name="positive"),
    )
    op.create_index(None, INVOICES, ["account_id"])
    op.execute(f"COMMENT ON TABLE {INVOICES} IS 'one row per invoice sent'")


def downgrade():
    op.drop_index(op.f("ix_invoices_account_id"), table_name=INVOICES)
    op.drop_table(INVOICES)
    sa.Enum(name="invoice_status").drop(op.get_bind(), checkfirst=False)
