"""Percentages typed any common way (issue 13 item 4): every rate field, the rubric's % inputs
and the 履职效能 target rows alike, with a message that names the problem."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluations.forms.fields import InputField, NumberField
from evaluations.models import DutyIndicator
from evaluations.parsing import PERCENT_HINT, InputError, parse_percent
from rubric.spec import InputSpec

from .filing_helpers import field_error, form_data, input_value, step_url

D = Decimal
TYPED = ["90%", "90 %", "90％", "９０％", " 90.00% ", "90", "百分之九十"]


@pytest.mark.parametrize("text", TYPED)
def test_ninety_percent_typed_any_common_way(text):
    assert parse_percent(text) == D("90.00")


@pytest.mark.parametrize(
    "text", ["97.5%", "97.5 %", "97.5％", "97.5", "９７.５％", "百分之九十七点五"]
)
def test_ninety_seven_and_a_half_percent(text):
    assert parse_percent(text) == D("97.50")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("百分之百", None), ("百分之一百", "100"), ("百分之零点五", "0.5"), ("百分之十二", "12")],
)
def test_chinese_numerals(text, expected):
    if expected is None:
        with pytest.raises(InputError):
            parse_percent(text)
    else:
        assert parse_percent(text) == D(expected)


def test_a_bare_fraction_is_a_percentage_not_a_ratio():
    """Decided and documented (README): a bare number in a % field is the percentage."""
    assert parse_percent("0.97") == D("0.97")  # 0.97%, not 97%
    with pytest.raises(InputError) as info:
        parse_percent("0.975")  # read as 0.975%: more places than allowed, never 97.5%
    assert str(info.value) == "百分比最多保留2位小数"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("九十%", PERCENT_HINT),
        ("约90%", PERCENT_HINT),
        ("90%%", PERCENT_HINT + "（百分号只能有一个）"),
        ("百分之九十九九", PERCENT_HINT),
        ("abc", PERCENT_HINT),
        ("97.555%", "百分比最多保留2位小数"),
        ("120%", "百分比不能大于100"),
    ],
)
def test_messages_name_the_problem(text, message):
    with pytest.raises(InputError) as info:
        parse_percent(text)
    assert str(info.value) == message


def test_the_hint_gives_both_forms():
    assert PERCENT_HINT == "请输入百分比数值，例如 97.5 或 97.5%"


def test_rubric_rate_input_takes_the_same_forms_and_its_own_range():
    spec = InputSpec(key="rate", label="执行率", unit="%", maximum=D(1000))
    field = InputField(spec=spec)
    for text in ("97.5%", "97.5 ％", "百分之九十七点五", "97.5"):
        assert field.clean(text) == D("97.50")
    assert field.clean("150%") == D("150.00")  # the rubric allows up to 1000
    with pytest.raises(Exception) as info:
        field.clean("九成")
    assert PERCENT_HINT in str(info.value)


def test_target_value_field_accepts_a_percent_sign():
    field = NumberField()
    assert field.clean("90%") == D("90.00")
    assert field.clean("97.5 ％") == D("97.50")
    assert field.clean("20") == D("20.00")


# ---------------------------------------------------------------------------- 履职效能 rows


@pytest.mark.django_db
def test_duty_row_saves_percent_values_and_takes_percent_as_its_unit(filer_client, seed_eval):
    url = step_url(seed_eval, "duty")
    data = form_data(filer_client.get(url))
    data.update(
        {
            "task-0-rows-0-target_value": "90%",
            "task-0-rows-0-actual_value": "97.5％",
            "task-0-rows-0-unit": "",
            "goto": "duty",
        }
    )
    response = filer_client.post(url, data)
    assert response.status_code == 302, field_error(response, "id_task-0-rows-0-target_value")
    row = DutyIndicator.objects.filter(task__evaluation=seed_eval).order_by(
        "task__position", "position"
    )[0]
    assert (row.target_value, row.actual_value, row.unit) == (D("90.00"), D("97.50"), "%")


@pytest.mark.django_db
def test_duty_row_percent_against_another_unit_says_why(filer_client, seed_eval):
    url = step_url(seed_eval, "duty")
    data = form_data(filer_client.get(url))
    data.update({"task-0-rows-0-target_value": "90%", "task-0-rows-0-unit": "个", "goto": "duty"})
    response = filer_client.post(url, data)
    assert response.status_code == 200
    assert field_error(response, "id_task-0-rows-0-target_value") == (
        "单位是“个”，数值不能带百分号；若按百分比计，请把单位改为 %"
    )
    assert input_value(response, "task-0-rows-0-target_value") == "90%"


@pytest.mark.django_db
def test_duty_row_garbage_names_the_percent_form(filer_client, seed_eval):
    url = step_url(seed_eval, "duty")
    data = form_data(filer_client.get(url))
    data.update({"task-0-rows-0-actual_value": "约90%", "goto": "duty"})
    response = filer_client.post(url, data)
    assert field_error(response, "id_task-0-rows-0-actual_value") == PERCENT_HINT
    assert input_value(response, "task-0-rows-0-actual_value") == "约90%"
