"""accounts: identities at OpenID Connect providers (single sign-on)

One row per (issuer, subject) a user logs in with; deleting the user deletes them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 10:00:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_user_identities_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identities')),
        sa.UniqueConstraint('issuer', 'subject', name='uq_user_identities_issuer_subject'),
    )
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_identities_user_id'))
    op.drop_table('user_identities')
