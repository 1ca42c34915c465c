"""Form fields for numbers as people type them (see evaluations/parsing.py)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from .. import parsing


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


class AmountField(_ParsedField):
    placeholder = "万元"
    fixed_places = True

    def parse(self, text):
        return parsing.parse_amount(text)


class PercentField(_ParsedField):
    placeholder = "%"
    fixed_places = True

    def parse(self, text):
        return parsing.parse_percent(text)


class NumberField(_ParsedField):
    """A target or actual value: any number, 2 decimals at most."""

    def parse(self, text):
        return parsing.parse_decimal(text, what="数值", example="20")


class ScoreField(_ParsedField):
    def __init__(
        self, *args, minimum: Decimal = Decimal(0), maximum: Decimal | None = None, **kwargs
    ):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(*args, **kwargs)

    def parse(self, text):
        return parsing.parse_score(text, minimum=self.minimum, maximum=self.maximum)


class TextField(forms.CharField):
    """Free text from a textarea: line breaks stored as \n whatever the browser sends (\r\n),
    so an unchanged text is never recorded as a change."""

    def to_python(self, value):
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n")
