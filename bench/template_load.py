"""Benchmark: load and check a large template (50 forms x 30 fields, 20 workflows).

Prints the engine's time next to a bare `yaml.safe_load` of the same files (the raw ceiling:
parsing alone, no locations, no checks). Target: under 300 ms in-process.

    python bench/template_load.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from stockform.spec.template import load_template

FIELD_TYPES = ["text", "decimal", "money", "date", "choice", "boolean", "integer", "textarea"]


def generate(folder: Path, forms: int = 50, fields: int = 30, workflows: int = 20) -> None:
    """Write a template of the benchmark's size into folder, split over several files."""
    (folder / "template.yaml").write_text(
        """template: {id: bench, name: Bench, version: 1, format: 1, locales: [en, zh]}
warehouses:
  SH: {name: {en: Shanghai, zh: 上海}}
  BJ: {name: {en: Beijing, zh: 北京}}
sku:
  fields:
    list_price: {type: money, default: 0}
    safety_stock: {type: decimal, default: 0}
    min_stock: {type: decimal, default: 0}
stock:
  buckets: {available: {}, locked: {}, quarantine: {}, damaged: {}, in_transit: {}}
  quantities:
    physical: available + locked + quarantine + damaged
    sellable: max(available - sku.safety_stock, 0)
  lock_rules:
    order: {default: true, check: sellable >= qty, expires_after: 30m}
  warnings:
    low: {when: sellable < sku.min_stock, message: 'Only {sellable} left'}
roles:
  clerk: {forms: all}
  manager: {forms: all}
""",
        encoding="utf-8",
    )
    flows = ["workflows:"]
    for w in range(workflows):
        flows.append(f"""  flow{w}:
    initial: draft
    transitions:
      submit: {{from: draft, to: submitted, roles: [clerk], effects: [{{lock: {{rule: order}}}}]}}
      approve: {{from: submitted, to: approved, roles: [manager], quorum: 2, if: total > 1000}}
      auto: {{from: submitted, to: approved, automatic: true, if: total <= 1000}}
      ship: {{from: approved, to: shipped, roles: [clerk], effects: [{{consume: {{rule: order}}}}]}}
      cancel: {{from: [draft, submitted, approved], to: cancelled, roles: [clerk, manager],
               effects: [{{release: {{rule: order}}}}]}}""")
    (folder / "workflows.yaml").write_text("\n".join(flows) + "\n", encoding="utf-8")
    for chunk in range(0, forms, 10):
        lines = ["forms:"]
        for f in range(chunk, min(chunk + 10, forms)):
            lines += [
                f"  form{f}:",
                f"    label: {{en: Form {f}, zh: 表单{f}}}",
                f"    numbering: F{f}-{{YYYY}}{{MM}}-{{####}}",
                "    fields:",
                "      warehouse: {type: warehouse, required: true}",
            ]
            for i in range(fields - 1):
                kind = FIELD_TYPES[i % len(FIELD_TYPES)]
                extra = ", options: [a, b, c]" if kind == "choice" else ""
                show = ", show_if: warehouse == 'SH'" if i % 5 == 0 else ""
                lines.append(
                    f"      f{i}: {{type: {kind}, label: {{en: Field {i}, zh: 字段{i}}}"
                    f"{extra}{show}}}"
                )
            lines += [
                "    lines:",
                "      sku: {type: sku, required: true, input: scan}",
                "      qty: {type: decimal, required: true, min: 1}",
                "      price: {type: money, default: sku.list_price}",
                "      amount: {type: money, compute: qty * price}",
                "    totals:",
                "      total: sum(lines.amount)",
                "    checks:",
                "      - {require: total >= 0, message: Negative total}",
                f"    workflow: flow{f % workflows}",
            ]
        (folder / f"forms{chunk // 10}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(action, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder)
        files = sorted(folder.glob("*.yaml"))
        size = sum(p.stat().st_size for p in files)
        template = load_template(folder)  # warm-up, and proof that it checks clean
        fields = sum(len(f.fields) + len(f.lines) for f in template.forms.values())
        engine = timed(lambda: load_template(folder), args.runs)
        bare = timed(
            lambda: [yaml.safe_load(p.read_text(encoding="utf-8")) for p in files], args.runs
        )
        try:
            cbare = timed(
                lambda: [
                    yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for p in files
                ],
                args.runs,
            )
        except AttributeError:
            cbare = []
    print(
        f"template: {len(files)} files, {size:,} bytes, {len(template.forms)} forms, "
        f"{fields} fields, {len(template.workflows)} workflows"
    )
    print(f"{'what':<34}{'median ms':>10}{'min ms':>10}")
    rows = [
        ("stockform load_template (checked)", engine),
        ("bare yaml.safe_load (pure Python)", bare),
    ]
    if cbare:
        rows.append(("bare yaml CSafeLoader (libyaml)", cbare))
    for name, values in rows:
        print(f"{name:<34}{statistics.median(values):>10.1f}{min(values):>10.1f}")
    verdict = "meets" if statistics.median(engine) < 300 else "MISSES"
    print(
        f"target < 300 ms: {verdict} ({statistics.median(engine) / statistics.median(bare):.2f}x"
        " the bare safe_load)"
    )


if __name__ == "__main__":
    main()
