"""Migration 0004 makes the warnings' tables and the ledger's partial indexes exactly as the
models declare them, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from stockform import migrate
from stockform.api import tables as api_tables  # noqa: F401 - registers them
from stockform.db import make_engine
from stockform.documents import tables as document_tables  # noqa: F401 - registers them
from stockform.rules import tables as rule_tables  # noqa: F401 - registers them
from stockform.stock.tables import Base


def test_the_migrated_schema_is_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
        assert migrate.current_revision(engine) == head
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            indexes = {i["name"] for i in inspect(connection).get_indexes("sf_movement")}
        assert {"ix_sf_movement_out", "ix_sf_movement_in"} <= indexes
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        with engine.connect() as connection:
            assert not inspect(connection).has_table("sf_warning")
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert inspect(connection).has_table("sf_warning_event")
    finally:
        engine.dispose()
