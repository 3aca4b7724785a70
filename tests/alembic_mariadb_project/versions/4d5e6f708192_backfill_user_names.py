"""backfill user names

Revision ID: 4d5e6f708192
Revises: 3c4d5e6f7081
Create Date: 2024-03-15 08:47:31.008862

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4d5e6f708192'
down_revision: Union[str, Sequence[str], None] = '3c4d5e6f7081'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute("UPDATE users SET bio = '' WHERE bio IS NULL")

    # A data migration in Python: rmig import-alembic cannot translate it and writes a
    # placeholder that a person replaces with SQL.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, email FROM users WHERE name IS NULL")).fetchall()
    for user_id, email in rows:
        conn.execute(
            sa.text("UPDATE users SET name = :name WHERE id = :id"),
            {"name": email.split("@")[0], "id": user_id},
        )

    op.alter_column('users', 'name', existing_type=sa.String(length=100), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.alter_column('users', 'name', existing_type=sa.String(length=100), nullable=True)
