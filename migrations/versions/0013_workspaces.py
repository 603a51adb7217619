"""workspaces: codes, images, jobs, presets, webhooks and API keys belong to a workspace

Each user gets a personal workspace with the user's own id, of which they are the owner,
and their rows move into it by renaming `owner_id` to `workspace_id`: no row is rewritten,
so slugs, scan URLs, the scan path's cached entries and buffered scans stay valid.
The version before this one, serving until the new one starts, keeps following cached
codes and writing scans (tables this leaves alone); a look-up it cannot answer from the
cache selects qr_codes.owner_id, now gone, and gets the 503 "scan again" page.
tests/test_upgrade_workspaces.py upgrades a populated database while scans go on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-11 10:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

import webapp.models.base

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# table: [(old index or constraint, new one, columns, kind)]
OWNED = {
    'qr_codes': [
        ('ix_qr_codes_owner_created', 'ix_qr_codes_workspace_created',
         ['workspace_id', 'created_at', 'id'], 'index'),
        ('ix_qr_codes_owner_kind_created', 'ix_qr_codes_workspace_kind_created',
         ['workspace_id', 'kind', 'created_at', 'id'], 'index'),
        ('ix_qr_codes_owner_active_created', 'ix_qr_codes_workspace_active_created',
         ['workspace_id', 'active', 'created_at', 'id'], 'index'),
        ('uq_qr_codes_owner_import_key', 'uq_qr_codes_workspace_import_key',
         ['workspace_id', 'import_key'], 'unique'),
    ],
    'style_presets': [
        ('ix_style_presets_owner_id', 'ix_style_presets_workspace_id', ['workspace_id'], 'index'),
        ('uq_style_presets_owner_name', 'uq_style_presets_workspace_name',
         ['workspace_id', 'name'], 'unique'),
    ],
    'image_assets': [
        ('ix_image_assets_owner_id', 'ix_image_assets_workspace_id', ['workspace_id'], 'index'),
    ],
    'background_jobs': [
        ('ix_background_jobs_owner_created', 'ix_background_jobs_workspace_created',
         ['workspace_id', 'created_at'], 'index'),
    ],
    'webhook_endpoints': [
        ('ix_webhook_endpoints_owner_id', 'ix_webhook_endpoints_workspace_id', ['workspace_id'], 'index'),
    ],
}


def personal_slug(email, user_id):
    local = re.sub(r'[^a-z0-9]+', '-', email.split('@')[0].lower()).strip('-')[:40] or 'workspace'
    return f'{local}-{user_id}'


def create_tables():
    op.create_table(
        'workspaces',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('personal', sa.Boolean(), nullable=False),
        sa.Column('default_preset_id', sa.String(length=26), nullable=True),
        sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces')),
        sa.UniqueConstraint('slug', name=op.f('uq_workspaces_slug')),
    )
    op.create_table(
        'workspace_members',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_workspace_members_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_workspace_members_workspace_id_workspaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workspace_id', 'user_id', name=op.f('pk_workspace_members')),
    )
    with op.batch_alter_table('workspace_members') as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_members_user_id'), ['user_id'], unique=False)
    op.create_table(
        'workspace_invitations',
        sa.Column('id', sa.String(length=26), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('invited_by', sa.Integer(), nullable=True),
        sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.Column('expires_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.Column('accepted_at', webapp.models.base.UTCDateTime(), nullable=True),
        sa.Column('accepted_by', sa.Integer(), nullable=True),
        sa.Column('revoked_at', webapp.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['accepted_by'], ['users.id'],
                                name=op.f('fk_workspace_invitations_accepted_by_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['invited_by'], ['users.id'],
                                name=op.f('fk_workspace_invitations_invited_by_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_workspace_invitations_workspace_id_workspaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_invitations')),
    )
    with op.batch_alter_table('workspace_invitations') as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_invitations_workspace_id'), ['workspace_id'],
                              unique=False)
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                  nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_email', sa.String(length=254), nullable=False),
        sa.Column('via', sa.String(length=8), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('object_type', sa.String(length=24), nullable=False),
        sa.Column('object_id', sa.String(length=64), nullable=False),
        sa.Column('changes', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'),
                  nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_audit_entries_workspace_id_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    )
    with op.batch_alter_table('audit_entries') as batch_op:
        batch_op.create_index('ix_audit_entries_workspace_id_id', ['workspace_id', 'id'], unique=False)
    op.create_table(
        'retired_slugs',
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('retired_at', webapp.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('slug', name=op.f('pk_retired_slugs')),
    )


def personal_workspaces(bind):
    """A workspace per user, with the user's id, and the user as its owner."""
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String),
                     sa.column('created_at', webapp.models.base.UTCDateTime()))
    workspaces = sa.table('workspaces', sa.column('id', sa.Integer), sa.column('name', sa.String),
                          sa.column('slug', sa.String), sa.column('personal', sa.Boolean),
                          sa.column('created_at', webapp.models.base.UTCDateTime()))
    rows = bind.execute(sa.select(users.c.id, users.c.email, users.c.created_at)).all()
    for start in range(0, len(rows), 1000):
        op.bulk_insert(workspaces, [
            {'id': r.id, 'name': r.email.split('@')[0][:100], 'slug': personal_slug(r.email, r.id),
             'personal': True, 'created_at': r.created_at} for r in rows[start:start + 1000]])
    op.execute("INSERT INTO workspace_members (workspace_id, user_id, role, created_at) "
               "SELECT id, id, 'owner', created_at FROM users")
    if bind.dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('workspaces', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM workspaces), 0) + 1, false)")


def upgrade():
    bind = op.get_bind()
    create_tables()
    personal_workspaces(bind)

    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('disabled_at', webapp.models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=True))
    op.execute("UPDATE api_keys SET workspace_id = user_id")
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.alter_column('workspace_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_api_keys_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_api_keys_workspace_id_workspaces'), 'workspaces',
                                    ['workspace_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('background_jobs') as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
    op.execute("UPDATE background_jobs SET user_id = owner_id")
    with op.batch_alter_table('background_jobs') as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_background_jobs_user_id_users'), 'users',
                                    ['user_id'], ['id'], ondelete='SET NULL')

    if bind.dialect.name == 'postgresql':
        rename_in_place(('owner_id', 'users'), ('workspace_id', 'workspaces'), forward=True)
    else:
        copy_renamed()


def copy_renamed():
    """SQLite: each owned table copied with the column renamed (batch mode)."""
    for table, renamed in OWNED.items():
        with op.batch_alter_table(table) as batch_op:
            drop_named(batch_op, renamed)
            batch_op.drop_constraint(f'fk_{table}_owner_id_users', type_='foreignkey')
            batch_op.alter_column('owner_id', new_column_name='workspace_id',
                                  existing_type=sa.Integer(), existing_nullable=table == 'background_jobs')
        # A second batch: SQLite's copy cannot index or refer from a column renamed in the same one.
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(f'fk_{table}_workspace_id_workspaces', 'workspaces',
                                        ['workspace_id'], ['id'], ondelete='CASCADE')
            create_named(batch_op, [(new, old, columns, kind) for old, new, columns, kind in renamed])


def rename_in_place(old, new, forward):
    """PostgreSQL: the column, its indexes and unique constraints renamed where they
    are, `old` and `new` being (column, referred table). The indexes follow the column;
    renaming them is instant, where dropping and building them again held the tables'
    locks, and so the scans' writes, for seconds per 100,000 codes. Only the foreign key
    is made again."""
    (old_column, old_referred), (new_column, new_referred) = old, new
    for table, renamed in OWNED.items():
        op.alter_column(table, old_column, new_column_name=new_column)
        for before, after, _columns, kind in renamed:
            before, after = (before, after) if forward else (after, before)
            if kind == 'index':
                op.execute(f'ALTER INDEX {before} RENAME TO {after}')
            else:
                op.execute(f'ALTER TABLE {table} RENAME CONSTRAINT {before} TO {after}')
        op.drop_constraint(f'fk_{table}_{old_column}_{old_referred}', table, type_='foreignkey')
        op.create_foreign_key(f'fk_{table}_{new_column}_{new_referred}', table, new_referred,
                              [new_column], ['id'], ondelete='CASCADE')


def drop_named(batch_op, renamed):
    for old, _new, _columns, kind in renamed:
        if kind == 'index':
            batch_op.drop_index(old)
        else:
            batch_op.drop_constraint(old, type_='unique')


def create_named(batch_op, renamed):
    for name, _other, columns, kind in renamed:
        if kind == 'index':
            batch_op.create_index(name, columns, unique=False)
        else:
            batch_op.create_unique_constraint(name, columns)


def downgrade():
    # Rows of shared workspaces go back to the workspace's first owner.
    for table in OWNED:
        op.execute(f"UPDATE {table} SET workspace_id = (SELECT MIN(m.user_id) FROM workspace_members m "
                   f"WHERE m.workspace_id = {table}.workspace_id AND m.role = 'owner')")
    if op.get_bind().dialect.name == 'postgresql':
        rename_in_place(('workspace_id', 'workspaces'), ('owner_id', 'users'), forward=False)
    else:
        copy_back()
    downgrade_accounts()


def copy_back():
    for table, renamed in OWNED.items():
        old_columns = [(new, old, [c if c != 'workspace_id' else 'owner_id' for c in columns], kind)
                       for old, new, columns, kind in renamed]
        with op.batch_alter_table(table) as batch_op:
            drop_named(batch_op, [(new, old, columns, kind) for new, old, columns, kind in old_columns])
            batch_op.drop_constraint(f'fk_{table}_workspace_id_workspaces', type_='foreignkey')
            batch_op.alter_column('workspace_id', new_column_name='owner_id',
                                  existing_type=sa.Integer(), existing_nullable=table == 'background_jobs')
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(f'fk_{table}_owner_id_users', 'users', ['owner_id'], ['id'],
                                        ondelete='CASCADE')
            create_named(batch_op, [(old, new, columns, kind) for new, old, columns, kind in old_columns])


def downgrade_accounts():
    with op.batch_alter_table('background_jobs') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_background_jobs_user_id_users'), type_='foreignkey')
        batch_op.drop_column('user_id')
    with op.batch_alter_table('api_keys') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_keys_workspace_id_workspaces'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_keys_workspace_id'))
        batch_op.drop_column('role')
        batch_op.drop_column('workspace_id')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('disabled_at')
    op.drop_table('retired_slugs')
    with op.batch_alter_table('audit_entries') as batch_op:
        batch_op.drop_index('ix_audit_entries_workspace_id_id')
    op.drop_table('audit_entries')
    with op.batch_alter_table('workspace_invitations') as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_invitations_workspace_id'))
    op.drop_table('workspace_invitations')
    with op.batch_alter_table('workspace_members') as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_members_user_id'))
    op.drop_table('workspace_members')
    op.drop_table('workspaces')
