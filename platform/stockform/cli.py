"""The `stockform` command."""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from . import migrate
from .api.tokens import create_token, list_tokens, revoke_token
from .database import Runtime, load_version, prepare
from .db import make_engine
from .documents.users import UserError, add_user
from .rules.functions import FUNCTIONS
from .settings import SETTINGS, SettingsError, load_settings
from .spec.issues import TemplateIssue
from .spec.template import check_template
from .starters import StarterError, copy_starter, list_starters
from .stock.apply import TemplateRefused
from .stock.service import Stock


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stockform")
def main() -> None:
    """stockform: inventory you can trust, described in YAML templates."""


def _located(folder: str, issue: TemplateIssue) -> TemplateIssue:
    from dataclasses import replace

    if issue.line == 0 and issue.file in (".", folder):
        return replace(issue, file=folder)
    return replace(issue, file=os.path.join(folder, issue.file))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json prints a list of {file, line, col, path, message, hint}.",
)
def check(folder: str, output: str) -> None:
    """Check the template in FOLDER and report every problem."""
    template, issues = check_template(folder, FUNCTIONS)
    located = [_located(folder, i) for i in issues]
    if output == "json":
        click.echo(json.dumps([i.as_dict() for i in located], ensure_ascii=False, indent=2))
    elif template is not None:
        click.echo(f"ok: {template.summary()}")
    else:
        for issue in located:
            click.echo(str(issue))
        count = len(located)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in {folder}", err=True)
    sys.exit(0 if template is not None else 1)


@main.command()
def templates() -> None:
    """List the starter templates."""
    for starter in list_starters():
        click.echo(f"{starter.name:<12} {starter.description}")


@main.command()
@click.argument("folder", type=click.Path())
@click.option(
    "--from",
    "starter",
    default="minimal",
    show_default=True,
    help="The starter template to copy (see `stockform templates`).",
)
def new(folder: str, starter: str) -> None:
    """Create a new template in FOLDER from a starter template."""
    try:
        copy_starter(starter, Path(folder))
    except StarterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {folder} from '{starter}'; check it with: stockform check {folder}")


@main.command()
@click.option(
    "--template",
    "template_dir",
    type=click.Path(file_okay=False),
    help="Template folder (default: the TEMPLATE setting).",
)
@click.option("--db", "database_url", help="Database URL (default: the DATABASE_URL setting).")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 5000).")
@click.option("--demo", is_flag=True, default=None, help="Load demo data into an empty database.")
def serve(
    template_dir: str | None,
    database_url: str | None,
    host: str | None,
    port: int | None,
    demo: bool | None,
) -> None:
    """Run the app with the built-in server (use gunicorn in production)."""
    try:
        settings = load_settings(
            {
                "TEMPLATE": template_dir,
                "DATABASE_URL": database_url,
                "HOST": host,
                "PORT": port,
                "DEMO": demo,
            }
        )
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    folder = settings["TEMPLATE"]
    template, issues = check_template(folder, FUNCTIONS)
    if template is None:
        for issue in issues:
            click.echo(str(_located(folder, issue)), err=True)
        raise click.ClickException(f"the template in {folder} has problems; not starting")
    from werkzeug.serving import run_simple

    from .app import create_app

    try:
        app = create_app(settings)
    except TemplateRefused as exc:
        for reason in exc.reasons:
            click.echo(f"refused: {reason}", err=True)
        raise click.ClickException("the database keeps its template; not starting") from None
    runtime = app.extensions["stockform.runtime"]
    login = _first_login(runtime, Path(settings["INSTANCE_PATH"]))
    if settings["DEMO"]:
        serve_demo(runtime, folder, settings, click.echo)
    url = f"http://{settings['HOST']}:{settings['PORT']}"
    click.echo(f"stockform is running {template.info.id} at {url}  (Ctrl+C stops it)")
    if login:
        click.echo(login)
    run_simple(settings["HOST"], settings["PORT"], app, threaded=True)


def _database(database_url: str | None) -> dict[str, Any]:
    try:
        return load_settings({"DATABASE_URL": database_url})
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _runtime(database_url: str | None) -> Runtime:
    """The database's engine and its current template, or a clear refusal."""
    settings = _database(database_url)
    engine = make_engine(settings["DATABASE_URL"], synchronous=settings["SQLITE_SYNCHRONOUS"])
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(engine.dispose)  # no connection outlives the command
    migrate.upgrade(engine)
    loaded = load_version(engine)
    if loaded is None:
        raise click.ClickException(
            "no template applied to this database yet: run `stockform apply DIR` first"
        )
    return Runtime(engine, *loaded)


db_option = click.option("--db", "database_url", help="Database URL (default: DATABASE_URL).")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@db_option
def db_upgrade(database_url: str | None) -> None:
    """Create or migrate the engine's own tables to the latest version."""
    settings = _database(database_url)
    engine = make_engine(settings["DATABASE_URL"], synchronous=settings["SQLITE_SYNCHRONOUS"])
    migrate.upgrade(engine)
    click.echo(f"database is at revision {migrate.current_revision(engine)}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@db_option
@click.option("--user", default=None, help="Who applies it, for the audit trail.")
def apply(folder: str, database_url: str | None, user: str | None) -> None:
    """Check the template in FOLDER and make it the database's current template."""
    template, issues = check_template(folder, FUNCTIONS)
    if template is None:
        for issue in issues:
            click.echo(str(_located(folder, issue)), err=True)
        raise click.ClickException(f"the template in {folder} has problems; nothing applied")
    settings = _database(database_url)
    try:
        prepared = prepare(
            settings["DATABASE_URL"], folder, user=user, synchronous=settings["SQLITE_SYNCHRONOUS"]
        )
    except TemplateRefused as exc:
        for reason in exc.reasons:
            click.echo(f"refused: {reason}", err=True)
        raise click.ClickException("the running template stays in force") from None
    prepared.engine.dispose()  # no connection outlives the command
    applied = prepared.applied
    if applied.unchanged:
        click.echo(
            f"template '{template.info.id}' is already applied (version id {applied.version_id})"
        )
    else:
        added = ", ".join(applied.added_columns) or "no new columns"
        click.echo(
            f"applied template '{template.info.id}' version {template.info.version} "
            f"(version id {applied.version_id}; {added})"
        )


@main.command()
@db_option
@click.option("--repair", is_flag=True, help="Rewrite drifted balances from the ledger.")
def verify(database_url: str | None, repair: bool) -> None:
    """Replay the ledger and compare every balance; exit 1 on drift."""
    runtime = _runtime(database_url)
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    drifts = stock.repair() if repair else stock.drift()
    for drift in drifts:
        click.echo(str(drift))
    if not drifts:
        click.echo("ok: every balance equals its ledger replay")
        return
    if repair:
        click.echo(f"repaired {len(drifts)} drifted balance cells (recorded as an event)")
        return
    click.echo(
        f"{len(drifts)} drifted balance cells; `stockform verify --repair` rewrites them", err=True
    )
    sys.exit(1)


@main.command()
@db_option
def sweep(database_url: str | None) -> None:
    """Release expired locks; move expired batches' goods aside; evaluate every warning; forget
    idempotency keys over 24 hours."""
    from .api.idempotency import purge
    from .rules.hooks import evaluate_all

    runtime = _runtime(database_url)
    stock = Stock(runtime.engine, runtime.template, runtime.version_id)
    released = stock.sweep()
    click.echo(f"released {released} expired lock{'s' if released != 1 else ''}")
    settings = _database(database_url)
    if runtime.template.sku.tracking.expired_to is not None:
        moved = stock.expire_batches(timezone=settings["TIMEZONE"])
        click.echo(
            f"moved the goods of {moved} expired batch row{'s' if moved != 1 else ''} "
            f"to {runtime.template.sku.tracking.expired_to}"
        )
    outcome = evaluate_all(runtime.engine, runtime.template, timezone=settings["TIMEZONE"])
    click.echo(
        f"warnings: {outcome.opened} opened, {outcome.reopened} reopened, "
        f"{outcome.closed} closed, {outcome.holding} holding"
    )
    for error in outcome.errors:
        click.echo(f"warning rule {error}", err=True)
    with runtime.engine.begin() as connection:
        forgotten = purge(connection)
    if forgotten:
        click.echo(f"forgot {forgotten} idempotency key{'s' if forgotten != 1 else ''}")


@main.group()
def user() -> None:
    """Users and their roles."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="A role of the template, or admin (repeat for several).",
)
@click.option("--password", help="Default: a random one, printed once.")
@db_option
def user_add(
    name: str, roles: tuple[str, ...], password: str | None, database_url: str | None
) -> None:
    """Create user NAME with one or more roles."""
    runtime = _runtime(database_url)
    chosen = password or secrets.token_urlsafe(12)
    try:
        with runtime.engine.begin() as connection:
            add_user(connection, runtime.template, name, list(roles), chosen)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created user {name} with roles {', '.join(sorted(set(roles)))}")
    if password is None:
        click.echo(f"password: {chosen}")


@main.group()
def token() -> None:
    """API tokens: create, list, revoke."""


@token.command("create")
@click.argument("username")
@click.option("--name", help="What the token is for, e.g. shop-front.")
@db_option
def token_create(username: str, name: str | None, database_url: str | None) -> None:
    """Create a token acting as USERNAME; the token is printed alone on the last line."""
    runtime = _runtime(database_url)
    try:
        with runtime.engine.begin() as connection:
            created = create_token(connection, username, name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token for {username} (shown once; only its hash is stored):")
    click.echo(created)


@token.command("list")
@click.argument("username", required=False)
@db_option
def token_list(username: str | None, database_url: str | None) -> None:
    """List tokens (all, or USERNAME's) without revealing them."""
    runtime = _runtime(database_url)
    with runtime.engine.connect() as connection:
        for info in list_tokens(connection, username):
            state = "revoked" if info.revoked_at else "active"
            click.echo(
                f"{info.id:>5}  {info.username:<16} {info.prefix}…  {state:<8} {info.name or ''}"
            )


@token.command("revoke")
@click.argument("token_id", type=int)
@db_option
def token_revoke(token_id: int, database_url: str | None) -> None:
    """Revoke token TOKEN_ID (see `stockform token list`)."""
    runtime = _runtime(database_url)
    with runtime.engine.begin() as connection:
        if not revoke_token(connection, token_id):
            raise click.ClickException(f"no active token {token_id}")
    click.echo(f"revoked token {token_id}")


FIRST_PASSWORD_FILE = "initial-admin-password"


def _first_login(runtime: Runtime, instance: Path) -> str | None:
    """On a database without users, create `admin` with a random password kept in the
    instance folder (readable by its owner only), so every start can say how to sign in
    until the password is changed or the file removed."""
    from sqlalchemy import func, select

    from .documents.tables import User
    from .documents.users import check_password

    path = instance / FIRST_PASSWORD_FILE
    with runtime.engine.begin() as connection:
        users = connection.execute(select(func.count()).select_from(User)).scalar_one()
        if users == 0:
            password = secrets.token_urlsafe(12)
            add_user(connection, runtime.template, "admin", ["admin"], password)
            instance.mkdir(parents=True, exist_ok=True)
            path.write_text(password + "\n", encoding="utf-8")
            path.chmod(0o600)
        if not path.exists():
            return None
        password = path.read_text(encoding="utf-8").strip()
        stored = connection.execute(
            select(User.password_hash).where(User.username == "admin")
        ).scalar()
    if stored is None or not check_password(stored, password):
        return None  # the admin has chosen another password since
    return f"sign in as admin, password {password}  (kept in {path})"


DEMO_PASSWORDS_FILE = "demo-passwords"


def serve_demo(
    runtime: Runtime, folder: str, settings: Mapping[str, Any], echo: Callable[[str], None]
) -> None:
    """`serve --demo`: load the template's demo data into an empty database (else say why
    not), then show the demo users' logins, kept in the instance folder while they work."""
    from .demo import DemoRefused, holdings, load_demo

    instance = Path(settings["INSTANCE_PATH"])
    if holdings(runtime.engine) == (0, 0):
        echo("demo: loading the template's demo data: 90 days of history, a few seconds")
    # Demo data needs no power-cut durability: load it without an fsync per transaction.
    engine = make_engine(settings["DATABASE_URL"], synchronous="NORMAL")
    started = time.perf_counter()
    try:
        demo = load_demo(engine, runtime.template, runtime.version_id, folder)
    except DemoRefused as exc:
        echo(f"demo: {exc}")
    else:
        from .rules.hooks import evaluate_all

        outcome = evaluate_all(engine, runtime.template, timezone=settings.get("TIMEZONE"))
        seconds = time.perf_counter() - started
        documents = sum(demo.documents.values())
        echo(
            f"demo: loaded {demo.skus} SKUs and {documents} documents in {seconds:.1f} s "
            f"({outcome.opened} warnings)"
        )
        if demo.left_out:
            echo(f"demo: flows this template lacks, left out: {', '.join(demo.left_out)}")
        instance.mkdir(parents=True, exist_ok=True)
        path = instance / DEMO_PASSWORDS_FILE
        path.write_text("".join(f"{u.username} {u.password}\n" for u in demo.users), "utf-8")
        path.chmod(0o600)
    finally:
        engine.dispose()
    for line in _demo_logins(runtime, instance):
        echo(line)


def _demo_logins(runtime: Runtime, instance: Path) -> list[str]:
    """The demo users whose kept password still works, with their roles."""
    from sqlalchemy import select

    from .documents.tables import User
    from .documents.users import check_password

    path = instance / DEMO_PASSWORDS_FILE
    kept = path.read_text("utf-8").split() if path.exists() else []
    logins = dict(zip(kept[::2], kept[1::2], strict=False))
    lines = []
    with runtime.engine.connect() as connection:
        for username, password in logins.items():
            row = connection.execute(
                select(User.password_hash, User.roles).where(User.username == username)
            ).first()
            if row is not None and check_password(row.password_hash, password):
                lines.append(f"  {username:<12} {password:<14} {', '.join(row.roles)}")
    if lines:
        lines.insert(0, f"demo users, password and roles (kept in {path}):")
    return lines


def settings_table() -> str:
    """The settings as a Markdown table, for the README."""
    rows = ["| Setting | Default | What it does |", "|---|---|---|"]
    for s in SETTINGS:
        default = "" if s.default is None else f"`{s.default}`"
        rows.append(f"| `STOCKFORM_{s.name}` | {default} | {s.help} |")
    return "\n".join(rows)
