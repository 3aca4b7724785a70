"""reporting views

Revision ID: 8192a3b4c5d6
Revises: 
Create Date: 2024-05-06 09:00:41.224577

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '8192a3b4c5d6'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ('reporting',)
depends_on: Union[str, Sequence[str], None] = '6f708192a3b4'


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        "CREATE VIEW login_counts AS "
        "SELECT user_id, count(*) AS logins FROM audit_log "
        "WHERE action = 'login' GROUP BY user_id"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP VIEW login_counts")
