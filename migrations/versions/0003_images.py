"""images: the upload's name and original dimensions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:40:39.596214

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('image_assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('original_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('original_height', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('image_assets', schema=None) as batch_op:
        batch_op.drop_column('original_height')
        batch_op.drop_column('original_width')
        batch_op.drop_column('name')
