"""bulk: the import key that makes a bulk job's codes idempotent per CSV line

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 01:27:56.795727

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_key', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint('uq_qr_codes_owner_import_key', ['owner_id', 'import_key'])


def downgrade():
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.drop_constraint('uq_qr_codes_owner_import_key', type_='unique')
        batch_op.drop_column('import_key')
