"""Alembic environment: runs on the connection stockform hands it (see stockform.migrate)."""

from __future__ import annotations

from alembic import context

from stockform.api import tables as api_tables  # noqa: F401 - registers them
from stockform.documents import tables as document_tables  # noqa: F401 - registers them
from stockform.rules import tables as rule_tables  # noqa: F401 - registers them
from stockform.stock.tables import Base

connection = context.config.attributes["connection"]


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Template-owned columns (b_<bucket>, f_<field>) are the engine's, not the migrations'."""
    return not (type_ == "column" and reflected and (name or "").startswith(("b_", "f_")))


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
