"""Numbers as people type them (evaluations/parsing.py). Pure: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evaluations.parsing import InputError, parse_amount, parse_decimal, parse_percent, parse_score

D = Decimal
PARSERS = {"amount": parse_amount, "percent": parse_percent, "decimal": parse_decimal}
FULL_WIDTH = str.maketrans("0123456789,.%-", "０１２３４５６７８９，．％－")


def rejects(parser, text: str) -> str:
    """The message of the InputError the parser raises for this text."""
    with pytest.raises(InputError) as info:
        parser(text)
    return str(info.value)


# ---------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    "text",
    ["1954.07", "1,954.07", "１,９５４.０７", "１，９５４．０７", "１９５４。０７", " 1 954.07 "],
)
def test_amount_full_width_and_thousands_separators(text):
    assert parse_amount(text) == D("1954.07")


@pytest.mark.parametrize("text", ["1954.07万元", "1,954.07 万元", "1954.07万", "１９５４.０７万元"])
def test_amount_wan_yuan_suffix(text):
    assert parse_amount(text) == D("1954.07")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234,567.89", "1234567.89"), ("0", "0.00"), ("5.", "5.00"), (".5", "0.50")],
)
def test_amount_other_valid_forms(text, expected):
    value = parse_amount(text)
    assert value == D(expected)
    assert value.as_tuple().exponent == -2  # always two places


@pytest.mark.parametrize("text", ["97.5%", "97.5", "97.50", "97.5 %", "９７.５％", "97.5％"])
def test_percent_with_and_without_sign_are_equal(text):
    assert parse_percent(text) == parse_percent("97.5%") == D("97.50")


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("text", [None, "", "   ", "\u3000", "\t\n"])
def test_blank_is_none(parser, text):
    assert parser(text) is None


@pytest.mark.parametrize(
    ("parser", "text", "message"),
    [
        (parse_amount, "1.234", "金额（万元）最多保留2位小数"),
        (parse_amount, "1,954.071", "金额（万元）最多保留2位小数"),
        (parse_percent, "97.555%", "百分比最多保留2位小数"),
        (parse_decimal, "0.001", "数值最多保留2位小数"),
    ],
)
def test_too_many_decimals_is_an_error_not_a_rounding(parser, text, message):
    assert rejects(parser, text) == message


def test_trailing_zeros_beyond_two_places_are_not_extra_precision():
    assert parse_amount("1.2300") == D("1.23")


@pytest.mark.parametrize(
    ("parser", "text", "message"),
    [
        (parse_amount, "-1", "金额（万元）不能为负数"),
        (parse_amount, "－1,954.07", "金额（万元）不能为负数"),
        (parse_amount, "−0.01", "金额（万元）不能为负数"),
        (parse_percent, "-0.5%", "百分比不能为负数"),
    ],
)
def test_negative_amounts_and_percents_are_refused(parser, text, message):
    assert rejects(parser, text) == message


@pytest.mark.parametrize(
    ("text", "expected"), [("-20", "-20.00"), ("−1,234.5", "-1234.50"), ("+3", "3.00")]
)
def test_plain_decimal_accepts_signs(text, expected):
    assert parse_decimal(text) == D(expected)


@pytest.mark.parametrize(
    "text", ["1,95,4", "1954,07", ",954", "1,954,", "12,34", "1,,954", "1,9540"]
)
def test_malformed_thousands_separators(text):
    assert rejects(parse_amount, text) == "请输入有效的金额（万元）：千位分隔符的位置不对"


@pytest.mark.parametrize(
    "text", ["abc", "1.2.3", "++1", "1e5", "NaN", "Infinity", "1954.07元", "万元", "%", "0x10"]
)
def test_garbage_names_what_was_expected(text):
    assert rejects(parse_amount, text) == "请输入有效的金额（万元），例如 1954.07"


def test_garbage_percent_message_gives_a_percent_example():
    assert rejects(parse_percent, "九十七") == "请输入百分比数值，例如 97.5 或 97.5%"


def test_percent_above_hundred():
    assert parse_percent("100%") == D("100.00")
    assert rejects(parse_percent, "100.01") == "百分比不能大于100"


def test_largest_amount_fits_the_database_column():
    # FigureValue.value is max_digits=14, decimal_places=2.
    assert parse_amount("999,999,999,999.99") == D("999999999999.99")
    assert rejects(parse_amount, "1,000,000,000,000") == "金额（万元）过大"
    assert rejects(parse_decimal, "-1000000000000") == "数值过大"


@pytest.mark.parametrize("text", ["1" * 27, "9" * 40, "1" * 27 + ".5", "1" + ",000" * 9])
def test_huge_numbers_are_refused_with_a_message(text):
    # a 27+ digit integer part once reached Decimal.quantize and raised InvalidOperation
    assert rejects(parse_amount, text) == "金额（万元）过大"


def test_score_bounds():
    assert parse_score("1.5分", minimum=D(0), maximum=D(2)) == D("1.50")
    assert parse_score("-1", minimum=D(-2), maximum=D(2)) == D("-1.00")
    assert rejects(lambda t: parse_score(t, minimum=D(0), maximum=D(2)), "3") == "分数不能大于2"
    assert rejects(lambda t: parse_score(t, minimum=D(0), maximum=D(2)), "-1") == "分数不能为负数"
    assert rejects(lambda t: parse_score(t, minimum=D(-2), maximum=D(2)), "-3") == "分数不能小于-2"


# ---------------------------------------------------------------------------- properties


def _outcome(parser, text):
    try:
        value = parser(text)
    except InputError as exc:
        assert str(exc), "an InputError carries a message for the form"
        return None
    if value is not None:
        assert isinstance(value, Decimal)
        assert value.is_finite()
        assert value.as_tuple().exponent >= -2, value
    return value


@settings(max_examples=300)
@given(text=st.text())
@example(text="１,９５４.０７")
@example(text="0." + "0" * 40 + "1")
@example(text="\x00")
@example(text="٣")  # an Arabic-Indic digit: \d matches it, Decimal accepts it
def test_any_text_gives_a_two_place_decimal_or_input_error(text):
    for parser in PARSERS.values():
        _outcome(parser, text)


# Number-like text: signs, full-width forms, separators in any place, long digit runs.
NUMBERISH = st.from_regex(
    r"\A[ +\-−－]?[0-9０-９,，]{0,40}([.．。][0-9０-９]{0,40})?(万元|万|%|％)?\Z"
)


@settings(max_examples=300)
@given(text=NUMBERISH)
def test_number_like_text_gives_a_two_place_decimal_or_input_error(text):
    for parser in PARSERS.values():
        _outcome(parser, text)


def _typed(value: Decimal, *, separators: bool, full_width: bool, suffix: str, spaces: bool):
    text = f"{value:,.2f}" if separators else f"{value:.2f}"
    if full_width:
        text = text.translate(FULL_WIDTH)
    if spaces:
        text = f"  {text}\u3000"
    return text + suffix


AMOUNTS = st.decimals(min_value=0, max_value=D("999999999999.99"), places=2)


@given(
    value=AMOUNTS,
    separators=st.booleans(),
    full_width=st.booleans(),
    suffix=st.sampled_from(["", "万元", "万"]),
    spaces=st.booleans(),
)
@example(value=D("1954.07"), separators=True, full_width=True, suffix="", spaces=False)
def test_amount_round_trip(value, separators, full_width, suffix, spaces):
    text = _typed(value, separators=separators, full_width=full_width, suffix=suffix, spaces=spaces)
    assert parse_amount(text) == value


@given(
    value=st.decimals(min_value=0, max_value=100, places=2),
    full_width=st.booleans(),
    suffix=st.sampled_from(["", "%", "％"]),
)
def test_percent_round_trip(value, full_width, suffix):
    text = _typed(value, separators=False, full_width=full_width, suffix=suffix, spaces=False)
    assert parse_percent(text) == value


@given(
    value=st.decimals(min_value=D("-999999999999.99"), max_value=D("999999999999.99"), places=2),
    separators=st.booleans(),
    full_width=st.booleans(),
)
def test_decimal_round_trip(value, separators, full_width):
    text = _typed(value, separators=separators, full_width=full_width, suffix="", spaces=False)
    assert parse_decimal(text) == value
