"""QR codes: style presets and the fields of structured static codes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:40:18.173490

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('style_presets',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('style', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_style_presets_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_style_presets')),
    sa.UniqueConstraint('owner_id', 'name', name='uq_style_presets_owner_name')
    )
    with op.batch_alter_table('style_presets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_style_presets_owner_id'), ['owner_id'], unique=False)

    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))



def downgrade():
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.drop_column('content_fields')

    with op.batch_alter_table('style_presets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_style_presets_owner_id'))

    op.drop_table('style_presets')
