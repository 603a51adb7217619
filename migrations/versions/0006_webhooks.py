"""webhooks: delivery attempts, the outbox lease token, a partial due index, the delivery-log index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 00:40:43.267760

"""
import sqlalchemy as sa
from alembic import op

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhook_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('outbox_id', sa.String(length=26), nullable=False),
    sa.Column('endpoint_id', sa.String(length=26), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('attempted_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('response_excerpt', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['webhook_outbox.id'], name=op.f('fk_webhook_attempts_outbox_id_webhook_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts'))
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_attempts_outbox', ['outbox_id', 'attempted_at'], unique=False)

    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_webhook_outbox_endpoint_status', ['endpoint_id', 'status', 'created_at'], unique=False)
        batch_op.drop_index('ix_webhook_outbox_due')
        batch_op.create_index('ix_webhook_outbox_due', ['next_attempt_at'], unique=False,
                              postgresql_where=sa.text("status IN ('pending', 'processing')"),
                              sqlite_where=sa.text("status IN ('pending', 'processing')"))


def downgrade():
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_outbox_due')
        batch_op.create_index('ix_webhook_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_index('ix_webhook_outbox_endpoint_status')
        batch_op.drop_column('lease_token')

    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_attempts_outbox')

    op.drop_table('webhook_attempts')
