"""mysql alterations

Revision ID: 9a0b1c2d3e4f
Revises: 708192a3b4c5
Create Date: 2024-05-13 10:15:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '9a0b1c2d3e4f'
down_revision: Union[str, Sequence[str], None] = '708192a3b4c5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_STATUS = sa.Enum('open', 'frozen', 'closed', name='account_status')
NEW_STATUS = sa.Enum('open', 'frozen', 'closed', 'archived', name='account_status')


def upgrade() -> None:
    """Upgrade schema: what MySQL does with MODIFY, CHANGE and ALTER COLUMN."""
    # A longer type: MODIFY with the whole column.
    op.alter_column('users', 'email', existing_type=sa.String(255), type_=sa.String(320), existing_nullable=False)
    # A rename with its type: CHANGE.
    op.alter_column('accounts', 'opened_on', new_column_name='opened_at', existing_type=sa.Date())
    # A default alone: ALTER COLUMN ... SET DEFAULT.
    op.alter_column('accounts', 'balance', existing_type=sa.Numeric(12, 2), server_default='10')
    # An inline enum grown by a value, its default kept.
    op.alter_column(
        'accounts',
        'status',
        existing_type=OLD_STATUS,
        type_=NEW_STATUS,
        existing_nullable=False,
        existing_server_default='open',
    )
    op.alter_column('users', 'bio', existing_type=sa.Text(), comment='Free text', existing_nullable=True)
    op.add_column(
        'audit_log',
        sa.Column(
            'account_id',
            sa.Integer(),
            sa.ForeignKey('accounts.id', name='fk_audit_log_account', ondelete='CASCADE', onupdate='CASCADE'),
        ),
    )
    op.create_index('ix_currencies_name', 'currencies', ['name'], unique=True)
    op.create_check_constraint('ck_currencies_code_upper', 'currencies', 'code = UPPER(code)')
    op.rename_table('currencies', 'currency_codes')


def downgrade() -> None:
    """Downgrade schema."""
    op.rename_table('currency_codes', 'currencies')
    # Online, Alembic sees MariaDB and writes DROP CONSTRAINT (DROP CHECK is MySQL's).
    op.drop_constraint('ck_currencies_code_upper', 'currencies', type_='check')
    op.drop_index('ix_currencies_name', table_name='currencies')
    op.drop_constraint('fk_audit_log_account', 'audit_log', type_='foreignkey')
    op.drop_column('audit_log', 'account_id')
    op.alter_column('users', 'bio', existing_type=sa.Text(), comment=None, existing_comment='Free text', existing_nullable=True)
    op.alter_column(
        'accounts',
        'status',
        existing_type=NEW_STATUS,
        type_=OLD_STATUS,
        existing_nullable=False,
        existing_server_default='open',
    )
    op.alter_column('accounts', 'balance', existing_type=sa.Numeric(12, 2), server_default='0')
    op.alter_column('accounts', 'opened_at', new_column_name='opened_on', existing_type=sa.Date())
    op.alter_column('users', 'email', existing_type=sa.String(320), type_=sa.String(255), existing_nullable=False)
