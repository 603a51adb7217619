"""jobs: chunks of a bulk job, claimed by every worker that helps with it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-12 10:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table(
        'job_chunks',
        sa.Column('job_id', sa.String(length=26), nullable=False),
        sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('start', sa.Integer(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('claim', sa.String(length=32), nullable=True),
        sa.Column('lease', sa.String(length=32), nullable=True),
        sa.Column('claimed_by', sa.String(length=120), nullable=True),
        sa.Column('heartbeat_at', webapp.models.base.UTCDateTime(), nullable=True),
        sa.Column('result', JSON, nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['background_jobs.id'],
                                name=op.f('fk_job_chunks_job_id_background_jobs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'number', name=op.f('pk_job_chunks')),
    )


def downgrade():
    op.drop_table('job_chunks')
