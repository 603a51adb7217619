"""scans: counter shards, daily rollups, the rollup index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 00:39:13.413502

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scan_rollup_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rolled_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_scan_rollup_days'))
    )
    op.create_table('scan_counters',
    sa.Column('qr_code_id', sa.String(length=26), nullable=False),
    sa.Column('shard', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('scans', sa.BigInteger(), nullable=False),
    sa.Column('bot_scans', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['qr_code_id'], ['qr_codes.id'], name=op.f('fk_scan_counters_qr_code_id_qr_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('qr_code_id', 'shard', name=op.f('pk_scan_counters'))
    )
    op.create_table('scan_daily_rollups',
    sa.Column('qr_code_id', sa.String(length=26), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('scans', sa.BigInteger(), nullable=False),
    sa.Column('uniques', sa.BigInteger(), nullable=False),
    sa.Column('bots', sa.BigInteger(), nullable=False),
    sa.Column('breakdowns', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['qr_code_id'], ['qr_codes.id'], name=op.f('fk_scan_daily_rollups_qr_code_id_qr_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('qr_code_id', 'day', name=op.f('pk_scan_daily_rollups'))
    )
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.create_index('ix_scan_events_scanned_at', ['scanned_at'], unique=False,
                              postgresql_using='brin')



def downgrade():
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_events_scanned_at')

    op.drop_table('scan_daily_rollups')
    op.drop_table('scan_counters')
    op.drop_table('scan_rollup_days')
