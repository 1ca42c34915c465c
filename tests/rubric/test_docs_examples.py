"""docs/rubric-format.md keeps its promises: every complete rubric in it (a ```yaml block) loads,
scores its example inputs (the ```json block after it) to the totals its
`<!-- expect: … -->` line states (and `findings=a,b`: the keys of its checks that do not hold),
or is refused with the message it states; every scoring
method has a worked example; every key of the format is explained; and the checked-in
docs/rubric.schema.json is what `python manage.py rubric schema` prints (no database)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from rubric import engine, example_inputs, loader
from rubric.checks import evaluate_checks
from rubric.methods import METHODS, ROW_SCORING, row_scoring

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rubric-format.md"
SCHEMA_FILE = ROOT / "docs" / "rubric.schema.json"

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
EXPECT = re.compile(r"<!--\s*expect:\s*(.*?)\s*-->", re.S)
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)
TOTALS = ("computed", "claimed", "final", "missing_points", "judgement_points")


@dataclass
class Example:
    title: str
    line: int
    rubric: str
    inputs: str | None
    expect: str


def _blocks(text: str) -> list[tuple[str, str, int, int]]:
    return [(m.group(1).strip(), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]


def examples() -> list[Example]:
    """Each ```yaml block with the ```json block and the expect comment that follow it (before
    the next ```yaml block)."""
    text = DOC.read_text(encoding="utf-8")
    blocks = _blocks(text)
    out = []
    for i, (info, body, start, end) in enumerate(blocks):
        if info != "yaml":
            continue
        following = [b for b in blocks[i + 1 :] if b[0] == "yaml"]
        stop = following[0][2] if following else len(text)
        inputs = next((b[1] for b in blocks[i + 1 :] if b[0] == "json" and b[2] < stop), None)
        expect = EXPECT.search(text, end, stop)
        headings = HEADING.findall(text, 0, start)
        out.append(
            Example(
                title=headings[-1].strip() if headings else "",
                line=text.count("\n", 0, start) + 1,
                rubric=body,
                inputs=inputs,
                expect=expect.group(1) if expect else "",
            )
        )
    return out


EXAMPLES = examples()


def _parse_expect(text: str) -> dict[str, str]:
    """`total=87.50 missing_count=1 line.1.2=3.50 grade=优` or `error=…` (the rest)."""
    text = text.strip()
    if text.startswith("error="):
        return {"error": text[len("error=") :].strip()}
    out = {}
    for token in text.split():
        key, sep, value = token.partition("=")
        assert sep, f"expect 中的 {token!r} 应写作 名称=值"
        out[key] = value
    return out


def _loaded(example: Example):
    return loader.parse_text(example.rubric, f"第{example.line}行的示例")


def _score(example: Example):
    rub = _loaded(example)
    data = example_inputs.parse_text(example.inputs or "{}", rub, f"第{example.line}行示例的输入")
    return rub, engine.score(rub, data)


def test_the_doc_has_examples():
    assert len(EXAMPLES) >= 16
    assert all(e.expect for e in EXAMPLES), [
        f"第{e.line}行（{e.title}）的示例没有 <!-- expect: … -->" for e in EXAMPLES if not e.expect
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"L{e.line}-{e.title}" for e in EXAMPLES])
def test_example(example: Example):
    want = _parse_expect(example.expect)
    if "error" in want:
        with pytest.raises(loader.RubricError) as caught:
            _loaded(example)
        assert want["error"] in str(caught.value)
        return
    _rubric, sheet = _score(example)
    totals = sheet.totals
    got: dict[str, object] = {
        "total": totals.computed,
        "computed": totals.computed,
        "claimed": totals.claimed,
        "final": totals.final,
        "missing_count": totals.missing_count,
        "missing_points": totals.missing_points,
        "judgement_count": totals.judgement_count,
        "judgement_points": totals.judgement_points,
        "grade": sheet.grade,
        "coverage": totals.coverage_text,
    }
    assert "total" in want, "每个示例都应说明总分 total="
    for key, value in want.items():
        if key.startswith("line."):
            line = sheet.line(key[len("line.") :])
            assert line.computed == Decimal(value), (key, line.basis, line.warnings)
        elif key in ("missing_count", "judgement_count"):
            assert got[key] == int(value), key
        elif key in ("grade", "coverage"):
            assert got[key] == value.replace("_", " "), key
        elif key == "findings":  # the keys of the checks that do not hold, in order
            found = evaluate_checks(_rubric, sheet.values)
            assert ",".join(f.key for f in found) == value, [f.message for f in found]
        else:
            assert key in got, f"不认识的 expect 项 {key}"
            assert got[key] == Decimal(value), (
                key,
                got[key],
                [(ln.code, ln.computed, ln.basis, ln.warnings) for ln in sheet.lines],
            )


def test_fragments_are_yaml():
    """Fragments (```yaml 片段) are not complete rubrics, but are valid YAML."""
    text = DOC.read_text(encoding="utf-8")
    fragments = [body for info, body, _, _ in _blocks(text) if info.startswith("yaml ")]
    assert fragments
    for body in fragments:
        yaml.safe_load(body)


def test_json_blocks_are_example_inputs():
    text = DOC.read_text(encoding="utf-8")
    for info, body, start, _ in _blocks(text):
        if info == "json":
            where = f"第{text.count(chr(10), 0, start) + 1}行的 JSON"
            try:
                example_inputs.scoring_input(json.loads(body))
            except (ValueError, example_inputs.ExampleInputError) as exc:
                pytest.fail(f"{where}：{exc}")


# ---------------------------------------------------------------------------- coverage


def _loaded_examples():
    for e in EXAMPLES:
        if "error" not in _parse_expect(e.expect):
            yield _loaded(e)


def test_every_method_has_a_worked_example():
    used: set[str] = set()
    scorings: set[str] = set()
    layouts: set[str] = set()
    coefficient: set[str] = set()
    for rub in _loaded_examples():
        for leaf in rub.leaves():
            used.add(leaf.method or "")
            if leaf.method == "target_rows":
                scorings.add(row_scoring(leaf.params))
                layouts.add(leaf.params.get("layout", "tasks"))
            if leaf.method == "coefficient":
                coefficient.add("grades" if "grades" in leaf.params else "bands")
    assert set(METHODS) <= used, sorted(set(METHODS) - used)
    assert set(ROW_SCORING) <= scorings
    assert layouts == {"tasks", "rows"}
    assert coefficient == {"grades", "bands"}


def _schema_keys() -> dict[str, set[str]]:
    schema = loader.schema()
    keys = {"rubric": set(schema["properties"])}
    for name, definition in schema["$defs"].items():
        keys[name] = set(definition.get("properties", {}))
    return keys


def test_every_key_of_the_format_is_explained():
    text = DOC.read_text(encoding="utf-8")
    keys = _schema_keys()
    for required in ("rubric", "input", "indicator", "rounding", "grade", "input_group"):
        assert keys[required], required
    assert {f"params_{m}" for m in METHODS if METHODS[m].fields} <= set(keys)
    missing = sorted(
        f"{where}.{key}" for where, names in keys.items() for key in names if f"`{key}`" not in text
    )
    assert not missing, f"文档未说明这些字段：{missing}"


def test_sub_keys_and_values_are_explained():
    """Keys inside the parameters' lists, the enumerations and the row fields."""
    text = DOC.read_text(encoding="utf-8")
    words = [
        *("op", "bound", "score", "min", "coefficient", "key", "label", "text", "options"),
        *("half_up", "half_even", "down", "up", "cap", "zero", "deduct"),
        *("tasks", "rows", *ROW_SCORING, "department", "finance_bureau", "derived", "project"),
        *example_inputs.TOP,
        *example_inputs.ANSWER,
        *example_inputs.ROW,
        *example_inputs.ROW_OPERATORS,
        *example_inputs.EVENT_KINDS,
    ]
    missing = [w for w in words if f"`{w}`" not in text]
    assert not missing, missing


def test_every_formula_function_is_explained():
    from rubric.expr import FUNCTIONS

    text = DOC.read_text(encoding="utf-8")
    assert not [fn for fn in sorted(FUNCTIONS) if f"`{fn}" not in text]


# ---------------------------------------------------------------------------- the JSON schema


def test_checked_in_schema_is_current():
    """Regenerate with: python manage.py rubric schema -o docs/rubric.schema.json"""
    on_disk = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(loader.schema(), ensure_ascii=False))


def test_shipped_versions_fit_the_schema_keys():
    """Every key used by the shipped rubric is one the schema (and so the doc) knows."""
    keys = _schema_keys()
    for path in loader.shipped_versions():
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(content) <= keys["rubric"]
        for node in content["indicators"]:
            assert set(node) <= keys["indicator"]
