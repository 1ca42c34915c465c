"""The shape of a rubric file, written once: the loader checks files against it (refusing an
unknown, misspelt or mistyped key with the node's path) and `docs/rubric.schema.json` is
generated from it (`python manage.py rubric schema`).

Only the shape lives here (which keys, of which type, required or not); what the values mean
together (sums, references between nodes, a method's parameters making sense) is checked by
the loader and the methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class SchemaError(ValueError):
    """A node does not have the shape the format asks for; `path` names it."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class F:
    """One key of a mapping: its type, whether it is required, its Chinese description.

    type: str, int, number, bool, expr (a formula as text, or a number), list, map, any.
    items: for a list, the type of its elements (a type name or an Obj); for a map, an Obj.
    """

    type: str
    doc: str = ""
    required: bool = False
    items: Any = None
    enum: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Obj:
    name: str
    fields: Mapping[str, F] = field(default_factory=dict)
    doc: str = ""


_TYPE_CN = {
    "str": "文字",
    "int": "整数",
    "number": "数值",
    "bool": "true 或 false",
    "expr": "公式（文字）或数值",
    "list": "列表",
    "map": "映射",
}


def _is(value: Any, type_: str) -> bool:
    if type_ == "any":
        return True
    if type_ == "str":
        return isinstance(value, str)
    if type_ == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "number":
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if type_ == "bool":
        return isinstance(value, bool)
    if type_ == "expr":
        return isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool)
    if type_ == "list":
        return isinstance(value, list)
    if type_ == "map":
        return isinstance(value, dict)
    raise ValueError(type_)


def check(obj: Obj, value: Any, path: str) -> None:
    """Raise SchemaError at the first node that does not fit `obj`."""
    if not isinstance(value, dict):
        raise SchemaError(path, f"应为映射（{obj.doc or obj.name}）")
    for key in value:
        if key not in obj.fields:
            known = "、".join(obj.fields)
            raise SchemaError(_join(path, str(key)), f"未知字段（此处可用：{known}）")
    for key, spec in obj.fields.items():
        where = _join(path, key)
        if key not in value or value[key] is None:
            if spec.required:
                raise SchemaError(
                    where, f"缺少必填字段（{spec.doc}）" if spec.doc else "缺少必填字段"
                )
            continue
        check_value(spec, value[key], where)


def check_value(spec: F, value: Any, where: str) -> None:
    if not _is(value, spec.type):
        raise SchemaError(where, f"应为{_TYPE_CN.get(spec.type, spec.type)}，这里是 {value!r}")
    if spec.enum and value not in spec.enum:
        raise SchemaError(where, f"应为 {'、'.join(map(str, spec.enum))} 之一，这里是 {value!r}")
    if spec.type == "list" and spec.items is not None:
        for i, item in enumerate(value):
            at = f"{where}[{i}]"
            if isinstance(spec.items, Obj):
                check(spec.items, item, at)
            else:
                check_value(F(spec.items), item, at)
    if spec.type == "map" and isinstance(spec.items, Obj):
        check(spec.items, value, where)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------------------- JSON Schema


def json_schema(obj: Obj, defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `obj`, sub-objects under $defs."""
    top = defs is None
    defs = {} if defs is None else defs
    out: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {k: _field_schema(f, defs) for k, f in obj.fields.items()},
    }
    if obj.doc:
        out["description"] = obj.doc
    required = [k for k, f in obj.fields.items() if f.required]
    if required:
        out["required"] = required
    if top:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": obj.doc or obj.name,
            **out,
            "$defs": dict(sorted(defs.items())),
        }
    return out


def _ref(obj: Obj, defs: dict[str, Any]) -> dict[str, Any]:
    if obj.name not in defs:
        defs[obj.name] = {}  # recursion guard (indicator children)
        defs[obj.name] = json_schema(obj, defs)
    return {"$ref": f"#/$defs/{obj.name}"}


_JSON_TYPES = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "expr": {"type": ["string", "number"]},
    "map": {"type": "object"},
    "any": {},
}


def _field_schema(f: F, defs: dict[str, Any]) -> dict[str, Any]:
    if f.type == "list":
        out: dict[str, Any] = {"type": "array"}
        if isinstance(f.items, Obj):
            out["items"] = _ref(f.items, defs)
        elif f.items:
            out["items"] = dict(_JSON_TYPES[f.items])
    elif f.type == "map":
        out = _ref(f.items, defs) if isinstance(f.items, Obj) else {"type": "object"}
    else:
        out = dict(_JSON_TYPES[f.type])
    if f.enum:
        out["enum"] = list(f.enum)
    if f.doc:
        out = (
            {**out, "description": f.doc}
            if "$ref" not in out
            else {"allOf": [out], "description": f.doc}
        )
    return out
