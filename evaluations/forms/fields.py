"""Form fields for numbers as people type them (see evaluations/parsing.py)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from .. import parsing
from ..services import text as text_rules


class _ParsedField(forms.CharField):
    """A text input whose value is parsed into a Decimal; the typed text is kept on error."""

    placeholder = ""
    fixed_places = False  # amounts always show 2 decimals; counts and scores show as typed

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        if self.placeholder:
            self.widget.attrs.setdefault("placeholder", self.placeholder)

    def parse(self, text: str) -> Decimal | None:
        raise NotImplementedError

    def to_python(self, value):
        text = super().to_python(value)
        try:
            return self.parse(text)
        except parsing.InputError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            if self.fixed_places:
                return f"{value:.2f}"
            text = format(value.normalize(), "f")
            return text
        return value


class PercentField(_ParsedField):
    placeholder = "%"
    fixed_places = True

    def parse(self, text):
        return parsing.parse_percent(text)


class NumberField(_ParsedField):
    """A target or actual value: any number, 2 decimals at most. A percentage may be typed
    with its sign ('90%', '97.5 %', '97.5％', '百分之九十'): `percent_typed` then names the
    fields so typed, and the row form takes % as the row's unit."""

    def parse(self, text):
        if _looks_like_percent(text):
            return parsing.parse_percent(text, minimum=None, maximum=None)
        return parsing.parse_decimal(text, what="数值", example="20")


def _looks_like_percent(text: str | None) -> bool:
    plain = (text or "").strip()
    return plain.endswith(("%", "％")) or plain.startswith("百分之")


def typed_percent(form, name: str) -> bool:
    """Whether the user typed the value of this NumberField as a percentage."""
    return form.is_bound and _looks_like_percent(form.data.get(form.add_prefix(name)))


class ScoreField(_ParsedField):
    def __init__(
        self, *args, minimum: Decimal = Decimal(0), maximum: Decimal | None = None, **kwargs
    ):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(*args, **kwargs)

    def parse(self, text):
        return parsing.parse_score(text, minimum=self.minimum, maximum=self.maximum)


class TextField(forms.CharField):
    """Free text: line breaks stored as \n whatever the browser sends (\r\n), so an unchanged
    text is never recorded as a change; the length limit and the control-character rule of its
    `kind` (services.text.LIMITS), the same the services enforce, with a message by the field."""

    def __init__(self, *args, kind: str = "note", **kwargs):
        self.kind = kind
        limit = text_rules.LIMITS[kind]
        kwargs.setdefault("max_length", limit.max_length)
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault(
            "max_length",
            f"{limit.label}过长：最多 %(limit_value)d 个字符（现有 %(show_value)d 个）",
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def validate(self, value):
        super().validate(value)
        if value and text_rules.CONTROL.search(value):
            raise forms.ValidationError(text_rules.problem(value, self.kind), code="control")


class InputField(_ParsedField):
    """A number input the rubric declares (rubric.spec.InputSpec): its unit, decimals and
    allowed range come from the rubric file, so a rate above 100% is accepted where the rubric
    allows it and a count refuses decimals."""

    def __init__(self, *args, spec, **kwargs):
        self.spec = spec
        super().__init__(*args, **kwargs)
        self.fixed_places = spec.unit in ("万元", "元", "%")
        self.widget.attrs.setdefault("placeholder", spec.unit)

    def parse(self, text):
        spec = self.spec
        if spec.unit == "%":
            return parsing.parse_percent(
                text, places=spec.decimals, minimum=spec.minimum, maximum=spec.maximum
            )
        example = "97.5%" if spec.is_rate else ("1954.07" if spec.decimals else "12")
        suffixes = {"万元": ("万元", "万"), "%": ("%",)}.get(spec.unit, (spec.unit,))
        return parsing.parse_decimal(
            text,
            places=spec.decimals,
            suffixes=suffixes,
            minimum=spec.minimum,
            maximum=spec.maximum,
            what={"万元": "金额（万元）", "%": "百分比"}.get(
                spec.unit, f"{spec.label}（{spec.unit}）"
            ),
            example=example,
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal) and self.fixed_places:
            return f"{value:.{self.spec.decimals}f}"
        return super().prepare_value(value)


def input_field(spec) -> forms.Field:
    """The form field for one declared input: a parsed number, a text, a date or 是/否."""
    help_text = "；".join(
        x for x in (spec.help, f"数据来源：{spec.data_source}" if spec.data_source else "") if x
    )
    if spec.type == "number":
        return InputField(label=spec.label, help_text=help_text, spec=spec)
    if spec.type == "date":
        return forms.DateField(
            label=spec.label,
            help_text=help_text,
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": "请输入有效的日期，例如 2022-09-30"},
        )
    if spec.type == "bool":
        return forms.TypedChoiceField(
            label=spec.label,
            help_text=help_text,
            required=False,
            choices=[("", "未填写"), ("yes", "是"), ("no", "否")],
        )
    return TextField(label=spec.label, help_text=help_text, required=False, kind="input_text")
