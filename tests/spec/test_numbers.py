"""The number grammar: what it reads, and that the API's published schema says the same."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from stockform.api.schemas import field_in
from stockform.spec.model import FieldSpec, Label
from stockform.spec.numbers import NumberError, read_number

DECIMAL_FIELD = Draft202012Validator(
    field_in(FieldSpec(name="qty", type="decimal", label=Label.of("Qty")))
)
# Text made of what numbers, and near-numbers, are written with.
NEAR_NUMBERS = st.text(alphabet="0123456789,.-+eE _", max_size=14)


def _reads(text: str) -> Decimal | None:
    try:
        return read_number(text)
    except NumberError:
        return None


@given(
    whole=st.integers(min_value=0, max_value=10**15),
    decimals=st.text(alphabet="0123456789", max_size=4),
    negative=st.booleans(),
)
def test_grouped_and_plain_forms_of_a_number_read_alike(
    whole: int, decimals: str, negative: bool
) -> None:
    sign = "-" if negative else ""
    tail = f".{decimals}" if decimals else ""
    expected = Decimal(f"{sign}{whole}{tail}")
    assert read_number(f"{sign}{whole}{tail}") == expected
    assert read_number(f" {sign}{whole:,}{tail} ") == expected


@given(NEAR_NUMBERS)
def test_the_published_field_schema_accepts_exactly_what_the_engine_reads(text: str) -> None:
    read = _reads(text)
    # The schema also allows a blank value (it empties the field), which is no number.
    published = DECIMAL_FIELD.is_valid(text) and text.strip() != ""
    assert published == (read is not None), text
    if read is not None:
        assert read == Decimal(text.strip().replace(",", ""))


def test_a_misplaced_comma_is_refused_never_dropped() -> None:
    for text in ("1,5", "12,50", "1,0000", ",5", "1,,000", "1,000,00"):
        assert _reads(text) is None, text
    assert read_number("1,500") == Decimal(1500)
