"""The one rule for free text, wherever it comes from (a form, a service called directly, a
JSON or .xlsx import): a maximum length per kind of text, and no control characters.

NUL and the other C0/C1 control characters (tab, line feed and carriage return excepted),
unpaired surrogates and the non-characters U+FFFE/U+FFFF are refused with a message: they cannot
be typed, only pasted or sent by a script, PostgreSQL refuses NUL outright (an HTTP 500 before),
and silently dropping them would change what the user wrote without saying so. The one
exception is a search box, where they are stripped (nothing is stored). The limits are listed
for users in docs/evaluation-data.md ("文字长度上限"); forms use the same table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FieldInvalid


@dataclass(frozen=True)
class Limit:
    label: str
    max_length: int  # characters


# Each kind of free text and its maximum length in characters. A real 自评报告's longest
# section is about 1,600 characters; the limits leave room for several times that while
# keeping one document's text (and so its PDF) bounded.
LIMITS: dict[str, Limit] = {
    "section": Limit("报告正文（每节）", 10_000),
    "goal": Limit("绩效目标文字", 5_000),
    "reason": Limit("自评分说明", 2_000),
    "note": Limit("备注", 2_000),
    "input_text": Limit("文字类输入项", 500),
    "task_name": Limit("任务名称", 300),
    "row_name": Limit("指标名称", 300),
    "target_text": Limit("指标值", 500),
    "unit": Limit("计量单位", 20),
    "grade": Limit("完成等级", 30),
    "annotation": Limit("批注", 4_000),
    "reply": Limit("回复", 2_000),
    "comment": Limit("审核意见", 2_000),
    "reviewed_reason": Limit("复核理由", 1_000),
    "event": Limit("加减分事项", 500),
    "project": Limit("项目名称", 200),
    "extension_reason": Limit("延期理由", 500),
    "search": Limit("搜索", 50),
    "file_name": Limit("文件名", 200),
}

# C0 controls but \t \n \r, DEL, C1 controls, unpaired surrogates, U+FFFE and U+FFFF.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def problem(value: str, kind: str) -> str | None:
    """The message for a text that breaks the rule for `kind`, or None. Pure: forms use it."""
    limit = LIMITS[kind]
    if CONTROL.search(value):
        return f"{limit.label}含有不可见的控制字符（如从其他软件粘贴带入的），请删除后再保存"
    if len(value) > limit.max_length:
        return f"{limit.label}过长：{len(value)} 个字符，最多 {limit.max_length} 个字符"
    return None


def checked(value: str | None, kind: str, *, field: str = "") -> str:
    """The text if it follows the rule (None → ""), else FieldInvalid (a ServiceError) naming
    `field`. Every service that stores text passes it through here."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldInvalid(field, f"{LIMITS[kind].label}应为文字")
    message = problem(value, kind)
    if message:
        raise FieldInvalid(field, message)
    return value


def stripped(value: str | None, kind: str) -> str:
    """For search boxes: control characters removed, cut to the limit (nothing is stored)."""
    return CONTROL.sub("", value or "")[: LIMITS[kind].max_length]
