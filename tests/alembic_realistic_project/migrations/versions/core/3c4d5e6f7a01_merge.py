"""merge core and billing

Revision ID: 3c4d5e6f7a01
Revises: 1a2b3c4d5e02, 2b3c4d5e6f02
Create Date: 2025-03-05 10:00:00.000000

"""
revision = "3c4d5e6f7a01"
down_revision = ("1a2b3c4d5e02", "2b3c4d5e6f02")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
