"""create accounts

Revision ID: 2b3c4d5e6f70
Revises: 1a2b3c4d5e6f
Create Date: 2024-03-11 16:40:02.551873

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '2b3c4d5e6f70'
down_revision: Union[str, Sequence[str], None] = '1a2b3c4d5e6f'
branch_labels: Union[str, Sequence[str], None] = ('billing',)
depends_on: Union[str, Sequence[str], None] = None

ACCOUNT_STATUS = sa.Enum('open', 'frozen', 'closed', name='account_status')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'accounts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column(
            'owner_id',
            sa.Integer(),
            sa.ForeignKey('users.id', ondelete='CASCADE'),
            nullable=False,
            index=True,
        ),
        sa.Column('balance', sa.Numeric(12, 2), server_default='0', nullable=False),
        sa.Column('currency', sa.String(3), server_default='EUR', nullable=False),
        sa.Column('status', ACCOUNT_STATUS, server_default='open', nullable=False),
        sa.Column('opened_on', sa.Date()),
        sa.CheckConstraint('balance >= 0', name='ck_accounts_balance_positive'),
        comment='One row per customer account',
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('accounts')
