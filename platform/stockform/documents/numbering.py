"""Document numbers from a form's pattern (SO-{YYYY}{MM}{DD}-{####}), unique under concurrency.

The counter restarts for each distinct date part, so SO-20261125-0001 follows SO-20261124-0042.
One INSERT … ON CONFLICT DO UPDATE … RETURNING takes the next value atomically.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Connection

from ..db import insert_for
from ..spec.model import FormSpec
from ..stock.tables import table_of
from .tables import Counter

_COUNTER = re.compile(r"\{(#+)\}")


def period_of(pattern: str, moment: datetime) -> str:
    """The pattern with its date parts filled in and the counter left out."""
    return (
        pattern.replace("{YYYY}", f"{moment.year:04d}")
        .replace("{YY}", f"{moment.year % 100:02d}")
        .replace("{MM}", f"{moment.month:02d}")
        .replace("{DD}", f"{moment.day:02d}")
    )


def next_number(connection: Connection, form: FormSpec, moment: datetime) -> str:
    """The next number of form, with dates in the business time zone (moment is local)."""
    period = period_of(form.numbering, moment)
    table = table_of(Counter)
    statement = insert_for(connection, table).values(form=form.id, period=period, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=["form", "period"], set_={"value": table.c.value + 1}
    ).returning(table.c.value)
    value = int(connection.execute(statement).scalar_one())
    return _COUNTER.sub(lambda m: f"{value:0{len(m.group(1))}d}", period, count=1)
