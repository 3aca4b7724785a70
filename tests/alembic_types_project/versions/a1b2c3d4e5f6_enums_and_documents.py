"""enum types made on their own, and a table of PostgreSQL types

Revision ID: a1b2c3d4e5f6
Revises:
Create Date: 2025-02-03 09:15:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'a1b2c3d4e5f6'
down_revision = None
branch_labels = None
depends_on = None

MOOD = postgresql.ENUM('happy', 'sad', name='mood', create_type=False)


def upgrade():
    sa.Enum('draft', 'published', name='doc_status').create(op.get_bind())
    MOOD.create(op.get_bind())
    op.create_table(
        'documents',
        sa.Column('id', postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('tags', postgresql.ARRAY(sa.String(length=40))),
        sa.Column('addresses', postgresql.ARRAY(postgresql.INET())),
        sa.Column('network', postgresql.CIDR()),
        sa.Column('search', postgresql.TSVECTOR()),
        sa.Column('ttl', postgresql.INTERVAL(fields='DAY TO SECOND')),
        sa.Column('published_at', postgresql.TIMESTAMP(timezone=True, precision=3)),
        sa.Column('mood', MOOD),
        sa.Column('moods', postgresql.ARRAY(MOOD)),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=320)),
        sa.Index('ix_documents_data', 'data', postgresql_using='gin', postgresql_ops={'data': 'jsonb_path_ops'}),
        sa.Index('ix_documents_data_key', sa.text("(data->>'key')")),
    )
    op.add_column('documents', sa.Column('status', sa.Enum('draft', 'published', name='doc_status')))


def downgrade():
    op.drop_column('documents', 'status')
    op.drop_index('ix_documents_data_key', table_name='documents')
    op.drop_index('ix_documents_data', table_name='documents', postgresql_using='gin')
    op.drop_table('documents')
    MOOD.drop(op.get_bind())
    sa.Enum(name='doc_status').drop(op.get_bind())
