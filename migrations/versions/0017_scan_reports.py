"""scan reports: which decoders read a code, in which views, stored when it is saved

`qr_codes.scan_report` holds the scannability gate's report (`Verdict.report`) from
the moment the code or its style was last saved, so the code's page shows it without
running the gate. NULL for codes saved before this revision: the page says the report
comes with the next save.


Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('qr_codes') as batch_op:
        batch_op.add_column(sa.Column(
            'scan_report', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'),
            nullable=True))


def downgrade():
    with op.batch_alter_table('qr_codes') as batch_op:
        batch_op.drop_column('scan_report')
