"""Domain errors: each carries a message for the user, shown as a page message in one place."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A domain error with a message for the user (turned into a page message in one place)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class NotEditable(ServiceError):
    pass


class FieldInvalid(ServiceError):
    """A refusal about one form field (`field`), shown next to it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StaleVersion(ServiceError):
    def __init__(self, current: int) -> None:
        super().__init__(
            "保存未成功：这份自评在你打开页面之后已被他人修改并保存。"
            "你刚才输入的内容仍保留在下方，请核对后再保存。"
        )
        self.current = current


class SubmissionBlocked(ServiceError):
    def __init__(self, problems: list[Any]) -> None:
        super().__init__(f"尚有{len(problems)}个问题需要处理后才能提交。")
        self.problems = problems
