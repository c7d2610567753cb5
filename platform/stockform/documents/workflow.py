"""Take a workflow transition: who may, from which state, under which condition and quorum,
with its stock effects in the same transaction as the state change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from ..spec.model import ALL, Effect, EffectKind, FormSpec, Template, Transition, WorkflowSpec
from ..spec.phrases import Joined, Labelled, phrase
from ..stock import catalog, locks
from ..stock.errors import InsufficientStock
from ..stock.locks import LockRequest
from ..stock.query import query_stock
from ..stock.tables import table_of
from ..stock.units import qty_decimal, to_qty
from .errors import Forbidden, InvalidTransition
from .lines import Loaded, line_batch, line_place, numbered, precision
from .moves import run_move
from .tables import Approval
from .users import Actor
from .validate import run


def may_take(transition: Transition, actor: Actor, template: Template, form: FormSpec) -> bool:
    """Whether actor may take transition (admin always; else one of its roles)."""
    if actor.is_admin:
        return True
    if transition.automatic:
        return False
    if transition.roles:
        return bool(actor.roles & set(transition.roles))
    return any(template.roles[r].may(form.id, "create") for r in actor.roles if r in template.roles)


def check_transition(
    connection: Connection,
    template: Template,
    workflow: WorkflowSpec,
    doc: Loaded,
    transition: Transition,
    actor: Actor,
    comment: str | None,
) -> None:
    """Raise InvalidTransition or Forbidden unless actor may take transition now."""
    action = Labelled(transition.label, name=transition.name)
    if doc.state not in transition.sources:
        raise InvalidTransition(
            phrase(
                "'%(action)s' cannot be taken in state '%(state)s' (only from %(sources)s)",
                action=action,
                state=_state(workflow, doc.state),
                sources=Joined((_state(workflow, s) for s in transition.sources), ", "),
            )
        )
    if not may_take(transition, actor, template, doc.form):
        raise Forbidden(phrase("your roles may not take '%(action)s'", action=action))
    if transition.condition is not None and run(transition.condition, doc.header_env) is not True:
        condition = transition.condition.source
        raise InvalidTransition(
            phrase("'%(action)s' needs %(condition)s", action=action, condition=condition)
        )
    if transition.comment == "required" and not (comment or "").strip():
        raise InvalidTransition(phrase("'%(action)s' needs a comment", action=action))
    if transition.quorum > 1 and not transition.self_approval and actor.username == doc.created_by:
        raise Forbidden(phrase("you created this document; someone else must approve it"))


def _state(workflow: WorkflowSpec, name: str) -> str:
    """A state as messages name it: its name, said as its label."""
    spec = workflow.states.get(name)
    return name if spec is None else Labelled(spec.label, name=name)


def record_approval(
    connection: Connection, doc: Loaded, transition: Transition, actor: Actor, now: datetime
) -> int:
    """Count actor's approval towards the quorum; returns the approvals so far."""
    table = table_of(Approval)
    users = approvers(connection, doc.id, doc.state, transition.name)
    if actor.username in users:
        raise InvalidTransition(
            phrase(
                "you have already approved; %(count)s different people must approve",
                count=transition.quorum,
            )
        )
    connection.execute(
        table.insert().values(
            document_id=doc.id,
            transition=transition.name,
            state=doc.state,
            user=actor.username,
            at=now,
            spent=False,
        )
    )
    return len(users) + 1


def approvers(connection: Connection, doc_id: int, state: str, transition: str) -> set[str]:
    """Who has approved transition in this state so far (towards its quorum)."""
    table = table_of(Approval)
    current = select(table.c.user).where(
        table.c.document_id == doc_id,
        table.c.transition == transition,
        table.c.state == state,
        table.c.spent.is_(False),
    )
    return set(connection.execute(current).scalars())


def spend_approvals(connection: Connection, doc: Loaded, transition: Transition) -> None:
    table = table_of(Approval)
    connection.execute(
        update(table)
        .where(table.c.document_id == doc.id, table.c.transition == transition.name)
        .values(spent=True)
    )


def run_effects(
    connection: Connection,
    template: Template,
    doc: Loaded,
    effects: tuple[Effect, ...],
    actor: Actor,
    now: datetime,
    version_id: int,
) -> dict[str, Any]:
    """Run every effect; returns field changes made by `set` effects."""
    changes: dict[str, Any] = {}
    for effect in effects:
        if effect.kind is EffectKind.LOCK:
            _lock(connection, template, doc, effect, actor, now)
        elif effect.kind in (EffectKind.KEEP, EffectKind.RELEASE, EffectKind.CONSUME):
            _on_locks(connection, template, doc, effect, actor, now)
        elif effect.kind is EffectKind.MOVE:
            run_move(connection, template, doc, effect, actor, now, version_id)
        elif effect.kind is EffectKind.SET:
            changes.update(_set(connection, template, doc, effect))
    return changes


def _lock(
    connection: Connection,
    template: Template,
    doc: Loaded,
    effect: Effect,
    actor: Actor,
    now: datetime,
) -> None:
    requests = []
    # Locking a line that is already locked only tops it up: a lock that expired (an
    # unpaid order) or that a count cut is taken again, and nothing is ever locked twice.
    held = _held(connection, doc, effect.rule, now)
    for line_id, env in zip(doc.line_ids, doc.line_envs, strict=True):
        sku, warehouse, qty = line_place(doc.form, effect, env)
        if not qty:
            continue
        sku_id = catalog.sku_id(connection, sku)
        missing = to_qty(qty, precision(env)) - held.get(line_id, 0)
        if missing <= 0:
            continue
        requests.append(
            LockRequest(
                sku_id,
                catalog.warehouse_id(connection, warehouse),
                missing,
                rule=effect.rule,
                document_form=doc.form.id,
                document_id=doc.id,
                line_id=line_id,
                expires_in=effect.expires_after,
            )
        )
    try:
        locks.acquire(connection, template, requests, user=actor.username, now=now)
    except InsufficientStock as exc:
        raise InsufficientStock([numbered(s, doc) for s in exc.shortages]) from None


def _held(connection: Connection, doc: Loaded, rule: str | None, now: datetime) -> dict[int, int]:
    """Open locked quantity per line (thousandths), leaving out locks whose time is up."""
    held: dict[int, int] = {}
    for lock in locks.locks_of(
        connection, document_form=doc.form.id, document_id=doc.id, rule=rule
    ):
        if lock.line_id is not None and (lock.expires_at is None or lock.expires_at > now):
            held[lock.line_id] = held.get(lock.line_id, 0) + lock.open_qty
    return held


def _on_locks(
    connection: Connection,
    template: Template,
    doc: Loaded,
    effect: Effect,
    actor: Actor,
    now: datetime,
) -> None:
    if effect.kind is EffectKind.CONSUME and effect.qty is None:
        _refuse_short_locks(connection, doc, effect, now)
    for lock in locks.locks_of(
        connection, document_form=doc.form.id, document_id=doc.id, rule=effect.rule
    ):
        if effect.kind is EffectKind.KEEP:
            locks.keep(connection, lock.id)
        elif effect.kind is EffectKind.RELEASE:
            locks.release(connection, template, lock.id, user=actor.username, now=now)
        else:
            locks.consume(connection, template, lock.id, user=actor.username, now=now)


def _refuse_short_locks(connection: Connection, doc: Loaded, effect: Effect, now: datetime) -> None:
    """Shipping a line whose lock holds less than its quantity would ship less than the
    document says: refuse, naming each such line, so someone locks it again or changes it."""
    held = _held(connection, doc, effect.rule, now)
    short = []
    for number, (line_id, env) in enumerate(zip(doc.line_ids, doc.line_envs, strict=True), 1):
        sku, _warehouse, qty = line_place(doc.form, effect, env)
        if not qty:
            continue
        have = held.get(line_id, 0)
        if have < to_qty(qty, precision(env)):
            short.append(
                phrase(
                    "line %(n)s: %(have)s of %(qty)s %(sku)s is locked"
                    " (its lock expired or a count cut it)",
                    n=number,
                    have=qty_decimal(have),
                    qty=qty,
                    sku=sku,
                )
            )
    if short:
        raise InvalidTransition(Joined([*short, phrase("lock the lines again first")]))


def _set(connection: Connection, template: Template, doc: Loaded, effect: Effect) -> dict[str, Any]:
    assert effect.field is not None and effect.value is not None
    if not effect.field.startswith("line."):
        value = run(effect.value, doc.header_env)
        doc.fields[effect.field] = value
        return {effect.field: value}
    name = effect.field[5:]
    reads_stock = any(ref[0] == "stock" for ref in effect.value.references)
    for values, env in zip(doc.lines, doc.line_envs, strict=True):
        if not reads_stock:
            values[name] = run(effect.value, env)
            continue
        sku, warehouse, _qty = line_place(doc.form, effect, env)
        batch = line_batch(doc, effect, env)
        # A line with a batch sees that batch's stock; otherwise the SKU's at the warehouse.
        page = query_stock(
            connection,
            template,
            sku=sku,
            warehouse=warehouse,
            level="batch" if batch else "warehouse",
            per_page=1000,
        )
        rows = [r for r in page.items if not batch or r.batch == batch]
        figures = (
            {**rows[0].buckets, **rows[0].quantities}
            if rows
            else dict.fromkeys([*template.stock.buckets, *template.stock.quantities], 0)
        )
        values[name] = run(effect.value, {**env, "stock": figures})
    return {effect.field: "per line"}


def editable(workflow: WorkflowSpec | None, state: str) -> tuple[str, ...] | str:
    """The fields a document in state may still change ("all" or a tuple of names)."""
    if workflow is None:
        return ALL
    spec = workflow.states.get(state)
    return ALL if spec is None and state == workflow.initial else (spec.editable if spec else ())
