"""The demo catalogue (a template's `demo/skus.csv`) and the people the demo shop deals with."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..spec.model import Template

# A user per role of the shop, and a second manager for approvals that need two people.
PEOPLE = {
    "sales": "sales",
    "warehouse": "warehouse",
    "manager": "manager",
    "manager2": "manager",
    "purchasing": "purchasing",
    "finance": "finance",
}
SUPPLIERS = {
    "food": "上海味来食品 Weilai Foods",
    "apparel": "宁波织美服饰 Zhimei Apparel",
    "electronics": "深圳讯联电子 Xunlian Electronics",
    "home": "义乌好家居 Haojia Home",
}
CUSTOMERS = (
    "张伟 Zhang Wei", "王芳 Wang Fang", "李娜 Li Na", "刘洋 Liu Yang", "陈静 Chen Jing",
    "杨帆 Yang Fan", "赵磊 Zhao Lei", "黄敏 Huang Min", "周杰 Zhou Jie", "吴婷 Wu Ting",
    "徐明 Xu Ming", "孙丽 Sun Li", "马超 Ma Chao", "朱琳 Zhu Lin", "胡军 Hu Jun",
)  # fmt: skip
COMPANIES = (
    "上海启明科技有限公司 Qiming Technology",
    "北京恒达物业 Hengda Property",
    "杭州云帆会展 Yunfan Events",
)
BUILTIN_COLUMNS = ("code", "name", "unit", "barcode")


@dataclass(frozen=True)
class Item:
    """A catalogue row: the SKU's own values and how the simulated shop sells and buys it."""

    code: str
    row: Mapping[str, str]
    category: str
    price: Decimal
    cost: Decimal
    safety: int
    min: int
    max: int
    multiple: int
    lead: int
    shelf: int
    demand: float  # units a day, both warehouses together
    story: str  # "", low, overstock, slow or expiring: what the SKU shows at the end

    @property
    def supplier(self) -> str:
        return SUPPLIERS.get(self.category, "Supplier")

    def sku_values(self, template: Template) -> dict[str, Any]:
        """The values to create the SKU with: the columns the template has a place for."""
        values: dict[str, Any] = {k: self.row[k] for k in BUILTIN_COLUMNS if self.row.get(k)}
        for name, spec in template.sku.fields.items():
            if self.row.get(name):
                raw = self.row[name]
                values[name] = int(raw) if spec.type == "integer" else raw
        return values


def read_catalogue(path: Path) -> list[Item]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [_item(row) for row in rows]


def _item(row: Mapping[str, str]) -> Item:
    def number(key: str, default: int = 0) -> int:
        return int(row.get(key) or default)

    return Item(
        code=row["code"],
        row=row,
        category=row.get("category") or "",
        price=Decimal(row.get("list_price") or 0),
        cost=Decimal(row.get("unit_cost") or 0),
        safety=number("safety_stock"),
        min=number("min_stock"),
        max=number("max_stock", 4 * number("min_stock", 10)),
        multiple=number("order_multiple", 1) or 1,
        lead=number("lead_time_days", 7),
        shelf=number("shelf_life_days", 365),
        demand=float(row.get("daily_demand") or 1),
        story=row.get("story") or "",
    )
