"""The `move` effect: a movement per line, from a batch the line's SKU has or, for goods from
outside, into one it may make; and the locks a count's move would cut, shown beforehand."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from ..spec.model import Effect, EffectKind, Template
from ..spec.phrases import Joined, message_of, phrase
from ..stock import catalog, cuts
from ..stock.errors import InsufficientStock, InvalidMovement, UnknownItem
from ..stock.ledger import OUTSIDE, Move, Place, post
from ..stock.units import to_money, to_qty
from .errors import InvalidTransition
from .lines import Loaded, code, line_batch, line_place, numbered
from .users import Actor
from .validate import run


def run_move(
    connection: Connection,
    template: Template,
    doc: Loaded,
    effect: Effect,
    actor: Actor,
    now: datetime,
    version_id: int,
) -> None:
    """Post the effect's movements; a count's loss first cuts the locks it must."""
    moves = _moves(connection, template, doc, effect, now)
    if not moves:
        return
    try:
        if effect.cut_locks:
            cuts.expire_due(connection, template, moves, now)
            cuts.apply(
                connection,
                template,
                cuts.plan(connection, template, moves, now=now),
                user=actor.username,
                now=now,
            )
        post(connection, template, moves, user=actor.username, now=now, template_version=version_id)
    except InsufficientStock as exc:
        raise InsufficientStock([numbered(s, doc) for s in exc.shortages]) from None


def planned_cuts(
    connection: Connection,
    template: Template,
    doc: Loaded,
    effects: tuple[Effect, ...],
    now: datetime,
) -> list[cuts.Cut]:
    """The locks that taking a transition with these effects at `now` would cut, newest
    first."""
    found: list[cuts.Cut] = []
    for effect in effects:
        if effect.kind is EffectKind.MOVE and effect.cut_locks:
            try:
                moves = _moves(connection, template, doc, effect, now)
            except InvalidTransition:
                continue  # a line naming no batch of its SKU: taking the action says so
            found.extend(cuts.plan(connection, template, moves, now=now))
    return found


def _moves(
    connection: Connection, template: Template, doc: Loaded, effect: Effect, now: datetime
) -> list[Move]:
    """The movements a move effect makes, one per line with a quantity.

    Raises InvalidTransition naming every line whose batch cannot be used."""
    moves = []
    refused = []
    kind = effect.movement_kind or (
        "receipt"
        if effect.from_bucket == OUTSIDE
        else "transfer"
        if effect.to_warehouse is not None
        else "adjustment"
    )
    for number, (line_id, env) in enumerate(zip(doc.line_ids, doc.line_envs, strict=True), 1):
        sku, warehouse, qty = line_place(doc.form, effect, env)
        if not qty:
            continue
        target_wh = code(run(effect.to_warehouse, env)) if effect.to_warehouse else warehouse
        sku_record = env.get("sku") if isinstance(env.get("sku"), Mapping) else {}
        precision = int((sku_record or {}).get("precision") or 0)
        cost = run(effect.unit_cost, env) if effect.unit_cost is not None else env.get("unit_cost")
        batch = line_batch(doc, effect, env)
        sku_id = catalog.sku_id(connection, sku)
        try:
            batch_id = _batch_id(connection, template, sku_id, batch, effect, env, now)
        except (InvalidMovement, UnknownItem) as exc:
            refused.append(phrase("line %(n)s: %(message)s", n=number, message=message_of(exc)))
            continue
        source = (
            None
            if effect.from_bucket == OUTSIDE
            else Place(catalog.warehouse_id(connection, warehouse), str(effect.from_bucket))
        )
        target = (
            None
            if effect.to_bucket == OUTSIDE
            else Place(
                catalog.warehouse_id(connection, target_wh or warehouse), str(effect.to_bucket)
            )
        )
        moves.append(
            Move(
                sku_id,
                to_qty(qty, precision),
                source,
                target,
                batch_id=batch_id,
                kind=kind,
                unit_cost=None if cost is None else to_money(cost),
                document_form=doc.form.id,
                document_id=doc.id,
                line_id=line_id,
            )
        )
    if refused:
        raise InvalidTransition(Joined(refused))
    return moves


def _batch_id(
    connection: Connection,
    template: Template,
    sku_id: int,
    batch: str | None,
    effect: Effect,
    env: Mapping[str, Any],
    now: datetime,
) -> int:
    """The line's batch: goods from outside may bring a new one (with the line's `expiry`);
    goods taken from a bucket come from a batch of that SKU there is already."""
    if not batch:
        return 0
    if effect.from_bucket != OUTSIDE:
        return catalog.sku_batch(connection, sku_id, batch)
    expiry = env.get("expiry")
    if isinstance(expiry, datetime):
        expiry = expiry.date()
    return catalog.ensure_batch(
        connection,
        template,
        sku_id,
        batch,
        expiry=expiry if isinstance(expiry, date) else None,
        now=now,
    )
