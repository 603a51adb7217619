"""tags and folders: a folder column on qr_codes, a tags table and code_tags

A code has one folder (NULL: none), indexed with the workspace in keyset order so
a folder's list is an index walk. Tags are rows per workspace; code_tags links
them to codes and copies the code's created_at, so a tag's list walks
(tag_id, code_created_at, qr_code_id) the same way.


Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:00:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace_id', 'name', name='uq_tags_workspace_name'),
    )
    op.create_table(
        'code_tags',
        sa.Column('tag_id', sa.Integer(), nullable=False),
        sa.Column('qr_code_id', sa.String(length=26), nullable=False),
        sa.Column('code_created_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['qr_code_id'], ['qr_codes.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tag_id', 'qr_code_id'),
    )
    with op.batch_alter_table('code_tags', schema=None) as batch_op:
        batch_op.create_index('ix_code_tags_tag_created', ['tag_id', 'code_created_at', 'qr_code_id'],
                              unique=False)
        batch_op.create_index('ix_code_tags_qr_code_id', ['qr_code_id'], unique=False)
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('folder', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_qr_codes_workspace_folder_created',
                              ['workspace_id', 'folder', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('qr_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_qr_codes_workspace_folder_created')
        batch_op.drop_column('folder')
    with op.batch_alter_table('code_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_code_tags_qr_code_id')
        batch_op.drop_index('ix_code_tags_tag_created')
    op.drop_table('code_tags')
    op.drop_table('tags')
