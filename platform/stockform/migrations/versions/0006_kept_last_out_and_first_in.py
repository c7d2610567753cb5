"""kept last out and first in

Rules ask of every SKU at every warehouse when stock last left it (days_since_last_out) and,
without that, when it first arrived. Aggregating the ledger for every row on every
evaluation grows with the ledger: keep both on the row of the SKU at the warehouse (the
batch-0 balance row), as whole seconds since 1970, set by the ledger with the buckets
(stockform.stock.activity), filled here from the ledger.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("last_out_epoch", "first_in_epoch")


def _epoch(dialect: str) -> str:
    if dialect == "postgresql":
        return "CAST(floor(extract(epoch FROM m.effective_at)) AS BIGINT)"
    # Whole seconds of the text, as stockform.spec.expressions.sqldates.epoch_seconds does.
    return "CAST(strftime('%s', substr(m.effective_at, 1, 19)) AS INTEGER)"


def _distinct(dialect: str) -> str:
    return "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"


def upgrade() -> None:
    with op.batch_alter_table("sf_balance", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
    dialect = op.get_bind().dialect.name
    at, distinct = _epoch(dialect), _distinct(dialect)
    op.execute(
        f"""
        UPDATE sf_balance SET
          last_out_epoch = (
            SELECT max({at}) FROM sf_movement m
            WHERE m.to_warehouse_id IS NULL AND m.from_warehouse_id = sf_balance.warehouse_id
              AND m.sku_id = sf_balance.sku_id),
          first_in_epoch = (
            SELECT min({at}) FROM sf_movement m
            WHERE m.to_warehouse_id = sf_balance.warehouse_id AND m.sku_id = sf_balance.sku_id
              AND m.from_warehouse_id {distinct} m.to_warehouse_id)
        WHERE batch_id = 0
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("sf_balance", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
