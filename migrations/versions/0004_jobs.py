"""jobs: attempts budget, leases, heartbeats, cancel requests, checkpoints, row errors

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 00:42:35.114520

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        # Existing rows had one attempt each; the server default fills them in.
        batch_op.add_column(sa.Column('max_attempts', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('row_errors', JSON, nullable=True))
        batch_op.add_column(sa.Column('checkpoint', JSON, nullable=True))
        batch_op.add_column(sa.Column('lease', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', webapp.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_requested_at', webapp.models.base.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.drop_column('cancel_requested_at')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('lease')
        batch_op.drop_column('checkpoint')
        batch_op.drop_column('row_errors')
        batch_op.drop_column('max_attempts')
