"""first-cut data model

Revision ID: 0001
Revises: 
Create Date: 2026-11-30 00:27:41.208108

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_user_id'), ['user_id'], unique=False)

    op.create_table('background_jobs',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queue', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('rq_job_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_background_jobs_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_jobs'))
    )
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_background_jobs_owner_created', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_background_jobs_status_updated', ['status', 'updated_at'], unique=False)

    op.create_table('image_assets',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('max_width', sa.Integer(), nullable=False),
    sa.Column('max_height', sa.Integer(), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('original_key', sa.String(length=255), nullable=False),
    sa.Column('original_format', sa.String(length=16), nullable=False),
    sa.Column('original_bytes', sa.Integer(), nullable=False),
    sa.Column('variant_key', sa.String(length=255), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('bytes', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_image_assets_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_assets')),
    sa.UniqueConstraint('owner_id', 'content_hash', 'max_width', 'max_height', 'quality', 'format', name='uq_image_assets_source_options')
    )
    with op.batch_alter_table('image_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_assets_owner_id'), ['owner_id'], unique=False)

    op.create_table('qr_codes',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('target_url', sa.Text(), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('style', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('expires_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('scannable', sa.Boolean(), nullable=True),
    sa.Column('scan_count', sa.BigInteger(), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_qr_codes_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qr_codes')),
    sa.UniqueConstraint('slug', name=op.f('uq_qr_codes_slug'))
    )
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.create_index('ix_qr_codes_owner_created', ['owner_id', 'created_at', 'id'], unique=False)

    op.create_table('webhook_endpoints',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('previous_secret', sa.String(length=100), nullable=True),
    sa.Column('previous_secret_expires_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('events', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('qr_code_id', sa.String(length=26), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('failure_streak', sa.Integer(), nullable=False),
    sa.Column('failing_since', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_success_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_webhook_endpoints_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_owner_id'), ['owner_id'], unique=False)

    op.create_table('scan_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('qr_code_id', sa.String(length=26), nullable=False),
    sa.Column('scanned_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('user_agent', sa.String(length=512), nullable=False),
    sa.Column('device_type', sa.String(length=16), nullable=False),
    sa.Column('os', sa.String(length=64), nullable=False),
    sa.Column('browser', sa.String(length=64), nullable=False),
    sa.Column('referrer', sa.String(length=512), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['qr_code_id'], ['qr_codes.id'], name=op.f('fk_scan_events_qr_code_id_qr_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_events'))
    )
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.create_index('ix_scan_events_code_time', ['qr_code_id', 'scanned_at'], unique=False)

    op.create_table('webhook_outbox',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('endpoint_id', sa.String(length=26), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('locked_until', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_outbox_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_outbox'))
    )
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_outbox_endpoint_created', ['endpoint_id', 'created_at'], unique=False)




def downgrade():
    
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_outbox_endpoint_created')
        batch_op.drop_index('ix_webhook_outbox_due')

    op.drop_table('webhook_outbox')
    with op.batch_alter_table('scan_events', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_events_code_time')

    op.drop_table('scan_events')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_owner_id'))

    op.drop_table('webhook_endpoints')
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_qr_codes_owner_created')

    op.drop_table('qr_codes')
    with op.batch_alter_table('image_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_assets_owner_id'))

    op.drop_table('image_assets')
    with op.batch_alter_table('background_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_background_jobs_status_updated')
        batch_op.drop_index('ix_background_jobs_owner_created')

    op.drop_table('background_jobs')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_user_id'))

    op.drop_table('api_keys')
    op.drop_table('users')

