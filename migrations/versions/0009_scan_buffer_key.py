"""scans: the key of a scan buffered in Redis while the database was down

A buffered scan is written by the flusher with its key; the unique (partial) index
makes a second write of the same scan (a flusher that crashed after its commit)
a no-op. Scans written directly leave it NULL, outside the index: no cost per scan.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buffer_key', sa.String(length=32), nullable=True))
    op.create_index('uq_scan_events_buffer_key', 'scan_events', ['buffer_key'], unique=True,
                    postgresql_where=sa.text('buffer_key IS NOT NULL'),
                    sqlite_where=sa.text('buffer_key IS NOT NULL'))


def downgrade():
    op.drop_index('uq_scan_events_buffer_key', table_name='scan_events')
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.drop_column('buffer_key')
