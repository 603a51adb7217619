"""custom domains: a workspace's own hostnames, and slugs unique per domain

`custom_domains` holds each hostname (lower case, IDNA ASCII form), its DNS TXT
verification token and state, and the URL its `/` sends people to. A code may name one
(`qr_codes.domain_id`, no cascade: a domain in use cannot be deleted). The global unique
slug becomes unique per domain: (domain_id, slug) for codes on a domain, and a partial
unique index on slug WHERE domain_id IS NULL for the codes on PUBLIC_BASE_URL, which is
also the index the scan path's look-up of /s/<slug> walks.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:00:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

NO_DOMAIN = sa.text('domain_id IS NULL')


def upgrade():
    op.create_table(
        'custom_domains',
        sa.Column('id', sa.String(length=26), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('hostname', sa.String(length=253), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('verification_token', sa.String(length=64), nullable=False),
        sa.Column('verified_at', webapp.models.base.UTCDateTime(), nullable=True),
        sa.Column('root_url', sa.Text(), nullable=True),
        sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_custom_domains_workspace_id_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_domains')),
        sa.UniqueConstraint('hostname', name=op.f('uq_custom_domains_hostname')),
    )
    with op.batch_alter_table('custom_domains') as batch_op:
        batch_op.create_index(batch_op.f('ix_custom_domains_workspace_id'), ['workspace_id'], unique=False)
    with op.batch_alter_table('qr_codes') as batch_op:
        batch_op.add_column(sa.Column('domain_id', sa.String(length=26), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_qr_codes_domain_id_custom_domains'), 'custom_domains',
                                    ['domain_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('uq_qr_codes_slug'), type_='unique')
        batch_op.create_index('ux_qr_codes_domain_slug', ['domain_id', 'slug'], unique=True)
        batch_op.create_index('ux_qr_codes_slug_no_domain', ['slug'], unique=True,
                              sqlite_where=NO_DOMAIN, postgresql_where=NO_DOMAIN)


def downgrade():
    # Codes on a domain go back to the one global namespace; a slug held on two domains
    # would break the unique constraint, so the downgrade refuses while any code has a domain.
    in_use = op.get_bind().execute(sa.text('SELECT COUNT(*) FROM qr_codes WHERE domain_id IS NOT NULL')).scalar()
    if in_use:
        raise RuntimeError(f'{in_use} codes are on custom domains; move them off before downgrading')
    with op.batch_alter_table('qr_codes') as batch_op:
        batch_op.drop_index('ux_qr_codes_slug_no_domain')
        batch_op.drop_index('ux_qr_codes_domain_slug')
        batch_op.create_unique_constraint(batch_op.f('uq_qr_codes_slug'), ['slug'])
        batch_op.drop_constraint(batch_op.f('fk_qr_codes_domain_id_custom_domains'), type_='foreignkey')
        batch_op.drop_column('domain_id')
    with op.batch_alter_table('custom_domains') as batch_op:
        batch_op.drop_index(batch_op.f('ix_custom_domains_workspace_id'))
    op.drop_table('custom_domains')
