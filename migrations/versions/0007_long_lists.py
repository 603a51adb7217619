"""long lists: filter indexes on both databases, trigram search indexes on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00

"""
import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
SEARCHED = ("title", "slug", "target_url", "content")


def upgrade():
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.create_index('ix_qr_codes_owner_kind_created',
                              ['owner_id', 'kind', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_qr_codes_owner_active_created',
                              ['owner_id', 'active', 'created_at', 'id'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return  # SQLite has no trigram index: its search walks the owner's rows
    # pg_trgm is a trusted extension (PostgreSQL 13+), so a database owner may create it.
    # Where even that is refused, search still works, walking the owner's rows.
    try:
        with bind.begin_nested():
            bind.exec_driver_sql('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    except sa.exc.DBAPIError as exc:
        log.warning('pg_trgm cannot be created (%s); code search will not use an index',
                    str(exc.orig).strip())
        return
    for column in SEARCHED:
        op.create_index(f'ix_qr_codes_{column}_trgm', 'qr_codes', [column], unique=False,
                        postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for column in SEARCHED:
            op.drop_index(f'ix_qr_codes_{column}_trgm', table_name='qr_codes')
        # The extension stays: other schemas in the database may use it.
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_qr_codes_owner_active_created')
        batch_op.drop_index('ix_qr_codes_owner_kind_created')
