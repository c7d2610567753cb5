"""Templates using the rule functions: checked where the app checks them, refused with a clear
message where the functions cannot run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rules_support import TEMPLATE, write_template

from stockform.cli import main
from stockform.paths import STARTERS
from stockform.rules.functions import FUNCTIONS
from stockform.spec.template import check_template
from stockform.starters import list_starters

ROW_ONLY = (
    "works on a row of stock: it can be used only in stock.warnings and in the stock "
    "list's where and order"
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    sellable: available\n",
            "    sellable: available\n    idle: days_since_last_out()\n",
            f"stock.quantities.idle: days_since_last_out() {ROW_ONLY}",
        ),
        (
            "check: sellable >= qty",
            "check: sellable >= qty and days_to_expiry() > 0",
            f"stock.lock_rules.order.check: days_to_expiry() {ROW_ONLY}",
        ),
        (
            "sales_velocity(7) > 2 * sales_velocity(30)",
            "sales_velocity(sku.min_stock) > 1",
            "stock.warnings.selling_fast.when: sales_velocity() needs its arguments written out, "
            "such as sales_velocity(30)",
        ),
        (
            "sales_velocity(7) > 2 * sales_velocity(30)",
            "sales_velocity(0) > 1",
            "stock.warnings.selling_fast.when: sales_velocity() needs a whole number of days "
            "from 1 to 3650",
        ),
        (
            "sales_velocity(7) > 2 * sales_velocity(30)",
            "sales_velocity(4000) > 1",
            "stock.warnings.selling_fast.when: sales_velocity() looks back at most 3650 days, "
            "not 4000",
        ),
        (
            "days_to_expiry() <= 14",
            "days_to_expiry(3) <= 14",
            "stock.warnings.expiring.when: days_to_expiry() takes no arguments, got 1",
        ),
        (
            "nothing out for {days_since_last_out()} days",
            "nothing out for {days_since_last_ot()} days",
            "stock.warnings.slow_moving.message: placeholder {days_since_last_ot()}: unknown "
            "function 'days_since_last_ot' (hint: did you mean 'days_since_last_out'?)",
        ),
    ],
)
def test_misused_rule_functions_are_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in TEMPLATE
    folder = write_template(tmp_path / "shop", TEMPLATE.replace(old, new))
    template, issues = check_template(folder, FUNCTIONS)
    assert template is None
    assert [
        f"{i.path}: {i.message}" + (f" (hint: {i.hint})" if i.hint else "") for i in issues
    ] == [message]


def test_the_app_checks_templates_with_the_rule_functions(tmp_path: Path) -> None:
    folder = write_template(tmp_path / "shop")
    # The expression language alone does not know them; every command that checks or loads
    # a template does.
    _template, issues = check_template(folder)
    assert "unknown function 'days_since_last_out'" in issues[0].message
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["check", str(STARTERS / "retail")]).exit_code == 0
    assert "retail" in [s.name for s in list_starters()]


def test_the_retail_starter_warns_of_slow_and_fast_movers() -> None:
    template, issues = check_template(STARTERS / "retail", FUNCTIONS)
    assert issues == [] and template is not None
    assert set(template.stock.warnings) == {
        "low_stock",
        "overstock",
        "expiring",
        "expired",
        "slow_moving",
        "selling_fast",
    }
