"""Load a template folder into a checked, immutable Template, or every problem it has."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from .context import Context
from .expressions import FUNCTIONS, FunctionRegistry
from .forms import build_forms
from .issues import TemplateError, TemplateIssue, format_path
from .loader import Loaded, load_folder
from .metaschema import validate
from .model import Template, frozen_map
from .replenishment import build_replenishment
from .scopes import sku_record
from .sections import build_info, build_roles, build_sku, build_stock, build_warehouses
from .workflows import build_workflows

# Issues meaning a whole file could not be read.
UNREADABLE = frozenset({"(file)", "(yaml)", "(top)", "(folder)"})


def check_template(
    folder: str | Path, functions: FunctionRegistry = FUNCTIONS
) -> tuple[Template | None, list[TemplateIssue]]:
    """The template and no issues, or None and every issue, sorted by file, line and column."""
    root = Path(folder)
    loaded = load_folder(root)
    issues = list(loaded.issues)
    if not loaded.data and not issues:
        issues.append(
            TemplateIssue(
                loaded.files[0] if loaded.files else ".",
                1,
                1,
                "(top)",
                "the template is empty",
                "it needs at least the sections template, warehouses and stock",
            )
        )
    if not loaded.data or any(i.path in UNREADABLE for i in issues):
        # With a file missing, every reference into it would be reported too: noise that
        # hides the one thing to fix.
        return None, sorted(set(issues))
    schema_issues, broken = validate(loaded.data, loaded.source)
    already = {format_path(p) for p in loaded.source.rejected}
    issues.extend(i for i in schema_issues if i.path not in already)
    ctx = Context(loaded.data, loaded.source, functions, broken)
    try:
        template = _build(ctx, loaded, root)
    except Exception:
        # Data the meta-schema already rejected may trip the semantic checks; its issues say
        # what to fix. Anything else is a bug in the checker and must surface.
        if not schema_issues:
            raise
        template = None
    issues.extend(ctx.issues)
    if issues:
        return None, sorted(set(issues))
    return template, []


def load_template(folder: str | Path, functions: FunctionRegistry = FUNCTIONS) -> Template:
    """A checked Template; raises TemplateError listing every problem."""
    template, issues = check_template(folder, functions)
    if template is None:
        raise TemplateError(issues)
    return template


def _build(ctx: Context, loaded: Loaded, root: Path) -> Template:
    info = build_info(ctx)
    warehouses = build_warehouses(ctx)
    sku = build_sku(ctx)
    record = sku_record(sku.fields)
    role_names = ctx.declared(("roles",))
    stock = build_stock(ctx, sku, dict.fromkeys(role_names))
    forms = build_forms(ctx, record, ctx.declared(("workflows",)))
    # Replenishment drafts documents of the forms, so it is checked once they are built.
    stock = replace(stock, replenishment=build_replenishment(ctx, sku, stock, forms))
    workflows = build_workflows(ctx, forms, stock, role_names, record)
    roles = build_roles(ctx, ctx.declared(("forms",)), ctx.declared(("warehouses",)))
    return Template(
        info=info,
        warehouses=warehouses,
        sku=sku,
        stock=stock,
        forms=frozen_map(forms),
        workflows=frozen_map(workflows),
        roles=roles,
        files=loaded.files,
        fingerprint=_fingerprint(root, loaded.files),
    )


def _fingerprint(root: Path, files: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return digest.hexdigest()
