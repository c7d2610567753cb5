"""`Documents`: create, edit, read, list and act on documents; each call one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, or_, select, update

from ..spec.model import ALL, FieldSpec, FormSpec, Template
from ..spec.phrases import phrase
from ..stock.cuts import Cut
from ..stock.ledger import codes
from ..stock.lock_records import LockRecord, find_locks
from ..stock.tables import table_of
from ..stock.units import qty_decimal
from .errors import Forbidden, InvalidTransition, NotFound
from .lines import Loaded
from .lookups import DatabaseLookups
from .moves import planned_cuts
from .numbering import next_number
from .tables import AuditEvent, Document, DocumentLine
from .users import Actor
from .validate import Evaluated, ValidationFailed, evaluate, field_env, owner_code, run
from .values import from_json, to_json
from .workflow import (
    approvers,
    check_transition,
    editable,
    may_take,
    record_approval,
    run_effects,
    spend_approvals,
)

MAX_AUTOMATIC_STEPS = 20


@dataclass(frozen=True)
class DocumentView:
    id: int
    form: str
    number: str
    state: str
    template_version: int
    fields: dict[str, Any]
    lines: list[dict[str, Any]]
    totals: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        """The document as the API returns it: decimals as strings, lines with their ids."""
        return {
            "id": self.id,
            "form": self.form,
            "number": self.number,
            "state": self.state,
            "fields": {k: to_json(v) for k, v in self.fields.items()},
            "lines": [{k: to_json(v) for k, v in line.items()} for line in self.lines],
            "totals": {k: to_json(v) for k, v in self.totals.items()},
            "template_version": self.template_version,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class CutNotice:
    """A lock a transition would cut: whose it is (document or reference) and how much."""

    form: str | None
    document_id: int | None
    number: str | None
    line: int | None
    reference: str | None
    sku: str
    warehouse: str
    qty: Decimal


class Documents:
    """Documents of one template in one database."""

    def __init__(
        self,
        engine: Engine,
        template: Template,
        version_id: int,
        clock: Callable[[], datetime] | None = None,
        after_commit: Callable[[str, int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.template = template
        self.version_id = version_id
        self.zone = ZoneInfo(template.info.timezone)
        # History loaded in time order (demo data, imports) runs on its own clock.
        self.clock = clock or _utc_now
        # Told (form, document id) once a create or action has committed, outside its
        # transaction: the edges evaluate warnings for the rows it touched there.
        self.after_commit = after_commit

    # -- permissions
    def form(self, form_id: str) -> FormSpec:
        if form_id not in self.template.forms:
            raise NotFound(f"no form '{form_id}'")
        return self.template.forms[form_id]

    def may(self, actor: Actor, form_id: str, grant: str) -> bool:
        if actor.is_admin:
            return True
        return any(
            self.template.roles[r].may(form_id, grant)
            for r in actor.roles
            if r in self.template.roles
        )

    def _require(self, actor: Actor, form_id: str, grant: str) -> None:
        if not self.may(actor, form_id, grant):
            raise Forbidden(f"your roles may not {grant} {form_id} documents")

    def _warehouse_allowed(self, actor: Actor, fields: Mapping[str, Any]) -> None:
        if actor.is_admin:
            return
        codes = [v for k, v in fields.items() if isinstance(v, str) and k.endswith("warehouse")]
        for code in codes:
            allowed = any(
                r in self.template.roles
                and (
                    self.template.roles[r].warehouses == ALL
                    or code in self.template.roles[r].warehouses
                )
                for r in actor.roles
            )
            if not allowed:
                raise Forbidden(phrase("your roles may not work in warehouse %(code)s", code=code))

    # -- writing
    def create(
        self,
        form_id: str,
        fields: Mapping[str, Any],
        lines: Sequence[Mapping[str, Any]],
        actor: Actor,
    ) -> DocumentView:
        """Validate and save a new document in its workflow's initial state."""
        return self.create_many([(form_id, fields, lines)], actor)[0]

    def create_many(
        self,
        documents: Sequence[tuple[str, Mapping[str, Any], Sequence[Mapping[str, Any]]]],
        actor: Actor,
    ) -> list[DocumentView]:
        """Validate and save several new documents (form, fields, lines) in one transaction:
        all of them, or none when one is refused."""
        for form_id, _fields, _lines in documents:
            self.form(form_id)
            self._require(actor, form_id, "create")
        now = self.clock()
        with self.engine.begin() as connection:
            views = [
                self._view(connection, self._insert(connection, *item, actor, now))
                for item in documents
            ]
        for view in views:
            self._committed(view.form, view.id)
        return views

    def _insert(
        self,
        connection: Connection,
        form_id: str,
        fields: Mapping[str, Any],
        lines: Sequence[Mapping[str, Any]],
        actor: Actor,
        now: datetime,
    ) -> int:
        form = self.form(form_id)
        workflow = self.template.workflows.get(form.workflow or "")
        state = workflow.initial if workflow else "draft"
        fields = _settable(form.fields, fields)
        lines = [_settable(form.lines, line) for line in lines]
        evaluated = self._evaluate(connection, form, fields, lines, state)
        self._warehouse_allowed(actor, evaluated.fields)
        number = next_number(connection, form, now.astimezone(self.zone))
        doc_id = int(
            connection.execute(
                table_of(Document)
                .insert()
                .values(
                    form=form_id,
                    number=number,
                    state=state,
                    template_version=self.version_id,
                    fields=_json(evaluated.fields),
                    totals=_json(evaluated.totals),
                    warehouse=_warehouse(evaluated.fields),
                    created_by=actor.username,
                    created_at=now,
                    updated_by=actor.username,
                    updated_at=now,
                )
                .returning(table_of(Document).c.id)
            ).scalar_one()
        )
        self._write_lines(connection, doc_id, evaluated.lines)
        self._audit(
            connection,
            doc_id,
            actor,
            "created",
            None,
            state,
            None,
            {"fields": _json(evaluated.fields)},
            now,
        )
        self._automatic(connection, doc_id, actor, now)
        return doc_id

    def update(
        self,
        doc_id: int,
        actor: Actor,
        fields: Mapping[str, Any] | None = None,
        lines: Sequence[Mapping[str, Any]] | None = None,
        *,
        replace_lines: bool = False,
    ) -> DocumentView:
        """Change the named fields (and lines) the document's state leaves editable."""
        now = self.clock()
        with self.engine.begin() as connection:
            row = self._row(connection, doc_id, lock=True)
            form = self.form(row.form)
            self._require(actor, row.form, "create")
            workflow = self.template.workflows.get(form.workflow or "")
            allowed = editable(workflow, row.state)
            old_fields = dict(row.fields)
            old_lines = self._lines(connection, doc_id)
            new_fields = dict(old_fields)
            errors = []
            for name, value in (fields or {}).items():
                if allowed != ALL and name not in allowed and name in form.fields:
                    errors.append(f"{name}: cannot be changed in state '{row.state}'")
                if name not in form.fields or not form.fields[name].readonly:
                    new_fields[name] = value
            new_lines = self._merged_lines(
                form, row.state, allowed, old_lines, lines or [], replace_lines, errors
            )
            if errors:
                raise InvalidTransition("; ".join(errors))
            raw_fields = {
                k: v
                for k, v in new_fields.items()
                if k in form.fields and form.fields[k].compute is None
            }
            raw_lines = [{k: v for k, v in line.items() if k != "id"} for line in new_lines]
            evaluated = self._evaluate(connection, form, raw_fields, raw_lines, row.state)
            self._warehouse_allowed(actor, evaluated.fields)
            changes: dict[str, Any] = {
                k: [old_fields.get(k), v]
                for k, v in _json(evaluated.fields).items()
                if old_fields.get(k) != v
            }
            connection.execute(
                update(table_of(Document))
                .where(table_of(Document).c.id == doc_id)
                .values(
                    fields=_json(evaluated.fields),
                    totals=_json(evaluated.totals),
                    warehouse=_warehouse(evaluated.fields),
                    updated_by=actor.username,
                    updated_at=now,
                )
            )
            ids = [line.get("id") for line in new_lines]
            self._write_lines(connection, doc_id, evaluated.lines, ids)
            if lines is not None:
                changes["lines"] = len(evaluated.lines)
            self._audit(
                connection, doc_id, actor, "edited", row.state, row.state, None, changes, now
            )
            return self._view(connection, doc_id)

    def act(
        self, doc_id: int, transition: str, actor: Actor, comment: str | None = None
    ) -> DocumentView:
        """Take a transition: its checks, quorum and effects, all or nothing."""
        now = self.clock()
        with self.engine.begin() as connection:
            self._act(connection, doc_id, transition, actor, comment, now)
            self._automatic(connection, doc_id, actor, now)
            view = self._view(connection, doc_id)
        self._committed(view.form, doc_id)
        return view

    def _committed(self, form_id: str, doc_id: int) -> None:
        if self.after_commit is not None:
            self.after_commit(form_id, doc_id)

    def _act(
        self,
        connection: Connection,
        doc_id: int,
        name: str,
        actor: Actor,
        comment: str | None,
        now: datetime,
    ) -> None:
        row = self._row(connection, doc_id, lock=True)
        form = self.form(row.form)
        self._require(actor, row.form, "read")
        workflow = self.template.workflows.get(form.workflow or "")
        if workflow is None or name not in workflow.transitions:
            raise InvalidTransition(f"form '{form.id}' has no action '{name}'")
        transition = workflow.transitions[name]
        doc = self._loaded(connection, row, form)
        check_transition(connection, self.template, workflow, doc, transition, actor, comment)
        if transition.quorum > 1:
            count = record_approval(connection, doc, transition, actor, now)
            if count < transition.quorum:
                self._audit(
                    connection,
                    doc_id,
                    actor,
                    f"{name} ({count} of {transition.quorum})",
                    row.state,
                    row.state,
                    comment,
                    {},
                    now,
                )
                return
            spend_approvals(connection, doc, transition)
        changes = run_effects(
            connection, self.template, doc, transition.effects, actor, now, self.version_id
        )
        target = transition.target or row.state
        values: dict[str, Any] = {"state": target, "updated_by": actor.username, "updated_at": now}
        # The document must hold in the state it enters (checks may depend on `state`), with
        # the values its effects set; computed fields and totals follow those values.
        evaluated = evaluate(
            form,
            {n: v for n, v in doc.fields.items() if form.fields[n].compute is None},
            [
                {n: v for n, v in line.items() if form.lines[n].compute is None}
                for line in doc.lines
            ],
            DatabaseLookups(connection, self.template),
            today=now.astimezone(self.zone).date(),
            state=target,
        )
        if evaluated.errors:
            raise ValidationFailed(evaluated.errors)
        if changes:
            values["fields"] = _json(evaluated.fields)
            values["totals"] = _json(evaluated.totals)
            self._write_lines(connection, doc_id, evaluated.lines, doc.line_ids)
        connection.execute(
            update(table_of(Document)).where(table_of(Document).c.id == doc_id).values(**values)
        )
        self._audit(
            connection,
            doc_id,
            actor,
            name,
            row.state,
            target,
            comment,
            {k: to_json(v) for k, v in changes.items()},
            now,
        )

    def _automatic(self, connection: Connection, doc_id: int, actor: Actor, now: datetime) -> None:
        """Take automatic transitions whose condition holds in the state the document is in."""
        engine_actor = Actor(actor.username, frozenset({"admin"}))
        for _step in range(MAX_AUTOMATIC_STEPS):
            row = self._row(connection, doc_id)
            form = self.form(row.form)
            workflow = self.template.workflows.get(form.workflow or "")
            if workflow is None:
                return
            doc = self._loaded(connection, row, form)
            ready = [
                t
                for t in workflow.available_from(row.state)
                if t.automatic and (t.condition is None or _holds(t.condition, doc.header_env))
            ]
            if not ready:
                return
            self._act(connection, doc_id, ready[0].name, engine_actor, "automatic", now)

    def cuts(self, doc_id: int, transition: str, actor: Actor) -> list[CutNotice]:
        """The locks taking `transition` now would cut (a count short of locked goods), each
        with the document that holds it, so a manager sees them before confirming."""
        with self.engine.connect() as connection:  # never committed: planning only reads
            row = self._row(connection, doc_id)
            form = self.form(row.form)
            self._require(actor, row.form, "read")
            workflow = self.template.workflows.get(form.workflow or "")
            if workflow is None or transition not in workflow.transitions:
                return []
            if row.state not in workflow.transitions[transition].sources:
                return []  # it cannot be taken in this state, so it cuts nothing
            effects = workflow.transitions[transition].effects
            if not any(e.cut_locks for e in effects):
                return []
            doc = self._loaded(connection, row, form)
            planned = planned_cuts(connection, self.template, doc, effects, self.clock())
            notices = [self._cut_notice(connection, c) for c in planned]
            connection.rollback()
            return notices

    def locks(self, doc_id: int, actor: Actor) -> list[tuple[int | None, LockRecord]]:
        """Every lock the document has taken, oldest first, with its line number: what is
        still held, what expired, was cut, released or shipped."""
        view = self.get(doc_id, actor)
        numbers = {line["id"]: n for n, line in enumerate(view.lines, start=1)}
        with self.engine.connect() as connection:
            found, _total = find_locks(
                connection, document_form=view.form, document_id=doc_id, per_page=10_000
            )
        return [(numbers.get(lock.line_id), lock) for lock in found]

    def _cut_notice(self, connection: Connection, cut: Cut) -> CutNotice:
        table = table_of(Document)
        owner = None
        if cut.document_id is not None:
            owner = connection.execute(
                select(table.c.form, table.c.number).where(table.c.id == cut.document_id)
            ).first()
        line = None
        if cut.line_id is not None and cut.document_id is not None:
            ids = [x["id"] for x in self._lines(connection, cut.document_id)]
            line = ids.index(cut.line_id) + 1 if cut.line_id in ids else None
        sku, warehouse = codes(connection, cut.sku_id, cut.warehouse_id)
        return CutNotice(
            form=owner.form if owner else None,
            document_id=cut.document_id,
            number=owner.number if owner else None,
            line=line,
            reference=cut.reference,
            sku=sku,
            warehouse=warehouse,
            qty=qty_decimal(cut.qty),
        )

    # -- reading
    def get(self, doc_id: int, actor: Actor | None = None) -> DocumentView:
        with self.engine.connect() as connection:
            view = self._view(connection, doc_id)
        if actor is not None:
            self._require(actor, view.form, "read")
        return view

    def history(self, doc_id: int) -> list[dict[str, Any]]:
        table = table_of(AuditEvent)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table).where(table.c.document_id == doc_id).order_by(table.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def search(
        self,
        form_id: str,
        actor: Actor,
        *,
        state: str | None = None,
        number: str | None = None,
        q: str | None = None,
        warehouse: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[list[DocumentView], int]:
        """A page of a form's documents, newest first, and how many match in all."""
        self.form(form_id)
        self._require(actor, form_id, "read")
        table = table_of(Document)
        query = select(table.c.id).where(table.c.form == form_id)
        if state:
            query = query.where(table.c.state == state)
        if number:
            query = query.where(table.c.number == number)
        if warehouse:
            query = query.where(table.c.warehouse == warehouse)
        if q:
            like = f"%{q}%"
            query = query.where(or_(table.c.number.like(like), table.c.created_by.like(like)))
        page, per_page = max(page, 1), min(max(per_page, 1), 500)
        with self.engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(query.subquery())
            ).scalar_one()
            ids = (
                connection.execute(
                    query.order_by(table.c.id.desc()).limit(per_page).offset((page - 1) * per_page)
                )
                .scalars()
                .all()
            )
            return [self._view(connection, i) for i in ids], int(total)

    def transitions_for(self, view: DocumentView, actor: Actor) -> list[str]:
        """Names of the transitions actor may take on the document now."""
        form = self.form(view.form)
        workflow = self.template.workflows.get(form.workflow or "")
        if workflow is None:
            return []
        allowed = [
            t
            for t in workflow.available_from(view.state)
            if not t.automatic and may_take(t, actor, self.template, form)
        ]
        if any(t.condition is not None or t.quorum > 1 for t in allowed):
            with self.engine.connect() as connection:
                row = self._row(connection, view.id)
                env = self._loaded(connection, row, form).header_env
                # Only actions whose condition holds now (a paid order offers no payment),
                # and not an approval this user has already given.
                allowed = [
                    t
                    for t in allowed
                    if (t.condition is None or _holds(t.condition, env))
                    and not (
                        t.quorum > 1
                        and actor.username in approvers(connection, view.id, row.state, t.name)
                    )
                ]
        return [t.name for t in allowed]

    # -- helpers
    def _evaluate(
        self,
        connection: Connection,
        form: FormSpec,
        fields: Mapping[str, Any],
        lines: Sequence[Mapping[str, Any]],
        state: str,
    ) -> Evaluated:
        lookups = DatabaseLookups(connection, self.template)
        today = self.clock().astimezone(self.zone).date()
        evaluated = evaluate(form, fields, lines, lookups, today=today, state=state)
        if evaluated.errors:
            raise ValidationFailed(evaluated.errors)
        return evaluated

    def _row(self, connection: Connection, doc_id: int, lock: bool = False) -> Any:
        table = table_of(Document)
        query = select(table).where(table.c.id == doc_id)
        if lock and connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None:
            raise NotFound(f"no document {doc_id}")
        return row

    def _lines(self, connection: Connection, doc_id: int) -> list[dict[str, Any]]:
        table = table_of(DocumentLine)
        rows = connection.execute(
            select(table.c.id, table.c.data)
            .where(table.c.document_id == doc_id)
            .order_by(table.c.position, table.c.id)
        )
        return [{"id": r.id, **r.data} for r in rows]

    def _write_lines(
        self,
        connection: Connection,
        doc_id: int,
        lines: Sequence[Mapping[str, Any]],
        ids: Sequence[int | None] | None = None,
    ) -> None:
        table = table_of(DocumentLine)
        ids = list(ids or [None] * len(lines))
        keep = [i for i in ids if i is not None]
        stale = select(table.c.id).where(table.c.document_id == doc_id)
        if keep:
            stale = stale.where(table.c.id.not_in(keep))
        connection.execute(table.delete().where(table.c.id.in_(stale.scalar_subquery())))
        for position, (line_id, values) in enumerate(zip(ids, lines, strict=True), start=1):
            stored = _json({k: v for k, v in values.items() if k != "id"})
            if line_id is None:
                connection.execute(
                    table.insert().values(document_id=doc_id, position=position, data=stored)
                )
            else:
                connection.execute(
                    update(table)
                    .where(table.c.id == line_id)
                    .values(position=position, data=stored)
                )

    def _merged_lines(
        self,
        form: FormSpec,
        state: str,
        allowed: tuple[str, ...] | str,
        old: list[dict[str, Any]],
        changes: Sequence[Mapping[str, Any]],
        replace: bool,
        errors: list[str],
    ) -> list[dict[str, Any]]:
        if replace:
            if allowed != ALL and changes != old:
                errors.append(f"lines cannot be replaced in state '{state}'")
            # An id names a line of this document; another document's line is never touched.
            mine = {line["id"] for line in old}
            for change in changes:
                if change.get("id") is not None and change["id"] not in mine:
                    errors.append(f"no line {change['id']} in this document")
            stored = {line["id"]: line for line in old}
            return [
                {**_settable(form.lines, c), **_read_only(form.lines, stored.get(c.get("id"), {}))}
                for c in changes
            ]
        by_id = {line["id"]: dict(line) for line in old}
        added = []
        for change in changes:
            line_id = change.get("id")
            if line_id is None:
                if allowed != ALL:
                    errors.append(f"lines cannot be added in state '{state}'")
                added.append(_settable(form.lines, change))
                continue
            if line_id not in by_id:
                errors.append(f"no line {line_id} in this document")
                continue
            for key, value in change.items():
                if key == "id":
                    continue
                if allowed != ALL and key not in allowed:
                    errors.append(f"line {line_id}, {key}: cannot be changed in state '{state}'")
                if key not in form.lines or not form.lines[key].readonly:
                    by_id[line_id][key] = value
        return [by_id[line["id"]] for line in old] + added

    def _loaded(self, connection: Connection, row: Any, form: FormSpec) -> Loaded:
        lines = self._lines(connection, row.id)
        fields = {n: from_json(s, row.fields.get(n)) for n, s in form.fields.items()}
        line_values = [
            {n: from_json(s, line.get(n)) for n, s in form.lines.items()} for line in lines
        ]
        lookups = DatabaseLookups(connection, self.template)
        header_env = field_env(
            form.fields,
            fields,
            lookups,
            {"$today": self.clock().astimezone(self.zone).date(), "state": row.state},
        )
        header_env.update({k: from_json_total(v) for k, v in row.totals.items()})
        line_envs = []
        header_sku = owner_code(form.fields, fields, "sku")
        for values in line_values:
            line_env = field_env(form.lines, values, lookups, {}, owner=header_sku)
            env = {**header_env, "doc": header_env, **line_env}
            env["line"] = {k: env.get(k) for k in form.lines}
            line_envs.append(env)
        header_env["lines"] = [env["line"] for env in line_envs]
        return Loaded(
            row.id,
            form,
            row.number,
            row.state,
            row.created_by,
            fields,
            [line["id"] for line in lines],
            line_values,
            header_env,
            line_envs,
        )

    def _view(self, connection: Connection, doc_id: int) -> DocumentView:
        row = self._row(connection, doc_id)
        form = self.form(row.form)
        lines = self._lines(connection, doc_id)
        return DocumentView(
            id=row.id,
            form=row.form,
            number=row.number,
            state=row.state,
            template_version=row.template_version,
            fields={n: from_json(s, row.fields.get(n)) for n, s in form.fields.items()},
            lines=[
                {"id": line["id"], **{n: from_json(s, line.get(n)) for n, s in form.lines.items()}}
                for line in lines
            ],
            totals={k: from_json_total(v) for k, v in row.totals.items()},
            created_by=row.created_by,
            created_at=row.created_at,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )

    def _audit(
        self,
        connection: Connection,
        doc_id: int,
        actor: Actor,
        action: str,
        before: str | None,
        after: str | None,
        comment: str | None,
        changes: Mapping[str, Any],
        now: datetime,
    ) -> None:
        connection.execute(
            table_of(AuditEvent)
            .insert()
            .values(
                document_id=doc_id,
                at=now,
                user=actor.username,
                action=action,
                from_state=before,
                to_state=after,
                comment=comment,
                changes=dict(changes),
                template_version=self.version_id,
            )
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _json(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_json(v) for k, v in values.items()}


def from_json_total(value: Any) -> Any:
    """A stored total back as a Decimal (totals are kept as decimal strings)."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _settable(specs: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """values without read-only fields: only workflow effects set those (an order's `paid`, a
    count's `book`), so what a form or the API sends for them is ignored."""
    return {k: v for k, v in values.items() if k not in specs or not specs[k].readonly}


def _read_only(specs: Mapping[str, FieldSpec], stored: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if k in specs and specs[k].readonly}


def _warehouse(fields: Mapping[str, Any]) -> str | None:
    value = fields.get("warehouse") or fields.get("from_warehouse")
    return value if isinstance(value, str) else None


def _holds(condition: Any, env: Mapping[str, Any]) -> bool:
    return run(condition, env) is True
