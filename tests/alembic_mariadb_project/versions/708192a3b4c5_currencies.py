"""currencies

Revision ID: 708192a3b4c5
Revises: 6f708192a3b4
Create Date: 2024-04-20 17:22:08.932015

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '708192a3b4c5'
down_revision: Union[str, Sequence[str], None] = '6f708192a3b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    currencies = op.create_table(
        'currencies',
        sa.Column('code', sa.String(3), primary_key=True),
        sa.Column('name', sa.String(50), nullable=False),
        sa.Column('symbol', sa.String(5)),
    )
    op.bulk_insert(
        currencies,
        [
            {'code': 'EUR', 'name': 'Euro', 'symbol': '€'},
            {'code': 'USD', 'name': 'US Dollar', 'symbol': '$'},
            {'code': 'JPY', 'name': "Japanese yen", 'symbol': '¥'},
        ],
    )
    op.create_table_comment('currencies', 'ISO 4217 currencies accounts may hold')
    op.create_foreign_key('fk_accounts_currency', 'accounts', 'currencies', ['currency'], ['code'])
    op.alter_column(
        'accounts',
        'currency',
        existing_type=sa.String(length=3),
        existing_nullable=False,
        server_default=None,
        existing_server_default=sa.text("'EUR'"),
        comment='ISO 4217 code',
    )
    op.create_unique_constraint('uq_accounts_owner_currency', 'accounts', ['owner_id', 'currency'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_constraint('uq_accounts_owner_currency', 'accounts', type_='unique')
    op.alter_column(
        'accounts',
        'currency',
        existing_type=sa.String(length=3),
        existing_nullable=False,
        server_default='EUR',
        comment=None,
        existing_comment='ISO 4217 code',
    )
    op.drop_constraint('fk_accounts_currency', 'accounts', type_='foreignkey')
    op.drop_table('currencies')
