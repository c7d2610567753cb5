"""Load the demo into an empty database: the catalogue's SKUs, the users, then the history."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from ..documents.tables import Document, User
from ..documents.users import add_user
from ..spec.model import BUILTIN_ROLE, Template
from ..stock.service import Stock
from ..stock.tables import Sku, table_of
from .catalogue import PEOPLE, read_catalogue
from .history import History

SEED = 20241125
CATALOGUE = Path("demo") / "skus.csv"


class DemoRefused(Exception):
    """No demo data is loaded here; the message says why."""


@dataclass(frozen=True)
class DemoUser:
    username: str
    roles: tuple[str, ...]
    password: str


@dataclass(frozen=True)
class Demo:
    """What was loaded: SKUs, documents per form, new users (with passwords), flows left out."""

    skus: int
    documents: Mapping[str, int]
    users: tuple[DemoUser, ...]
    left_out: tuple[str, ...]


def holdings(engine: Engine) -> tuple[int, int]:
    """How many SKUs and documents the database holds."""
    with engine.connect() as connection:
        skus = connection.execute(select(func.count()).select_from(table_of(Sku))).scalar_one()
        docs = connection.execute(select(func.count()).select_from(table_of(Document)))
        return int(skus), int(docs.scalar_one())


def load_demo(
    engine: Engine,
    template: Template,
    version_id: int,
    folder: str | Path,
    *,
    now: datetime | None = None,
    seed: int = SEED,
) -> Demo:
    """Load the template's demo catalogue, a user per role and 90 days of history up to now
    into an empty database; raises DemoRefused when the template has no demo data or the
    database holds SKUs or documents already."""
    path = Path(folder) / CATALOGUE
    if not path.is_file():
        raise DemoRefused(
            f"template '{template.info.id}' has no demo data ({path} does not exist); "
            "the retail starter has some: leave out --template, or --template templates_lib/retail"
        )
    skus, documents = holdings(engine)
    if skus or documents:
        raise DemoRefused(
            f"the database already holds {skus} SKUs and {documents} documents; "
            "demo data is loaded only into an empty database"
        )
    catalogue = read_catalogue(path)
    stock = Stock(engine, template, version_id)
    for item in catalogue:
        stock.create_sku(**item.sku_values(template))
    users = _add_users(engine, template)
    history = History(engine, template, version_id, catalogue, now or datetime.now(UTC), seed)
    history.run()
    table = table_of(Document)
    with engine.connect() as connection:
        counts = connection.execute(select(table.c.form, func.count()).group_by(table.c.form))
        per_form = {form: int(n) for form, n in counts}
    return Demo(len(catalogue), per_form, users, history.left_out)


def _add_users(engine: Engine, template: Template) -> tuple[DemoUser, ...]:
    """admin and a user per role of PEOPLE the template has, unless the name is taken."""
    wanted = [("admin", BUILTIN_ROLE)]
    wanted += [(name, role) for name, role in PEOPLE.items() if role in template.roles]
    made = []
    with engine.begin() as connection:
        taken = set(connection.execute(select(table_of(User).c.username)).scalars())
        for name, role in wanted:
            if name not in taken:
                password = secrets.token_urlsafe(9)
                add_user(connection, template, name, [role], password)
                made.append(DemoUser(name, (role,), password))
    return tuple(made)
