"""
accounts, with their role type and audit columns

Revision ID: 1a2b3c4d5e01
Revises:
Create Date: 2025-03-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import sqlalchemy_utils
from sqlalchemy.dialects import postgresql

revision = "1a2b3c4d5e01"
down_revision = None
branch_labels = ("core",)
depends_on = None

TABLE = "accounts"
AUDIT_COLUMNS = ["created_at", "updated_at"]
ROLE = postgresql.ENUM("member", "admin", name="account_role", create_type=False)


def upgrade():
    ROLE.create(op.get_bind(), checkfirst=True)
    op.create_table(
        TABLE,
        sa.Column("id", sqlalchemy_utils.UUIDType(binary=False), primary_key=True),
        sa.Column("email", sqlalchemy_utils.EmailType(length=320), nullable=False),
        sa.Column("role", ROLE, nullable=False, server_default="member"),
        sa.Column("profile", postgresql.JSONB(astext_type=sa.Text())),
        sa.UniqueConstraint("email"),
    )
    for column in AUDIT_COLUMNS:
        op.add_column(
            TABLE,
            sa.Column(column, sa.DateTime(timezone=True), server_default=sa.text("now()")),
        )
    op.create_index("ix_accounts_email_lower", TABLE, [sa.text("lower(email)")], unique=True)
    op.create_index(
        "ix_accounts_profile",
        TABLE,
        ["profile"],
        postgresql_using="gin",
        postgresql_ops={"profile": "jsonb_path_ops"},
    )


def downgrade():
    op.drop_index("ix_accounts_profile", table_name=TABLE, postgresql_using="gin")
    op.drop_index("ix_accounts_email_lower", table_name=TABLE)
    for column in ("updated_at", "created_at"):
        op.drop_column(TABLE, column)
    op.drop_table(TABLE)
    ROLE.drop(op.get_bind(), checkfirst=True)
