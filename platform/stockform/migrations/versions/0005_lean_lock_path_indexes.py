"""lean lock path indexes

Every lock and release writes each index of sf_lock and sf_movement it touches, and at
synchronous=FULL every page written is fsynced: drop the two movement indexes no query uses
(posting_id, reference), keep only active locks in the expiry index, and keep rows without a
document (or without a reference) out of the indexes that look locks and movements up by one.
The outbound index also carries each movement's kind, so replenishment's demand (only some
kinds) is read from the index alone.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE = "status = 'active'"
WITH_DOCUMENT = "document_form IS NOT NULL"
WITH_REFERENCE = "reference IS NOT NULL"


def _where(condition: str) -> dict[str, sa.TextClause]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


OUTBOUND = "to_warehouse_id IS NULL"


def _outbound(columns: list[str]) -> None:
    with op.batch_alter_table("sf_movement", schema=None) as batch_op:
        batch_op.drop_index("ix_sf_movement_out", **_where(OUTBOUND))
        batch_op.create_index("ix_sf_movement_out", columns, unique=False, **_where(OUTBOUND))


def upgrade() -> None:
    with op.batch_alter_table("sf_lock", schema=None) as batch_op:
        batch_op.drop_index("ix_sf_lock_expiry")
        batch_op.drop_index("ix_sf_lock_owner")
        batch_op.drop_index("ix_sf_lock_reference")
        batch_op.create_index(
            "ix_sf_lock_active_expiry", ["expires_at"], unique=False, **_where(ACTIVE)
        )
        batch_op.create_index(
            "ix_sf_lock_owner",
            ["document_form", "document_id"],
            unique=False,
            **_where(WITH_DOCUMENT),
        )
        batch_op.create_index(
            "ix_sf_lock_reference", ["reference"], unique=False, **_where(WITH_REFERENCE)
        )

    with op.batch_alter_table("sf_movement", schema=None) as batch_op:
        batch_op.drop_index("ix_sf_movement_posting_id")
        batch_op.drop_index("ix_sf_movement_reference")
        batch_op.drop_index("ix_sf_movement_document")
        batch_op.create_index(
            "ix_sf_movement_document",
            ["document_form", "document_id"],
            unique=False,
            **_where(WITH_DOCUMENT),
        )
    _outbound(["from_warehouse_id", "sku_id", "effective_at", "qty", "kind"])


def downgrade() -> None:
    _outbound(["from_warehouse_id", "sku_id", "effective_at", "qty"])
    with op.batch_alter_table("sf_movement", schema=None) as batch_op:
        batch_op.drop_index("ix_sf_movement_document")
        batch_op.create_index(
            "ix_sf_movement_document", ["document_form", "document_id"], unique=False
        )
        batch_op.create_index("ix_sf_movement_reference", ["reference"], unique=False)
        batch_op.create_index("ix_sf_movement_posting_id", ["posting_id"], unique=False)

    with op.batch_alter_table("sf_lock", schema=None) as batch_op:
        batch_op.drop_index("ix_sf_lock_reference")
        batch_op.drop_index("ix_sf_lock_owner")
        batch_op.drop_index("ix_sf_lock_active_expiry")
        batch_op.create_index("ix_sf_lock_reference", ["reference"], unique=False)
        batch_op.create_index("ix_sf_lock_owner", ["document_form", "document_id"], unique=False)
        batch_op.create_index("ix_sf_lock_expiry", ["status", "expires_at"], unique=False)
