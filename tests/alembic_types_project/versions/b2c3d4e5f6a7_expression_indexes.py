"""expression, GIN and covering indexes

Revision ID: b2c3d4e5f6a7
Revises: a1b2c3d4e5f6
Create Date: 2025-02-04 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = 'b2c3d4e5f6a7'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_documents_email_lower', 'documents', [sa.text('lower(email)')], unique=True)
    op.create_index(
        'ix_documents_title',
        'documents',
        [sa.func.lower(sa.column('title')), sa.desc('published_at')],
        postgresql_include=['id'],
        postgresql_where=sa.text('published_at IS NOT NULL'),
    )
    op.create_index('ix_documents_tags', 'documents', ['tags'], postgresql_using='gin')
    with op.batch_alter_table('documents') as batch_op:
        batch_op.create_index('ix_documents_search', ['search'], postgresql_using='gin')
    sa.Enum('low', 'high', name='priority').create(op.get_bind(), checkfirst=True)
    op.add_column('documents', sa.Column('priority', sa.Enum('low', 'high', name='priority', create_type=False)))


def downgrade():
    op.drop_column('documents', 'priority')
    sa.Enum(name='priority').drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table('documents') as batch_op:
        batch_op.drop_index('ix_documents_search', postgresql_using='gin')
    op.drop_index('ix_documents_tags', table_name='documents')
    op.drop_index('ix_documents_title', table_name='documents')
    op.drop_index('ix_documents_email_lower', table_name='documents')
