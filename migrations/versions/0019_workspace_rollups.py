"""analytics: a daily rollup per workspace, and each code rollup's workspace

workspace_daily_rollups holds one row per workspace and UTC day, the sum of its
codes' rollups of that day (totals and breakdowns), so the workspace analytics read
one row per day whatever the number of codes. scan_daily_rollups gains the code's
workspace_id and an index (workspace_id, day, qr_code_id, scans) from which a
workspace's top codes over a range are summed without touching its other codes.
Both are filled here from the rollups already made.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-13 10:00:00

"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
CODE_ROWS = sa.table('scan_daily_rollups', sa.column('workspace_id', sa.Integer()), sa.column('day', sa.Date()),
                     sa.column('scans', sa.BigInteger()), sa.column('uniques', sa.BigInteger()),
                     sa.column('bots', sa.BigInteger()), sa.column('breakdowns', JSON))
BATCH = 1000


def upgrade():
    with op.batch_alter_table('scan_daily_rollups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace_id', sa.Integer(), nullable=True))
    op.execute("UPDATE scan_daily_rollups SET workspace_id = (SELECT qr_codes.workspace_id FROM qr_codes "
               "WHERE qr_codes.id = scan_daily_rollups.qr_code_id)")
    with op.batch_alter_table('scan_daily_rollups', schema=None) as batch_op:
        batch_op.alter_column('workspace_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_scan_daily_rollups_workspace_day',
                              ['workspace_id', 'day', 'qr_code_id', 'scans'], unique=False)
    table = op.create_table(
        'workspace_daily_rollups',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('scans', sa.BigInteger(), nullable=False),
        sa.Column('uniques', sa.BigInteger(), nullable=False),
        sa.Column('bots', sa.BigInteger(), nullable=False),
        sa.Column('breakdowns', JSON, nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_workspace_daily_rollups_workspace_id_workspaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workspace_id', 'day', name=op.f('pk_workspace_daily_rollups')),
    )
    _fill(op.get_bind(), table)


def _fill(conn, table):
    """Every workspace's row of every day: its code rows summed, one (workspace, day) at a
    time in their order, so that memory holds one day of one workspace."""
    rows = conn.execute(sa.select(CODE_ROWS).order_by(CODE_ROWS.c.workspace_id, CODE_ROWS.c.day)
                        .execution_options(stream_results=True, yield_per=BATCH))
    pending, key, sums = [], None, None
    for row in rows:
        if (row.workspace_id, row.day) != key:
            if key is not None:
                pending.append(_row(key, sums))
            key, sums = (row.workspace_id, row.day), {"scans": 0, "uniques": 0, "bots": 0,
                                                      "breakdowns": defaultdict(lambda: defaultdict(int))}
        for name in ("scans", "uniques", "bots"):
            sums[name] += row._mapping[name]
        for name, counts in (row.breakdowns or {}).items():
            for value, n in counts.items():
                sums["breakdowns"][name][value] += int(n)
        if len(pending) >= BATCH:
            conn.execute(table.insert(), pending)
            pending = []
    if key is not None:
        pending.append(_row(key, sums))
    if pending:
        conn.execute(table.insert(), pending)


def _row(key, sums):
    return {"workspace_id": key[0], "day": key[1], "scans": sums["scans"], "uniques": sums["uniques"],
            "bots": sums["bots"], "breakdowns": {name: dict(counts) for name, counts in sums["breakdowns"].items()}}


def downgrade():
    op.drop_table('workspace_daily_rollups')
    with op.batch_alter_table('scan_daily_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_daily_rollups_workspace_day')
        batch_op.drop_column('workspace_id')
