"""tenant plans, filled through the connection

Revision ID: d2e3f4a5b6c7
Revises: c1d2e3f4a5b6
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import text

revision = "d2e3f4a5b6c7"
down_revision = "c1d2e3f4a5b6"
branch_labels = None
depends_on = None

TABLE = "app_tenant"
PLANS = ["free", "team", "enterprise"]
DEFAULT_PLAN = PLANS[0]


def upgrade():
    op.add_column(TABLE, sa.Column("plan", sa.String(20), nullable=True))
    conn = op.get_bind()
    conn.execute(text(f"INSERT INTO {TABLE} (name) VALUES (:name)").bindparams(name="O'Brien & Co"))
    conn.execute(sa.text("UPDATE {} SET plan = '{}'".format(TABLE, DEFAULT_PLAN)))
    op.alter_column(TABLE, "plan", existing_type=sa.String(20), nullable=False)
    allowed = "', '".join(PLANS)
    op.create_check_constraint("ck_app_tenant_plan", TABLE, f"plan IN ('{allowed}')")


def downgrade():
    op.drop_constraint("ck_app_tenant_plan", TABLE, type_="check")
    op.get_bind().execute(text("DELETE FROM " + TABLE + " WHERE name = :n").bindparams(n="O'Brien & Co"))
    op.drop_column(TABLE, "plan")
