"""create audit log

Revision ID: 6f708192a3b4
Revises: 5e6f708192a3
Create Date: 2024-04-02 11:30:12.771204

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '6f708192a3b4'
down_revision: Union[str, Sequence[str], None] = '5e6f708192a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("action <> ''", name='ck_audit_log_action'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_audit_log_user', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_audit_log'),
    )
    op.create_index('ix_audit_log_user_at', 'audit_log', ['user_id', 'at'], unique=False)
    op.create_index('ix_audit_log_action', 'audit_log', ['action'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_audit_log_action', table_name='audit_log')
    op.drop_table('audit_log')
