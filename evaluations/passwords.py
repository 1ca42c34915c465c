"""A password rule Django does not ship: several kinds of characters."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def _kinds(password: str) -> int:
    kinds = [
        any(c.isascii() and c.islower() for c in password),
        any(c.isascii() and c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or not c.isascii() for c in password),
    ]
    return sum(kinds)


class CharacterKindsValidator:
    """At least `min_kinds` of: lower-case letters, capitals, digits, other characters
    (punctuation, spaces, Chinese characters)."""

    def __init__(self, min_kinds: int = 3) -> None:
        self.min_kinds = min_kinds

    def validate(self, password: str, user=None) -> None:
        if _kinds(password) < self.min_kinds:
            raise ValidationError(
                f"密码须至少包含以下四类字符中的 {self.min_kinds} 类：小写字母、大写字母、"
                "数字、其他字符（如标点、空格或汉字）。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return (
            f"密码须至少包含小写字母、大写字母、数字、其他字符（如标点或汉字）中的 "
            f"{self.min_kinds} 类。"
        )
