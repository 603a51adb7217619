"""codes: the slug's trigram index on lower(slug), so slug look-ups keep to the btree

A GIN trigram index on `slug` also answers `slug = …` (pg_trgm 1.6), and PostgreSQL
underestimates that cost: a bulk job's look-up of 500 slugs (`slug IN (…)`) took the
trigram index and 0.5-2 s on 15,000 codes instead of the unique btree's milliseconds.
On `lower(slug)`, the search (`lower(slug) LIKE …`) still has its trigram index and
equality on `slug` has only the btree indexes.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-14 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def _has_trigrams(bind):
    # Migration 0007 makes no trigram index where pg_trgm could not be created.
    return bind.dialect.name == 'postgresql' and bind.execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first() is not None


def upgrade():
    bind = op.get_bind()
    if not _has_trigrams(bind):
        return
    # Built before the old one is dropped: DROP INDEX locks the table until the commit, so
    # done first it would keep every read of the codes waiting through the build.
    op.execute('CREATE INDEX ix_qr_codes_slug_lower_trgm ON qr_codes '
               'USING gin (lower(slug) gin_trgm_ops)')
    op.execute('DROP INDEX IF EXISTS ix_qr_codes_slug_trgm')


def downgrade():
    bind = op.get_bind()
    if not _has_trigrams(bind):
        return
    op.create_index('ix_qr_codes_slug_trgm', 'qr_codes', ['slug'], unique=False,
                    postgresql_using='gin', postgresql_ops={'slug': 'gin_trgm_ops'})
    op.execute('DROP INDEX IF EXISTS ix_qr_codes_slug_lower_trgm')
