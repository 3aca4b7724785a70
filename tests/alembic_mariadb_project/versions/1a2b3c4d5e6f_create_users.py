"""create users

Revision ID: 1a2b3c4d5e6f
Revises: 
Create Date: 2024-03-04 09:12:45.104211

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '1a2b3c4d5e6f'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email', name='uq_users_email')
    )
    op.create_index(op.f('ix_users_name'), 'users', ['name'], unique=False)
    op.execute(
        "INSERT INTO users (email, name, created_at) VALUES "
        "('ada@example.com', NULL, '2024-03-04 09:00:00'), "
        "('grace@example.com', 'Grace', '2024-03-04 09:05:00')"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_users_name'), table_name='users')
    op.drop_table('users')
