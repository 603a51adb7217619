"""smart redirects: a code's rules, split and UTM, its scan limit, and what served each scan

qr_codes gains `redirect` (JSON: rules, split, utm; NULL for a plain code), `max_scans`,
`expired_url` and `limit_used` (the scans counted against max_scans, claimed one at a
time by a conditional UPDATE so that concurrent scans never pass the limit).
scan_events gains `served`: "rule:N", "split:N" or "expired"; '' for the code's own target
(and every scan recorded before this), which scans of plain codes never write, so the
version before this one writes its scans unchanged while this runs.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:20:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redirect', sa.JSON().with_variant(
            postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('max_scans', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('expired_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('limit_used', sa.BigInteger(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('served', sa.String(length=16), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.drop_column('served')
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.drop_column('limit_used')
        batch_op.drop_column('expired_url')
        batch_op.drop_column('max_scans')
        batch_op.drop_column('redirect')
